"""`ablate eval` on a damaged checkpoint: exit 2 naming the file and what is wrong. Before, an emptied file was
torch's EOFError, which click reads as Ctrl-C: exit 130 with a blank stderr."""

from __future__ import annotations

import pytest

BUDGET = "+train.budget={unit:samples,per_run:320}"


@pytest.mark.parametrize(("cut", "why"), [(0, "empty file (0 bytes)"), (40, "cannot be read as a checkpoint")])
def test_eval_on_a_damaged_checkpoint_is_exit_2_naming_it(project, cut, why):
    trained = project.cli("train", "quickstart/mlp", "--out", "run", BUDGET)
    assert trained.code == 0, trained.stderr
    last = sorted((project.root / "run" / "checkpoints").glob("ckpt-*.pt"))[-1]
    last.write_bytes(last.read_bytes()[:cut])
    done = project.cli("eval", last, "--targets", "Panda/lift")
    assert done.code == 2, done.stdout + done.stderr
    assert f"error: {last}: {why}" in done.stderr and "Traceback" not in done.stderr
