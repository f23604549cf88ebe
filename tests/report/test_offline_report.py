"""`ablate report` on a sweep without closed-loop trials: arms compared on the offline error, paired by seed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablate.errors import InputError
from ablate.report.offline import offline_report


def _table() -> pd.DataFrame:
    rows = []
    errors = {"so100_only": [0.20, 0.22, 0.19], "pooled": [0.17, 0.21, 0.15]}
    for arm, values in errors.items():
        for seed, value in enumerate(values):
            for dataset, shift in (("so100_pick", 0.0), ("koch_pick", 0.1)):
                rows.append(
                    {"sweep": "s", "arm": f"{arm}-id", "run": f"{arm}-{seed}", "seed": seed, "mixture": arm,
                     "embodiment": dataset.split("_")[0], "dataset": dataset, "chunks": 10,
                     "joint_error_rad": value + shift, "eef_position_error_m": None, "gripper_error": 0.1}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_the_mean_paired_difference_its_t_interval_and_wilcoxon_match_scipy(tmp_path):
    report = offline_report(_table(), "mixture=so100_only", tmp_path, "t", 0.05, "holm", "table")
    joint = [c for c in report.result["comparisons"] if c["metric"] == "joint_error_rad"]
    assert [c["dataset"] for c in joint] == ["koch_pick", "so100_pick"]
    diff = np.array([0.17 - 0.20, 0.21 - 0.22, 0.15 - 0.19])
    c = joint[1]
    assert c["arm"] == "mixture=pooled" and c["baseline"] == "mixture=so100_only" and c["seeds"] == 3
    assert c["difference"] == pytest.approx(diff.mean())
    half = stats.t.ppf(0.975, 2) * diff.std(ddof=1) / np.sqrt(3)
    assert c["interval"] == pytest.approx([diff.mean() - half, diff.mean() + half])
    assert c["p"] == pytest.approx(stats.wilcoxon(diff, method="exact").pvalue)  # 0.25: R's wilcox.test too
    assert "Holm over 4 comparisons" in c["correction"]  # 2 datasets × (joint, gripper); the EEF column is empty
    text = (tmp_path / "results.json").read_text()
    assert "NaN" not in text and json.loads(text)["kind"] == "offline"
    markdown = (tmp_path / "report.md").read_text()
    assert "two-sided Wilcoxon signed-rank" in markdown and "95% t interval" in markdown
    assert "lower is better" in markdown
    assert "Holm over 4 comparisons" in (tmp_path / "tables.tex").read_text()


def test_a_baseline_that_is_not_there_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no mixture 'nothing'"):
        offline_report(_table(), "mixture=nothing", tmp_path, "t", 0.05, "holm", "table")
