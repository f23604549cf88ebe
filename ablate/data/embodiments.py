"""Embodiments by name: robots are configuration (`embodiment_file.py`), found by path (a dataset description
resolves the one beside it), in the folders given, in the project's `embodiments/` folder (beside its `recipes/`
and `experiments/`, in the folder a run starts from), in the user's folder, or among the testbed's robots shipped
in `ablate/data/robots/`.

EEF pose convention for all testbed robots: robosuite's controller site frame (`robot0_eef_pos`,
`robot0_eef_quat_site`), position in metres in the scene's world frame (the robot base sits at a fixed offset
with identity rotation), quaternion xyzw with w >= 0. (`robot0_eef_quat` is the body frame, 90° off: never used.)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ablate.data.embodiment_file import Arm, Embodiment, Gripper, Kinematics, load_embodiment_file
from ablate.errors import InputError, Problem, did_you_mean

__all__ = ["EMBODIMENTS", "Arm", "Embodiment", "Gripper", "Kinematics", "embodiment", "user_folder"]

SHIPPED = Path(__file__).with_name("robots")  # the testbed's robots (package data)
USER_FOLDER_VARIABLE = "ABLATE_EMBODIMENTS"
PROJECT_FOLDER = Path("embodiments")  # relative to the folder a run (or a command) starts from
SUFFIX = ".yaml"


def user_folder() -> Path:
    return Path(os.environ.get(USER_FOLDER_VARIABLE) or Path.home() / ".config" / "ablate" / "embodiments")


# The testbed's robots, in the order `ablate testbed` and its messages list them.
TESTBED_ROBOTS = ("Panda", "UR5e", "Kinova3", "IIWA")
EMBODIMENTS: dict[str, Embodiment] = {n: load_embodiment_file(SHIPPED / f"{n}{SUFFIX}") for n in TESTBED_ROBOTS}


class UnknownEmbodiment(InputError, KeyError):
    """No embodiment file by that name. A KeyError too, as callers catch it (and `args[0]` is the message)."""

    def __init__(self, message: str):
        self.problems = [Problem("", "", message)]
        Exception.__init__(self, message)

    def __str__(self) -> str:
        return str(self.args[0])  # not KeyError's repr-quoting


def embodiment(name: str | Path, search: Iterable[str | Path] = ()) -> Embodiment:
    """The embodiment `name`, the first found of:
    1. `name` itself, when it is a path to a YAML file (absolute, or relative to the working directory);
    2. `<folder>/<name>.yaml` for each folder of `search`, in order;
    3. `embodiments/<name>.yaml` in the current folder: the project's, where its specs and recipes are;
    4. `<user folder>/<name>.yaml`: `$ABLATE_EMBODIMENTS`, by default `~/.config/ablate/embodiments`;
    5. the shipped testbed robots (`EMBODIMENTS`)."""
    name = str(name)
    if name.endswith((".yaml", ".yml")) or os.sep in name:
        return load_embodiment_file(Path(name).expanduser())
    folders = [(Path(f), "given") for f in search] + [
        (PROJECT_FOLDER.resolve(), "the project's, in the current folder"),
        (user_folder(), f"user folder, ${USER_FOLDER_VARIABLE}"),
    ]
    for folder, _ in folders:
        path = folder / f"{name}{SUFFIX}"
        if path.is_file():
            return _named(load_embodiment_file(path), name)
    if name in EMBODIMENTS:
        return EMBODIMENTS[name]
    found = {p.stem for f, _ in folders if f.is_dir() for p in f.glob(f"*{SUFFIX}")}
    known = [*EMBODIMENTS, *sorted(found - set(EMBODIMENTS))]
    looked = "; ".join(f"{f} ({why})" for f, why in folders) + f"; {SHIPPED} (shipped)"
    raise UnknownEmbodiment(
        f"unknown embodiment '{name}'{did_you_mean(name, known)}; known: {', '.join(known)}. "
        f"Looked for {name}{SUFFIX} in: {looked}"
    )


def _named(found: Embodiment, name: str) -> Embodiment:
    """A file found as `<name>.yaml` names that embodiment: two names for one robot would be read differently
    by the lookup and by the records (trial tables, statistics) that carry `embodiment.name`."""
    if found.name != name:
        raise InputError.single(
            found.file or name, "name", f"is '{found.name}', but the file is found as '{name}': make them equal"
        )
    return found
