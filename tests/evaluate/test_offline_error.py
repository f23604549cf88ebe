"""Offline error in the robot's units: zero for the demonstration itself, the offset for a shifted one, and the
same EEF error for a joint-frame and an EEF-frame reading of the same absolute prediction."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ablate.data.frames import Frame, to_labels
from ablate.data.source import EmbodimentSource, SourceConfig
from ablate.evaluate.offline_error import _chunk_errors, _kinematics
from tests.conftest import REPO
from tests.data import user_datasets

DESCRIPTION = (
    "embodiment: so100\n"
    "state: {joints: 'observation.state[0:5]', grippers: 'observation.state[5]'}\n"
    "action: {joints: 'action[0:5]', grippers: 'action[5]'}\n"
)


@pytest.fixture(scope="module")
def so100(tmp_path_factory):
    root = tmp_path_factory.mktemp("mine")
    user_datasets.so100(root / "so100_pick")
    (root / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, root / "embodiments" / name)
    (root / "so100_pick.ablate.yaml").write_text(DESCRIPTION)
    return root / "so100_pick"


def _source(path, frame: str) -> EmbodimentSource:
    return EmbodimentSource(SourceConfig(path, Frame(frame), horizon=4, split="all"))


@pytest.mark.parametrize("frame", ["joint_abs", "joint_delta", "eef_rel", "world_delta"])
def test_the_demonstration_itself_has_no_error(so100, frame):
    source = _source(so100, frame)
    errors = _chunk_errors(source, source.cfg.frame, _kinematics(source), 3, source.sample(3)["actions"])
    assert set(errors) >= {"gripper_error", "eef_position_error_m", "eef_rotation_error_rad"}
    assert ("joint_error_rad" in errors) == frame.startswith("joint")
    for name, value in errors.items():
        assert value == pytest.approx(0.0, abs=1e-6), name


def test_a_joint_offset_is_measured_in_radians_and_through_kinematics_in_metres(so100):
    joint, eef = _source(so100, "joint_abs"), _source(so100, "eef_rel")
    i, offset = 2, 0.05
    labels = joint.sample(i)["actions"].astype(np.float64)
    labels[:, :5] += offset  # every joint target 0.05 rad off
    errors = _chunk_errors(joint, joint.cfg.frame, _kinematics(joint), i, labels)
    assert errors["joint_error_rad"] == pytest.approx(offset)
    assert errors["gripper_error"] == pytest.approx(0.0, abs=1e-9)
    # the same absolute prediction, read by an EEF-frame run: its labels are the FK poses of those joints
    fk = _kinematics(joint)
    t = int(joint.starts[i])
    poses = fk(labels[:, :5])
    eef_labels = to_labels(eef.cfg.frame, eef.current[t], poses, labels[:, 5:])
    same = _chunk_errors(eef, eef.cfg.frame, None, i, eef_labels)
    assert same["eef_position_error_m"] == pytest.approx(errors["eef_position_error_m"], abs=1e-9)
    assert same["eef_rotation_error_rad"] == pytest.approx(errors["eef_rotation_error_rad"], abs=1e-7)
    assert errors["eef_position_error_m"] > 0
