"""Testbed tasks: the robosuite environment, the instruction, and the progress checkpoints of each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str
    env_name: str  # robosuite environment
    instruction: str
    checkpoints: tuple[str, ...]  # in order; success = the last one
    horizon: int  # control steps at 20 Hz


TASKS: dict[str, Task] = {
    "lift": Task("lift", "Lift", "lift the red cube", ("reached", "grasped", "lifted"), 150),
    "stack": Task(
        "stack", "Stack", "stack the red cube on the green cube", ("reached", "grasped", "lifted", "placed"), 300
    ),
}


def task(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown testbed task '{name}'; known: {', '.join(TASKS)}")
    return TASKS[name]
