"""Closed-loop evaluation on the testbed: the policy's chunks (normalised, in the run's action frame) are
un-normalised with the target robot's statistics, converted to absolute targets by the episode runner, and
executed. Episode seeds depend only on (run seed, target, trial), so every arm meets the same scenes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ablate.data.embodiments import embodiment
from ablate.data.loader import dim_mask, pad_to
from ablate.data.normalize import Stats, StatsCache
from ablate.data.source import EmbodimentSource
from ablate.model.policy import VLAPolicy
from ablate.train.data import dataset_path, frame_of, source_config


def target_stats(config: dict[str, Any], robot: str, task: str | None = None) -> dict[str, Stats]:
    """The robot's own normalisation (train split, the run's frame) from its dataset of the target's task (each
    dataset is normalised on its own in training), cached like training's."""
    data = config["data"]
    path = dataset_path({**data, "task": task or data["task"]}, robot)
    source = EmbodimentSource(source_config(data, path, "train", images=False))
    return source.stats(StatsCache(path.parent / ".stats"))


class PolicyAdapter:
    """obs → [H, arm + 1] labels in the frame (what `testbed.runner.run_episode` expects)."""

    def __init__(
        self,
        policy: VLAPolicy,
        config: dict[str, Any],
        robot: str,
        instruction: str,
        device: torch.device,
        task: str | None = None,
    ):
        self.policy, self.device = policy, device
        self.data = config["data"]
        self.stats = target_stats(config, robot, task)
        self.embodiment = embodiment(robot)
        self.action_dim = frame_of(self.data).arm_dim(self.embodiment.arm_dof) + 1
        self.instruction = instruction
        self.images = bool(config["model"].get("images", False))
        self.generator = torch.Generator()

    def reset(self, seed: int) -> None:
        """The policy's noise for one episode: seeded like the scene, so a trial is reproducible."""
        self.generator.manual_seed(seed)

    def __call__(self, obs) -> np.ndarray:
        d = self.data
        state = self.stats["state"].normalize(np.r_[obs.joint_pos, obs.gripper_qpos])
        s_max, a_max = int(d.get("max_state_dim", 16)), int(d.get("max_action_dim", 10))
        batch = {
            "state": pad_to(state, s_max)[None],
            "state_dim_mask": dim_mask(len(state), s_max)[None],
            "state_mask": np.ones(1),
            "action_dim_mask": dim_mask(self.action_dim, a_max)[None],
        }
        if self.policy.environment_in is not None:
            env = self.stats["environment_state"].normalize(obs.environment_state)
            batch["environment_state"] = pad_to(env, int(d.get("max_environment_dim", 0)))[None]
        tensors = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device) for k, v in batch.items()}
        tensors["tokens"], tensors["token_mask"] = (t.to(self.device) for t in self.policy.tokenize([self.instruction]))
        if self.images:
            views = np.stack([obs.images[c] for c in self.embodiment.cameras]).transpose(0, 3, 1, 2) / 255.0
            tensors["images"] = torch.as_tensor(views[None], dtype=torch.float32, device=self.device)
            tensors["camera_mask"] = torch.ones(1, len(views), device=self.device)
        chunk = self.policy.sample_actions(tensors, generator=self.generator)[0, :, : self.action_dim]
        return self.stats["actions"].unnormalize(chunk.float().cpu().numpy().astype(np.float64))


def evaluate_targets(
    policy: VLAPolicy, config: dict[str, Any], run_seed: int, device: torch.device, on_trial=None
) -> list[dict[str, Any]]:
    """One row per trial for every `eval.targets` entry: success, progress, episode seed, steps."""
    from ablate.testbed.env import TestbedEnv
    from ablate.testbed.runner import controller_for, run_episode
    from ablate.testbed.tasks import task as testbed_task
    from ablate.train.loop import derived_seed

    eval_cfg, frame = config["eval"], frame_of(config["data"])
    rows = []
    policy.eval()
    for target in eval_cfg["targets"]:
        robot, task_name = target["robot"], target.get("task", config["data"]["task"])
        env = TestbedEnv(
            robot,
            task_name,
            images=bool(config["model"].get("images", False)),
            image_size=int((config["data"].get("testbed") or {}).get("image_size", 64)),
            controller=controller_for(frame),
        )
        adapter = PolicyAdapter(policy, config, robot, testbed_task(task_name).instruction, device, task_name)
        try:
            for trial in range(int(eval_cfg["trials"])):
                episode_seed = derived_seed(run_seed, "eval", robot, task_name, trial) % 2**31
                adapter.reset(episode_seed)
                result = run_episode(env, frame, adapter, episode_seed, execute=int(eval_cfg.get("execute", 4)))
                rows.append(
                    {
                        "embodiment": robot,
                        "task": task_name,
                        "trial": trial,
                        "success": int(result.success),
                        "progress": float(result.progress),
                        "episode_seed": episode_seed,
                        "steps": result.steps,
                    }
                )
                if on_trial:
                    on_trial(rows[-1])
        finally:
            env.close()
    return rows
