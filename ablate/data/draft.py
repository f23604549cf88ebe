"""`ablate data describe DATASET`: a draft description from `meta/info.json` alone — every feature found, the role
guessed for each (from LeRobot's feature names and the per-value names), and what the researcher must check.

Guesses are marked `CHECK` in the draft and never used silently: a run reads the description the researcher kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ablate.data.checks import read_info
from ablate.data.features import feature_names, feature_width

BOOKKEEPING = {"timestamp", "frame_index", "episode_index", "index", "task_index"}
_GRIPPER = re.compile(r"grip|claw|jaw|finger", re.IGNORECASE)
_EEF = re.compile(r"eef|ee_pose|end_effector|tcp|cartesian", re.IGNORECASE)
_SIDES = ("left", "right")


@dataclass
class Side:
    """Joints and grippers found in one vector feature (state or action), with how they were found."""

    feature: str
    joints: list[str] = field(default_factory=list)
    grippers: list[str] = field(default_factory=list)
    how: str = ""


def draft(root: Path) -> str:
    """The draft description of the dataset in `root`, as commented YAML."""
    info = read_info(root)
    features: dict[str, dict[str, Any]] = info["features"]
    cameras = [k for k, f in features.items() if f.get("dtype") in ("image", "video")]
    vectors = {k: f for k, f in features.items() if k not in BOOKKEEPING and k not in cameras}
    eef = [k for k in vectors if _EEF.search(k)]
    state_key = "observation.state" if "observation.state" in vectors else None
    action_key = "action" if "action" in vectors else None
    env = "observation.environment_state" if "observation.environment_state" in vectors else None
    tasks = _tasks(root)

    lines = [
        f"# Description of {root} for ablate: a DRAFT by `ablate data describe`. Check every line marked CHECK,",
        "# then `ablate data check` it against the data. Feature references: FEATURE, FEATURE[i], FEATURE[a:b],",
        "# FEATURE[name, …] (the names meta/info.json lists); the dataset itself is never rewritten.",
        f"# Dataset: {info.get('total_episodes', '?')} episodes, {info.get('total_frames', '?')} frames at "
        f"{info.get('fps', '?')} fps, robot_type {info.get('robot_type')!r}, LeRobot {info.get('codebase_version')}.",
        "# Features found:",
        *(f"#   {k}: {_shape(f)}" for k, f in features.items() if k not in BOOKKEEPING),
        "",
        f"embodiment: {info.get('robot_type') or 'MY_ROBOT'}   # CHECK: an embodiment file's name (embodiments/"
        "<name>.yaml beside this description, ~/.config/ablate/embodiments/, or shipped: Panda, UR5e, Kinova3, IIWA)",
    ]
    for role, key in (("state", state_key), ("action", action_key)):
        lines += [f"{role}:"]
        if key is None:
            lines += [
                f"  joints: FEATURE[a:b]   # CHECK: no `{'observation.state' if role == 'state' else 'action'}` "
                "feature; name the one holding the robot's " + ("joints" if role == "state" else "commands")
            ]
            continue
        separate = [k for k in vectors if k not in (state_key, action_key) and _GRIPPER.search(k)]
        side = _split(key, vectors[key], separate if role == "state" else [])
        lines += _field("joints", side.joints, side.how)
        lines += _field("grippers", side.grippers, "" if side.grippers else "CHECK: none found")
        if role == "state" and eef:
            pose = eef[0]
            width = feature_width(vectors[pose])
            note = (
                "position xyz + quaternion xyzw"
                if width == 7
                else f"CHECK: {width} values; ablate reads 7 (xyz + quaternion xyzw)"
            )
            lines += [f"  eef: {pose}   # the current EEF pose ({note}); CHECK its frame matches the embodiment's"]
    lines += [
        f"cameras: {_yaml_list(cameras)}" + ("   # in the order the model sees them" if cameras else ""),
        f"environment_state: {env or 'null'}",
        'instruction: ""   # "" = each frame\'s own task string'
        + (
            f" ({len(tasks)} in meta/tasks: {', '.join(map(repr, tasks[:3]))}{', …' if len(tasks) > 3 else ''})"
            if tasks
            else " (CHECK: the dataset lists no tasks: write the instruction here)"
        ),
    ]
    return "\n".join(lines) + "\n"


def default_out(root: Path) -> Path:
    """Beside the dataset (`<name>.ablate.yaml`, where runs look for it), unless the dataset sits in a cache
    (Hugging Face's hub cache): then in the current folder, to be named in the config."""
    root = Path(root).resolve()
    if ".cache" in root.parts:
        return Path.cwd() / f"{root.name}.ablate.yaml"
    return root.parent / f"{root.name}.ablate.yaml"


def _split(key: str, spec: dict[str, Any], separate: list[str]) -> Side:
    """Joints and grippers of one vector, by its per-value names when info.json has them, else a guess. `separate`:
    features of their own that hold grippers (then the vector holds joints only)."""
    width, names = feature_width(spec), feature_names(spec)
    side = Side(key)
    if separate and not any(_GRIPPER.search(n) for n in names):
        side.joints, side.grippers = [key], list(separate)
        side.how = f"CHECK: all {width} values read as joints, the gripper from {', '.join(separate)}"
        return side
    if names and len(names) == width:
        arms = [s for s in _SIDES if any(n.lower().startswith(s) for n in names)]
        for prefix in arms or [""]:
            mine = [i for i, n in enumerate(names) if n.lower().startswith(prefix)]
            side.joints.append(_ref(key, [i for i in mine if not _GRIPPER.search(names[i])]))
            side.grippers += [f"{key}[{i}]" for i in mine if _GRIPPER.search(names[i])]
        side.how = "by the names in info.json" + (f" ({' and '.join(arms)} arms)" if arms else "")
        return side
    if width > 1:
        side.joints, side.grippers = [f"{key}[0:{width - 1}]"], [f"{key}[{width - 1}]"]
    else:
        side.joints = [key]
    side.how = "CHECK: no per-value names in info.json; guessed the last value is the gripper"
    return side


def _ref(key: str, indices: list[int]) -> str:
    if indices and indices == list(range(indices[0], indices[-1] + 1)):
        return f"{key}[{indices[0]}:{indices[-1] + 1}]"
    return f"{key}[{', '.join(map(str, indices))}]"


def _field(name: str, refs: list[str], note: str) -> list[str]:
    """`  name: REF` for one reference, a block list for several: a reference holds brackets, which a YAML flow
    list (`[a, b]`) would read as a nested list."""
    comment = f"   # {note}" if note else ""
    if len(refs) == 1:
        return [f"  {name}: {refs[0]}{comment}"]
    if not refs:
        return [f"  {name}: []{comment}"]
    return [f"  {name}:{comment}", *(f"    - {r}" for r in refs)]


def _yaml_list(items: list[str]) -> str:
    """Whole feature names only (no brackets), so a flow list is safe."""
    return "[" + ", ".join(items) + "]"


def _shape(spec: dict[str, Any]) -> str:
    names = feature_names(spec)
    shown = f" names {names[:8]}{' …' if len(names) > 8 else ''}" if names else ""
    return f"{spec.get('dtype')} {tuple(spec.get('shape') or ())}{shown}"


def _tasks(root: Path) -> list[str]:
    """The dataset's task strings (meta/tasks.parquet: the index holds them in LeRobot v3)."""
    path = Path(root) / "meta" / "tasks.parquet"
    if not path.is_file():
        return []
    import pandas as pd

    table = pd.read_parquet(path)
    return [str(t) for t in (table["task"] if "task" in table.columns else table.index)]
