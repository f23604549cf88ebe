"""Pre-registered hypotheses are tested exactly as declared: the right tables, the declared side, one family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablate.stats.confirmatory import test_hypotheses as run_hypotheses
from ablate.stats.significance import cmh_directional, exact_test, non_inferiority

# successes out of 20 per (frame, mixture, target, seed): pooling helps eef_rel on both targets, hurts joint_abs.
SUCCESSES = {
    ("eef_rel", "target_only", "IIWA"): [5, 6, 4],
    ("eef_rel", "pooled", "IIWA"): [10, 12, 9],
    ("eef_rel", "target_only", "Panda"): [9, 10, 8],
    ("eef_rel", "pooled", "Panda"): [13, 12, 14],
    ("joint_abs", "target_only", "IIWA"): [6, 5, 7],
    ("joint_abs", "pooled", "IIWA"): [3, 2, 4],
    ("joint_abs", "target_only", "Panda"): [10, 11, 9],
    ("joint_abs", "pooled", "Panda"): [8, 9, 10],
}


def _table() -> pd.DataFrame:
    rows = []
    for (frame, mixture, robot), per_seed in SUCCESSES.items():
        for seed, s in enumerate(per_seed):
            for trial in range(20):
                rows.append(
                    {
                        "action_frame": frame,
                        "mixture": mixture,
                        "target": robot,
                        "seed": seed,
                        "embodiment": robot,
                        "task": "lift",
                        "trial": trial,
                        "success": int(trial < s),
                        "progress": float(trial < s),
                    }
                )
    return pd.DataFrame(rows)


def _counts(frame: str, robot: str) -> tuple[int, int, int, int]:
    return (sum(SUCCESSES[(frame, "pooled", robot)]), 60, sum(SUCCESSES[(frame, "target_only", robot)]), 60)


HYPOTHESES = {
    "correction": "holm",
    "tests": [
        {
            "name": "helps_eef",
            "arm": "mixture=pooled",
            "baseline": "mixture=target_only",
            "where": {"action_frame": "eef_rel"},
            "alternative": "greater",
            "alpha": 0.05,
        },
        {
            "name": "hurts_joint_iiwa",
            "arm": "mixture=pooled",
            "baseline": "mixture=target_only",
            "where": {"action_frame": "joint_abs"},
            "targets": ["IIWA/lift"],
            "alternative": "less",
            "alpha": 0.05,
        },
        {
            "name": "noninferior_joint_panda",
            "arm": "mixture=pooled",
            "baseline": "mixture=target_only",
            "where": {"action_frame": "joint_abs"},
            "targets": ["Panda/lift"],
            "alternative": "non-inferior",
            "margin": 0.2,
            "alpha": 0.05,
        },
    ],
}
FACTORS = ["action_frame", "mixture", "target"]


def test_each_hypothesis_gets_its_declared_test_on_its_own_tables():
    result = run_hypotheses(_table(), HYPOTHESES, FACTORS, resamples=500)
    helps, hurts, noninf = result["hypotheses"]

    # Two targets (target is a stratum; each target's rows are in one stratum): one-sided CMH, as R's.
    assert [t["target"] for t in helps["tables"]] == ["IIWA/lift", "Panda/lift"]
    expected = cmh_directional([_counts("eef_rel", "IIWA"), _counts("eef_rel", "Panda")], "greater")
    assert helps["test"]["p"] == pytest.approx(expected.p)
    assert helps["test"]["alternative"] == "arm > baseline" and "Mantel–Haenszel" in helps["test"]["method"]
    assert helps["effect"]["estimate"] == pytest.approx(np.mean([(31 - 15) / 60, (39 - 27) / 60]))
    low, high = helps["effect"]["ci"]
    assert low < helps["effect"]["estimate"] < high

    # One table: Boschloo in the declared direction.
    assert hurts["test"]["p"] == pytest.approx(exact_test(*_counts("joint_abs", "IIWA"), "boschloo", "less").p)
    assert noninf["test"]["p"] == pytest.approx(non_inferiority(*_counts("joint_abs", "Panda"), 0.2).p)

    # One family: Holm over the three p-values, each judged at its own α.
    ps = sorted(h["test"]["p"] for h in result["hypotheses"])
    holm = np.minimum(1, np.maximum.accumulate([(3 - i) * p for i, p in enumerate(ps)]))
    assert sorted(h["test"]["p_adjusted"] for h in result["hypotheses"]) == pytest.approx(list(holm))
    assert helps["supported"] is True
    assert result["correction"].startswith("Holm over the 3 pre-registered hypotheses")
    assert result["verdicts"][0].startswith("confirmatory helps_eef: mixture=pooled > mixture=target_only")
    assert "supported at α = 0.05" in result["verdicts"][0]


def test_non_inferiority_over_several_tables_is_intersection_union():
    spec = {"correction": "none", "tests": [dict(HYPOTHESES["tests"][2], targets=None)]}
    (h,) = run_hypotheses(_table(), spec, FACTORS, resamples=200)["hypotheses"]
    each = [non_inferiority(*_counts("joint_abs", r), 0.2).p for r in ("IIWA", "Panda")]
    assert h["test"]["p"] == pytest.approx(max(each))
    assert "intersection–union" in h["test"]["method"]


def test_a_hypothesis_without_data_is_reported_not_tested():
    table = _table()
    table = table[table["action_frame"] != "joint_abs"]
    result = run_hypotheses(table, HYPOTHESES, FACTORS, resamples=200)
    assert result["hypotheses"][1]["test"] is None and result["hypotheses"][1]["supported"] is False
    assert "not tested" in result["verdicts"][1]
    assert result["correction"].startswith("Holm over the 3 pre-registered hypotheses")


def test_untested_hypotheses_stay_in_the_family_and_boolean_levels_match():
    # A hypothesis without data counts with p = 1: the others are adjusted over all three, as declared.
    table = _table()
    table = table[table["action_frame"] != "joint_abs"]
    result = run_hypotheses(table, HYPOTHESES, FACTORS, resamples=200)
    p = result["hypotheses"][0]["test"]["p"]
    assert result["hypotheses"][0]["test"]["p_adjusted"] == pytest.approx(min(1.0, 3 * p))
    # A `where` level written as YAML true matches the trial table's level name 'true'.
    flagged = _table().assign(flag=lambda t: np.where(t["action_frame"] == "eef_rel", "true", "false"))
    spec = {"tests": [dict(HYPOTHESES["tests"][0], where={"flag": True})]}
    (h,) = run_hypotheses(flagged, spec, ["flag", "mixture", "target"], resamples=200)["hypotheses"]
    assert h["test"] is not None and len(h["tables"]) == 2
