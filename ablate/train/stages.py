"""The stage chain of one run, for every job kind: each stage names what trains (`trainable`), its optimizer
(`optim` changes), its data mixture and its share of the budget (planned into the ledger as optimizer steps).

A job kind supplies a `Trainee`: its model, which parameters a stage trains, and per stage a `StageFeed` that
draws the next batch and returns its loss. The loop does the rest, the same for all: resume, optimizer and
schedule per stage, autocast, the non-finite check, gradient clipping, the ledger, progress, metrics and
checkpoints. Metrics are flushed to MLflow before each checkpoint is written and before evaluation, and the tracker
logs a (metric, step) once, so a run killed anywhere and resumed has one point per logged step (tests/jobs/
test_mlflow_history.py).

Everything a resumed run needs is in one checkpoint, written atomically: model, optimizer, scheduler, the feed's
state (sampler, dropout and noise generators), the ledger and the step. Batches and noise come only from those
seeded states, so a run killed at any step and resumed ends with the same weights as an uninterrupted one
(tests/train/test_train.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from ablate.config import StageConfig
from ablate.jobs.entry import JobContext
from ablate.train.optim import make_optimizer
from ablate.train.parallel import (
    describe,
    load_optimizer_state,
    model_state,
    optimizer_state,
    total_norm,
    wrap_for_stage,
)
from ablate.train.progress import StepProgress


@dataclass
class Step:
    """One optimizer step's loss and what it consumed."""

    loss: torch.Tensor
    by_embodiment: dict[str, int]  # samples drawn per embodiment (dataset) name
    tokens: int = 0


@dataclass
class StageFeed:
    """A stage's data: `step(net, batch_size)` draws the next global batch (this rank's share goes through `net`)."""

    step: Callable[[nn.Module, int], Step]
    state_dict: Callable[[], dict[str, Any]] = dict
    load_state_dict: Callable[[dict[str, Any]], None] = lambda state: None


class Trainee(Protocol):
    model: nn.Module

    def trainable(self, which: str) -> list[nn.Parameter]:
        """Set and return the parameters a stage trains (`all`, `expert`, …)."""

    def feed(self, stage_index: int, stage: StageConfig) -> StageFeed: ...

    def shard(self) -> None:
        """Shard the model over the ranks (train.parallel: fsdp), after the checkpoint's weights are loaded."""


def train_stages(
    ctx: JobContext, trainee: Trainee, device: torch.device, extra_state: dict[str, Any] | None = None
) -> int:
    """Run (or finish) every stage of the ledger; returns the global step reached. `extra_state` goes into every
    checkpoint as is (e.g. the run's normalisation statistics)."""
    config, train = ctx.config, ctx.config.train
    saved = ctx.checkpoints.latest()
    global_step = 0
    if saved is not None:
        trainee.model.load_state_dict(saved["model"])
        ctx.ledger.consumed = saved["ledger_consumed"]
        global_step = saved["global_step"]
    else:
        ctx.ledger.consumed = {}
    total = sum(int(p["steps"]) for p in ctx.ledger.planned.values())
    if ctx.world_size > 1 and train.parallel == "fsdp":
        trainee.shard()  # after loading the checkpoint's full weights: sharding keeps their values
    if ctx.is_main:
        where = describe(trainee.model, train.parallel, ctx.world_size)
        print(f"[{ctx.run.name}] {_start_line(saved, global_step, total)}; {where}", flush=True)
    progress = StepProgress(total, global_step, enabled=ctx.is_main, label=ctx.run.name)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if device.type == "cuda" and train.bf16
        else nullcontext()  # never on CPU: emulated bf16 is ~50x slower there
    )
    for stage_index, (stage, plan) in enumerate(ctx.ledger.planned.items()):
        if ctx.ledger.stage_done(stage):
            continue
        stage_cfg = config.stage(stage)
        optim = stage_cfg.optimizer(config.optim)
        params = trainee.trainable(stage_cfg.trainable)
        optimizer, scheduler = make_optimizer(optim, params, plan["steps"])
        feed = trainee.feed(stage_index, stage_cfg)
        if saved is not None and saved["stage"] == stage:
            load_optimizer_state(trainee.model, optimizer, saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            feed.load_state_dict(saved["feed"])
        net = wrap_for_stage(trainee.model, train.parallel, ctx.world_size, device)
        step = ctx.ledger.consumed.get(stage, {}).get("steps", 0)
        while not ctx.ledger.stage_done(stage):
            t0 = time.perf_counter()
            with autocast:
                drawn = feed.step(net, plan["batch_size"])
            loss = drawn.loss
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss became non-finite ({loss.item()}) at stage {stage} step {step}; "
                    f"lower optim.lr (now {optim.lr})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(params, optim.clip_grad_norm or float("inf"))
            optimizer.step()
            scheduler.step()
            step, global_step = step + 1, global_step + 1
            elapsed = time.perf_counter() - t0
            ctx.ledger.consume(
                stage,
                samples=plan["batch_size"],
                steps=1,
                tokens=drawn.tokens,
                gpu_seconds=elapsed * ctx.world_size,  # device time of every rank (CPU time on a CPU run)
                by_embodiment=drawn.by_embodiment,
            )
            done = ctx.ledger.stage_done(stage)
            metrics = {
                "loss": loss.item(),
                "lr": scheduler.get_last_lr()[0],
                "grad_norm": total_norm(grad_norm),
                "samples_per_s": plan["batch_size"] / max(elapsed, 1e-9),
            }
            progress.advance(stage, metrics)
            if step % train.log_every == 0 or done:
                ctx.report(stage, global_step, metrics)
            if global_step % train.checkpoint_every == 0 or done:
                where = {"stage": stage, "global_step": global_step, "scheduler": scheduler.state_dict()}
                _save(ctx, trainee.model, optimizer, where | {"feed": feed.state_dict(), **(extra_state or {})})
        saved = None
    progress.close()
    ctx.tracker.flush()  # every training point in MLflow before evaluation starts: a kill there loses none
    return global_step


def _save(ctx: JobContext, model: nn.Module, optimizer: torch.optim.Optimizer, rest: dict[str, Any]) -> None:
    """Every rank gathers (a collective under FSDP); the main rank writes."""
    weights, optim = model_state(model), optimizer_state(model, optimizer)
    if ctx.is_main:
        # The points up to this step go to MLflow before the checkpoint exists: a run resumed from it re-logs only
        # the steps after it, so a point still buffered here would be lost for good by a kill.
        ctx.tracker.flush()
        state = {"model": weights, "optimizer": optim, "ledger_consumed": ctx.ledger.consumed, **rest}
        ctx.checkpoints.save(rest["global_step"], state)
        ctx.save_ledger()


def _start_line(saved: dict[str, Any] | None, global_step: int, total: int) -> str:
    if saved is None:
        return f"training {total} steps from the start"
    return f"resuming at step {global_step} of {total} (stage {saved['stage']})"
