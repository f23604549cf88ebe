"""`ablate eval CHECKPOINT`: rebuild a run's policy from its checkpoint and run the closed loop on chosen targets,
in the testbed or another environment (`--env`, `ablate.envs`).

The normalisation statistics come from the checkpoint (what the run trained with). Only a target the run neither
trained nor was planned to evaluate on — or a checkpoint written before checkpoints held statistics — has its
statistics computed from its dataset, and the command says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from ablate.atomic import write_table
from ablate.config import EvalTarget, RunConfig, VlaConfig
from ablate.errors import InputError
from ablate.layout import CHECKPOINTS_DIR
from ablate.naming import eval_targets


def evaluate_checkpoint(
    path: Path, targets: str, trials: int, seed: int | None, out: Path | None, log=print, env: str | None = None
) -> pd.DataFrame:
    """`env`: where `targets` run (default: the environment of the run's own targets when they share one, else the
    testbed); without `targets` the run's own targets run where they say."""
    from ablate.evaluate.closed_loop import evaluate_targets
    from ablate.jobs.checkpoints import CheckpointStore, CorruptCheckpoints
    from ablate.jobs.contract import Run
    from ablate.model.build import build_policy

    path = path.resolve()
    work = path if path.is_dir() else path.parent.parent
    try:
        run = Run.load(work)
    except FileNotFoundError:
        raise InputError.single(path, "", "not a run directory nor a checkpoint inside one (no run.json)") from None
    try:
        state = CheckpointStore.load(path) if path.is_file() else CheckpointStore(work / CHECKPOINTS_DIR).latest()
    except CorruptCheckpoints as e:
        raise InputError.single(path, "", str(e)) from None
    if state is None:
        raise InputError.single(path, "", "no checkpoint in this run yet")
    config = RunConfig.of(run.config)
    if not isinstance(config, VlaConfig):
        raise InputError.single(path, "", f"job kind '{config.job}' has no closed-loop evaluation (only vla)")
    if env is not None and not targets:
        raise InputError.single("--env", "", "--env says where --targets run: give --targets too")
    if targets and env is None:
        own = {t.env for t in config.eval.targets}
        env = own.pop() if len(own) == 1 else "testbed"
        log(f"--targets run in {env} (the run's own targets'; --env for another)" if own or config.eval.targets
            else "--targets run in the testbed (--env for another)")  # fmt: skip
    chosen = tuple(EvalTarget(**t, env=env) for t in eval_targets(targets, path)) if targets else config.eval.targets
    if not chosen:
        raise InputError.single(path, "--targets", "the run's config names no eval targets; give --targets")
    _check_environments(config, chosen)
    config = config.model_copy(update={"eval": config.eval.model_copy(update={"targets": chosen, "trials": trials})})
    normalization = _normalization(config, state, log)
    policy = build_policy(config, run.seed)
    policy.load_state_dict(state["model"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    bundled = _bundled(state, path)
    seed = run.seed if seed is None else seed
    rows = evaluate_targets(policy.to(device), config, normalization, seed, device, bundled=bundled)
    identity = {"sweep": run.sweep, "arm": run.arm, "run": run.id, "seed": run.seed, **run.levels}
    table = pd.DataFrame([identity | r for r in rows])
    if out is not None:
        write_table(out, table)
    return table


def _normalization(config: VlaConfig, state: dict, log):
    """The checkpoint's statistics, completed from the data for targets it has none for (said aloud)."""
    from ablate.data.datasets import run_normalization, target_key, target_path
    from ablate.data.normalize import CHECKPOINT_KEY, RunNormalization

    saved = state.get(CHECKPOINT_KEY)
    if saved is None:
        log(
            "this checkpoint holds no normalisation statistics (written by an older ablate): computing them from "
            "the run's datasets"
        )
        return run_normalization(config)
    normalization = RunNormalization.from_state(saved)
    missing = [t for t in config.eval.targets if target_path(config.data, t).name not in normalization.by_dataset]
    if not missing:
        return normalization
    extra = run_normalization(config, [target_key(config, t) for t in missing])
    for name in extra.by_dataset:
        log(f"{name}: not a dataset this run trained or evaluated on; its statistics are computed from it")
    return RunNormalization(normalization.mode, normalization.frame, normalization.by_dataset | extra.by_dataset)


def _bundled(state: dict, path: Path) -> dict:
    """The datasets the checkpoint carries (descriptions, features, robots): evaluation needs no training data."""
    from ablate.policy.bundle import BUNDLE_KEY, read_bundle

    return read_bundle(state, path).datasets if BUNDLE_KEY in state else {}


def _check_environments(config: VlaConfig, targets: tuple[EvalTarget, ...]) -> None:
    """Each target's environment known and able to take this run's actions: refused before a model is built."""
    from ablate.envs.adapter import refusal

    for target in targets:
        refused = refusal(target.env, config.data.action_frame)
        if refused:
            raise InputError.single("--env", "", refused)
