"""A dataset's robot arrays, read as recorded through its description's feature references: current joints and
grippers, commanded joints and grippers, and the EEF poses when recorded. Checked against the embodiment: a width
that does not match is an error naming the reference, never a silent reshape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablate.data.description import DatasetDescription, Recorded
from ablate.data.embodiments import Embodiment
from ablate.data.features import FeatureRef, FeatureRefError


class RecordedError(ValueError):
    """The description's references do not fit the dataset or the embodiment; the message says which."""


@dataclass(frozen=True)
class RobotArrays:
    joints: np.ndarray  # [N, dof] current joint positions
    grippers: np.ndarray  # [N, G] current gripper state
    joint_targets: np.ndarray  # [N, dof] commanded joint positions (absolute)
    gripper_commands: np.ndarray  # [N, Ga] gripper commands (absolute in every frame)
    eef: np.ndarray | None  # [N, 7] current EEF pose, when recorded
    eef_targets: np.ndarray | None  # [N, 7] commanded EEF pose, when recorded

    def take(self, keep: np.ndarray) -> RobotArrays:
        def cut(a):
            return None if a is None else a[keep]

        return RobotArrays(*(cut(getattr(self, f)) for f in self.__dataclass_fields__))


def read_robot(
    description: DatasetDescription, embodiment: Embodiment, features: dict[str, Any], columns: dict[str, np.ndarray]
) -> RobotArrays:
    """The arrays of `description`'s references from the dataset's `columns` ({feature: column})."""

    def read(refs: list[str] | None, role: str) -> np.ndarray | None:
        if refs is None:
            return None
        try:
            parts = [ref.read(columns[ref.feature], features) for ref in map(FeatureRef.parse, refs)]
        except FeatureRefError as e:
            raise RecordedError(f"{role}: {e}") from None
        return np.concatenate(parts, axis=1).astype(np.float64) if parts else np.zeros((_rows(columns), 0))

    s, a = description.state, description.action
    arrays = RobotArrays(
        read(s.joints, "state.joints"),
        read(s.grippers, "state.grippers"),
        read(a.joints, "action.joints"),
        read(a.grippers, "action.grippers"),
        read(s.eef, "state.eef"),
        read(a.eef, "action.eef"),
    )
    _check_widths(arrays, description, embodiment)
    return arrays


def needed_features(description: DatasetDescription) -> list[str]:
    """The low-dimensional features the robot arrays are read from."""
    refs = [*_all(description.state), *_all(description.action)]
    return list(dict.fromkeys(FeatureRef.parse(r).feature for r in refs))


def _all(side: Recorded) -> list[str]:
    return [*side.joints, *side.grippers, *(side.eef or [])]


def _rows(columns: dict[str, np.ndarray]) -> int:
    return len(next(iter(columns.values())))


def _check_widths(arrays: RobotArrays, description: DatasetDescription, e: Embodiment) -> None:
    widths = {role: None if getattr(arrays, attr) is None else getattr(arrays, attr).shape[1] for role, attr in ROLES}
    check_widths(description, e, widths)


ROLES = (
    ("state.joints", "joints"),
    ("action.joints", "joint_targets"),
    ("state.grippers", "grippers"),
    ("action.grippers", "gripper_commands"),
    ("state.eef", "eef"),
    ("action.eef", "eef_targets"),
)


def reference_widths(description: DatasetDescription, features: dict[str, Any]) -> dict[str, int | None]:
    """Each role's width from `meta/info.json` alone (no data read): what planning checks."""
    out: dict[str, int | None] = {}
    for role, _ in ROLES:
        side, key = role.split(".")
        refs = getattr(getattr(description, side), key)
        out[role] = None if refs is None else sum(len(FeatureRef.parse(r).indices(features)) for r in refs)
    return out


def check_widths(description: DatasetDescription, e: Embodiment, widths: dict[str, int | None]) -> None:
    """Each role as wide as the embodiment says (joints, gripper state and commands, 7 per arm for EEF poses), and
    one command per gripper; RecordedError naming the role and its references otherwise."""
    arms = len(e.arms)
    expected = {
        "state.joints": (e.arm_dof, f"{e.name}'s {e.arm_dof} arm joints"),
        "action.joints": (e.arm_dof, f"{e.name}'s {e.arm_dof} arm joints"),
        "state.grippers": (e.gripper_dims, f"{e.name}'s gripper state ({e.gripper_dims} values)"),
        "action.grippers": (e.gripper_action_dims, f"{e.name}'s gripper commands ({e.gripper_action_dims} values)"),
        "state.eef": (7 * arms, "7 per arm: position xyz + quaternion xyzw"),
        "action.eef": (7 * arms, "7 per arm: position xyz + quaternion xyzw"),
    }
    for role, (width, what) in expected.items():
        if widths.get(role) is not None and widths[role] != width:
            side, key = role.split(".")
            refs = ", ".join(getattr(getattr(description, side), key) or [])
            raise RecordedError(f"{role} ({refs}) holds {widths[role]} values, expected {width}: {what}")
    if len(description.action.grippers) != len(description.state.grippers):
        raise RecordedError(
            f"state.grippers names {len(description.state.grippers)} gripper(s) and action.grippers "
            f"{len(description.action.grippers)}: one command per gripper"
        )
