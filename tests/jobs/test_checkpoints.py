"""A damaged newest checkpoint must not block a resume (issue 14): it is reported and the newest intact one is used."""

from __future__ import annotations

import os
import sys

import pytest
import torch

from ablate.jobs.checkpoints import CheckpointStore, CorruptCheckpoints


def _damage(path, how: str) -> None:
    if how == "zeroed":
        path.write_bytes(b"")
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _store_with_three(tmp_path) -> CheckpointStore:
    store = CheckpointStore(tmp_path / "checkpoints", keep=2)
    for step in (5, 10, 15):
        store.save(step, {"global_step": step, "w": torch.full((64, 64), float(step))})
    assert store.steps() == [10, 15]
    return store


@pytest.mark.parametrize("how", ["truncated", "zeroed"])
def test_latest_falls_back_to_the_newest_intact_checkpoint_and_says_so(tmp_path, capsys, how):
    store = _store_with_three(tmp_path)
    newest, previous = store.dir / "ckpt-000000015.pt", store.dir / "ckpt-000000010.pt"
    _damage(newest, how)
    state = store.latest()
    assert state is not None and state["global_step"] == 10 and torch.equal(state["w"], torch.full((64, 64), 10.0))
    err = capsys.readouterr().err
    assert f"checkpoint {newest} is unreadable" in err and f"resuming from {previous} instead" in err


def test_latest_of_intact_checkpoints_is_quiet(tmp_path, capsys):
    assert _store_with_three(tmp_path).latest()["global_step"] == 15
    assert capsys.readouterr().err == ""


def test_no_readable_checkpoint_at_all_is_an_error_not_a_fresh_start(tmp_path):
    store = _store_with_three(tmp_path)
    for step in store.steps():
        _damage(store.dir / f"ckpt-{step:09d}.pt", "zeroed")
    with pytest.raises(CorruptCheckpoints, match="no readable checkpoint"):
        store.latest()


@pytest.mark.parametrize("how", ["truncated", "zeroed"])
def test_a_run_with_a_damaged_newest_checkpoint_resumes_from_the_previous_one(project, how):
    """End to end: a real `ablate train` run, its newest checkpoint damaged and the run marked not done (a killed
    run is never "done"), the same command again resumes from the previous checkpoint and finishes."""
    import subprocess

    from ablate.jobs.contract import read_state, update_state

    out = project.root / "run"
    cmd = [
        *(sys.executable, "-m", "ablate.cli.main", "train", "quickstart/mlp", "--out", str(out)),
        *("+train.budget={unit: samples, per_run: 640}", "train.checkpoint_every=5"),
    ]

    def train() -> subprocess.CompletedProcess:
        return subprocess.run(cmd, cwd=project.root, capture_output=True, text=True, timeout=300, env=os.environ)

    first = train()
    assert first.returncode == 0, first.stderr
    ckpts = out / "checkpoints"
    assert sorted(p.name for p in ckpts.glob("ckpt-*.pt")) == ["ckpt-000000015.pt", "ckpt-000000020.pt"]
    _damage(ckpts / "ckpt-000000020.pt", how)
    update_state(out, status="running")

    again = train()
    both = again.stdout + again.stderr
    assert again.returncode == 0, both
    assert "Traceback" not in again.stderr
    assert f"checkpoint {ckpts / 'ckpt-000000020.pt'} is unreadable" in again.stderr
    assert f"resuming from {ckpts / 'ckpt-000000015.pt'} instead" in again.stderr
    assert "resuming at step 15 of 20" in again.stdout
    assert read_state(out)["status"] == "done"
    assert CheckpointStore(ckpts).latest()["global_step"] == 20  # the damaged file was written over, intact
