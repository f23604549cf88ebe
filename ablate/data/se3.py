"""SE(3) maths in one place, on scipy's Rotation: poses as (position [..., 3], Rotation), and the three
rotation representations an action may use (axis-angle, quaternion xyzw, 6D = first two matrix columns)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

ROTATION_DIMS = {"axis_angle": 3, "quaternion": 4, "rot6d": 6}


def rotation_to_vector(rot: Rotation, representation: str) -> np.ndarray:
    if representation == "axis_angle":
        return rot.as_rotvec()
    if representation == "quaternion":
        q = rot.as_quat()  # xyzw
        return np.where(q[..., 3:4] < 0, -q, q)  # q and -q are one rotation: keep w >= 0
    if representation == "rot6d":
        m = rot.as_matrix()
        return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)
    raise ValueError(f"unknown rotation representation '{representation}'; expected one of {list(ROTATION_DIMS)}")


def vector_to_rotation(vec: np.ndarray, representation: str) -> Rotation:
    if representation == "axis_angle":
        return Rotation.from_rotvec(vec)
    if representation == "quaternion":
        return Rotation.from_quat(vec)
    if representation == "rot6d":
        a, b = vec[..., :3], vec[..., 3:6]
        x = a / np.linalg.norm(a, axis=-1, keepdims=True)  # Gram–Schmidt (Zhou et al. 2019)
        b = b - np.sum(x * b, axis=-1, keepdims=True) * x
        y = b / np.linalg.norm(b, axis=-1, keepdims=True)
        return Rotation.from_matrix(np.stack([x, y, np.cross(x, y)], axis=-1))
    raise ValueError(f"unknown rotation representation '{representation}'; expected one of {list(ROTATION_DIMS)}")


def compose(p_a: np.ndarray, r_a: Rotation, p_b: np.ndarray, r_b: Rotation) -> tuple[np.ndarray, Rotation]:
    """T_a ∘ T_b."""
    return p_a + r_a.apply(p_b), r_a * r_b


def inverse(p: np.ndarray, r: Rotation) -> tuple[np.ndarray, Rotation]:
    """T⁻¹."""
    r_inv = r.inv()
    return -r_inv.apply(p), r_inv
