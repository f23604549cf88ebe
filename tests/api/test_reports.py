"""`api.report` on a trial table a notebook holds (a DataFrame) or a file: the four files, the analysis and its
verdicts as a typed result; bad options as `InputError`. Torch-free."""

from __future__ import annotations

import pandas as pd
import pytest

from ablate import api
from ablate.errors import InputError


def trial_table(rates: dict[str, float], trials: int = 30) -> pd.DataFrame:
    """One row per trial: two seeds per mixture level on Panda lift, the first `rate` share of trials succeeding."""
    rows = []
    for level, rate in rates.items():
        for seed in (0, 1):
            for t in range(trials):
                success = int(t < round(rate * trials))
                rows.append(
                    {"sweep": "s", "arm": level, "run": f"{level}-s{seed}", "seed": seed, "mixture": level}
                    | {"embodiment": "Panda", "task": "lift", "trial": t, "success": success, "progress": success}
                )
    return pd.DataFrame(rows)


def test_report_of_a_dataframe_writes_the_files_and_returns_the_analysis(tmp_path):
    table = trial_table({"target_only": 0.8, "pooled": 0.3})

    result = api.report(table, baseline="mixture=target_only", out=tmp_path / "report", resamples=200)

    assert isinstance(result, api.ReportResult) and result.ok
    assert {p.name for p in result.paths} == {"results.json", "report.md", "tables.tex", "report.html"}
    assert all(p.is_file() and p.parent == tmp_path / "report" for p in result.paths)
    assert result.analysis["comparisons"][0]["label"].startswith("pooled vs target_only")
    assert result.verdicts and any("pooled" in line for line in result.verdicts)
    assert result.confirmatory == ()  # a DataFrame holds no pre-registration


def test_report_of_a_file_matches_the_dataframe_and_bad_options_are_input_errors(tmp_path):
    table = trial_table({"target_only": 0.5, "pooled": 0.6})
    path = tmp_path / "trials.csv"
    table.to_csv(path, index=False)
    from_file = api.report(path, baseline="mixture=target_only", out=tmp_path / "a", resamples=200)
    from_frame = api.report(table, baseline="mixture=target_only", out=tmp_path / "b", resamples=200)
    assert from_file.verdicts == from_frame.verdicts

    with pytest.raises(InputError, match="no factor column 'mixtrue'"):
        api.report(table, baseline="mixtrue=target_only", out=tmp_path / "c")
    with pytest.raises(InputError, match="expected one of"):
        api.report(table, baseline="mixture=target_only", out=tmp_path / "c", correction="sidak-ish")
    with pytest.raises(InputError, match="no such file"):
        api.report(tmp_path / "missing.parquet", baseline="arm=x", out=tmp_path / "c")
    assert not (tmp_path / "c").exists()
