"""Rate and delta intervals against published values (R's binom.confint, Newcombe 1998, Fagerland et al. 2015)."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.stats.proportions import delta, rate


@pytest.mark.parametrize(
    ("method", "expected"),
    [  # binom::binom.confint(5, 10): wilson, exact, bayes (Jeffreys prior: prior.shape1 = prior.shape2 = 0.5)
        ("wilson", (0.2365931, 0.7634069)),
        ("clopper-pearson", (0.1870860, 0.8129140)),
        ("jeffreys", (0.2235287, 0.7764713)),
    ],
)
def test_rate_intervals_match_r(method, expected):
    ci = rate(5, 10, method)
    assert ci.estimate == 0.5
    assert (ci.low, ci.high) == pytest.approx(expected, abs=1e-6)


def test_wilson_stays_inside_zero_and_one_where_wald_would_not():
    ci = rate(0, 15)
    assert ci.low == 0 and 0.2 < ci.high < 0.21  # Wilson: [0, 0.2039]; Wald would give [0, 0]


def test_newcombe_hybrid_score_matches_newcombe_1998():
    # Newcombe (1998), Stat Med 17:873, Table II example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    ci = delta(56, 70, 48, 80)
    assert ci.method == "Newcombe hybrid score"
    assert ci.estimate == pytest.approx(0.2)
    assert (ci.low, ci.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_newcombe_matches_fagerland_2015():
    # Fagerland, Lydersen & Laake (2015) 7/34 − 1/34: Newcombe 0.019 to 0.34.
    newcombe = delta(7, 34, 1, 34)
    assert (newcombe.low, newcombe.high) == pytest.approx((0.019, 0.340), abs=5e-4)


# Miettinen–Nurminen in base R, written from the definition (restricted MLE by `optimize` on the likelihood,
# bounds by `uniroot`, variance × N/(N − 1)): `mn_ci(x1, n1, x0, n0)` as in the comment of _mn_interval.
# (56, 70, 48, 80) is Newcombe (1998) Table II example (a), method 6: 0.0528 to 0.3382. statsmodels' own score
# interval is off here (its restricted MLE has a wrong coefficient: statsmodels issue 10269; it gives
# 0.0526 to 0.3440) and asymmetric at 0/10 vs 0/10, which is why ablate solves the cubic itself.
MN_IN_R = [
    ((7, 34, 1, 34), (0.027042, 0.345291)),
    ((56, 70, 48, 80), (0.052830, 0.338173)),
    ((5, 56, 0, 29), (-0.032597, 0.193331)),
    ((9, 10, 3, 10), (0.170025, 0.840650)),
    ((0, 10, 0, 10), (-0.287934, 0.287934)),
    ((10, 10, 0, 10), (0.663642, 1.0)),
    ((1, 1, 0, 1), (-0.586901, 1.0)),
    ((0, 3, 3, 3), (-1.0, -0.131035)),
]


@pytest.mark.parametrize(("counts", "expected"), MN_IN_R)
def test_miettinen_nurminen_matches_r_from_the_definition(counts, expected):
    mn = delta(*counts, "miettinen-nurminen")
    assert mn.method == "Miettinen–Nurminen score"
    assert (mn.low, mn.high) == pytest.approx(expected, abs=2e-6)


def test_miettinen_nurminen_is_vectorised_over_targets():
    counts = np.array([c for c, _ in MN_IN_R]).T
    mn = delta(*counts, "miettinen-nurminen")
    assert mn.low == pytest.approx([e[0] for _, e in MN_IN_R], abs=2e-6)
    assert mn.high == pytest.approx([e[1] for _, e in MN_IN_R], abs=2e-6)


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson", "jeffreys"])
@pytest.mark.parametrize(("x", "n"), [(0, 3), (0, 6), (0, 7), (0, 50), (10, 10), (41, 41), (1, 1)])
def test_rate_bounds_are_exact_at_zero_and_n(method, x, n):
    ci = rate(x, n, method)
    assert ci.low <= ci.estimate <= ci.high  # an error bar never has a negative length
    if x == 0:
        assert ci.low == 0.0  # statsmodels' Wilson gives 5.6e-17 here
    if x == n:
        assert ci.high == 1.0


def test_jeffreys_follows_brown_cai_dasgupta_at_the_boundaries():
    # R: qbeta(0.975, 0.5, 10.5) = 0.2171963; qbeta(0.025, 9.5, 0.5) = 0.7623899; qbeta(0.975, 0.5, 3.5) = 0.5355832
    assert (rate(0, 10, "jeffreys").low, rate(0, 10, "jeffreys").high) == pytest.approx((0.0, 0.2171963), abs=1e-7)
    assert (rate(9, 9, "jeffreys").low, rate(9, 9, "jeffreys").high) == pytest.approx((0.7623899, 1.0), abs=1e-7)
    assert rate(0, 3, "jeffreys").high == pytest.approx(0.5355832, abs=1e-7)
    assert "0 at x = 0 and 1 at x = n" in rate(0, 3, "jeffreys").method


@pytest.mark.parametrize("method", ["newcombe", "miettinen-nurminen"])
@pytest.mark.parametrize("counts", [(1, 1, 0, 1), (0, 3, 0, 3), (3, 3, 3, 3), (0, 50, 50, 50), (10, 10, 0, 10)])
def test_delta_intervals_hold_their_estimate_at_the_extremes(method, counts):
    d = delta(*counts, method)
    assert -1.0 <= d.low <= d.estimate <= d.high <= 1.0


def test_intervals_are_elementwise_for_arrays():
    ci = delta(np.array([56, 7]), np.array([70, 34]), np.array([48, 1]), np.array([80, 34]))
    assert ci.low == pytest.approx([0.0524, 0.0189], abs=5e-4)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="wilson, clopper-pearson, jeffreys"):
        rate(1, 2, "wald")
