"""All-pairs families on small trial tables whose answer is known by construction."""

from __future__ import annotations

import json
from itertools import combinations

import pandas as pd
import pytest

from ablate.report.pairs_text import pairs_sections
from ablate.stats import proportions, significance
from ablate.stats.analysis import Options
from ablate.stats.counts import Design, cells
from ablate.stats.pairs import all_pairs, mean_delta

ROBOTS = ("Panda", "UR5e", "Kinova3")
# Two clear groups of three; within a group the arms differ by one success in ten here and there. Table order is
# scrambled so that the display order (best first) has to be computed.
SIX = {
    "eef_rel": {"Panda": 0.1, "UR5e": 0.2, "Kinova3": 0.1},
    "world_abs": {"Panda": 0.8, "UR5e": 0.9, "Kinova3": 0.8},
    "joint_rel": {"Panda": 0.2, "UR5e": 0.1, "Kinova3": 0.2},
    "joint_abs": {"Panda": 0.9, "UR5e": 0.8, "Kinova3": 0.9},
    "world_rel": {"Panda": 0.1, "UR5e": 0.1, "Kinova3": 0.2},
    "eef_abs": {"Panda": 0.8, "UR5e": 0.8, "Kinova3": 0.9},
}
BEST_FIRST = ["joint_abs", "world_abs", "eef_abs", "joint_rel", "eef_rel", "world_rel"]  # ties in table order


def table(rates: dict[str, dict[str, float]], seeds=(0, 1), n=10, factors: dict[str, dict] | None = None):
    """Per-trial rows with exactly round(rate × n) successes per (arm, seed, robot); robots absent from an arm's
    rates were not evaluated."""
    rows = []
    for arm, by_robot in rates.items():
        for seed in seeds:
            for robot, rate in by_robot.items():
                for trial in range(n):
                    success = int(trial < round(rate * n))
                    rows.append(
                        {"arm": arm, "seed": seed, "embodiment": robot, "task": "lift", "trial": trial}
                        | {"success": success, **(factors or {}).get(arm, {})}
                    )
    return pd.DataFrame(rows)


def pairs(rates, design: Design | None = None, options: Options | None = None, **kw) -> list[dict]:
    design = design or Design(baseline="joint_abs")
    return all_pairs(cells(table(rates, **kw), design), design, options or Options())


def by_pair(family: dict) -> dict[frozenset, dict]:
    return {frozenset((p["a"], p["b"])): p for p in family["pairs"]}


def test_six_arms_form_one_family_of_fifteen_pairs_with_holm_and_two_letter_groups():
    (family,) = pairs(SIX)
    assert family["family"] == 15 and len(family["pairs"]) == 15 and family["untestable"] == []
    assert family["correction"] == "Holm over 15 pairs"
    for p in family["pairs"]:
        t = p["test"]
        assert t["p_adjusted"] >= t["p"]
        assert (t["alternative"], t["correction"]) == ("two-sided", "Holm over 15 pairs")
        assert p["delta"]["level"] == 0.95 and p["delta"]["method"]
    assert [a["level"] for a in family["arms"]] == BEST_FIRST
    assert [a["letters"] for a in family["arms"]] == ["a", "a", "a", "b", "b", "b"]
    high, low = set(BEST_FIRST[:3]), set(BEST_FIRST[3:])
    for key, p in by_pair(family).items():
        assert p["significant"] == (bool(key & high) and bool(key & low)), sorted(key)
    json.dumps(family, allow_nan=False)  # strict JSON: results.json never holds NaN


def test_several_common_targets_use_cmh_and_the_mean_delta_matching_r():
    (family,) = pairs(SIX)
    close = by_pair(family)[frozenset(("joint_abs", "world_abs"))]
    # R: mantelhaen.test(array(c(18,16,2,4, 18,16,2,4, 16,18,4,2), dim = c(2, 2, 3)))  (Kinova3, Panda, UR5e)
    assert close["test"]["p"] == pytest.approx(0.800701694868253, rel=1e-9)
    assert close["test"]["statistic"] == pytest.approx(0.0637254901960784, rel=1e-9)
    assert close["test"]["method"] == "Cochran–Mantel–Haenszel (with continuity correction)"
    assert close["targets"] == ["Kinova3/lift", "Panda/lift", "UR5e/lift"]
    assert (close["a"], close["b"]) == ("joint_abs", "world_abs")  # the better-ranked arm first: Δ = a − b
    assert close["delta"]["estimate"] == pytest.approx((0.1 + 0.1 - 0.1) / 3)
    assert "mean over targets" in close["delta"]["method"]
    far = by_pair(family)[frozenset(("joint_abs", "eef_rel"))]
    # R: mantelhaen.test(array(c(18,2,2,18, 18,2,2,18, 16,4,4,16), dim = c(2, 2, 3)))$p.value
    assert far["test"]["p"] == pytest.approx(9.0502544118271e-15, rel=1e-6)
    assert far["test"]["p_adjusted"] == pytest.approx(15 * far["test"]["p"], rel=1e-6)  # the smallest p: × 15
    assert far["counts"] == {"a": {"successes": 52, "trials": 60}, "b": {"successes": 8, "trials": 60}}


def test_one_common_target_uses_the_two_sided_exact_test_and_the_configured_delta_interval():
    rates = {"a": {"Panda": 0.9}, "b": {"Panda": 0.3}, "c": {"Panda": 0.4}}
    options = Options(exact_test="barnard", delta_method="miettinen-nurminen")
    (family,) = pairs(rates, Design(baseline="a"), options)
    ab = by_pair(family)[frozenset(("a", "b"))]
    expected = significance.exact_test(18, 20, 6, 20, "barnard", "two-sided")
    assert ab["test"]["p"] == pytest.approx(expected.p) and ab["test"]["method"] == "Barnard exact"
    d = proportions.delta(18, 20, 6, 20, "miettinen-nurminen", 0.95)
    assert ab["delta"] == {"estimate": pytest.approx(0.6), "ci": [d.low, d.high], "method": d.method, "level": 0.95}
    assert [a["level"] for a in family["arms"]] == ["a", "c", "b"]
    assert family["correction"] == "Holm over 3 pairs"


def test_a_pair_without_a_common_target_is_listed_as_untestable_not_dropped():
    rates = {
        "joint_abs": {"Panda": 0.9, "UR5e": 0.9},
        "eef_rel": {"Panda": 0.1, "UR5e": 0.1},
        "iiwa_only": {"IIWA": 0.5},
        "panda_only": {"Panda": 0.5},
    }
    (family,) = pairs(rates)
    assert family["family"] == 3  # six pairs: IIWA shares no target with the other three
    assert {frozenset((u["a"], u["b"])) for u in family["untestable"]} == {
        frozenset(("iiwa_only", x)) for x in ("joint_abs", "eef_rel", "panda_only")
    }
    untestable = next(u for u in family["untestable"] if "joint_abs" in (u["a"], u["b"]))
    assert untestable["targets"] == []
    assert (
        untestable["reason"]
        == "no target evaluated on both: joint_abs on Panda/lift, UR5e/lift; iiwa_only on IIWA/lift"
    )
    tested = by_pair(family)
    assert tested[frozenset(("joint_abs", "panda_only"))]["targets"] == ["Panda/lift"]  # the single-target path
    assert "exact" in tested[frozenset(("joint_abs", "panda_only"))]["test"]["method"]
    letters = {a["level"]: a["letters"] for a in family["arms"]}
    assert set(letters["iiwa_only"]) & set(letters["joint_abs"]) and set(letters["iiwa_only"]) & set(letters["eef_rel"])


def test_each_stratum_is_its_own_family():
    rates = {f"{frame}_{mix}": SIX[f"{frame}_abs"] for frame in ("joint", "world", "eef") for mix in ("p", "t")}
    factors = {arm: {"mixture": arm.split("_")[1]} for arm in rates}
    design = Design(baseline="joint_p", strata=("mixture",))
    result = pairs(rates, design, factors=factors)
    assert [f["stratum"] for f in result] == [{"mixture": "p"}, {"mixture": "t"}]
    assert [f["family"] for f in result] == [3, 3]
    assert all(f["correction"] == "Holm over 3 pairs" for f in result)


def test_corrections_flow_through_and_none_leaves_p_unchanged():
    (plain,) = pairs(SIX, options=Options(correction="none"))
    assert all(p["test"]["p_adjusted"] == p["test"]["p"] for p in plain["pairs"])
    (bh,) = pairs(SIX, options=Options(correction="bh"))
    assert bh["correction"] == "Benjamini–Hochberg over 15 pairs"


def test_no_informative_target_gives_none_with_a_reason_and_one_letter():
    (family,) = pairs({"a": {"Panda": 0.0, "UR5e": 0.0}, "b": {"Panda": 0.0, "UR5e": 0.0}})
    (p,) = family["pairs"]
    assert p["test"]["statistic"] is None and "no information" in p["test"]["note"]
    assert p["test"]["p"] == 1.0 and not p["significant"]
    assert [a["letters"] for a in family["arms"]] == ["a", "a"]
    json.dumps(family, allow_nan=False)


@pytest.mark.parametrize(("s1", "n1", "s0", "n0"), [(18, 20, 6, 20), (0, 15, 0, 15), (15, 15, 3, 15), (7, 9, 2, 30)])
def test_the_mean_delta_interval_is_newcombes_for_one_target(s1, n1, s0, n0):
    d, newcombe = mean_delta([(s1, n1, s0, n0)], 0.95), proportions.delta(s1, n1, s0, n0, "newcombe", 0.95)
    assert d["ci"] == pytest.approx([newcombe.low, newcombe.high], abs=1e-12)


def test_the_mean_delta_interval_narrows_with_more_targets():
    one = mean_delta([(12, 20, 8, 20)], 0.95)
    four = mean_delta([(12, 20, 8, 20)] * 4, 0.95)
    assert one["estimate"] == pytest.approx(four["estimate"]) == pytest.approx(0.2)
    assert four["ci"][1] - four["ci"][0] == pytest.approx((one["ci"][1] - one["ci"][0]) / 2)


def test_report_sections_name_the_tests_correction_and_level():
    result = pairs(SIX)
    (arms, comparisons) = pairs_sections(result)
    heading, head, rows, note = arms.heading, arms.head, arms.rows, arms.note
    assert heading == "All pairs: arms and letters" and head[-1] == "letters"
    assert rows[0] == ["joint_abs", "52 / 60", rows[0][2], "3", "a"] and rows[0][2].startswith("0.87 [")
    heading, head, rows, note = comparisons.heading, comparisons.head, comparisons.rows, comparisons.note
    assert len(rows) == 15 and head[:3] == ["a vs b", "targets", "Δ [CI]"]
    far = next(r for r in rows if r[0] == "joint_abs vs eef_rel")
    assert far[1:] == ["3 targets", far[2], "CMH", "< 0.001", "< 0.001", "yes"] and far[2].startswith("+0.73 [")
    assert note.startswith("Two-sided Cochran–Mantel–Haenszel (with continuity correction) tests")
    assert "Holm over 15 pairs" in note and "95% intervals" in note and "adjusted p < 0.05" in note


def test_untestable_pairs_appear_in_the_report_table():
    rates = {"a": {"Panda": 0.9}, "b": {"UR5e": 0.2}, "c": {"Panda": 0.3, "UR5e": 0.3}}
    arms_table, pairs_table = pairs_sections(pairs(rates, Design(baseline="a")))
    arms, arms_note, rows, note = arms_table.rows, arms_table.note, pairs_table.rows, pairs_table.note
    assert ["a vs b", "none in common", "–", "untestable", "–", "–", "–"] in rows
    assert [r[-1] for r in arms] == ["a", "b", "ab"]  # a and b were never compared: they keep a letter in common
    assert "untested pairs share a letter" in arms_note
    assert "1 pair without a common target untested" in note
    assert len(rows) == len(list(combinations(rates, 2)))
