"""How ablate names levels and targets, the same in specs, CLI flags, run names and the trial table.

- a level written as a plain value is named by its text: 0.0001 → '0.0001', 3e-4 → '0.0003', True → 'true';
- a target is `Robot/task` (e.g. `Panda/lift`): exactly one `/`, neither side empty.
Low level (it imports only `ablate.errors`), so evaluation, statistics, blinding and the spec all share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ablate.errors import InputError

TARGET_FORMAT = "Robot/task items (e.g. Panda/lift)"


def level_name(value: Any) -> str:
    """Readable level names for list levels: 0.0001 → '0.0001', 3e-4 → '0.0003', True → 'true'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def split_target(target: str) -> tuple[str, str] | None:
    """(robot, task) of `Robot/task`, or None when it is not of that form."""
    robot, slash, task = str(target).partition("/")
    return (robot, task) if slash and robot and task and "/" not in task else None


def target_name(robot: str, task: str) -> str:
    return f"{robot}/{task}"


def bad_targets(targets: Iterable[str]) -> list[str]:
    """The items that are not `Robot/task`."""
    return [t for t in targets if split_target(t) is None]


def parse_targets(text: str) -> list[tuple[str, str]]:
    """`Panda/lift,UR5e/lift` → [(robot, task), …]; ValueError naming every bad item."""
    items = [item.strip() for item in text.split(",")]
    bad = bad_targets(items)
    if bad:
        raise ValueError(f"expected {TARGET_FORMAT}, got {', '.join(map(repr, bad))}")
    return [split_target(item) for item in items]  # type: ignore[misc]


def eval_targets(text: str, file: str | Path, flag: str = "--targets") -> list[dict[str, str]]:
    """A `--targets` value as a config's `eval.targets` ([{robot, task}, …]); bad input is an InputError."""
    try:
        pairs = parse_targets(text)
    except ValueError as e:
        raise InputError.single(file, flag, str(e)) from None
    return [{"robot": robot, "task": task} for robot, task in pairs]
