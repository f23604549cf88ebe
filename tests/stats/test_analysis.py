"""The whole analysis on small trial tables whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ablate.errors import InputError
from ablate.stats.analysis import Options, analyse
from ablate.stats.counts import Design

TARGETS = [("Panda", "lift"), ("UR5e", "lift"), ("Kinova3", "lift")]


def trials(rates: dict[str, dict[str, float]], seeds=(0, 1, 2), n=20, factors: dict[str, dict] | None = None):
    """Per-trial rows with exactly round(rate × n) successes per (arm, seed, target)."""
    rows = []
    for arm, by_robot in rates.items():
        for seed in seeds:
            for robot, task in TARGETS:
                k = round(by_robot[robot] * n)
                for trial in range(n):
                    rows.append(
                        {
                            "sweep": "s",
                            "arm": arm,
                            "run": f"{arm}-{seed}",
                            "seed": seed,
                            "embodiment": robot,
                            "task": task,
                            "trial": trial,
                            "success": int(trial < k),
                            "progress": 0.5 + 0.4 * (trial < k),
                            **((factors or {}).get(arm, {})),
                        }
                    )
    return pd.DataFrame(rows)


def test_negative_transfer_is_found_where_it_was_put_and_nowhere_else():
    table = trials(
        {
            "target_only": {"Panda": 0.5, "UR5e": 0.8, "Kinova3": 0.6},
            "pooled": {"Panda": 0.55, "UR5e": 0.35, "Kinova3": 0.6},
        }
    )
    result = analyse(table, Design(baseline="target_only"))
    (comparison,) = result["comparisons"]
    by_target = {t["target"]: t for t in comparison["targets"]}
    assert by_target["UR5e/lift"]["negative_transfer"]["p_adjusted"] < 0.001
    assert by_target["Panda/lift"]["negative_transfer"]["p_adjusted"] > 0.5
    assert by_target["UR5e/lift"]["delta"]["estimate"] == pytest.approx(-0.45)
    assert by_target["UR5e/lift"]["arm"] == {"successes": 21, "trials": 60, "rate": 0.35}  # 3 seeds × 7 of 20
    negative = [v for v in result["verdicts"] if "negative transfer on" in v]
    assert len(negative) == 1 and negative[0].startswith(
        "pooled vs target_only: negative transfer on UR5e/lift: Δ = −0.45"
    )
    assert "one-sided Boschloo p < 0.001, Holm-adjusted p < 0.001" in negative[0]
    for key in ("method", "alternative", "correction"):
        assert by_target["UR5e/lift"]["negative_transfer"][key]
    assert "delta_clustered" in by_target["UR5e/lift"]  # three seeds: the seed-clustered interval too


def test_aggregated_counts_give_the_same_tests_as_trials():
    table = trials(
        {"base": {"Panda": 0.5, "UR5e": 0.8, "Kinova3": 0.6}, "arm": {"Panda": 0.7, "UR5e": 0.5, "Kinova3": 0.6}}
    )
    counts = table.groupby(["arm", "seed", "embodiment", "task"], as_index=False).agg(
        successes=("success", "sum"), trials=("success", "size"), progress=("progress", "mean")
    )
    one, two = (analyse(t, Design(baseline="base"), Options(resamples=500)) for t in (table, counts))
    assert one["verdicts"] == two["verdicts"]
    assert one["comparisons"][0]["overall"] == two["comparisons"][0]["overall"]


def test_factor_baseline_compares_within_the_other_factors():
    factors = {
        "a": {"action_frame": "eef_rel", "mixture": "target_only"},
        "b": {"action_frame": "eef_rel", "mixture": "pooled"},
        "c": {"action_frame": "joint_abs", "mixture": "target_only"},
        "d": {"action_frame": "joint_abs", "mixture": "pooled"},
    }
    r = {"Panda": 0.5, "UR5e": 0.5, "Kinova3": 0.5}
    table = trials({k: r for k in factors}, factors=factors)
    design = Design(column="mixture", baseline="target_only", strata=("action_frame",), by=("embodiment",))
    result = analyse(table, design, Options(resamples=500))
    labels = [c["label"] for c in result["comparisons"]]
    assert labels == ["pooled vs target_only [action_frame=eef_rel]", "pooled vs target_only [action_frame=joint_abs]"]
    groups = result["comparisons"][0]["groups"]
    assert [g["group"]["embodiment"] for g in groups] == ["Kinova3", "Panda", "UR5e"]
    bd = groups[0]["breslow_day"]  # one target per group: nothing to be heterogeneous across, and it says so
    assert bd["statistic"] is None and bd["p"] is None and "one target" in bd["extra"]["note"]
    assert groups[0]["cmh"]["correction"] == "Holm over 3 groups"


def test_margin_adds_non_inferiority_verdicts():
    table = trials(
        {"base": {"Panda": 0.6, "UR5e": 0.6, "Kinova3": 0.6}, "arm": {"Panda": 0.6, "UR5e": 0.6, "Kinova3": 0.1}}, n=40
    )
    result = analyse(table, Design(baseline="base"), Options(margin=0.15, resamples=500))
    (line,) = [v for v in result["verdicts"] if "non-inferior" in v]
    assert "on 2 of 3 targets" in line and "Kinova3" not in line


def test_bad_tables_are_refused_with_the_column():
    table = trials({"base": {"Panda": 0.5, "UR5e": 0.5, "Kinova3": 0.5}}).drop(columns="embodiment")
    with pytest.raises(InputError, match="embodiment"):
        analyse(table, Design(baseline="base"))
    table = trials({"base": {"Panda": 0.5, "UR5e": 0.5, "Kinova3": 0.5}})
    with pytest.raises(InputError, match="baseline 'nope' not found; levels are base"):
        analyse(table, Design(baseline="nope"))
    with pytest.raises(InputError, match=r"success \(row 1\)"):
        analyse(table.assign(success=np.where(table.index == 0, 3, table["success"])), Design(baseline="base"))


def test_targets_group_by_a_column_constant_per_target():
    # GM-100's layout: a platform column (a factor of the sweep) names each target's group, as `embodiment` would.
    table = trials(
        {"base": {"Panda": 0.5, "UR5e": 0.8, "Kinova3": 0.6}, "new": {"Panda": 0.5, "UR5e": 0.3, "Kinova3": 0.6}}
    )
    table["platform"] = table["embodiment"].map({"Panda": "franka", "UR5e": "ur", "Kinova3": "kinova"})
    result = analyse(table, Design(column="arm", baseline="base", by=("platform",)), Options(resamples=200))
    groups = {g["group"]["platform"]: g for g in result["comparisons"][0]["groups"]}
    assert set(groups) == {"franka", "ur", "kinova"} and all(g["targets"] == 1 for g in groups.values())
    table.loc[table["seed"] == 1, "platform"] = "other"  # no longer constant within a target
    with pytest.raises(InputError, match="'platform' takes 2 values on target"):
        analyse(table, Design(column="arm", baseline="base", by=("platform",)), Options(resamples=200))
