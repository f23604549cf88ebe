"""`ablate train` on the testbed with the tiny VLA: the ledger counts what was consumed, a SIGKILL at a random
step resumes to the very weights of an uninterrupted run, and `ablate eval` replays the closed loop."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from ablate import api
from tests.conftest import REPO


def _train_args(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "ablate.cli.main", "train", "testbed/tiny", "--out", str(out),
        f"data.root={root}", "~data.testbed", "~data.mixture", "+data.mixture={Panda: 1.0, UR5e: 1.0}",
        "data.val_fraction=0.2", "train.checkpoint_every=4", "train.batch_size=8", *extra,
    ]  # fmt: skip


def _final_weights(work: Path) -> dict[str, torch.Tensor]:
    last = sorted((work / "checkpoints").glob("ckpt-*.pt"))[-1]
    return torch.load(last, weights_only=False)["model"]


def test_sigkill_at_a_random_step_then_resume_gives_the_uninterrupted_weights(testbed_root, tmp_path):
    common = ("train.budget.per_run=480", "eval.targets=[]", "stages=two_stage")  # 60 steps, two stages
    ref = subprocess.run(
        _train_args(testbed_root, tmp_path / "ref", *common), capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert ref.returncode == 0, ref.stderr[-2000:]

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _train_args(testbed_root, killed, *common), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    kill_after = random.randint(1, 10)  # checkpoints, of 15 (every 4 steps)
    print(f"killing after {kill_after} checkpoints")
    deadline = time.monotonic() + 300
    while len(list((killed / "checkpoints").glob("ckpt-*.pt"))) < min(kill_after, 2) or _step(killed) < 4 * kill_after:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    resumed = subprocess.run(
        _train_args(testbed_root, killed, *common), capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected, got = _final_weights(tmp_path / "ref"), _final_weights(killed)
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0, msg=name)

    ledger = json.loads((killed / "ledger.json").read_text())
    for stage in ("pre", "post"):
        consumed = ledger["consumed"][stage]
        assert consumed["samples"] == ledger["planned"][stage]["planned"] == 240  # no step counted twice
        assert sum(consumed["by_embodiment"].values()) == 240
        assert set(consumed["by_embodiment"]) == {"Panda_lift", "UR5e_lift"}


def _step(work: Path) -> int:
    try:
        return json.loads((work / "state.json").read_text()).get("step", 0)
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def test_a_run_evaluates_in_closed_loop_and_eval_replays_it(testbed_root, tmp_path):
    """...from its checkpoint alone: the training data is deleted before the replay (its statistics travel in the
    checkpoint), through the CLI and through the Python API."""
    data = tmp_path / "data"
    for robot in ("Panda", "UR5e"):
        shutil.copytree(testbed_root / f"{robot}_lift", data / f"{robot}_lift")
    out = tmp_path / "run"
    done = subprocess.run(
        _train_args(data, out, "train.budget.per_run=80", "eval.trials=2"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    trials = pd.read_parquet(out / "trials.parquet")
    assert list(trials[["embodiment", "task", "trial"]].itertuples(index=False, name=None)) == [
        ("Panda", "lift", 0), ("Panda", "lift", 1)]  # fmt: skip
    assert set(trials["success"]) <= {0, 1} and trials["progress"].between(0, 1).all()
    state = json.loads((out / "state.json").read_text())
    assert state["result"]["success/Panda/lift"] == trials["success"].mean()
    assert "val_flow_loss" in state["result"]

    shutil.rmtree(data)
    table = tmp_path / "again.csv"
    again = subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "eval", str(out), "--targets", "Panda/lift", "--trials", "2",
         "--out", str(table)], capture_output=True, text=True, cwd=tmp_path, timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    replay = pd.read_csv(table)
    # Same checkpoint, same seeds: the same episodes with the same outcomes.
    assert replay[["episode_seed", "success", "steps"]].equals(trials[["episode_seed", "success", "steps"]])
    replayed = api.evaluate(out, targets=[("Panda", "lift")], trials=2)
    assert replayed.table[["episode_seed", "success", "steps"]].equals(trials[["episode_seed", "success", "steps"]])
    assert replayed.summary["success"].to_dict() == {("Panda", "lift"): trials["success"].mean()}


def test_bad_recipe_or_override_exits_2_and_writes_nothing(tmp_path):
    for args in (["train", "testbed/nope"], ["train", "testbed/tiny", "model.backbone.famly=x", "--out", "x"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ablate.cli.main", *args], capture_output=True, text=True, cwd=tmp_path, timeout=120
        )
        assert proc.returncode == 2, proc.stderr
        assert "error:" in proc.stderr and "recipes" in proc.stderr
    assert not (tmp_path / "x").exists() and not (REPO / "runs").exists()
    # Values the typed run config refuses before anything is written (before: tracebacks, and a ZeroDivisionError
    # that left a half-written run dir blocking the corrected command).
    for override, words in (
        ("optim.lr=abc", "optim.lr: Input should be a valid number"),
        ("data.action_frame=bogus", "data.action_frame: Input should be 'joint_abs'"),
        ("train.checkpoint_every=0", "train.checkpoint_every: Input should be greater than 0"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "ablate.cli.main", "train", "testbed/tiny", override, "--out", "y"],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert not (tmp_path / "y").exists()


def test_a_short_run_learns_something(testbed_root, tmp_path):
    """600 steps of 16 on 4 + 4 demonstrations: on held-out episodes the sampled chunks are clearly closer to the
    demonstrations than always predicting the mean (0.66× here), and the flow loss is far below its untrained
    value (≈ 2.9). Closed-loop success is the quickstart's measure; a few episodes here would be noise."""
    work = tmp_path / "learn"
    args = [a if a != "train.batch_size=8" else "train.batch_size=16" for a in _train_args(testbed_root, work)]
    done = subprocess.run(
        [*args, "train.budget.per_run=9600", "eval.targets=[]", "optim.lr=0.003", "train.checkpoint_every=200"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((work / "state.json").read_text())["result"]
    assert result["val_action_l1"] < 0.8 * result["val_action_l1_predict_mean"], result
    assert result["val_flow_loss"] < 1.5, result
