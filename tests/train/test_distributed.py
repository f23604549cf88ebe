"""Data parallelism on the CPU: `ablate train` under torchrun with 2 gloo processes trains on exactly what one
process trains on (each rank takes an equal shard of the same global batch and noise), so it ends with the same
weights, in both modes (`train.parallel`: DDP, and FSDP2 with sharded parameters), and the ledger counts the global
batch once. Both runs have two stages, so the trainable set changes half-way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ablate.jobs.contract import update_state
from tests.train.test_train import _final_weights, _train_args

# 20 steps of 8, two stages of 10, a checkpoint every 5 steps.
COMMON = ("train.budget.per_run=160", "eval.targets=[]", "train.checkpoint_every=5", "stages=two_stage")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m"]


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def one_process(testbed_root, tmp_path_factory) -> dict[str, torch.Tensor]:
    tmp = tmp_path_factory.mktemp("one")
    _run(_train_args(testbed_root, tmp / "run", *COMMON), tmp)
    return _final_weights(tmp / "run")


def _two_processes(testbed_root, work: Path, mode: str) -> str:
    return _run(
        TORCHRUN + _train_args(testbed_root, work, *COMMON, f"train.parallel={mode}")[2:], work.parent
    )  # no `python -m`


@pytest.mark.parametrize("mode", ["ddp", "fsdp"])
def test_two_gloo_processes_match_one_process(testbed_root, tmp_path, one_process, mode):
    work = tmp_path / "two"
    out = _two_processes(testbed_root, work, mode)
    assert "training 20 steps from the start" in out
    assert ("each holds 50% of the" if mode == "fsdp" else "DDP over 2 processes") in out

    got = _final_weights(work)
    assert one_process.keys() == got.keys()
    for name, weight in one_process.items():
        # Not bit-identical: the gradient reduction sums the two half-batch gradients in another order.
        torch.testing.assert_close(got[name], weight, rtol=1e-4, atol=1e-5, msg=name)
    halfway = torch.load(sorted((work / "checkpoints").glob("ckpt-*.pt"))[0], weights_only=False)["model"]
    assert any(not torch.equal(halfway[n], got[n]) for n in got), "the weights did not move: nothing was compared"
    ledger = json.loads((work / "ledger.json").read_text())
    assert [ledger["consumed"][s]["samples"] for s in ("pre", "post")] == [80, 80]
    assert [ledger["consumed"][s]["steps"] for s in ("pre", "post")] == [10, 10]
    state = json.loads((work / "state.json").read_text())
    assert state["status"] == "done"
    assert state["result"]["val_flow_loss"] > 0  # evaluated on the gathered, unsharded weights


def test_fsdp_resumes_from_a_full_checkpoint_mid_stage(testbed_root, tmp_path):
    """Checkpoints hold full weights and optimizer state by name: 2 FSDP processes resumed from the checkpoint at
    step 15 (the second stage) end with the weights of their uninterrupted run."""
    work = tmp_path / "fsdp"
    _two_processes(testbed_root, work, "fsdp")
    uninterrupted = _final_weights(work)
    last = sorted((work / "checkpoints").glob("ckpt-*.pt"))
    assert [p.name for p in last] == ["ckpt-000000015.pt", "ckpt-000000020.pt"]
    last[-1].unlink()  # as if killed after step 15: the last checkpoint never written, the run never done
    update_state(work, status="running")
    assert "resuming at step 15 of 20 (stage post)" in _two_processes(testbed_root, work, "fsdp")
    for name, weight in uninterrupted.items():
        torch.testing.assert_close(_final_weights(work)[name], weight, rtol=0, atol=0, msg=name)
