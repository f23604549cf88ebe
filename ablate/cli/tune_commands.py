"""`ablate tune SPEC`: matched tuning (one Optuna study per arm, the same space and number of trials), then the
final comparison of every arm's best config on all seeds: `ablate.api.tune` (the loop: `ablate/tune/loop.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ablate.cli.recipes_option import RecipesOption, plan_header
from ablate.cli.sweep_commands import LauncherOpt, OutOpt, ParallelOpt, TrackingOpt
from ablate.cli.sweep_views import LaunchDisplay, print_result, status_table


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)


def tune(
    spec: Annotated[Path, typer.Argument(help="sweep spec (YAML) with a tune: block", show_default=False)],
    trials: Annotated[int | None, typer.Option(min=1, help="trials per arm (default: the spec's tune.trials)")] = None,
    launcher: LauncherOpt = None,
    parallel: ParallelOpt = None,
    out: OutOpt = None,
    tracking_uri: TrackingOpt = None,
    final: Annotated[bool, typer.Option(help="then run every arm's best config on all seeds")] = True,
    recipes: RecipesOption = None,
) -> None:
    """Tune every arm alike (same space, sampler, seed and number of trials), then run the final comparison."""
    from ablate import api

    console = Console()
    p = api.plan(spec, recipes=recipes)
    typer.echo(plan_header(p))
    with LaunchDisplay(console) as display:
        result = api.tune(
            p,
            trials=trials,
            launcher=launcher,
            parallel=parallel,
            out=out,
            tracking_uri=tracking_uri,
            final=final,
            on_progress=display,
        )
    if result.stalled:  # a round in which no trial ended and no run was active
        console.print(status_table(result.runs))
        console.print(f"[red]tuning stalled: no trial ended[/]; see ablate status {result.tune_dir}")
        raise typer.Exit(1)
    console.print(_best_table(result))
    console.print(f"best configs: {result.best_path}")
    if result.failed_arms:
        console.print(
            f"[red]every tuning trial failed for arm(s) {', '.join(result.failed_arms)}[/]; "
            f"see ablate status {result.tune_dir}"
        )
        raise typer.Exit(1)
    if result.final is not None:
        print_result(console, result.final)
        if not result.final.ok:
            raise typer.Exit(1)


def _best_table(result) -> Table:
    t = result.plan.spec.tune
    title = f"matched tuning: {result.trials} trials per arm, {t.direction} {t.metric} (mean over seeds {t.seeds})"
    table = Table(title=title)
    for col in ("arm", "trials", "complete", f"best {t.metric}", "trial", *t.space):
        table.add_column(col)
    for a in result.arms:
        params = a.params or {}
        table.add_row(
            a.arm,
            str(a.trials),
            str(a.complete),
            f"{a.value:.4g}" if a.value is not None else "-",
            str(a.trial if a.trial is not None else "-"),
            *(
                f"{params[key]:.4g}" if isinstance(params.get(key), float) else str(params.get(key, "-"))
                for key in t.space
            ),
        )
    return table
