"""`ablate tune SPEC`: matched tuning (one Optuna study per arm, the same space and number of trials), then the
final comparison of every arm's best config on all seeds (`ablate/tune/driver.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ablate.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("tune")(tune)


def tune(
    spec: Annotated[Path, typer.Argument(help="sweep spec (YAML) with a tune: block", show_default=False)],
    trials: Annotated[int | None, typer.Option(min=1, help="trials per arm (default: the spec's tune.trials)")] = None,
    launcher: Annotated[str | None, typer.Option(help="debug | local | slurm (default: the spec's)")] = None,
    parallel: Annotated[int | None, typer.Option(help="local: runs at once; slurm: array parallelism cap")] = None,
    out: Annotated[Path | None, typer.Option(help="sweep directory (default: sweeps/<name>)")] = None,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow URI (default: sqlite in the sweep dir)")] = None,
    final: Annotated[bool, typer.Option(help="then run every arm's best config on all seeds")] = True,
) -> None:
    """Tune every arm alike (same space, sampler, seed and number of trials), then run the final comparison."""
    from ablate.cli.sweep_commands import _launcher_settings, launch_and_report
    from ablate.launch.driver import launch_sweep
    from ablate.launch.sweep_dir import SweepDir
    from ablate.spec.plan import make_plan
    from ablate.track.mlflow_runs import default_tracking_uri
    from ablate.tune import driver

    p = make_plan(spec)
    if p.spec.tune is None:
        raise InputError.single(
            spec, "tune", "this spec has no tune: block (expected {space: {optim.lr: {low, high, log}}, budget: …})"
        )
    k = trials or p.spec.tune.trials
    settings = _launcher_settings(p, launcher, parallel)
    sweep = SweepDir(out or Path("sweeps") / p.spec.name)
    best = driver.read_best(sweep.root)
    tuned = driver.final_plan(p, best) if best and all(b.get("params") for b in best["arms"].values()) else None
    sweep.check_frozen(tuned or p, untuned=p, check_runs=tuned is not None)
    sweep.freeze(p, with_runs=False)  # the hypotheses (and the untuned arms) are frozen before any trial runs
    tune_dir = SweepDir(sweep.root / "tune")
    tune_dir.root.mkdir(parents=True, exist_ok=True)
    console = Console()
    url = driver.storage_url(p, tune_dir.root)
    uri = tracking_uri or default_tracking_uri(sweep.root)
    studies = driver.open_studies(p, url)
    console.print(
        f"[bold]tuning[/] {len(p.arms)} arms × {k} trials (the same space, {p.spec.tune.sampler} sampler seed "
        f"{p.spec.tune.sampler_seed}), {p.spec.tune.budget.per_run:g} {p.spec.tune.budget.unit} per trial on seeds "
        f"{p.spec.tune.seeds}; Optuna storage {url}"
    )
    while True:
        driver.ask_round(p, studies, k)
        if driver.finished(studies, k):
            break
        tplan, owner = driver.trial_plan(p, studies, k)
        statuses = launch_sweep(tplan, tune_dir, settings, uri, console, wait=True)
        if not driver.tell_finished(p, studies, statuses, owner) and not any(s.active for s in statuses):
            raise typer.Exit(1)  # nothing ended and nothing runs: the status table says why
    best = driver.best_configs(p, studies, k)
    path = driver.write_best(tune_dir.root, p, best, k)
    console.print(_best_table(p, best, k))
    console.print(f"best configs: {path}")
    failed = [name for name, b in best.items() if "params" not in b]
    if failed:
        console.print(
            f"[red]every tuning trial failed for arm(s) {', '.join(failed)}[/]; see ablate status {tune_dir.root}"
        )
        raise typer.Exit(1)
    if final:
        console.print("[bold]final comparison[/]: every arm's best config, the spec's budget, all seeds")
        launch_and_report(driver.final_plan(p, {"arms": best}), sweep, settings, tracking_uri, console)


def _best_table(p, best: dict, k: int) -> Table:
    t = p.spec.tune
    table = Table(title=f"matched tuning: {k} trials per arm, {t.direction} {t.metric} (mean over seeds {t.seeds})")
    for col in ("arm", "trials", "complete", f"best {t.metric}", "trial", *t.space):
        table.add_column(col)
    for arm in p.arms:
        b = best[arm.name]
        params = b.get("params", {})
        table.add_row(
            arm.name,
            str(b["trials"]),
            str(b["complete"]),
            f"{b['value']:.4g}" if "value" in b else "-",
            str(b.get("trial", "-")),
            *(
                f"{params[key]:.4g}" if isinstance(params.get(key), float) else str(params.get(key, "-"))
                for key in t.space
            ),
        )
    return table
