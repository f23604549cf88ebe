"""A sweep with planned runs missing from its trial table: `ablate report` refuses it (exit 2) unless asked with
`--partial`, and then every file says which runs are missing; the sweep's own report (the Slurm report job) is
withheld with the reason. The sweep directory is written as `ablate run` writes it: a manifest and one trial-table
part per run. (The same fault on the real cluster, a cancelled array task, is in tests/launch/test_slurm.py.)"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ablate.report.sweep import IncompleteSweep, ReportJob
from tests.conftest import run_cli

SPEC = """name: part
recipe: testbed/tiny
seeds: [0, 1, 2]
factors:
  mixture: {target_only: panda_only, pooled: pooled}
budget: {unit: samples, per_run: 320}
evaluate: {env: testbed, targets: [{robot: Panda, task: lift}], trials: 10}
report: {baseline: mixture=target_only}
"""


def _sweep(root, missing: tuple[str, ...] = ()):
    """3 seeds × 2 mixtures, 10 trials each on Panda/lift; the runs named in `missing` wrote no trials."""
    rng = np.random.default_rng(0)
    runs = []
    (root / "trials").mkdir(parents=True)
    for mixture, rate in (("target_only", 0.8), ("pooled", 0.4)):
        for seed in range(3):
            run = {"id": f"{mixture[:4]}-s{seed}", "name": f"{mixture}-s{seed}", "arm": mixture[:4], "seed": seed}
            runs.append(run)
            if run["name"] in missing:
                continue
            rows = pd.DataFrame(
                {
                    "sweep": "part",
                    "arm": mixture,
                    "run": run["id"],
                    "seed": seed,
                    "mixture": mixture,
                    "embodiment": "Panda",
                    "task": "lift",
                    "trial": range(10),
                    "success": (rng.random(10) < rate).astype(int),
                    "progress": 0.5,
                }
            )
            rows.to_parquet(root / "trials" / f"{run['id']}.parquet")
    (root / "manifest.json").write_text(json.dumps({"runs": runs}))
    (root / "spec.yaml").write_text(SPEC)
    return root


def _report(sweep, out, *flags):
    return run_cli("report", sweep, "--baseline", "mixture=target_only", "--out", out, "--resamples", "200", *flags)


def test_a_report_on_an_incomplete_sweep_is_refused_and_writes_nothing(tmp_path):
    sweep = _sweep(tmp_path / "sweep", missing=("pooled-s1",))
    done = _report(sweep, tmp_path / "out")
    assert done.code == 2, done.stdout + done.stderr
    assert "the sweep is incomplete: 1 of 6 planned runs have no trials (pooled-s1)" in done.stderr
    assert "--partial" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_partial_names_the_missing_runs_on_every_page(tmp_path):
    sweep = _sweep(tmp_path / "sweep", missing=("pooled-s1",))
    out = tmp_path / "out"
    done = _report(sweep, out, "--partial")
    assert done.code == 0, done.stdout + done.stderr
    assert "warning: INCOMPLETE SWEEP: 1 of 6 planned runs have no trials (pooled-s1)" in done.stderr

    results = json.loads((out / "results.json").read_text())
    assert results["incomplete"]["missing"] == ["pooled-s1"] and results["incomplete"]["planned"] == 6
    assert "seed (1) is left out on both sides" in results["incomplete"]["note"]
    for page in ("report.md", "report.html"):
        assert "INCOMPLETE SWEEP: 1 of 6 planned runs have no trials (pooled-s1)" in (out / page).read_text()
    captions = [line for line in (out / "tables.tex").read_text().splitlines() if line.startswith(r"\caption")]
    assert captions and all("INCOMPLETE SWEEP: 1 of 6 planned runs" in c for c in captions)
    # what it does to the pairing, as the report's own tables show it: seed 1 is out of the comparison
    comparison = results["comparisons"][0]
    assert [str(s) for s in comparison["seeds"]] == ["0", "2"]


def test_a_complete_sweep_reports_without_a_mark(tmp_path):
    out = tmp_path / "out"
    done = _report(_sweep(tmp_path / "sweep"), out)
    assert done.code == 0, done.stdout + done.stderr
    assert "incomplete" not in json.loads((out / "results.json").read_text())
    assert "INCOMPLETE" not in (out / "report.md").read_text()


def test_the_sweeps_own_report_job_is_withheld_with_the_reason(tmp_path, capsys):
    sweep = _sweep(tmp_path / "sweep", missing=("pooled-s1", "target_only-s0"))
    with pytest.raises(IncompleteSweep, match=r"2 of 6 planned runs have no trials \(target_only-s0, pooled-s1\)"):
        ReportJob()(str(sweep))
    assert "report withheld" in capsys.readouterr().out
    assert not (sweep / "report").exists()
