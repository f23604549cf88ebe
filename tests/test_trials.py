"""The trial table's one home: its columns, and the reader every consumer (report, table, blind, CLI) uses."""

from __future__ import annotations

import pandas as pd

from ablate import layout
from ablate.trials import NOT_FACTORS, has_trials, is_aggregated, read_trials, write_run_trials


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
