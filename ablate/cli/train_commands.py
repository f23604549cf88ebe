"""`ablate train RECIPE [hydra overrides…]` and `ablate eval CHECKPOINT`: one run outside a sweep.

`train` composes the recipe with Hydra (your recipe tree, then the shipped one), plans its budget (`train.budget`
in the recipe) into a ledger, and runs the recipe's job kind in this process; the same command again resumes
from the latest checkpoint in `--out`. The work is `ablate.launch.single_run.run_single`; this file prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ablate.cli.recipes_option import RecipesOption


def register(app: typer.Typer) -> None:
    app.command("train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(train)
    app.command("eval")(evaluate)


def train(
    ctx: typer.Context,
    recipe: Annotated[str, typer.Argument(help="a recipe name (testbed/tiny) or a recipe file anywhere")],
    out: Annotated[Path | None, typer.Option(help="run directory (default runs/<recipe>-s<seed>)")] = None,
    seed: Annotated[int, typer.Option(help="init, data order and evaluation episodes")] = 0,
    recipes: RecipesOption = None,
) -> None:
    """Train one run of RECIPE with Hydra overrides (key=value …), then evaluate it as the recipe says."""
    from ablate.launch.single_run import run_single

    result = run_single(recipe, list(ctx.args), out=out, seed=seed, recipes=recipes, log=typer.echo)
    typer.echo(json.dumps(result.metrics, indent=2))
    typer.echo(f"run directory: {result.run_dir} ({result.status})")


def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="a run directory or one of its checkpoints/ckpt-*.pt files")],
    targets: Annotated[str, typer.Option(help="Robot/task,… e.g. Panda/lift,UR5e/lift")] = "",
    trials: Annotated[int, typer.Option(min=1, help="episodes per target")] = 10,
    seed: Annotated[int | None, typer.Option(help="episode seeds (default: the run's seed)")] = None,
    out: Annotated[Path | None, typer.Option(help="trial table to write (parquet or csv)")] = None,
    env: Annotated[str | None, typer.Option(help="where --targets run: testbed, metaworld, or registered")] = None,
) -> None:
    """Closed-loop evaluation of a trained checkpoint (testbed or --env); prints success per target."""
    from ablate import api

    result = api.evaluate(checkpoint, targets=targets, trials=trials, seed=seed, out=out, log=typer.echo, env=env)
    typer.echo(result.summary.to_string())
