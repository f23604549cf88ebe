"""Do the normalisation statistics describe the labels the model trains on? (the check openpi added in its PR
#1026). Per dataset and action dimension: the fraction of normalised training labels — as the loader serves them,
in the run's frame, per chunk step for relative frames — outside the statistics' own q01..q99 range.

By construction about 2 % of the labels of each dimension fall outside (1 % each side; fewer for a dimension with
few distinct values, such as a gripper). Far more means the statistics belong to other labels: a stale cache, or
labels built in another frame, step or split than the statistics were. A run prints this once before training and
logs it to MLflow (`label_outside_q01_q99/<dataset>/a<dim>`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablate.config import VlaConfig
from ablate.data.inputs import normalize_actions
from ablate.data.normalize import RunNormalization, Stats
from ablate.data.source import EmbodimentSource
from ablate.seeding import derived_seed

EXPECTED = 0.02  # outside q01..q99 by definition
SUSPECT = 0.10  # a dimension this far outside is said aloud as a warning


@dataclass(frozen=True)
class LabelRange:
    dataset: str
    outside: np.ndarray  # [D]: fraction of real (unpadded) normalised labels outside the q01..q99 range, per dim
    labels: int  # real chunk steps looked at

    @property
    def suspect(self) -> list[int]:
        return [int(d) for d in np.flatnonzero(self.outside > SUSPECT)]


def label_range(
    source: EmbodimentSource, stats: dict[str, Stats], mode: str, seed: int, samples: int = 512
) -> LabelRange:
    """The check on up to `samples` seeded training samples of one dataset, normalised with `stats` in `mode`."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(source), size=min(samples, len(source)), replace=False)
    drawn = [source.sample(int(i)) for i in chosen]
    labels = np.stack([d["actions"] for d in drawn]).astype(np.float64)  # [N, H, D]
    real = ~np.stack([d["action_is_pad"] for d in drawn])  # [N, H]
    s = stats["actions"]
    z = normalize_actions(labels, stats, mode)
    low, high = s.normalize(s.q01, mode), s.normalize(s.q99, mode)  # [D] or per step [H, D]
    tolerance = 1e-6 * np.maximum(1.0, np.abs(high - low))  # the quantiles themselves are inside
    outside = ((z < low - tolerance) | (z > high + tolerance)) & real[..., None]
    n = int(real.sum())
    return LabelRange(source.name, outside.sum(axis=(0, 1)) / max(n, 1), n)


def label_range_lines(results: list[LabelRange], mode: str) -> list[str]:
    """What a run prints: one line per dataset with every dimension's fraction, and a warning per suspect dataset."""
    lines = [
        f"label range (data.normalization={mode}): normalised training labels outside the statistics' q01..q99 "
        f"range, per action dim (about {EXPECTED:.0%} expected; more than {SUSPECT:.0%} is suspect)"
    ]
    for r in results:
        dims = " ".join(f"{100 * f:.1f}" for f in r.outside)
        lines.append(f"  {r.dataset} ({r.labels} labels): [{dims}] %")
        if r.suspect:
            dims = ", ".join(f"a{d} ({100 * r.outside[d]:.0f} %)" for d in r.suspect)
            lines.append(
                f"  warning: {r.dataset}: {dims} lie outside their statistics' range far more often than the "
                f"{EXPECTED:.0%} expected: the statistics do not describe these labels (a stale statistics cache: "
                "delete <data.root>/.stats; labels in another frame, step or split than the statistics?)"
            )
    return lines


def label_range_metrics(results: list[LabelRange]) -> dict[str, float]:
    return {f"label_outside_q01_q99/{r.dataset}/a{d}": float(f) for r in results for d, f in enumerate(r.outside)}


def run_label_range(config: VlaConfig, normalization: RunNormalization, seed: int) -> list[LabelRange]:
    """The check for every dataset the run trains on, with the statistics it trains with."""
    from ablate.data.datasets import dataset_path, source_config, training_keys

    out = []
    for key in training_keys(config):
        path = dataset_path(config.data, key)
        source = EmbodimentSource(source_config(config.data, path, "train", images=False))
        out.append(label_range(source, normalization.of(path.name), normalization.mode, derived_seed(seed, "labels")))
    return out
