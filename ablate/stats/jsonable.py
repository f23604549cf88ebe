"""Results as strict JSON: tests to dicts, numpy scalars to Python, and every number that is not defined for the
data (NaN, ±∞) to null with the reason beside it — strict parsers reject bare NaN and Infinity tokens."""

from __future__ import annotations

import math
from dataclasses import asdict, is_dataclass

import numpy as np

UNDEFINED = "not defined for these data (a 0/0 or an infinite ratio, e.g. a zero cell in every table)"
NULLS = "null marks a number that is not defined for these data; the entry's `note` says why"


def plain(x):
    """A JSON-ready copy of `x`. A dict that loses a non-finite number gains `note` (unless it has one)."""
    if is_dataclass(x) and not isinstance(x, type):
        return plain(asdict(x))
    if isinstance(x, dict):
        out = {k: plain(v) for k, v in x.items()}
        if "note" not in out and has_undefined(x):
            out["note"] = UNDEFINED
        return out
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def has_undefined(d: dict) -> bool:
    """Whether a value of `d` (or of a list in it) is NaN or ±∞; nested dicts answer for themselves."""
    return any(_undefined(v) for v in d.values())


def _undefined(v) -> bool:
    if isinstance(v, list | tuple):
        return any(_undefined(e) for e in v)
    if isinstance(v, dict):
        return False  # the nested dict carries its own note
    return isinstance(v, float | np.floating) and not math.isfinite(float(v))
