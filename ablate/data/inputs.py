"""The one path from a robot's observation to the model's inputs, used by training (`MixtureLoader`) and by
evaluation (`evaluate.closed_loop`) alike, so both normalise and pad the same way:

- the state is normalised with its embodiment's mean/std (always mean/std, whatever `data.normalization`),
  zeroed when dropped, and padded into the unified space with a mask of its real dims;
- the environment state (low-dimensional scenes) likewise, without a mask;
- actions are normalised (training) and un-normalised (evaluation) with `data.normalization`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablate.config import VlaData
from ablate.data.normalize import Stats


@dataclass(frozen=True)
class Padding:
    """The unified padded spaces every embodiment is placed in."""

    state: int
    action: int
    environment: int

    @classmethod
    def of(cls, data: VlaData) -> Padding:
        return cls(data.max_state_dim, data.max_action_dim, data.max_environment_dim)


def observation_inputs(
    state: np.ndarray,
    stats: dict[str, Stats],
    padding: Padding,
    *,
    state_kept: bool = True,
    environment_state: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One sample's state inputs: `state`, `state_dim_mask`, `state_mask` (and `environment_state`)."""
    normalised = stats["state"].normalize(state)
    if not state_kept:
        normalised = np.zeros_like(normalised)
    out = {
        "state": pad_to(normalised, padding.state),
        "state_dim_mask": dim_mask(len(state), padding.state),
        "state_mask": np.float32(state_kept),
    }
    if environment_state is not None:
        out["environment_state"] = pad_to(stats["environment_state"].normalize(environment_state), padding.environment)
    return out


def normalize_actions(actions: np.ndarray, stats: dict[str, Stats], mode: str) -> np.ndarray:
    return stats["actions"].normalize(actions, mode)


def unnormalize_actions(chunk: np.ndarray, stats: dict[str, Stats], mode: str) -> np.ndarray:
    """A predicted chunk [H, A] back in the robot's units (the frame's labels), with the mode it was trained in."""
    return stats["actions"].unnormalize(chunk, mode)


def pad_to(x: np.ndarray, dim: int) -> np.ndarray:
    """Zero-pad the last axis to `dim` (the unified space)."""
    out = np.zeros((*x.shape[:-1], dim), dtype=np.float32)
    out[..., : x.shape[-1]] = x
    return out


def dim_mask(n: int, dim: int) -> np.ndarray:
    """1 for the first `n` of `dim` entries (the real ones), 0 for the padding."""
    m = np.zeros(dim, dtype=np.float32)
    m[:n] = 1.0
    return m
