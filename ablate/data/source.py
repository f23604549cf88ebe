"""One embodiment's LeRobot dataset, read through lerobot's own `LeRobotDataset`, as training samples in an
action frame: the current state, and a chunk of H action labels (`frames.to_labels`) with its padding mask.

Low-dimensional columns are read once into arrays (the dataset's Arrow table, through `LeRobotDataset`), so a
sample is a few array slices rather than a per-item decode; images, when a model wants them, come from
`LeRobotDataset.__getitem__`. Episodes are split into train/validation by a seeded permutation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ablate.data.checks import check_dataset
from ablate.data.embodiments import Embodiment, embodiment
from ablate.data.frames import Frame, to_labels
from ablate.data.language import frame_instructions
from ablate.data.normalize import Stats, StatsCache
from ablate.data.recorded import RecordedError, RobotArrays, needed_features, read_robot
from ablate.data.support import FrameUnsupported, eef_source


class DatasetError(ValueError):
    """A dataset that cannot be used as described; the message names the dataset, the key and what was expected."""


@dataclass(frozen=True)
class SourceConfig:
    root: Path
    frame: Frame
    horizon: int = 8
    frame_step: int = 1  # keep every k-th frame (and chunk steps k frames apart)
    split: str = "train"  # train | val | all
    val_fraction: float = 0.1
    split_seed: int = 0
    environment_state: bool = False  # also serve `observation.environment_state` (low-dimensional scenes)
    images: bool = False  # also serve the described cameras (decoded by LeRobotDataset, per sample)
    max_episodes: int | None = None  # train split only: keep this many of its episodes (a seeded subset)
    joint_only: bool = False  # read as joint-only data: recorded EEF poses ignored, EEF by forward kinematics
    description: Path | None = None  # the description file named in the config (else found: description.py)


class EmbodimentSource:
    def __init__(self, cfg: SourceConfig):
        from ablate.data.lerobot_dataset import lerobot_dataset_class
        from ablate.data.video import video_backend

        LeRobotDataset = lerobot_dataset_class()

        self.cfg = cfg
        root = Path(cfg.root)
        self.name = root.name
        # Its files checked first: a fault is named (file, column, episode) rather than met as a traceback from
        # inside Hugging Face `datasets`, in a job that reaches data no plan has checked.
        self.description = check_dataset(root, rows=True, description=cfg.description)
        try:
            self.embodiment: Embodiment = embodiment(self.description.embodiment)
        except KeyError as e:
            raise DatasetError(f"dataset {self.name}: {e.args[0]}") from None
        backend = video_backend(root, decoding=cfg.images)
        full = LeRobotDataset(f"ablate/{self.name}", root=root, video_backend=backend)
        cap = cfg.max_episodes if cfg.split == "train" else None
        self.episodes = _split(full.meta.total_episodes, cfg.split, cfg.val_fraction, cfg.split_seed, cap)
        if cap is not None and len(self.episodes) < cap:
            raise DatasetError(
                f"dataset {self.name}: {cfg.max_episodes} training episodes asked for (data.target_episodes), "
                f"but its train split has {len(self.episodes)}"
            )
        self.dataset = (
            full
            if cfg.split == "all"
            else LeRobotDataset(f"ablate/{self.name}", root=root, episodes=self.episodes, video_backend=backend)
        )
        table = self.dataset.hf_dataset.with_format("numpy")[:]
        features = self.dataset.meta.features
        missing = [k for k in self._needed_keys() if k not in table]
        if missing:
            raise DatasetError(
                f"dataset {self.name}: no feature {', '.join(map(repr, missing))} "
                f"(it has {', '.join(sorted(features))})"
            )
        self.columns = {k: np.asarray(table[k]) for k in self._needed_keys()}
        try:
            robot = read_robot(self.description, self.embodiment, features, self.columns)
        except RecordedError as e:
            raise DatasetError(f"dataset {self.name}: {e}") from None
        episode = np.asarray(table["episode_index"])
        keep = np.isin(episode, self.episodes)
        self.columns = {k: v[keep] for k, v in self.columns.items()}
        self.robot: RobotArrays = robot.take(keep)
        self.instructions = frame_instructions(root, self.description.instruction, table, self.dataset.meta.tasks)[keep]
        self.rows = np.flatnonzero(keep)  # row in `self.dataset` of each kept frame (for images)
        episode = episode[keep]
        # Index of the last frame of each frame's episode: chunks never cross episodes (padding repeats the end).
        last = np.zeros(len(episode), dtype=np.int64)
        for e in np.unique(episode):
            rows = np.flatnonzero(episode == e)
            last[rows] = rows[-1]
        self.episode_end = last
        self.starts = np.arange(0, len(episode))[(np.arange(len(episode)) - _first(episode)) % cfg.frame_step == 0]
        self.fingerprint = _fingerprint(root, self.episodes)
        self.current, self.target = self._arm_arrays()

    def __len__(self) -> int:
        return len(self.starts)

    def _needed_keys(self) -> list[str]:
        d = self.description
        keys = needed_features(d)
        if self.cfg.environment_state:
            if not d.environment_state:
                raise DatasetError(
                    f"dataset {self.name}: data.environment_state is on, but its description "
                    "names no environment_state key"
                )
            keys.append(d.environment_state)
        if self.cfg.images and not d.cameras:
            raise DatasetError(
                f"dataset {self.name}: the model wants images, but the dataset has no cameras "
                "(recorded with --no-images?)"
            )
        return keys

    def _arm_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(current, target) per frame for the arm: joints, or EEF poses from one source — both recorded, or both
        by forward kinematics of the joints (`ablate.data.support`)."""
        r = self.robot
        if self.cfg.frame.is_joint:
            return r.joints, r.joint_targets
        try:
            source = eef_source(self.description, self.embodiment, self.cfg.joint_only)
        except FrameUnsupported as e:
            raise DatasetError(f"dataset {self.name}: action frame {self.cfg.frame.name}: {e}") from None
        if source == "recorded":
            return r.eef, r.eef_targets
        from ablate.data.kinematics import ForwardKinematics

        fk = ForwardKinematics(self.embodiment, tuple(self.description.base_position))
        return fk(r.joints), fk(r.joint_targets)

    # -- samples ----------------------------------------------------------------------------------------
    @property
    def state_dim(self) -> int:
        return self.robot.joints.shape[1] + self.robot.grippers.shape[1]

    @property
    def action_dim(self) -> int:
        arms = len(self.embodiment.arms)
        return self.cfg.frame.arm_dim(self.embodiment.arm_dof, arms) + self.robot.gripper_commands.shape[1]

    def sample(self, i: int) -> dict[str, Any]:
        """State [state_dim], labels [H, action_dim], action_is_pad [H] and the instruction (str) for the i-th
        (subsampled) frame, plus the environment state [E] and camera images [N, 3, h, w] when configured."""
        out = self._arm_sample(i)
        t, d = int(self.starts[i]), self.description
        out["instruction"] = str(self.instructions[t])
        if self.cfg.environment_state:
            out["environment_state"] = self.columns[d.environment_state][t].astype(np.float32)
        if self.cfg.images:
            item = self.dataset[int(self.rows[t])]
            out["images"] = np.stack([np.asarray(item[cam], dtype=np.float32) for cam in d.cameras])
        return out

    def chunk_steps(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """The frames holding the i-th sample's H targets, and which of them are padding (past the episode's end,
        where the last frame repeats)."""
        t = int(self.starts[i])
        # `action` at frame t holds the targets for t+1: the chunk's τ-th target is action[t + (τ-1)·k + k-1].
        steps = t + self.cfg.frame_step * np.arange(self.cfg.horizon) + self.cfg.frame_step - 1
        pad = steps > self.episode_end[t]
        return np.minimum(steps, self.episode_end[t]), pad

    def _arm_sample(self, i: int) -> dict[str, Any]:
        t = int(self.starts[i])
        steps, pad = self.chunk_steps(i)
        r = self.robot
        gripper = r.gripper_commands[steps]  # every gripper's command stays absolute, in every frame
        labels = to_labels(self.cfg.frame, self.current[t], self.target[steps], gripper)
        state = np.r_[r.joints[t], r.grippers[t]]
        return {"state": state.astype(np.float32), "actions": labels.astype(np.float32), "action_is_pad": pad}

    @property
    def environment_state_dim(self) -> int:
        d = self.description
        return int(self.columns[d.environment_state].shape[1]) if self.cfg.environment_state else 0

    def stats(self, cache: StatsCache | None = None) -> dict[str, Stats]:
        """Statistics of the labels (per chunk step for relative frames) and of the state, for this embodiment."""

        def compute() -> Stats:
            return Stats.of(
                np.stack([self._arm_sample(i)["actions"] for i in range(len(self))]),
                per_step=self.cfg.frame.is_relative,
            )

        params = {
            "frame": self.cfg.frame.name,
            "rotation": self.cfg.frame.rotation,
            "horizon": self.cfg.horizon,
            "frame_step": self.cfg.frame_step,
            "split": self.cfg.split,
            "val_fraction": self.cfg.val_fraction,
            "split_seed": self.cfg.split_seed,
            "joint_only": self.cfg.joint_only,  # labels by forward kinematics differ (slightly) from recorded ones
            # which features are the joints, grippers and poses: the description is not in the data's fingerprint
            "description": self.description.model_dump_json(),
            # the robot's file and its kinematic model: forward kinematics gives EEF labels (joint-only pools too)
            "embodiment": _embodiment_fingerprint(self.embodiment),
        }
        actions = cache.get_or_compute(cache.key(self.fingerprint, **params), compute) if cache else compute()
        d = self.description
        state = np.concatenate([self.robot.joints, self.robot.grippers], axis=1)[self.starts]
        out = {"actions": actions, "state": Stats.of(state, per_step=False)}
        if self.cfg.environment_state:
            out["environment_state"] = Stats.of(self.columns[d.environment_state][self.starts], per_step=False)
        return out


def _split(n_episodes: int, split: str, val_fraction: float, seed: int, cap: int | None = None) -> list[int]:
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be train, val or all, got {split!r}")
    order = np.random.default_rng(seed).permutation(n_episodes)
    n_val = round(val_fraction * n_episodes) if n_episodes > 1 else 0
    n_val = min(max(n_val, 1 if val_fraction > 0 and n_episodes > 1 else 0), n_episodes - 1)
    chosen = {"train": order[n_val:], "val": order[:n_val], "all": order}[split]
    # The cap keeps a prefix of the seeded order: 5 episodes are a subset of 10, whatever the cap.
    return sorted(int(e) for e in chosen[:cap])


def _first(episode: np.ndarray) -> np.ndarray:
    """Index of the first frame of each frame's episode."""
    first = np.zeros(len(episode), dtype=np.int64)
    for e in np.unique(episode):
        rows = np.flatnonzero(episode == e)
        first[rows] = rows[0]
    return first


def _embodiment_fingerprint(e: Embodiment) -> str:
    h = hashlib.sha256(e.model_dump_json().encode())
    for arm in e.arms:
        model = arm.kinematics.model if arm.kinematics else ""
        if model and Path(model).is_file():
            h.update(Path(model).read_bytes())
    return h.hexdigest()[:16]


def _fingerprint(root: Path, episodes: list[int]) -> str:
    """What the statistics depend on: the metadata's content, every data file's path, size and modification time
    (rewritten data, even with the same metadata, is a new fingerprint; reading the bytes of every data file on
    every run would cost more than the statistics), and the episodes used."""
    h = hashlib.sha256()
    for path in sorted((root / "meta").rglob("*")):
        if path.is_file() and path.name != "ablate.json":
            h.update(path.name.encode())
            h.update(path.read_bytes())
    for path in sorted((root / "data").rglob("*")):
        if path.is_file():
            stat = path.stat()
            h.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    h.update(str(episodes).encode())
    return h.hexdigest()[:16]
