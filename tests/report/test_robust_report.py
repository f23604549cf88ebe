"""`ablate report` on the small tables real-robot evaluations produce: the exact tables that crashed it or misled
before (0/n, n/n, one trial, one target, missing cells), each through the real CLI. A report always writes its
four files, results.json parses in strict mode, and whatever was left out is named with the reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

COLUMNS = ["arm", "seed", "embodiment", "task", "successes", "trials"]
FILES = ["report.html", "report.md", "results.json", "tables.tex"]


def strict_json(text: str):
    def refuse(token: str):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def run(tmp_path: Path, rows: list[list], *flags: str, name: str = "trials.csv"):
    table = tmp_path / name
    pd.DataFrame(rows, columns=COLUMNS).to_csv(table, index=False)
    out = tmp_path / "report"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ablate.cli.main",
            "report",
            str(table),
            "--baseline",
            "base",
            "--out",
            str(out),
            "--resamples",
            "200",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, out


def two_arms(base: tuple[int, int], arm: tuple[int, int], robot: str = "Panda") -> list[list]:
    return [["base", 0, robot, "lift", *base], ["new", 0, robot, "lift", *arm]]


@pytest.mark.parametrize(
    ("rows", "flags"),
    [
        (two_arms((2, 3), (0, 3)), ["--rate-ci", "wilson"]),
        (two_arms((0, 6), (3, 6)) + two_arms((0, 7), (0, 7), "UR5e"), ["--rate-ci", "wilson"]),
        (two_arms((5, 50), (0, 50)) + two_arms((10, 10), (10, 10), "UR5e"), ["--rate-ci", "wilson"]),
        (two_arms((0, 4), (4, 4)), ["--rate-ci", "jeffreys"]),
        (two_arms((3, 3), (0, 3)), ["--rate-ci", "clopper-pearson"]),
        # Miettinen–Nurminen: several targets, one target, and 1/1 vs 0/1 (a NaN root in statsmodels)
        (two_arms((1, 1), (0, 1)) + two_arms((4, 10), (6, 10), "UR5e"), ["--delta-ci", "miettinen-nurminen"]),
        (two_arms((1, 1), (0, 1)), ["--delta-ci", "miettinen-nurminen"]),
        (two_arms((0, 1), (1, 1)), ["--exact-test", "fisher", "--correction", "hochberg"]),
    ],
)
def test_boundary_tables_write_all_four_files(tmp_path, rows, flags):
    done, out = run(tmp_path, rows, *flags)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == FILES
    result = strict_json((out / "results.json").read_text())
    for r in result["rates"]:
        assert 0.0 <= r["ci"][0] <= r["rate"] <= r["ci"][1] <= 1.0
        assert r["method"] and r["level"] == 0.95  # every rate carries its method and level


def test_a_pooled_rate_of_41_of_41_draws_its_error_bar(tmp_path):
    # More than 40 targets: the success figure pools per embodiment, here 41/41 for the baseline.
    rows = [["base", 0, "Panda", f"t{i:02d}", 1, 1] for i in range(41)]
    rows += [["new", 0, "Panda", f"t{i:02d}", int(i % 3 > 0), 1] for i in range(41)]
    done, out = run(tmp_path, rows)
    assert done.returncode == 0, done.stderr
    assert "could not be drawn" not in (out / "report.html").read_text()
    assert "Success per embodiment" in (out / "report.html").read_text()


def test_nothing_undefined_is_a_bare_nan(tmp_path):
    # Every trial fails everywhere: no pooled test, no odds ratio. null in JSON, with the reason beside it.
    done, out = run(tmp_path, two_arms((0, 5), (0, 5)) + two_arms((0, 5), (0, 5), "UR5e"))
    assert done.returncode == 0, done.stderr
    text = (out / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    result = strict_json(text)
    (group,) = result["comparisons"][0]["groups"]
    assert group["cmh"]["p"] is None and "no target whose outcomes vary" in group["cmh"]["extra"]["note"]
    assert group["odds_ratio"]["estimate"] is None and group["odds_ratio"]["note"]
    assert "nulls" in result
    assert "no target with varying outcomes, no pooled test" in done.stdout


def test_left_out_targets_and_seeds_are_named_everywhere(tmp_path):
    rows = [
        ["base", 0, "Panda", "lift", 1, 3],
        ["new", 0, "Panda", "lift", 2, 3],
        ["base", 0, "UR5e", "lift", 1, 3],  # only the baseline ran UR5e
        ["new", 0, "Kinova3", "lift", 1, 3],  # only the arm ran Kinova3
        ["base", 1, "Panda", "lift", 1, 3],
        ["new", 1, "Panda", "lift", 2, 3],
        ["new", 2, "Panda", "lift", 3, 3],  # a seed the baseline never ran
    ]
    done, out = run(tmp_path, rows)
    assert done.returncode == 0, done.stderr
    reasons = ["UR5e/lift left out (evaluated on base only)", "Kinova3/lift left out (evaluated on new only)"]
    for reason in reasons:
        assert reason in done.stdout
        assert reason in (out / "report.md").read_text()
    assert "seed(s) 2 of new have no base run with the same seed" in done.stdout
    tex, page = (out / "tables.tex").read_text(), (out / "report.html").read_text()
    assert "Left out" in tex and "evaluated on base only" in tex and "evaluated on new only" in page
    (comparison,) = strict_json((out / "results.json").read_text())["comparisons"]
    assert {t["target"] for t in comparison["left_out"]} == {"UR5e/lift", "Kinova3/lift"}


def test_a_seed_missing_a_target_on_one_arm_drops_that_target_with_the_reason(tmp_path):
    rows = [["base", s, r, "lift", 1, 3] for s in (0, 1) for r in ("Panda", "UR5e")]
    rows += [["new", 0, "Panda", "lift", 2, 3], ["new", 1, "Panda", "lift", 2, 3], ["new", 0, "UR5e", "lift", 2, 3]]
    done, _out = run(tmp_path, rows)
    assert done.returncode == 0, done.stderr
    assert "UR5e/lift left out (not evaluated on seed 1 on new)" in done.stdout


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["base", 0, "Panda", "lift", 1, 3], ["new", 0, "UR5e", "lift", 0, 3]],
            "no target evaluated on both sides (UR5e/lift evaluated on new only; Panda/lift evaluated on base only)",
        ),
        ([["base", 0, "Panda", "lift", 1, 3]], "only the baseline 'base' is in the table; nothing to compare"),
    ],
)
def test_a_table_with_nothing_to_compare_is_exit_2_with_the_reason(tmp_path, rows, expected):
    done, out = run(tmp_path, rows)
    assert done.returncode == 2, done.stdout
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()  # nothing half-written


def test_every_latex_table_names_its_methods(tmp_path):
    rows = two_arms((2, 10), (6, 10)) + two_arms((5, 10), (5, 10), "UR5e")
    done, out = run(tmp_path, rows, "--margin", "0.1")
    assert done.returncode == 0, done.stderr
    tex = (out / "tables.tex").read_text()
    captions = [line for line in tex.splitlines() if line.startswith("\\caption")]
    assert len(captions) == tex.count("\\begin{table}") >= 4
    deltas = next(c for c in captions if "transfer deltas" in c)
    for words in ("Newcombe hybrid score", "95\\%", "one-sided Boschloo", "Holm over the 2 target(s)"):
        assert words in deltas
    assert "Farrington--Manning" in deltas
    assert any("Wilson score 95\\%" in c for c in captions)
    pooled = next(c for c in captions if "pooled over targets" in c)
    assert "continuity correction" in pooled and "two-sided" in pooled and "Robins--Breslow--Greenland" in pooled


def test_one_seed_never_claims_seeds_were_resampled(tmp_path):
    _done, out = run(tmp_path, two_arms((2, 10), (6, 10)) + two_arms((5, 10), (5, 10), "UR5e"))
    result = strict_json((out / "results.json").read_text())
    (group,) = result["comparisons"][0]["groups"]
    assert group["mean_delta"]["method"].startswith("MOVER from Wilson score intervals")
    assert "one seed, or unpaired seeds pooled" in group["mean_delta"]["method"]
    assert "seeds resampled" not in group["mean_delta"]["method"]
    assert group["odds_ratio"]["level"] == 0.95 and group["iqm"]["level"] == 0.95
    assert group["probability_of_improvement"]["method"].startswith("percentile bootstrap: tasks resampled")
    for name in ("median", "mean", "optimality_gap"):
        assert set(group[name]) >= {"arm", "baseline", "method", "level"}


def test_a_mean_delta_keeps_its_width_at_zero_and_n(tmp_path):
    # One seed, 0/10 and 10/10 targets: a trial bootstrap at the observed rates would give [+0.20, +0.20]-like
    # intervals; MOVER from Wilson intervals keeps the width the per-target intervals have.
    rows = two_arms((2, 10), (5, 10)) + two_arms((10, 10), (10, 10), "UR5e") + two_arms((0, 10), (3, 10), "IIWA")
    done, out = run(tmp_path, rows)
    (group,) = strict_json((out / "results.json").read_text())["comparisons"][0]["groups"]
    low, high = group["mean_delta"]["ci"]
    assert group["mean_delta"]["estimate"] == pytest.approx(0.2)
    assert high - low > 0.35  # a trial bootstrap at the observed rates gave [+0.07, +0.33] here
    assert "(95% MOVER)" in done.stdout
    assert "| all | 3 (1 uninformative) |" in (out / "report.md").read_text()


def test_a_failing_figure_costs_only_itself(tmp_path, monkeypatch):
    from ablate.report import figures
    from ablate.report.write import write_report
    from ablate.stats.analysis import Options, analyse
    from ablate.stats.counts import Design

    table = pd.DataFrame(two_arms((2, 10), (6, 10)), columns=COLUMNS)
    result = analyse(table, Design(baseline="base"), Options(resamples=200))

    def broken(_):
        raise ValueError("'yerr' must not contain negative values")

    monkeypatch.setattr(figures, "success", broken)
    written = write_report(result, tmp_path / "r", "t")
    assert sorted(p.name for p in written.paths) == sorted(FILES) and not written.failed
    assert "success figure was not drawn" in written.warnings[0]
    assert "could not be drawn" in (tmp_path / "r" / "report.html").read_text()


def test_all_pairs_letters_reach_every_output(tmp_path):
    rates = {"base": 2, "a": 3, "b": 9, "c": 10}  # successes of 10 on each of two targets
    rows = [[arm, 0, robot, "lift", k, 10] for arm, k in rates.items() for robot in ("Panda", "UR5e")]
    done, out = run(tmp_path, rows, "--pairs", "all")
    assert done.returncode == 0, done.stderr
    line = next(v for v in done.stdout.splitlines() if v.startswith("- all pairs"))
    assert "of 6 pairs differ (two-sided, Holm over 6 pairs" in line
    assert "c a (1.00), b a (0.90), a b (0.30), base b (0.20)" in line
    (family,) = strict_json((out / "results.json").read_text())["pairs"]
    assert {a["level"]: a["letters"] for a in family["arms"]} == {"c": "a", "b": "a", "a": "b", "base": "b"}
    assert "All pairs: arms and letters" in (out / "tables.tex").read_text()
    assert "All pairs: comparisons" in (out / "report.html").read_text()
