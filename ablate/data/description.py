"""A dataset is described once: its embodiment, which keys hold cameras, joint state, gripper, EEF pose,
environment state and the instruction, and its fps. Testbed datasets carry theirs in `meta/ablate.json`.

A description that cannot be read (no file, not JSON, a key of the wrong type or unknown) is an `InputError`
naming the file and the key: it is the user's input, like a spec."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ablate.errors import InputError, Problem, did_you_mean, join_key

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
        path = Path(root) / DESCRIPTION_FILE
        if not path.is_file():
            raise InputError.single(path, "", f"no such file; {_WHAT_TO_DO}")
        try:
            raw = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError.single(path, "", f"not valid JSON ({e}); {_WHAT_TO_DO}") from None
        if not isinstance(raw, dict):
            raise InputError.single(path, "", f"expected a JSON object, got {type(raw).__name__}; {_WHAT_TO_DO}")
        try:
            return cls.model_validate(raw)
        except ValidationError as e:
            raise InputError([_problem(path, err) for err in e.errors()]) from None


_WHAT_TO_DO = (
    "it describes the dataset for ablate (embodiment, fps, which keys hold joint state, gripper, action): "
    "write it as DatasetDescription(...).save(root) does, or record the dataset again"
)


def _problem(path: Path, err: dict) -> Problem:
    """One pydantic error of the description at its key, with the allowed keys for an unknown one."""
    key = join_key(*err["loc"])
    if err["type"] == "extra_forbidden":
        allowed = list(DatasetDescription.model_fields)
        hint = did_you_mean(str(err["loc"][-1]), allowed)
        return Problem(str(path), key, f"unknown key{hint}; expected one of: {', '.join(allowed)}")
    if err["type"] == "missing":
        return Problem(str(path), key, "required key is missing")
    return Problem(str(path), key, f"{err['msg']} (got {err['input']!r})")
