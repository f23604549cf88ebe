"""Meta-World (Farama's `metaworld` 3.x, MuJoCo) as an environment adapter (`adapter.py`), on CPU.

- Robot `sawyer` (`robots/sawyer.yaml`): its state is the hand's position and gripper opening (observation
  [0:4]); its command an absolute target position for the hand (the mocap body Meta-World moves) and a gripper
  effort. `step` turns the target into Meta-World's action — the offset from the mocap position in units of
  `action_scale` (1 cm), clipped to [-1, 1] as Meta-World clips it — so a target further than 1 cm is approached
  at 1 cm per step.
- `observation.environment_state`: the objects' poses and the goal (observation [4:18] and [36:39]), 17 values.
- Tasks: the v3 tasks by name without the suffix (`reach`, `push`, `pick-place`, … the MT10 set and the rest).
  Each has 50 goal variations (MT1's train tasks, drawn with seed 0); episode seed s runs variation s mod 50,
  so paired arms meet the same goals. Success is Meta-World's `info["success"]`, once reached; it defines no
  progress. Episodes last at most `max_path_length` (500) steps.
- `expert_action()`: Meta-World's own scripted policy for the task, as an absolute command (for recording
  demonstrations, `record.py`)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ablate.envs.adapter import Step, Unsupported

ROBOT = "sawyer"
CAMERA = "corner"
FPS = 80  # Meta-World's control rate: frame_skip 5 of MuJoCo's 2.5 ms


class MetaWorldEnvironment:
    actions = ("joint",)  # the hand's position; no orientation

    def __init__(self, robot: str, task: str, *, action: str = "joint", images: bool = False, image_size: int = 64):
        if robot != ROBOT:
            raise Unsupported(f"Meta-World has one robot, '{ROBOT}', not '{robot}'")
        if action != "joint":
            raise Unsupported(
                "Meta-World commands the hand's position only (no orientation): train in a joint frame "
                "(joint_abs or joint_delta), where the sawyer's 'joints' are the hand's x, y, z"
            )
        if images:
            os.environ.setdefault("MUJOCO_GL", "osmesa")
        import metaworld

        self.name = task.removesuffix("-v3")
        env_name = f"{self.name}-v3"
        if env_name not in metaworld.ALL_V3_ENVIRONMENTS:
            known = sorted(n.removesuffix("-v3") for n in metaworld.ALL_V3_ENVIRONMENTS)
            raise Unsupported(f"Meta-World has no task '{task}'; it has {', '.join(known)}")
        self.robot = ROBOT
        self.instruction = self.name.replace("-", " ")
        benchmark = metaworld.MT1(env_name, seed=0)
        self.tasks = benchmark.train_tasks
        render = {"render_mode": "rgb_array", "camera_name": CAMERA, "width": image_size, "height": image_size}
        self.env = benchmark.train_classes[env_name](**(render if images else {}))
        self.images = images
        self.horizon = int(self.env.max_path_length)
        self._raw: np.ndarray | None = None
        self._succeeded = False
        self._expert = None
        self._env_name = env_name

    def reset(self, seed: int) -> dict[str, Any]:
        self.env.set_task(self.tasks[seed % len(self.tasks)])
        self._raw, _ = self.env.reset()
        self._succeeded = False
        return self._observation()

    def step(self, action: np.ndarray) -> Step:
        action = np.asarray(action, dtype=np.float64)
        offset = (action[:3] - self.env.data.mocap_pos[0]) / self.env.action_scale
        command = np.r_[np.clip(offset, -1, 1), np.clip(action[3], -1, 1)].astype(np.float32)
        self._raw, _, _, truncated, info = self.env.step(command)
        self._succeeded = self._succeeded or bool(info["success"])
        return Step(self._observation(), self._succeeded, None, done=bool(truncated))

    def expert_action(self) -> np.ndarray:
        """Meta-World's scripted policy for this task at the current observation, as an absolute command."""
        if self._expert is None:
            from metaworld.policies import ENV_POLICY_MAP

            self._expert = ENV_POLICY_MAP[self._env_name]()
        raw = np.clip(np.asarray(self._expert.get_action(self._raw), dtype=np.float64), -1, 1)
        target = np.clip(self.env.data.mocap_pos[0] + raw[:3] * self.env.action_scale, self.env.mocap_low,
                         self.env.mocap_high)  # fmt: skip
        return np.r_[target, raw[3]]

    fps = FPS

    def description(self) -> dict[str, Any]:
        """How its recorded datasets read (`record.py`): the hand's xyz as the arm's joints, the gripper after."""
        return {
            "embodiment": ROBOT,
            "state": {"joints": "observation.state[0:3]", "grippers": "observation.state[3]"},
            "action": {"joints": "action[0:3]", "grippers": "action[3]"},
            "cameras": [f"observation.images.{CAMERA}"] if self.images else [],
            "environment_state": "observation.environment_state",
            "instruction": "",  # each frame's task string: the task's name
        }

    def _observation(self) -> dict[str, Any]:
        raw = np.asarray(self._raw, dtype=np.float64)
        out = {
            "observation.state": raw[0:4],
            "observation.environment_state": np.r_[raw[4:18], raw[36:39]],
            "task": self.instruction,
        }
        if self.images:
            out[f"observation.images.{CAMERA}"] = np.ascontiguousarray(self.env.render())
        return out

    def close(self) -> None:
        self.env.close()
