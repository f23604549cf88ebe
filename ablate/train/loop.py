"""The stage chain of one run: each stage names what trains (`trainable`), its optimizer (`optim` overrides),
its data mixture and its share of the budget (planned into the ledger as optimizer steps).

Everything a resumed run needs is in one checkpoint, written atomically: model, optimizer, scheduler, the
mixture loader (sampler + dropout RNG), the noise generator, the ledger and the step. Batches, noise and flow
times come only from those seeded states, so a run killed at any step and resumed ends with the same weights
as an uninterrupted one (tests/train/test_resume.py).
"""

from __future__ import annotations

import hashlib
import time
from contextlib import nullcontext
from typing import Any

import numpy as np
import torch
from torch import nn

from ablate.jobs.entry import JobContext
from ablate.model.flow import draw
from ablate.model.policy import VLAPolicy
from ablate.train.data import build_loader
from ablate.train.optim import make_optimizer
from ablate.train.parallel import (
    describe,
    load_optimizer_state,
    model_state,
    optimizer_state,
    parallel_mode,
    shard_fully,
    total_norm,
    wrap_for_stage,
)
from ablate.train.progress import StepProgress


def derived_seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "little") % 2**63


def build_policy(config: dict[str, Any], seed: int) -> VLAPolicy:
    """Same seed → same initial weights in every arm that shares the architecture (paired design)."""
    data = config["data"]
    torch.manual_seed(seed)
    return VLAPolicy(
        config["model"],
        max_state_dim=int(data.get("max_state_dim", 16)),
        max_action_dim=int(data.get("max_action_dim", 10)),
        horizon=int(data.get("horizon", 8)),
        environment_state_dim=int(data.get("max_environment_dim", 0)) if data.get("environment_state") else 0,
    )


def to_torch(batch: dict[str, Any], policy: VLAPolicy, device: torch.device) -> dict[str, torch.Tensor]:
    out = {k: torch.as_tensor(v).to(device) for k, v in batch.items() if k != "instruction"}
    out["tokens"], out["token_mask"] = (t.to(device) for t in policy.tokenize(batch["instruction"]))
    return out


def shard(batch: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """This rank's equal slice of the global batch (every rank draws the same global batch, noise included, from
    the seed), so DDP over N processes trains on exactly what one process would."""
    size = len(batch["state"])
    if size % world:
        raise ValueError(f"batch size {size} does not split evenly over {world} processes")
    per = size // world
    return {k: v[rank * per : (rank + 1) * per] for k, v in batch.items()}


def train_stages(ctx: JobContext, policy: VLAPolicy, device: torch.device) -> int:
    """Run (or finish) every stage of the ledger; returns the global step reached."""
    config, seed = ctx.run.config, ctx.run.seed
    train_cfg = config.get("train") or {}
    saved = ctx.checkpoints.latest()
    global_step = 0
    if saved is not None:
        policy.load_state_dict(saved["model"])
        ctx.ledger.consumed = saved["ledger_consumed"]
        global_step = saved["global_step"]
    else:
        ctx.ledger.consumed = {}
    total = sum(int(p["steps"]) for p in ctx.ledger.planned.values())
    mode = parallel_mode(train_cfg)
    if ctx.world_size > 1 and mode == "fsdp":
        shard_fully(policy)  # after loading the checkpoint's full weights: sharding keeps their values
    if ctx.is_main:
        print(f"[{ctx.run.name}] {_start_line(saved, global_step, total)}; {describe(policy, mode, ctx.world_size)}")
    progress = StepProgress(total, global_step, enabled=ctx.is_main, label=ctx.run.name)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.type == "cuda" and train_cfg.get("bf16", True)
        else nullcontext()  # never on CPU: emulated bf16 is ~50× slower there
    )
    for stage_index, (stage, plan) in enumerate(ctx.ledger.planned.items()):
        if ctx.ledger.stage_done(stage):
            continue
        stage_cfg = (config.get("stages") or {}).get(stage) or {}
        params = policy.set_trainable(stage_cfg.get("trainable", "all"))
        optimizer, scheduler = make_optimizer(
            {**config["optim"], **(stage_cfg.get("optim") or {})}, params, plan["steps"]
        )
        loader = build_loader(config, stage_cfg, derived_seed(seed, "data", stage_index))
        noise = torch.Generator().manual_seed(derived_seed(seed, "noise", stage_index))
        if saved is not None and saved["stage"] == stage:
            load_optimizer_state(policy, optimizer, saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            loader.load_state_dict(saved["loader"])
            noise.set_state(saved["noise"])
        names = list(loader.sources)  # embodiment id → dataset name, for the ledger
        net = wrap_for_stage(policy, mode, ctx.world_size, device)
        step = ctx.ledger.consumed.get(stage, {}).get("steps", 0)
        clip = float(config["optim"].get("clip_grad_norm", 1.0))
        while not ctx.ledger.stage_done(stage):
            t0 = time.perf_counter()
            full = loader.batch(plan["batch_size"])
            full["flow_noise"], full["flow_time"] = draw(full["actions"].shape, noise)
            batch = to_torch(shard(full, ctx.rank, ctx.world_size), policy, device)
            with autocast:
                loss = net(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss became non-finite ({loss.item()}) at stage {stage} step {step}; lower optim.lr"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(params, clip)
            optimizer.step()
            scheduler.step()
            step, global_step = step + 1, global_step + 1
            elapsed = time.perf_counter() - t0
            drawn = np.bincount(full["embodiment"], minlength=len(names))
            counts = {name: int(n) for name, n in zip(names, drawn, strict=True) if n}
            ctx.ledger.consume(
                stage,
                samples=plan["batch_size"],
                steps=1,
                tokens=policy.last_tokens * ctx.world_size,
                gpu_seconds=elapsed * ctx.world_size if device.type == "cuda" else 0.0,
                by_embodiment=counts,
            )
            done = ctx.ledger.stage_done(stage)
            metrics = {
                "loss": loss.item(),
                "lr": scheduler.get_last_lr()[0],
                "grad_norm": total_norm(grad_norm),
                "samples_per_s": plan["batch_size"] / max(elapsed, 1e-9),
            }
            progress.advance(stage, metrics)
            if step % int(train_cfg.get("log_every", 10)) == 0 or done:
                ctx.report(stage, global_step, metrics)
            if global_step % int(train_cfg.get("checkpoint_every", 100)) == 0 or done:
                _save(
                    ctx,
                    policy,
                    optimizer,
                    global_step,
                    {
                        "scheduler": scheduler.state_dict(),
                        "loader": loader.state_dict(),
                        "noise": noise.get_state(),
                        "stage": stage,
                        "global_step": global_step,
                        "ledger_consumed": ctx.ledger.consumed,
                    },
                )
        saved = None
    progress.close()
    return global_step


def _save(ctx: JobContext, policy: VLAPolicy, optimizer, global_step: int, rest: dict[str, Any]) -> None:
    """Every rank gathers (a collective under FSDP); the main rank writes."""
    model, optim = model_state(policy), optimizer_state(policy, optimizer)
    if ctx.is_main:
        ctx.checkpoints.save(global_step, {"model": model, "optimizer": optim, **rest})
        ctx.save_ledger()


def _start_line(saved: dict[str, Any] | None, global_step: int, total: int) -> str:
    if saved is None:
        return f"training {total} steps from the start"
    return f"resuming at step {global_step} of {total} (stage {saved['stage']})"
