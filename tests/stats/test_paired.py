"""Paired tests on progress against R's `wilcox.test` and scipy's permutation test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ablate.stats.paired import sign_flip, wilcoxon

# R's ?wilcox.test example (Hollander & Wolfe, depression scale before/after): V = 40, p = 0.01953 ("greater").
X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])


def test_wilcoxon_matches_r():
    t = wilcoxon(X - Y, "greater")
    assert t.statistic == 40 and t.p == pytest.approx(0.01953, abs=1e-5)
    assert "exact" in t.method and t.alternative == "arm > baseline"


def test_wilcoxon_with_ties_uses_the_corrected_normal_approximation():
    diff = np.array([0.1, 0.1, 0.2, -0.1, 0.3, 0.0, 0.2, 0.1])  # ties and a zero, as per-task percentages give
    t = wilcoxon(diff)
    assert "normal approximation with continuity correction" in t.method and t.extra["n"] == 7
    # By hand, as R's wilcox.test computes it: the zero dropped, |d| ranks 2.5 (×4), 5.5 (×2), 7; V = 25.5;
    # mean 14, variance 35 − (4³−4 + 2³−2)/48 = 33.625; z = (25.5 − 14 − 0.5)/√33.625 = 1.897; p = 0.0578.
    assert t.statistic == 25.5 and t.p == pytest.approx(0.05783, abs=1e-5)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_exact_sign_flip_equals_scipy_permutation_test(alternative):
    diff = X - Y
    ours = sign_flip(diff, alternative)
    theirs = stats.permutation_test(
        (diff, np.zeros_like(diff)),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        alternative=alternative,
    )
    assert "exact" in ours.method
    assert ours.p == pytest.approx(theirs.pvalue, abs=1e-12)


def test_random_sign_flips_are_seeded_and_close_to_exact():
    diff = np.random.default_rng(3).normal(0.05, 0.2, 30)
    a, b = sign_flip(diff, resamples=20_000, seed=1), sign_flip(diff, resamples=20_000, seed=1)
    assert a.p == b.p and "20000 random sign flips" in a.method
    assert a.p == pytest.approx(stats.ttest_1samp(diff, 0).pvalue, abs=0.05)  # large-sample agreement


def test_wilcoxon_with_a_zero_difference_follows_r():
    # R: wilcox.test(c(0, .1, .2, .3))$p.value = 0.1814492077 (a zero: normal approximation, as R switches)
    assert wilcoxon(np.array([0, 0.1, 0.2, 0.3])).p == pytest.approx(0.1814492077, rel=1e-9)
    # R: wilcox.test(c(0, 0.1, -0.2, 0.3, 0.5))$p.value = 0.3613104285
    assert wilcoxon(np.array([0, 0.1, -0.2, 0.3, 0.5])).p == pytest.approx(0.3613104285, rel=1e-9)


def test_gm100_progress_ties_are_exact_as_in_r():
    """Ours-wo-depth vs pi0.5 on AgileX (101 tasks): averaging turns 0.14 into 0.13999999999999996, which split
    genuine ties and gave p = 0.873. R on the exact data: wilcox.test(round(d, 10)) gives V = 2610, p = 0.9083."""
    from ablate.evaluate.trial_table import read_trials
    from ablate.stats.counts import Design, cells
    from tests.conftest import REPO

    data = cells(read_trials(REPO / "analysis" / "gm100" / "trials.csv"), Design(baseline="pi0.5"))
    agilex = data[data["embodiment"] == "AgileX"].pivot_table(index="task", columns="arm", values="progress")
    t = wilcoxon((agilex["Ours-wo-depth"] - agilex["pi0.5"]).to_numpy())
    assert t.statistic == 2610 and t.p == pytest.approx(0.9083, abs=5e-5)
