"""From a run's `data.*` config to mixture loaders, one per stage (a stage may train on its own mixture:
pretrain on the pool, post-train on the target robot).

- `data.root`: the folder holding one LeRobot dataset per (robot, task), relative to the working directory the
  run was launched from; `data.task` picks `<root>/<Robot>_<task>` for a robot-name mixture key (a key that is
  a dataset folder name is used as is).
- `data.mixture`: {robot or dataset: weight}, or `proportional` / `temperature` over `data.robots`. The key
  `target` stands for `data.target`, the robot a study post-trains and evaluates on, so one mixture level
  (`target_only: {target: 1.0}`) serves every target of a study.
- `data.target_episodes`: train on only this many of the target's training episodes (a seeded subset; the
  few-demonstration regime of the papers' post-training). Its validation episodes and the other robots' data
  are unchanged; its normalisation statistics come from the same subset, in training and evaluation alike.
- `data.joint_only`: mixture keys read as joint-only data (Rethink-VLA's D4 pool): their recorded EEF poses are
  ignored and EEF-frame labels come from forward kinematics of the joints, as for a dataset that has none.
- `data.testbed`: when set, missing testbed datasets are generated first (`ablate testbed make`), under a file
  lock, so parallel runs of a sweep generate each dataset once.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ablate.data.dropout import SensoryDropout
from ablate.data.frames import Frame
from ablate.data.loader import MixtureLoader
from ablate.data.normalize import StatsCache
from ablate.data.source import DatasetError, EmbodimentSource, SourceConfig


def frame_of(data: dict[str, Any]) -> Frame:
    return Frame(data["action_frame"], data.get("rotation", "axis_angle"))


TARGET_KEY = "target"


def resolve_key(data: dict[str, Any], key: str) -> str:
    """A mixture key as a robot or dataset name: `target` is `data.target`."""
    if key != TARGET_KEY:
        return key
    if not data.get("target"):
        raise DatasetError("data.mixture uses the key 'target', but data.target (the target robot) is not set")
    return str(data["target"])


def dataset_path(data: dict[str, Any], key: str) -> Path:
    key, root = resolve_key(data, key), Path(data["root"])
    return root / key if (root / key).is_dir() else root / f"{key}_{data['task']}"


def mixture_of(data: dict[str, Any], stage: dict[str, Any] | None = None) -> tuple[list[str], dict | str]:
    """(dataset keys, weights) of a stage: the stage's own `mixture` when it has one, else `data.mixture`."""
    mixture = (stage or {}).get("mixture") or data["mixture"]
    keys = list(mixture) if isinstance(mixture, dict) else list(data["robots"])
    names = [_name(data, k) for k in keys]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DatasetError(
            f"mixture {dict(mixture) if isinstance(mixture, dict) else keys} names dataset(s) {', '.join(repeated)} "
            f"twice (data.target is {data.get('target')!r}); list each robot once"
        )
    if isinstance(mixture, dict):
        return keys, {_name(data, k): float(w) for k, w in mixture.items()}
    return keys, mixture


def _name(data: dict[str, Any], key: str) -> str:
    return dataset_path(data, key).name


def _episode_cap(data: dict[str, Any], path: Path, split: str) -> int | None:
    """`data.target_episodes` limits the target robot's training split (few demonstrations)."""
    cap = data.get("target_episodes")
    if cap is not None and not data.get("target"):
        raise DatasetError("data.target_episodes is set but data.target (the robot it limits) is not")
    if cap is None or split != "train" or path != dataset_path(data, TARGET_KEY):
        return None
    if int(cap) < 1:
        raise DatasetError(f"data.target_episodes must be at least 1, got {cap}")
    return int(cap)


def source_config(data: dict[str, Any], path: Path, split: str, images: bool) -> SourceConfig:
    return SourceConfig(
        root=path,
        frame=frame_of(data),
        horizon=int(data.get("horizon", 8)),
        frame_step=int(data.get("frame_step", 1)),
        split=split,
        val_fraction=float(data.get("val_fraction", 0.1)),
        split_seed=int(data.get("split_seed", 0)),
        environment_state=bool(data.get("environment_state", False)),
        images=images,
        max_episodes=_episode_cap(data, path, split),
        joint_only=any(path == dataset_path(data, k) for k in data.get("joint_only") or []),
    )


def build_loader(config: dict[str, Any], stage: dict[str, Any] | None, seed: int, split: str = "train"):
    data = config["data"]
    keys, weights = mixture_of(data, stage)
    images = bool(config["model"].get("images", False))
    sources = [EmbodimentSource(source_config(data, dataset_path(data, k), split, images)) for k in keys]
    dropout = SensoryDropout(**((config.get("train") or {}).get("dropout") or {})) if split == "train" else None
    return MixtureLoader(
        sources,
        weights,
        seed,
        max_state_dim=int(data.get("max_state_dim", 16)),
        max_action_dim=int(data.get("max_action_dim", 10)),
        max_environment_dim=int(data.get("max_environment_dim", 0)),
        temperature=float(data.get("temperature", 1.0)),
        normalization=data.get("normalization", "mean_std"),
        dropout=dropout,
        stats_cache=StatsCache(Path(data["root"]) / ".stats"),
    )


def all_dataset_keys(config: dict[str, Any]) -> list[str]:
    data, keys = config["data"], []
    for stage in [None, *(config.get("stages") or {}).values()]:
        for k in mixture_of(data, stage)[0]:
            if k not in keys:
                keys.append(k)
    keys = [resolve_key(data, k) for k in keys]
    for target in (config.get("eval") or {}).get("targets") or []:
        key = (
            target["robot"]
            if target.get("task", data["task"]) == data["task"]
            else f"{target['robot']}_{target['task']}"
        )
        if key not in keys:
            keys.append(key)
    return keys


def ensure_testbed(config: dict[str, Any], log=print) -> None:
    """Generate the testbed datasets this run needs and that do not exist yet (once, under a lock)."""
    data = config["data"]
    testbed = data.get("testbed")
    if not testbed:
        return
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.testbed.experts import EXPERT_VERSION
    from ablate.testbed.record import expert_version, record_dataset
    from ablate.testbed.tasks import TASKS

    root = Path(data["root"])
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".generate.lock"):
        for key in all_dataset_keys(config):
            robot, task_name = _testbed_dataset(key, data["task"])
            if robot not in EMBODIMENTS or task_name not in TASKS:
                continue
            path = root / f"{robot}_{task_name}"
            if path.is_dir():
                found = expert_version(path)
                if found not in (None, EXPERT_VERSION):
                    raise DatasetError(
                        f"{path} was recorded by testbed expert version {found}, not the current {EXPERT_VERSION}: "
                        "delete it and it is generated again on the next run"
                    )
                continue

            log(f"generating testbed dataset {path.name} ({testbed['episodes']} episodes)…")
            summary = record_dataset(
                robot,
                task_name,
                int(testbed["episodes"]),
                root,
                images=bool(config["model"].get("images", False)),
                image_size=int(testbed.get("image_size", 64)),
                seed=int(testbed.get("seed", 0)),
            )
            log(f"  {summary['episodes']} of {summary['attempts']} expert episodes kept, {summary['seconds']:.0f} s")


def _testbed_dataset(key: str, default_task: str) -> tuple[str, str]:
    """(robot, task) a testbed dataset key stands for: `Panda` (the run's data.task) or `Panda_stack`."""
    robot, _, task_name = key.partition("_")
    return robot, task_name or default_task


@contextmanager
def _locked(path: Path):
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
