"""The episode runner executes chunks in every frame: replaying an expert's demonstration as chunks of labels,
converted back to absolute targets by the runner, succeeds like the expert did."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.frames import Frame, to_labels
from ablate.testbed.env import TestbedEnv
from ablate.testbed.experts import ScriptedExpert
from ablate.testbed.runner import controller_for, run_episode

SEED, HORIZON = 11, 8


@pytest.fixture(scope="module")
def demonstration():
    env = TestbedEnv("Panda", "lift")
    obs = env.reset(SEED)
    expert = ScriptedExpert(env, np.random.default_rng(SEED))
    joints, poses, grips = [], [], []
    while not env.success:
        action = expert.act(obs)
        obs = env.step(action)
        joints.append(obs.joint_pos)
        poses.append(obs.eef_pose)
        grips.append(action[-1])
    env.close()
    return np.array(joints), np.array(poses), np.array(grips)[:, None]


class Replay:
    """A 'policy' that answers with the demonstration's next targets, expressed in the frame."""

    def __init__(self, frame: Frame, demo, execute: int):
        self.frame, self.demo, self.execute, self.t = frame, demo, execute, 0

    def __call__(self, obs) -> np.ndarray:
        joints, poses, grips = self.demo
        idx = np.minimum(np.arange(self.t, self.t + HORIZON), len(grips) - 1)
        self.t += self.execute
        if self.frame.is_joint:
            return to_labels(self.frame, obs.joint_pos, joints[idx], grips[idx])
        return to_labels(self.frame, obs.eef_pose, poses[idx], grips[idx])


@pytest.mark.parametrize("name", ["joint_abs", "joint_delta", "world_rel", "eef_rel", "eef_delta"])
def test_replayed_demonstration_succeeds_in_every_frame(name, demonstration):
    frame = Frame(name, "rot6d" if name == "eef_delta" else "axis_angle")
    env = TestbedEnv("Panda", "lift", controller=controller_for(frame))
    try:
        result = run_episode(env, frame, Replay(frame, demonstration, execute=4), SEED, execute=4)
    finally:
        env.close()
    assert result.success, result
    assert result.progress == 1.0 and result.checkpoints == {"reached": True, "grasped": True, "lifted": True}


def test_a_zero_policy_does_not_succeed():
    frame = Frame("eef_rel")
    env = TestbedEnv("Panda", "lift")
    try:
        result = run_episode(env, frame, lambda obs: np.zeros((HORIZON, 7)), SEED)
    finally:
        env.close()
    assert not result.success and result.steps == env.task.horizon
    assert result.progress < 1.0


def test_frame_and_controller_must_agree():
    env = TestbedEnv("Panda", "lift")
    try:
        with pytest.raises(ValueError, match="needs a JOINT_POSITION scene"):
            run_episode(env, Frame("joint_abs"), lambda obs: np.zeros((HORIZON, 8)), SEED)
    finally:
        env.close()
