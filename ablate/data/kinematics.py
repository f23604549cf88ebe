"""Forward kinematics, joints → EEF pose in the registry's convention, on pytorch-kinematics with the robot's
own MJCF model from robosuite: for datasets that record joint positions but no EEF pose."""

from __future__ import annotations

import contextlib
from functools import cache
from importlib.resources import files

import numpy as np
from scipy.spatial.transform import Rotation

from ablate.data.embodiments import Embodiment


class ForwardKinematics:
    def __init__(self, embodiment: Embodiment, base_position: tuple[float, float, float] = (0.0, 0.0, 0.0)):
        if not embodiment.mjcf:
            raise ValueError(f"embodiment {embodiment.name} has no kinematic model (mjcf) in the registry")
        self.embodiment = embodiment
        self.base = np.asarray(base_position, dtype=np.float64)
        self.chain = _chain(embodiment.mjcf)
        self.site_offset = np.asarray(embodiment.hand_to_site[:3])
        self.site_rotation = Rotation.from_quat(embodiment.hand_to_site[3:])

    def __call__(self, joints: np.ndarray) -> np.ndarray:
        """[N, dof] joint positions → [N, 7] poses: position (world = base + base frame) and quaternion xyzw, w ≥ 0."""
        import torch

        q = np.atleast_2d(np.asarray(joints, dtype=np.float64))
        hand = self.chain.forward_kinematics(torch.from_numpy(q)).get_matrix().numpy()  # [N, 4, 4]
        hand_rotation = Rotation.from_matrix(hand[:, :3, :3])
        position = self.base + hand[:, :3, 3] + hand_rotation.apply(self.site_offset)
        quat = (hand_rotation * self.site_rotation).as_quat()
        quat = np.where(quat[:, 3:4] < 0, -quat, quat)
        return np.concatenate([position, quat], axis=1)


@cache
def _chain(mjcf: str):
    import pytorch_kinematics as pk
    import torch

    folder = files("robosuite") / "models" / "assets" / "robots" / mjcf
    with contextlib.chdir(str(folder)):  # the model's mesh paths are relative to its folder
        chain = pk.build_serial_chain_from_mjcf((folder / "robot.xml").read_text(), "right_hand")
    return chain.to(dtype=torch.float64)
