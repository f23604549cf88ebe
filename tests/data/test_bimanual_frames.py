"""EEF frames for a rig with two arms: one pose per arm, each arm's label in its own frame, the grippers absolute."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ablate.data.frames import Frame, to_labels, to_targets
from ablate.data.source import EmbodimentSource, SourceConfig
from tests.conftest import REPO
from tests.data import user_datasets

EEF_FRAMES = ("world_rel", "world_delta", "eef_rel", "eef_delta")


def _poses(rng, n: int) -> np.ndarray:
    return np.concatenate([rng.normal(0, 0.3, (n, 3)), Rotation.random(n, random_state=rng).as_quat()], axis=1)


@pytest.mark.parametrize("name", EEF_FRAMES)
@pytest.mark.parametrize("rotation", ["axis_angle", "quaternion", "rot6d"])
def test_two_arms_round_trip_and_each_arm_is_labelled_alone(name, rotation):
    rng = np.random.default_rng(0)
    frame = Frame(name, rotation)
    current = np.r_[_poses(rng, 1)[0], _poses(rng, 1)[0]]
    targets = np.concatenate([_poses(rng, 5), _poses(rng, 5)], axis=1)
    grippers = rng.uniform(-1, 1, (5, 2))
    labels = to_labels(frame, current, targets, grippers)
    d = frame.pose_dim
    assert labels.shape == (5, frame.arm_dim(6, arms=2) + 2) == (5, 2 * d + 2)
    for arm in range(2):  # the same labels as that arm alone: the arms do not mix
        alone = to_labels(frame, current[7 * arm : 7 * arm + 7], targets[:, 7 * arm : 7 * arm + 7], grippers[:, :0])
        np.testing.assert_allclose(labels[:, d * arm : d * arm + d], alone, atol=1e-12)
    np.testing.assert_array_equal(labels[:, 2 * d :], grippers)  # absolute
    back, gripper = to_targets(frame, current, labels, gripper_dims=2)
    for arm in range(2):
        block = slice(7 * arm, 7 * arm + 7)
        np.testing.assert_allclose(back[:, block][:, :3], targets[:, block][:, :3], atol=1e-9)
        same = Rotation.from_quat(back[:, block][:, 3:]) * Rotation.from_quat(targets[:, block][:, 3:]).inv()
        assert np.abs(same.magnitude()).max() < 1e-9
    np.testing.assert_array_equal(gripper, grippers)


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    root = tmp_path_factory.mktemp("mine")
    user_datasets.bimanual(root / "bimanual_fold")
    (root / "embodiments").mkdir()
    for name in ("bimanual.yaml", "three_joint.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, root / "embodiments" / name)
    (root / "bimanual_fold.ablate.yaml").write_text(
        "embodiment: bimanual\n"
        "state: {joints: ['observation.state[0:3]', 'observation.state[3:6]'],"
        " grippers: ['observation.state[6:8]', 'observation.state[8]']}\n"
        "action: {joints: ['action[0:3]', 'action[3:6]'], grippers: ['action[6]', 'action[7]']}\n"
    )
    return root


def test_a_bimanual_rig_with_kinematics_gives_each_arm_its_eef_label_and_absolute_grippers(rig):
    source = EmbodimentSource(SourceConfig(rig / "bimanual_fold", Frame("eef_rel"), horizon=4, split="all"))
    assert source.action_dim == 2 * 6 + 2
    sample = source.sample(6)
    assert sample["actions"].shape == (4, 14)
    steps, _ = source.chunk_steps(6)
    np.testing.assert_allclose(sample["actions"][:, 12:], source.robot.gripper_commands[steps], atol=1e-6)
    assert not np.allclose(sample["actions"][:, :6], sample["actions"][:, 6:12])  # two arms, two labels


def test_ablate_data_check_supports_eef_frames_for_the_rig_and_trains_in_one(project, rig):
    check = project.cli("data", "check", rig / "bimanual_fold", "--frame", "eef_delta")
    assert check.code == 0, check.stdout + check.stderr
    assert "  eef_delta    yes" in check.stdout
    out = project.root / "r"
    done = project.cli(
        "train", "lerobot/tiny", "--out", out, f"data.root={rig}", "data.mixture={bimanual_fold: 1.0}",
        "data.action_frame=eef_delta", "train.batch_size=8", "train.budget={unit: samples, per_run: 16}",
    )  # fmt: skip
    assert done.code == 0, done.stdout + done.stderr[-2000:]
    assert "offline error on bimanual_fold" in done.stdout and "EEF position error (m)" in done.stdout
