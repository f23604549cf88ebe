"""`vla`: the sweep's job kind for the flow-matching VLA core — the stage chain, then offline and closed-loop
evaluation; trial rows go to the run's and the sweep's trial table, summaries to MLflow.

The run's normalisation statistics (every dataset it trains or evaluates on) are computed once before training,
saved in every checkpoint, and handed to evaluation: what training normalised with is what evaluation
un-normalises with."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ablate.config import StageConfig, VlaConfig
from ablate.data.datasets import build_loader, run_normalization
from ablate.data.normalize import CHECKPOINT_KEY, RunNormalization
from ablate.evaluate.closed_loop import evaluate_targets
from ablate.evaluate.offline import offline_metrics
from ablate.evaluate.trial_table import write_run_trials
from ablate.jobs.entry import JobContext
from ablate.model.build import batch_tensors, build_policy
from ablate.model.flow import draw
from ablate.model.policy import VLAPolicy
from ablate.policy.bundle import BUNDLE_KEY, policy_bundle
from ablate.seeding import derived_seed
from ablate.testbed.datasets import ensure_testbed
from ablate.train.parallel import model_state, shard_fully
from ablate.train.stages import StageFeed, Step, train_stages


def run(ctx: JobContext) -> dict[str, Any]:
    config: VlaConfig = ctx.config  # type: ignore[assignment]
    torch.set_num_threads(config.train.threads)
    device = _device(config, ctx.rank)
    distributed = ctx.world_size > 1
    if distributed:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", init_method="env://")
    try:
        if ctx.is_main:
            ensure_testbed(config)
        if distributed:
            torch.distributed.barrier()  # the others wait for the data the main rank generates
        normalization = run_normalization(config)
        if ctx.is_main:
            _say_once(ctx, config, normalization)
        policy = build_policy(config, ctx.run.seed).to(device)
        trainee = VlaTrainee(config, policy, normalization, ctx.run.seed, ctx.rank, ctx.world_size, device)
        # every checkpoint is a policy on its own: statistics, config, descriptions, robots (`ablate.policy`)
        run = {k: getattr(ctx.run, k) for k in ("id", "name", "sweep", "arm", "levels", "seed")}
        carried = {CHECKPOINT_KEY: normalization.to_state(), BUNDLE_KEY: policy_bundle(config, run)}
        steps = train_stages(ctx, trainee, device, carried)
        if distributed and config.train.parallel == "fsdp":
            policy = _unsharded(ctx, policy, device)
        if not ctx.is_main:
            return {}
        closed_loop = config.eval.targets and config.eval.trials  # targets with 0 trials: no closed loop
        metrics = _closed_loop(ctx, policy, normalization, device) if closed_loop else {}
        # success first: what status shows
        metrics |= offline_metrics(policy, config, normalization, ctx.run.seed, device)
        metrics |= _offline_errors(ctx, policy, normalization, device)
        ctx.report(list(ctx.ledger.planned)[-1], steps, metrics, force=True)
        return metrics
    finally:
        if distributed:
            torch.distributed.destroy_process_group()


class VlaTrainee:
    """The VLA policy for the stage loop: a stage trains on its mixture, with flow noise from its own seed."""

    def __init__(
        self,
        config: VlaConfig,
        policy: VLAPolicy,
        normalization: RunNormalization,
        seed: int,
        rank: int,
        world_size: int,
        device: torch.device,
    ):
        self.config, self.model, self.normalization = config, policy, normalization
        self.seed, self.rank, self.world_size, self.device = seed, rank, world_size, device

    def trainable(self, which: str) -> list[torch.nn.Parameter]:
        return self.model.set_trainable(which)

    def shard(self) -> None:
        shard_fully(self.model)

    def feed(self, stage_index: int, stage: StageConfig) -> StageFeed:
        loader = build_loader(self.config, stage, derived_seed(self.seed, "data", stage_index), self.normalization)
        noise = torch.Generator().manual_seed(derived_seed(self.seed, "noise", stage_index))
        names = list(loader.sources)  # embodiment id → dataset name, for the ledger

        def step(net: torch.nn.Module, batch_size: int) -> Step:
            full = loader.batch(batch_size)
            full["flow_noise"], full["flow_time"] = draw(full["actions"].shape, noise)
            loss = net(batch_tensors(shard(full, self.rank, self.world_size), self.model, self.device))
            drawn = np.bincount(full["embodiment"], minlength=len(names))
            counts = {name: int(n) for name, n in zip(names, drawn, strict=True) if n}
            return Step(loss, counts, self.model.last_tokens * self.world_size)

        def state_dict() -> dict[str, Any]:
            return {"loader": loader.state_dict(), "noise": noise.get_state()}

        def load_state_dict(state: dict[str, Any]) -> None:
            loader.load_state_dict(state["loader"])
            noise.set_state(state["noise"])

        return StageFeed(step, state_dict, load_state_dict)


def shard(batch: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """This rank's equal slice of the global batch (every rank draws the same global batch, noise included, from
    the seed), so DDP over N processes trains on exactly what one process would."""
    size = len(batch["state"])
    if size % world:
        raise ValueError(f"batch size {size} does not split evenly over {world} processes")
    per = size // world
    return {k: v[rank * per : (rank + 1) * per] for k, v in batch.items()}


def _unsharded(ctx: JobContext, sharded, device: torch.device):
    """Evaluation runs on the main rank alone, so it gets a plain copy of the trained weights (gathered by all)."""
    state = model_state(sharded)
    torch.distributed.barrier()  # no rank leaves (and tears down gloo) with a collective still in flight
    if not ctx.is_main:
        return sharded
    policy = build_policy(ctx.config, ctx.run.seed).to(device)
    policy.load_state_dict(state)
    return policy


def _closed_loop(
    ctx: JobContext, policy: VLAPolicy, normalization: RunNormalization, device: torch.device
) -> dict[str, float]:
    run, trials = ctx.run, ctx.config.eval.trials

    def on_trial(row):
        print(
            f"[{run.name}] eval {row['embodiment']}/{row['task']} trial {row['trial'] + 1}/{trials}: "
            f"{'success' if row['success'] else 'fail'} (progress {row['progress']:.2f}, {row['steps']} steps)",
            flush=True,
        )

    rows = evaluate_targets(policy, ctx.config, normalization, run.seed, device, on_trial)
    identity = {"sweep": run.sweep, "arm": run.arm, "run": run.id, "seed": run.seed, **run.levels}
    table = write_run_trials([identity | row for row in rows], run.path)
    summary = {}
    for (robot, task), group in table.groupby(["embodiment", "task"]):
        summary[f"success/{robot}/{task}"] = float(group["success"].mean())
        if group["progress"].notna().any():  # an environment may define no progress (Meta-World)
            summary[f"progress/{robot}/{task}"] = float(group["progress"].mean())
    return {"success": float(table["success"].mean())} | summary


def _say_once(ctx: JobContext, config: VlaConfig, normalization: RunNormalization) -> None:
    """Before training: how the run is evaluated, and whether its statistics describe its labels (logged too)."""
    from ablate.config.vla import evaluation_summary
    from ablate.data.label_range import label_range_lines, label_range_metrics, run_label_range

    print(f"[{ctx.run.name}] {evaluation_summary(config)}", flush=True)
    checked = run_label_range(config, normalization, ctx.run.seed)
    for line in label_range_lines(checked, normalization.mode):
        print(f"[{ctx.run.name}] {line}", flush=True)
    ctx.tracker.log(label_range_metrics(checked), 0)


def _offline_errors(
    ctx: JobContext, policy: VLAPolicy, normalization: RunNormalization, device: torch.device
) -> dict[str, float]:
    """The offline companion's rows (`ablate.offline_table`): errors in the robot's units on held-out chunks."""
    from ablate.evaluate.offline_error import offline_errors
    from ablate.offline_table import METRICS, write_run_offline

    run = ctx.run
    rows = offline_errors(policy, ctx.config, normalization, run.seed, device)
    if not rows:
        print(f"[{run.name}] no offline error: no held-out episodes (data.val_fraction)", flush=True)
        return {}
    identity = {"sweep": run.sweep, "arm": run.arm, "run": run.id, "seed": run.seed, **run.levels}
    write_run_offline([identity | row for row in rows], run.path)
    out = {}
    for row in rows:
        measured = {m: row[m] for m in METRICS if row[m] is not None}
        said = ", ".join(f"{METRICS[m]} {v:.4g}" for m, v in measured.items())
        print(f"[{run.name}] offline error on {row['dataset']} ({row['chunks']} held-out chunks): {said}", flush=True)
        out |= {f"offline/{row['dataset']}/{m}": v for m, v in measured.items()}
    return out


def _device(config: VlaConfig, rank: int) -> torch.device:
    wanted = config.train.device
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", rank % max(1, torch.cuda.device_count()))
    return torch.device("cpu")
