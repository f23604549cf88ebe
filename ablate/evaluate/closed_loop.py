"""Closed-loop evaluation on the testbed: the policy's chunks (normalised, in the run's action frame) are
un-normalised with the target robot's statistics — those the run trained with, in the mode it trained with —
converted to absolute targets by the episode runner, and executed. Episode seeds depend only on (run seed,
target, trial), so every arm meets the same scenes."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ablate.config import EvalTarget, VlaConfig
from ablate.data.datasets import frame_of, target_path
from ablate.data.embodiments import embodiment
from ablate.data.inputs import Padding, dim_mask, observation_inputs, unnormalize_actions
from ablate.data.normalize import RunNormalization
from ablate.model.policy import VLAPolicy
from ablate.seeding import episode_seed


class PolicyAdapter:
    """obs → [H, arm + 1] labels in the frame (what `testbed.runner.run_episode` expects)."""

    def __init__(
        self,
        policy: VLAPolicy,
        config: VlaConfig,
        normalization: RunNormalization,
        target: EvalTarget,
        instruction: str,
        device: torch.device,
    ):
        self.policy, self.device, self.instruction = policy, device, instruction
        self.stats = normalization.of(target_path(config.data, target).name)
        self.mode = normalization.mode
        self.padding = Padding.of(config.data)
        self.embodiment = embodiment(target.robot)
        # The testbed's robots (robosuite): one arm, one gripper command.
        self.action_dim = frame_of(config.data).arm_dim(self.embodiment.arm_dof, arms=1) + 1
        self.images = config.model.images
        self.generator = torch.Generator()

    def reset(self, seed: int) -> None:
        """The policy's noise for one episode: seeded like the scene, so a trial is reproducible."""
        self.generator.manual_seed(seed)

    def __call__(self, obs) -> np.ndarray:
        environment = obs.environment_state if self.policy.environment_in is not None else None
        inputs = observation_inputs(
            np.r_[obs.joint_pos, obs.gripper_qpos], self.stats, self.padding, environment_state=environment
        )
        inputs["action_dim_mask"] = dim_mask(self.action_dim, self.padding.action)
        tensors = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device)[None] for k, v in inputs.items()}
        tensors["tokens"], tensors["token_mask"] = (t.to(self.device) for t in self.policy.tokenize([self.instruction]))
        if self.images:
            views = np.stack([obs.images[c] for c in self.embodiment.cameras]).transpose(0, 3, 1, 2) / 255.0
            tensors["images"] = torch.as_tensor(views[None], dtype=torch.float32, device=self.device)
            tensors["camera_mask"] = torch.ones(1, len(views), device=self.device)
        chunk = self.policy.sample_actions(tensors, generator=self.generator)[0, :, : self.action_dim]
        return unnormalize_actions(chunk.float().cpu().numpy().astype(np.float64), self.stats, self.mode)


def evaluate_targets(
    policy: VLAPolicy,
    config: VlaConfig,
    normalization: RunNormalization,
    run_seed: int,
    device: torch.device,
    on_trial=None,
) -> list[dict[str, Any]]:
    """One row per trial for every `eval.targets` entry: success, progress, episode seed, steps."""
    from ablate.testbed.env import TestbedEnv
    from ablate.testbed.runner import controller_for, run_episode
    from ablate.testbed.tasks import task as testbed_task

    frame, rows = frame_of(config.data), []
    image_size = config.data.testbed.image_size if config.data.testbed else 64
    policy.eval()
    for target in config.eval.targets:
        robot, task_name = target.robot, target.task or config.data.task
        env = TestbedEnv(
            robot, task_name, images=config.model.images, image_size=image_size, controller=controller_for(frame)
        )
        instruction = testbed_task(task_name).instruction
        adapter = PolicyAdapter(policy, config, normalization, target, instruction, device)
        try:
            for trial in range(config.eval.trials):
                seed = episode_seed(run_seed, "eval", robot, task_name, trial)
                adapter.reset(seed)
                result = run_episode(env, frame, adapter, seed, execute=config.eval.execute)
                rows.append(
                    {
                        "embodiment": robot,
                        "task": task_name,
                        "trial": trial,
                        "success": int(result.success),
                        "progress": float(result.progress),
                        "episode_seed": seed,
                        "steps": result.steps,
                    }
                )
                if on_trial:
                    on_trial(rows[-1])
        finally:
            env.close()
    return rows
