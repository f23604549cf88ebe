"""`ablate report` on the trial table's offline companion: arms compared on the offline error, paired by seed — the
mean difference, its t interval, the Wilcoxon p-value and Holm against scipy and R; what is left out and why; strict
JSON; and a sweep with trials and offline rows gets both."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablate import api
from ablate.errors import InputError
from ablate.report.offline import analyse_offline, offline_report

SETTINGS = {"val_split_seed": 0, "val_fraction": 0.2, "chunk_horizon": 8, "chunk_frame_step": 1}
# joint error per (arm, seed); the second dataset's is shifted, its differences change sign
ERRORS = {"so100_only": [0.20, 0.22, 0.19], "pooled": [0.17, 0.21, 0.15]}
KOCH = {"so100_only": [0.30, 0.31, 0.29], "pooled": [0.32, 0.30, 0.32]}


def _rows(arms=("so100_only", "pooled"), seeds=(0, 1, 2), **settings) -> list[dict]:
    rows = []
    for arm in arms:
        for seed in seeds:
            for dataset, errors in (("so100_pick", ERRORS), ("koch_pick", KOCH)):
                rows.append(
                    {"sweep": "s", "arm": f"{arm}-id", "run": f"{arm}-{seed}", "seed": seed, "mixture": arm,
                     "embodiment": dataset.split("_")[0], "dataset": dataset, "chunks": 10, **SETTINGS,
                     **settings.get(arm, {}), "joint_error_rad": errors[arm][seed], "eef_position_error_m": None,
                     "gripper_error": 0.1 + 0.01 * seed}
                )  # fmt: skip
    return rows


def _strict(text: str):
    def refuse(token):
        raise AssertionError(f"non-JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_the_mean_paired_difference_its_t_interval_wilcoxon_and_holm_match_scipy_and_r(tmp_path):
    report = offline_report(pd.DataFrame(_rows()), "mixture=so100_only", tmp_path, "t", 0.05, "holm", "table")
    joint = {c["dataset"]: c for c in report.result["comparisons"] if c["metric"] == "joint_error_rad"}
    assert sorted(joint) == ["koch_pick", "so100_pick"]
    so100, koch = joint["so100_pick"], joint["koch_pick"]
    assert so100["arm"] == "pooled" and so100["baseline"] == "so100_only" and so100["seeds"] == 3
    diff = np.array([0.17 - 0.20, 0.21 - 0.22, 0.15 - 0.19])
    assert so100["difference"] == pytest.approx(diff.mean())  # −0.0267
    ci = stats.ttest_rel([0.17, 0.21, 0.15], [0.20, 0.22, 0.19]).confidence_interval(0.95)
    assert so100["interval"] == pytest.approx([ci.low, ci.high])  # R: t.test(x, y, paired = TRUE)$conf.int
    # R: wilcox.test(c(-0.03, -0.01, -0.04)) -> V = 0, p-value = 0.25; wilcox.test(c(0.02, -0.01, 0.03)) -> V = 5,
    # p-value = 0.5
    assert so100["p"] == pytest.approx(0.25) == pytest.approx(stats.wilcoxon(diff, method="exact").pvalue)
    assert so100["statistic"] == 0
    assert koch["difference"] == pytest.approx(np.mean([0.02, -0.01, 0.03]))
    assert koch["p"] == pytest.approx(0.5) and koch["statistic"] == 5
    # the gripper: pooled − so100_only is 0 on every seed (no test can see a difference), on both datasets
    gripper = [c for c in report.result["comparisons"] if c["metric"] == "gripper_error"]
    assert [c["p"] for c in gripper] == [1.0, 1.0]
    # Holm over the 4 comparisons (2 datasets × joint, gripper; nobody measured the EEF): R's
    # p.adjust(c(0.25, 0.5, 1, 1), "holm") = 1, 1, 1, 1
    assert so100["p_adjusted"] == pytest.approx(min(1.0, 4 * 0.25))
    assert so100["correction"] == "Holm over 4 offline comparisons"
    assert so100["alternative"] == "two-sided" and so100["level"] == 0.95
    assert so100["interval_method"] == "Student t interval over paired seeds, two-sided, 95%"
    assert "2/2^3 = 0.25: it cannot fall below α = 0.05" in so100["note"]
    results = _strict((tmp_path / "results.json").read_text())
    assert results["kind"] == "offline" and results["comparisons"][0]["interval"][0] is not None
    markdown = (tmp_path / "report.md").read_text()
    for words in ("two-sided Wilcoxon signed-rank", "95% Student t interval", "lower is better", "Holm over 4"):
        assert words in markdown, words
    assert "Holm over 4 offline comparisons" in (tmp_path / "tables.tex").read_text()
    assert "lower is better" in (tmp_path / "report.html").read_text()


def test_with_more_seeds_the_p_value_matches_r_and_holm_adjusts_over_the_family():
    seeds = range(8)
    rng = np.random.default_rng(1)
    base = rng.uniform(0.1, 0.3, 8)
    arm = base - np.array([0.031, 0.012, 0.044, -0.006, 0.027, 0.018, 0.039, 0.022])
    rows = [
        {"arm": name, "seed": s, "embodiment": "so100", "dataset": "so100_pick", "joint_error_rad": float(v[s])}
        for name, v in (("base", base), ("new", arm))
        for s in seeds
    ]
    result = analyse_offline(pd.DataFrame(rows), "base", 0.05, "holm", "table")
    (c,) = result["comparisons"]
    # R: wilcox.test(-c(0.031, 0.012, 0.044, -0.006, 0.027, 0.018, 0.039, 0.022)) -> V = 1, p-value = 0.01563
    assert c["statistic"] == 1 and c["p"] == pytest.approx(0.015625)
    assert c["p_adjusted"] == c["p"] and "note" not in c  # one comparison; 8 seeds can reach α


def test_what_cannot_be_compared_is_left_out_with_the_reason(tmp_path):
    rows = _rows()
    rows = [r for r in rows if not (r["mixture"] == "pooled" and r["seed"] == 2)]  # a lost seed
    extra = [r for r in _rows(("pooled",)) if r["dataset"] == "so100_pick"]
    rows += [r | {"dataset": "aloha_insert", "embodiment": "aloha"} for r in extra]  # only one side measured it
    for r in rows:  # the EEF error measured only by the baseline's frame
        if r["mixture"] == "so100_only":
            r["eef_position_error_m"] = 0.01
    result = analyse_offline(pd.DataFrame(rows), "mixture=so100_only", 0.05, "holm", "table")
    reasons = {(x["left_out"], x["reason"].split(" (")[0]) for x in result["left_out"]}
    assert ("aloha_insert", "measured by pooled only") in reasons
    assert ("so100_pick", "seeds [2] have no partner") in reasons
    assert ("so100_pick: eef_position_error_m", "measured by so100_only only") in reasons
    assert all(c["seeds"] == 2 for c in result["comparisons"])


def test_arms_measured_on_other_held_out_chunks_are_refused():
    rows = _rows(pooled={"val_split_seed": 1})  # another split seed: other validation episodes
    with pytest.raises(InputError, match=r"different held-out chunks: val_split_seed 1 \(arm\) vs 0 \(baseline\)"):
        offline_report(pd.DataFrame(rows), "mixture=so100_only", None, "t", 0.05, "holm", "table")
    rows = _rows(pooled={"chunk_horizon": 16})
    result = analyse_offline(pd.DataFrame(rows), "mixture=so100_only", 0.05, "holm", "table")
    assert not result["comparisons"]
    assert all("chunk_horizon 16 (arm) vs 8 (baseline)" in x["reason"] for x in result["left_out"])


def test_one_seed_gives_no_interval_and_strict_json(tmp_path):
    report = offline_report(pd.DataFrame(_rows(seeds=(0,))), "so100_only-id", tmp_path, "t", 0.05, "holm", "table")
    c = report.result["comparisons"][0]
    assert c["interval"] == [None, None] and "one paired seed" in c["note"]
    assert _strict((tmp_path / "results.json").read_text())["comparisons"][0]["interval"] == [None, None]


def test_a_baseline_that_is_not_there_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no mixture 'nothing'"):
        offline_report(pd.DataFrame(_rows()), "mixture=nothing", tmp_path, "t", 0.05, "holm", "table")


def write_sweep(root, trials: bool, offline: bool) -> None:
    """A sweep folder as `ablate run` leaves it: a manifest, and per run a trial part and/or an offline part."""
    runs = [{"id": f"{a}-{s}", "name": f"mixture={a}/seed={s}", "arm": f"{a}-id", "seed": s}
            for a in ERRORS for s in range(3)]  # fmt: skip
    (root / "trials").mkdir(parents=True)
    (root / "offline").mkdir()
    (root / "manifest.json").write_text(json.dumps({"runs": runs}))
    table = pd.DataFrame(_rows())
    for run in runs:
        if offline:
            table[table["run"] == run["id"]].to_parquet(root / "offline" / f"{run['id']}.parquet")
        if trials:
            rate = 0.7 if run["id"].startswith("pooled") else 0.5
            part = pd.DataFrame(
                {"sweep": "s", "arm": run["arm"], "run": run["id"], "seed": run["seed"],
                 "mixture": run["id"].rsplit("-", 1)[0], "embodiment": "so100", "task": "pick", "trial": range(10),
                 "success": [int(i < 10 * rate) for i in range(10)], "progress": 0.5}
            )  # fmt: skip
            part.to_parquet(root / "trials" / f"{run['id']}.parquet")


def test_a_sweep_with_trials_and_offline_rows_gets_the_success_report_and_an_offline_section(tmp_path):
    write_sweep(tmp_path / "sweep", trials=True, offline=True)
    done = api.report(tmp_path / "sweep", baseline="mixture=so100_only", out=tmp_path / "out", resamples=200)
    assert done.analysis["comparisons"] and done.analysis["offline"]["comparisons"]
    results = _strict((tmp_path / "out" / "results.json").read_text())
    assert results["offline"]["correction"] == "Holm over 4 offline comparisons"
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "## Success rates per target" in markdown
    assert "## Offline error verdicts" in markdown
    assert "## Offline error: arm − baseline per held-out dataset" in markdown
    assert "Offline error: arm" in (tmp_path / "out" / "tables.tex").read_text()
    assert "Offline error verdicts" in (tmp_path / "out" / "report.html").read_text()
