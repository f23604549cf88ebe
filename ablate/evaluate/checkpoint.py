"""`ablate eval CHECKPOINT`: rebuild a run's policy from its checkpoint and run the closed loop on chosen targets."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import torch

from ablate.errors import InputError


def evaluate_checkpoint(path: Path, targets: str, trials: int, seed: int | None, out: Path | None) -> pd.DataFrame:
    from ablate.evaluate.closed_loop import evaluate_targets
    from ablate.jobs.checkpoints import CheckpointStore
    from ablate.jobs.contract import Run
    from ablate.train.loop import build_policy

    path = path.resolve()
    work = path if path.is_dir() else path.parent.parent
    try:
        run = Run.load(work)
    except FileNotFoundError:
        raise InputError.single(path, "", "not a run directory nor a checkpoint inside one (no run.json)") from None
    state = CheckpointStore.load(path) if path.is_file() else CheckpointStore(work / "checkpoints").latest()
    if state is None:
        raise InputError.single(path, "", "no checkpoint in this run yet")
    config = copy.deepcopy(run.config)
    if targets:
        config["eval"] = dict(config.get("eval") or {}) | {"targets": _targets(targets, path)}
    if not (config.get("eval") or {}).get("targets"):
        raise InputError.single(path, "--targets", "the run's config names no eval targets; give --targets")
    config["eval"]["trials"] = trials
    policy = build_policy(config, run.seed)
    policy.load_state_dict(state["model"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = evaluate_targets(policy.to(device), config, run.seed if seed is None else seed, device)
    identity = {"sweep": run.sweep, "arm": run.arm, "run": run.id, "seed": run.seed, **run.levels}
    table = pd.DataFrame([identity | r for r in rows])
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False) if out.suffix == ".csv" else table.to_parquet(out, index=False)
    return table


def _targets(text: str, path: Path) -> list[dict[str, str]]:
    out = []
    for item in text.split(","):
        robot, _, task = item.strip().partition("/")
        if not robot or not task:
            raise InputError.single(path, "--targets", f"expected Robot/task items (e.g. Panda/lift), got {item!r}")
        out.append({"robot": robot, "task": task})
    return out
