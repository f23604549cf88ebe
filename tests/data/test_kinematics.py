"""Forward kinematics from the robots' MJCF models reproduces the simulator's EEF site poses exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from ablate.data.embodiments import embodiment
from ablate.data.kinematics import ForwardKinematics
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


def test_an_embodiment_without_a_model_is_refused():
    from dataclasses import replace

    with pytest.raises(ValueError, match="has no kinematic model"):
        ForwardKinematics(replace(embodiment("Panda"), mjcf=""))
