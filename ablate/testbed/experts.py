"""Scripted experts: phase machines that drive the OSC_POSE controller (delta input: ±1 ↔ ±5 cm, ±0.5 rad)
toward waypoints above, at and away from the objects, holding the start orientation."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ablate.testbed.env import Observation, TestbedEnv

POS_SCALE, ROT_SCALE = 0.05, 0.5
# Bumped whenever the demonstrations change; datasets record it (meta/testbed.json) and older ones are refused.
# 2: gripper phases end when the fingers settle; 15 steps recorded past success.
EXPERT_VERSION = 2
# A closing or opening gripper phase ends once the fingers have settled (moved less than SETTLED in a step, after
# at least MIN_GRIP_STEPS), capped by the phase's step count. A fixed wait would leave the robot motionless for
# many frames with identical observations and different futures (wait, or lift), which a Markov policy cannot
# tell apart: trained on such demos, the tiny VLA grasped and then waited forever on about half the scenes.
SETTLED, MIN_GRIP_STEPS = 2e-4, 4


def _up(z: float) -> np.ndarray:
    return np.array([0.0, 0.0, z])


OPEN, CLOSE = -1.0, 1.0


class ScriptedExpert:
    def __init__(self, env: TestbedEnv, rng: np.random.Generator, noise: float = 0.0):
        self.env, self.rng, self.noise = env, rng, noise
        self.phase, self.timer = 0, 0
        self.fingers: np.ndarray | None = None
        self.home_rotation: Rotation | None = None
        self.aligned: Rotation | None = None
        self.waypoints = self._plan()

    def _plan(self) -> list[tuple[str, float, int]]:
        """(waypoint name, gripper command, hold) per phase: hold 0 moves on at the waypoint; a gripper phase
        (hold > 0) moves on once the fingers settle, after at most `hold` steps."""
        if self.env.task.name == "lift":
            return [("above_pick", OPEN, 0), ("at_pick", OPEN, 0), ("at_pick", CLOSE, 30), ("lifted", CLOSE, 10**6)]
        return [
            ("above_pick", OPEN, 0),
            ("at_pick", OPEN, 0),
            ("at_pick", CLOSE, 30),
            ("carry_height", CLOSE, 0),
            ("above_place", CLOSE, 0),
            ("on_place", CLOSE, 0),
            ("on_place", OPEN, 12),
            ("retreat", OPEN, 10**6),
        ]

    def _target(self, name: str, obs: Observation) -> np.ndarray:
        objs = self.env.object_positions()
        pick = objs["pick"]
        if name == "above_pick":
            return pick + _up(0.08)
        if name == "at_pick":
            return pick + _up(-0.005)
        if name == "lifted":
            return np.r_[obs.eef_pose[:2], pick[2] + 0.25]
        place = objs["place"]
        if name == "carry_height":
            return np.r_[obs.eef_pose[:2], place[2] + 0.12]
        if name == "above_place":
            return place + _up(0.12)
        if name == "on_place":
            return place + _up(0.055)
        return place + _up(0.15)  # retreat

    def _grasp_rotation(self) -> Rotation:
        """The start orientation turned about the vertical to square the fingers with the cube's faces; of the
        two square yaws, the one whose fingers close across (not towards) the other cube, if there is one."""
        if self.aligned is None:
            w, x, y, z = self.env.object_quaternion()
            yaw = Rotation.from_quat([x, y, z, w]).as_euler("xyz")[2]
            yaw = (yaw + np.pi / 4) % (np.pi / 2) - np.pi / 4  # a cube looks the same every 90°
            candidates = [yaw, yaw + np.pi / 2 if yaw < 0 else yaw - np.pi / 2]
            objects = self.env.object_positions()
            if "place" in objects:
                away = (objects["place"] - objects["pick"])[:2]
                axis = self.env.finger_axis()[:2]

                def towards(angle: float) -> float:
                    turned = Rotation.from_euler("z", angle).apply(np.r_[axis, 0.0])[:2]
                    return abs(turned @ away) / (np.linalg.norm(away) + 1e-9)

                candidates.sort(key=towards)
            self.aligned = Rotation.from_euler("z", candidates[0]) * self.home_rotation
        return self.aligned

    def act(self, obs: Observation) -> np.ndarray:
        if self.home_rotation is None:
            self.home_rotation = Rotation.from_quat(obs.eef_pose[3:])
        name, grip, hold = self.waypoints[self.phase]
        target = self._target(name, obs)
        err = target - obs.eef_pose[:3]
        self.timer += 1
        close_enough = np.linalg.norm(err) < (0.008 if name.startswith(("at_", "on_")) else 0.015)
        reached_waypoint = hold == 0 and (close_enough or self.timer > 60)
        settled = self.fingers is not None and np.abs(obs.gripper_qpos - self.fingers).max() < SETTLED
        gripped = hold and self.timer >= MIN_GRIP_STEPS and settled
        self.fingers = obs.gripper_qpos.copy()
        if self.phase < len(self.waypoints) - 1 and (reached_waypoint or gripped or (hold and self.timer >= hold)):
            self.phase, self.timer = self.phase + 1, 0
        rot_err = (self._grasp_rotation() * Rotation.from_quat(obs.eef_pose[3:]).inv()).as_rotvec()
        # Carrying a grasped object fast makes it slip out of the Robotiq grippers: slow down while closed.
        speed = 0.25 if grip == CLOSE else 1.0
        delta = np.r_[np.clip(err / POS_SCALE, -speed, speed), rot_err / ROT_SCALE]
        if self.noise:
            delta[:3] += self.rng.normal(0, self.noise, 3)
        return np.r_[np.clip(delta, -1, 1), grip]
