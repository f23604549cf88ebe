"""`ablate tune` under faults on a real Slurm cluster: a SIGKILLed driver's rerun adopts the trials running on Slurm,
two drivers on one sweep dir are one driver (the second refused at once), and two drivers on different sweep dirs
sharing one Optuna storage split the trials. Every way: exactly K trials per arm, no trial's run trained twice."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest

from tests.launch.helpers import launches, run_state, statuses
from tests.launch.test_slurm import slurm  # noqa: F401 (the fixture: the cluster in $SLURM_CONF, or a new one)

pytestmark = pytest.mark.slurm

K = 2

SPEC = """
name: {name}
recipe: quickstart/mlp
seeds: [0]
overrides: {{train.checkpoint_every: 25}}
factors:
  mixture:
    target_only: task_a_only
    pooled: both
budget: {{unit: samples, per_run: 320}}
launcher: {{kind: slurm, profile: local-cluster}}
tune:
  space:
    optim.lr: {{low: 0.0001, high: 0.03, log: true}}
  trials: {k}
  batch: {batch}
  budget: {{unit: samples, per_run: {budget}}}
  seeds: [100]
  metric: val_loss
  direction: minimize
"""


def _spec(project, budget: int, batch: int, storage: str | None = None) -> tuple[Path, str]:
    """A spec of 2 arms × K trials, named uniquely: sacct's history of the cluster outlives the test."""
    name = f"tf{uuid.uuid4().hex[:6]}"
    text = SPEC.format(name=name, k=K, batch=batch, budget=budget)
    if storage:
        text += f"  storage: {storage}\n"
    return project.spec(text), name


def _start(project, *args: str, log: str) -> subprocess.Popen:
    """`ablate ARGS` in the background, as a user's terminal would run it; its output goes to `log`."""
    out = open(project.root / log, "w")  # noqa: SIM115 (the child writes it until it ends)
    return subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", *map(str, args)], cwd=project.root, stdout=out, stderr=out
    )


def _ended(proc: subprocess.Popen, project, log: str, timeout: float = 300) -> tuple[int, str]:
    code = proc.wait(timeout=timeout)
    return code, (project.root / log).read_text()


def _tuning_jobs(name: str, since: str) -> list[str]:
    """Every Slurm job (array task) submitted for the sweep's trials since the test started."""
    out = subprocess.run(
        ["sacct", "-n", "-P", "-X", "-o", "JobID", "-S", since, "--name", f"{name}-tune"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def _job_ids(tune_dir: Path) -> list[str]:
    """The Slurm job of every launch the driver recorded (launch.json's history)."""
    return sorted(
        h["job_id"] for launch in tune_dir.glob("runs/*/launch.json") for h in json.loads(launch.read_text())["history"]
    )


def _trials(storage: str, name: str) -> dict[str, list]:
    """arm -> its trials in the Optuna storage, surplus ones (asked past K by a concurrent driver) left out."""
    return {
        arm: [
            t
            for t in optuna.load_study(study_name=f"{name}/{arm}", storage=storage).get_trials()
            if not t.user_attrs.get("surplus")
        ]
        for arm in ("target_only", "pooled")
    }


def _assert_k_complete(storage: str, name: str) -> None:
    trials = _trials(storage, name)
    assert {arm: len(ts) for arm, ts in trials.items()} == {"target_only": K, "pooled": K}
    assert all(t.state == optuna.trial.TrialState.COMPLETE for ts in trials.values() for t in ts), trials


def _assert_each_trained_once(tune_dir: Path) -> None:
    """Each trial run was submitted once, trained in one attempt, and is done."""
    assert set(launches(tune_dir).values()) == {1}, launches(tune_dir)
    for name in launches(tune_dir):
        state = run_state(tune_dir, name)
        assert state["attempts"] == 1 and state["status"] == "done", (name, state)


def _wait_for_training(project, tune_dir: Path, timeout: float = 120) -> None:
    """Until a trial run has trained a few steps on Slurm."""
    deadline = time.monotonic() + timeout
    while not (
        (tune_dir / "manifest.json").is_file()
        and any((r["consumed"] or 0) > 0 and r["state"] == "running" for r in statuses(project, tune_dir).values())
    ):
        assert time.monotonic() < deadline, "no trial run started training on Slurm"
        time.sleep(0.5)


def _settle_final(project, sweep: Path, timeout: float = 180) -> None:
    """The final comparison returns once submitted: let its jobs end before the next test uses the cluster."""
    deadline = time.monotonic() + timeout
    while not all(r["state"] in ("done", "failed") for r in statuses(project, sweep).values()):
        assert time.monotonic() < deadline, statuses(project, sweep)
        time.sleep(1.0)


def test_a_killed_tuning_driver_is_rerun_and_adopts_its_trials_running_on_slurm(slurm, project):  # noqa: F811
    # One round of 2 arms × 2 trials: 4 runs in one array, two at a time on the 2-CPU node, ~25 s each.
    spec, name = _spec(project, budget=64000, batch=K)
    sweep = project.root / "sweeps" / name
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    driver = _start(project, "tune", spec, log="first.log")
    _wait_for_training(project, sweep / "tune")
    os.kill(driver.pid, signal.SIGKILL)  # the driver only: its Slurm jobs go on
    assert driver.wait(timeout=30) == -signal.SIGKILL
    submitted = _job_ids(sweep / "tune")
    assert len(submitted) == 2 * K  # all of the round's trials were on Slurm when it died

    rerun = project.cli("tune", spec)

    assert rerun.code == 0, rerun.stdout + rerun.stderr
    out = " ".join(rerun.stdout.split())
    # The rerun adopts every trial run (running or pending, or done meanwhile) and submits none of them again.
    assert re.search(rf"{name}-tune: 4 runs — \d done, \d running or pending \(adopted\), 0 to launch", out), out
    assert sorted(_tuning_jobs(name, since)) == sorted(submitted)  # Slurm ran those 4 tasks and no other
    assert _job_ids(sweep / "tune") == submitted
    _assert_each_trained_once(sweep / "tune")
    _assert_k_complete(f"sqlite:///{sweep / 'tune' / 'optuna.db'}", name)
    assert out.count("final comparison") == 1
    assert set(launches(sweep).values()) == {1} and len(launches(sweep)) == 2  # each arm's best once, seed 0
    _settle_final(project, sweep)


def test_a_second_tuning_driver_on_the_same_sweep_is_refused_at_once(slurm, project):  # noqa: F811
    spec, name = _spec(project, budget=16000, batch=1)
    sweep = project.root / "sweeps" / name
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    drivers = [_start(project, "tune", spec, "--no-final", log=f"{i}.log") for i in range(2)]  # started together

    ended = [_ended(d, project, f"{i}.log") for i, d in enumerate(drivers)]

    codes = sorted(code for code, _ in ended)
    assert codes == [0, 2], [log[-2000:] for _, log in ended]
    refused = next(log for code, log in ended if code == 2)
    winner = next(d for d, (code, _) in zip(drivers, ended, strict=True) if code == 0)
    assert f"pid {winner.pid}) is driving this sweep now" in " ".join(refused.split()), refused
    assert "Traceback" not in refused
    _assert_k_complete(f"sqlite:///{sweep / 'tune' / 'optuna.db'}", name)
    _assert_each_trained_once(sweep / "tune")
    assert len(_tuning_jobs(name, since)) == 2 * K


def test_two_tuning_drivers_on_two_sweeps_sharing_one_storage_split_the_trials(slurm, project):  # noqa: F811
    storage = f"sqlite:///{project.root / 'shared-optuna.db'}"
    spec, name = _spec(project, budget=16000, batch=1, storage=storage)
    since = time.strftime("%Y-%m-%dT%H:%M:%S")
    drivers = {d: _start(project, "tune", spec, "--out", d, log=f"{d}.log") for d in ("a", "b")}  # together

    ended = {d: _ended(proc, project, f"{d}.log") for d, proc in drivers.items()}

    assert {d: code for d, (code, _) in ended.items()} == {"a": 0, "b": 0}, {
        d: log[-3000:] for d, (_, log) in ended.items()
    }
    _assert_k_complete(storage, name)
    runs = {d: launches(project.root / d / "tune") for d in drivers}
    assert not set(runs["a"]) & set(runs["b"])  # no trial ran in both sweeps
    assert len(runs["a"]) + len(runs["b"]) == 2 * K
    for d in drivers:
        _assert_each_trained_once(project.root / d / "tune")
        assert set(launches(project.root / d).values()) == {1}  # each sweep's final comparison, once
    assert len(_tuning_jobs(name, since)) == 2 * K
    for d in drivers:
        _settle_final(project, project.root / d)
