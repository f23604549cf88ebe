"""EEF frames for a rig with two arms: one pose per arm, each arm's label in its own frame, the grippers absolute."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ablate.data.embodiment_file import load_embodiment_file
from ablate.data.frames import FRAMES, Frame, to_labels, to_targets
from ablate.data.kinematics import ForwardKinematics
from ablate.data.source import EmbodimentSource, SourceConfig
from ablate.data.support import eef_source
from ablate.errors import InputError
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
    """The bimanual rig (a URDF per arm) with two datasets: joints only, and joints with both arms' EEF poses
    recorded (those forward kinematics gives, stored as float32)."""
    root = tmp_path_factory.mktemp("mine")
    (root / "embodiments").mkdir()
    for name in ("bimanual.yaml", "three_joint.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, root / "embodiments" / name)
    user_datasets.bimanual(root / "bimanual_fold")
    fk = ForwardKinematics(load_embodiment_file(root / "embodiments" / "bimanual.yaml"))
    user_datasets.bimanual(root / "bimanual_eef", poses=lambda q: fk(q)[0])
    joints = (
        "embodiment: bimanual\n"
        "state: {joints: ['observation.state[0:3]', 'observation.state[3:6]'],"
        " grippers: ['observation.state[6:8]', 'observation.state[8]']%s}\n"
        "action: {joints: ['action[0:3]', 'action[3:6]'], grippers: ['action[6]', 'action[7]']%s}\n"
    )
    (root / "bimanual_fold.ablate.yaml").write_text(joints % ("", ""))
    eef = ", eef: ['observation.left_eef', 'observation.right_eef']", ", eef: ['action.eef']"
    (root / "bimanual_eef.ablate.yaml").write_text(joints % eef)
    return root


def test_a_bimanual_rig_with_kinematics_gives_each_arm_its_eef_label_and_absolute_grippers(rig):
    for name in FRAMES:  # the grippers stay absolute in every frame, joint frames too
        source = EmbodimentSource(SourceConfig(rig / "bimanual_fold", Frame(name), horizon=4, split="all"))
        assert source.action_dim == (6 if name.startswith("joint") else 2 * 6) + 2
        sample = source.sample(6)
        assert sample["actions"].shape == (4, source.action_dim)
        steps, _ = source.chunk_steps(6)
        np.testing.assert_array_equal(sample["actions"][:, -2:], source.robot.gripper_commands[steps])
        if name == "eef_rel":
            assert not np.allclose(sample["actions"][:, :6], sample["actions"][:, 6:12])  # two arms, two labels


@pytest.mark.parametrize("name", EEF_FRAMES)
def test_recorded_poses_of_two_arms_give_the_labels_of_forward_kinematics(rig, name):
    # Both arms' poses recorded (7 values each, in two features for the current pose and one for the targets) are
    # read in arm order: their labels are those of forward kinematics of the joints, to what float32 storage of
    # the poses holds (measured: at most 1e-7).
    config = SourceConfig(rig / "bimanual_eef", Frame(name), horizon=4, split="all")
    recorded, computed = EmbodimentSource(config), EmbodimentSource(replace(config, joint_only=True))
    assert eef_source(recorded.description, recorded.embodiment) == "recorded"
    assert recorded.current.shape[1] == recorded.target.shape[1] == 14
    for i in range(len(recorded)):
        np.testing.assert_allclose(recorded.sample(i)["actions"], computed.sample(i)["actions"], atol=1e-5)


def test_one_recorded_pose_for_two_arms_is_refused_naming_the_reference(rig, tmp_path):
    shutil.copytree(rig, tmp_path, dirs_exist_ok=True)
    text = (tmp_path / "bimanual_eef.ablate.yaml").read_text()
    (tmp_path / "bimanual_eef.ablate.yaml").write_text(text.replace(", 'observation.right_eef'", ""))
    with pytest.raises(
        InputError, match=r"state\.eef \(observation\.left_eef\) holds 7 values, expected 14: 7 per arm"
    ):
        EmbodimentSource(SourceConfig(tmp_path / "bimanual_eef", Frame("eef_rel"), split="all"))


def test_ablate_data_check_supports_eef_frames_for_the_rig_and_trains_in_one(project, rig):
    for dataset in ("bimanual_fold", "bimanual_eef"):  # EEF poses by kinematics, or recorded
        check = project.cli("data", "check", rig / dataset, "--frame", "eef_rel")
        assert check.code == 0, check.stdout + check.stderr
        assert all(f"  {frame:<13}yes" in check.stdout for frame in FRAMES), check.stdout
    out = project.root / "r"
    done = project.cli(
        "train", "lerobot/tiny", "--out", out, f"data.root={rig}", "data.mixture={bimanual_fold: 1.0}",
        "data.action_frame=eef_delta", "train.batch_size=8", "train.budget={unit: samples, per_run: 16}",
    )  # fmt: skip
    assert done.code == 0, done.stdout + done.stderr[-2000:]
    assert "offline error on bimanual_fold" in done.stdout and "EEF position error (m)" in done.stdout


def test_poses_not_of_7_values_per_arm_and_labels_of_the_wrong_width_are_refused():
    frame, rng = Frame("eef_rel"), np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"7 values per arm .* got 6"):
        to_labels(frame, np.zeros(6), np.zeros((3, 6)), np.zeros((3, 0)))
    current = np.r_[_poses(rng, 1)[0], _poses(rng, 1)[0]]
    with pytest.raises(ValueError, match=r"2 arm\(s\) in eef_rel take 12 label values, got 6"):
        to_targets(frame, current, np.zeros((3, 8)), gripper_dims=2)
