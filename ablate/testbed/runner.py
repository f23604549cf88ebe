"""Closed-loop episodes from a policy callable: the policy returns an action chunk in its training frame, the
runner turns it into absolute targets (`ablate.data.frames`) and drives robosuite's controller — OSC pose for
EEF frames, joint position for joint frames — and reports success and progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ablate.data.frames import Frame, to_targets
from ablate.testbed.env import Observation, TestbedEnv
from ablate.testbed.experts import POS_SCALE, ROT_SCALE

Policy = Callable[[Observation], np.ndarray]  # -> [H, arm + 1] labels in the frame (last column: gripper)


@dataclass(frozen=True)
class EpisodeResult:
    seed: int
    success: bool
    progress: float
    checkpoints: dict[str, bool]
    steps: int


def controller_for(frame: Frame) -> str:
    return "JOINT_POSITION" if frame.is_joint else "OSC_POSE"


def run_episode(env: TestbedEnv, frame: Frame, policy: Policy, seed: int, execute: int | None = None) -> EpisodeResult:
    """Run one seeded episode; `execute` steps of each chunk are carried out before the policy is asked again."""
    if env.controller != controller_for(frame):
        raise ValueError(f"frame {frame.name} needs a {controller_for(frame)} scene, not {env.controller}")
    obs = env.reset(seed)
    steps = 0
    while steps < env.task.horizon and not env.success:
        current = obs.joint_pos if frame.is_joint else obs.eef_pose
        targets, gripper = to_targets(frame, current, np.asarray(policy(obs), dtype=np.float64), gripper_dims=1)
        for target, grip in list(zip(targets, gripper, strict=True))[: execute or len(targets)]:
            obs = env.step(command(frame, obs, target, float(grip[0])))
            steps += 1
            if env.success or steps >= env.task.horizon:
                break
    return EpisodeResult(seed, env.success, env.progress, dict(env.reached), steps)


def command(frame: Frame, obs: Observation, target: np.ndarray, grip: float) -> np.ndarray:
    """The controller's input for one absolute target: joint targets as they are, an EEF pose as the OSC delta."""
    if frame.is_joint:
        return np.r_[target, np.clip(grip, -1, 1)]
    dp = (target[:3] - obs.eef_pose[:3]) / POS_SCALE
    dr = (Rotation.from_quat(target[3:7]) * Rotation.from_quat(obs.eef_pose[3:]).inv()).as_rotvec() / ROT_SCALE
    return np.r_[np.clip(np.r_[dp, dr], -1, 1), np.clip(grip, -1, 1)]
