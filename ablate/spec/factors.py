"""Factors and their levels: the four built-in families and plain config paths.

A level is a short name plus the config overrides it stands for. Levels are written either as a list
(each value is assigned to the factor's target) or as named levels (`name: value` or
`name: {config.path: value, group/name: option}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ablate.data.frames import FRAMES as ACTION_FRAMES
from ablate.errors import Problem, did_you_mean, join_key
from ablate.naming import level_name
from ablate.spec.yaml_lines import Document

LEVEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class Family:
    """A built-in factor: what a bare level value sets, and which values are allowed."""

    target: str  # a config key (`data.action_frame`) or a config group (`data/mixture`)
    is_group: bool
    choices: tuple[str, ...] | None = None


FAMILIES: dict[str, Family] = {
    "action_frame": Family("data.action_frame", is_group=False, choices=ACTION_FRAMES),
    "mixture": Family("data/mixture", is_group=True),
    "dropout": Family("train/dropout", is_group=True),
    "stages": Family("stages", is_group=True),
}


@dataclass(frozen=True)
class Override:
    """One config change: `key` is a dotted config path, or a config group when `is_group`."""

    key: str
    value: Any
    is_group: bool
    spec_path: str  # where the user wrote it, for error messages
    add: bool = False  # `+key`: the key may be new to the recipe


@dataclass(frozen=True)
class Level:
    name: str
    overrides: tuple[Override, ...]


@dataclass(frozen=True)
class Factor:
    name: str
    levels: tuple[Level, ...]
    budget_changing: bool = False

    def level(self, name: str) -> Level | None:
        return next((lv for lv in self.levels if lv.name == name), None)


def parse_factors(
    raw: dict[str, Any], doc: Document, is_group, top_keys: set[str]
) -> tuple[list[Factor], list[Problem]]:
    """Turn `factors:` into Factor objects. `is_group(key)` says whether a key names a recipe config group."""
    factors, problems = [], []
    for name, levels in raw.items():
        path = join_key("factors", name)
        family = FAMILIES.get(name)
        custom = isinstance(levels, dict) and levels and all(isinstance(v, dict) for v in levels.values())
        if family is None and not custom and "." not in name and name not in top_keys and not is_group(name):
            problems.append(
                doc.problem(
                    path,
                    f"unknown factor family '{name}'"
                    + did_you_mean(name, FAMILIES)
                    + f"; expected a built-in family ({', '.join(FAMILIES)}), a config path such as optim.lr, "
                    "or named levels that each map to config overrides",
                )
            )
            continue
        target = family or Family(name.lstrip("+"), is_group=is_group(name))
        parsed, errs = _parse_levels(levels, path, target, name.startswith("+"), doc, is_group)
        problems += errs
        if parsed:
            factors.append(Factor(name, tuple(parsed)))
    return factors, problems


def _parse_levels(raw: Any, path: str, target: Family, add: bool, doc: Document, is_group):
    problems: list[Problem] = []
    if isinstance(raw, list):
        items = [(level_name(v), v, join_key(path, i)) for i, v in enumerate(raw)]
        bad = [(p, v) for _, v, p in items if isinstance(v, dict | list) or v is None]
        for p, v in bad:
            problems.append(doc.problem(p, f"list levels must be scalars, got {v!r}; name it instead: {{name: value}}"))
        if bad:
            return [], problems
    elif isinstance(raw, dict):
        items = [(str(name), v, join_key(path, name)) for name, v in raw.items()]
    else:
        return [], [doc.problem(path, f"expected a list of levels or a mapping of named levels, got {raw!r}")]
    if not items:
        return [], [doc.problem(path, "expected at least one level")]
    levels, seen = [], set()
    for name, value, lpath in items:
        if not LEVEL_NAME.match(name):
            problems.append(doc.problem(lpath, f"level name '{name}' must be letters, digits, _ . + - (no spaces)"))
            continue
        if name in seen:
            problems.append(doc.problem(lpath, f"level name '{name}' is used twice in this factor"))
            continue
        seen.add(name)
        if isinstance(value, dict):
            if not value:
                problems.append(doc.problem(lpath, "expected at least one override, e.g. {optim.lr: 0.001}"))
                continue
            overrides = [make_override(str(k), v, join_key(lpath, k), is_group) for k, v in value.items()]
        else:
            overrides = [Override(target.target, value, target.is_group, lpath, add=add)]
        problems += _check_choices(overrides, target, doc)
        levels.append(Level(name, tuple(overrides)))
    return levels, problems


def make_override(key: str, value: Any, spec_path: str, is_group) -> Override:
    """As on Hydra's command line: `a/b: x` picks a group option, and so does `model: x` when model is a group."""
    add = key.startswith("+")
    key = key.lstrip("+")
    group = "/" in key or (isinstance(value, str) and "." not in key and is_group(key))
    return Override(key, value, is_group=group, spec_path=spec_path, add=add)


def _check_choices(overrides: list[Override], target: Family, doc: Document) -> list[Problem]:
    if target.choices is None:
        return []
    return [
        doc.problem(o.spec_path, f"'{o.value}' is not a known value; expected one of: {', '.join(target.choices)}")
        for o in overrides
        if o.key == target.target and o.value not in target.choices
    ]
