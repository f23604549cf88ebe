"""The trial table: one part per run inside a sweep, read back as one table; a re-evaluated run replaces its rows."""

from __future__ import annotations

from ablate.evaluate.trial_table import read_trials, write_run_trials


def _rows(run: str, success: list[int]) -> list[dict]:
    return [
        {"sweep": "s", "arm": "a", "run": run, "seed": 0, "mixture": "pooled", "embodiment": "Panda",
         "task": "lift", "trial": i, "success": ok, "progress": 1.0 if ok else 0.5}
        for i, ok in enumerate(success)
    ]  # fmt: skip


def test_runs_write_parts_of_the_sweep_table_and_a_rerun_replaces_its_rows(tmp_path):
    sweep = tmp_path / "sweep"
    (sweep / "runs" / "r1").mkdir(parents=True)
    (sweep / "runs" / "r2").mkdir(parents=True)
    (sweep / "runs" / "old").mkdir(parents=True)
    (sweep / "manifest.json").write_text('{"runs": [{"id": "r1"}, {"id": "r2"}]}')
    write_run_trials(_rows("old", [1, 1]), sweep / "runs" / "old")  # a run an earlier spec version planned
    write_run_trials(_rows("r1", [1, 0]), sweep / "runs" / "r1")
    write_run_trials(_rows("r2", [1, 1, 1]), sweep / "runs" / "r2")
    write_run_trials(_rows("r1", [0, 0]), sweep / "runs" / "r1")  # evaluated again
    table = read_trials(sweep)
    assert len(table) == 5
    assert table.groupby("run")["success"].sum().to_dict() == {"r1": 0, "r2": 3}  # "old" is not in the manifest
    assert (sweep / "trials" / "old.parquet").is_file()
    assert read_trials(sweep / "runs" / "r2" / "trials.parquet")["success"].tolist() == [1, 1, 1]
    assert not list(sweep.rglob("*.tmp"))


def test_a_run_outside_a_sweep_writes_only_its_own_table(tmp_path):
    write_run_trials(_rows("r", [1]), tmp_path / "run")
    assert (tmp_path / "run" / "trials.parquet").is_file() and not (tmp_path / "trials").exists()
