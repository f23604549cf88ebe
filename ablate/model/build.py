"""A run's policy from its typed config: the model settings and the unified spaces of its data."""

from __future__ import annotations

from typing import Any

import torch

from ablate.config import VlaConfig
from ablate.model.policy import VLAPolicy


def build_policy(config: VlaConfig, seed: int) -> VLAPolicy:
    """Same seed → same initial weights in every arm that shares the architecture (paired design)."""
    data = config.data
    torch.manual_seed(seed)
    return VLAPolicy(
        config.model,
        max_state_dim=data.max_state_dim,
        max_action_dim=data.max_action_dim,
        horizon=data.horizon,
        environment_state_dim=data.environment_dim,
    )


def batch_tensors(batch: dict[str, Any], policy: VLAPolicy, device: torch.device) -> dict[str, torch.Tensor]:
    """A loader's numpy batch as the policy's input tensors on `device`, the instruction tokenised."""
    out = {k: torch.as_tensor(v).to(device) for k, v in batch.items() if k != "instruction"}
    out["tokens"], out["token_mask"] = (t.to(device) for t in policy.tokenize(batch["instruction"]))
    return out
