"""Which datasets a run reads, from its typed `data` config (DESIGN.md, "Data"):

- `data.root`: the folder holding one LeRobot dataset per (robot, task), relative to the working directory the
  run was launched from; `data.task` picks `<root>/<Robot>_<task>` for a robot-name mixture key (a key that is
  a dataset folder name is used as is).
- `data.mixture`: {robot or dataset: weight}, or `proportional` / `temperature` over `data.robots`. The key
  `target` stands for `data.target`, the robot a study post-trains and evaluates on, so one mixture level
  (`target_only: {target: 1.0}`) serves every target of a study.
- `data.target_episodes`: train on only this many of the target's training episodes (a seeded subset; the
  few-demonstration regime of the papers' post-training). Its validation episodes and the other robots' data
  are unchanged; its normalisation statistics come from the same subset.
- `data.joint_only`: mixture keys read as joint-only data (Rethink-VLA's D4 pool): their recorded EEF poses are
  ignored and EEF-frame labels come from forward kinematics of the joints, as for a dataset that has none.

Planning imports this module (to check that a mixture's datasets exist): it must not import torch.
"""

from __future__ import annotations

from pathlib import Path

from ablate.config import EvalTarget, Mixture, StageConfig, VlaConfig, VlaData
from ablate.data.dropout import SensoryDropout
from ablate.data.frames import Frame
from ablate.data.inputs import Padding
from ablate.data.loader import MixtureLoader
from ablate.data.normalize import RunNormalization, StatsCache
from ablate.data.source import DatasetError, EmbodimentSource, SourceConfig

TARGET_KEY = "target"


def frame_of(data: VlaData) -> Frame:
    return Frame(data.action_frame, data.rotation)


def resolve_key(data: VlaData, key: str) -> str:
    """A mixture key as a robot or dataset name: `target` is `data.target`."""
    if key != TARGET_KEY:
        return key
    if not data.target:
        raise DatasetError("data.mixture uses the key 'target', but data.target (the target robot) is not set")
    return data.target


def dataset_path(data: VlaData, key: str, task: str | None = None) -> Path:
    """The dataset folder of a mixture key (or robot), for `task` (default: `data.task`)."""
    key, root = resolve_key(data, key), Path(data.root)
    return root / key if (root / key).is_dir() else root / f"{key}_{task or data.task}"


def target_path(data: VlaData, target: EvalTarget) -> Path:
    """The dataset of an evaluation target's robot and task (its normalisation statistics come from there)."""
    return dataset_path(data, target.robot, target.task)


def mixture_of(data: VlaData, stage_mixture: Mixture | None = None) -> tuple[list[str], dict[str, float] | str]:
    """(dataset keys, weights) of a stage: the stage's own mixture when it has one, else `data.mixture`."""
    mixture = stage_mixture or data.mixture
    keys = list(mixture) if isinstance(mixture, dict) else list(data.robots)
    names = [dataset_path(data, k).name for k in keys]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DatasetError(
            f"mixture {dict(mixture) if isinstance(mixture, dict) else keys} names dataset(s) {', '.join(repeated)} "
            f"twice (data.target is {data.target!r}); list each robot once"
        )
    if isinstance(mixture, dict):
        return keys, {dataset_path(data, k).name: float(w) for k, w in mixture.items()}
    return keys, mixture


def source_config(data: VlaData, path: Path, split: str, images: bool) -> SourceConfig:
    return SourceConfig(
        root=path,
        frame=frame_of(data),
        horizon=data.horizon,
        frame_step=data.frame_step,
        split=split,
        val_fraction=data.val_fraction,
        split_seed=data.split_seed,
        environment_state=data.environment_state,
        images=images,
        max_episodes=_episode_cap(data, path, split),
        joint_only=any(path == dataset_path(data, k) for k in data.joint_only),
        description=description_of(data, path),
    )


def description_of(data: VlaData, path: Path) -> Path | None:
    """The description file `data.descriptions` names for the dataset at `path` (by mixture key or folder name)."""
    for key, file in data.descriptions.items():
        if names_dataset(data, key, path):
            return Path(file)
    return None


def names_dataset(data: VlaData, key: str, path: Path) -> bool:
    """Whether a mixture-style key (robot, dataset folder name, or `target`) names the dataset at `path`."""
    return path.name == key or ((key != TARGET_KEY or bool(data.target)) and path == dataset_path(data, key))


def _episode_cap(data: VlaData, path: Path, split: str) -> int | None:
    """`data.target_episodes` limits the target robot's training split (few demonstrations)."""
    if data.target_episodes is None or split != "train" or path != dataset_path(data, TARGET_KEY):
        return None
    return data.target_episodes


def training_keys(config: VlaConfig) -> list[str]:
    """Every mixture key any stage trains on (robots or dataset names, `target` resolved), in first-use order."""
    keys: list[str] = []
    for mixture in [None, *(s.mixture for s in config.stages.values())]:
        for k in mixture_of(config.data, mixture)[0]:
            if resolve_key(config.data, k) not in keys:
                keys.append(resolve_key(config.data, k))
    return keys


def all_dataset_keys(config: VlaConfig) -> list[str]:
    """The training keys, then each evaluation target's dataset (`Robot` for `data.task`, else `Robot_task`)."""
    keys = training_keys(config)
    for target in config.eval.targets:
        key = target_key(config, target)
        if key not in keys:
            keys.append(key)
    return keys


def run_normalization(config: VlaConfig, keys: list[str] | None = None) -> RunNormalization:
    """Statistics of every dataset the run trains on or evaluates on (or just `keys`): train split, the run's
    frame, a target robot's few-demonstration subset when `data.target_episodes` is set; cached on disk beside
    the datasets."""
    data = config.data
    by_dataset = {}
    for key in all_dataset_keys(config) if keys is None else keys:
        path = dataset_path(data, key)
        source = EmbodimentSource(source_config(data, path, "train", images=False))
        by_dataset[path.name] = source.stats(StatsCache(path.parent / ".stats"))
    return RunNormalization(data.normalization, data.action_frame, by_dataset)


def target_key(config: VlaConfig, target: EvalTarget) -> str:
    """The dataset key of an evaluation target: `Robot` for the run's `data.task`, else `Robot_task`."""
    task = target.task or config.data.task
    return target.robot if task == config.data.task else f"{target.robot}_{task}"


def build_loader(
    config: VlaConfig, stage: StageConfig | None, seed: int, normalization: RunNormalization, split: str = "train"
) -> MixtureLoader:
    """A stage's mixture loader (the stage's own mixture, or `data.mixture`), normalised with the run's statistics;
    sensory dropout on the training split only."""
    data = config.data
    keys, weights = mixture_of(data, stage.mixture if stage else None)
    paths = [dataset_path(data, k) for k in keys]
    sources = [EmbodimentSource(source_config(data, p, split, config.model.images)) for p in paths]
    dropout = SensoryDropout(**config.train.dropout.model_dump()) if split == "train" else None
    return MixtureLoader(
        sources,
        weights,
        seed,
        padding=Padding.of(data),
        temperature=data.temperature,
        normalization=data.normalization,
        dropout=dropout,
        stats={p.name: normalization.of(p.name) for p in paths},
    )
