"""The sweep driver: write the sweep directory, register runs in MLflow, launch what is not done or running.

Resume is the same call: finished runs are skipped, running ones adopted, failed or missing ones relaunched.
Killing the driver loses nothing: every fact it needs again is on disk (manifest, run.json, launch.json), and
the run lock in each work dir stops a duplicate submission from training a run twice.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from ablate import atomic
from ablate.jobs.contract import record_launch
from ablate.launch.launchers import LauncherSettings, make_executor, submit, submit_report
from ablate.launch.progress import RUN, START, TICK, OnProgress, emit
from ablate.launch.status import DONE, FAILED, JOB_VANISHED, NOT_LAUNCHED, UNKNOWN, RunStatus, run_statuses
from ablate.launch.sweep_dir import SweepDir
from ablate.layout import SUBMITIT_DIR
from ablate.report.sweep import wants_report
from ablate.spec.plan import Plan
from ablate.track import mlflow_runs

POLL_S = 1.0
REPORT_JOB = "report_job.json"


def launch_sweep(
    plan: Plan,
    sweep: SweepDir,
    settings: LauncherSettings,
    tracking_uri: str,
    on_progress: OnProgress = None,
    wait: bool = False,
) -> list[RunStatus]:
    """Write the sweep dir, register the runs in MLflow and launch every run not done or running; return the runs'
    statuses when none is active any more (local, debug, or Slurm with `wait`), else right after the Slurm
    submission. Progress goes to `on_progress` (see `ablate.launch.progress`)."""
    sweep.check_compatible(plan)
    sweep.check_frozen(plan)
    sweep.write(plan, tracking_uri)
    sweep.freeze(plan)
    emit(on_progress, "registering the sweep and its runs in MLflow", total=len(plan.runs))
    _register_in_mlflow(plan, sweep, tracking_uri)
    dirs = [sweep.run_dir(r.id) for r in plan.runs]
    statuses = run_statuses(dirs)
    todo = [s.run.path for s in statuses if s.state in (FAILED, NOT_LAUNCHED)]
    for s in statuses:
        _say_killed(s)  # killed while no driver watched: MLflow says so until the relaunch
    n_done = sum(s.state == DONE for s in statuses)
    n_unknown = sum(s.state == UNKNOWN for s in statuses)
    n_active = sum(s.active for s in statuses) - n_unknown
    unknown = f", {n_unknown} unknown (the scheduler could not be asked: not relaunched)" if n_unknown else ""
    emit(
        on_progress,
        f"{plan.spec.name}: {len(dirs)} runs — {n_done} done, {n_active} running or pending "
        f"(adopted){unknown}, {len(todo)} to launch on {settings.kind}",
        **_counts(statuses),
        kind=START,
    )
    folder = sweep.root / SUBMITIT_DIR
    if settings.kind == "slurm":
        if todo:
            jobs = submit(make_executor(settings, folder, plan.spec.name), todo)
            for d, job in zip(todo, jobs, strict=True):
                record_launch(d, "slurm", job.job_id)
            array = jobs[0].job_id.split("_")[0]
            tasks = f"_[0-{len(jobs) - 1}]" if len(jobs) > 1 else ""
            emit(on_progress, f"submitted {len(jobs)} Slurm job(s): {array}{tasks}", **_counts(statuses))
            if wants_report(plan.spec):
                _submit_report(plan, sweep, settings, folder, [array, *(s.job_id for s in statuses if s.active)])
                emit(on_progress, f"the report job starts when array {array} and every adopted run have ended")
        if not wait:
            return run_statuses(dirs)
        return _follow(dirs, [], settings, folder, plan, on_progress)
    return _follow(dirs, todo, settings, folder, plan, on_progress)


def _follow(
    dirs: list[Path], todo: list[Path], settings: LauncherSettings, folder: Path, plan: Plan, on_progress: OnProgress
) -> list[RunStatus]:
    """Run the local queue (at most `parallel` at once) and follow every run until none is active."""
    executor = make_executor(settings, folder, plan.spec.name) if todo else None
    queue, jobs = list(todo), []
    reported: set[str] = set()
    started, first_share, last = time.monotonic(), None, None
    while True:
        statuses = run_statuses(dirs)
        for s in statuses:
            if s.state in (DONE, FAILED) and s.run.id not in reported and s.run.path not in queue:
                reported.add(s.run.id)
                _run_ended(s, statuses, on_progress)
                _say_killed(s)
        active = sum(s.active for s in statuses)
        while queue and active < settings.parallel:
            work = queue.pop(0)
            job = submit(executor, [work])[0]
            record_launch(work, settings.kind, job.job_id)
            if settings.kind == "debug":
                _run_debug(job)  # it runs now, here: polling it again would run a failed job a second time
            else:
                jobs.append(job)
                active += 1
        counts = _counts(statuses) | {"active": active}
        share = min(1.0, counts["consumed"] / counts["planned"]) if counts["planned"] else 0.0
        first_share = share if first_share is None else first_share
        now = (counts["done"], active, round(share * 100))
        if now != last:  # an event when the counts move, not every poll
            last = now
            eta = _eta(time.monotonic() - started, first_share, share)
            emit(
                on_progress,
                _progress_line(counts["done"], len(dirs), active, share, eta),
                **counts,
                eta_s=eta,
                kind=TICK,
            )
        jobs = [j for j in jobs if not j.done()]  # polling reaps finished local processes
        if not queue and not any(s.active for s in statuses) and not jobs:
            final = run_statuses(dirs)
            for s in final:
                if s.run.id not in reported and s.state in (DONE, FAILED):
                    _run_ended(s, final, on_progress)
            return final
        time.sleep(POLL_S)


def _submit_report(plan: Plan, sweep: SweepDir, settings, folder: Path, job_ids: list[str | None]) -> None:
    """One report job per sweep, after every run launched or adopted now; an earlier one (it would report
    part of the runs) is cancelled."""
    import subprocess

    earlier = atomic.read_json(sweep.root / REPORT_JOB)
    if earlier:
        subprocess.run(["scancel", earlier["job_id"]], capture_output=True, check=False)
    after = sorted({j.split("_")[0] for j in job_ids if j})  # an array's id covers all its tasks
    report = submit_report(settings, folder, plan.spec.name, sweep.root, ":".join(after))
    atomic.write_json(sweep.root / REPORT_JOB, {"job_id": report.job_id, "after": after})


def _counts(statuses: list[RunStatus]) -> dict:
    """Runs finished and running, and the budget consumed (each run capped at its plan) of the planned."""
    return {
        "done": sum(s.state in (DONE, FAILED) for s in statuses),
        "total": len(statuses),
        "active": sum(s.active for s in statuses),
        "consumed": sum(min(s.consumed, s.planned) for s in statuses),
        "planned": sum(s.planned for s in statuses),
    }


def _eta(elapsed: float, first_share: float, share: float) -> float | None:
    """Seconds left at the pace since this launch began (budget consumed before it, by a resumed run, excluded)."""
    gained = share - first_share
    return elapsed / gained * (1 - share) if gained > 0.02 else None


def _progress_line(finished: int, total: int, active: int, share: float, eta: float | None) -> str:
    left = f", about {eta / 60:.0f} min left" if eta is not None else ""
    return f"  {finished}/{total} runs finished, {active} running; {share:.0%} of the budget consumed{left}"


def _run_debug(job) -> None:
    with contextlib.suppress(Exception):  # a failure is recorded in the run's state.json by the job itself
        job.result()  # DebugExecutor runs the job here, in this process


def _run_ended(s: RunStatus, statuses: list[RunStatus], on_progress: OnProgress) -> None:
    if s.state == DONE:
        line = f"  done   {s.run.name}  {s.metric}"
    else:
        last = (s.error or "").strip().splitlines()[-1:] or ["?"]
        line = f"  failed {s.run.name}  {last[0]}"
    emit(on_progress, line, **_counts(statuses), kind=RUN, run=s)


def _say_killed(s: RunStatus) -> None:
    """A run whose job ended without reporting (killed) is KILLED in MLflow, not RUNNING forever."""
    if s.state == FAILED and (s.error or "").startswith(JOB_VANISHED) and s.run.mlflow_run_id and s.run.tracking():
        with contextlib.suppress(Exception):  # bookkeeping: never the reason a sweep stops
            mlflow_runs.mark_killed(s.run.tracking(), s.run.mlflow_run_id)


def _register_in_mlflow(plan: Plan, sweep: SweepDir, uri: str) -> None:
    commit = mlflow_runs.git_commit(plan.project_root)
    exp_id, parent = mlflow_runs.ensure_parent(
        uri,
        plan.spec.name,
        {"ablate.spec_hash": plan.spec_hash, "git_commit": commit, "ablate.sweep_dir": str(sweep.root)},
    )
    # Asked of the store itself, not read from run.json: a sweep moved or copied, or launched with another
    # --tracking-uri, must log into the store it uses now, under the ids that store knows.
    registered = mlflow_runs.children(uri, exp_id)
    for run in plan.runs:
        if run.id in registered:
            sweep.set_mlflow_id(run.id, registered[run.id])
            continue
        arm = plan.arm(run.arm)
        tags = {
            "sweep": plan.spec.name,
            "arm": arm.name,
            "arm_id": arm.id,
            "seed": str(run.seed),
            "config_hash": arm.id,
            "git_commit": commit,
        }
        params = {f"level.{k}": v for k, v in arm.levels.items()} | {"seed": run.seed}
        params |= mlflow_runs.flatten(arm.config)
        mlflow_id = mlflow_runs.ensure_child(uri, exp_id, parent, run.id, run.name, tags, params)
        sweep.set_mlflow_id(run.id, mlflow_id)
