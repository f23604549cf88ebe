"""A dataset is described once: its embodiment, which keys hold cameras, joint state, gripper, EEF pose,
environment state and the instruction, and its fps. Testbed datasets carry theirs in `meta/ablate.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

DESCRIPTION_FILE = Path("meta") / "ablate.json"


class DatasetDescription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    embodiment: str
    fps: int
    cameras: list[str] = []
    joint_state: str = "observation.joint_pos"
    gripper_state: str = "observation.gripper_qpos"
    eef_pose: str | None = "observation.eef_pose"
    environment_state: str | None = "observation.environment_state"
    action: str = "action"
    # `joints_eef_gripper`: next joint targets, next EEF pose (7), gripper command (the testbed's layout);
    # `joints_gripper`: next joint targets and the gripper command (EEF poses then come from forward kinematics).
    action_layout: Literal["joints_eef_gripper", "joints_gripper"] = "joints_eef_gripper"
    base_position: list[float] = [0.0, 0.0, 0.0]  # robot base in the EEF poses' frame (forward kinematics)
    instruction: str = ""

    def save(self, root: Path) -> None:
        (root / DESCRIPTION_FILE).write_text(self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, root: Path) -> DatasetDescription:
        return cls.model_validate(json.loads((root / DESCRIPTION_FILE).read_text()))
