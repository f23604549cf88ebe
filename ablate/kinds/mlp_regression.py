"""`mlp_regression`: a small, genuine torch training job — the registered job kind the sweep engine's tests
and the fast examples run (the quickstart study trains the VLA).

Several "embodiments" are regression tasks with their own fixed random teacher network; `data.mixture` gives
their sampling weights. An MLP with a per-embodiment input flag learns them all, through the recipe's stage
chain (`ablate.train.stages`, the same loop as the VLA's: a stage trains `all` parameters or just the head,
`expert`). Batches are drawn from generators keyed by (seed, stage, step), so a resumed run sees the very
batches an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import torch
from torch import nn

from ablate.config import StageConfig
from ablate.config.mlp import MlpConfig, MlpData, MlpModel
from ablate.jobs.entry import JobContext
from ablate.seeding import derived_seed
from ablate.train.stages import StageFeed, Step, train_stages


def run(ctx: JobContext) -> dict[str, Any]:
    if ctx.world_size == 1:
        return _train(ctx)
    # One process per task (submitit exported MASTER_ADDR, RANK, WORLD_SIZE): data parallel over gloo.
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method="env://")
    try:
        return _train(ctx)
    finally:
        dist.destroy_process_group()


def _train(ctx: JobContext) -> dict[str, Any]:
    config: MlpConfig = ctx.config  # type: ignore[assignment]
    torch.set_num_threads(config.train.threads)
    data = TaskData(config.data)
    torch.manual_seed(ctx.run.seed)  # same seed → same init in every arm with this architecture
    trainee = MlpTrainee(make_model(config.model, data), data, ctx.run.seed, ctx.rank, ctx.world_size)
    init_fingerprint = _fingerprint(trainee.model.state_dict())
    global_step = train_stages(ctx, trainee, torch.device("cpu"))
    metrics = data.evaluate(trainee.model)
    ctx.report(list(ctx.ledger.planned)[-1], global_step, metrics, force=True)
    return metrics | {
        "init_fingerprint": init_fingerprint,
        "first_batch_fingerprint": trainee.first_batch,
        "weights_fingerprint": _fingerprint(trainee.model.state_dict()),
    }


class MlpTrainee:
    def __init__(self, model: MLP, data: TaskData, seed: int, rank: int, world_size: int):
        self.model, self.data, self.seed, self.rank, self.world_size = model, data, seed, rank, world_size
        self.first_batch: str | None = None

    def trainable(self, which: str) -> list[nn.Parameter]:
        # `expert` names the part that maps features to outputs in every job kind: here the head (the VLA's is
        # its action expert), so one stages group serves both.
        if which not in ("all", "expert"):
            raise ValueError(f"stages.*.trainable must be 'all' or 'expert' for mlp_regression, got {which!r}")
        for name, p in self.model.named_parameters():
            p.requires_grad_(which == "all" or name.startswith("head."))
        return [p for p in self.model.parameters() if p.requires_grad]

    def shard(self) -> None:
        raise ValueError("mlp_regression trains data-parallel only: set train.parallel: ddp")

    def feed(self, stage_index: int, stage: StageConfig) -> StageFeed:
        step_of = [0]

        def step(net: nn.Module, batch_size: int) -> Step:
            batch = self.data.batch(batch_size, derived_seed(self.seed, stage_index, step_of[0]))
            step_of[0] += 1
            self.first_batch = self.first_batch or _fingerprint({"x": batch[0]})
            loss = self.data.loss(net, self.data.shard(batch, self.rank, self.world_size))
            return Step(loss, self.data.count(batch))

        def state_dict() -> dict[str, Any]:
            return {"step": step_of[0]}

        def load_state_dict(state: dict[str, Any]) -> None:
            step_of[0] = state["step"]

        return StageFeed(step, state_dict, load_state_dict)


class TaskData:
    """Fixed regression tasks (one teacher per embodiment), identical for every arm and seed."""

    def __init__(self, cfg: MlpData):
        if not isinstance(cfg.mixture, dict):
            raise ValueError(f"data.mixture must map task names to weights for mlp_regression, got {cfg.mixture!r}")
        self.names = list(cfg.mixture)
        weights = torch.tensor([cfg.mixture[n] for n in self.names])
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"data.mixture weights must be >= 0 and not all 0: {cfg.mixture}")
        self.weights = weights / weights.sum()
        self.in_dim, self.out_dim = cfg.input_dim, cfg.output_dim
        gen = torch.Generator().manual_seed(cfg.task_seed)
        self.teachers = [_teacher(self.in_dim, self.out_dim, gen) for _ in self.names]
        self.noise = cfg.noise
        self.train_x = torch.randn(cfg.train_samples, self.in_dim, generator=gen)
        self.val_x = torch.randn(cfg.val_samples, self.in_dim, generator=gen)
        self.train_noise = self.noise * torch.randn(len(self.names), len(self.train_x), self.out_dim, generator=gen)

    def batch(self, size: int, key: int):
        """A batch from its own generator (`key`: derived from seed, stage and step)."""
        gen = torch.Generator().manual_seed(key)
        emb = torch.multinomial(self.weights, size, replacement=True, generator=gen)
        idx = torch.randint(len(self.train_x), (size,), generator=gen)
        return self.train_x[idx], emb, idx

    def shard(self, batch, rank: int, world: int):
        """This rank's equal slice of the global batch (DDP averages the gradients back to the full batch)."""
        size = len(batch[0])
        if size % world:
            raise ValueError(f"batch size {size} does not split evenly over {world} processes")
        per = size // world
        return tuple(t[rank * per : (rank + 1) * per] for t in batch)

    def _targets(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            ys = torch.stack([t(x) for t in self.teachers])  # [E, B, out]
        return ys[emb, torch.arange(len(x))]

    def loss(self, model: nn.Module, batch) -> torch.Tensor:
        x, emb, idx = batch
        y = self._targets(x, emb) + self.train_noise[emb, idx]
        return nn.functional.mse_loss(model(self.inputs(x, emb)), y)

    def inputs(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, nn.functional.one_hot(emb, len(self.names)).float()], dim=1)

    def count(self, batch) -> dict[str, int]:
        counts = torch.bincount(batch[1], minlength=len(self.names))
        return {n: int(c) for n, c in zip(self.names, counts, strict=True) if c}

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        out = {}
        for i, name in enumerate(self.names):
            emb = torch.full((len(self.val_x),), i)
            y = self._targets(self.val_x, emb)
            out[f"val_loss/{name}"] = nn.functional.mse_loss(model(self.inputs(self.val_x, emb)), y).item()
        overall = sum(out[f"val_loss/{n}"] * float(w) for n, w in zip(self.names, self.weights, strict=True))
        return {"val_loss": overall} | out  # the headline metric first: `ablate status` shows the first one


def _teacher(in_dim: int, out_dim: int, gen: torch.Generator) -> nn.Module:
    hidden = 32
    net = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, out_dim))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1]))
    return net


class MLP(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, hidden: int, depth: int):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), nn.GELU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(hidden if depth else in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def make_model(cfg: MlpModel, data: TaskData) -> MLP:
    return MLP(data.in_dim + len(data.names), data.out_dim, cfg.hidden, cfg.depth)


def _fingerprint(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for k in sorted(tensors):
        h.update(k.encode())
        h.update(tensors[k].detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]
