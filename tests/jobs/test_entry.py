"""What a job does before it trains: a run whose run.json was edited after planning is refused (its state says
why), and a run that is done is never executed again, whoever submits it (issue 14)."""

from __future__ import annotations

import json

from ablate.jobs.contract import update_state
from ablate.jobs.entry import execute
from tests.launch.helpers import run_state, statuses

SPEC = """
name: planned
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
"""


def _work(sweep, name):
    return next(w for w in (sweep / "runs").iterdir() if json.loads((w / "run.json").read_text())["name"] == name)


def test_a_hand_edited_run_json_is_refused_not_trained(project):
    assert project.cli("run", project.spec(SPEC), "--launcher", "debug", "--out", "s").code == 0
    sweep = project.root / "s"
    work = _work(sweep, "0.001-s0")
    run = json.loads((work / "run.json").read_text())
    run["config"]["optim"]["lr"], run["seed"] = 0.05, 7
    (work / "run.json").write_text(json.dumps(run))
    update_state(work, status="failed")  # as if it had failed: the driver relaunches it
    checkpoints = sorted(p.name for p in (work / "checkpoints").iterdir())

    again = project.cli("run", project.spec(SPEC), "--launcher", "debug", "--out", "s")
    assert again.code == 1
    error = run_state(sweep, "0.001-s0")["error"]
    assert "differs from the sweep's plan (seed: planned 0, run.json 7; optim.lr: planned 0.001, run.json 0.05)" in (
        error
    )
    assert sorted(p.name for p in (work / "checkpoints").iterdir()) == checkpoints  # nothing trained
    assert statuses(project, sweep)["0.003-s0"]["state"] == "done"


def test_a_done_run_is_never_executed_again(project, capsys):
    assert project.cli("run", project.spec(SPEC), "--launcher", "debug", "--out", "s").code == 0
    work = _work(project.root / "s", "0.003-s0")
    before = {p.name: p.stat().st_mtime_ns for p in (work / "checkpoints").iterdir()}
    result = execute(work)  # a duplicate (or late) submission of a finished run
    assert result == run_state(project.root / "s", "0.003-s0")["result"]
    assert "is already done; this job does nothing" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in (work / "checkpoints").iterdir()} == before


def test_a_truncated_or_foreign_run_json_is_named_not_a_traceback(project):
    assert project.cli("run", project.spec(SPEC), "--launcher", "debug", "--out", "s").code == 0
    path = _work(project.root / "s", "0.001-s0") / "run.json"
    text = path.read_text()
    path.write_text(text[: len(text) // 2])  # truncated
    result = project.cli("status", "s")
    assert result.code == 2 and f"{path}: not valid JSON" in result.stderr and "Traceback" not in result.stderr
    path.write_text(json.dumps(json.loads(text) | {"learning_rate": 0.1}))
    result = project.cli("status", "s")
    assert result.code == 2 and f"{path}: not a run file (unknown key 'learning_rate')" in result.stderr
