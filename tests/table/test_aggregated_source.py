"""`ablate table` on an aggregated trial table (`successes, trials` rows, e.g. a real-robot log or a paper's
per-task counts): a success rate over rows is Σ successes / Σ trials, unless the spec asks for a mean of rates."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd


def _table(tmp_path, extra: str = "") -> subprocess.CompletedProcess:
    pd.DataFrame(
        [
            {"arm": "A", "seed": 0, "embodiment": "Panda", "task": "lift", "successes": 1, "trials": 1},
            {"arm": "A", "seed": 1, "embodiment": "Panda", "task": "lift", "successes": 9, "trials": 20},
            {"arm": "B", "seed": 0, "embodiment": "Panda", "task": "lift", "successes": 5, "trials": 10},
        ]
    ).to_csv(tmp_path / "counts.csv", index=False)
    spec = tmp_path / "table.yaml"
    spec.write_text(
        textwrap.dedent(
            f"""\
            title: Success by arm
            source: counts.csv
            rows: arm
            value: success
            aggregate: mean
            scale: 100
            decimals: 1
            {extra}
            """
        )
    )
    return subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "table", str(spec)], capture_output=True, text=True, timeout=120
    )


def test_a_rate_over_aggregated_rows_is_weighted_by_trials(tmp_path):
    done = _table(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "| A | 47.6 |" in done.stdout  # 10 / 21, not the mean of 1.00 and 0.45 (72.5)
    assert "| B | 50.0 |" in done.stdout
    assert "Σ success × trials / Σ trials" in done.stdout  # the choice is printed


def test_the_spec_can_ask_for_a_mean_of_row_rates(tmp_path):
    done = _table(tmp_path, "rates: mean_of_rows")
    assert done.returncode == 0, done.stderr
    assert "| A | 72.5 |" in done.stdout and "Σ success" not in done.stdout


def test_a_misspelt_rates_option_is_refused(tmp_path):
    done = _table(tmp_path, "rates: weighted")
    assert done.returncode == 2 and "rates" in done.stderr and "Traceback" not in done.stderr


def test_a_row_without_progress_is_left_out_of_the_mean_not_counted_as_zero(tmp_path):
    pd.DataFrame(
        [
            {
                "arm": "A",
                "seed": 0,
                "embodiment": "Panda",
                "task": "lift",
                "successes": 1,
                "trials": 1,
                "progress": 0.8,
            },
            {"arm": "A", "seed": 1, "embodiment": "Panda", "task": "lift", "successes": 9, "trials": 20},
        ]
    ).to_csv(tmp_path / "counts.csv", index=False)
    spec = tmp_path / "table.yaml"
    spec.write_text("title: Progress\nsource: counts.csv\nrows: arm\nvalue: progress\ndecimals: 2\n")
    done = subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "table", str(spec)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "| A | 0.80 |" in done.stdout
