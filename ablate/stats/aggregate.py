"""Aggregates in the style of rliable (Agarwal et al. 2021) on per-(seed, task) success rates — never on raw
0/1 trials: the interquartile mean (IQM) across seeds × tasks, and the probability of improvement P(arm > baseline)
(ties count half) averaged over tasks. Intervals by stratified bootstrap: per task, seeds are resampled, then
trials within each seed (so a single-seed table, such as a paper's per-task numbers, still gets honest widths)."""

from __future__ import annotations

import numpy as np
from scipy import stats

METHOD = "stratified bootstrap over tasks (seeds resampled within each task, then trials), percentile interval"
# The resampling itself is `bootstrap.Paired`, shared with the pooled deltas.


def iqm(rates: np.ndarray) -> np.ndarray:
    """Interquartile mean over the last two axes (seeds × tasks)."""
    flat = rates.reshape(*rates.shape[:-2], -1)
    return stats.trim_mean(flat, 0.25, axis=-1)


def probability_of_improvement(arm: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """P(X > Y) + ½P(X = Y) per task, X from the arm's seeds and Y from the baseline's, averaged over tasks.
    arm, baseline: [..., seeds, tasks]."""
    x, y = arm[..., :, None, :], baseline[..., None, :, :]
    per_task = ((x > y) + 0.5 * (x == y)).mean(axis=(-3, -2))
    return per_task.mean(axis=-1)
