"""The operator's trial recorders: a trial table that survives a killed session, and a blind study's outcome sheet
filled for the served alias only, which `ablate blind lock` then takes as a hand-filled one."""

from __future__ import annotations

import csv
import math

import pytest

from ablate.blind.lock import lock
from ablate.blind.plan import make_plan
from ablate.errors import InputError
from ablate.serve.recorder import BlindRecorder, RecordError, TrialRecorder
from ablate.trials import read_trials

RUN = {"id": "so100_only-s1", "sweep": "so100-pooling", "arm": "so100_only", "seed": 1,
       "levels": {"mixture": "so100_only"}}  # fmt: skip


def test_a_trial_table_is_written_per_trial_and_a_new_session_goes_on_numbering(tmp_path):
    path = tmp_path / "robot.csv"
    first = TrialRecorder(path, RUN)
    first.record({"target": "so100/pick", "success": 1, "progress": 1.0})
    first.record({"target": "so100/place", "success": 0})
    again = TrialRecorder(path, RUN)  # the session was killed; a new one reads what is there
    row = again.record({"target": "so100/pick", "success": True, "progress": 0.5})
    assert row["trial"] == 1
    table = read_trials(path)
    assert table[["arm", "mixture", "task", "trial", "success"]].values.tolist() == [
        ["so100_only", "so100_only", "pick", 0, 1], ["so100_only", "so100_only", "place", 0, 0],
        ["so100_only", "so100_only", "pick", 1, 1],
    ]  # fmt: skip
    assert math.isnan(table["progress"].iloc[1])  # not given: empty, not 0
    for fields, message in (
        ({"target": "so100", "success": 1}, "target: expected Robot/task"),
        ({"target": "so100/pick", "success": 0.5}, "success: expected 0 or 1"),
        ({"target": "so100/pick", "success": 1, "progress": 2}, r"progress: expected a number in \[0, 1\]"),
        ({"target": "so100/pick", "success": 1, "sucess": 1}, "unknown field.*sucess"),
        ({"target": "so100/pick", "success": 1, "trial": 0}, "trial 0 of run so100_only-s1 is recorded already"),
    ):
        with pytest.raises(RecordError, match=message):
            again.record(fields)
    assert len(read_trials(path)) == 3  # nothing written by a refused trial
    with pytest.raises(InputError, match=r"a \.csv file"):
        TrialRecorder(tmp_path / "robot.parquet", RUN)


def test_a_blind_study_is_filled_for_the_served_alias_only_and_locks_as_a_hand_filled_sheet(tmp_path):
    study = tmp_path / "study"
    written = make_plan(["m1", "m2", "m3", "m4"], ["so100/pick"], 2, 4, study, seed=3)
    alias = written.groups["G1"][0]
    recorder = BlindRecorder(study, alias, judge="robot-loop")
    first = recorder.record({"success": 1, "progress": 1.0})  # the alias's next trial, in run-sheet order
    second = recorder.record({"success": 0, "progress": 0.25})
    assert (first["trial"], second["trial"]) == (1, 2)
    with pytest.raises(RecordError, match=r"every trial of alias .* is recorded"):
        recorder.record({"success": 1})
    rows = list(csv.DictReader((study / "outcomes.csv").open()))
    filled = [r for r in rows if r["success"]]
    assert {r["trial_id"] for r in filled} == {first["trial_id"], second["trial_id"]}
    assert {r["judge"] for r in filled} == {"robot-loop"} and {r["progress"] for r in filled} == {"1", "0.25"}
    others = [r["trial_id"] for r in rows if not r["success"]]
    with pytest.raises(RecordError, match="is not a trial of alias"):
        recorder.record({"trial_id": others[0], "success": 1})
    for tid in others:  # the other aliases' trials, filled by hand
        for r in rows:
            if r["trial_id"] == tid:
                r.update(success="1", progress="", judge="human")
    with (study / "outcomes.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    lock(study)
    with pytest.raises(RecordError, match="is locked"):
        BlindRecorder(study, alias).record({"success": 1})
    with pytest.raises(InputError, match="no alias 'nobody'"):
        BlindRecorder(study, "nobody")
