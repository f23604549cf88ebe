"""Single runs from Python: evaluate a trained run's checkpoint in closed loop (and train one run outside a sweep)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ablate.api.results import EvalResult, TrainResult

if TYPE_CHECKING:
    from ablate.policy import LoadedPolicy


def evaluate(
    run: str | Path,
    *,
    targets: str | Sequence[str | tuple[str, str]] = (),
    trials: int = 10,
    seed: int | None = None,
    out: str | Path | None = None,
    log: Callable[[str], None] | None = None,
    env: str | None = None,
) -> EvalResult:
    """Closed-loop evaluation of a trained checkpoint: `run` is a run directory (its latest checkpoint) or one of
    its `checkpoints/ckpt-*.pt` files. `targets`: "Robot/task,…", or a list of "Robot/task" or (robot, task)
    (default: the run's config's eval targets); `trials`: episodes per target; `seed`: the episode seeds (default:
    the run's seed); `out`: a trial table file to write (.parquet or .csv); `env`: where `targets` run
    (`ablate.envs`: testbed, metaworld, or one registered; default: the run's own targets' environment, else the
    testbed); `log`: called with each choice made for you. Imports torch. Bad input (not a run, no checkpoint, no
    targets, an environment that cannot take the run's actions) raises `InputError`."""
    from ablate.errors import InputError
    from ablate.evaluate.checkpoint import evaluate_checkpoint

    if trials < 1:
        raise InputError.single("--trials", "", f"expected at least 1 episode per target, got {trials}")
    text = targets if isinstance(targets, str) else ",".join(t if isinstance(t, str) else "/".join(t) for t in targets)
    path = Path(out) if out is not None else None
    table = evaluate_checkpoint(Path(run), text, trials, seed, path, log=log or (lambda _line: None), env=env)
    return EvalResult(table, path)


def train(
    recipe: str | Path,
    overrides: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    seed: int = 0,
    recipes: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train (or resume) one run of `recipe` outside a sweep, in this process, then evaluate it as the recipe says.

    `recipe`: a recipe name (`quickstart/mlp`, looked up in your recipe tree, then the shipped one) or a recipe file;
    `overrides`: Hydra overrides ("optim.lr=3e-3", "data/mixture=pooled", …); `out`: the run directory (default
    `runs/<recipe>-s<seed>`) — the same call again resumes from its latest checkpoint, a finished run is not trained
    again; `seed`: init, data order and evaluation episodes; `recipes`: your recipe tree; `log`: called with one
    readable line per step (None: silent). Imports torch. Bad input (no such recipe, an override that does not
    compose, no `train.budget`, a run directory holding another config) raises `InputError`; an error in training
    propagates (the run's state.json records it). The work is `ablate.launch.single_run.run_single`."""
    from ablate.launch.single_run import run_single

    return run_single(recipe, list(overrides), out=out, seed=seed, recipes=recipes, log=log)


def load_policy(run: str | Path, embodiment: str | None = None, **options) -> LoadedPolicy:
    """A trained run as a policy, from its checkpoint alone (`ablate.policy.load_policy`: `predict`, `select_action`
    on raw LeRobot-named observations; `options`: device, n_action_steps, log). Imports torch."""
    from ablate.policy import load_policy as load

    return load(run, embodiment, **options)
