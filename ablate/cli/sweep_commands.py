"""`ablate plan | run | status | audit`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ablate.errors import InputError

SpecArg = Annotated[Path, typer.Argument(help="sweep spec (YAML)", show_default=False)]
SweepArg = Annotated[Path, typer.Argument(help="sweep directory (written by `ablate run`)", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("run")(run)
    app.command("status")(status)
    app.command("audit")(audit)


def plan(
    spec: SpecArg, as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False
) -> None:
    """Expand SPEC into arms and runs with their per-stage budgets. Writes nothing."""
    from ablate.spec.plan import make_plan

    p = make_plan(spec)
    if as_json:
        typer.echo(json.dumps(p.to_json(), indent=2))
        return
    console = Console()
    console.print(plan_table(p))
    b = p.spec.budget
    console.print(
        f"{len(p.arms)} arms × {len(p.spec.seeds)} seeds = {len(p.runs)} runs; "
        f"budget {b.per_run:g} {b.unit} per run, matched within {b.tolerance:.0%}"
    )


def plan_table(p) -> Table:
    table = Table(title=f"{p.spec.name} — recipe {p.spec.recipe}")
    table.add_column("arm")
    table.add_column("name")
    for factor in p.spec.factors:
        table.add_column(factor)
    table.add_column("budget per stage")
    for arm in p.arms:
        stages = "; ".join(
            f"{s.stage}: {s.steps} steps × {s.batch_size} = {s.planned:g} {s.unit}"
            if s.steps is not None
            else f"{s.stage}: {s.planned:g} {s.unit} (time-bound)"
            for s in arm.budget
        )
        table.add_row(arm.id, arm.name, *arm.levels.values(), stages)
    return table


def run(
    spec: SpecArg,
    launcher: Annotated[
        str | None, typer.Option(help="debug | local | slurm (default: the spec's launcher.kind)")
    ] = None,
    parallel: Annotated[int | None, typer.Option(help="local: runs at once; slurm: array parallelism cap")] = None,
    out: Annotated[Path | None, typer.Option(help="sweep directory (default: sweeps/<name>)")] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(help="MLflow URI (default: $MLFLOW_TRACKING_URI, else sqlite in the sweep dir)"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be launched; write nothing")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="slurm: follow the runs until they finish")] = False,
) -> None:
    """Launch (or resume) every run of SPEC that is not done or running."""
    from ablate.launch.sweep_dir import SweepDir
    from ablate.spec.plan import make_plan

    p = make_plan(spec)
    settings = _launcher_settings(p, launcher, parallel)
    sweep = SweepDir(out or Path("sweeps") / p.spec.name)
    console = Console()
    if p.spec.tune is not None:
        from ablate.tune.driver import read_best

        if dry_run and read_best(sweep.root) is None:
            console.print("[yellow]not tuned yet: the arms below carry the recipe's values (see `ablate tune`)[/]")
        else:
            untuned, p = p, tuned_plan(p, sweep)
            sweep.check_frozen(p, untuned=untuned)
    if dry_run:
        _dry_run(p, sweep, settings, console)
        return
    launch_and_report(p, sweep, settings, tracking_uri, console, wait)


def tuned_plan(p, sweep):
    """A spec with a `tune:` block runs its arms with their tuned values (from `ablate tune`)."""
    from ablate.tune.driver import final_plan, read_best

    best = read_best(sweep.root)
    missing = [a.name for a in p.arms if not (best and best["arms"].get(a.name, {}).get("params"))]
    if missing:
        raise InputError.single(
            p.spec_path,
            "tune",
            f"this spec tunes its arms first, and arm(s) {', '.join(missing[:3])} have no tuned values in "
            f"{sweep.root / 'tune' / 'best.json'}: run `ablate tune {p.spec_path}` "
            "(it tunes, then runs the comparison)",
        )
    return final_plan(p, best)


def launch_and_report(p, sweep, settings, tracking_uri: str | None, console: Console, wait: bool = False) -> None:
    """Launch (or resume) the plan's runs, print their table, success per arm and the report; exit 1 on failures."""
    from ablate.launch.driver import launch_sweep
    from ablate.track.mlflow_runs import default_tracking_uri

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(sweep.root)
    statuses = launch_sweep(p, sweep, settings, uri, console, wait=wait)
    console.print(status_table(statuses))
    table = _current_trials(sweep.root)
    trials = _success_summary(table, sweep.root, list(p.spec.factors), console)
    report = (
        _report(p.spec, table, sweep.root, console) if trials and not any(s.state == "failed" for s in statuses) else ""
    )
    console.print(f"sweep dir: {sweep.root}\nmanifest:  {sweep.manifest_path}\nMLflow:    {uri}" + trials + report)
    console.print(f"next: ablate status {sweep.root}   ·   ablate audit {sweep.root}")
    if any(s.state == "failed" for s in statuses):
        raise typer.Exit(1)


def _current_trials(root: Path):
    """The sweep's trial rows of the runs its manifest (this plan) lists."""
    from ablate.evaluate.trial_table import TRIALS_DIR, read_trials

    if not any((root / TRIALS_DIR).glob("*.parquet")):
        return None
    return read_trials(root)


def _success_summary(table, root: Path, factors: list[str], console) -> str:
    """Print closed-loop success per arm (descriptive, pooled over seeds); returns the trial table's path line."""
    from ablate.evaluate.trial_table import TRIALS_DIR, success_by_arm

    if table is None or table.empty:
        return ""
    summary = success_by_arm(table, [f for f in factors if f in table.columns])
    levels = [c for c in summary.columns if c not in ("successes", "trials", "rate", "per_seed")]
    out = Table(title="closed-loop success per arm (successes/trials over all seeds; descriptive, no test)")
    for col in [*levels, "success", "rate", "per seed"]:
        out.add_column(col)
    for _, row in summary.iterrows():
        out.add_row(*(str(row[c]) for c in levels), f"{row.successes}/{row.trials}", f"{row.rate:.2f}", row.per_seed)
    console.print(out)
    rows = f"{len(table)} rows of this plan's runs"
    return f"\ntrials:    {root / TRIALS_DIR} ({rows}; pandas.read_parquet reads the folder)"


def _report(spec, table, root: Path, console) -> str:
    """The spec's `report:` step and pre-registered hypotheses (`ablate.report.sweep`); returns the path line."""
    from ablate.report.sweep import REPORT_DIR, sweep_report

    result = sweep_report(spec, root, table)
    if result is None:
        return ""
    if result.get("confirmatory"):
        console.print("[bold]confirmatory verdicts[/bold] (pre-registered; frozen with the spec):")
        for line in result["confirmatory"]["verdicts"]:
            console.print(f"  - {line}", highlight=False, markup=False)
    label = "exploratory verdicts" if result.get("confirmatory") else "verdicts"
    console.print(f"[bold]{label}[/bold] (ablate report; methods in report.md):")
    for line in result["verdicts"]:
        console.print(f"  - {line}", highlight=False, markup=False)  # labels hold [factor=level]
    out = root / REPORT_DIR
    return f"\nreport:    {out / 'report.html'} (also report.md, tables.tex, results.json)"


def _launcher_settings(p, kind: str | None, parallel: int | None):
    from ablate.launch.launchers import LauncherSettings
    from ablate.launch.profiles import find_profile, load_profile

    kind = kind or p.spec.launcher.kind
    if kind not in ("debug", "local", "slurm"):
        raise InputError.single("--launcher", "", f"expected debug, local or slurm, got '{kind}'")
    parallel = parallel or p.spec.launcher.parallel
    if kind != "slurm":
        return LauncherSettings(kind, parallel=parallel or 2)
    if p.spec.launcher.profile is None:
        raise InputError.single(
            p.spec_path, "launcher.profile", "launching on slurm needs a profile (slurm/profiles/*.yaml)"
        )
    path = find_profile(p.spec.launcher.profile, p.project_root)
    profile = load_profile(path)
    if parallel:
        profile = profile.model_copy(update={"array_parallelism": parallel})
    return LauncherSettings(kind, parallel=profile.array_parallelism, profile=profile, profile_path=path)


def _dry_run(p, sweep, settings, console: Console) -> None:
    from ablate.launch.launchers import report_sbatch_preview, sbatch_preview
    from ablate.launch.status import DONE, run_statuses
    from ablate.report.sweep import wants_report

    console.print(plan_table(p))
    todo = p.runs
    sweep.check_frozen(p)
    if sweep.exists():
        states = {
            s.run.id: s.state
            for s in run_statuses([sweep.run_dir(r.id) for r in p.runs if sweep.run_dir(r.id).exists()])
        }
        todo = [r for r in p.runs if states.get(r.id) != DONE and states.get(r.id) not in ("running", "pending")]
    console.print(f"dry run: would launch {len(todo)} of {len(p.runs)} runs on {settings.kind} into {sweep.root}")
    for r in todo:
        stages = " + ".join(f"{s.stage} {s.steps if s.steps is not None else s.planned:g}" for s in p.arm(r.arm).budget)
        unit = "steps" if all(s.steps is not None for s in p.arm(r.arm).budget) else p.spec.budget.unit
        console.print(f"  {r.id}  {r.name}  ({stages} {unit})")
    if settings.kind == "slurm" and todo:
        console.print(
            f"[bold]sbatch script[/] (profile {settings.profile_path}; one array of {len(todo)} tasks, "
            f"at most {settings.profile.array_parallelism} at once):"
        )
        console.print(
            sbatch_preview(settings, sweep.root / "submitit", p.spec.name, len(todo)),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        if wants_report(p.spec):
            console.print("[bold]then the report job[/] (one CPU task; starts when every task of the array has ended):")
            console.print(
                report_sbatch_preview(settings, sweep.root / "submitit", p.spec.name),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def status_table(statuses) -> Table:
    table = Table()
    for col in ("run", "state", "job", "stage", "consumed", "last metric"):
        table.add_column(col)
    colors = {"done": "green", "failed": "red", "running": "cyan", "pending": "yellow"}
    for s in statuses:
        consumed = f"{s.consumed:g}/{s.planned:g} {s.unit}"
        state = f"[{colors.get(s.state, 'white')}]{s.state}[/]" + (f" ×{s.attempts}" if s.attempts > 1 else "")
        table.add_row(s.run.name, state, s.job_id or "-", s.stage or "-", consumed, s.metric)
    return table


def status(sweep: SweepArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One row per run: state, job id, stage, budget consumed, last metric; the error tail of failed runs."""
    from ablate.launch.status import run_statuses
    from ablate.launch.sweep_dir import SweepDir

    statuses = run_statuses(SweepDir(sweep).run_dirs())
    if as_json:
        rows = [
            {
                "run": s.run.id,
                "name": s.run.name,
                "arm": s.run.arm,
                "seed": s.run.seed,
                "state": s.state,
                "job_id": s.job_id,
                "stage": s.stage,
                "consumed": s.consumed,
                "planned": s.planned,
                "unit": s.unit,
                "metric": s.metric,
                "attempts": s.attempts,
                "error": s.error,
            }
            for s in statuses
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    console = Console()
    console.print(status_table(statuses))
    for s in statuses:
        if s.state == "failed" and s.error:
            console.print(f"[red]{s.run.name} failed:[/]", markup=True)
            console.print(s.error, markup=False, highlight=False, soft_wrap=True)
    counts = {
        state: sum(s.state == state for s in statuses)
        for state in ("done", "running", "pending", "failed", "not launched")
    }
    console.print(", ".join(f"{n} {k}" for k, n in counts.items() if n))


def audit(
    sweep: SweepArg,
    tolerance: Annotated[float | None, typer.Option(help="override the spec's tolerance")] = None,
) -> None:
    """Planned vs consumed budget per run and stage; exit 1 when any run deviates beyond the tolerance."""
    from ablate.budget.ledger import Ledger
    from ablate.launch.sweep_dir import SweepDir

    console = Console()
    table = Table(title="budget audit: planned vs consumed")
    for col in ("run", "stage", "unit", "planned", "consumed", "deviation", "by embodiment", "ok"):
        table.add_column(col)
    failures = 0
    for work in SweepDir(sweep).run_dirs():
        ledger = Ledger.load(work)
        if ledger is None:
            failures += 1
            table.add_row(work.name, "-", "-", "-", "-", "-", "-", "[red]no ledger[/]")
            continue
        if tolerance is not None:
            ledger.tolerance = tolerance
        for row in ledger.deviations():
            failures += not row["ok"]
            emb = ", ".join(f"{k}:{v}" for k, v in row["by_embodiment"].items())
            table.add_row(
                work.name,
                row["stage"],
                row["unit"],
                f"{row['planned']:g}",
                f"{row['consumed']:g}",
                f"{row['deviation']:+.2%}",
                emb,
                "[green]yes[/]" if row["ok"] else "[red]NO[/]",
            )
    console.print(table)
    if failures:
        console.print(f"[red]{failures} stage(s) deviate from the plan by more than the tolerance[/]")
        raise typer.Exit(1)
    console.print("[green]every run consumed its planned budget[/]")
