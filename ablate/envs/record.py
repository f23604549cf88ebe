"""Demonstrations from an environment's own expert (`expert_action()`, e.g. Meta-World's scripted policies),
written as LeRobot v3 datasets by lerobot's own API (`LeRobotDataset.create`, `add_frame`, `save_episode`,
`finalize`), with the description beside each (`<name>.ablate.yaml`) and the robot's embodiment file in
`<out>/embodiments/`, so ablate reads them as any researcher's datasets (`ablate data check`).

One dataset per task, `<out>/<robot>_<task>`: the observation features the adapter gives, `action` the absolute
command sent, `task` the instruction. An episode is kept when the expert succeeds; recording stops a few steps
after success (`AFTER_SUCCESS`), so a policy sees what holding the goal looks like. Episode seeds are
`episode_seed(seed, "record", robot, task, attempt)`: other numbers than evaluation's (`"eval"`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ablate.envs.adapter import environment
from ablate.seeding import episode_seed

AFTER_SUCCESS = 5
ROBOTS = Path(__file__).with_name("robots")


def record_expert(
    env_name: str,
    robot: str,
    task: str,
    episodes: int,
    out: Path,
    seed: int = 0,
    max_attempts: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Record `episodes` successful expert episodes of `task`; returns a summary (kept, attempts, seconds)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    env = environment(env_name)(robot, task, action="joint")
    if not hasattr(env, "expert_action") or not hasattr(env, "description"):
        raise ValueError(f"environment {env_name} has no expert (expert_action, description) to record with")
    name = f"{robot}_{task}"
    final, tmp = Path(out) / name, Path(out) / f".{name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    started, kept, attempts, dataset = time.perf_counter(), 0, 0, None
    try:
        while kept < episodes:
            if attempts >= (max_attempts or 3 * episodes):
                raise RuntimeError(f"{env_name} {task}: the expert succeeded in {kept} of {attempts} attempts")
            frames, success = _episode(env, episode_seed(seed, "record", robot, task, attempts))
            attempts += 1
            if not success:
                continue
            if dataset is None:
                features = _features(frames[0])
                dataset = LeRobotDataset.create(
                    f"ablate/{name}", fps=_fps(env), root=tmp, features=features, robot_type=robot, use_videos=False
                )
            for frame in frames:
                dataset.add_frame(frame)
            dataset.save_episode()
            kept += 1
            log(f"{name}: episode {kept}/{episodes} ({len(frames)} frames)")
        dataset.finalize()
    finally:
        env.close()
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    _describe(Path(out), name, robot, env.description())
    return {"dataset": str(final), "episodes": kept, "attempts": attempts, "seconds": time.perf_counter() - started}


def _episode(env, seed: int) -> tuple[list[dict[str, Any]], bool]:
    obs, frames, since = env.reset(seed), [], None
    for _ in range(env.horizon):
        action = env.expert_action()
        frames.append(_frame(obs, action))
        step = env.step(action)
        obs = step.observation
        if step.success:
            since = 0 if since is None else since + 1
            if since >= AFTER_SUCCESS:
                break
        if step.done:
            break
    return frames, since is not None


def _frame(obs: dict[str, Any], action: np.ndarray) -> dict[str, Any]:
    out = {
        k: (np.asarray(v) if k.startswith("observation.images.") else np.asarray(v, dtype=np.float32))
        for k, v in obs.items()
        if k.startswith("observation.")
    }
    return out | {"action": np.asarray(action, dtype=np.float32), "task": str(obs["task"])}


def _features(frame: dict[str, Any]) -> dict[str, dict]:
    features = {}
    for key, value in frame.items():
        if key == "task":
            continue
        if key.startswith("observation.images."):
            features[key] = {"dtype": "image", "shape": value.shape, "names": ["height", "width", "channels"]}
        else:
            features[key] = {"dtype": "float32", "shape": value.shape, "names": None}
    return features


def _fps(env) -> int:
    return int(env.fps)


def _describe(out: Path, name: str, robot: str, description: dict[str, Any]) -> None:
    """The dataset's description beside it, and its robot's embodiment file where the description finds it."""
    import yaml

    (out / f"{name}.ablate.yaml").write_text(yaml.safe_dump(description, sort_keys=False))
    (out / "embodiments").mkdir(exist_ok=True)
    shutil.copy(ROBOTS / f"{robot}.yaml", out / "embodiments" / f"{robot}.yaml")
