"""Kill anything at any time: a SIGKILLed run resumes to the very weights of an uninterrupted one, and a killed
driver leaves nothing lost and nothing duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlflow import MlflowClient

from ablate.jobs.run_lock import holder_here
from tests.launch.helpers import launches, run_state, statuses

LONG = """
name: long
recipe: quickstart/mlp
seeds: [0]
overrides: {train.checkpoint_every: 25}
budget: {unit: samples, per_run: 96000, stages: {pre: 0.5, post: 0.5}}
factors:
  stages: [two_stage]
"""


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _step(work: Path) -> int:
    try:
        return json.loads((work / "state.json").read_text()).get("step", 0)
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def _runs(sweep: Path) -> list[Path]:
    return list((sweep / "runs").iterdir()) if (sweep / "runs").exists() else []


def test_sigkill_at_a_random_step_then_resume_gives_the_uninterrupted_result(project):
    spec = project.spec(LONG)
    reference = project.cli("run", spec, "--out", "ref", "--launcher", "debug")
    assert reference.code == 0, reference.stderr
    expected = run_state(project.root / "ref", "two_stage-s0")["result"]

    # Of 3000 steps (the second stage starts at 1500); the state is written about once a second (~300 steps),
    # so stop early enough that the kill lands before the end.
    kill_at = random.randint(300, 2200)
    print(f"killing at step >= {kill_at}")
    sweep = project.root / "killed"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "run", str(spec), "--out", str(sweep)],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    _wait_for(lambda: any(_step(w) >= kill_at for w in _runs(sweep)))
    os.killpg(driver.pid, signal.SIGKILL)  # driver, submitit controller and the job: a node going down
    driver.wait()
    assert _step(_runs(sweep)[0]) < 3000
    unfinished = project.cli("audit", sweep)
    assert unfinished.code == 1 and "deviate from the plan" in unfinished.stdout

    resumed = project.cli("run", spec, "--out", sweep)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    state = run_state(sweep, "two_stage-s0")
    assert state["attempts"] == 2
    assert state["result"]["weights_fingerprint"] == expected["weights_fingerprint"]
    assert state["result"]["val_loss"] == expected["val_loss"]
    assert project.cli("audit", sweep).code == 0  # consumed exactly the plan, not more


FOUR = """
name: four
recipe: quickstart/mlp
seeds: [0, 1]
overrides: {train.checkpoint_every: 25}
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 160000}
launcher: {kind: local, parallel: 2}
"""


def test_killing_the_driver_loses_nothing_and_creates_no_duplicates(project):
    spec = project.spec(FOUR)
    sweep = project.root / "sweeps" / "four"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "run", str(spec)],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: any(_step(w) > 100 for w in _runs(sweep)))
    driver.send_signal(signal.SIGKILL)  # only the driver: its two running jobs (5000 steps each) carry on
    driver.wait()
    # As if the kill had come between submitting a job and recording it: the run must still be adopted.
    unrecorded = next(w for w in _runs(sweep) if _step(w) > 0)
    (unrecorded / "launch.json").unlink()

    again = project.cli("run", spec)
    assert again.code == 0, again.stdout + again.stderr
    assert "2 running or pending (adopted), 2 to launch" in again.stdout
    rows = statuses(project, sweep)
    assert {r["state"] for r in rows.values()} == {"done"}
    name = json.loads((unrecorded / "run.json").read_text())["name"]
    assert launches(sweep) == {n: 0 if n == name else 1 for n in rows}  # nothing submitted twice
    assert {run_state(sweep, n)["attempts"] for n in rows} == {1}  # and trained once
    client = MlflowClient(json.loads((sweep / "manifest.json").read_text())["tracking_uri"])
    runs = client.search_runs([client.get_experiment_by_name("four").experiment_id])
    assert len(runs) == 5


THREE = """
name: three
recipe: quickstart/mlp
seeds: [0, 1, 2]
factors:
  optim.lr: [0.003]
budget: {unit: samples, per_run: 128000}  # ~15 s of training: long enough to see the orphan while it trains
launcher: {kind: local, parallel: 2}
"""


def _trainings(sweep: Path) -> list[int]:
    """Pids of the processes training this sweep's runs now: those holding a run's lock (a task that has finished
    its run but not yet exited is not training any more)."""
    return [pid for w in _runs(sweep) if (pid := holder_here(w)) is not None]


def test_a_killed_submitit_controller_leaves_its_task_adopted_not_doubled(project):
    """SIGKILL the LocalExecutor's controller process of a training run: its task trains on, orphaned. Before, the
    run was called failed and the driver started the next run beside it (3 trainings with parallel = 2)."""
    spec = project.spec(THREE)
    sweep = project.root / "three"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "run", str(spec), "--out", str(sweep)],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: sum(_step(w) > 0 for w in _runs(sweep)) == 2, timeout=180)
    work = next(w for w in _runs(sweep) if _step(w) > 0)
    name = json.loads((work / "run.json").read_text())["name"]
    controller = int(json.loads((work / "launch.json").read_text())["job_id"])
    os.kill(controller, signal.SIGKILL)

    most, seen = 0, set()
    while driver.poll() is None:
        most = max(most, len(_trainings(sweep)))
        seen.add(statuses(project, sweep)[name]["state"])
        time.sleep(0.5)
    assert driver.returncode == 0
    assert "running" in seen and "failed" not in seen, seen  # the orphan is found by its run lock, not called failed
    assert most <= 2  # never a third training beside the orphan
    rows = statuses(project, sweep)
    assert {r["state"] for r in rows.values()} == {"done"}
    assert set(launches(sweep).values()) == {1}  # the orphan's run was not submitted again
    assert run_state(sweep, name)["attempts"] == 1


def test_a_run_killed_without_a_word_is_killed_in_mlflow_not_running_forever(project):
    """SIGKILL the training process (what the OOM killer does) under a live driver: the run is failed with the
    reason, its MLflow run says KILLED (before: RUNNING for ever), and a rerun finishes it (then FINISHED)."""
    spec = project.spec(LONG)
    sweep = project.root / "oom"
    driver = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "run", str(spec), "--out", str(sweep)],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: any(_step(w) > 50 for w in _runs(sweep)))
    work = _runs(sweep)[0]
    os.kill(holder_here(work), signal.SIGKILL)
    assert driver.wait(timeout=120) == 1  # a run failed
    row = statuses(project, sweep)["two_stage-s0"]
    assert row["state"] == "failed" and row["error"].startswith("the job ended without reporting"), row
    client = MlflowClient(json.loads((sweep / "manifest.json").read_text())["tracking_uri"])
    mlflow_id = json.loads((work / "run.json").read_text())["mlflow_run_id"]
    assert client.get_run(mlflow_id).info.status == "KILLED"
