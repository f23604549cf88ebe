"""The testbed datasets a run needs: one recorded by an older expert is refused with a message saying what to do,
and nothing is generated or deleted."""

from __future__ import annotations

import json

import pytest

from ablate.data.source import DatasetError
from ablate.testbed.experts import EXPERT_VERSION
from ablate.train.data import ensure_testbed


def _config(root) -> dict:
    data = {"root": str(root), "task": "lift", "mixture": {"Panda": 1.0}, "testbed": {"episodes": 2, "seed": 0}}
    return {"data": data, "model": {"images": False}}


def test_a_dataset_from_an_older_expert_is_refused(tmp_path):
    meta = tmp_path / "Panda_lift" / "meta"
    meta.mkdir(parents=True)
    (meta / "testbed.json").write_text(json.dumps({"robot": "Panda", "episodes": 20}))  # before versions: 1
    with pytest.raises(DatasetError, match=rf"expert version 1, not the current {EXPERT_VERSION}: delete it"):
        ensure_testbed(_config(tmp_path), log=lambda *_: None)
    assert sorted(p.name for p in (tmp_path / "Panda_lift").iterdir()) == ["meta"]


def test_a_current_dataset_is_used_as_it_is(tmp_path):
    meta = tmp_path / "Panda_lift" / "meta"
    meta.mkdir(parents=True)
    (meta / "testbed.json").write_text(json.dumps({"expert_version": EXPERT_VERSION}))
    messages = []
    ensure_testbed(_config(tmp_path), log=messages.append)
    assert messages == []  # nothing generated
