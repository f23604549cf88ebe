"""`mlp_regression`: a small, genuine torch training job — the registered job kind that the sweep engine's
tests and (until the VLA trainer lands) the quickstart run.

Several "embodiments" are regression tasks with their own fixed random teacher network; `data.mixture` gives
their sampling weights. An MLP with a per-embodiment input flag learns them all, through the recipe's stage
chain (a stage trains `all` parameters or just the head, `expert`). It counts what it consumes into the ledger,
checkpoints every `train.checkpoint_every` steps, and resumes exactly: batches are drawn from generators keyed by
(seed, stage, step), so a resumed run sees the very batches an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

import torch
from torch import nn

from ablate.jobs.entry import JobContext
from ablate.train.optim import make_optimizer


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
    cfg, seed = ctx.run.config, ctx.run.seed
    train_cfg = cfg["train"]
    torch.set_num_threads(int(train_cfg.get("threads", 1)))
    data = TaskData(cfg["data"])
    torch.manual_seed(seed)  # same seed → same init in every arm with this architecture
    model = make_model(cfg["model"], data)
    init_fingerprint = _fingerprint(model.state_dict())

    saved = ctx.checkpoints.latest()
    global_step = 0
    if saved is not None:
        model.load_state_dict(saved["model"])
        ctx.ledger.consumed = saved["ledger_consumed"]
        torch.set_rng_state(saved["torch_rng"])
        global_step = saved["global_step"]
    else:
        ctx.ledger.consumed = {}
    first_batch = None
    for stage_index, (stage, plan) in enumerate(ctx.ledger.planned.items()):
        if ctx.ledger.stage_done(stage):
            continue
        stage_cfg = (cfg.get("stages") or {}).get(stage) or {}
        params = _trainable(model, stage_cfg.get("trainable", "all"))
        net = nn.parallel.DistributedDataParallel(model) if ctx.world_size > 1 else model  # per stage: new params
        optimizer, scheduler = make_optimizer(cfg["optim"], params, plan["steps"])
        if saved is not None and saved["stage"] == stage:
            optimizer.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
        step = ctx.ledger.consumed.get(stage, {}).get("steps", 0)
        while not ctx.ledger.stage_done(stage):
            t0 = time.perf_counter()
            batch = data.batch(plan["batch_size"], seed, stage_index, step)
            first_batch = first_batch or _fingerprint({"x": batch[0]})
            loss = data.loss(net, data.shard(batch, ctx.rank, ctx.world_size))
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss became non-finite ({loss.item()}) at stage {stage} step {step}; "
                    f"lower optim.lr (now {cfg['optim']['lr']})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(params, float(cfg["optim"].get("clip_grad_norm", 1e9)))
            optimizer.step()
            scheduler.step()
            step += 1
            global_step += 1
            elapsed = time.perf_counter() - t0
            ctx.ledger.consume(
                stage,
                samples=plan["batch_size"],
                steps=1,
                gpu_seconds=elapsed * ctx.world_size,
                by_embodiment=data.count(batch),
            )
            done = ctx.ledger.stage_done(stage)
            if step % int(train_cfg.get("log_every", 10)) == 0 or done:
                ctx.report(
                    stage,
                    global_step,
                    {
                        "loss": loss.item(),
                        "lr": scheduler.get_last_lr()[0],
                        "grad_norm": float(grad_norm),
                        "samples_per_s": plan["batch_size"] / max(elapsed, 1e-9),
                    },
                )
            if ctx.is_main and (global_step % int(train_cfg.get("checkpoint_every", 100)) == 0 or done):
                ctx.checkpoints.save(
                    global_step,
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "stage": stage,
                        "global_step": global_step,
                        "ledger_consumed": ctx.ledger.consumed,
                        "torch_rng": torch.get_rng_state(),
                    },
                )
                ctx.save_ledger()
        saved = None
    metrics = data.evaluate(model)
    ctx.report(list(ctx.ledger.planned)[-1], global_step, metrics, force=True)
    return metrics | {
        "init_fingerprint": init_fingerprint,
        "first_batch_fingerprint": first_batch,
        "weights_fingerprint": _fingerprint(model.state_dict()),
    }


class TaskData:
    """Fixed regression tasks (one teacher per embodiment), identical for every arm and seed."""

    def __init__(self, cfg: dict[str, Any]):
        self.names = list(cfg["mixture"])
        weights = torch.tensor([float(cfg["mixture"][n]) for n in self.names])
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"data.mixture weights must be >= 0 and not all 0: {cfg['mixture']}")
        self.weights = weights / weights.sum()
        self.in_dim, self.out_dim = int(cfg["input_dim"]), int(cfg["output_dim"])
        gen = torch.Generator().manual_seed(int(cfg["task_seed"]))
        self.teachers = [_teacher(self.in_dim, self.out_dim, gen) for _ in self.names]
        self.noise = float(cfg.get("noise", 0.0))
        self.train_x = torch.randn(int(cfg["train_samples"]), self.in_dim, generator=gen)
        self.val_x = torch.randn(int(cfg["val_samples"]), self.in_dim, generator=gen)
        self.train_noise = self.noise * torch.randn(len(self.names), len(self.train_x), self.out_dim, generator=gen)

    def batch(self, size: int, seed: int, stage_index: int, step: int):
        key = int.from_bytes(hashlib.sha256(f"{seed}/{stage_index}/{step}".encode()).digest()[:8], "little")
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


def make_model(cfg: dict[str, Any], data: TaskData) -> MLP:
    return MLP(data.in_dim + len(data.names), data.out_dim, int(cfg["hidden"]), int(cfg["depth"]))


def _trainable(model: MLP, which: str) -> list[nn.Parameter]:
    # `expert` names the part that maps features to outputs in every job kind: here the head (the VLA's is
    # its action expert), so one stages group serves both.
    if which not in ("all", "expert"):
        raise ValueError(f"stages.*.trainable must be 'all' or 'expert', got {which!r}")
    for name, p in model.named_parameters():
        p.requires_grad_(which == "all" or name.startswith("head."))
    return [p for p in model.parameters() if p.requires_grad]


def _fingerprint(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for k in sorted(tensors):
        h.update(k.encode())
        h.update(tensors[k].detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]
