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


def test_study_keys_name_the_datasets_a_run_reads(tmp_path):
    from ablate.train.data import all_dataset_keys, dataset_path, mixture_of

    config = _config(tmp_path)
    config["data"] |= {"mixture": {"target": 1.0, "Panda": 1.0}, "target": "IIWA"}
    config["stages"] = {"post": {"mixture": {"target": 1.0}}}
    config["eval"] = {"targets": [{"robot": "IIWA", "task": "lift"}, {"robot": "IIWA", "task": "stack"}]}
    # `target` is data.target; another task's dataset is `Robot_task`, generated like the run's own task.
    assert all_dataset_keys(config) == ["IIWA", "Panda", "IIWA_stack"]
    assert dataset_path(config["data"], "target") == tmp_path / "IIWA_lift"
    assert mixture_of(config["data"])[1] == {"IIWA_lift": 1.0, "Panda_lift": 1.0}

    twice = config["data"] | {"mixture": {"target": 1.0, "IIWA": 1.0}}
    with pytest.raises(DatasetError, match="names dataset\\(s\\) IIWA_lift twice"):
        mixture_of(twice)
    without = config["data"] | {"target": None}
    with pytest.raises(DatasetError, match=r"data\.target \(the target robot\) is not set"):
        mixture_of(without)


def test_a_missing_other_task_dataset_is_generated(tmp_path):
    config = _config(tmp_path)
    config["data"]["mixture"] = {"Panda_stack": 1.0}
    config["data"]["testbed"]["episodes"] = 1
    messages = []
    ensure_testbed(config, log=messages.append)
    assert (tmp_path / "Panda_stack" / "meta" / "info.json").is_file()
    assert messages[0] == "generating testbed dataset Panda_stack (1 episodes)…"
