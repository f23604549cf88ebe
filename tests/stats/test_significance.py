"""Exact tests, corrections, non-inferiority and CMH against published values: scipy's documented examples for
Boschloo and Barnard, R's `p.adjust`, R's `mantelhaen.test` and DescTools' `BreslowDayTest`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ablate.stats.significance import Outcome, adjust, cmh, cmh_directional, exact_test, non_inferiority


def test_boschloo_matches_the_published_example():
    # Boschloo's test on [[74, 31], [43, 32]] (columns are the groups), one-sided: p = 0.0355, statistic 0.0483.
    t = exact_test(74, 117, 31, 63, "boschloo", "greater")
    assert t.p == pytest.approx(0.0355, abs=1e-4) and t.statistic == pytest.approx(0.0483, abs=1e-4)
    assert (t.method, t.alternative) == ("Boschloo exact", "arm > baseline")


def test_barnard_matches_the_published_example():
    # Barnard's test on [[7, 12], [8, 3]], two-sided: Wald statistic −1.894, p = 0.0686 (Mehta & Senchaudhuri).
    t = exact_test(7, 15, 12, 15, "barnard", "two-sided")
    assert t.statistic == pytest.approx(-1.894, abs=1e-3) and t.p == pytest.approx(0.0686, abs=1e-3)


def test_negative_transfer_is_one_sided_below():
    worse, better = exact_test(3, 15, 12, 15), exact_test(12, 15, 3, 15)
    assert worse.p < 0.01 < 0.99 < better.p
    assert worse.alternative == "arm < baseline"


def test_no_variation_gives_p_one_instead_of_nan():
    # scipy's Boschloo returns NaN for 0/15 vs 0/15; no data can favour either arm.
    assert exact_test(0, 15, 0, 15).p == 1.0 and exact_test(15, 15, 15, 15, "barnard").p == 1.0


def test_holm_and_bh_match_p_adjust():
    ps = [0.01, 0.02, 0.03, 0.04, 0.05]
    # p.adjust(c(.01, .02, .03, .04, .05), "holm") and "BH"
    holm = adjust([Outcome(0, p, "t", "two-sided") for p in ps], "holm")
    assert [t.p_adjusted for t in holm] == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert holm[0].correction == "Holm over 5 targets"
    bh = adjust([Outcome(0, p, "t", "two-sided") for p in ps], "bh")
    assert [t.p_adjusted for t in bh] == pytest.approx([0.05] * 5)
    # p.adjust(c(0.001, 0.04, 0.03, 0.2), "holm") = 0.004, 0.09, 0.09, 0.2 (not statsmodels' Holm–Šidák default)
    mixed = adjust([Outcome(0, p, "t", "two-sided") for p in [0.001, 0.04, 0.03, 0.2]])
    assert [t.p_adjusted for t in mixed] == pytest.approx([0.004, 0.09, 0.09, 0.2])


def test_non_inferiority_uses_the_margin():
    # 40/50 vs 42/50: Δ = −0.04. Non-inferior at a 0.2 margin, not at 0.02.
    assert non_inferiority(40, 50, 42, 50, 0.2).p < 0.05 < non_inferiority(40, 50, 42, 50, 0.02).p
    assert non_inferiority(40, 50, 42, 50, 0.2).alternative == "Δ > −0.2"


def _strata(tables):
    """R's 2×2×K arrays [[a, b], [c, d]]: rows are arms (a, b: arm 1 successes, failures)."""
    return [(a, a + b, c, c + d) for (a, b), (c, d) in tables]


def test_cmh_and_breslow_day_match_r():
    # R: mantelhaen.test(array(c(20,14,10,24, 15,12,3,15, 3,2,3,2, 12,3,7,5, 1,0,3,2), dim = c(2,2,5)))
    # X-squared = 11.885, p = 0.0005658, common OR 3.5912 [1.781135, 7.240633];
    # DescTools::BreslowDayTest(…, correct = FALSE): X-squared = 1.8438, df = 4, p = 0.7645.
    # (R's array fills columns: the first stratum is [[20, 10], [14, 24]].)
    tables = [[[20, 10], [14, 24]], [[15, 3], [12, 15]], [[3, 3], [2, 2]], [[12, 7], [3, 5]], [[1, 3], [0, 2]]]
    pooled = cmh(_strata(tables))
    assert pooled.cmh.statistic == pytest.approx(11.8852, abs=1e-4)
    assert pooled.cmh.p == pytest.approx(0.0005658, rel=1e-3)
    assert "with continuity correction" in pooled.cmh.method
    assert pooled.odds_ratio == pytest.approx(3.5912, abs=1e-4)
    assert pooled.odds_ratio_ci == pytest.approx((1.781135, 7.240633), abs=1e-5)
    assert pooled.breslow_day.statistic == pytest.approx(1.8438, abs=1e-4)
    assert pooled.breslow_day.p == pytest.approx(0.7645, abs=1e-4)
    assert pooled.breslow_day.extra["df"] == 4


def test_cmh_without_correction_is_labelled_and_larger():
    tables = _strata([[[20, 10], [14, 24]], [[15, 3], [12, 15]], [[12, 7], [3, 5]]])
    with_cc, without = cmh(tables), cmh(tables, correction=False)
    assert without.cmh.statistic > with_cc.cmh.statistic
    assert "without continuity correction" in without.cmh.method


def test_cmh_skips_strata_without_variation_and_says_so():
    informative = [(10, 15, 3, 15), (8, 15, 2, 15)]
    pooled = cmh([*informative, (0, 15, 0, 15)])
    alone = cmh(informative)
    assert pooled.cmh.statistic == pytest.approx(alone.cmh.statistic)
    assert (pooled.strata, pooled.skipped) == (3, 1)
    assert math.isnan(cmh([(0, 15, 0, 15)]).cmh.p)


def test_breslow_day_when_the_pooled_odds_ratio_is_exactly_one():
    # Opposite strata: MH OR = 1. Independence expectation 7.5 per cell, variance 1/(4/7.5) = 1.875,
    # statistic 2 × 2.5²/1.875 = 6.667 (df 1), where statsmodels' quadratic gives 0/0.
    pooled = cmh([(10, 15, 5, 15), (5, 15, 10, 15)])
    assert pooled.odds_ratio == pytest.approx(1.0)
    assert pooled.breslow_day.statistic == pytest.approx(6.6667, abs=1e-4)
    assert pooled.breslow_day.p == pytest.approx(0.00982, abs=1e-5)


def test_one_sided_cmh_follows_r():
    # R's mantelhaen.test with alternative = "greater" | "less" on a 2×2×K table takes z = sign(Δ)·√X² and a
    # normal tail (two-sided: the χ² tail). On the example above X² = 11.885 with Δ > 0 (arm better), so
    # greater: pnorm(√11.885, lower.tail = FALSE) = 0.0002829, less: 1 − that.
    tables = _strata([[[20, 10], [14, 24]], [[15, 3], [12, 15]], [[3, 3], [2, 2]], [[12, 7], [3, 5]], [[1, 3], [0, 2]]])
    two = cmh_directional(tables, "two-sided")
    greater, less = cmh_directional(tables, "greater"), cmh_directional(tables, "less")
    assert two.statistic == pytest.approx(11.8852, abs=1e-4) and two.p == pytest.approx(0.0005658, rel=1e-3)
    assert greater.p == pytest.approx(0.0002829, rel=1e-3) and greater.alternative == "arm > baseline"
    assert less.p == pytest.approx(1 - 0.0002829, rel=1e-6)
    swapped = [(s0, n0, s1, n1) for s1, n1, s0, n0 in tables]  # baseline and arm exchanged: the sides swap
    assert cmh_directional(swapped, "less").p == pytest.approx(greater.p)


def test_boschloo_statistic_without_variation_is_fishers_p_of_one():
    # scipy.stats.boschloo_exact([[0, 0], [5, 5]]).statistic == 1.0: Boschloo's statistic is Fisher's p-value.
    assert exact_test(0, 5, 0, 5).statistic == 1.0
    assert exact_test(5, 5, 5, 5, "barnard").statistic == 0.0


def test_fisher_matches_r():
    # R: fisher.test(matrix(c(2, 8, 9, 1), 2), alternative = "less")$p.value = 0.002738747321
    t = exact_test(2, 10, 9, 10, "fisher", "less")
    assert t.method == "Fisher exact" and t.p == pytest.approx(0.002738747321, rel=1e-9)
    # R: fisher.test(matrix(c(3, 7, 1, 9), 2))$p.value = 0.5820433437
    assert exact_test(3, 10, 1, 10, "fisher", "two-sided").p == pytest.approx(0.5820433437, rel=1e-9)
    empty = exact_test(0, 4, 0, 6, "fisher")
    assert empty.p == 1.0 and "0/0" in empty.extra["note"]


@pytest.mark.parametrize(
    ("correction", "expected"),
    [  # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method)
        ("hochberg", [0.03, 0.04, 0.04, 0.02]),
        ("bonferroni", [0.04, 0.16, 0.12, 0.02]),
    ],
)
def test_hochberg_and_bonferroni_match_p_adjust(correction, expected):
    tests = [Outcome(0.0, p, "m", "two-sided") for p in (0.01, 0.04, 0.03, 0.005)]
    adjust(tests, correction)
    assert [t.p_adjusted for t in tests] == pytest.approx(expected)
    assert tests[0].correction.startswith({"hochberg": "Hochberg", "bonferroni": "Bonferroni"}[correction])


@pytest.mark.parametrize(
    ("counts", "expected"), [((170, 250, 180, 250, 0.1), 0.07096218), ((30, 40, 50, 60, 0.15), 0.21796425)]
)
def test_non_inferiority_matches_farrington_manning_from_the_definition(counts, expected):
    # Base R from the definition: restricted MLE by `optimize` on the likelihood under Δ = −margin, z = (Δ̂ + margin)
    # / SE at those rates, p = pnorm(z, lower.tail = FALSE). statsmodels' score test gives 0.07186 for the first
    # (its restricted MLE has a wrong coefficient for a non-zero null difference: statsmodels issue 10269).
    assert non_inferiority(*counts).p == pytest.approx(expected, abs=1e-8)


def test_holm_is_statsmodels_holm_on_many_families():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    for size in (1, 2, 7, 101, 303):
        ps = np.round(rng.random(size) ** 3, 3)  # ties included
        tests = [Outcome(0.0, float(p), "m", "two-sided") for p in ps]
        adjust(tests, "holm")
        assert [t.p_adjusted for t in tests] == pytest.approx(multipletests(ps, method="holm")[1], abs=1e-15)
