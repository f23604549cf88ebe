"""MLflow history is exactly-once: a real job (`RunJob` in its own process, logging to a real sqlite MLflow store)
killed with a real signal and started again ends with one point per logged step in every metric series, the very
steps of an uninterrupted run, and MLflow's run status says what happened to it."""

from __future__ import annotations

import dataclasses
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from ablate.jobs.checkpoints import CheckpointStore
from ablate.jobs.contract import Run
from ablate.launch.single_run import _compose, _find_recipe, _plan_budget, _write_run
from ablate.track.mlflow_runs import ensure_child, ensure_parent

# 200 steps over two stages (100 each), every one logged: 4 metrics a step, so the tracker flushes 50 steps after its
# last flush, out of step with the checkpoints (every 90 steps and at the end of each stage: 90, 100, 180, 200). A wide
# MLP makes a step take long enough to kill the job where we want.
MLP = (
    "stages=two_stage", "+train.budget={unit: samples, per_run: 102400}", "train.batch_size=512",
    "train.log_every=1", "train.checkpoint_every=90", "model.hidden=512", "model.depth=3",
)  # fmt: skip
MLP_STEPS = 200
JOB = "import sys; from ablate.jobs.entry import RunJob; RunJob()(sys.argv[1])"


def _make_run(root: Path, name: str, recipe: str, overrides: tuple[str, ...]) -> Path:
    """A run dir as `ablate train` writes it, registered in MLflow (sqlite under ROOT) as the driver does."""
    dirs, recipe_name = _find_recipe(recipe, None)
    config = _compose(dirs, recipe_name, list(overrides), Path(f"{recipe}.yaml"), print)
    budget, stages = _plan_budget(config, Path(f"{recipe}.yaml"))
    work = root / name
    _write_run(work, 0, config, budget, stages)
    uri = f"sqlite:///{root / 'mlflow.db'}?timeout=60"
    exp, parent = ensure_parent(uri, "history", {})
    run = Run.load(work)
    mlflow_id = ensure_child(uri, exp, parent, name, name, {}, {})
    dataclasses.replace(run, tracking_uri=uri, mlflow_run_id=mlflow_id).save()
    return work


def _start(work: Path, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", JOB, str(work)], cwd=work, stdout=stdout, stderr=subprocess.DEVNULL, text=True
    )


def _finish(work: Path) -> None:
    done = subprocess.run([sys.executable, "-c", JOB, str(work)], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def _mlflow(work: Path):
    run = Run.load(work)
    return MlflowClient(run.tracking_uri), run.mlflow_run_id


def _history(work: Path) -> dict[str, list[int]]:
    """Every metric series of the run's MLflow run: its steps, in order, duplicates kept."""
    client, run_id = _mlflow(work)
    keys = client.get_run(run_id).data.metrics
    return {k: sorted(m.step for m in client.get_metric_history(run_id, k)) for k in keys}


def _status(work: Path) -> str:
    client, run_id = _mlflow(work)
    return client.get_run(run_id).info.status


def _latest_checkpoint(work: Path) -> int:
    steps = CheckpointStore(work / "checkpoints").steps()
    return steps[-1] if steps else 0


def _logged_past_checkpoint(work: Path) -> bool:
    """MLflow already has loss points after the newest checkpoint (the buffer filled up between two of them)."""
    client, run_id = _mlflow(work)
    newest = _latest_checkpoint(work)
    return newest > 0 and any(m.step > newest for m in client.get_metric_history(run_id, "loss"))


def _kill_when(work: Path, sig: int, ready) -> subprocess.Popen:
    """Start the job, send SIG once READY(work) holds, and wait until the process is gone."""
    proc = _start(work)
    deadline = time.monotonic() + 120
    while not ready(work):
        assert proc.poll() is None, "the job ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None, "the job ended before it could be killed"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    return proc


def _assert_exactly_once(history: dict[str, list[int]], reference: dict[str, list[int]]) -> None:
    for key, steps in history.items():
        assert len(steps) == len(set(steps)), f"{key}: {len(steps) - len(set(steps))} duplicate steps"
    counts = {k: (len(history.get(k, [])), len(reference.get(k, []))) for k in reference | history}
    assert history == reference, f"points per series (got, uninterrupted): {counts}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, list[int]]:
    """The step lists of an uninterrupted run of the same config."""
    work = _make_run(tmp_path_factory.mktemp("ref"), "ref", "quickstart/mlp", MLP)
    _finish(work)
    history = _history(work)
    assert history["loss"] == list(range(1, MLP_STEPS + 1))
    assert _status(work) == "FINISHED"
    return history


def test_sigkill_then_resume_logs_every_step_once(tmp_path, reference):
    """SIGKILL when MLflow already holds points past the newest checkpoint (the resumed job trains those steps
    again) and the buffer holds more (lost with the process: the resumed job trains those again too)."""
    work = _make_run(tmp_path, "killed", "quickstart/mlp", MLP)
    _kill_when(work, signal.SIGKILL, _logged_past_checkpoint)
    resume_at, before = _latest_checkpoint(work), _history(work)["loss"]
    print(f"killed with steps 1-{before[-1]} in MLflow, resuming at {resume_at}")  # usually 150, at 100
    # Every step up to the checkpoint was flushed before it was written; none twice.
    assert before == list(range(1, before[-1] + 1)) and before[-1] >= resume_at
    assert _status(work) == "RUNNING"  # nothing runs after SIGKILL; never FINISHED

    _finish(work)
    _assert_exactly_once(_history(work), reference)
    assert _status(work) == "FINISHED"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_or_sigterm_marks_the_run_killed_and_resume_logs_every_step_once(tmp_path, reference, sig):
    """Ctrl-C or `kill`: the job flushes what it logged and marks its MLflow run KILLED on the way out; the resumed
    job re-trains the steps after its checkpoint without logging them twice."""
    work = _make_run(tmp_path, "interrupted", "quickstart/mlp", MLP)
    delay = random.uniform(0, 0.3)
    print(f"signal {sig!r} {delay:.2f} s after checkpoint 100")

    def ready(work: Path) -> bool:
        if _latest_checkpoint(work) < 100:
            return False
        time.sleep(delay)  # somewhere after it: in a step, in a flush, in the next checkpoint's write
        return True

    proc = _kill_when(work, sig, ready)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143  # 128 + SIGTERM, as a shell reports a terminated process
    assert _status(work) == "KILLED"
    before = _history(work)
    stopped_at = before["loss"][-1]
    assert before["loss"] == list(range(1, stopped_at + 1)) and stopped_at >= _latest_checkpoint(work) >= 100

    _finish(work)
    _assert_exactly_once(_history(work), reference)
    assert _status(work) == "FINISHED"


def test_a_kill_during_evaluation_keeps_every_training_point(testbed_root, tmp_path):
    """The tiny VLA, 30 steps, then closed-loop evaluation: SIGKILL during the second trial. Training's points are
    in MLflow already; the resumed job only evaluates, logs its results once and finishes."""
    overrides = (
        f"data.root={testbed_root}", "~data.testbed", "data.val_fraction=0.2", "train.batch_size=8",
        "train.log_every=1", "train.checkpoint_every=4", "train.budget.per_run=240", "eval.trials=3",
    )  # fmt: skip
    work = _make_run(tmp_path, "vla", "testbed/tiny", overrides)
    proc = _start(work, stdout=subprocess.PIPE)
    for line in proc.stdout:
        if " eval Panda/lift trial 1/3" in line:
            break
    else:
        raise AssertionError("the job ended before evaluating")
    proc.kill()
    proc.wait(timeout=60)
    training = {k: list(range(1, 31)) for k in ("loss", "lr", "grad_norm", "samples_per_s")}
    # the run's label check (the fraction of normalised labels outside q01..q99, per dim) is one point at step 0
    checks = {k: [0] for k in _history(work) if k.startswith("label_outside_q01_q99/")}
    assert len(checks) == 7  # the Panda's 7 action dims in joint_abs
    assert _history(work) == training | checks
    assert _status(work) == "RUNNING"

    _finish(work)
    history = _history(work)
    evaluated = {k: v for k, v in history.items() if k not in training | checks}
    assert {k: history[k] for k in training | checks} == training | checks
    assert "success/Panda/lift" in evaluated and set(map(tuple, evaluated.values())) == {(30,)}
    assert _status(work) == "FINISHED"
