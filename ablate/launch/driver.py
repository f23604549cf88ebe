"""The sweep driver: write the sweep directory, register runs in MLflow, launch what is not done or running.

Resume is the same call: finished runs are skipped, running ones adopted, failed or missing ones relaunched.
Killing the driver loses nothing: every fact it needs again is on disk (manifest, run.json, launch.json), and
the run lock in each work dir stops a duplicate submission from training a run twice.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ablate import atomic
from ablate.jobs.contract import Run, record_launch
from ablate.launch.launchers import LauncherSettings, make_executor, submit, submit_report
from ablate.launch.status import DONE, FAILED, NOT_LAUNCHED, RunStatus, run_statuses
from ablate.launch.sweep_dir import SweepDir
from ablate.report.sweep import wants_report
from ablate.spec.plan import Plan
from ablate.track import mlflow_runs

POLL_S = 1.0
REPORT_JOB = "report_job.json"
LOG_EVERY_S = 30.0  # progress lines when the output is not a terminal (a log file, CI)


def launch_sweep(
    plan: Plan,
    sweep: SweepDir,
    settings: LauncherSettings,
    tracking_uri: str,
    console: Console,
    wait: bool = False,
) -> list[RunStatus]:
    sweep.check_compatible(plan)
    sweep.check_frozen(plan)
    sweep.write(plan, tracking_uri)
    sweep.freeze(plan)
    _register_in_mlflow(plan, sweep, tracking_uri, console)
    dirs = [sweep.run_dir(r.id) for r in plan.runs]
    statuses = run_statuses(dirs)
    todo = [s.run.path for s in statuses if s.state in (FAILED, NOT_LAUNCHED)]
    n_done = sum(s.state == DONE for s in statuses)
    n_active = sum(s.active for s in statuses)
    console.print(
        f"[bold]{plan.spec.name}[/]: {len(dirs)} runs — {n_done} done, {n_active} running or pending "
        f"(adopted), {len(todo)} to launch on [bold]{settings.kind}[/]"
    )
    folder = sweep.root / "submitit"
    if settings.kind == "slurm":
        if todo:
            jobs = submit(make_executor(settings, folder, plan.spec.name), todo)
            for d, job in zip(todo, jobs, strict=True):
                record_launch(d, "slurm", job.job_id)
            array = jobs[0].job_id.split("_")[0]
            tasks = f"_[0-{len(jobs) - 1}]" if len(jobs) > 1 else ""
            console.print(f"submitted {len(jobs)} Slurm job(s): {array}{tasks}")
            if wants_report(plan.spec):
                _submit_report(plan, sweep, settings, folder, [array, *(s.job_id for s in statuses if s.active)])
                console.print(f"the report job starts when array {array} and every adopted run have ended")
        if not wait:
            return run_statuses(dirs)
        return _follow(dirs, [], settings, folder, plan, console)
    return _follow(dirs, todo, settings, folder, plan, console)


def _follow(
    dirs: list[Path], todo: list[Path], settings: LauncherSettings, folder: Path, plan: Plan, console: Console
) -> list[RunStatus]:
    """Run the local queue (at most `parallel` at once) and follow every run until none is active."""
    executor = make_executor(settings, folder, plan.spec.name) if todo else None
    queue, jobs = list(todo), []
    reported: set[str] = set()
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    started, last_line = time.monotonic(), 0.0
    with Progress(*columns, console=console, transient=True) as progress:
        runs_bar = progress.add_task("runs finished", total=len(dirs), detail="")
        budget_bar = progress.add_task("budget consumed", total=1.0, detail="")
        while True:
            statuses = run_statuses(dirs)
            for s in statuses:
                if s.state in (DONE, FAILED) and s.run.id not in reported and s.run.path not in queue:
                    reported.add(s.run.id)
                    _report(s, console)
            active = sum(s.active for s in statuses)
            while queue and active < settings.parallel:
                work = queue.pop(0)
                job = submit(executor, [work])[0]
                record_launch(work, settings.kind, job.job_id)
                jobs.append(job)
                if settings.kind == "debug":
                    _run_debug(job)
                else:
                    active += 1
            finished = sum(s.state in (DONE, FAILED) for s in statuses)
            share = _budget_share(statuses)
            progress.update(runs_bar, completed=finished, detail=f"{finished}/{len(dirs)}")
            progress.update(budget_bar, completed=share, detail=f"{share:.0%}")
            if not console.is_terminal and time.monotonic() - last_line >= LOG_EVERY_S:
                last_line = time.monotonic()
                console.print(_progress_line(finished, len(dirs), active, share, last_line - started))
            jobs = [j for j in jobs if not j.done()]  # polling reaps finished local processes
            if not queue and not any(s.active for s in statuses) and not jobs:
                final = run_statuses(dirs)
                for s in final:
                    if s.run.id not in reported and s.state in (DONE, FAILED):
                        _report(s, console)
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


def _budget_share(statuses: list[RunStatus]) -> float:
    """Share of the sweep's planned budget consumed so far, over every run (in each run's own unit)."""
    planned = sum(s.planned for s in statuses)
    return min(1.0, sum(min(s.consumed, s.planned) for s in statuses) / planned) if planned else 0.0


def _progress_line(finished: int, total: int, active: int, share: float, elapsed: float) -> str:
    eta = f", about {elapsed / share * (1 - share) / 60:.0f} min left" if share > 0.02 else ""
    return f"  {finished}/{total} runs finished, {active} running; {share:.0%} of the budget consumed{eta}"


def _run_debug(job) -> None:
    with contextlib.suppress(Exception):  # a failure is recorded in the run's state.json by the job itself
        job.result()  # DebugExecutor runs the job here, in this process


def _report(s: RunStatus, console: Console) -> None:
    if s.state == DONE:
        console.print(f"  [green]done[/]   {s.run.name}  {s.metric}")
    else:
        last = (s.error or "").strip().splitlines()[-1:] or ["?"]
        console.print(f"  [red]failed[/] {s.run.name}  {last[0]}", soft_wrap=True)


def _register_in_mlflow(plan: Plan, sweep: SweepDir, uri: str, console: Console) -> None:
    with console.status("registering the sweep and its runs in MLflow"):
        commit = mlflow_runs.git_commit(plan.project_root)
        exp_id, parent = mlflow_runs.ensure_parent(
            uri,
            plan.spec.name,
            {"ablate.spec_hash": plan.spec_hash, "git_commit": commit, "ablate.sweep_dir": str(sweep.root)},
        )
        for run in plan.runs:
            if Run.load(sweep.run_dir(run.id)).mlflow_run_id:  # registered by an earlier launch
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
