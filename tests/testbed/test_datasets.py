"""The testbed datasets a run needs: one recorded by an older expert is refused with a message saying what to do,
and nothing is generated or deleted; a missing one is generated."""

from __future__ import annotations

import json

import pytest

from ablate.config import VlaConfig
from ablate.data.source import DatasetError
from ablate.testbed.datasets import ensure_testbed
from ablate.testbed.experts import EXPERT_VERSION


def vla_config(root, episodes: int = 2, **data) -> VlaConfig:
    """A minimal typed VLA run config over testbed datasets in `root` (tests build others from it)."""
    return VlaConfig.model_validate(
        {
            "job": "vla",
            "data": {
                "root": str(root),
                "task": "lift",
                "mixture": {"Panda": 1.0},
                "action_frame": "eef_rel",
                "testbed": {"episodes": episodes, "seed": 0},
            }
            | data,
            "model": {"backbone": {"family": "idefics3"}},
            "optim": {"lr": 1e-3},
            "train": {"batch_size": 8},
        }
    )


def test_a_dataset_from_an_older_expert_is_refused(tmp_path):
    meta = tmp_path / "Panda_lift" / "meta"
    meta.mkdir(parents=True)
    (meta / "testbed.json").write_text(json.dumps({"robot": "Panda", "episodes": 20}))  # before versions: 1
    with pytest.raises(DatasetError, match=rf"expert version 1, not the current {EXPERT_VERSION}: delete it"):
        ensure_testbed(vla_config(tmp_path), log=lambda *_: None)
    assert sorted(p.name for p in (tmp_path / "Panda_lift").iterdir()) == ["meta"]


def test_a_current_dataset_is_used_as_it_is(tmp_path):
    meta = tmp_path / "Panda_lift" / "meta"
    meta.mkdir(parents=True)
    (meta / "testbed.json").write_text(json.dumps({"expert_version": EXPERT_VERSION}))
    messages = []
    ensure_testbed(vla_config(tmp_path), log=messages.append)
    assert messages == []  # nothing generated


def test_a_missing_other_task_dataset_is_generated(tmp_path):
    messages = []
    ensure_testbed(vla_config(tmp_path, episodes=1, mixture={"Panda_stack": 1.0}), log=messages.append)
    assert (tmp_path / "Panda_stack" / "meta" / "info.json").is_file()
    assert messages[0] == "generating testbed dataset Panda_stack (1 episodes)…"
