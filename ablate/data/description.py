"""A dataset is described once, outside it: which embodiment recorded it, and where in its features the robot's
state and commands are — sliced as recorded (`observation.state[0:5]`, `action[5]`, see `ablate/data/features.py`),
never rewritten. The cameras, the environment state and the instruction complete it.

Where a description is found, first match wins (and `ablate plan` says which it used):
1. the file the run's config names for the dataset (`data.descriptions.<mixture key>`);
2. `<name>.ablate.yaml` beside the dataset's folder (`<data.root>/<name>.ablate.yaml`);
3. `meta/ablate.json` inside the dataset (the testbed writes its own there; the pre-1.0 flat form is still read).

A description that cannot be read (no file, not YAML/JSON, a key of the wrong type or unknown) is an `InputError`
naming the file and the key: it is the user's input, like a spec."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ablate.data.features import FeatureRef, FeatureRefError
from ablate.errors import InputError, Problem, did_you_mean, join_key

DESCRIPTION_FILE = Path("meta") / "ablate.json"
BESIDE_SUFFIX = ".ablate.yaml"


def _refs(value: object) -> list[str]:
    """One reference or a list of them; anything else is the description's error at its key (a ValueError, which
    pydantic reports, unlike a TypeError)."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"expected a feature reference or a list of them, got {value!r}")
    for v in values:
        FeatureRef.parse(v)  # a syntax error is the description's, at its key
    return values


class Recorded(BaseModel):
    """One side of the robot as recorded: its joints, its grippers, and (optional) its EEF poses. Several arms: one
    reference per arm, in the embodiment file's order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    joints: list[str]
    grippers: list[str] = []  # one reference per gripper; a gripper stays absolute in every action frame
    eef: list[str] | None = None  # 7 values per arm: position xyz (metres) + quaternion xyzw

    @field_validator("joints", "eef", mode="before")
    @classmethod
    def _one_or_many(cls, value):
        return None if value is None else _refs(value)

    @field_validator("grippers", mode="before")
    @classmethod
    def _grippers(cls, value):
        return _refs(value)


class DatasetDescription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # An embodiment's name or a path to its file (relative to this description): the file is looked for beside the
    # description (`embodiments/<name>.yaml` or `<name>.yaml`), in the user folder, then among the shipped robots.
    embodiment: str
    state: Recorded  # the robot's state at each frame: current joints, grippers, EEF pose
    action: Recorded  # what it was commanded: absolute joint targets, gripper commands, EEF target poses
    cameras: list[str] = []  # image or video features, in the order the model sees them
    environment_state: str | None = None  # a low-dimensional scene feature (simulation), if any
    instruction: str = ""  # "" = each frame's own LeRobot task string; any text = that text for every frame
    base_position: list[float] = [0.0, 0.0, 0.0]  # robot base in the EEF poses' frame (forward kinematics)

    def save(self, path: Path) -> None:
        """To `meta/ablate.json` (a dataset folder) or to the YAML file given."""
        path = Path(path)
        if path.is_dir():
            (path / DESCRIPTION_FILE).write_text(self.model_dump_json(indent=2) + "\n")
            return
        import yaml

        path.write_text(yaml.safe_dump(self.model_dump(), sort_keys=False))

    @classmethod
    def flat(cls, **fields) -> DatasetDescription:
        """From the flat form (`joint_state`, `gripper_state`, `eef_pose`, `action` + `action_layout`, …): the
        testbed's recorder writes through it, and so do tests."""
        return cls.model_validate(_from_flat(fields, Path("<flat description>")))

    @classmethod
    def load(cls, path: Path) -> DatasetDescription:
        """From a YAML/JSON file, or a dataset folder's `meta/ablate.json`."""
        path = Path(path)
        path = path / DESCRIPTION_FILE if path.is_dir() else path
        raw = _read(path)
        if "joint_state" in raw or "gripper_state" in raw or "action_layout" in raw:
            raw = _from_flat(raw, path)
        try:
            found = cls.model_validate(raw)
        except ValidationError as e:
            raise InputError([_problem(path, err) for err in e.errors()]) from None
        beside = _embodiment_beside(found.embodiment, path.parent)
        return found.model_copy(update={"embodiment": str(beside)}) if beside else found


def find_description(root: Path, explicit: Path | None = None) -> Path:
    """The description of the dataset in `root` (see the module's docstring for the order); InputError without."""
    root = Path(root)
    beside = root.parent / f"{root.name}{BESIDE_SUFFIX}"
    for candidate in (explicit, beside, root / DESCRIPTION_FILE):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    if explicit is not None:
        raise InputError.single(explicit, "", "no such file (named as this dataset's description)")
    raise InputError.single(
        root,
        "",
        f"no description of this dataset: write one to {beside} (`ablate data describe {root}` drafts it), or name "
        "one in the config (data.descriptions)",
    )


def _embodiment_beside(name: str, folder: Path) -> Path | None:
    """The embodiment file a description names, beside it: a relative path from the description's folder, or
    `<name>.yaml` in its `embodiments/` folder or the folder itself. None: looked up by name elsewhere."""
    given = folder / name
    if ("/" in name or name.endswith((".yaml", ".yml"))) and given.is_file():
        return given.resolve()
    for candidate in (folder / "embodiments" / f"{name}.yaml", folder / f"{name}.yaml"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _read(path: Path) -> dict:
    if not path.is_file():
        raise InputError.single(path, "", f"no such file; {_WHAT_TO_DO}")
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        text = path.read_text()
        if kind == "JSON":
            raw = json.loads(text)
        else:
            import yaml

            raw = yaml.safe_load(text)
    except Exception as e:  # JSONDecodeError, UnicodeDecodeError, yaml's ScannerError/ParserError…
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError.single(path, "", f"not valid {kind} ({first}); {_WHAT_TO_DO}") from None
    if not isinstance(raw, dict):
        raise InputError.single(path, "", f"expected a mapping, got {type(raw).__name__}; {_WHAT_TO_DO}")
    return raw


def _from_flat(raw: dict, path: Path) -> dict:
    """The flat form the testbed wrote before descriptions sliced features (`joint_state`, `gripper_state`,
    `eef_pose`, `action` with an `action_layout`): the same columns, as references."""
    from ablate.data.embodiments import embodiment

    flat = dict(raw)
    known = {"embodiment", "fps", "cameras", "joint_state", "gripper_state", "eef_pose", "environment_state"}
    known |= {"action", "action_layout", "base_position", "instruction"}
    unknown = sorted(set(flat) - known)
    if unknown:
        hint = did_you_mean(unknown[0], sorted(known))
        raise InputError.single(path, unknown[0], f"unknown key{hint}; expected one of: {', '.join(sorted(known))}")
    try:
        dof = embodiment(str(flat.get("embodiment"))).arm_dof
    except KeyError as e:
        raise InputError.single(path, "embodiment", e.args[0]) from None
    action = flat.get("action", "action")
    layout = flat.get("action_layout", "joints_eef_gripper")
    if layout not in ("joints_eef_gripper", "joints_gripper"):
        hint = did_you_mean(str(layout), ["joints_eef_gripper", "joints_gripper"])
        expected = "expected joints_eef_gripper or joints_gripper"
        raise InputError.single(path, "action_layout", f"{layout!r}{hint}; {expected}")
    # The optional features only where the file names them: the flat form's defaults were read only when a run
    # used them, so a dataset without them trained in joint frames, and still does.
    eef_pose = flat.get("eef_pose")
    with_eef = layout == "joints_eef_gripper"
    out = {
        "embodiment": flat["embodiment"],
        "state": {
            "joints": flat.get("joint_state", "observation.joint_pos"),
            "grippers": [flat.get("gripper_state", "observation.gripper_qpos")],
            "eef": eef_pose,
        },
        "action": {
            "joints": f"{action}[0:{dof}]",
            "grippers": [f"{action}[{dof + 7 if with_eef else dof}]"],
            "eef": f"{action}[{dof}:{dof + 7}]" if with_eef else None,
        },
        "cameras": flat.get("cameras", []),
        "environment_state": flat.get("environment_state"),
        "instruction": flat.get("instruction", ""),
        "base_position": flat.get("base_position", [0.0, 0.0, 0.0]),
    }
    return out


_WHAT_TO_DO = (
    "it describes the dataset for ablate (embodiment, where its joints, grippers and actions are): "
    "`ablate data describe DATASET` drafts one"
)


def _problem(path: Path, err: dict) -> Problem:
    """One pydantic error of the description at its key, with the allowed keys for an unknown one."""
    key = join_key(*err["loc"])
    if err["type"] == "extra_forbidden":
        model = DatasetDescription if len(err["loc"]) == 1 else Recorded
        allowed = list(model.model_fields)
        hint = did_you_mean(str(err["loc"][-1]), allowed)
        return Problem(str(path), key, f"unknown key{hint}; expected one of: {', '.join(allowed)}")
    if err["type"] == "missing":
        return Problem(str(path), key, "required key is missing")
    if isinstance(err.get("ctx", {}).get("error"), FeatureRefError):
        return Problem(str(path), key, str(err["ctx"]["error"]))
    return Problem(str(path), key, f"{err['msg']} (got {err['input']!r})")
