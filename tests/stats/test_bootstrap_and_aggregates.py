"""The hierarchical bootstrap treats seeds as clusters, and the rliable-style aggregates work on per-(seed, task)
rates."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.stats.aggregate import iqm, probability_of_improvement
from ablate.stats.bootstrap import Counts, delta_interval, mean_difference_interval


def _counts(rates: list[list[float]], trials: int = 50) -> Counts:
    r = np.array(rates)
    return Counts(np.round(r * trials), np.full(r.shape, float(trials)))


def test_seed_clusters_widen_the_interval_when_seeds_disagree():
    # Same pooled rates (0.6 vs 0.4) on one target; the arm's seeds agree in one case and disagree in the other.
    base = _counts([[0.4], [0.4], [0.4], [0.4]])
    agree, disagree = _counts([[0.6], [0.6], [0.6], [0.6]]), _counts([[0.9], [0.3], [0.9], [0.3]])
    low_a, high_a = delta_interval(agree, base, seed=0)
    low_d, high_d = delta_interval(disagree, base, seed=0)
    assert high_d - low_d > 2 * (high_a - low_a)
    assert low_a > 0 and low_d < 0.05  # agreeing seeds support a positive delta; disagreeing ones barely


def test_bootstrap_is_seeded():
    a, b = _counts([[0.5, 0.7]]), _counts([[0.4, 0.6]])
    assert delta_interval(a, b, seed=5) == delta_interval(a, b, seed=5)
    assert delta_interval(a, b, seed=5) != delta_interval(a, b, seed=6)


def test_interval_covers_the_truth_about_as_often_as_promised():
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(200):
        arm = Counts(rng.binomial(40, [[0.6, 0.3]] * 3).astype(float), np.full((3, 2), 40.0))
        base = Counts(rng.binomial(40, [[0.5, 0.3]] * 3).astype(float), np.full((3, 2), 40.0))
        low, high = delta_interval(arm, base, resamples=2000, seed=int(rng.integers(1 << 31)))
        covered += low <= 0.05 <= high  # true mean delta over the two targets
    assert 0.88 <= covered / 200 <= 0.99


def test_progress_interval_with_one_seed_resamples_targets():
    arm, base = np.array([[0.5, 0.6, 0.7, 0.8]]), np.array([[0.4, 0.5, 0.6, 0.7]])
    low, high = mean_difference_interval(arm, base)
    assert low == pytest.approx(0.1) and high == pytest.approx(0.1)  # every target improves by exactly 0.1


def test_iqm_trims_a_quarter_at_each_end():
    rates = np.array([[0.0, 0.1, 0.2, 0.3], [0.4, 0.5, 0.6, 1.0]])  # 8 values: the middle 4 are 0.2…0.5
    assert iqm(rates) == pytest.approx(0.35)


def test_probability_of_improvement_counts_ties_half():
    arm = np.array([[0.5, 0.2], [0.7, 0.2]])  # 2 seeds × 2 tasks
    base = np.array([[0.6, 0.2], [0.6, 0.2]])
    # task 1: arm seeds 0.5, 0.7 vs 0.6, 0.6 → P = 0.5; task 2: all ties → 0.5
    assert probability_of_improvement(arm, base) == pytest.approx(0.5)
    assert probability_of_improvement(arm + 0.5, base) == pytest.approx(1.0)
