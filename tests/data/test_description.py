"""Dataset descriptions read as a user writes them: type mistakes, an old flat file with a typo'd layout or without
the optional features, widths that do not fit the embodiment — each an InputError naming the file and the key at
plan time (`check_dataset`), never a traceback or a later failure in a job."""

from __future__ import annotations

import json

import pytest
import yaml

from ablate.data.checks import check_dataset
from ablate.data.description import DatasetDescription
from ablate.errors import InputError
from tests.data import user_datasets
from tests.data.small_dataset import write_small_dataset


@pytest.fixture(scope="module")
def so100(tmp_path_factory):
    root = user_datasets.so100(tmp_path_factory.mktemp("mine") / "so100_pick")
    (root.parent / "embodiments").mkdir()
    from tests.conftest import REPO

    for name in ("so100.yaml", "so100.urdf"):
        (root.parent / "embodiments" / name).write_bytes((REPO / "tests" / "data" / "robots" / name).read_bytes())
    return root


def _describe(root, **doc):
    path = root.parent / f"{root.name}.ablate.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _refused(root) -> str:
    with pytest.raises(InputError) as e:
        check_dataset(root, rows=False)
    return str(e.value)


GOOD = {
    "embodiment": "so100",
    "state": {"joints": "observation.state[0:5]", "grippers": "observation.state[5]"},
    "action": {"joints": "action[0:5]", "grippers": "action[5]"},
}


def test_a_good_description_beside_the_dataset_is_found_with_its_embodiment_beside_it(so100):
    _describe(so100, **GOOD)
    found = check_dataset(so100, rows=False)
    assert found.state.joints == ["observation.state[0:5]"] and found.embodiment.endswith("embodiments/so100.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"state": {"joints": 5, "grippers": []}}, "state.joints: Value error, expected a feature reference"),
        ({"state": {"joints": ["observation.state[0:5]"], "grippers": None}}, "state.grippers: Value error"),
        (
            {"state": {"joints": "observation.state[0:4]", "grippers": "observation.state[5]"}},
            "state.joints (observation.state[0:4]) holds 4 values, expected 5",
        ),
        ({"action": {"joints": "action[0:5]", "grippers": []}}, "action.grippers () holds 0 values, expected 1"),
    ],
)
def test_a_description_that_does_not_fit_is_refused_at_its_key(so100, change, message):
    path = _describe(so100, **(GOOD | change))
    assert f"{path}:" in _refused(so100) and message in _refused(so100)


def test_an_old_flat_file_with_a_typo_in_its_layout_is_refused(tmp_path):
    root = write_small_dataset(tmp_path / "Panda_lift")
    path = root / "meta" / "ablate.json"
    flat = {
        "embodiment": "Panda",
        "fps": 10,
        "joint_state": "observation.joint_pos",
        "gripper_state": "observation.gripper_qpos",
        "action": "action",
        "action_layout": "joint_gripper",
    }
    path.write_text(json.dumps(flat))
    assert "action_layout: 'joint_gripper' (did you mean 'joints_gripper'?)" in _refused(root)
    # without the optional features it names none: it trains in joint frames as before
    path.write_text(json.dumps(flat | {"action_layout": "joints_gripper"}))
    found = check_dataset(root, rows=False)
    assert found.state.eef is None and found.environment_state is None and found.action.grippers == ["action[7]"]
    assert isinstance(found, DatasetDescription)
