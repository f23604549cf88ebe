"""Normalisation statistics, computed *in the chosen action frame* and per embodiment (never pooled across
robots): mean/std and q01/q99, per chunk step for relative frames. Cached on disk, keyed by the dataset's
fingerprint, the frame and every parameter that changes the numbers."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EPS = 1e-8
CHECKPOINT_KEY = "normalization"  # where a checkpoint keeps its run's `RunNormalization`


@dataclass(frozen=True)
class Stats:
    mean: np.ndarray  # [D] or, per chunk step, [H, D]
    std: np.ndarray
    q01: np.ndarray
    q99: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, per_step: bool) -> Stats:
        """`values`: [N, H, D] chunks (or [N, D]). Per step keeps the H axis: relative actions grow along it."""
        values = np.asarray(values, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("cannot compute statistics: the values hold NaN or infinity")
        axes = (0,) if per_step and values.ndim == 3 else tuple(range(values.ndim - 1))
        q01, q99 = np.quantile(values, [0.01, 0.99], axis=axes)
        return cls(values.mean(axis=axes), values.std(axis=axes), q01, q99)

    def normalize(self, x: np.ndarray, mode: str = "mean_std") -> np.ndarray:
        if mode == "mean_std":
            return (x - self.mean) / (self.std + EPS)
        if mode == "quantile":  # q01..q99 -> -1..1
            return 2.0 * (x - self.q01) / (self.q99 - self.q01 + EPS) - 1.0
        raise ValueError(f"unknown normalisation mode '{mode}'; expected mean_std or quantile")

    def unnormalize(self, y: np.ndarray, mode: str = "mean_std") -> np.ndarray:
        if mode == "mean_std":
            return y * (self.std + EPS) + self.mean
        if mode == "quantile":
            return (y + 1.0) / 2.0 * (self.q99 - self.q01 + EPS) + self.q01
        raise ValueError(f"unknown normalisation mode '{mode}'; expected mean_std or quantile")

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "std": self.std, "q01": self.q01, "q99": self.q99}


class StatsCache:
    """One .npz per (dataset fingerprint, frame, parameters) in `directory`."""

    def __init__(self, directory: Path):
        self.dir = Path(directory)

    @staticmethod
    def key(fingerprint: str, **params: Any) -> str:
        text = json.dumps({"dataset": fingerprint, **params}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def get(self, key: str) -> Stats | None:
        path = self.dir / f"{key}.npz"
        if not path.is_file():
            return None
        with np.load(path) as data:
            return Stats(data["mean"], data["std"], data["q01"], data["q99"])

    def put(self, key: str, stats: Stats) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{key}.{os.getpid()}.tmp.npz"  # one temp file per writer: parallel runs share the cache
        np.savez(tmp, **stats.to_arrays())
        tmp.replace(self.dir / f"{key}.npz")

    def get_or_compute(self, key: str, compute) -> Stats:
        stats = self.get(key)
        if stats is None:
            stats = compute()
            self.put(key, stats)
        return stats


@dataclass(frozen=True)
class RunNormalization:
    """The statistics a run trained with, per dataset (folder name) and key (`state`, `actions`,
    `environment_state`), with the action normalisation mode and frame. Saved in every checkpoint, so evaluation
    un-normalises with exactly what training normalised with and never re-reads the training data."""

    mode: str  # data.normalization, for actions
    frame: str
    by_dataset: dict[str, dict[str, Stats]]

    def of(self, dataset: str) -> dict[str, Stats]:
        if dataset not in self.by_dataset:
            raise KeyError(
                f"no normalisation statistics for dataset {dataset!r} in this run (it has "
                f"{', '.join(sorted(self.by_dataset))}); evaluate on a robot and task the run trained or was "
                "planned to evaluate on"
            )
        return self.by_dataset[dataset]

    def to_state(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "frame": self.frame,
            "by_dataset": {
                name: {key: s.to_arrays() for key, s in stats.items()} for name, stats in self.by_dataset.items()
            },
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RunNormalization:
        by_dataset = {
            name: {key: Stats(**arrays) for key, arrays in stats.items()} for name, stats in state["by_dataset"].items()
        }
        return cls(state["mode"], state["frame"], by_dataset)
