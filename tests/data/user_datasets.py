"""Datasets as researchers have them, written with lerobot's own API (`LeRobotDataset.create`, `add_frame`,
`save_episode`, `finalize`) in the layouts real ones use — never by ablate: an SO-100 arm (one `observation.state`
vector, 5 joints + 1 gripper, per-value names), an ALOHA-like bimanual rig (14 values, left_/right_ names), and a
Franka with a recorded EEF pose and a scalar gripper column but no per-value names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

SO100_NAMES = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
ALOHA_NAMES = [
    f"{side}_{j}"
    for side in ("left", "right")
    for j in ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")
]


def _write(root: Path, robot: str, features: dict, frame, episodes: int = 3, frames: int = 10) -> Path:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset.create(
        f"me/{root.name}", fps=30, root=root, features=features, robot_type=robot, use_videos=False
    )
    rng = np.random.default_rng(0)
    for episode in range(episodes):
        for t in range(frames):
            ds.add_frame(frame(episode, t, rng) | {"task": f"pick the cube {episode % 2}"})
        ds.save_episode()
    ds.finalize()
    return root


def so100(root: Path) -> Path:
    features = {
        "observation.state": {"dtype": "float32", "shape": (6,), "names": SO100_NAMES},
        "action": {"dtype": "float32", "shape": (6,), "names": SO100_NAMES},
    }

    def frame(episode, t, rng):
        q = (0.05 * t + 0.1 * episode + rng.normal(0, 0.01, 6)).astype(np.float32)
        return {"observation.state": q, "action": (q + 0.05).astype(np.float32)}

    return _write(root, "so100", features, frame)


def aloha(root: Path) -> Path:
    features = {
        "observation.state": {"dtype": "float32", "shape": (14,), "names": ALOHA_NAMES},
        "action": {"dtype": "float32", "shape": (14,), "names": ALOHA_NAMES},
    }

    def frame(episode, t, rng):
        q = (0.02 * t + rng.normal(0, 0.01, 14)).astype(np.float32)
        return {"observation.state": q, "action": (q + 0.02).astype(np.float32)}

    return _write(root, "aloha", features, frame)


def franka_eef(root: Path) -> Path:
    features = {
        "observation.state": {"dtype": "float32", "shape": (7,), "names": None},
        "observation.gripper": {"dtype": "float32", "shape": (1,), "names": None},
        "observation.eef_pose": {"dtype": "float32", "shape": (7,), "names": None},
        "action": {"dtype": "float32", "shape": (8,), "names": None},
    }

    def frame(episode, t, rng):
        q = (0.03 * t + rng.normal(0, 0.01, 7)).astype(np.float32)
        pose = np.r_[0.4 + 0.01 * t, 0.0, 0.3, 0.0, 0.0, 0.0, 1.0].astype(np.float32)
        return {
            "observation.state": q,
            "observation.gripper": np.array([0.04], np.float32),
            "observation.eef_pose": pose,
            "action": np.r_[q + 0.03, 1.0].astype(np.float32),
        }

    return _write(root, "franka", features, frame)


def bimanual(root: Path, poses: Callable[[np.ndarray], np.ndarray] | None = None) -> Path:
    """Two three-joint arms (tests/data/robots/bimanual.yaml: a URDF per arm), the left gripper reporting 2 finger
    positions and the right one 1: state 3 + 3 + 2 + 1, action 3 + 3 + 1 + 1. With `poses` (both arms' joints [6] →
    both arms' EEF poses [14]) it records them too, as a rig's own telemetry would: the current pose one feature per
    arm (`observation.left_eef`, `observation.right_eef`), the commanded ones in one feature (`action.eef`, 14)."""
    features = {
        "observation.state": {"dtype": "float32", "shape": (9,), "names": None},
        "action": {"dtype": "float32", "shape": (8,), "names": None},
    }
    if poses:
        for name, width in (("observation.left_eef", 7), ("observation.right_eef", 7), ("action.eef", 14)):
            features[name] = {"dtype": "float32", "shape": (width,), "names": None}

    def frame(episode, t, rng):
        q = (0.04 * t + 0.1 * episode + rng.normal(0, 0.01, 6)).astype(np.float32)
        fingers = np.array([0.02, 0.02, 0.5], np.float32)
        commands = np.array([1.0 if t > 4 else -1.0, -1.0 if t > 4 else 1.0], np.float32)
        target_q = (q + 0.03).astype(np.float32)
        out = {"observation.state": np.r_[q, fingers], "action": np.r_[target_q, commands]}
        if poses:  # the poses of the joints as stored, so that forward kinematics of the dataset gives them back
            current, target = poses(q), poses(target_q)
            out |= {
                "observation.left_eef": current[:7].astype(np.float32),
                "observation.right_eef": current[7:].astype(np.float32),
                "action.eef": target.astype(np.float32),
            }
        return out

    return _write(root, "bimanual", features, frame)
