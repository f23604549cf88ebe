"""Aggregates in the style of rliable (Agarwal et al. 2021) on per-(seed, task) success rates — never on raw
0/1 trials: the interquartile mean (IQM) across seeds × tasks, the median of per-task means, the mean, the
optimality gap (mean shortfall below a success rate of 1), and the probability of improvement P(arm > baseline)
(ties count half) averaged over tasks. Intervals as rliable's: a stratified bootstrap that resamples seeds within
each task. A single-seed table (a paper's per-task numbers) has nothing to resample within a task, so there the
tasks themselves are resampled. Trials are not resampled: their noise would pull P(improvement) towards ½ by
breaking ties, and the interval would miss its own point estimate."""

from __future__ import annotations

import numpy as np

METHOD = "percentile bootstrap: seeds resampled within each task (rliable's stratified bootstrap)"
ONE_SEED = "percentile bootstrap: tasks resampled (one cluster per task — one seed, or unpaired seeds pooled)"
OPTIMALITY_THRESHOLD = 1.0  # rliable's γ: a success rate cannot exceed 1, so the gap is the mean shortfall from 1


def iqm(rates: np.ndarray) -> np.ndarray:
    """Interquartile mean over the last two axes (seeds × tasks), as scipy's trim_mean(…, 0.25)."""
    return _summaries(rates)["iqm"]


def median(rates: np.ndarray) -> np.ndarray:
    """rliable's median: of the per-task means over seeds."""
    return _summaries(rates)["median"]


def mean(rates: np.ndarray) -> np.ndarray:
    return _summaries(rates)["mean"]


def optimality_gap(rates: np.ndarray) -> np.ndarray:
    """rliable's optimality gap: the mean shortfall below γ = 1 over seeds × tasks (lower is better)."""
    return _summaries(rates)["optimality_gap"]


AGGREGATES = {"iqm": iqm, "median": median, "mean": mean, "optimality_gap": optimality_gap}


def _summaries(rates: np.ndarray) -> dict[str, np.ndarray]:
    """Every aggregate of `rates` [..., seeds, tasks] from one sort: the same values as `AGGREGATES`, several
    times faster on [10,000 resamples, 1, 303 tasks] than a partition per statistic."""
    flat = np.sort(rates.reshape(*rates.shape[:-2], -1), axis=-1)
    n = flat.shape[-1]
    cut = int(0.25 * n)  # as scipy.stats.trim_mean: int(proportion × n) cut from each end
    task_means = flat if rates.shape[-2] == 1 else np.sort(rates.mean(axis=-2), axis=-1)
    m = task_means.shape[-1]
    middle = (task_means[..., (m - 1) // 2] + task_means[..., m // 2]) / 2
    return {
        "iqm": flat[..., cut : n - cut].mean(axis=-1),
        "median": middle,
        "mean": flat.mean(axis=-1),
        "optimality_gap": np.maximum(OPTIMALITY_THRESHOLD - flat, 0).mean(axis=-1),
    }


def probability_of_improvement(arm: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """P(X > Y) + ½P(X = Y) per task, X from the arm's seeds and Y from the baseline's, averaged over tasks.
    arm, baseline: [..., seeds, tasks]."""
    x, y = arm[..., :, None, :], baseline[..., None, :, :]
    per_task = ((x > y) + 0.5 * (x == y)).mean(axis=(-3, -2))
    return per_task.mean(axis=-1)


def intervals(arm: np.ndarray, baseline: np.ndarray, resamples: int, level: float, seed: int) -> dict:
    """rliable's aggregates of each arm (IQM, median, mean, optimality gap) and P(arm > baseline), with
    intervals, from per-(seed, task) rates [seeds, tasks]."""
    from ablate.stats.bootstrap import percentile

    rng = np.random.default_rng(seed)
    seeds, tasks = arm.shape
    if seeds > 1:
        draws = rng.integers(0, seeds, size=(resamples, seeds, tasks))
        boot_a = np.take_along_axis(arm[None], draws, axis=1)
        boot_b = np.take_along_axis(baseline[None], rng.integers(0, seeds, size=draws.shape), axis=1)
    else:
        picks = rng.integers(0, tasks, size=(resamples, tasks))
        boot_a, boot_b = arm[0][picks][:, None], baseline[0][picks][:, None]  # the same tasks for both arms
    how = {"method": METHOD if seeds > 1 else ONE_SEED, "level": level}
    # Single precision for the resamples only: their sorts take half the time, and rates of a few hundred trials
    # need no more than 7 digits for percentile bounds printed to 2 or 3.
    many_a, many_b = (_summaries(x.astype(np.float32)) for x in (boot_a, boot_b))
    point_a, point_b = _summaries(arm), _summaries(baseline)
    out = {
        name: {
            "arm": {"estimate": float(point_a[name]), "ci": list(percentile(many_a[name], level))},
            "baseline": {"estimate": float(point_b[name]), "ci": list(percentile(many_b[name], level))},
        }
        | how
        for name in AGGREGATES
    }
    out["probability_of_improvement"] = {
        "estimate": float(probability_of_improvement(arm, baseline)),
        "ci": list(percentile(probability_of_improvement(boot_a, boot_b), level)),
    } | how
    return out
