"""`ablate testbed make`: scripted expert demonstrations → one LeRobot v3 dataset per (robot, task).

Each dataset is written into a temporary folder and renamed into place when complete, so an interrupted
generation leaves nothing half-written. Only successful episodes are kept; every attempt (seed, success,
checkpoints) is recorded in `meta/ablate.json`, which also describes the dataset's keys.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ablate.data.description import DatasetDescription
from ablate.data.embodiments import embodiment
from ablate.testbed.datasets import SUMMARY_FILE
from ablate.testbed.env import CONTROL_HZ, Observation, TestbedEnv
from ablate.testbed.experts import EXPERT_VERSION, ScriptedExpert

CAMERA_KEYS = {"agentview": "observation.images.agentview", "robot0_eye_in_hand": "observation.images.wrist"}
MAX_ATTEMPTS_FACTOR = 2  # give up when fewer than half of the attempts succeed
# Steps recorded after the success checkpoint. Labels are achieved poses, which lag the expert's commands, so an
# imitator replaying a demo that stops exactly at the threshold (cube 4 cm up) stalls just below it under load:
# a perfect time-indexed replay of the labels succeeded on 5-6 of 10 Panda lift scenes without follow-through
# and on 10 of 10 with 15 steps.
FOLLOW_THROUGH = 15


def features(robot: str, env_state_dim: int, images: bool, image_size: int) -> dict[str, dict]:
    e = embodiment(robot)
    f32 = "float32"
    feats = {
        "observation.state": {
            "dtype": f32,
            "shape": (e.state_dim,),
            "names": [*e.joint_names, *(f"gripper_{i}" for i in range(e.gripper_dims))],
        },
        "observation.joint_pos": {"dtype": f32, "shape": (e.arm_dof,), "names": list(e.joint_names)},
        "observation.gripper_qpos": {"dtype": f32, "shape": (e.gripper_dims,), "names": None},
        "observation.eef_pose": {"dtype": f32, "shape": (7,), "names": ["x", "y", "z", "qx", "qy", "qz", "qw"]},
        "observation.environment_state": {"dtype": f32, "shape": (env_state_dim,), "names": None},
        # The next absolute targets: joint positions, EEF pose, and the gripper command (-1 open, +1 close).
        "action": {
            "dtype": f32,
            "shape": (e.arm_dof + 8,),
            "names": [*e.joint_names, "x", "y", "z", "qx", "qy", "qz", "qw", "gripper"],
        },
        "progress": {"dtype": f32, "shape": (1,), "names": None},
    }
    if images:
        for key in CAMERA_KEYS.values():
            feats[key] = {
                "dtype": "image",
                "shape": (image_size, image_size, 3),
                "names": ["height", "width", "channels"],
            }
    return feats


def record_dataset(
    robot: str,
    task_name: str,
    episodes: int,
    out: Path,
    *,
    images: bool = False,
    image_size: int = 64,
    seed: int = 0,
    on_episode: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    from ablate.data.lerobot_dataset import lerobot_dataset_class

    LeRobotDataset = lerobot_dataset_class()

    name = f"{robot}_{task_name}"
    final, tmp = out / name, out / f".{name}.tmp"
    if final.exists():
        raise FileExistsError(f"{final} exists; remove it or choose another --out")
    shutil.rmtree(tmp, ignore_errors=True)
    env = TestbedEnv(robot, task_name, images=images, image_size=image_size)
    started, attempts, kept = time.perf_counter(), [], 0
    dataset = None
    try:
        while kept < episodes:
            if len(attempts) >= MAX_ATTEMPTS_FACTOR * episodes:
                raise RuntimeError(
                    f"the {task_name} expert succeeded on only {kept} of {len(attempts)} episodes on {robot}"
                )
            episode_seed = seed * 100_000 + len(attempts)
            frames, info = _run_expert(env, episode_seed)
            attempts.append(info)
            if info["success"]:
                if dataset is None:
                    env_dim = len(frames[0]["observation.environment_state"])
                    dataset = LeRobotDataset.create(
                        f"ablate/{name}",
                        fps=CONTROL_HZ,
                        root=tmp,
                        robot_type=robot,
                        features=features(robot, env_dim, images, image_size),
                        use_videos=False,
                    )
                for frame in frames:
                    dataset.add_frame(frame)
                dataset.save_episode()
                kept += 1
            if on_episode:
                on_episode(info)
        dataset.finalize()
        summary = {
            "expert_version": EXPERT_VERSION,
            "robot": robot,
            "task": task_name,
            "episodes": kept,
            "attempts": len(attempts),
            "success_rate": kept / len(attempts),
            "seconds": time.perf_counter() - started,
            "per_episode": attempts,
        }
        DatasetDescription.flat(
            embodiment=robot,
            eef_pose="observation.eef_pose",
            environment_state="observation.environment_state",
            fps=CONTROL_HZ,
            instruction=env.task.instruction,
            cameras=list(CAMERA_KEYS.values()) if images else [],
        ).save(tmp)
        (tmp / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
        tmp.rename(final)
        return summary
    finally:
        env.close()
        shutil.rmtree(tmp, ignore_errors=True)


def expert_version(dataset: Path) -> int | None:
    """The expert version a testbed dataset was recorded with (None: not a testbed dataset; 1: before versions)."""
    meta = dataset / SUMMARY_FILE
    return json.loads(meta.read_text()).get("expert_version", 1) if meta.is_file() else None


def _run_expert(env: TestbedEnv, seed: int) -> tuple[list[dict], dict[str, Any]]:
    obs = env.reset(seed)
    expert = ScriptedExpert(env, np.random.default_rng(seed))
    frames: list[dict] = []
    after_success = 0
    for _ in range(env.task.horizon):
        action = expert.act(obs)
        nxt = env.step(action)
        frames.append(_frame(env, obs, nxt, action))
        obs = nxt
        after_success += env.success
        if after_success > FOLLOW_THROUGH:
            break
    info = {
        "seed": seed,
        "success": env.success,
        "progress": env.progress,
        "steps": len(frames),
        "checkpoints": dict(env.reached),
    }
    return frames, info


def _frame(env: TestbedEnv, obs: Observation, nxt: Observation, action: np.ndarray) -> dict[str, Any]:
    f = np.float32
    frame = {
        "observation.state": np.r_[obs.joint_pos, obs.gripper_qpos].astype(f),
        "observation.joint_pos": obs.joint_pos.astype(f),
        "observation.gripper_qpos": obs.gripper_qpos.astype(f),
        "observation.eef_pose": obs.eef_pose.astype(f),
        "observation.environment_state": obs.environment_state.astype(f),
        "action": np.r_[nxt.joint_pos, nxt.eef_pose, action[-1]].astype(f),
        "progress": np.array([env.progress], dtype=f),
        "task": env.task.instruction,
    }
    for cam, key in CAMERA_KEYS.items():
        if cam in obs.images:
            frame[key] = obs.images[cam]
    return frame
