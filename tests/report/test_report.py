"""`ablate report` through the CLI: the four files, tests that name their method, sidedness and correction, verdicts
a researcher can paste, bad input refused with exit 2, and no torch import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.stats.test_analysis import trials


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("trials") / "trials.csv"
    trials(
        {
            "target_only": {"Panda": 0.5, "UR5e": 0.8, "Kinova3": 0.6},
            "pooled": {"Panda": 0.55, "UR5e": 0.35, "Kinova3": 0.6},
        }
    ).to_csv(path, index=False)
    return path


def _report(*args: str) -> subprocess.CompletedProcess:
    check = (
        "import sys, runpy; sys.argv = ['ablate', *sys.argv[1:]]; from ablate.cli.main import main\n"
        "try:\n    main()\nfinally:\n    assert 'torch' not in sys.modules, 'report imported torch'"
    )
    return subprocess.run([sys.executable, "-c", check, "report", *args], capture_output=True, text=True, timeout=120)


def test_report_writes_the_four_files_with_named_methods(table_path, tmp_path):
    done = _report(
        str(table_path),
        "--baseline",
        "target_only",
        "--margin",
        "0.1",
        "--out",
        str(tmp_path / "r"),
        "--resamples",
        "1000",
    )
    assert done.returncode == 0, done.stderr
    assert "negative transfer on UR5e/lift: Δ = −0.45" in done.stdout
    names = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert names == ["report.html", "report.md", "results.json", "tables.tex"]

    results = json.loads((tmp_path / "r" / "results.json").read_text())
    (comparison,) = results["comparisons"]
    for target in comparison["targets"]:
        nt = target["negative_transfer"]
        assert nt["method"] == "Boschloo exact" and nt["alternative"] == "arm < baseline"
        assert nt["correction"] == "Holm over 3 targets" and nt["p_adjusted"] >= nt["p"]
        assert target["delta"]["method"] == "Newcombe hybrid score"
        assert target["non_inferiority"]["method"] == "Farrington–Manning score"
    assert "with continuity correction" in comparison["groups"][0]["cmh"]["method"]
    assert set(results["methods"]) >= {"rate_interval", "delta_interval", "negative_transfer", "pooled", "clusters"}

    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Verdicts" in md and "Holm-adjusted p" in md and "| UR5e/lift |" in md
    tex = (tmp_path / "r" / "tables.tex").read_text()
    assert tex.count(r"\toprule") == tex.count(r"\bottomrule") >= 3
    html = (tmp_path / "r" / "report.html").read_text()
    assert html.count("<svg") == 3 and "<script" not in html and "<link" not in html  # self-contained
    assert 'src="http' not in html and 'href="http' not in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "nope"], "baseline 'nope' not found; levels are target_only, pooled"),
        (["--baseline", "target_only", "--by", "platform"], "--by: no column 'platform'"),
        (["--baseline", "target_only", "--rate-ci", "wald"], "--rate-ci: expected one of wilson"),
        (["--baseline", "target_only", "--margin", "5"], "--margin: expected a rate difference in (0, 1)"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(table_path, tmp_path, args, message):
    done = _report(str(table_path), *args, "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "r").exists()


def test_a_missing_table_is_named(tmp_path):
    done = _report(str(tmp_path / "none.csv"), "--baseline", "a", "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and "none.csv: no such file or folder" in done.stderr


def test_power_command():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ablate.cli.main",
            "power",
            "--baseline-rate",
            "0.5",
            "--delta",
            "0.25",
            "--power",
            "0.9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.startswith("77 trials per arm and target")
