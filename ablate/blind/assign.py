"""Who goes in which group, under which alias, in which order: every draw comes from one `random.Random(seed)`,
so the same seed, models and settings give the same plan (and a different seed a different one)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MIN_GROUP, MAX_GROUP = 4, 8

# Neutral words that say nothing about rank or index; each group draws its aliases from them at random.
# fmt: off
ALIASES = (
    "amber", "birch", "cedar", "dune", "ember", "fjord", "grove", "heron", "iris", "jade",
    "kestrel", "lotus", "maple", "nectar", "onyx", "pebble", "quartz", "raven", "sage", "tundra",
    "umber", "violet", "willow", "yarrow", "zephyr",
)
# fmt: on


@dataclass(frozen=True)
class Trial:
    trial_id: str  # opaque: random digits, the same on both sheets
    group: str
    alias: str
    target: str  # embodiment/task
    trial: int  # 1-based, per (alias, target)
    order: int  # 1-based run order within the group


@dataclass(frozen=True)
class Assignment:
    groups: dict[str, dict[str, str]]  # group -> alias -> model
    trials: list[Trial]


def group_sizes(n_models: int, group_size: int) -> list[int]:
    """Sizes of disjoint groups covering n_models, all within 4–8, as even as possible and closest to group_size.

    Raises ValueError when no split exists (fewer than 4 models)."""
    counts = [
        g
        for g in range(max(1, math.ceil(n_models / MAX_GROUP)), n_models // MIN_GROUP + 1)
        if n_models // g >= MIN_GROUP and math.ceil(n_models / g) <= MAX_GROUP
    ]
    if not counts:
        raise ValueError(
            f"{n_models} model(s) cannot be split into groups of {MIN_GROUP}–{MAX_GROUP}: "
            f"a blind group needs at least {MIN_GROUP} models"
        )
    g = min(counts, key=lambda c: (abs(n_models / c - group_size), c))  # ties: fewer, larger groups
    return [n_models // g + (i < n_models % g) for i in range(g)]


def assign(models: list[str], targets: list[str], trials: int, group_size: int, seed: int) -> Assignment:
    rng = random.Random(seed)
    shuffled = rng.sample(models, len(models))
    groups: dict[str, dict[str, str]] = {}
    start, deck = 0, []
    for i, size in enumerate(group_sizes(len(models), group_size)):
        members = shuffled[start : start + size]
        start += size
        if len(deck) < size:  # aliases unique across the plan while the words last, so "raven" means one model
            deck = rng.sample(ALIASES, len(ALIASES))
        aliases, deck = deck[:size], deck[size:]
        groups[f"G{i + 1}"] = dict(zip(aliases, members, strict=True))

    n_trials = len(models) * len(targets) * trials
    ids = iter(rng.sample(range(16**6), n_trials))
    rows = []
    for group, members in groups.items():
        order = 0
        for target in targets:
            for trial in range(1, trials + 1):
                for alias in rng.sample(sorted(members), len(members)):  # a fresh random order every round
                    order += 1
                    rows.append(Trial(f"{group}-{next(ids):06x}", group, alias, target, trial, order))
    return Assignment(groups, rows)
