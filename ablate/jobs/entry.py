"""The callable every launcher submits: `RunJob()(work_dir)`.

It reads the Run from disk, takes the run's lock (so a duplicate submission can never train the same run twice),
records its state, calls the registered job kind, and records success or the error. An exception propagates,
so the scheduler marks the job FAILED too. Requeue (preemption, timeout) re-runs the same pickle; the job kind
resumes from its latest checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import submitit
from pydantic import ValidationError

from ablate.budget.ledger import Ledger
from ablate.config import RunConfig
from ablate.errors import InputError
from ablate.jobs import run_lock
from ablate.jobs.checkpoints import CheckpointStore
from ablate.jobs.contract import Run, UnplannedRun, check_planned, host_info, read_state, update_state
from ablate.jobs.registry import load_job
from ablate.jobs.signals import signal_name, sigterm_raises, stopped_by_signal
from ablate.layout import CHECKPOINTS_DIR
from ablate.track.mlflow_runs import JobTracker

ERROR_TAIL_LINES = 25


@dataclass
class JobContext:
    """What a job kind gets: its Run, its ledger, checkpoints, tracking, and where it is in a distributed job."""

    run: Run
    config: RunConfig  # the run's config, typed by its job kind (`run.config` is the resolved recipe as written)
    ledger: Ledger
    checkpoints: CheckpointStore
    tracker: JobTracker
    rank: int = 0
    world_size: int = 1
    _last_report: float = field(default=0.0, repr=False)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def report(self, stage: str, step: int, metrics: dict[str, float], force: bool = False) -> None:
        """Progress for `ablate status` (throttled) and metrics for MLflow (buffered). Main rank only."""
        if not self.is_main:
            return
        self.tracker.log(metrics, step)
        now = time.monotonic()
        if force or now - self._last_report > 1.0:
            self._last_report = now
            update_state(
                self.run.path,
                stage=stage,
                step=step,
                metrics=metrics,
                consumed={s: c.get(self.ledger.unit, 0) for s, c in self.ledger.consumed.items()},
            )

    def save_ledger(self) -> None:
        if self.is_main:
            self.ledger.save(self.run.path)


class RunJob(submitit.helpers.Checkpointable):
    """Checkpointable: on preemption submitit requeues this same callable; state comes from disk."""

    def __call__(self, work_dir: str) -> dict[str, Any]:
        return execute(Path(work_dir))

    def checkpoint(self, work_dir: str) -> submitit.helpers.DelayedSubmission:
        if os.environ.get("SUBMITIT_GLOBAL_ID", os.environ.get("SLURM_PROCID", "0")) in ("0", ""):
            update_state(Path(work_dir), status="requeued")
        return super().checkpoint(work_dir)


def execute(work_dir: Path) -> dict[str, Any]:
    run = Run.load(work_dir)
    rank, world = _distributed_setup()
    lock = run_lock.take(work_dir) if rank == 0 else None
    state = read_state(work_dir)
    if state.get("status") == "done":  # a duplicate or late submission: a done run is never executed again
        if lock is not None:
            lock.close()
        print(f"[{run.name}] is already done; this job does nothing", flush=True)
        return state.get("result") or {}
    try:
        check_planned(run)
        config = RunConfig.of(run.config)
    except (UnplannedRun, ValidationError) as e:
        if rank == 0:
            update_state(work_dir, status="failed", error=str(e), finished=time.time())
        if lock is not None:
            lock.close()
        raise
    ledger = Ledger.load(work_dir)
    tracker = JobTracker(run.tracking(), run.mlflow_run_id) if rank == 0 else JobTracker(None, None)
    checkpoints = CheckpointStore(work_dir / CHECKPOINTS_DIR, config.train.keep_checkpoints)
    ctx = JobContext(run, config, ledger, checkpoints, tracker, rank, world)
    if rank == 0:
        attempts = read_state(work_dir).get("attempts", 0) + 1
        update_state(
            work_dir,
            status="running",
            job_id=_job_id(),
            launcher=os.environ.get("SUBMITIT_EXECUTOR", "debug"),
            attempts=attempts,
            error=None,
            started=time.time(),
            **host_info(),
        )
        tracker.start()
    try:
        with sigterm_raises(rank == 0):
            result = load_job(run.job)(ctx)
    except BaseException as e:
        try:
            if isinstance(e, SystemExit) and read_state(work_dir).get("status") == "requeued":
                raise  # submitit exits this way after a preemption: the run goes on in the requeued job
            if rank == 0:
                update_state(work_dir, status="failed", error=_error_text(e), finished=time.time())
                status = "KILLED" if stopped_by_signal(e) else "FAILED"  # Ctrl-C, SIGTERM: nothing wrong with it
                _quietly(lambda: tracker.finish(status))
            raise
        finally:
            if lock is not None:
                lock.close()
    # The lock is held until the run says done: `ablate status` reads a held lock as "training", and a released
    # lock with the state still "running" would read as a job that vanished (and be relaunched).
    try:
        if rank == 0:
            ctx.save_ledger()
            update_state(work_dir, status="done", result=result, finished=time.time())
            tracker.finish("FINISHED")
    finally:
        if lock is not None:
            lock.close()
    return result


def _distributed_setup() -> tuple[int, int]:
    """One Slurm task per GPU: submitit exports MASTER_ADDR/RANK/WORLD_SIZE for torch.distributed (env://).
    Outside submitit, a launcher such as torchrun has set those variables already (or there is one process)."""
    try:
        env = submitit.JobEnvironment()
    except RuntimeError:  # not inside a submitit job: `ablate train` in a shell, or under torchrun
        return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if env.num_tasks > 1:
        submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
    return env.global_rank, env.num_tasks


def _job_id() -> str:
    try:
        return str(submitit.JobEnvironment().job_id)
    except RuntimeError:
        return f"pid{os.getpid()}"


def _error_text(e: BaseException) -> str:
    """What `ablate status` shows for a job that ended early: the signal, or the user's input problem, in one line;
    the traceback's tail for anything else."""
    if stopped_by_signal(e):
        return f"stopped by {signal_name(e)}; run again to resume from the last checkpoint"
    if isinstance(e, InputError):
        return f"{type(e).__module__}.{type(e).__name__}: {e}"
    return "\n".join("".join(traceback.format_exception(e)).splitlines()[-ERROR_TAIL_LINES:])


def _quietly(fn) -> None:
    with contextlib.suppress(Exception):  # the job's own error matters more than a tracking hiccup
        fn()
