"""Forward kinematics, joints → EEF pose in the embodiment's convention, through pytorch-kinematics: for datasets
that record joint positions but no EEF pose.

Each arm's chain (base_link → tool_link) comes from the URDF or MJCF model its embodiment file names, or from
robosuite's own MJCF models (`mjcf: robosuite:<model>`). Only the kinematics is read: an MJCF model's meshes,
textures and height fields are dropped before MuJoCo compiles it, so their files need not exist (URDF meshes are
never opened).
"""

from __future__ import annotations

import contextlib
import importlib.util
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ablate.data.embodiment_file import ROBOSUITE_PREFIX, Arm, Embodiment
from ablate.errors import InputError, did_you_mean, join_key


class ForwardKinematics:
    """All arms' joints [N, arm_dof] (arm after arm, as the joint state holds them) → each arm's EEF pose,
    [N, 7 × arms]: position and quaternion xyzw with w ≥ 0, per arm."""

    def __init__(self, embodiment: Embodiment, base_position: tuple[float, float, float] = (0.0, 0.0, 0.0)):
        """`base_position`: where the robot sits in the frame the poses are written in (the dataset
        description's), added to each arm's `base_offset` from the embodiment file."""
        self.embodiment = embodiment
        self.arms = [ArmKinematics(embodiment, i, base_position) for i in range(len(embodiment.arms))]

    def __call__(self, joints: np.ndarray) -> np.ndarray:
        q = np.atleast_2d(np.asarray(joints, dtype=np.float64))
        if q.shape[1] != self.embodiment.arm_dof:
            raise ValueError(f"{self.embodiment.name} has {self.embodiment.arm_dof} joints, got {q.shape[1]} values")
        out, start = [], 0
        for arm in self.arms:
            out.append(arm(q[:, start : start + arm.dof]))
            start += arm.dof
        return np.concatenate(out, axis=1)


class ArmKinematics:
    """One arm: its joints [N, dof] → [N, 7], base_position + base_offset ∘ chain(q) ∘ tool_offset."""

    def __init__(self, embodiment: Embodiment, index: int, base_position: tuple[float, float, float]):
        arm = embodiment.arms[index]
        key = join_key("arms", index, "kinematics")
        if arm.kinematics is None:
            raise InputError.single(
                embodiment.file or embodiment.name,
                key,
                f"arm '{arm.name}' has no kinematics, and these EEF poses come from forward kinematics: add "
                "kinematics: {urdf: <file> (or mjcf: <file>), base_link: <link>, tool_link: <link>, tool_offset: "
                "[x, y, z, qx, qy, qz, qw]} to the arm, or use a dataset that records EEF poses, or a joint frame",
            )
        k, self.dof = arm.kinematics, len(arm.joints)
        self.chain = _chain(k.format, k.model, k.base_link, k.tool_link, embodiment.file or embodiment.name, key)
        self.order = _joint_order(self.chain, arm, embodiment, key)
        base = np.asarray(base_position, dtype=np.float64) + k.base_offset[:3]
        self.base_rotation, self.base = Rotation.from_quat(k.base_offset[3:]), base
        self.tool_position, self.tool_rotation = np.asarray(k.tool_offset[:3]), Rotation.from_quat(k.tool_offset[3:])

    def __call__(self, joints: np.ndarray) -> np.ndarray:
        import torch

        q = np.ascontiguousarray(joints[:, self.order])  # the arm's order → the chain's
        link = self.chain.forward_kinematics(torch.from_numpy(q)).get_matrix().numpy()  # [N, 4, 4] in base_link
        link_rotation = self.base_rotation * Rotation.from_matrix(link[:, :3, :3])
        position = self.base + self.base_rotation.apply(link[:, :3, 3]) + link_rotation.apply(self.tool_position)
        quat = (link_rotation * self.tool_rotation).as_quat()
        quat = np.where(quat[:, 3:4] < 0, -quat, quat)
        return np.concatenate([position, quat], axis=1)


def _joint_order(chain, arm: Arm, embodiment: Embodiment, key: str) -> list[int]:
    """For each of the chain's joints, the index of the arm joint it is (by the model's joint names)."""
    assert arm.kinematics is not None
    names = list(arm.kinematics.joints or arm.joints)
    moved = list(chain.get_joint_parameter_names())
    if sorted(moved) != sorted(names):
        raise InputError.single(
            embodiment.file or embodiment.name,
            key,
            f"the chain {arm.kinematics.base_link or '(root)'} → {arm.kinematics.tool_link} moves the joints "
            f"{', '.join(moved)}; the arm's joints are {', '.join(names)}. Name the model's joints in "
            "kinematics.joints (one per arm joint, in the arm's order), or choose base_link/tool_link so the chain "
            "moves exactly the arm's joints",
        )
    return [names.index(j) for j in moved]


@cache
def _chain(kind: str, model: str, base_link: str, tool_link: str, file: str | Path, key: str):
    import pytorch_kinematics as pk
    import torch

    path = _robosuite_model(model, file, key) if model.startswith(ROBOSUITE_PREFIX) else Path(model)
    # pytorch-kinematics keeps the model's offsets in float32 whatever `.to()` says later (0.3 m → 0.30000001):
    # FK is exact to about 1e-7 of the arm's size, far below what any robot reports.
    if kind == "urdf":
        tree = pk.build_chain_from_urdf(path.read_bytes())
    else:
        with contextlib.chdir(path.parent):  # an <include> is relative to the model's folder
            tree = pk.build_chain_from_mjcf(_without_meshes(path.read_text()))
    # Frames: URDF links; MJCF bodies and sites.
    frames = [n for n in tree.get_frame_names(exclude_fixed=False) if n]
    for field, link in (("base_link", base_link), ("tool_link", tool_link)):
        if link and link not in frames:
            raise InputError.single(
                file,
                f"{key}.{field}",
                f"no link '{link}' in {path}{did_you_mean(link, frames)}; its links: {', '.join(frames)}",
            )
    return pk.SerialChain(tree, tool_link, base_link).to(dtype=torch.float64)


def _without_meshes(text: str) -> str:
    """The MJCF model with its meshes (and other file assets) dropped; a mesh geom becomes a small sphere, so every
    body keeps a mass for MuJoCo's compiler. Body frames, joints and sites, all the kinematics reads, are untouched."""
    root = ET.fromstring(text)
    for asset in root.iter("asset"):
        for element in list(asset):
            if element.tag in ("mesh", "texture", "hfield", "skin"):
                asset.remove(element)
    for element in root.iter():
        if element.tag == "material":
            element.attrib.pop("texture", None)
        if element.tag == "geom" and ("mesh" in element.attrib or element.get("type") in ("mesh", "hfield")):
            element.attrib.pop("mesh", None)
            element.attrib.pop("hfield", None)
            element.set("type", "sphere")
            element.set("size", "0.01")
    return ET.tostring(root, encoding="unicode")


def _robosuite_model(model: str, file: str | Path, key: str) -> Path:
    name = model.removeprefix(ROBOSUITE_PREFIX)
    spec = importlib.util.find_spec("robosuite")  # its folder, without importing it (slow, and chatty)
    if spec is None or not spec.submodule_search_locations:
        raise InputError.single(file, f"{key}.mjcf", f"{model} needs robosuite, which is not installed")
    robots = Path(spec.submodule_search_locations[0]) / "models" / "assets" / "robots"
    path = robots / name / "robot.xml"
    if not path.is_file():
        known = sorted(p.parent.name for p in robots.glob("*/robot.xml"))
        raise InputError.single(
            file, f"{key}.mjcf", f"no robosuite model '{name}'{did_you_mean(name, known)}; known: {', '.join(known)}"
        )
    return path
