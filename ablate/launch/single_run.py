"""One run outside a sweep (`ablate train`, and the Python API's `ablate.train`).

Compose a recipe with Hydra (over the user's recipe tree and the shipped one), plan its budget from the recipe's
`train.budget` into a ledger, write `run.json` and the ledger, and run the recipe's job kind in this process. The
same call again resumes from the latest checkpoint in the run directory; a finished run is not trained again.
Nothing here prints: progress goes to the `log` callback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ablate.config import RunConfig, config_problems
from ablate.errors import InputError, Problem
from ablate.layout import RUN_FILE
from ablate.spec.recipe_dirs import RecipeDirs, compose, find_recipe_dirs, is_primary, recipe_file_dirs
from ablate.spec.schema import BudgetSpec

if TYPE_CHECKING:
    from ablate.budget.matching import StageBudget

Status = Literal["trained", "resumed", "already done"]


@dataclass(frozen=True)
class SingleRunResult:
    """What one run left behind. `status`: "trained" (from scratch), "resumed" (from its latest checkpoint) or
    "already done" (finished before this call; nothing was trained). `result`: what the job kind returned (for an
    already done run, what it returned then); `metrics`: its numbers. `recipe_dirs`: the recipe trees used."""

    run_dir: Path
    recipe: str
    recipe_dirs: RecipeDirs
    status: Status
    result: dict[str, Any] = field(repr=False)
    config: dict[str, Any] = field(repr=False)

    @property
    def metrics(self) -> dict[str, float]:
        return {k: v for k, v in self.result.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def run_single(
    recipe: str | Path,
    overrides: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    seed: int = 0,
    recipes: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> SingleRunResult:
    """Train (or resume) one run of RECIPE in this process and return where it is and what it measured.

    recipe: a recipe name (`testbed/tiny`, looked up in `recipes`, then $ABLATE_RECIPES, then a `recipes/`
        folder in the current folder or above, then the shipped tree) or a path to a recipe file anywhere (its
        tree's root: `recipes` if given, else the nearest folder above it that looks like a recipe tree, else
        its own folder; the shipped tree after it).
    overrides: Hydra command-line overrides (`optim.lr=3e-3`, `data/mixture=pooled`, `~key`, `+key=value`).
    out: the run directory (default `runs/<recipe>-s<seed>` in the current folder); an existing one with the
        same config is resumed, one with another config is refused.
    seed: init, data order and evaluation episodes.
    recipes: the user's recipe tree (a folder); it must exist.
    log: called with one readable line per step (which recipe trees, which run directory, trained/resumed).

    Raises InputError (exit code 2 on the command line) for a bad recipe, override, budget or run directory;
    whatever the job raises propagates, and the run's state.json records it.
    """
    say = log or (lambda _line: None)
    dirs, name = _find_recipe(recipe, recipes)
    say(dirs.describe())
    where = dirs.find(f"{name}.yaml") or Path(f"{name}.yaml")
    config = _compose(dirs, name, list(overrides), where, say)
    budget, stages = _plan_budget(config, where)
    work = Path(out or Path("runs") / f"{name.replace('/', '-')}-s{seed}").resolve()
    existing = work / RUN_FILE
    if existing.is_file() and json.loads(existing.read_text())["config"] != config:
        raise InputError.single(existing, "config", "this run directory holds a different config; choose another --out")

    from ablate.jobs.contract import read_state

    state = read_state(work) if existing.is_file() else {}
    if state.get("status") == "done":
        say(f"{work} is already done; nothing to train")
        return SingleRunResult(work, name, dirs, "already done", dict(state.get("result") or {}), config)
    _check_datasets(config, where)  # a broken dataset is exit 2 before the run directory is written
    status: Status = "resumed" if existing.is_file() else "trained"
    if existing.is_file():
        say(f"resuming {name} in {work}")
    else:
        _write_run(work, seed, config, budget, stages)
        say(f"training {name} in {work}: " + ", ".join(f"{s.stage} {s.planned:g} {s.unit}" for s in stages))
    from ablate.jobs.entry import execute
    from ablate.jobs.run_lock import DuplicateRun

    try:
        result = execute(work)
    except DuplicateRun:
        raise InputError.single(
            work, "--out", "another process is training this run directory now; wait for it, or choose another --out"
        ) from None
    return SingleRunResult(work, name, dirs, status, result, config)


def _find_recipe(recipe: str | Path, recipes: str | Path | None) -> tuple[RecipeDirs, str]:
    """`testbed/tiny` and `testbed/tiny.yaml` name a recipe; an existing file is a recipe file anywhere."""
    name = str(recipe).removesuffix(".yaml")
    file = Path(f"{name}.yaml")
    if file.is_file():
        dirs, name = recipe_file_dirs(file, recipes)
        if "/" in name and not is_primary(file):
            folder = name.rsplit("/", 1)[0]
            message = (
                f"this recipe is in the folder {folder}/ of its tree {dirs.user}, so it must start with "
                f"'# @package _global_' (else Hydra nests it under {folder.replace('/', '.')})"
            )
            raise InputError.single(file, "", message)
        return dirs, name
    dirs = find_recipe_dirs(recipes, Path.cwd())
    missing = dirs.missing_recipe(name)
    if missing:
        raise InputError.single(str(recipe), "", missing)
    return dirs, name


def _compose(
    dirs: RecipeDirs, name: str, overrides: list[str], where: Path, say: Callable[[str], None]
) -> dict[str, Any]:
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        overrides = _replacing(dirs, name, overrides, say)
        return OmegaConf.to_container(compose(dirs.trees, name, overrides), resolve=True)
    except (HydraException, OmegaConfBaseException) as e:
        raise InputError.single(where, "", f"cannot compose with {overrides}: {e}") from e


def _replacing(dirs: RecipeDirs, name: str, overrides: list[str], say: Callable[[str], None]) -> list[str]:
    """`key={…}` or `key=[…]` replaces the recipe's mapping or list, as a sweep level does (`recipes.py`): Hydra
    would refuse it for a value from a config group (`data.mixture`) or merge it into the recipe's, and its hinted
    `+key=…` merges silently (a user's `{mine: 1.0}` trained beside the recipe's Panda). Written as `~key +key=…`."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType
    from omegaconf import OmegaConf

    parsed = OverridesParser.create().parse_overrides(overrides)
    whole = {
        i
        for i, o in enumerate(parsed)
        if o.type == OverrideType.CHANGE and "/" not in o.key_or_group and isinstance(o.value(), dict | list)
    }
    if not whole:
        return overrides
    base = compose(dirs.trees, name, [text for i, text in enumerate(overrides) if i not in whole])
    out = []
    for i, (text, o) in enumerate(zip(overrides, parsed, strict=True)):
        key = o.key_or_group
        # Only a value the recipe has: a missing one (`???`) or a new key takes Hydra's own `key=…` / `+key=…`.
        if i not in whole or OmegaConf.select(base, key, throw_on_missing=False) is None:
            out.append(text)
            continue
        say(f"{key}: your value replaces the recipe's (a mapping or list is given whole, not merged)")
        out += [f"~{key}", f"+{key}={o.get_value_element_as_str()}"]
    return out


def _plan_budget(config: dict[str, Any], where: Path) -> tuple[BudgetSpec, list[StageBudget]]:
    """The recipe checked as a run config (exit 2 with the key path otherwise), and its `train.budget` planned."""
    from ablate.budget.matching import BudgetError, plan_stages
    from ablate.jobs.registry import known_kinds

    if config.get("job") not in known_kinds():
        raise InputError.single(where, "job", f"unknown job kind {config.get('job')!r}; known: {sorted(known_kinds())}")
    problems = config_problems(config)
    if problems:
        raise InputError([Problem(str(where), path, message) for path, message in problems])
    typed = RunConfig.of(config)
    if typed.train.budget is None:
        raise InputError.single(where, "train.budget", "needs {unit, per_run} for a run outside a sweep")
    budget = BudgetSpec(**typed.train.budget.model_dump())
    try:
        return budget, plan_stages(typed, budget)
    except (BudgetError, ValueError) as e:
        raise InputError.single(where, "train.budget", str(e)) from e


def _check_datasets(config: dict[str, Any], where: Path) -> None:
    """A `vla` run's datasets present (its data.root here, each mixture key a dataset) and their files sound, every
    row read (the run reads them all anyway): else InputError, at the recipe's key or at the dataset's file."""
    from ablate.config import VlaConfig
    from ablate.spec.evaluation_checks import evaluation_problems
    from ablate.spec.run_checks import dataset_file_problems, mixture_problems

    typed = RunConfig.of(config)
    if not isinstance(typed, VlaConfig):
        return
    root = Path(typed.data.root)
    if typed.data.testbed is None and not root.is_dir():
        message = f"no folder {root.resolve()} (a relative data.root is taken from the current folder)"
        raise InputError.single(where, "data.root", message)
    problems = [Problem(str(where), path, message) for path, message in mixture_problems(typed)]
    problems = problems or [Problem(str(where), "", message) for _, message in evaluation_problems(typed)]
    problems = problems or dataset_file_problems(typed, rows=True)
    if problems:
        raise InputError(problems)


def _write_run(work: Path, seed: int, config: dict[str, Any], budget: BudgetSpec, stages: list[StageBudget]) -> None:
    from ablate.budget.ledger import Ledger
    from ablate.jobs.contract import Run

    work.mkdir(parents=True, exist_ok=True)
    # Under torchrun every rank gets here and writes the same files, atomically; run.json last: run.json ⇒ ledger.
    Ledger.new(budget.unit, budget.tolerance, [s.to_dict() for s in stages]).save(work)
    Run(work.name, work.name, "train", work.name, {}, seed, config["job"], config, str(work)).save()
