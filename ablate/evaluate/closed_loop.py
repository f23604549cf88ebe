"""Closed-loop evaluation in any environment (`ablate.envs`): the run's policy as `ablate.policy` serves it — the
observation read through the target dataset's description and normalised with the statistics the run trained
with, the chunk un-normalised in the mode it trained with and turned into absolute targets in its frame — drives
the environment's adapter, `eval.execute` steps of each chunk before predicting again. Episode seeds depend only
on (run seed, target, trial), so every arm meets the same scenes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ablate.config import EvalTarget, VlaConfig
from ablate.data.datasets import target_path
from ablate.data.normalize import RunNormalization
from ablate.envs.adapter import Environment, action_kind, environment
from ablate.model.policy import VLAPolicy
from ablate.policy import LoadedPolicy
from ablate.policy.bundle import BundledDataset, dataset_on_disk
from ablate.seeding import episode_seed


@dataclass(frozen=True)
class Episode:
    seed: int
    success: bool
    progress: float | None
    steps: int


def run_episode(env: Environment, policy: LoadedPolicy, seed: int) -> Episode:
    """One seeded episode: the policy's noise and the scene both seeded with `seed`; it ends at success, when the
    environment says so, or at its horizon."""
    policy.reset(seed)
    obs = env.reset(seed)
    success, progress, steps = False, None, 0
    while steps < env.horizon:
        step = env.step(policy.select_action(obs))
        steps += 1
        obs, success, progress = step.observation, step.success, step.progress
        if step.success or step.done:
            break
    return Episode(seed, bool(success), progress, steps)


def target_policy(
    model: VLAPolicy,
    config: VlaConfig,
    normalization: RunNormalization,
    target: EvalTarget,
    run_seed: int,
    device: torch.device,
    bundled: dict[str, BundledDataset] | None = None,
) -> LoadedPolicy:
    """The run's policy for a target's robot: its dataset's description and statistics — from the checkpoint's
    bundle when it holds that dataset (`bundled`: the data may be gone), else read from the dataset."""
    path = target_path(config.data, target)
    dataset = (bundled or {}).get(path.name) or dataset_on_disk(config, path)
    run = {"id": "evaluation", "seed": run_seed}
    # actions in the embodiment's order (arm targets, then grippers): the adapters' contract
    return LoadedPolicy(model, config, run, dataset, normalization, device, config.eval.execute, recorded_layout=False)


def open_environment(config: VlaConfig, target: EvalTarget) -> Environment:
    image_size = config.data.testbed.image_size if config.data.testbed else 64
    task = target.task or config.data.task
    adapter = environment(target.env)
    kind = action_kind(config.data.action_frame)
    return adapter(target.robot, task, action=kind, images=config.model.images, image_size=image_size)


def evaluate_targets(
    policy: VLAPolicy,
    config: VlaConfig,
    normalization: RunNormalization,
    run_seed: int,
    device: torch.device,
    on_trial=None,
    bundled: dict[str, BundledDataset] | None = None,
) -> list[dict[str, Any]]:
    """One row per trial for every `eval.targets` entry: success, progress, episode seed, steps. `bundled`: the
    datasets a checkpoint carries (`ablate.policy.bundle`), used where the data are not at hand."""
    rows = []
    for target in config.eval.targets:
        task = target.task or config.data.task
        acting = target_policy(policy, config, normalization, target, run_seed, device, bundled)
        env = open_environment(config, target)
        try:
            for trial in range(config.eval.trials):
                seed = episode_seed(run_seed, "eval", target.robot, task, trial)
                result = run_episode(env, acting, seed)
                rows.append(
                    {
                        "embodiment": target.robot,
                        "task": task,
                        "trial": trial,
                        "success": int(result.success),
                        "progress": float("nan") if result.progress is None else float(result.progress),
                        "episode_seed": seed,
                        "steps": result.steps,
                    }
                )
                if on_trial:
                    on_trial(rows[-1])
        finally:
            env.close()
    return rows
