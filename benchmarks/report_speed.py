"""How long a full `ablate report` takes on GM-100 (LingBot-VLA's 3 platforms × 101 tasks × 5 models, 22,725
trials; 10,000 bootstrap resamples): statistics plus report.html, report.md, tables.tex and results.json. Target:
under 5 s on the 2-core CI machine, for the whole `ablate report` process (start, imports, statistics, files) as a
user runs it; the in-process time is printed beside it.

Named baseline, measured in the same run: the two places where ablate does not call the library routine as is —
sign-flip tests (a matrix product instead of `scipy.stats.permutation_test`) and Boschloo tests (cached per
distinct table instead of one `scipy.stats.boschloo_exact` call per target) — timed both ways on the report's own
inputs, so the ratio says what the deviation buys.

    .venv/bin/python benchmarks/report_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
TRIALS = ROOT / "analysis" / "gm100" / "trials.csv"


def full_report(out: Path) -> float:
    from ablate.evaluate.trial_table import read_trials
    from ablate.report.write import write_report
    from ablate.stats import significance
    from ablate.stats.analysis import Options, analyse
    from ablate.stats.counts import Design

    significance._exact.cache_clear()  # every repeat pays for its exact tests
    start = time.perf_counter()
    result = analyse(read_trials(TRIALS), Design(baseline="pi0.5", by=("embodiment",)), Options(resamples=10_000))
    write_report(result, out, "GM-100")
    return time.perf_counter() - start


def whole_cli(out: Path) -> float:
    """Seconds for `ablate report … --by embodiment` as a user runs it: a new Python process, start to exit."""
    command = [sys.executable, "-m", "ablate.cli.main", "report", str(TRIALS), "--baseline", "pi0.5"]
    start = time.perf_counter()
    subprocess.run([*command, "--by", "embodiment", "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - start


def library_parts(table: pd.DataFrame) -> tuple[float, float]:
    """(ablate, scipy as is) seconds for the exact tests and sign flips of the GM-100 report."""
    from ablate.stats import significance
    from ablate.stats.paired import sign_flip

    base = table[table["arm"] == "pi0.5"].set_index(["embodiment", "task"])
    pairs, diffs = [], []
    for model in sorted(set(table["arm"]) - {"pi0.5"}):
        arm = table[table["arm"] == model].set_index(["embodiment", "task"]).loc[base.index]
        pairs += list(zip(arm["successes"], arm["trials"], base["successes"], base["trials"], strict=True))
        for robot in base.index.get_level_values(0).unique():
            diffs.append((arm.loc[robot, "progress"] - base.loc[robot, "progress"]).to_numpy())
        diffs.append((arm["progress"] - base["progress"]).to_numpy())
    significance._exact.cache_clear()
    start = time.perf_counter()
    for s1, n1, s0, n0 in pairs:
        significance.exact_test(s1, n1, s0, n0)
    for d in diffs:
        sign_flip(d)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for s1, n1, s0, n0 in pairs:
        if 0 < s1 + s0 < n1 + n0:  # the same tables ablate tests (scipy gives NaN on the others)
            stats.boschloo_exact([[s1, s0], [n1 - s1, n0 - s0]], alternative="less")
    for d in diffs:
        stats.permutation_test(
            (d, np.zeros_like(d)),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            vectorized=True,
            n_resamples=10_000,
            rng=0,
        )
    return ours, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process = [whole_cli(Path(tmp) / f"cli{i}") for i in range(args.repeats)]
        times = [full_report(Path(tmp) / f"r{i}") for i in range(args.repeats)]
    median = statistics.median(process)
    print(
        f"ablate report on GM-100 (22,725 trials, 10,000 resamples), whole CLI process: median {median:.2f} s of "
        f"{args.repeats} ({', '.join(f'{t:.2f}' for t in process)}); target < 5 s: {'met' if median < 5 else 'NOT met'}"
    )
    print(f"  of which statistics and files, in process: median {statistics.median(times):.2f} s")
    ours, library = library_parts(pd.read_csv(TRIALS, dtype={"task": str}))
    print(
        f"exact tests + sign flips: ablate {ours:.2f} s vs scipy routines as is {library:.2f} s "
        f"→ {library / ours:.1f}× faster"
    )


if __name__ == "__main__":
    main()
