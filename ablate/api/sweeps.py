"""Sweeps from Python: plan a spec, preview or run its launch, read where its runs stand. Heavy modules (MLflow,
submitit, pandas) load inside the calls that need them: planning and reading a sweep stay fast and torch-free."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ablate.api.results import LaunchPreview, SweepResult, SweepStatus
from ablate.launch.progress import OnProgress
from ablate.layout import SUBMITIT_DIR

if TYPE_CHECKING:
    from ablate.launch.launchers import LauncherSettings
    from ablate.launch.sweep_dir import SweepDir
    from ablate.spec.plan import Plan

SWEEPS = Path("sweeps")  # a sweep's default directory is sweeps/<name>, relative to where it is started


def plan(spec: str | Path, *, recipes: str | Path | None = None) -> Plan:
    """Validate the sweep spec and expand it into arms × seeds with their matched per-stage budgets. Writes nothing.

    `recipes`: your recipe tree, searched before the shipped one (default: $ABLATE_RECIPES, else a `recipes/`
    folder beside the spec or above it; `plan.tree.dirs.describe()` says which were used). Raises
    `ablate.errors.InputError` naming file, line and key path for a bad spec."""
    from ablate.spec.plan import make_plan

    return make_plan(spec, recipes)


def dry_run(
    spec: str | Path | Plan,
    *,
    launcher: str | None = None,
    parallel: int | None = None,
    out: str | Path | None = None,
    recipes: str | Path | None = None,
) -> LaunchPreview:
    """What `run_sweep` with the same arguments would launch (runs not done nor active), and for Slurm the sbatch
    scripts it would submit. Writes nothing."""
    from ablate.launch.launchers import launcher_settings, report_sbatch_preview, sbatch_preview
    from ablate.launch.status import DONE, run_statuses
    from ablate.report.sweep import wants_report

    p = _as_plan(spec, recipes)
    settings = launcher_settings(p, launcher, parallel)
    sweep = _sweep_dir(p, out)
    tuned = True
    if p.spec.tune is not None:
        from ablate.tune.driver import read_best

        tuned = read_best(sweep.root) is not None
        if tuned:
            p = _tuned(p, sweep)
    sweep.check_frozen(p)
    todo = p.runs
    if sweep.exists():
        existing = [sweep.run_dir(r.id) for r in p.runs if sweep.run_dir(r.id).exists()]
        states = {s.run.id: s.state for s in run_statuses(existing)}
        todo = [r for r in p.runs if states.get(r.id) != DONE and states.get(r.id) not in ("running", "pending")]
    sbatch = report = None
    if settings.kind == "slurm" and todo:
        folder = sweep.root / SUBMITIT_DIR
        sbatch = sbatch_preview(settings, folder, p.spec.name, len(todo))
        report = report_sbatch_preview(settings, folder, p.spec.name) if wants_report(p.spec) else None
    return LaunchPreview(p, sweep.root, settings, tuple(todo), sbatch, report, tuned)


def run_sweep(
    spec: str | Path | Plan,
    *,
    launcher: str | None = None,
    parallel: int | None = None,
    out: str | Path | None = None,
    tracking_uri: str | None = None,
    wait: bool = False,
    recipes: str | Path | None = None,
    on_progress: OnProgress = None,
) -> SweepResult:
    """Launch (or resume) every run of the spec that is not done or running, follow them, then collect the trial
    table and write the spec's report (`<sweep>/report/`) when every run is done.

    `spec`: a spec file or a `Plan` from `plan()`. `launcher`: debug | local | slurm (default: the spec's);
    `parallel`: runs at once (local) or the array's parallelism cap (Slurm); `out`: the sweep directory (default
    `sweeps/<name>`); `tracking_uri`: MLflow (default `$MLFLOW_TRACKING_URI`, else sqlite in the sweep dir); `wait`:
    on Slurm, follow the runs until they end (otherwise return once submitted). Progress goes to `on_progress` as
    `Progress` events; None is silent. A failed run does not raise: see `SweepResult.ok` and `.failed`. A spec with
    a `tune:` block runs its tuned arms (see `tune`). Bad input raises `InputError` before anything is launched."""
    from ablate.launch.launchers import check_scheduler, launcher_settings

    p = _as_plan(spec, recipes)
    settings = launcher_settings(p, launcher, parallel)
    sweep = _sweep_dir(p, out)
    if p.spec.tune is not None:
        p = _tuned(p, sweep)
    check_scheduler(settings)
    with sweep.driving():
        return launch(p, sweep, settings, tracking_uri, wait, on_progress)


def status(sweep_dir: str | Path) -> SweepStatus:
    """Where every run of the sweep in `sweep_dir` stands: state, job id, stage, budget consumed, last metric and,
    for a failed run, its error's tail. Reads files and asks the scheduler; changes nothing."""
    from ablate.launch.status import run_statuses
    from ablate.launch.sweep_dir import SweepDir

    sweep = SweepDir(sweep_dir)
    return SweepStatus(sweep.root, tuple(run_statuses(sweep.run_dirs())))


def launch(
    p: Plan,
    sweep: SweepDir,
    settings: LauncherSettings,
    tracking_uri: str | None,
    wait: bool,
    on_progress: OnProgress,
) -> SweepResult:
    """Launch and follow a plan's runs, then collect its trials and report (shared by `run_sweep` and `tune`)."""
    from ablate.launch.driver import launch_sweep

    uri = tracking_uri_for(sweep.root, tracking_uri)
    statuses = launch_sweep(p, sweep, settings, uri, on_progress, wait=wait)
    from ablate.layout import REPORT_DIR, TRIALS_DIR
    from ablate.trials import has_trials, read_trials, success_by_arm

    table = read_trials(sweep.root) if has_trials(sweep.root) else None  # the rows of the runs this plan lists
    if table is None or table.empty:
        from ablate.report.sweep import sweep_report

        # No closed loop: the arms are compared on their offline error, when every run has measured it.
        analysis = sweep_report(p.spec, sweep.root) if table is None else None
        report_dir = sweep.root / REPORT_DIR if analysis is not None else None
        return SweepResult(p, sweep.root, tuple(statuses), uri, report_dir=report_dir, analysis=analysis)
    success = success_by_arm(table, [f for f in p.spec.factors if f in table.columns])
    from ablate.report.sweep import sweep_report, wants_report, withheld

    reason = withheld(sweep.root) if wants_report(p.spec) else None
    analysis = sweep_report(p.spec, sweep.root, table) if reason is None else None
    report_dir = sweep.root / REPORT_DIR if analysis is not None else None
    return SweepResult(
        p, sweep.root, tuple(statuses), uri, sweep.root / TRIALS_DIR, len(table), success, report_dir, analysis, reason
    )


def tracking_uri_for(sweep_root: Path, given: str | None = None) -> str:
    """The MLflow store: the one given, else `$MLFLOW_TRACKING_URI`, else sqlite in the sweep directory."""
    from ablate.track.mlflow_runs import default_tracking_uri

    return given or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(sweep_root)


def _as_plan(spec: str | Path | Plan, recipes: str | Path | None) -> Plan:
    from ablate.spec.plan import Plan

    return spec if isinstance(spec, Plan) else plan(spec, recipes=recipes)


def _sweep_dir(p: Plan, out: str | Path | None) -> SweepDir:
    from ablate.launch.sweep_dir import SweepDir

    return SweepDir(out or SWEEPS / p.spec.name)


def _tuned(p: Plan, sweep: SweepDir) -> Plan:
    """A spec with a `tune:` block runs its arms with their tuned values; refused (InputError) before tuning."""
    from ablate.tune.driver import tuned_plan

    tuned = tuned_plan(p, sweep.root)
    sweep.check_frozen(tuned, untuned=p)
    return tuned
