"""Mixtures of datasets: weights (explicit, proportional to size, or temperature p ∝ n^(1/T)) and a seeded,
checkpointable sampler. Each dataset is walked in a fresh permutation per epoch, so every frame is seen; the
dataset of each draw is picked by weight. The state is a few integers plus the RNG state, so a resumed run
continues the exact sample stream. Draws per embodiment are counted for the budget ledger."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def mixture_weights(
    sizes: dict[str, int], weights: dict[str, float] | str, temperature: float = 1.0
) -> dict[str, float]:
    """Normalised sampling probabilities. `weights`: a mapping, 'proportional', or 'temperature'."""
    if not sizes:
        raise ValueError("a mixture needs at least one dataset")
    empty = [n for n, size in sizes.items() if size <= 0]
    if empty:
        raise ValueError(f"dataset(s) {', '.join(empty)} have no frames")
    if isinstance(weights, dict):
        unknown = sorted(set(weights) - set(sizes))
        if unknown:
            raise ValueError(f"mixture weight for unknown dataset(s) {', '.join(unknown)}; known: {', '.join(sizes)}")
        bad = {n: w for n, w in weights.items() if not w > 0}
        if bad:
            raise ValueError(f"mixture weights must be > 0 (drop a dataset instead of weighting it 0): {bad}")
        raw = {n: float(weights[n]) for n in sizes if n in weights}
    elif weights == "proportional":
        raw = {n: float(s) for n, s in sizes.items()}
    elif weights == "temperature":
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        raw = {n: float(s) ** (1.0 / temperature) for n, s in sizes.items()}
    else:
        raise ValueError(f"mixture weights must be a mapping, 'proportional' or 'temperature', got {weights!r}")
    total = sum(raw.values())
    return {n: w / total for n, w in raw.items()}


class MixtureSampler:
    def __init__(self, sizes: dict[str, int], probabilities: dict[str, float], seed: int):
        self.names = list(probabilities)
        self.sizes = [int(sizes[n]) for n in self.names]
        self.p = np.array([probabilities[n] for n in self.names])
        self.seed = seed
        self.rng = np.random.default_rng([seed, 0xAB1A7E])
        self.epoch = [0] * len(self.names)
        self.cursor = [0] * len(self.names)
        self.counts = [0] * len(self.names)
        self._perm: dict[int, np.ndarray] = {}

    def sample(self, batch_size: int) -> list[tuple[str, int]]:
        """(dataset name, frame index) for each item of one batch."""
        picks = self.rng.choice(len(self.names), size=batch_size, p=self.p)
        return [(self.names[d], self._next_index(int(d))) for d in picks]

    def _next_index(self, d: int) -> int:
        if self.cursor[d] == self.sizes[d]:
            self.epoch[d] += 1
            self.cursor[d] = 0
            self._perm.pop(d, None)
        if d not in self._perm:
            self._perm[d] = np.random.default_rng(self._perm_seed(d)).permutation(self.sizes[d])
        index = int(self._perm[d][self.cursor[d]])
        self.cursor[d] += 1
        self.counts[d] += 1
        return index

    def _perm_seed(self, d: int) -> int:
        key = f"{self.seed}/{self.names[d]}/{self.epoch[d]}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "little")

    @property
    def drawn(self) -> dict[str, int]:
        return dict(zip(self.names, self.counts, strict=True))

    def state_dict(self) -> dict[str, Any]:
        return {
            "rng": self.rng.bit_generator.state,
            "epoch": list(self.epoch),
            "cursor": list(self.cursor),
            "counts": list(self.counts),
            "names": list(self.names),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["names"] != self.names:
            raise ValueError(f"sampler state is for datasets {state['names']}, not {self.names}")
        self.rng.bit_generator.state = state["rng"]
        self.epoch, self.cursor, self.counts = list(state["epoch"]), list(state["cursor"]), list(state["counts"])
        self._perm.clear()
