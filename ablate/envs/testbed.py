"""ablate's robosuite testbed as an environment adapter (`adapter.py`): observations as its datasets record them
(`testbed/record.py`), absolute joint targets through robosuite's joint position controller or absolute EEF poses
through OSC pose (the same controllers and commands as `testbed.runner`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ablate.data.frames import Frame
from ablate.envs.adapter import ACTIONS, Step, Unsupported
from ablate.testbed.env import Observation, TestbedEnv
from ablate.testbed.record import CAMERA_KEYS
from ablate.testbed.runner import command, controller_for
from ablate.testbed.tasks import TASKS, task


class TestbedEnvironment:
    __test__ = False  # not a pytest class
    actions = ACTIONS

    def __init__(
        self, robot: str, task_name: str, *, action: str = "joint", images: bool = False, image_size: int = 64
    ):
        from ablate.data.embodiments import TESTBED_ROBOTS

        if robot not in TESTBED_ROBOTS:
            raise Unsupported(f"the testbed has no robot '{robot}'; it has {', '.join(TESTBED_ROBOTS)}")
        if task_name not in TASKS:
            raise Unsupported(f"the testbed has no task '{task_name}'; it has {', '.join(TASKS)}")
        if action not in ACTIONS:
            raise Unsupported(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        self.robot, self.task = robot, task(task_name)
        self.frame = Frame("joint_abs" if action == "joint" else "eef_rel")  # which controller; targets are absolute
        controller = controller_for(self.frame)
        self.env = TestbedEnv(robot, task_name, images=images, image_size=image_size, controller=controller)
        self.horizon = self.task.horizon
        self._last: Observation | None = None

    def reset(self, seed: int) -> dict[str, Any]:
        self._last = self.env.reset(seed)
        return self._observation(self._last)

    def step(self, action: np.ndarray) -> Step:
        assert self._last is not None, "reset first"
        action = np.asarray(action, dtype=np.float64)
        self._last = self.env.step(command(self.frame, self._last, action[:-1], float(action[-1])))
        return Step(self._observation(self._last), self.env.success, self.env.progress, done=self.env.success)

    def _observation(self, obs: Observation) -> dict[str, Any]:
        out = {
            "observation.state": np.r_[obs.joint_pos, obs.gripper_qpos],
            "observation.joint_pos": obs.joint_pos,
            "observation.gripper_qpos": obs.gripper_qpos,
            "observation.eef_pose": obs.eef_pose,
            "observation.environment_state": obs.environment_state,
            "task": self.task.instruction,
        }
        return out | {CAMERA_KEYS[camera]: image for camera, image in obs.images.items()}

    def close(self) -> None:
        self.env.close()
