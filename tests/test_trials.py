"""The trial table's one home: its columns, and the reader every consumer (report, table, blind, CLI) uses. A
broken table (every row twice, a CSV cut off mid-row, values out of range, empty keys) is refused through the real
CLI with exit 2, the file, column and rows named, and nothing written."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from ablate import layout
from ablate.api.reports import report
from ablate.errors import InputError
from ablate.trials import NOT_FACTORS, has_trials, is_aggregated, read_trials, validate_trials, write_run_trials


def test_a_csv_keeps_identifiers_as_text_and_the_forms_are_told_apart(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("arm,seed,embodiment,task,successes,trials\na,0,Panda,001,3,5\n")
    table = read_trials(path)
    assert table["task"].tolist() == ["001"] and is_aggregated(table)
    assert not is_aggregated(table.drop(columns="trials"))


def test_every_column_of_the_schema_is_not_a_factor():
    assert {"sweep", "arm", "run", "seed", "embodiment", "task", "trial", "success", "progress"} <= NOT_FACTORS
    assert {"stage", "judge", "group", "successes", "trials", "episode_seed", "steps"} <= NOT_FACTORS


def test_a_run_inside_a_sweep_writes_its_part_where_the_layout_says(tmp_path):
    (tmp_path / layout.MANIFEST).write_text('{"runs": [{"id": "r1"}]}')
    work = layout.run_dir(tmp_path, "r1")
    assert layout.sweep_of_run(work) == tmp_path and layout.sweep_of_run(tmp_path / "elsewhere" / "r1") is None
    assert not has_trials(tmp_path)
    write_run_trials([{"run": "r1", "success": 1}], work)
    assert has_trials(tmp_path) and layout.trial_part(tmp_path, "r1").is_file()
    assert read_trials(tmp_path).equals(pd.DataFrame({"run": ["r1"], "success": [1]}))


def _valid() -> pd.DataFrame:
    """2 arms × 1 seed × 1 target × 10 trials."""
    rows = [
        {"run": f"{arm}-s0", "arm": arm, "seed": 0, "embodiment": "Panda", "task": "lift", "trial": t,
         "success": int(t < k), "progress": 0.5}
        for arm, k in (("base", 2), ("new", 8))
        for t in range(10)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _report(tmp_path, table: pd.DataFrame | str):
    path = tmp_path / "trials.csv"
    if isinstance(table, str):
        path.write_text(table)
    else:
        table.to_csv(path, index=False)
    out = tmp_path / "report"
    args = [str(path), "--baseline", "base", "--out", str(out), "--resamples", "200"]
    done = subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "report", *args], capture_output=True, text=True, timeout=120
    )
    return done, out


def test_a_valid_table_is_reported(tmp_path):
    done, out = _report(tmp_path, _valid())
    assert done.returncode == 0, done.stderr
    assert (out / "results.json").is_file()


def _refused(tmp_path, table, *words: str) -> str:
    done, out = _report(tmp_path, table)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    assert "trials.csv" in done.stderr and all(w in done.stderr for w in words), done.stderr
    return done.stderr


def test_a_table_concatenated_with_itself_is_refused_naming_the_repeated_rows(tmp_path):
    table = _valid()
    _refused(
        tmp_path,
        pd.concat([table, table], ignore_index=True),
        "rows 1 and 21 repeat (arm base, run base-s0, seed 0, Panda/lift, trial 0)",
        "38 more row(s)",
    )


def test_the_same_trial_twice_without_a_run_column_is_refused(tmp_path):
    table = _valid().drop(columns="run")
    table = pd.concat([table, table.iloc[[12]]], ignore_index=True)
    _refused(tmp_path, table, "rows 13 and 21 repeat (arm new, seed 0, Panda/lift, trial 2)")


def test_a_csv_cut_off_mid_row_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "whole.csv"
    _valid().to_csv(path, index=False)
    text = path.read_text().rstrip("\n")
    for cut in (4, 5):  # "…,9,1" (only progress lost) and "…,9," (success lost too)
        _refused(tmp_path, text[:-cut], "line 21 has 7 of the header's 8 fields", "cut off mid-row")


@pytest.mark.parametrize("value", [7.5, -3, float("inf")])
def test_progress_outside_0_1_is_refused_naming_the_row(tmp_path, value):
    table = _valid()
    table.loc[4, "progress"] = value
    _refused(tmp_path, table, "progress (row 5)", "must be a number in [0, 1]")


@pytest.mark.parametrize(("column", "value"), [("seed", float("nan")), ("embodiment", ""), ("task", None)])
def test_an_empty_key_is_refused_naming_the_column_and_row(tmp_path, column, value):
    table = _valid()
    table[column] = table[column].astype(object)
    table.loc[3, column] = value
    _refused(tmp_path, table, f"{column}: empty in row 4")


def test_success_other_than_0_1_and_impossible_counts_are_refused(tmp_path):
    table = _valid()
    table.loc[6, "success"] = 2
    _refused(tmp_path, table, "success (row 7)", "must be 0 or 1, got 2")
    aggregated = pd.DataFrame(
        [["base", 0, "Panda", "lift", 2, 10], ["new", 0, "Panda", "lift", 11, 10]],
        columns=["arm", "seed", "embodiment", "task", "successes", "trials"],
    )
    _refused(tmp_path, aggregated, "successes/trials (row 2)", "11/10")


def test_every_reader_checks_and_aggregated_repeats_stay_allowed(tmp_path):
    path = tmp_path / "t.parquet"
    table = _valid()
    pd.concat([table, table.iloc[[0]]], ignore_index=True).to_parquet(path)
    with pytest.raises(InputError, match="rows 1 and 21 repeat"):
        read_trials(path)
    with pytest.raises(InputError, match=r"DataFrame: progress \(row 1\)"):
        report(table.assign(progress=1.5), baseline="base", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    aggregated = pd.DataFrame(
        [["base", 0, "Panda", "lift", 2, 5]] * 2, columns=["arm", "seed", "embodiment", "task", "successes", "trials"]
    )
    validate_trials(aggregated, "t.csv")  # two evaluation sessions: added up, and the report notes it
