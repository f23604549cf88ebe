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

    def draw(self, rng: np.random.Generator, n_cameras: int) -> DropoutDraw:
        """What one training sample keeps. Always the same number of draws, whatever the probabilities, so two
        arms with one seed but different dropout levels still see the same data order."""
        keep = rng.random(n_cameras) >= self.p_view
        if n_cameras and not keep.any():
            keep[rng.integers(n_cameras)] = True  # never blind the policy entirely
        state_kept = rng.random() >= self.p_state
        lang_kept = rng.random() >= self.p_lang
        return DropoutDraw(keep.astype(np.float32), bool(state_kept), bool(lang_kept))

    def apply(
        self, sample: dict[str, Any], cameras: list[str], state_key: str, rng: np.random.Generator
    ) -> dict[str, Any]:
        """A copy of `sample` with dropped inputs zeroed, plus `camera_mask` [n_cameras] and `state_mask` (1 = kept)."""
        drawn = self.draw(rng, len(cameras))
        out = dict(sample)
        for cam, kept in zip(cameras, drawn.camera_mask, strict=True):
            if not kept:
                out[cam] = sample[cam] * 0
        if not drawn.state_kept:
            out[state_key] = sample[state_key] * 0
        if not drawn.lang_kept:
            out["task"] = ""
        out["camera_mask"] = drawn.camera_mask
        out["state_mask"] = np.float32(drawn.state_kept)
        return out


@dataclass(frozen=True)
class DropoutDraw:
    camera_mask: np.ndarray  # [n_cameras] float32, 1 = view kept
    state_kept: bool
    lang_kept: bool
