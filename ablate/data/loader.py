"""Batches from a mixture of embodiment sources: drawn by the checkpointable `MixtureSampler`, normalised with
each embodiment's own statistics (never pooled), padded into one unified state/action space with masks, and
with train-time sensory dropout (state zeroed and flagged, instruction emptied, camera views masked). Draws per
embodiment feed the budget ledger."""

from __future__ import annotations

from typing import Any

import numpy as np

from ablate.data.dropout import SensoryDropout
from ablate.data.inputs import Padding, dim_mask, normalize_actions, observation_inputs, pad_to
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
        padding: Padding,
        temperature: float,
        normalization: str,
        dropout: SensoryDropout | None = None,
        stats_cache: StatsCache | None = None,
        stats: dict[str, dict[str, Stats]] | None = None,
    ):
        """`stats`: the statistics to normalise with, per dataset name (a validation loader gets training's);
        default: each source's own (cached in `stats_cache`)."""
        self.sources = {s.name: s for s in sources}
        max_state_dim, max_action_dim, max_environment_dim = padding.state, padding.action, padding.environment
        for s in sources:
            if s.state_dim > max_state_dim or s.action_dim > max_action_dim:
                raise ValueError(
                    f"dataset {s.name}: state {s.state_dim} / action {s.action_dim} dims exceed the unified "
                    f"space ({max_state_dim} / {max_action_dim}); raise data.max_state_dim / max_action_dim"
                )
        sizes = {name: len(s) for name, s in self.sources.items()}
        self.sampler = MixtureSampler(sizes, mixture_weights(sizes, weights, temperature), seed)
        self.stats: dict[str, dict[str, Stats]] = {
            name: stats[name] if stats is not None else s.stats(stats_cache) for name, s in self.sources.items()
        }
        self.padding = padding
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
        return self.batch_at(self.sampler.sample(size))

    def batch_at(self, picks: list[tuple[str, int]]) -> dict[str, np.ndarray]:
        """The batch of the given (dataset name, sample index) picks, as `batch` serves them."""
        items = [self._item(name, index) for name, index in picks]
        batch = {k: np.stack([it[k] for it in items]) for k in items[0] if k != "instruction"}
        return batch | {"instruction": [it["instruction"] for it in items]}

    def _item(self, name: str, index: int) -> dict[str, Any]:
        source, stats = self.sources[name], self.stats[name]
        raw = source.sample(index)
        drawn = (self.dropout or SensoryDropout()).draw(self.rng, len(raw.get("images", ())))
        out = observation_inputs(
            raw["state"],
            stats,
            self.padding,
            state_kept=drawn.state_kept,
            environment_state=raw.get("environment_state"),
        )
        out |= {
            "actions": pad_to(normalize_actions(raw["actions"], stats, self.normalization), self.padding.action),
            "action_dim_mask": dim_mask(source.action_dim, self.padding.action),
            "action_is_pad": raw["action_is_pad"],
            "embodiment": np.int64(self.embodiment_ids[name]),
            "instruction": raw["instruction"] if drawn.lang_kept else "",
        }
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
