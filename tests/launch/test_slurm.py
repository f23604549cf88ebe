"""Sweeps on a real Slurm cluster (slurmctld + slurmd + slurmdbd/MariaDB + munge) through submitit."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.conftest import REPO
from tests.launch.helpers import launches, run_state, statuses
from tests.launch.slurm_cluster import cluster_env

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def slurm():
    gen = cluster_env()
    env = next(gen)
    old = dict(os.environ)
    os.environ.update(env)
    yield env
    os.environ.clear()
    os.environ.update(old)
    with pytest.raises(StopIteration):
        next(gen)


SPEC = """
name: {name}
recipe: quickstart/mlp
seeds: [0, 1]
overrides: {{train.checkpoint_every: 25}}
factors:
  optim.lr: [{lrs}]
budget: {{unit: samples, per_run: {budget}}}
launcher: {{kind: slurm, profile: local-cluster}}
"""


def _wait_until(project, sweep, predicate, timeout=240.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = statuses(project, sweep)
        if predicate(rows):
            return rows
        assert time.monotonic() < deadline, json.dumps(rows, indent=1)[-3000:]
        time.sleep(1.0)


def _settled(rows):
    return all(r["state"] in ("done", "failed") for r in rows.values())


def _sacct(job_id: str) -> str:
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-o", "State", "-j", job_id], capture_output=True, text=True)
    return out.stdout.strip()


def test_an_array_of_runs_completes_without_blocking_the_driver(slurm, project):
    spec = project.spec(SPEC.format(name="arr", lrs="0.001, 0.003", budget=1600))
    sweep = project.root / "sweeps" / "arr"
    started = time.monotonic()
    result = project.cli("run", spec)
    assert result.code == 0, result.stdout + result.stderr
    assert "submitted 4 Slurm job(s)" in result.stdout
    rows = statuses(project, sweep)
    job_ids = {r["job_id"] for r in rows.values()}
    assert len(job_ids) == 4 and len({j.split("_")[0] for j in job_ids}) == 1  # one array of 4 tasks
    assert time.monotonic() - started < 60  # returned after submitting, not after the runs
    rows = _wait_until(project, sweep, _settled)
    assert {r["state"] for r in rows.values()} == {"done"}
    assert project.cli("audit", sweep).code == 0
    _wait_for_sacct(job_ids, "COMPLETED")  # the job process exits a moment after the run reports done


def test_a_run_that_raises_is_failed_in_status_and_in_slurm(slurm, project):
    spec = project.spec(SPEC.format(name="bad", lrs="1.0e30", budget=1600))
    sweep = project.root / "sweeps" / "bad"
    assert project.cli("run", spec, "--wait").code == 1  # --wait follows the runs and reports the failure
    rows = _wait_until(project, sweep, _settled)
    assert {r["state"] for r in rows.values()} == {"failed"}
    row = rows["1e+30-s0"]
    assert "loss became non-finite" in row["error"]
    _wait_for_sacct([row["job_id"]], "FAILED")


def test_the_report_job_runs_after_the_whole_array(slurm, project):
    spec = project.spec(
        SPEC.format(name="rep", lrs="0.001, 0.003", budget=800) + "report: {baseline: optim.lr=0.001}\n"
    )
    sweep = project.root / "sweeps" / "rep"
    result = project.cli("run", spec)
    assert result.code == 0, result.stdout + result.stderr
    report = json.loads((sweep / "report_job.json").read_text())
    rows = statuses(project, sweep)
    assert report["after"] == [next(iter(rows.values()))["job_id"].split("_")[0]]
    _wait_until(project, sweep, _settled)
    _wait_for_sacct([report["job_id"]], "COMPLETED", timeout=120)
    ended = {r["job_id"]: _sacct_times(r["job_id"])[1] for r in rows.values()}
    started, _ = _sacct_times(report["job_id"])
    assert all(started >= end for end in ended.values()), (started, ended)  # afterany: it waited for every task
    log = (sweep / "submitit" / report["job_id"] / f"{report['job_id']}_0_log.out").read_text()
    assert "no trials recorded" in log  # the MLP job evaluates no trials: the report job says so and succeeds


EVALUATED = """
name: part
recipe: testbed/tiny
seeds: [0, 1]
factors:
  mixture:
    target_only: {{data.mixture: {{Panda: 1.0}}}}
    pooled: {{data.mixture: {{Panda: 1.0, UR5e: 1.0}}}}
overrides: {{data.root: {root}, data.testbed: null, train.batch_size: 8}}
budget: {{unit: samples, per_run: 80}}
evaluate: {{env: testbed, targets: [{{robot: Panda, task: lift}}], trials: 2}}
launcher: {{kind: slurm, profile: local-cluster}}
report: {{baseline: mixture=target_only}}
"""


def test_the_report_job_of_a_sweep_with_a_cancelled_run_is_withheld_until_the_run_is_relaunched(
    slurm, project, testbed_root
):
    spec = project.spec(EVALUATED.format(root=testbed_root))
    sweep = project.root / "sweeps" / "part"
    assert project.cli("run", spec).code == 0
    rows = statuses(project, sweep)
    subprocess.run(["scancel", rows["pooled-s1"]["job_id"]], check=True)  # one task of the array, at once
    first = json.loads((sweep / "report_job.json").read_text())["job_id"]
    _wait_for_sacct([first], "FAILED", timeout=300)  # it ran (afterany) and refused
    log = (sweep / "submitit" / first / f"{first}_0_log.out").read_text()
    assert "report withheld: 1 of 4 planned runs have no trials (pooled-s1)" in log
    assert not (sweep / "report").exists()

    refused = project.cli("report", sweep, "--baseline", "mixture=target_only", "--out", project.root / "r")
    assert refused.code == 2 and "the sweep is incomplete" in refused.stderr, refused.stderr
    partial = project.cli(
        "report", sweep, "--baseline", "mixture=target_only", "--out", project.root / "r", "--partial"
    )
    assert partial.code == 0, partial.stderr
    assert "INCOMPLETE SWEEP: 1 of 4 planned runs" in (project.root / "r" / "report.md").read_text()

    assert project.cli("run", spec).code == 0  # relaunches the cancelled run, and a new report job after it
    second = json.loads((sweep / "report_job.json").read_text())["job_id"]
    assert second != first
    _wait_for_sacct([second], "COMPLETED", timeout=300)
    assert "INCOMPLETE" not in (sweep / "report" / "report.md").read_text()
    assert json.loads((sweep / "report" / "results.json").read_text())["comparisons"]


def test_with_the_controller_stopped_runs_are_unknown_nothing_is_launched_and_all_finish_once_it_is_back(
    slurm, project
):
    """slurmctld stopped mid-sweep on the real cluster: `ablate status` calls no run failed, `ablate run` is
    exit 2 and writes or submits nothing; started again, the controller recovers the jobs and every run finishes,
    each trained by its one job."""
    cluster = os.environ["ABLATE_SLURM_DIR"]
    controller = [str(REPO / "slurm" / "cluster" / "controller.sh"), cluster]
    spec = project.spec(SPEC.format(name="down", lrs="0.003", budget=64000))
    sweep = project.root / "sweeps" / "down"
    assert project.cli("run", spec).code == 0
    _wait_until(project, sweep, _running_past(100))
    subprocess.run([*controller, "stop"], check=True, timeout=60)
    try:
        # squeue fails: a run is unknown, or running when this machine sees its job holding the run lock (one node
        # here), never failed
        rows = statuses(project, sweep)
        assert {r["state"] for r in rows.values()} <= {"unknown", "running", "done"}, rows
        unknown = [r for r in rows.values() if r["state"] == "unknown"]
        assert all("Unable to contact slurm controller" in r["error"] for r in unknown), unknown

        # the sweep's files, less the MLflow store its running jobs keep logging into (they train on, controller
        # or not): the refused driver writes none of them
        def files() -> dict:
            return {p: p.stat().st_mtime_ns for p in sweep.glob("*") if p.is_file() and "mlflow" not in p.name}

        before = files()
        again = project.cli("run", spec)
        assert again.code == 2 and "the Slurm controller does not answer" in again.stderr, again.stderr
        assert files() == before
    finally:
        subprocess.run([*controller, "start"], check=True, timeout=90)
    rows = _wait_until(project, sweep, _settled, timeout=300)
    assert {r["state"] for r in rows.values()} == {"done"}
    assert set(launches(sweep).values()) == {1}
    assert all(run_state(sweep, name)["attempts"] == 1 for name in rows)


def _sacct_times(job_id: str) -> tuple[str, str]:
    out = subprocess.run(["sacct", "-n", "-P", "-X", "-o", "Start,End", "-j", job_id], capture_output=True, text=True)
    start, end = out.stdout.strip().splitlines()[0].split("|")
    return start, end


def _wait_for_sacct(job_ids, state: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := {j: _sacct(j) for j in job_ids}) != dict.fromkeys(job_ids, state):
        assert time.monotonic() < deadline, seen
        time.sleep(0.5)


def _running_past(step):
    return lambda rows: (
        all(r["state"] == "running" for r in rows.values())
        and all((r["consumed"] or 0) >= step * 32 for r in rows.values())
    )


def test_preempted_run_requeues_and_ends_like_an_uninterrupted_one(slurm, project):
    spec = project.spec(SPEC.format(name="pre", lrs="0.003", budget=64000))
    sweep = project.root / "sweeps" / "pre"
    reference = project.cli("run", spec, "--launcher", "debug", "--out", "ref")
    assert reference.code == 0
    assert project.cli("run", spec).code == 0
    rows = _wait_until(project, sweep, _running_past(300))
    for row in rows.values():  # preemption: Slurm signals USR2, submitit checkpoints and requeues
        subprocess.run(["scancel", "--signal=USR2", row["job_id"]], check=True)
    rows = _wait_until(project, sweep, _settled, timeout=300)
    assert {r["state"] for r in rows.values()} == {"done"}
    for name in rows:
        state = run_state(sweep, name)
        assert state["attempts"] == 2, state
        expected = run_state(project.root / "ref", name)["result"]
        assert state["result"]["weights_fingerprint"] == expected["weights_fingerprint"]
    assert set(launches(sweep).values()) == {1}  # requeued by Slurm, not resubmitted by us
    assert project.cli("audit", sweep).code == 0


def test_scancel_is_noticed_and_a_rerun_resumes_from_the_checkpoint(slurm, project):
    # Long enough to outlive scancel's grace period (submitit ignores SIGTERM; Slurm kills after KillWait).
    spec = project.spec(SPEC.format(name="cancel", lrs="0.003", budget=192000))
    sweep = project.root / "sweeps" / "cancel"
    assert project.cli("run", spec).code == 0
    rows = _wait_until(project, sweep, _running_past(300))
    for row in rows.values():
        subprocess.run(["scancel", row["job_id"]], check=True)
    rows = _wait_until(project, sweep, _settled, timeout=120)
    assert {r["state"] for r in rows.values()} == {"failed"}
    assert all("CANCELLED" in r["error"] for r in rows.values())
    consumed_before = {n: r["consumed"] for n, r in rows.items()}

    assert project.cli("run", spec).code == 0  # resume: relaunch the cancelled runs
    rows = _wait_until(project, sweep, _settled, timeout=300)
    assert {r["state"] for r in rows.values()} == {"done"}
    assert set(launches(sweep).values()) == {2}
    for name in rows:
        assert run_state(sweep, name)["attempts"] == 2
        assert consumed_before[name] > 0
    assert project.cli("audit", sweep).code == 0


def test_a_run_over_two_slurm_tasks_trains_data_parallel(slurm, project):
    profile = "partition: debug\ncpus: 1\nmemory_gb: 1\ntime_min: 60\ntasks: 2\n"
    (project.root / "slurm" / "profiles" / "two-tasks.yaml").write_text(profile)
    spec = project.spec(SPEC.format(name="ddp", lrs="0.003", budget=3200).replace("local-cluster", "two-tasks"))
    reference = project.cli("run", spec, "--launcher", "debug", "--out", "ref")
    assert reference.code == 0
    sweep = project.root / "sweeps" / "ddp"
    assert project.cli("run", spec, "--wait").code == 0
    rows = statuses(project, sweep)
    assert {r["state"] for r in rows.values()} == {"done"}
    assert project.cli("audit", sweep).code == 0  # the global batch is counted once, not per process
    for name in rows:
        got, expected = run_state(sweep, name)["result"], run_state(project.root / "ref", name)["result"]
        assert got["init_fingerprint"] == expected["init_fingerprint"]
        # Two half-batch gradients averaged by DDP equal the full-batch gradient up to float rounding.
        assert abs(got["val_loss"] - expected["val_loss"]) <= 1e-3 * expected["val_loss"]
        logs = list((sweep / "submitit").glob(f"{rows[name]['job_id']}/*_1_log.out"))
        assert logs, "no log of the second task"
