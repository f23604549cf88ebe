"""`ablate train RECIPE [hydra overrides…]` and `ablate eval CHECKPOINT`: one run outside a sweep.

`train` composes the recipe with Hydra, plans its budget (`train.budget` in the recipe) into a ledger, and runs
the recipe's job kind in this process; the same command again resumes from the latest checkpoint in `--out`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ablate.errors import InputError

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def register(app: typer.Typer) -> None:
    app.command("train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(train)
    app.command("eval")(evaluate)


def recipe_name(recipe: str, recipes_dir: Path = RECIPES) -> str:
    """`testbed/tiny`, `testbed/tiny.yaml` and a path to the file all name the recipe `testbed/tiny`."""
    name = recipe.removesuffix(".yaml")
    file = Path(f"{name}.yaml")
    if not file.is_file():
        return name
    try:
        return str(file.resolve().relative_to(recipes_dir).with_suffix(""))
    except ValueError:
        raise InputError.single(
            file, "", f"a recipe must live under {recipes_dir} (its defaults name groups there)"
        ) from None


def compose(recipe: str, overrides: list[str], recipes_dir: Path = RECIPES) -> dict:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not (recipes_dir / f"{recipe}.yaml").is_file():
        raise InputError.single(recipes_dir / f"{recipe}.yaml", "", f"no recipe '{recipe}' in {recipes_dir}")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(recipes_dir), version_base="1.3"):
            cfg = hydra_compose(config_name=recipe, overrides=overrides)
        return OmegaConf.to_container(cfg, resolve=True)
    except (HydraException, OmegaConfBaseException) as e:
        raise InputError.single(recipes_dir / f"{recipe}.yaml", "", f"cannot compose with {overrides}: {e}") from e


def train(
    ctx: typer.Context,
    recipe: Annotated[str, typer.Argument(help="recipe under recipes/, e.g. testbed/tiny")],
    out: Annotated[Path | None, typer.Option(help="run directory (default runs/<recipe>-s<seed>)")] = None,
    seed: Annotated[int, typer.Option(help="init, data order and evaluation episodes")] = 0,
) -> None:
    """Train one run of RECIPE with Hydra overrides (key=value …), then evaluate it as the recipe says."""
    from ablate.budget.ledger import Ledger
    from ablate.budget.matching import BudgetError, plan_stages
    from ablate.jobs.contract import Run
    from ablate.jobs.registry import known_kinds
    from ablate.spec.schema import BudgetSpec

    overrides = list(ctx.args)
    recipe = recipe_name(recipe)
    config = compose(recipe, overrides)
    where = RECIPES / f"{recipe}.yaml"
    if config.get("job") not in known_kinds():
        raise InputError.single(where, "job", f"unknown job kind {config.get('job')!r}; known: {sorted(known_kinds())}")
    budget_cfg = (config.get("train") or {}).get("budget")
    if not budget_cfg:
        raise InputError.single(where, "train.budget", "needs {unit, per_run} for a run outside a sweep")
    try:
        stages = plan_stages(config, BudgetSpec(**budget_cfg))
    except (BudgetError, ValueError) as e:
        raise InputError.single(where, "train.budget", str(e)) from e
    work = (out or Path("runs") / f"{recipe.replace('/', '-')}-s{seed}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    name = work.name
    existing = work / "run.json"
    if existing.is_file() and json.loads(existing.read_text())["config"] != config:
        raise InputError.single(existing, "config", "this run directory holds a different config; choose another --out")
    if not existing.is_file():  # under torchrun every rank gets here and writes the same files, atomically
        Ledger.new(budget_cfg["unit"], float(budget_cfg.get("tolerance", 0.01)), [s.to_dict() for s in stages]).save(
            work
        )
        Run(name, name, "train", name, {}, seed, config["job"], config, str(work)).save()  # last: run.json ⇒ ledger
    from ablate.jobs.entry import execute

    result = execute(work)
    typer.echo(json.dumps({k: v for k, v in result.items() if isinstance(v, int | float)}, indent=2))
    typer.echo(f"run directory: {work}")


def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="a run directory or one of its checkpoints/ckpt-*.pt files")],
    targets: Annotated[str, typer.Option(help="Robot/task,… e.g. Panda/lift,UR5e/lift")] = "",
    trials: Annotated[int, typer.Option(min=1, help="episodes per target")] = 10,
    seed: Annotated[int | None, typer.Option(help="episode seeds (default: the run's seed)")] = None,
    out: Annotated[Path | None, typer.Option(help="trial table to write (parquet or csv)")] = None,
) -> None:
    """Closed-loop evaluation of a trained checkpoint on the testbed; prints success per target."""
    from ablate.evaluate.checkpoint import evaluate_checkpoint

    table = evaluate_checkpoint(checkpoint, targets, trials, seed, out)
    summary = table.groupby(["embodiment", "task"])[["success", "progress"]].mean()
    typer.echo(summary.to_string())
