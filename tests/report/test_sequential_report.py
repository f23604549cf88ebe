"""`ablate report --sequential --max-trials N`: the interim check of a real-robot evaluation in progress."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd


def _rows(arm: str, outcomes: str) -> list[dict]:
    return [
        {"arm": arm, "seed": 0, "embodiment": "Panda", "task": "lift", "trial": t, "success": int(c)}
        for t, c in enumerate(outcomes)
    ]


def _report(tmp_path, *flags):
    table = tmp_path / "trials.csv"
    rows = _rows("base", "000100001000100") + _rows("new", "111111011111111") + _rows("same", "010100001000100")
    pd.DataFrame(rows).to_csv(table, index=False)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ablate.cli.main",
            "report",
            str(table),
            "--baseline",
            "base",
            "--out",
            str(tmp_path / "seq"),
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_interim_check_stops_a_settled_comparison_and_continues_the_other(tmp_path):
    done = _report(tmp_path, "--sequential", "--max-trials", "40")
    assert done.returncode == 0, done.stderr
    assert "new vs base on Panda/lift: 14/15 vs 3/15 — stop: arm better" in done.stdout
    assert "same vs base on Panda/lift: 4/15 vs 3/15 — continue (25 trial(s) left)" in done.stdout
    assert "Bonferroni over 2 comparison(s)" in done.stdout
    seq = json.loads((tmp_path / "seq" / "sequential.json").read_text())
    assert seq["summary"]["stop: arm better"] == 1 and seq["max_trials"] == 40
    assert not (tmp_path / "seq" / "report.html").exists()  # fixed-n tests wait for the final table


def test_the_maximum_must_be_declared_and_respected(tmp_path):
    missing = _report(tmp_path, "--sequential")
    assert missing.returncode == 2 and "--max-trials" in missing.stderr
    exceeded = _report(tmp_path, "--sequential", "--max-trials", "10")
    assert exceeded.returncode == 2 and "more than the pre-registered maximum of 10" in exceeded.stderr


def test_a_declared_family_fixes_the_level_and_stray_flags_are_refused(tmp_path):
    declared = _report(tmp_path, "--sequential", "--max-trials", "40", "--family", "6")
    assert declared.returncode == 0, declared.stderr
    assert "Bonferroni over 6 comparison(s)" in declared.stdout and "declare the planned family" not in declared.stdout
    undeclared = _report(tmp_path, "--sequential", "--max-trials", "40")
    assert "declare the planned family (--family)" in undeclared.stdout
    too_small = _report(tmp_path, "--sequential", "--max-trials", "40", "--family", "1")
    assert too_small.returncode == 2 and "more than the declared 1" in too_small.stderr
    stray = _report(tmp_path, "--sequential", "--max-trials", "40", "--pairs", "all")
    assert stray.returncode == 2 and "--pairs" in stray.stderr
    alone = _report(tmp_path, "--max-trials", "40")
    assert alone.returncode == 2 and "--sequential" in alone.stderr
