"""Batches from a mixture of embodiment sources: drawn by the checkpointable `MixtureSampler`, normalised with
each embodiment's own statistics (never pooled), padded into one unified state/action space with masks, and
with train-time sensory dropout (state zeroed and flagged, instruction emptied, camera views masked). Draws per
embodiment feed the budget ledger."""

from __future__ import annotations

from typing import Any

import numpy as np

from ablate.data.dropout import SensoryDropout
from ablate.data.mixture import MixtureSampler, mixture_weights
from ablate.data.normalize import Stats, StatsCache
from ablate.data.source import EmbodimentSource


class MixtureLoader:
    def __init__(
        self,
        sources: list[EmbodimentSource],
        weights: dict[str, float] | str,
        seed: int,
        *,
        max_state_dim: int = 32,
        max_action_dim: int = 32,
        max_environment_dim: int = 0,
        temperature: float = 1.0,
        normalization: str = "mean_std",
        dropout: SensoryDropout | None = None,
        stats_cache: StatsCache | None = None,
    ):
        self.sources = {s.name: s for s in sources}
        for s in sources:
            if s.state_dim > max_state_dim or s.action_dim > max_action_dim:
                raise ValueError(
                    f"dataset {s.name}: state {s.state_dim} / action {s.action_dim} dims exceed the unified "
                    f"space ({max_state_dim} / {max_action_dim}); raise data.max_state_dim / max_action_dim"
                )
        sizes = {name: len(s) for name, s in self.sources.items()}
        self.sampler = MixtureSampler(sizes, mixture_weights(sizes, weights, temperature), seed)
        self.stats: dict[str, dict[str, Stats]] = {name: s.stats(stats_cache) for name, s in self.sources.items()}
        self.max_state_dim, self.max_action_dim = max_state_dim, max_action_dim
        self.max_environment_dim = max_environment_dim
        for s in sources:
            if s.environment_state_dim > max_environment_dim:
                raise ValueError(
                    f"dataset {s.name}: environment state has {s.environment_state_dim} dims, more than "
                    f"data.max_environment_dim ({max_environment_dim})"
                )
        self.normalization, self.dropout = normalization, dropout
        self.embodiment_ids = {name: i for i, name in enumerate(self.sources)}
        self.rng = np.random.default_rng([seed, 0xD50])

    def batch(self, size: int) -> dict[str, np.ndarray]:
        items = [self._item(name, index) for name, index in self.sampler.sample(size)]
        batch = {k: np.stack([it[k] for it in items]) for k in items[0] if k != "instruction"}
        return batch | {"instruction": [it["instruction"] for it in items]}

    def _item(self, name: str, index: int) -> dict[str, Any]:
        source, stats = self.sources[name], self.stats[name]
        raw = source.sample(index)
        state = stats["state"].normalize(raw["state"])
        actions = stats["actions"].normalize(raw["actions"], self.normalization)
        drawn = (self.dropout or SensoryDropout()).draw(self.rng, len(raw.get("images", ())))
        if not drawn.state_kept:
            state = np.zeros_like(state)
        s_dim, a_dim = source.state_dim, source.action_dim
        out = {
            "state": pad_to(state, self.max_state_dim),
            "state_dim_mask": dim_mask(s_dim, self.max_state_dim),
            "state_mask": np.float32(drawn.state_kept),
            "actions": pad_to(actions, self.max_action_dim),
            "action_dim_mask": dim_mask(a_dim, self.max_action_dim),
            "action_is_pad": raw["action_is_pad"],
            "embodiment": np.int64(self.embodiment_ids[name]),
            "instruction": source.instruction if drawn.lang_kept else "",
        }
        if "environment_state" in raw:
            env = stats["environment_state"].normalize(raw["environment_state"])
            out["environment_state"] = pad_to(env, self.max_environment_dim)
        if "images" in raw:  # a dropped view stays in the batch; its mask hides it from attention
            out["images"], out["camera_mask"] = raw["images"], drawn.camera_mask
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"sampler": self.sampler.state_dict(), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state["sampler"])
        self.rng.bit_generator.state = state["rng"]

    @property
    def drawn(self) -> dict[str, int]:
        return self.sampler.drawn


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
