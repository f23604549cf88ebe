"""An embodiment file: a robot as configuration (YAML), so researchers describe their own robots without Python.

It names each arm's joints, the arm's gripper (if any), optionally a kinematic model (URDF or MJCF) for forward
kinematics, the cameras and the EEF pose convention. A bimanual rig has two arms. In a dataset, the joint state
holds every arm's joints in arm order, the gripper state every gripper's state dims in arm order. Grippers stay
absolute in every action frame (`frames.py`), so they carry no kinematics.

A file that cannot be used is an `InputError` naming the file and the key path, as for specs and descriptions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ablate.errors import InputError, Problem, pydantic_problem

ROBOSUITE_PREFIX = "robosuite:"  # `mjcf: robosuite:panda` is robosuite's own model (its robots/<model>/robot.xml)
IDENTITY = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def _pose(values: tuple[float, ...]) -> tuple[float, ...]:
    """xyz (the rotation then is the identity) or xyz + a unit quaternion xyzw."""
    if len(values) == 3:
        return (*values, 0.0, 0.0, 0.0, 1.0)
    if len(values) != 7:
        raise ValueError(f"expected 3 numbers (x y z) or 7 (x y z qx qy qz qw), got {len(values)}")
    norm = math.sqrt(sum(v * v for v in values[3:]))
    # Loose enough for quaternions written with 8 digits (0.70710678), tight enough to catch a wrong one.
    if abs(norm - 1.0) > 1e-6:
        raise ValueError(f"the quaternion (qx qy qz qw) must have norm 1, got {norm:.6g}")
    return values


Pose = Annotated[tuple[float, ...], AfterValidator(_pose)]


class Gripper(BaseModel):
    """One arm's gripper. Its state and command sizes may differ: the Panda gripper reports 2 finger positions
    and takes one open/close command; the Robotiq140 reports 6 joint positions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "gripper"
    state_dims: PositiveInt  # entries of the gripper's state in the dataset
    action_dims: PositiveInt = 1  # entries of its command in an action
    robosuite: str = ""  # robosuite's gripper model, for the testbed's simulator (e.g. PandaGripper)


class Kinematics(BaseModel):
    """Forward kinematics of one arm through pytorch-kinematics: the serial chain base_link → tool_link of a URDF
    or MJCF model. Only the kinematics is read: meshes need not exist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urdf: str | None = None  # a path relative to the embodiment file (or absolute)
    mjcf: str | None = None  # the same, or robosuite:<model> for robosuite's robots
    base_link: str = ""  # the chain starts here ("": the model's root)
    tool_link: str  # …and ends here
    tool_offset: Pose = IDENTITY  # the tool point in tool_link's frame: xyz (+ quaternion xyzw)
    base_offset: Pose = IDENTITY  # base_link in the frame the EEF poses are written in: xyz (+ quaternion xyzw)
    # The model's names for the arm's joints, in the arm's order, when the dataset names them differently (the
    # two arms of a bimanual rig often share one model, and so its joint names). Default: the arm's joints.
    joints: tuple[str, ...] | None = None

    @field_validator("urdf", "mjcf")
    @classmethod
    def _exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Resolved against the embodiment file's folder and checked now, not when a training first needs it."""
        if value is None or value.startswith(ROBOSUITE_PREFIX):
            return value
        folder = (info.context or {}).get("folder", Path.cwd())
        path = Path(folder) / Path(value).expanduser()
        if not path.is_file():
            raise ValueError(f"no such file: {path} (a relative path is read from the embodiment file's folder)")
        return str(path.resolve())

    @model_validator(mode="after")
    def _one_model(self) -> Kinematics:
        if (self.urdf is None) == (self.mjcf is None):
            raise ValueError("give exactly one of urdf or mjcf (the model the chain is read from)")
        if self.urdf is not None and self.urdf.startswith(ROBOSUITE_PREFIX):
            raise ValueError(f"robosuite's models are MJCF: write mjcf: {self.urdf}")
        return self

    @property
    def model(self) -> str:
        return self.urdf if self.urdf is not None else str(self.mjcf)

    @property
    def format(self) -> str:
        return "urdf" if self.urdf is not None else "mjcf"


class Arm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "main"
    joints: tuple[str, ...] = Field(min_length=1)  # as the dataset orders them in its joint state
    gripper: Gripper | None = None
    kinematics: Kinematics | None = None

    @model_validator(mode="after")
    def _model_joints_match(self) -> Arm:
        k = self.kinematics
        if k is not None and k.joints is not None and len(k.joints) != len(self.joints):
            raise ValueError(
                f"kinematics.joints names {len(k.joints)} joints, the arm has {len(self.joints)}: one model name "
                "per arm joint, in the arm's order"
            )
        return self


class Embodiment(BaseModel):
    """A robot: its arms (with their grippers and kinematics), cameras and EEF pose convention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    arms: tuple[Arm, ...] = Field(min_length=1)
    eef_convention: str = Field(min_length=1)  # the frame, units and quaternion order of the EEF poses
    cameras: tuple[str, ...] = ()
    _file: Path | None = PrivateAttr(default=None)  # where it was read from (for messages and relative paths)

    @model_validator(mode="after")
    def _unique_names(self) -> Embodiment:
        for what, names in (("arm", [a.name for a in self.arms]), ("joint", self.joint_names)):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{what} names must be unique; repeated: {', '.join(repeated)}")
        return self

    @property
    def file(self) -> Path | None:
        return self._file

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(j for a in self.arms for j in a.joints)

    @property
    def arm_dof(self) -> int:
        """All arms' joints together (the joint state's and the joint actions' size)."""
        return len(self.joint_names)

    @property
    def grippers(self) -> tuple[Gripper, ...]:
        return tuple(a.gripper for a in self.arms if a.gripper is not None)

    @property
    def gripper_dims(self) -> int:
        """All grippers' state dims together (the gripper state's size)."""
        return sum(g.state_dims for g in self.grippers)

    @property
    def gripper_action_dims(self) -> int:
        return sum(g.action_dims for g in self.grippers)

    @property
    def state_dim(self) -> int:
        return self.arm_dof + self.gripper_dims

    @property
    def gripper(self) -> str:
        """robosuite's model of the first gripper ("" when none names one): the testbed's single-arm robots."""
        return self.grippers[0].robosuite if self.grippers else ""


# Each key path's model, for the allowed keys and "did you mean" of an unknown one.
_MODELS: dict[str, type[BaseModel]] = {
    "": Embodiment,
    "arms": Arm,
    "arms.gripper": Gripper,
    "arms.kinematics": Kinematics,
}


def load_embodiment_file(path: str | Path) -> Embodiment:
    path = Path(path)
    if not path.is_file():
        raise InputError.single(path, "", "no such embodiment file")
    doc = _Doc(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError.single(path, "", f"not valid YAML ({e})", mark.line + 1 if mark else None) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError.single(path, "", f"cannot be read ({e})") from None
    if not isinstance(raw, dict):
        raise InputError(doc.problem("", f"expected a mapping of {', '.join(Embodiment.model_fields)}"))
    try:
        embodiment = Embodiment.model_validate(raw, context={"folder": path.resolve().parent})
    except ValidationError as e:
        raise InputError([pydantic_problem(doc, err, _MODELS) for err in e.errors()]) from None
    embodiment._file = path
    return embodiment


class _Doc:
    """Places a problem in the file (without lines: PyYAML's safe loader keeps none)."""

    def __init__(self, path: Path):
        self.path = path

    def problem(self, key_path: str, message: str) -> Problem:
        return Problem(str(self.path), key_path, message)
