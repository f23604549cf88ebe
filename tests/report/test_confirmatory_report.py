"""`ablate report SWEEP_DIR` on a sweep that pre-registered hypotheses: the frozen hypotheses come first, as
confirmatory, and everything else is labelled exploratory; rows of runs the manifest no longer plans are left out."""

from __future__ import annotations

import json

import pandas as pd

from ablate.launch.sweep_dir import SweepDir
from ablate.spec.plan import make_plan
from tests.stats.test_confirmatory import SUCCESSES

SPEC = """
name: prereg-report
recipe: testbed/tiny
seeds: [0, 1, 2]
factors:
  action_frame: [joint_abs, eef_rel]
  mixture: {target_only: target_only, pooled: pool4}
  target:
    IIWA: {data.target: IIWA, eval.targets: [{robot: IIWA, task: lift}]}
    Panda: {data.target: Panda, eval.targets: [{robot: Panda, task: lift}]}
budget: {unit: samples, per_run: 320}
hypotheses:
  tests:
    - {name: helps_eef, arm: mixture=pooled, baseline: mixture=target_only, where: {action_frame: eef_rel},
       alternative: greater}
"""


def test_the_report_of_a_preregistered_sweep_is_confirmatory_first(project):
    plan = make_plan(project.spec(SPEC))
    sweep = SweepDir(project.root / "sweeps" / "prereg-report")
    sweep.write(plan, "sqlite:///unused.db")
    sweep.freeze(plan)
    parts = sweep.root / "trials"
    parts.mkdir()
    for run in plan.runs:  # the trial rows each run's evaluation would have written
        levels = plan.arm(run.arm).levels
        s = SUCCESSES[(levels["action_frame"], levels["mixture"], levels["target"])][run.seed]
        rows = [
            {
                "sweep": plan.spec.name,
                "arm": run.arm,
                "run": run.id,
                "seed": run.seed,
                **levels,
                "embodiment": levels["target"],
                "task": "lift",
                "trial": t,
                "success": int(t < s),
                "progress": 0.0,
            }
            for t in range(20)
        ]
        pd.DataFrame(rows).to_parquet(parts / f"{run.id}.parquet")
    stale = pd.read_parquet(parts / f"{plan.runs[0].id}.parquet").assign(run="old-run", success=1)
    stale.to_parquet(parts / "old-run.parquet")  # a run of an earlier spec version: not this plan's

    out = project.root / "report"
    done = project.cli("report", sweep.root, "--baseline", "mixture=target_only", "--out", out, "--resamples", "500")
    assert done.code == 0, done.stderr
    confirmatory, exploratory = done.stdout.split("exploratory:")
    assert (
        "confirmatory helps_eef: mixture=pooled > mixture=target_only in success rate where action_frame=eef_rel"
        in (confirmatory)
    )
    assert "Cochran–Mantel–Haenszel" in confirmatory and "Holm over 1 pre-registered" in confirmatory
    assert "confirmatory" not in exploratory and "pooled vs target_only" in exploratory

    markdown = (out / "report.md").read_text()
    assert markdown.index("## Confirmatory verdicts (pre-registered)") < markdown.index("## Exploratory verdicts")
    assert "frozen when the sweep started" in markdown
    results = json.loads((out / "results.json").read_text())
    assert (
        results["preregistration"]["content_hash"]
        == json.loads((sweep.root / "preregistration.json").read_text())["content_hash"]
    )
    rates = {(r["action_frame"], r["mixture"], r["target"]): r for r in results["rates"]}
    assert rates[("eef_rel", "pooled", "IIWA")]["trials"] == 60  # the stale run's 20 rows are not counted
    assert rates[("joint_abs", "target_only", "IIWA")]["successes"] == sum(
        SUCCESSES[("joint_abs", "target_only", "IIWA")]
    )
    # The same from files kept with a paper (the trial table and the frozen record), outside the sweep dir.
    csv = project.root / "trials.csv"
    pd.read_parquet(parts).query("run != 'old-run'").to_csv(csv, index=False)
    kept = project.cli(
        "report",
        csv,
        "--preregistration",
        sweep.root / "preregistration.json",
        "--baseline",
        "mixture=target_only",
        "--out",
        project.root / "report2",
        "--resamples",
        "500",
    )
    assert kept.code == 0, kept.stderr
    assert kept.stdout.split("exploratory:")[0] == confirmatory
    missing = project.cli(
        "report",
        csv,
        "--preregistration",
        project.root / "nope.json",
        "--baseline",
        "mixture=target_only",
        "--out",
        project.root / "report3",
    )
    assert missing.code == 2 and "nope.json" in missing.stderr
