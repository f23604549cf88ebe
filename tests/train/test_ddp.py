"""DDP on the CPU: `ablate train` under torchrun with 2 gloo processes trains on exactly what one process trains
on (each rank takes an equal shard of the same global batch and noise), so it ends with the same weights, and
the ledger counts the global batch once."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from tests.train.test_train import _final_weights, _train_args

COMMON = ("train.budget.per_run=160", "eval.targets=[]", "train.checkpoint_every=10")  # 20 steps of 8


def test_two_gloo_processes_match_one_process(testbed_root, tmp_path):
    one = subprocess.run(
        _train_args(testbed_root, tmp_path / "one", *COMMON), capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert one.returncode == 0, one.stderr[-2000:]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m"]
    two = subprocess.run(
        torchrun + _train_args(testbed_root, tmp_path / "two", *COMMON)[2:],  # drop `python -m`
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert two.returncode == 0, two.stderr[-3000:]

    expected, got = _final_weights(tmp_path / "one"), _final_weights(tmp_path / "two")
    assert expected.keys() == got.keys()
    for name, weight in expected.items():
        # Not bit-identical: the all-reduce sums the two half-batch gradients in another order.
        torch.testing.assert_close(got[name], weight, rtol=1e-4, atol=1e-5, msg=name)
    halfway = torch.load(sorted((tmp_path / "two" / "checkpoints").glob("ckpt-*.pt"))[0], weights_only=False)["model"]
    assert any(not torch.equal(halfway[n], got[n]) for n in got), "the weights did not move: nothing was compared"
    ledger = json.loads((tmp_path / "two" / "ledger.json").read_text())
    consumed = ledger["consumed"]["main"]
    assert consumed["samples"] == 160 and consumed["steps"] == 20
    state = json.loads((tmp_path / "two" / "state.json").read_text())
    assert state["status"] == "done"
