"""A robosuite scene for one (robot, task): seeded resets, observations in the embodiment registry's
conventions, and the task's progress checkpoints."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ablate.data.embodiments import Embodiment, embodiment
from ablate.testbed.tasks import Task, task

CONTROL_HZ = 20


@dataclass
class Observation:
    joint_pos: np.ndarray  # [dof]
    gripper_qpos: np.ndarray  # [gripper_dims]
    eef_pose: np.ndarray  # [7] position + quaternion xyzw (w >= 0), controller site frame
    environment_state: np.ndarray  # object positions, orientations, relative positions
    images: dict[str, np.ndarray] = field(default_factory=dict)  # upright HxWx3 uint8


class TestbedEnv:
    def __init__(
        self, robot: str, task_name: str, images: bool = False, image_size: int = 64, controller: str = "OSC_POSE"
    ):
        if images:  # software rendering (apt: libosmesa6); without images no GL is touched
            os.environ.setdefault("MUJOCO_GL", "osmesa")
        import robosuite as suite
        from robosuite.controllers import load_composite_controller_config

        self.embodiment: Embodiment = embodiment(robot)
        self.task: Task = task(task_name)
        config = load_composite_controller_config(robot=robot)
        if controller == "JOINT_POSITION":  # joint frames: absolute joint targets, no rescaling
            config["body_parts"]["right"] = {
                **config["body_parts"]["right"],
                "type": "JOINT_POSITION",
                "input_type": "absolute",
                "impedance_mode": "fixed",
                "kp": 150,
                "input_max": 10.0,
                "input_min": -10.0,
                "output_max": 10.0,
                "output_min": -10.0,
            }
        elif controller != "OSC_POSE":
            raise ValueError(f"controller must be OSC_POSE or JOINT_POSITION, got {controller!r}")
        self.env = suite.make(
            self.task.env_name,
            robots=robot,
            gripper_types=self.embodiment.gripper,
            controller_configs=config,
            has_renderer=False,
            has_offscreen_renderer=images,
            use_camera_obs=images,
            camera_names=list(self.embodiment.cameras),
            camera_heights=image_size,
            camera_widths=image_size,
            control_freq=CONTROL_HZ,
            horizon=self.task.horizon,
            ignore_done=True,
            reward_shaping=True,
        )
        self.images = images
        self.controller = controller
        self.reached: dict[str, bool] = {}

    @property
    def target_object(self):
        return self.env.cubeA if self.task.name == "stack" else self.env.cube

    def reset(self, seed: int) -> Observation:
        """The same seed gives the same scene (object placement, joint noise) on every call and for every arm."""
        self.env.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
        np.random.seed(seed % 2**32)
        self.reached = dict.fromkeys(self.task.checkpoints, False)
        return self._observe(self.env.reset())

    def step(self, action: np.ndarray) -> Observation:
        obs, _, _, _ = self.env.step(action)
        return self._observe(obs)

    def _observe(self, obs: dict[str, Any]) -> Observation:
        # robosuite's `robot0_eef_*` observations are positions computed before the last integration step (about
        # 1 mm behind the joints); recompute the site pose so that it is exactly the FK of the recorded joints.
        sim = self.env.sim
        sim.forward()
        site = self.env.robots[0].eef_site_id["right"]
        q = Rotation.from_matrix(sim.data.site_xmat[site].reshape(3, 3)).as_quat()
        q = -q if q[3] < 0 else q
        images = (
            {cam: np.ascontiguousarray(obs[f"{cam}_image"][::-1]) for cam in self.embodiment.cameras}
            if self.images
            else {}
        )
        out = Observation(
            np.asarray(obs["robot0_joint_pos"], dtype=np.float64),
            np.asarray(obs["robot0_gripper_qpos"], dtype=np.float64),
            np.concatenate([sim.data.site_xpos[site], q]),
            np.asarray(obs["object-state"], dtype=np.float64),
            images,
        )
        self._update_checkpoints()
        return out

    # -- progress ---------------------------------------------------------------------------------------
    def _update_checkpoints(self) -> None:
        env, r = self.env, self.reached
        obj_pos = env.sim.data.body_xpos[env.cubeA_body_id if self.task.name == "stack" else env.cube_body_id]
        eef = env.sim.data.site_xpos[env.robots[0].eef_site_id["right"]]
        r["reached"] = r["reached"] or bool(
            np.linalg.norm(eef[:2] - obj_pos[:2]) < 0.02 and abs(eef[2] - obj_pos[2]) < 0.03
        )
        grasping = bool(env._check_grasp(gripper=env.robots[0].gripper, object_geoms=self.target_object))
        r["grasped"] = r["grasped"] or grasping
        if self.task.name == "lift":  # robosuite's success: the cube 4 cm above the table
            r["lifted"] = r["lifted"] or bool(env._check_success())
        else:
            table = env.model.mujoco_arena.table_offset[2]
            r["lifted"] = r["lifted"] or bool(grasping and obj_pos[2] > table + 0.04)
            r["placed"] = r["placed"] or bool(env._check_success())

    @property
    def success(self) -> bool:
        return self.reached[self.task.checkpoints[-1]]

    @property
    def progress(self) -> float:
        return sum(self.reached.values()) / len(self.reached)

    def object_positions(self) -> dict[str, np.ndarray]:
        env = self.env
        if self.task.name == "stack":
            return {
                "pick": env.sim.data.body_xpos[env.cubeA_body_id].copy(),
                "place": env.sim.data.body_xpos[env.cubeB_body_id].copy(),
            }
        return {"pick": env.sim.data.body_xpos[env.cube_body_id].copy()}

    def finger_axis(self) -> np.ndarray:
        """Unit vector (world) from one finger pad to the other: the direction the gripper closes along."""
        sim, gripper = self.env.sim, self.env.robots[0].gripper["right"]
        pads = [
            sim.data.geom_xpos[sim.model.geom_name2id(gripper.important_geoms[k][0])]
            for k in ("left_fingerpad", "right_fingerpad")
        ]
        d = pads[1] - pads[0]
        return d / np.linalg.norm(d)

    def object_quaternion(self) -> np.ndarray:
        """The object to pick, as MuJoCo's wxyz quaternion."""
        env = self.env
        return env.sim.data.body_xquat[env.cubeA_body_id if self.task.name == "stack" else env.cube_body_id].copy()

    def close(self) -> None:
        self.env.close()
