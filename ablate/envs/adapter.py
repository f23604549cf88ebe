"""The environment adapter: the smallest contract a closed-loop evaluation needs, shaped like gymnasium's.

    class MyEnvironment:                                   # registered in the `ablate.environments` entry points
        robot = "sawyer"                                   # the embodiment its observations and actions belong to
        def __init__(self, robot, task, *, action="joint", images=False, image_size=64): ...
        def reset(self, seed: int) -> dict: ...            # a seeded episode's first observation
        def step(self, action: np.ndarray) -> Step: ...    # one absolute action → observation, success, progress
        def close(self) -> None: ...
        horizon: int                                       # steps an episode may take

- Observations are dicts in LeRobot's feature naming, as the environment's datasets record them
  (`observation.state`, `observation.environment_state`, `observation.images.<camera>`, `task`), so a policy reads
  them through its dataset's description exactly as in training (`ablate.policy`).
- An action is absolute, in the robot's command space and the embodiment's order: the arm targets (every arm's
  joints, or 7 values per arm: an EEF target pose, xyz + quaternion xyzw), then every gripper's command.
  `action` says which the adapter will be given: "joint" for joint frames, "eef" for EEF frames; an adapter that
  cannot take one raises `Unsupported`.
- `reset(seed)` gives the same scene for the same seed, in every arm: paired episodes.
- `Step.success` is the environment's own verdict (an episode succeeds once it has succeeded); `progress` in
  [0, 1], or None where the environment defines none.

`environment(name)` finds an adapter class by name: the shipped ones (`testbed`, `metaworld`), then the
`ablate.environments` entry-point group (`name = "package.module:Class"`), as job kinds are found."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

import numpy as np

from ablate.errors import did_you_mean

ENTRY_POINTS = "ablate.environments"
SHIPPED = {
    "testbed": "ablate.envs.testbed:TestbedEnvironment",
    "metaworld": "ablate.envs.metaworld:MetaWorldEnvironment",
}
ACTIONS = ("joint", "eef")


class Unsupported(ValueError):
    """What an environment cannot do (a robot, a task, an action kind, images); the message says why."""


@dataclass(frozen=True)
class Step:
    observation: dict[str, Any]
    success: bool
    progress: float | None = None
    done: bool = False  # the episode ended early (the environment says so); the horizon ends it too


class Environment(Protocol):
    robot: str
    horizon: int

    def reset(self, seed: int) -> dict[str, Any]: ...

    def step(self, action: np.ndarray) -> Step: ...

    def close(self) -> None: ...


def known_environments() -> dict[str, str]:
    found = dict(SHIPPED)
    for ep in entry_points(group=ENTRY_POINTS):
        found.setdefault(ep.name, ep.value)
    return found


def environment(name: str) -> type:
    """The adapter class registered as `name`; `Unsupported` naming the known ones otherwise."""
    known = known_environments()
    if name not in known:
        raise Unsupported(f"unknown environment '{name}'{did_you_mean(name, list(known))}; known: {', '.join(known)}")
    module, _, attr = known[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def action_kind(frame: str) -> str:
    """The action an adapter is given for a run trained in action frame `frame`: joint targets or EEF poses."""
    return "joint" if frame.startswith("joint") else "eef"


def refusal(env: str, frame: str) -> str | None:
    """Why environment `env` cannot evaluate a run trained in `frame` (unknown, not importable, or not taking its
    actions); None when it can. Imports the adapter's module only (its simulator is imported when it is built)."""
    try:
        adapter = environment(env)
    except Unsupported as e:
        return str(e)
    except ImportError as e:
        return f"the adapter of {env} cannot be imported ({e})"
    takes = getattr(adapter, "actions", ACTIONS)
    if action_kind(frame) not in takes:
        fix = "a joint frame" if "joint" in takes else "an EEF frame"
        return f"{env} takes {' or '.join(takes)} actions, and this run trains in {frame}: train in {fix}"
    return None
