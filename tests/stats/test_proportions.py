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


def test_delta_methods_match_fagerland_2015():
    # Fagerland, Lydersen & Laake (2015) 7/34 − 1/34: Newcombe 0.019 to 0.34, Miettinen–Nurminen 0.028 to 0.34.
    newcombe, mn = delta(7, 34, 1, 34), delta(7, 34, 1, 34, "miettinen-nurminen")
    assert (newcombe.low, newcombe.high) == pytest.approx((0.019, 0.340), abs=5e-4)
    assert (mn.low, mn.high) == pytest.approx((0.028, 0.343), abs=1e-3)
    assert mn.method == "Miettinen–Nurminen score"


def test_intervals_are_elementwise_for_arrays():
    ci = delta(np.array([56, 7]), np.array([70, 34]), np.array([48, 1]), np.array([80, 34]))
    assert ci.low == pytest.approx([0.0524, 0.0189], abs=5e-4)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="wilson, clopper-pearson, jeffreys"):
        rate(1, 2, "wald")
