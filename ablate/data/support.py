"""Which action frames a dataset supports, and why not the others — one answer for `ablate data check`, for the
plan-time check of every arm, and for the job that builds the labels.

Joint frames need the joints (always described). EEF frames read the current pose and the targets from ONE source:
both recorded (`state.eef` and `action.eef`), or both by forward kinematics of the joints (the embodiment file's
`kinematics`, for every arm of a bimanual rig). A recorded current pose with targets from kinematics would mix two
conventions: once, the first `eef_rel` label of a dataset was 0.74 m and 2.9 rad off that way.
"""

from __future__ import annotations

from typing import Literal

from ablate.data.description import DatasetDescription
from ablate.data.embodiments import Embodiment
from ablate.data.frames import FRAMES

EefSource = Literal["recorded", "kinematics"]


class FrameUnsupported(ValueError):
    """The dataset cannot give labels in the frame asked for; the message says why and what would."""


def has_kinematics(e: Embodiment) -> bool:
    return all(arm.kinematics is not None for arm in e.arms)


def eef_source(description: DatasetDescription, e: Embodiment, joint_only: bool = False) -> EefSource:
    """Where EEF-frame labels come from; FrameUnsupported with the reason when nowhere. `joint_only`: the dataset is
    read as if it recorded no EEF pose (a study's joint-only pool)."""
    recorded = bool(description.state.eef) and bool(description.action.eef) and not joint_only
    if recorded:
        return "recorded"
    if has_kinematics(e):
        return "kinematics"
    arms = "each arm of " if len(e.arms) > 1 else ""
    fix = f"add `kinematics:` (a URDF or MJCF with base and tool links) to {arms}{e.name}'s embodiment file"
    if joint_only:
        why = "the dataset is read as joint-only (data.joint_only)"
    elif description.state.eef:
        why = (
            "the dataset records the current EEF pose (state.eef) but no commanded poses (action.eef), and the "
            "current pose and the targets must come from one source"
        )
        fix += ", or name the recorded target poses as action.eef"
    else:
        why = "the dataset records no EEF poses"
    raise FrameUnsupported(f"{why}, and {e.name} has no kinematics: {fix}")


def frame_support(description: DatasetDescription, e: Embodiment, joint_only: bool = False) -> dict[str, str | None]:
    """For every action frame: None when supported, else why not."""
    out: dict[str, str | None] = {}
    for frame in FRAMES:
        if frame.startswith("joint"):
            out[frame] = None
            continue
        try:
            eef_source(description, e, joint_only)
            out[frame] = None
        except FrameUnsupported as err:
            out[frame] = str(err)
    return out
