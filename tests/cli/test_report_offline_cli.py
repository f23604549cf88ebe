"""`ablate report SWEEP` on a sweep without closed-loop trials: the arms compared on their offline error (exit 0,
strict JSON, no torch); a sweep with neither trials nor offline rows, a flag that belongs to a success report and a
malformed offline part are exit 2 with the file and key, never a traceback."""

from __future__ import annotations

import json

import pandas as pd

from tests.conftest import assert_no_torch, run_cli
from tests.report.test_offline_report import write_sweep


def test_a_sweep_with_only_offline_rows_is_reported_on_them(tmp_path):
    write_sweep(tmp_path / "sweep", trials=False, offline=True)
    done = run_cli("report", tmp_path / "sweep", "--baseline", "mixture=so100_only", "--out", tmp_path / "out")
    assert done.code == 0, done.stderr
    assert "pooled vs so100_only on so100_pick, joint error (rad): Δ = −0.02667" in done.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text(), parse_constant=lambda t: 1 / 0)
    assert results["kind"] == "offline" and len(results["comparisons"]) == 4
    for name in ("report.md", "report.html", "tables.tex"):
        assert "Holm over 4 offline comparisons" in (tmp_path / "out" / name).read_text(), name
    assert_no_torch(tmp_path, "report", tmp_path / "sweep", "--baseline", "mixture=so100_only", "--out", tmp_path / "o")


def test_a_sweep_with_neither_trials_nor_offline_rows_is_exit_2(tmp_path):
    write_sweep(tmp_path / "sweep", trials=False, offline=False)
    done = run_cli("report", tmp_path / "sweep", "--baseline", "mixture=so100_only", "--out", tmp_path / "out")
    assert done.code == 2
    assert f"error: {tmp_path / 'sweep'}: no trials and no offline metrics: none of the sweep's 6 planned runs" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_success_flags_on_an_offline_sweep_and_a_bad_offline_part_are_exit_2(tmp_path):
    sweep = tmp_path / "sweep"
    write_sweep(sweep, trials=False, offline=True)
    done = run_cli("report", sweep, "--baseline", "mixture=so100_only", "--out", tmp_path / "out", "--margin", "0.1")
    assert done.code == 2 and "error: --margin: " in done.stderr and "only offline errors" in done.stderr
    part = next((sweep / "offline").glob("*.parquet"))
    table = pd.read_parquet(part).astype({"joint_error_rad": object})
    table["joint_error_rad"] = "n/a"
    table.to_parquet(part)
    done = run_cli("report", sweep, "--baseline", "mixture=so100_only", "--out", tmp_path / "out")
    assert done.code == 2 and "Traceback" not in done.stderr
    assert f"error: {part}: joint_error_rad (row 1): must be an error ≥ 0" in done.stderr


def test_an_offline_sweep_missing_a_run_is_refused_unless_partial_which_names_it(tmp_path):
    sweep = tmp_path / "sweep"
    write_sweep(sweep, trials=False, offline=True)
    (sweep / "offline" / "pooled-2.parquet").unlink()
    args = ("report", sweep, "--baseline", "mixture=so100_only", "--out", tmp_path / "out")
    done = run_cli(*args)
    assert done.code == 2 and "1 of 6 planned runs have no offline errors (mixture=pooled/seed=2)" in done.stderr
    done = run_cli(*args, "--partial")
    assert done.code == 0, done.stderr
    for name in ("report.md", "report.html", "tables.tex", "results.json"):
        assert "INCOMPLETE SWEEP: 1 of 6 planned runs have no offline errors" in (tmp_path / "out" / name).read_text()
    left = json.loads((tmp_path / "out" / "results.json").read_text())["left_out"]
    assert {"comparison": "pooled vs so100_only", "left_out": "so100_pick", "reason": "seeds [2] have no partner "
            "(paired by seed)"} in left  # fmt: skip
