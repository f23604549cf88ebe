"""Seeded, vectorised bootstraps that respect the design's clustering: seeds are clusters (one seed = one
trained policy, its trials are not independent of each other), targets are strata.

One resample draws, for every target, seeds with replacement (paired: the same seed indices for the arm and its
baseline, since seed s means the same initial weights, data order and evaluation episodes in every arm), then
trials within each drawn (seed, target) with replacement — for 0/1 outcomes a binomial draw at the observed
rate. Intervals are percentile intervals (BCa breaks down at 0 % and 100 %, which robot evaluations hit)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

METHOD = "hierarchical bootstrap (seeds resampled within each target, paired across arms; trials within seeds)"
ONE_SEED = (
    "parametric bootstrap of trials within each target (binomial at the observed rate; one seed: no seeds to resample)"
)


def method(seeds: int) -> str:
    """What a resample of a [seeds, targets] design draws, in words: with one seed there are no seeds to draw."""
    return (METHOD if seeds > 1 else ONE_SEED) + ", percentile interval"


@dataclass(frozen=True)
class Counts:
    """successes and trials [seeds, targets] for one arm; seeds aligned across the arms compared."""

    successes: np.ndarray
    trials: np.ndarray


class Paired:
    """One hierarchical resample of an arm and its baseline, shared by every statistic computed from it (pooled
    deltas, IQM, probability of improvement, per group of targets): resampled successes and trials
    [R, seeds, targets], the same seed draws for both arms."""

    def __init__(self, arm: Counts, baseline: Counts, resamples: int, seed: int):
        rng = np.random.default_rng(seed)
        seeds, targets = arm.successes.shape
        draws = rng.integers(0, seeds, size=(resamples, seeds, targets))
        self.arm, self.baseline = _resample(arm, draws, rng), _resample(baseline, draws, rng)

    def pooled_rates(self, which: str, targets: list[int]) -> np.ndarray:
        """[R, len(targets)]: each target's rate pooled over the resampled seeds."""
        s, n = getattr(self, which)
        return s[:, :, targets].sum(axis=1) / n[:, :, targets].sum(axis=1)

    def mean_delta(self, targets: list[int]) -> np.ndarray:
        return (self.pooled_rates("arm", targets) - self.pooled_rates("baseline", targets)).mean(axis=1)


def _resample(counts: Counts, draws: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if counts.successes.shape[0] == 1:  # one seed: every draw is that seed
        # Broadcasting inside the sampler draws the same values twice as fast as from materialised arrays.
        n = counts.trials[None]
        s = rng.binomial(n.astype(np.int64), counts.successes[None] / n, size=draws.shape)
        return s.astype(np.float32), np.broadcast_to(n, draws.shape).astype(np.float32)
    s = np.take_along_axis(counts.successes[None], draws, axis=1)
    n = np.take_along_axis(counts.trials[None], draws, axis=1)
    return rng.binomial(n.astype(np.int64), s / n).astype(np.float32), n.astype(np.float32)


def percentile(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def delta_interval(
    arm: Counts, baseline: Counts, resamples: int = 10_000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """CI of the mean over targets of (arm rate − baseline rate), rates pooled over seeds."""
    boot = Paired(arm, baseline, resamples, seed)
    return percentile(boot.mean_delta(list(range(arm.successes.shape[1]))), level)


def mean_difference_interval(
    arm: np.ndarray, baseline: np.ndarray, resamples: int = 10_000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """CI of mean(arm − baseline) for continuous per-(seed, target) scores [seeds, targets] (e.g. progress):
    seeds resampled within targets (paired), then the mean over targets; with one seed, targets are resampled."""
    rng = np.random.default_rng(seed)
    diff = arm - baseline
    seeds, targets = diff.shape
    if seeds > 1:
        draws = rng.integers(0, seeds, size=(resamples, seeds, targets))
        drawn = np.take_along_axis(diff[None], draws, axis=1)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():  # a seed without progress is skipped
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(drawn, axis=(1, 2))
        means = means[np.isfinite(means)]
    else:
        picks = rng.integers(0, targets, size=(resamples, targets))
        means = diff[0][picks].mean(axis=1)
    return percentile(means, level)
