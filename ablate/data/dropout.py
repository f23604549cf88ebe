"""Sensory dropout (train time only, seeded): each camera view dropped with p_view (at least one kept), the
whole state vector zeroed with p_state (with a mask flag the model sees), the instruction emptied with p_lang."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SensoryDropout:
    p_view: float = 0.0
    p_state: float = 0.0
    p_lang: float = 0.0

    def __post_init__(self) -> None:
        for name in ("p_view", "p_state", "p_lang"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"train.dropout.{name} must be in [0, 1], got {value}")

    def apply(
        self, sample: dict[str, Any], cameras: list[str], state_key: str, rng: np.random.Generator
    ) -> dict[str, Any]:
        """A copy of `sample` with dropped inputs zeroed, plus `camera_mask` [n_cameras] and `state_mask` (1 = kept)."""
        out = dict(sample)
        keep = rng.random(len(cameras)) >= self.p_view
        if cameras and not keep.any():
            keep[rng.integers(len(cameras))] = True  # never blind the policy entirely
        for cam, kept in zip(cameras, keep, strict=True):
            if not kept:
                out[cam] = sample[cam] * 0
        state_kept = rng.random() >= self.p_state
        if not state_kept:
            out[state_key] = sample[state_key] * 0
        if rng.random() < self.p_lang:
            out["task"] = ""
        out["camera_mask"] = keep.astype(np.float32)
        out["state_mask"] = np.float32(state_kept)
        return out
