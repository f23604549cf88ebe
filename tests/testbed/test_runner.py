"""The episode runner executes chunks in every frame: replaying a recorded demonstration's labels as chunks,
converted back to absolute targets by the runner, succeeds like the expert did — on every scene, which is what
makes the demonstrations learnable (a policy cannot do better than its labels)."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.frames import Frame, to_labels
from ablate.testbed.env import TestbedEnv
from ablate.testbed.record import _run_expert
from ablate.testbed.runner import controller_for, run_episode

SEED, HORIZON = 11, 8
SCENES = range(6)


@pytest.fixture(scope="module")
def demonstrations():
    """The recorder's own demonstrations (labels = the next achieved joints / pose, the gripper command)."""
    env = TestbedEnv("Panda", "lift")
    demos = {}
    for seed in SCENES:
        frames, info = _run_expert(env, seed)
        assert info["success"]
        actions = np.array([f["action"] for f in frames], dtype=np.float64)
        demos[seed] = actions[:, :7], actions[:, 7:14], actions[:, 14:]
    env.close()
    return demos


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
def test_replayed_demonstrations_succeed_in_every_frame(name, demonstrations):
    frame = Frame(name, "rot6d" if name == "eef_delta" else "axis_angle")
    env = TestbedEnv("Panda", "lift", controller=controller_for(frame))
    try:
        results = [
            run_episode(env, frame, Replay(frame, demo, execute=4), seed, execute=4)
            for seed, demo in demonstrations.items()
        ]
    finally:
        env.close()
    assert all(r.success for r in results), results
    assert all(r.checkpoints == {"reached": True, "grasped": True, "lifted": True} for r in results)


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
