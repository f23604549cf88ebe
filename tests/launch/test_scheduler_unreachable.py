"""A scheduler that cannot be asked is not a verdict: with the Slurm controller unreachable (a real `squeue` and
`sacct` against a controller that is not there), a run whose Slurm job was running is `unknown`, never `failed`,
and `ablate run` does not submit it again (issue 14: before, all 8 running runs were called failed and a second
array was submitted)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.launch.helpers import launches, snapshot

SPEC = """
name: unreachable
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
launcher: {kind: slurm, profile: local-cluster}
"""

# A controller nobody runs; MessageTimeout 1 s so that squeue gives up at once instead of retrying for ~20 s.
UNREACHABLE = "ClusterName=gone\nSlurmctldHost=localhost\nSlurmctldPort=6999\nAuthType=auth/none\nMessageTimeout=1\n"


@pytest.mark.skipif(shutil.which("squeue") is None, reason="needs Slurm's client commands (.ci/setup-env --system)")
def test_an_unreachable_scheduler_leaves_running_runs_unknown_and_unlaunched(project, tmp_path):
    spec = project.spec(SPEC)
    assert project.cli("run", spec, "--launcher", "debug", "--out", "s").code == 0
    sweep = project.root / "s"
    work = next(w for w in (sweep / "runs").iterdir() if json.loads((w / "run.json").read_text())["name"] == "0.001-s0")
    # As a Slurm job that is training it would have left it: state running, launched as job 4242.
    state = json.loads((work / "state.json").read_text()) | {"status": "running", "job_id": "4242", "launcher": "slurm"}
    (work / "state.json").write_text(json.dumps(state))
    (work / "launch.json").write_text(json.dumps({"launcher": "slurm", "job_id": "4242", "history": []}))
    conf = tmp_path / "slurm.conf"
    conf.write_text(UNREACHABLE)
    env = {"SLURM_CONF": str(conf)}

    rows = statuses_with(project, sweep, env)
    assert rows["0.001-s0"]["state"] == "unknown"
    assert (
        "the scheduler could not be asked (squeue failed: slurm_load_jobs error: Unable to contact slurm"
        in (rows["0.001-s0"]["error"])
    )
    assert rows["0.003-s0"]["state"] == "done"

    before, files = launches(sweep), snapshot(sweep)
    again = project.cli("run", spec, "--out", "s", env=env)  # the spec's launcher: Slurm
    assert again.code == 2, again.stdout + again.stderr
    assert f"{conf}: the Slurm controller does not answer (`scontrol ping`: Slurmctld(primary)" in again.stderr
    assert "nothing was written or submitted" in again.stderr and "Traceback" not in again.stderr
    assert launches(sweep) == before and snapshot(sweep) == files  # nothing submitted, nothing rewritten


@pytest.mark.skipif(shutil.which("scontrol") is None, reason="needs Slurm's client commands (.ci/setup-env --system)")
@pytest.mark.parametrize("command", ["run", "tune"])
def test_a_slurm_launch_with_the_controller_down_writes_nothing(project, tmp_path, command):
    conf = tmp_path / "slurm.conf"
    conf.write_text(UNREACHABLE)
    spec = project.spec(SPEC + TUNE if command == "tune" else SPEC)
    done = project.cli(command, spec, env={"SLURM_CONF": str(conf)})
    assert done.code == 2, done.stdout + done.stderr
    assert "the Slurm controller does not answer" in done.stderr and "Traceback" not in done.stderr
    assert not (project.root / "sweeps").exists()  # no sweep dir, no MLflow store, no submitit folder


TUNE = """tune:
  space:
    optim.weight_decay: {low: 0.0001, high: 0.1, log: true}
  trials: 1
  budget: {unit: samples, per_run: 160}
  seeds: [100]
  metric: val_loss
  direction: minimize
"""


def statuses_with(project, sweep, env) -> dict[str, dict]:
    result = project.cli("status", sweep, "--json", env=env)
    assert result.code == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}
