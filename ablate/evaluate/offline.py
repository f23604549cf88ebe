"""Offline evaluation on held-out episodes (the validation split): the flow-matching loss, and the error of
sampled chunks against the demonstrations in the run's action frame (normalised units, real dims and steps),
beside the error of always predicting the training mean (zero in normalised units): the floor a policy that
learned nothing reaches. The validation episodes are normalised with the training statistics."""

from __future__ import annotations

import torch

from ablate.config import VlaConfig
from ablate.data.datasets import build_loader
from ablate.data.normalize import RunNormalization
from ablate.model.build import batch_tensors
from ablate.model.flow import real_entries
from ablate.model.policy import VLAPolicy
from ablate.seeding import derived_seed


@torch.no_grad()
def offline_metrics(
    policy: VLAPolicy,
    config: VlaConfig,
    normalization: RunNormalization,
    seed: int,
    device: torch.device,
    batches: int = 4,
    batch_size: int = 64,
) -> dict[str, float]:
    if config.data.val_fraction <= 0:
        return {}
    loader = build_loader(config, None, derived_seed(seed, "offline"), normalization, split="val")
    generator = torch.Generator().manual_seed(derived_seed(seed, "offline-noise"))
    policy.eval()
    losses, errors, mean_errors = [], [], []
    for _ in range(batches):
        batch = batch_tensors(loader.batch(batch_size), policy, device)
        losses.append(float(policy.loss(batch, generator)))
        predicted = policy.sample_actions(batch, generator=generator)
        weight = real_entries(batch["action_dim_mask"], batch["action_is_pad"])
        errors.append(float(((predicted - batch["actions"]).abs() * weight).sum() / weight.sum()))
        mean_errors.append(float((batch["actions"].abs() * weight).sum() / weight.sum()))
    policy.train()
    return {
        "val_flow_loss": sum(losses) / len(losses),
        "val_action_l1": sum(errors) / len(errors),
        "val_action_l1_predict_mean": sum(mean_errors) / len(mean_errors),
    }
