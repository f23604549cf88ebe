"""FSDP2 sharding of the policy itself (`ablate.train.parallel.shard_fully`), for every backbone family with
camera images (the vision tower is its own group): 2 gloo processes on the same batch take the optimizer steps
one process takes, and the gathered full state dict is keyed like the unsharded model's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ablate.config.vla import FAMILIES
from tests.conftest import REPO
from tests.model.test_policy import _batch, _policy

STEPS = 2


def _train(policy, *, sharded: bool) -> None:
    from ablate.train.parallel import shard_fully

    params = policy.set_trainable("all")
    if sharded:
        shard_fully(policy)
        params = [p for p in policy.parameters() if p.requires_grad]
    # SGD, not Adam: Adam would blow up rounding noise in gradients that are zero in exact arithmetic (key biases).
    optimizer = torch.optim.SGD(params, lr=0.1)
    batch = _batch(policy, images=True)
    for step in range(STEPS):
        policy(batch, torch.Generator().manual_seed(step)).backward()
        optimizer.step()
        optimizer.zero_grad()


@pytest.mark.parametrize("family", FAMILIES)
def test_fsdp_over_two_processes_takes_the_steps_of_one(family, tmp_path):
    out = tmp_path / "sharded.pt"
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", __file__]
    env = os.environ | {"PYTHONPATH": str(REPO)}  # torchrun runs this file as a script: let it import `tests`
    done = subprocess.run([*run, family, str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]

    reference = _policy(family, images=True)
    before = {k: v.clone() for k, v in reference.state_dict().items()}
    _train(reference, sharded=False)
    expected, got = reference.state_dict(), torch.load(out)
    assert expected.keys() == got.keys()
    for name, weight in expected.items():
        torch.testing.assert_close(got[name], weight, rtol=1e-4, atol=1e-6, msg=name)
    moved = [n for n in expected if not torch.equal(before[n], expected[n])]
    assert any("vision" in n or "visual" in n for n in moved), "the vision tower did not train: nothing compared"


def _worker(family: str, out: Path) -> None:
    import torch.distributed as dist

    from ablate.train.parallel import model_state

    dist.init_process_group("gloo")
    policy = _policy(family, images=True)
    _train(policy, sharded=True)
    state = model_state(policy)  # a collective: every rank gathers
    if dist.get_rank() == 0:
        torch.save(state, out)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    _worker(sys.argv[1], Path(sys.argv[2]))
