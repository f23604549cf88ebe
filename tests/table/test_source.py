"""The source: read relative to the spec (or from --source), melted, and checked against the keys the spec names.
Every problem is exit 2 with the spec's file, line and key, or the flag."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.table.helpers import SPEC, marked_line, trial_rows, write_small

BAD = {
    "missing_source_file": (
        SPEC.replace("source: data.csv", "source: results/nope.csv  # <-"),
        "source",
        "results/nope.csv does not exist; expected a CSV or parquet file",
    ),
    "unknown_column": (
        SPEC.replace("columns: [metric, model]", "columns: [metric, modle]  # <-"),
        "columns[1]",
        "no column 'modle' in",
    ),
    "unknown_value_column": (SPEC.replace("value: value", "value: score  # <-"), "value", "no column 'score' in"),
    "unknown_id_column": (
        SPEC.replace("id_columns: [platform, task]", "id_columns: [platform, tsak]  # <-"),
        "melt.id_columns[1]",
        "no column 'tsak' in",
    ),
    "pattern_matching_no_column": (
        SPEC.replace("(?P<metric>SR|PS)'", "(?P<metric>SR|PS)_v2'  # <-"),
        "melt.pattern",
        "matches none of the columns of",
    ),
    "group_named_like_an_id_column": (
        SPEC.replace("(?P<model>[AB])", "(?P<task>[AB])").replace("PS)'", "PS)'  # <-"),
        "melt.pattern",
        "group 'task' is also an id column",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_a_source_that_does_not_fit_the_spec_is_refused(tmp_path, case):
    text, key, message = BAD[case]
    spec = write_small(tmp_path, text)
    result = run_cli("table", spec)
    assert result.code == 2, result.stdout + result.stderr
    assert f"error: {spec}:{marked_line(spec)}: {key}:" in result.stderr
    assert message in result.stderr


def test_unknown_columns_list_what_the_source_has(tmp_path):
    spec = write_small(tmp_path, SPEC.replace("rows: platform", "rows: robot"))
    result = run_cli("table", spec)
    assert result.code == 2
    assert "rows: no column 'robot' in" in result.stderr
    assert "it has: platform, task, model, metric, value" in result.stderr  # after the melt


def test_the_source_flag_replaces_the_spec_source_and_names_itself_when_missing(tmp_path):
    spec = write_small(tmp_path, SPEC)
    other = tmp_path / "other.csv"
    pd.read_csv(tmp_path / "data.csv").assign(A_SR=[11, 21, 41]).to_csv(other, index=False)
    result = run_cli("table", spec, "--source", other)
    assert result.code == 0, result.stderr
    assert "| P | 16.00 (15.00) |" in result.stdout  # SR / A from the other file
    missing = run_cli("table", spec, "--source", tmp_path / "gone")
    assert missing.code == 2
    assert f"error: --source: {tmp_path / 'gone'} does not exist" in missing.stderr


def test_a_folder_of_parquet_parts_and_a_sweep_directory_are_sources(tmp_path):
    table = pd.DataFrame(trial_rows({"action_frame": {"eef_rel": [1, 1, 1, 0], "world_rel": [1, 0, 0, 0]}}))
    sweep = tmp_path / "sweep"
    (sweep / "trials").mkdir(parents=True)
    for run, part in table.groupby("run"):
        part.to_parquet(sweep / "trials" / f"{run}.parquet", index=False)
    spec = write_small(
        tmp_path,
        "title: t\nrows: action_frame\nvalue: success\nscale: 100\ndecimals: 1\n",
    )
    for source in (sweep, sweep / "trials"):
        result = run_cli("table", spec, "--source", source)
        assert result.code == 0, result.stderr
        assert "| eef_rel | 75.0 |" in result.stdout
        assert "| world_rel | 25.0 |" in result.stdout


def test_an_unreadable_source_is_bad_input(tmp_path):
    (tmp_path / "data.parquet").write_text("not parquet")
    spec = write_small(tmp_path, SPEC.replace("source: data.csv", "source: data.parquet  # <-"))
    result = run_cli("table", spec)
    assert result.code == 2
    assert f"{spec}:{marked_line(spec)}: source: cannot read" in result.stderr
