"""Parts of a dataset's features, as a description names them: `observation.state[0:5]`, `action[5]`,
`observation.state[shoulder_pan, elbow_flex]` (by the names `meta/info.json` lists) or a whole feature. A dataset is
used as recorded: ablate slices its columns, it never asks for them to be rewritten.

LeRobot writes a shape-(1,) feature as a scalar column; read here it is one value per frame, a (N, 1) array.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_REF = re.compile(r"^\s*(?P<feature>[^\[\]\s]+)\s*(?:\[(?P<part>[^\[\]]*)\])?\s*$")


class FeatureRefError(ValueError):
    """A reference that does not parse, or names no feature or no part of one; the message says which and why."""


@dataclass(frozen=True)
class FeatureRef:
    """A parsed reference: the feature's name and the part asked for (None: the whole feature)."""

    text: str
    feature: str
    part: str | None

    @classmethod
    def parse(cls, text: str) -> FeatureRef:
        m = _REF.match(text)
        if not m:
            raise FeatureRefError(
                f"{text!r} is not a feature reference; expected FEATURE, FEATURE[i], FEATURE[a:b] or FEATURE[name, …]"
            )
        part = m.group("part")
        return cls(text.strip(), m.group("feature"), part.strip() if part is not None else None)

    def indices(self, features: dict[str, Any]) -> list[int]:
        """The columns of the feature this reference takes, checked against `meta/info.json`'s `features`."""
        if self.feature not in features:
            known = ", ".join(sorted(features))
            raise FeatureRefError(f"{self.text}: no feature {self.feature!r} in the dataset (it has {known})")
        spec = features[self.feature]
        width = feature_width(spec)
        if self.part is None:
            return list(range(width))
        names = feature_names(spec)
        if ":" in self.part:
            lo, _, hi = self.part.partition(":")
            try:
                start, stop = int(lo or 0), int(hi) if hi.strip() else width
            except ValueError:
                raise FeatureRefError(f"{self.text}: a range is [start:stop] with whole numbers") from None
            if not 0 <= start < stop <= width:
                raise FeatureRefError(f"{self.text}: [{start}:{stop}] is outside {self.feature}'s {width} values")
            return list(range(start, stop))
        out = []
        for item in (p.strip() for p in self.part.split(",")):
            if item.lstrip("-").isdigit():
                i = int(item)
                if not 0 <= i < width:
                    raise FeatureRefError(f"{self.text}: index {i} is outside {self.feature}'s {width} values")
                out.append(i)
            elif item in names:
                out.append(names.index(item))
            else:
                listed = f"its names are {', '.join(names)}" if names else "info.json lists no names for it"
                raise FeatureRefError(f"{self.text}: {self.feature} has no value named {item!r} ({listed})")
        return out

    def read(self, column: np.ndarray, features: dict[str, Any]) -> np.ndarray:
        """[N, k] values of this part from the feature's column as the dataset holds it ([N] for a scalar)."""
        values = np.asarray(column)
        if values.ndim == 1:
            values = values[:, None]
        return values.reshape(len(values), -1)[:, self.indices(features)]


def feature_width(spec: dict[str, Any]) -> int:
    """Values per frame of a low-dimensional feature (a shape () or (1,) feature is one)."""
    return int(np.prod(spec.get("shape") or (1,)))


def feature_names(spec: dict[str, Any]) -> list[str]:
    """The per-value names `meta/info.json` gives a feature (lists, or LeRobot's {"motors": [...]} form)."""
    names = spec.get("names")
    if isinstance(names, dict):
        names = next(iter(names.values()), None)
    return [str(n) for n in names] if isinstance(names, list) and all(not isinstance(n, list) for n in names) else []
