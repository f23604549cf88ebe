"""Action frames (DESIGN.md, "Facts from the seeds"): labels from absolute trajectories and back.

A chunk starts at the current state — joints q_0, or EEF pose T_0 — and holds H future targets. With
⊖ the world-frame offset and ∘ composition:

    joint_abs    q_τ                     joint_delta  q_τ − q_0          (chunk-relative to the current joints)
    world_rel    T_τ ⊖ T_0               world_delta  T_τ ⊖ T_{τ−1}
    eef_rel      T_0⁻¹ ∘ T_τ             eef_delta    T_{τ−1}⁻¹ ∘ T_τ

where T_b ⊖ T_a = (p_b − p_a, R_b R_aᵀ). Rotations are axis-angle by default, or quaternion / 6D.
Grippers stay absolute and are appended after the arm part.

A rig with several arms (bimanual) has one pose per arm — 7 values each, arm after arm — and its EEF labels are
each arm's own, in that arm's frame (its eef_rel is relative to its own current pose), arm after arm, then every
gripper's command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np

from ablate.config.vla import ActionFrame

FRAMES: tuple[str, ...] = get_args(ActionFrame)  # one home: the typed config


@dataclass(frozen=True)
class Frame:
    name: str
    rotation: str = "axis_angle"

    def __post_init__(self) -> None:
        from ablate.data.se3 import ROTATION_DIMS

        if self.name not in FRAMES:
            raise ValueError(f"unknown action frame '{self.name}'; expected one of {', '.join(FRAMES)}")
        if self.rotation not in ROTATION_DIMS:
            raise ValueError(f"unknown rotation '{self.rotation}'; expected one of {', '.join(ROTATION_DIMS)}")

    @property
    def is_joint(self) -> bool:
        return self.name.startswith("joint")

    @property
    def is_relative(self) -> bool:
        """Relative frames get per-chunk-step normalisation statistics."""
        return self.name != "joint_abs"

    def arm_dim(self, dof: int, arms: int = 1) -> int:
        """Label values of the arm part: every joint in joint frames, one pose label per arm in EEF frames."""
        return dof if self.is_joint else arms * self.pose_dim

    @property
    def pose_dim(self) -> int:
        from ablate.data.se3 import ROTATION_DIMS

        return 3 + ROTATION_DIMS[self.rotation]


def to_labels(frame: Frame, current: np.ndarray, targets: np.ndarray, gripper: np.ndarray) -> np.ndarray:
    """[H, arm + gripper] labels. `current`: q_0 [dof] or poses [7 × arms] (xyz + quaternion xyzw per arm);
    `targets`: [H, dof] or [H, 7 × arms]; `gripper`: [H, G], kept absolute."""
    if frame.is_joint:
        arm = _joint_labels(frame, current, targets)
    else:
        arms = range(_arms(current))
        arm = np.concatenate(
            [_eef_labels(frame, current[7 * a : 7 * a + 7], targets[:, 7 * a : 7 * a + 7]) for a in arms], axis=-1
        )
    return np.concatenate([arm, gripper], axis=-1)


def to_targets(
    frame: Frame, current: np.ndarray, labels: np.ndarray, gripper_dims: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `to_labels`: absolute targets ([H, dof] joints or [H, 7 × arms] poses) and the gripper [H, G]."""
    split = labels.shape[-1] - gripper_dims
    arm, gripper = labels[..., :split], labels[..., split:]
    if frame.is_joint:
        return (arm if frame.name == "joint_abs" else arm + current), gripper
    d, arms = frame.pose_dim, _arms(current)
    if arm.shape[-1] != arms * d:
        raise ValueError(f"{arms} arm(s) in {frame.name} take {arms * d} label values, got {arm.shape[-1]}")
    poses = [_eef_targets(frame, current[7 * a : 7 * a + 7], arm[:, d * a : d * a + d]) for a in range(arms)]
    return np.concatenate(poses, axis=-1), gripper


def _arms(poses: np.ndarray) -> int:
    """Arms in a pose vector: 7 values each. Any other width is refused — slicing would drop the rest silently."""
    if poses.shape[-1] % 7 or not poses.shape[-1]:
        raise ValueError(f"EEF poses are 7 values per arm (xyz + quaternion xyzw), got {poses.shape[-1]}")
    return poses.shape[-1] // 7


def _joint_labels(frame: Frame, q0: np.ndarray, q: np.ndarray) -> np.ndarray:
    return q if frame.name == "joint_abs" else q - q0


def _eef_labels(frame: Frame, current: np.ndarray, targets: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    from ablate.data.se3 import rotation_to_vector

    p0, r0 = current[:3], Rotation.from_quat(current[3:7])
    p, r = targets[:, :3], Rotation.from_quat(targets[:, 3:7])
    if frame.name in ("world_delta", "eef_delta"):  # each step against the one before it
        p_ref = np.concatenate([p0[None], p[:-1]])
        r_ref = Rotation.concatenate([r0, r[:-1]]) if len(p) > 1 else Rotation.concatenate([r0])
    else:
        p_ref, r_ref = np.broadcast_to(p0, p.shape), r0
    if frame.name.startswith("world"):
        dp, dr = p - p_ref, r * r_ref.inv()
    else:
        dp, dr = r_ref.inv().apply(p - p_ref), r_ref.inv() * r
    return np.concatenate([dp, rotation_to_vector(dr, frame.rotation)], axis=-1)


def _eef_targets(frame: Frame, current: np.ndarray, arm: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    from ablate.data.se3 import vector_to_rotation

    p0, r0 = current[:3], Rotation.from_quat(current[3:7])
    dp, dr = arm[:, :3], vector_to_rotation(arm[:, 3:], frame.rotation)
    if frame.name == "world_rel":
        p, r = p0 + dp, dr * r0
    elif frame.name == "eef_rel":
        p, r = p0 + r0.apply(dp), r0 * dr
    else:  # delta frames accumulate step by step
        positions, rotations = [], []
        p_prev, r_prev = p0, r0
        for t in range(len(arm)):
            if frame.name == "world_delta":
                p_prev, r_prev = p_prev + dp[t], dr[t] * r_prev
            else:
                p_prev, r_prev = p_prev + r_prev.apply(dp[t]), r_prev * dr[t]
            positions.append(p_prev)
            rotations.append(r_prev)
        p, r = np.stack(positions), Rotation.concatenate(rotations)
    return np.concatenate([p, r.as_quat()], axis=-1)
