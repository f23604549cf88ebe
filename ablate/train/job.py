"""`vla`: the sweep's job kind for the flow-matching VLA core — the stage chain, then offline and closed-loop
evaluation; trial rows go to the run's and the sweep's trial table, summaries to MLflow."""

from __future__ import annotations

from typing import Any

import torch

from ablate.evaluate.closed_loop import evaluate_targets
from ablate.evaluate.offline import offline_metrics
from ablate.evaluate.trial_table import write_run_trials
from ablate.jobs.entry import JobContext
from ablate.train.data import ensure_testbed
from ablate.train.loop import build_policy, train_stages
from ablate.train.parallel import model_state, parallel_mode


def run(ctx: JobContext) -> dict[str, Any]:
    config = ctx.run.config
    train_cfg = config.get("train") or {}
    torch.set_num_threads(int(train_cfg.get("threads", 1)))
    device = _device(train_cfg, ctx.rank)
    distributed = ctx.world_size > 1
    if distributed:
        import torch.distributed as dist

        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", init_method="env://")
    try:
        if ctx.is_main:
            ensure_testbed(config)
        if distributed:
            torch.distributed.barrier()  # the others wait for the data the main rank generates
        policy = build_policy(config, ctx.run.seed).to(device)
        steps = train_stages(ctx, policy, device)
        if distributed and parallel_mode(train_cfg) == "fsdp":
            policy = _unsharded(ctx, policy, device)
        if not ctx.is_main:
            return {}
        metrics = _closed_loop(ctx, policy, device) if (config.get("eval") or {}).get("targets") else {}
        metrics |= offline_metrics(policy, config, ctx.run.seed, device)  # success first: what status shows
        ctx.report(list(ctx.ledger.planned)[-1], steps, metrics, force=True)
        return metrics
    finally:
        if distributed:
            torch.distributed.destroy_process_group()


def _unsharded(ctx: JobContext, sharded, device: torch.device):
    """Evaluation runs on the main rank alone, so it gets a plain copy of the trained weights (gathered by all)."""
    state = model_state(sharded)
    torch.distributed.barrier()  # no rank leaves (and tears down gloo) with a collective still in flight
    if not ctx.is_main:
        return sharded
    policy = build_policy(ctx.run.config, ctx.run.seed).to(device)
    policy.load_state_dict(state)
    return policy


def _closed_loop(ctx: JobContext, policy, device: torch.device) -> dict[str, float]:
    run = ctx.run
    trials = int(run.config["eval"]["trials"])
    done = [0]

    def on_trial(row):
        done[0] += 1
        print(
            f"[{run.name}] eval {row['embodiment']}/{row['task']} trial {row['trial'] + 1}/{trials}: "
            f"{'success' if row['success'] else 'fail'} (progress {row['progress']:.2f})",
            flush=True,
        )

    rows = evaluate_targets(policy, run.config, run.seed, device, on_trial)
    identity = {"sweep": run.sweep, "arm": run.arm, "run": run.id, "seed": run.seed, **run.levels}
    table = write_run_trials([identity | row for row in rows], run.path)
    summary = {}
    for (robot, task), group in table.groupby(["embodiment", "task"]):
        summary[f"success/{robot}/{task}"] = float(group["success"].mean())
        summary[f"progress/{robot}/{task}"] = float(group["progress"].mean())
    return {"success": float(table["success"].mean())} | summary


def _device(train_cfg: dict[str, Any], rank: int) -> torch.device:
    wanted = train_cfg.get("device", "auto")
    if wanted == "cuda" or (wanted == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", rank % max(1, torch.cuda.device_count()))
    return torch.device("cpu")
