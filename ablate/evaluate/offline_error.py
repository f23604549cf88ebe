"""Offline error in the robot's own units (`ablate.offline_table`): a run's predicted chunks on held-out episodes,
un-normalised with the statistics it trained with, turned into absolute targets in its action frame
(`frames.to_targets`), against the demonstrations' absolute targets. Comparable across arms that differ in frame,
normalisation or mixture: every arm is measured on the same chunks of the same held-out episodes.

Which datasets: the study's target (`data.target`) when set, else every dataset the run trains on. Which chunks:
the validation split's (a seeded permutation of the dataset's episodes: the same for every arm sharing
`data.split_seed` and `data.val_fraction`), at most `MAX_CHUNKS` of them, chosen by the split seed and the dataset's
name — never by the run's seed or its loader's sampling. The row records those settings (and `data.horizon`,
`data.frame_step`), and the report refuses to compare arms whose settings differ: they were measured on other
chunks. The flow noise of the sampled chunks comes from the run's seed: seed s draws the same noise in every arm."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from ablate.config import VlaConfig
from ablate.data.datasets import dataset_path, frame_of, source_config, training_keys
from ablate.data.frames import Frame, to_targets
from ablate.data.inputs import Padding, unnormalize_actions
from ablate.data.loader import MixtureLoader
from ablate.data.normalize import RunNormalization
from ablate.data.source import EmbodimentSource
from ablate.data.support import FrameUnsupported, eef_source
from ablate.model.build import batch_tensors
from ablate.model.policy import VLAPolicy
from ablate.offline_table import METRICS, SETTINGS
from ablate.seeding import derived_seed

MAX_CHUNKS = 256
BATCH = 32


def offline_keys(config: VlaConfig) -> list[str]:
    return [config.data.target] if config.data.target else training_keys(config)


@torch.no_grad()
def offline_errors(
    policy: VLAPolicy, config: VlaConfig, normalization: RunNormalization, seed: int, device: torch.device
) -> list[dict[str, Any]]:
    """One row per dataset (`ablate.offline_table`'s columns after the run's identity); none without a held-out
    split (`data.val_fraction` 0, or a one-episode dataset)."""
    rows = []
    for key in offline_keys(config):
        path = dataset_path(config.data, key)
        source = EmbodimentSource(source_config(config.data, path, "val", images=config.model.images))
        if len(source) == 0:
            continue
        rows.append(_errors(policy, config, normalization, source, seed, device))
    return rows


def _errors(
    policy: VLAPolicy,
    config: VlaConfig,
    normalization: RunNormalization,
    source: EmbodimentSource,
    seed: int,
    device: torch.device,
) -> dict[str, Any]:
    data, frame = config.data, frame_of(config.data)
    stats = normalization.of(source.name)
    loader = MixtureLoader(
        [source],
        {source.name: 1.0},
        0,
        padding=Padding.of(data),
        temperature=1.0,
        normalization=normalization.mode,
        stats={source.name: stats},
    )
    chosen = np.random.default_rng(derived_seed(data.split_seed, "offline-chunks", source.name))
    picks = np.arange(len(source))
    if len(picks) > MAX_CHUNKS:
        picks = np.sort(chosen.choice(picks, size=MAX_CHUNKS, replace=False))
    generator = torch.Generator().manual_seed(derived_seed(seed, "offline-error", source.name))
    fk = _kinematics(source)
    sums: dict[str, list[float]] = {}
    policy.eval()
    for start in range(0, len(picks), BATCH):
        indices = [int(i) for i in picks[start : start + BATCH]]
        batch = batch_tensors(loader.batch_at([(source.name, i) for i in indices]), policy, device)
        predicted = policy.sample_actions(batch, generator=generator)[..., : source.action_dim]
        for row, i in enumerate(indices):
            chunk = predicted[row].float().cpu().numpy().astype(np.float64)
            labels = unnormalize_actions(chunk, stats, normalization.mode)  # the mode it trained with
            for name, value in _chunk_errors(source, frame, fk, i, labels).items():
                sums.setdefault(name, []).append(value)
    policy.train()
    means = {name: float(np.mean(values)) if values else None for name, values in sums.items()}
    settings = {column: getattr(data, key.removeprefix("data.")) for column, key in SETTINGS.items()}
    where = {"embodiment": source.embodiment.name, "dataset": source.name, "chunks": len(picks)}
    return where | settings | {name: means.get(name) for name in METRICS}


def _kinematics(source: EmbodimentSource):
    """Forward kinematics for a joint-frame run's EEF errors, where the dataset's EEF poses come from kinematics
    (`support.eef_source`): a recorded pose would be another convention than FK of the predicted joints."""
    if not source.cfg.frame.is_joint:
        return None
    try:
        if eef_source(source.description, source.embodiment, source.cfg.joint_only) != "kinematics":
            return None
    except FrameUnsupported:
        return None
    from ablate.data.kinematics import ForwardKinematics

    return ForwardKinematics(source.embodiment, tuple(source.description.base_position))


def _chunk_errors(source: EmbodimentSource, frame: Frame, fk, index: int, labels: np.ndarray) -> dict[str, float]:
    """Errors of one predicted chunk (labels in the frame, robot units) against its demonstration, real steps only."""
    t = int(source.starts[index])
    steps, pad = source.chunk_steps(index)
    real = ~pad
    grippers = source.robot.gripper_commands[steps]
    arm, gripper = to_targets(frame, source.current[t], labels, gripper_dims=grippers.shape[1])
    truth = source.target[steps]
    out = {"gripper_error": float(np.abs(gripper - grippers)[real].mean())} if grippers.shape[1] else {}
    if frame.is_joint:
        out["joint_error_rad"] = float(np.abs(arm - truth)[real].mean())
        if fk is None:
            return out
        arm, truth = fk(arm), fk(truth)
    return out | _pose_errors(arm[real], truth[real])


def _pose_errors(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Mean position distance and geodesic rotation angle over steps and arms ([N, 7 × arms] poses)."""
    p, q = predicted.reshape(len(predicted), -1, 7), truth.reshape(len(truth), -1, 7)
    position = np.linalg.norm(p[..., :3] - q[..., :3], axis=-1)
    rotation = Rotation.from_quat(p[..., 3:].reshape(-1, 4)) * Rotation.from_quat(q[..., 3:].reshape(-1, 4)).inv()
    return {
        "eef_position_error_m": float(position.mean()),
        "eef_rotation_error_rad": float(rotation.magnitude().mean()),
    }
