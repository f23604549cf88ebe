"""`ablate plan | run | status | audit`: parse the arguments, call `ablate.api`, print (`sweep_views`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ablate.cli.recipes_option import RecipesOption, plan_header
from ablate.cli.sweep_views import LaunchDisplay, plan_table, print_preview, print_result, print_status

SpecArg = Annotated[Path, typer.Argument(help="sweep spec (YAML)", show_default=False)]
SweepArg = Annotated[Path, typer.Argument(help="sweep directory (written by `ablate run`)", show_default=False)]
LauncherOpt = Annotated[str | None, typer.Option(help="debug | local | slurm (default: the spec's launcher.kind)")]
ParallelOpt = Annotated[int | None, typer.Option(help="local: runs at once; slurm: array parallelism cap")]
OutOpt = Annotated[Path | None, typer.Option(help="sweep directory (default: sweeps/<name>)")]
TrackingOpt = Annotated[
    str | None, typer.Option(help="MLflow URI (default: $MLFLOW_TRACKING_URI, else sqlite in the sweep dir)")
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("run")(run)
    app.command("status")(status)
    app.command("audit")(audit)


def plan(
    spec: SpecArg,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as JSON")] = False,
    recipes: RecipesOption = None,
) -> None:
    """Expand SPEC into arms and runs with their per-stage budgets. Writes nothing."""
    from ablate import api

    p = api.plan(spec, recipes=recipes)
    if as_json:
        typer.echo(plan_header(p), err=True)  # stdout holds the JSON alone
        typer.echo(json.dumps(p.to_json(), indent=2))
        return
    console = Console()
    typer.echo(plan_header(p))
    console.print(plan_table(p))
    b = p.spec.budget
    console.print(
        f"{len(p.arms)} arms × {len(p.spec.seeds)} seeds = {len(p.runs)} runs; "
        f"budget {b.per_run:g} {b.unit} per run, matched within {b.tolerance:.0%}"
    )


def run(
    spec: SpecArg,
    launcher: LauncherOpt = None,
    parallel: ParallelOpt = None,
    out: OutOpt = None,
    tracking_uri: TrackingOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be launched; write nothing")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="slurm: follow the runs until they finish")] = False,
    recipes: RecipesOption = None,
) -> None:
    """Launch (or resume) every run of SPEC that is not done or running."""
    from ablate import api

    console = Console()
    p = api.plan(spec, recipes=recipes)
    typer.echo(plan_header(p))
    if dry_run:
        print_preview(console, api.dry_run(p, launcher=launcher, parallel=parallel, out=out))
        return
    with LaunchDisplay(console) as display:
        result = api.run_sweep(
            p,
            launcher=launcher,
            parallel=parallel,
            out=out,
            tracking_uri=tracking_uri,
            wait=wait,
            on_progress=display,
        )
    print_result(console, result)
    if not result.ok:
        raise typer.Exit(1)


def status(sweep: SweepArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One row per run: state, job id, stage, budget consumed, last metric; the error tail of failed runs."""
    from ablate import api

    result = api.status(sweep)
    if as_json:
        keys = ("state", "job_id", "stage", "consumed", "planned", "unit", "metric", "attempts", "error")
        rows = [
            {"run": s.run.id, "name": s.run.name, "arm": s.run.arm, "seed": s.run.seed}
            | {k: getattr(s, k) for k in keys}
            for s in result.runs
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    print_status(Console(), result)


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
