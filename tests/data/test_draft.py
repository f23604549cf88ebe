"""`ablate data describe`: a draft description of a researcher's own dataset from its meta/info.json alone, with the
roles guessed from LeRobot's names, every guess marked CHECK, and valid YAML that the description schema reads."""

from __future__ import annotations

import yaml

from ablate.data.draft import draft
from tests.data import user_datasets


def test_an_so100_dataset_with_names_is_drafted_by_name(tmp_path):
    text = draft(user_datasets.so100(tmp_path / "so100_pick"))
    doc = yaml.safe_load(text)
    assert doc["embodiment"] == "so100"
    assert doc["state"] == {"joints": "observation.state[0:5]", "grippers": "observation.state[5]"}
    assert doc["action"] == {"joints": "action[0:5]", "grippers": "action[5]"}
    assert doc["instruction"] == "" and "2 in meta/tasks: 'pick the cube 0', 'pick the cube 1'" in text
    assert "by the names in info.json" in text


def test_a_bimanual_dataset_gets_two_arms_and_two_grippers(tmp_path):
    doc = yaml.safe_load(draft(user_datasets.aloha(tmp_path / "aloha_insert")))
    assert doc["state"]["joints"] == ["observation.state[0:6]", "observation.state[7:13]"]
    assert doc["state"]["grippers"] == ["observation.state[6]", "observation.state[13]"]
    assert doc["action"]["grippers"] == ["action[6]", "action[13]"]


def test_without_names_the_guess_is_marked_and_the_eef_pose_found(tmp_path):
    text = draft(user_datasets.franka_eef(tmp_path / "franka_push"))
    doc = yaml.safe_load(text)
    assert doc["state"] == {
        "joints": "observation.state",
        "grippers": "observation.gripper",
        "eef": "observation.eef_pose",
    }
    assert "CHECK: all 7 values read as joints, the gripper from observation.gripper" in text
    assert doc["action"] == {"joints": "action[0:7]", "grippers": "action[7]"}  # no names: the last value guessed
    assert "CHECK: no per-value names in info.json; guessed the last value is the gripper" in text
