"""Forward kinematics from the robots' models reproduces the simulator's EEF site poses exactly (robosuite's MJCF
models), and a hand computation (a small URDF and MJCF arm in tests/data/robots)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ablate.data.embodiments import embodiment
from ablate.data.kinematics import ForwardKinematics
from ablate.errors import InputError
from ablate.testbed.env import TestbedEnv

TESTBED_BASE = (-0.56, 0.0, 0.912)  # where the testbed scenes put the robot base


@pytest.mark.parametrize("robot", ["Panda", "UR5e", "Kinova3", "IIWA"])
def test_fk_of_recorded_joints_is_the_recorded_eef_pose(robot):
    env = TestbedEnv(robot, "lift")
    fk = ForwardKinematics(embodiment(robot), TESTBED_BASE)
    rng = np.random.default_rng(0)
    joints, poses = [], []
    try:
        obs = env.reset(3)
        for _ in range(40):  # wander with random OSC commands to reach varied configurations
            obs = env.step(np.r_[rng.uniform(-1, 1, 6), 0.0])
            joints.append(obs.joint_pos)
            poses.append(obs.eef_pose)
    finally:
        env.close()
    predicted, recorded = fk(np.array(joints)), np.array(poses)
    np.testing.assert_allclose(predicted[:, :3], recorded[:, :3], atol=1e-6)
    angle = (Rotation.from_quat(predicted[:, 3:]).inv() * Rotation.from_quat(recorded[:, 3:])).magnitude()
    assert angle.max() < 1e-5  # the models' quaternions are written with 6 digits
    assert np.ptp(recorded[:, :3], axis=0).max() > 0.05  # the arm really moved


ROBOTS = Path(__file__).with_name("robots")  # three_joint.urdf / .xml and their embodiment files


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _by_hand(yaw: float, pitch: float, elbow: float, base_position=(0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """three_joint.yaml's tool pose: yaw about z at 0.125, pitch about y 0.25 above it, a 0.5 upper arm, the
    elbow about y, the tool link 0.25 further and the tool point 0.125 beyond it turned 90° about z; the base at
    (1, -0.5, 0) turned 180° about z, the robot at `base_position`."""
    forearm = 0.25 + 0.125
    in_base = _rz(yaw) @ np.array(
        [
            0.5 * np.cos(pitch) + forearm * np.cos(pitch + elbow),
            0.0,
            0.375 - 0.5 * np.sin(pitch) - forearm * np.sin(pitch + elbow),
        ]
    )
    rotation = _rz(np.pi) @ _rz(yaw) @ _ry(pitch + elbow) @ _rz(np.pi / 2)
    return np.add(base_position, [1.0, -0.5, 0.0]) + _rz(np.pi) @ in_base, rotation


JOINTS = np.array([[0.0, 0.0, 0.0], [0.3, -0.4, 0.7], [-2.0, 1.1, -0.6], [np.pi, np.pi / 2, -np.pi / 3]])


@pytest.mark.parametrize("robot", ["three_joint", "three_joint_mjcf"])  # the URDF and the MJCF model
def test_fk_from_a_model_file_is_the_hand_computation(robot):
    fk = ForwardKinematics(embodiment(ROBOTS / f"{robot}.yaml"), (0.25, 0.5, 0.75))
    poses = fk(JOINTS)
    assert poses.shape == (len(JOINTS), 7) and (poses[:, 6] >= 0).all()
    for q, pose in zip(JOINTS, poses, strict=True):
        position, rotation = _by_hand(*q, base_position=(0.25, 0.5, 0.75))
        np.testing.assert_allclose(pose[:3], position, atol=1e-9)
        np.testing.assert_allclose(Rotation.from_quat(pose[3:]).as_matrix(), rotation, atol=1e-9)


def test_a_bimanual_rig_gives_each_arm_its_pose():
    e = embodiment(ROBOTS / "bimanual.yaml")
    fk = ForwardKinematics(e)
    left, right = JOINTS, JOINTS[::-1]
    poses = fk(np.concatenate([left, right], axis=1))
    assert poses.shape == (len(JOINTS), 14)
    # Each arm is the three_joint arm (no tool offset) at its own base: left at y = +0.4, right at y = -0.4 and
    # turned to face it. Compare with the single arm's pose moved to each base.
    single = ForwardKinematics(e.model_copy(update={"arms": e.arms[:1]}))
    for side, q, (shift, turn) in (("left", left, (0.4, 0.0)), ("right", right, (-0.4, np.pi))):
        pose = poses[:, :7] if side == "left" else poses[:, 7:]
        alone = single(q)
        expected = np.add((_rz(turn) @ (alone[:, :3] - [0.0, 0.4, 0.0]).T).T, [0.0, shift, 0.0])
        np.testing.assert_allclose(pose[:, :3], expected, atol=1e-12)
        turned = Rotation.from_matrix(_rz(turn)) * Rotation.from_quat(alone[:, 3:])
        np.testing.assert_allclose(Rotation.from_quat(pose[:, 3:]).as_matrix(), turned.as_matrix(), atol=1e-12)


def _edited(tmp_path, replacements: dict[str, str]) -> Path:
    """three_joint.yaml copied to tmp_path with some text replaced (its URDF then named by absolute path)."""
    text = (ROBOTS / "three_joint.yaml").read_text()
    for old, new in {"urdf: three_joint.urdf": f"urdf: {ROBOTS / 'three_joint.urdf'}", **replacements}.items():
        assert old in text
        text = text.replace(old, new)
    (tmp_path / "edited.yaml").write_text(text)
    return tmp_path / "edited.yaml"


def test_the_arms_joint_order_is_mapped_onto_the_chains(tmp_path):
    """A dataset that lists the joints in another order than the model moves them: the names decide."""
    swapped = ForwardKinematics(embodiment(_edited(tmp_path, {"[yaw, pitch, elbow]": "[elbow, yaw, pitch]"})))
    original = ForwardKinematics(embodiment(ROBOTS / "three_joint.yaml"))
    np.testing.assert_allclose(swapped(JOINTS[:, [2, 0, 1]]), original(JOINTS), atol=1e-12)


def test_an_embodiment_without_a_model_is_refused(tmp_path):
    path = tmp_path / "no_model.yaml"
    path.write_text("name: no_model\narms: [{name: left, joints: [a, b]}]\neef_convention: base frame\n")
    with pytest.raises(InputError, match=rf"{path}: arms\[0\]\.kinematics: arm 'left' has no kinematics") as e:
        ForwardKinematics(embodiment(path))
    assert "add kinematics: {urdf: <file> (or mjcf: <file>), base_link: <link>, tool_link: <link>" in str(e.value)


def test_a_chain_the_model_does_not_have_is_refused(tmp_path):
    path = _edited(tmp_path, {"tool_link: tool": "tool_link: tol"})
    with pytest.raises(
        InputError, match=rf"{path}: arms\[0\]\.kinematics\.tool_link: no link 'tol' .*did you mean 'tool'"
    ):
        ForwardKinematics(embodiment(path))
    path = _edited(tmp_path, {"tool_link: tool": "tool_link: upper_arm"})  # the chain moves yaw and pitch only
    with pytest.raises(
        InputError, match=r"arms\[0\]\.kinematics: the chain base → upper_arm moves the joints yaw, pitch"
    ):
        ForwardKinematics(embodiment(path))
    path = _edited(tmp_path, {"[yaw, pitch, elbow]": "[j1, j2, j3]"})
    with pytest.raises(InputError, match=r"Name the model's joints in kinematics.joints"):
        ForwardKinematics(embodiment(path))


def test_an_unknown_robosuite_model_is_refused(tmp_path):
    path = tmp_path / "sim.yaml"
    path.write_text(
        "name: sim\narms: [{joints: [a], kinematics: {mjcf: 'robosuite:pandas', tool_link: right_hand}}]\n"
        "eef_convention: world\n"
    )
    with pytest.raises(
        InputError, match=r"arms\[0\]\.kinematics\.mjcf: no robosuite model 'pandas' \(did you mean 'panda'\?\)"
    ):
        ForwardKinematics(embodiment(path))
