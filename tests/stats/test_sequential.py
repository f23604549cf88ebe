"""Sequential comparisons: the type-I error holds whenever the evaluation stops (by exact enumeration and by
simulation, where a peeking fixed-n test fails the same check), decisions on hand-made sequences stop where the
e-value first reaches the threshold, futility stops save trials, and tables that cannot be read in run order are
refused."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablate.errors import InputError
from ablate.stats.counts import Design
from ablate.stats.sequential import compare, sequential_comparisons
from ablate.stats.sequential_boundary import BETTER, boundary, crossing_probability, log_e_table, scan

# E(w, l) = ∫_{½}^{1} (2θ)^w (2(1−θ))^l Beta(θ; 20, 10) dθ / P(θ > ½), from R 4.x:
#   e <- function(w, l) integrate(function(t) (2*t)^w * (2*(1-t))^l * dbeta(t, 20, 10), 0.5, 1,
#                                 rel.tol = 1e-12)$value / pbeta(0.5, 20, 10, lower.tail = FALSE)
R_E_VALUES = {(1, 0): 1.34616367361, (0, 1): 0.653836326389, (8, 0): 15.1677537427, (10, 2): 8.91076320166,
              (3, 7): 0.202884618848, (25, 10): 18.0807622266}  # fmt: skip


def test_e_value_matches_numerical_integration_in_r():
    table = log_e_table(40)
    for (wins, losses), expected in R_E_VALUES.items():
        assert np.exp(table[wins + losses, wins]) == pytest.approx(expected, rel=1e-9)


def _every_sequence(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All 4^n pairs of 0/1 sequences of length n (arm, baseline)."""
    bits = np.array(list(itertools.product([0, 1], repeat=2 * n)), dtype=bool)
    return bits[:, :n], bits[:, n:]


def _exact_rejection(n: int, alpha: float, p_arm: float, p_base: float) -> float:
    arm, base = _every_sequence(n)
    weight = np.prod(np.where(arm, p_arm, 1 - p_arm), axis=1) * np.prod(np.where(base, p_base, 1 - p_base), axis=1)
    code = scan(arm, base, boundary(n, alpha), (True, False))[0]
    return float(weight[code == BETTER].sum())


def test_calibrated_size_equals_enumeration_of_every_sequence_and_the_worst_null_is_both_rates_half():
    n, alpha = 6, 0.1
    bound = boundary(n, alpha)
    assert np.isfinite(bound.log_threshold)
    assert _exact_rejection(n, alpha, 0.5, 0.5) == pytest.approx(bound.size, abs=1e-12)
    assert bound.size <= alpha
    for p in (0.1, 0.3, 0.8):  # the recursion's size at other common rates
        assert _exact_rejection(n, alpha, p, p) == pytest.approx(crossing_probability(bound.wins_needed, p), abs=1e-12)
    for p_arm, p_base in [(0.1, 0.2), (0.3, 0.5), (0.45, 0.55), (0.5, 0.9), (0.6, 0.6), (0.0, 1.0)]:
        assert _exact_rejection(n, alpha, p_arm, p_base) <= bound.size + 1e-12


@pytest.mark.parametrize("n", [20, 50, 100])
def test_exact_calibration_uses_the_level_that_villes_threshold_wastes(n):
    exact, ville = boundary(n, 0.025), boundary(n, 0.025, "ville")
    assert ville.threshold == pytest.approx(40)
    assert ville.size <= exact.size <= 0.025
    assert exact.threshold < ville.threshold
    if n >= 50:  # small n is coarse: the next lower threshold would overshoot
        assert exact.size > 0.9 * 0.025


def _simulate(bound, p_arm, p_base, reps=4000, seed=0):
    rng = np.random.default_rng(seed)
    arm, base = rng.random((reps, bound.pairs)) < p_arm, rng.random((reps, bound.pairs)) < p_base
    code, pairs, _, _ = scan(arm, base, bound, (True, False))
    return int((code == BETTER).sum()), pairs


def _clopper_pearson_low(k: int, n: int) -> float:
    return float(stats.beta.ppf(0.025, k, n - k + 1)) if k else 0.0


@pytest.mark.parametrize("p_arm,p_base", [(0.5, 0.5), (0.15, 0.15), (0.8, 0.8), (0.4, 0.6)])
def test_type_one_error_by_simulation_stays_within_alpha(p_arm, p_base):
    bound = boundary(30, 0.05)
    hits, _ = _simulate(bound, p_arm, p_base)
    assert _clopper_pearson_low(hits, 4000) <= 0.05


def test_peeking_with_a_fixed_n_sign_test_fails_the_same_check():
    # The check above has teeth: testing after every pair at level α without calibration rejects far too often.
    n, alpha = 30, 0.05
    bound = boundary(n, alpha)
    m = np.arange(n + 1)
    naive = np.array([next((w for w in range(k + 1) if stats.binom.sf(w - 1, k, 0.5) <= alpha), k + 1) for k in m])
    hits, _ = _simulate(replace(bound, wins_needed=naive), 0.5, 0.5)
    assert _clopper_pearson_low(hits, 4000) > alpha


def test_a_large_effect_stops_early():
    bound = boundary(50, 0.025)
    hits, pairs = _simulate(bound, 0.8, 0.2)
    assert hits / 4000 > 0.99 and pairs.mean() < 0.3 * 50


def test_arm_winning_every_pair_stops_where_the_e_value_first_reaches_the_threshold():
    d = compare([1] * 20, [0] * 20, max_trials=20)
    assert d.state == "stop: arm better"
    assert d.e_value_better >= d.threshold and d.arm_wins == d.pairs and d.baseline_wins == 0
    before = compare([1] * (d.pairs - 1), [0] * (d.pairs - 1), max_trials=20)
    assert before.state == "continue" and before.e_value_better < d.threshold
    assert before.trials_remaining == 20 - (d.pairs - 1) and d.trials_remaining == 0
    assert "two-sided" in d.method and "α/2 = 0.025" in d.method and "Beta(20, 10)" in d.method


def test_trials_after_a_stop_do_not_change_it():
    first = compare([1] * 8, [0] * 8, max_trials=20)
    later = compare([1] * 8 + [0] * 12, [0] * 8 + [1] * 12, max_trials=20)
    assert first.state == later.state == "stop: arm better"
    assert later.pairs == first.pairs and later.pairs_observed == 20


def test_baseline_winning_is_arm_worse_two_sided_and_never_a_rejection_one_sided():
    assert compare([0] * 20, [1] * 20, 20).state == "stop: arm worse"
    greater = compare([0] * 20, [1] * 20, 20, alternative="greater")
    assert greater.state == "stop: no difference within the maximum" and greater.e_value_worse is None
    less = compare([1] * 20, [0] * 20, 20, alternative="less")
    assert less.state == "stop: no difference within the maximum" and less.e_value_better is None
    assert "one-sided, H1: arm < baseline, at α = 0.05" in less.method


def test_futility_stops_before_the_maximum_once_no_outcome_could_reach_the_threshold():
    n = 30
    need = boundary(n, 0.025).wins_needed
    d = compare([1] * n, [1] * n, n)  # every pair concordant: no evidence either way
    assert d.state == "stop: no difference within the maximum"
    assert d.pairs < n and d.pairs == min(j for j in range(n + 1) if n - j < need[n - j])
    assert compare([1] * (d.pairs - 1), [1] * (d.pairs - 1), n).state == "continue"
    alternating = compare([1, 0] * 15, [0, 1] * 15, n)
    assert alternating.state == "stop: no difference within the maximum" and alternating.pairs < n


def test_unequal_lengths_pair_only_complete_pairs():
    d = compare([1, 1, 1, 0, 1], [0, 0, 0], 20)
    assert d.pairs_observed == 3 and d.arm_wins == 3 and d.state == "continue"


def test_a_maximum_too_small_for_the_level_says_so():
    d = compare([1, 1], [0, 0], max_trials=2)
    assert d.threshold is None and d.state == "stop: no difference within the maximum" and d.pairs == 0
    assert "no outcome of 2 pairs can reach this level" in d.method


@pytest.mark.parametrize(
    "args,key",
    [
        (([1] * 21, [0] * 21, 20), "arm"),
        (([1, 2], [0, 0], 20), "arm[1]"),
        (([1], [0], 20, 0.0), "--alpha"),
        (([1], [0], 0), "--max-trials"),
        (([1], [0], 20, 0.05, "bigger"), "--alternative"),
    ],
)
def test_bad_sequences_and_settings_are_refused(args, key):
    with pytest.raises(InputError) as e:
        compare(*args)
    assert key in str(e.value)


def _table(arms: dict[str, list[int]], targets=("Panda/lift",), seeds=(0,)) -> pd.DataFrame:
    rows = []
    for (arm, outcomes), target, seed in itertools.product(arms.items(), targets, seeds):
        robot, task = target.split("/")
        rows += [
            {"arm": arm, "seed": seed, "embodiment": robot, "task": task, "trial": k, "success": s}
            for k, s in enumerate(outcomes)
        ]
    return pd.DataFrame(rows)


def test_table_decisions_per_comparison_and_target_with_bonferroni_and_strict_json():
    table = _table({"base": [0] * 25, "good": [1] * 25, "same": [0] * 25}, targets=("Panda/lift", "UR5e/lift"))
    out = sequential_comparisons(table, Design(baseline="base"), max_trials=30)
    json.loads(json.dumps(out, allow_nan=False))  # strict JSON
    assert out["family_size"] == 4 and out["alpha_per_test"] == pytest.approx(0.0125)
    assert "Bonferroni" in out["correction"] and "any dependence" in out["correction"]
    states = {(c["compared"], t["target"]): t["decision"]["state"] for c in out["comparisons"] for t in c["targets"]}
    assert states[("good", "Panda/lift")] == states[("good", "UR5e/lift")] == "stop: arm better"
    assert states[("same", "Panda/lift")] == "stop: no difference within the maximum"
    good = out["comparisons"][0]["targets"][0]
    assert good["arm"] == {"successes": 25, "trials": 25} and good["decision"]["alpha"] == pytest.approx(0.0125)
    # with one comparison × target the level is α itself, so the same data stop sooner
    alone = sequential_comparisons(
        table[table["arm"] != "same"].query("embodiment == 'Panda'"), Design(baseline="base"), 40
    )
    assert alone["comparisons"][0]["targets"][0]["decision"]["pairs"] < good["decision"]["pairs"]
    assert (
        out["summary"]["stop: arm better"] == 2
        and out["dropped"] == []
        and len(out["notes"]) == 1
        and "declare the planned family" in out["notes"][0]
    )


def test_table_is_read_in_trial_order_not_row_order():
    arm = [1] * 10 + [0] * 10
    table = _table({"base": [0] * 10 + [1] * 10, "new": arm}).iloc[::-1]  # rows listed last trial first
    out = sequential_comparisons(table, Design(baseline="base"), max_trials=20)
    decision = out["comparisons"][0]["targets"][0]["decision"]
    expected = compare(arm, [0] * 10 + [1] * 10, 20)
    assert decision["state"] == expected.state == "stop: arm better" and decision["pairs"] == expected.pairs


def test_targets_of_one_arm_are_dropped_with_the_reason_and_pooled_seeds_are_noted():
    table = pd.concat(
        [
            _table({"base": [0, 1, 0], "new": [1, 1, 0]}, seeds=(0, 1)),
            _table({"new": [1, 1]}, targets=("UR5e/push",)),
        ]
    )
    out = sequential_comparisons(table, Design(baseline="base"), max_trials=10)
    assert out["dropped"] == [
        {"comparison": "new vs base", "target": "UR5e/push", "reason": "no trials for the baseline 'base'"}
    ]
    assert out["family_size"] == 1
    assert any("several seeds" in n and "one policy" in n for n in out["notes"])
    assert out["comparisons"][0]["targets"][0]["arm"]["trials"] == 6


@pytest.mark.parametrize(
    "table,key,words",
    [
        (pd.DataFrame({"arm": ["a", "b"], "embodiment": "P", "task": "t", "successes": 3, "trials": 5}), "success",
         "per-trial rows in run order"),
        (_table({"base": [1, 0], "new": [1, 1]}).drop(columns="trial"), "trial", "run order"),
        (_table({"base": [1] * 11, "new": [1] * 11}), "trial",
         "'base' on Panda/lift: 11 trials, more than the pre-registered maximum of 10"),
        (pd.concat([_table({"base": [1], "new": [1]})] * 2), "trial[", "appears twice"),
        (_table({"base": [1], "new": [1]}).assign(trial=0.5), "trial[0]", "whole number"),
        (_table({"base": [1], "new": [2]}), "success (row", "0 or 1"),
        (_table({"other": [1], "new": [1]}), "arm", "baseline 'base' not found"),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_with_the_column_and_what_was_expected(table, key, words):
    with pytest.raises(InputError) as e:
        sequential_comparisons(table, Design(baseline="base"), max_trials=10)
    assert key in str(e.value) and words in str(e.value)


def test_strata_compare_within_each_and_a_stratum_without_the_baseline_is_dropped():
    sim = _table({"base": [0] * 12, "new": [1] * 12}).assign(platform="sim")
    real = _table({"new": [1] * 12}).assign(platform="real")
    out = sequential_comparisons(pd.concat([sim, real]), Design(baseline="base", strata=("platform",)), 20)
    assert [c["label"] for c in out["comparisons"]] == ["new vs base [platform=sim]"]
    assert out["dropped"] == [
        {"comparison": "new vs base [platform=real]", "target": "all", "reason": "no baseline trials in this stratum"}
    ]
