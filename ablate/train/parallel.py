"""Data parallelism over the ranks of one run (`train.parallel`): `ddp` (DistributedDataParallel, the default) or
`fsdp` (FSDP2's `fully_shard`: parameters, gradients and optimizer state sharded over the ranks, for backbones
that do not fit once per GPU). One process: neither.

FSDP2 all-gathers a module's parameters before its `forward`. The joint stream never calls a backbone decoder
layer's `forward`: it reads the layer's projections inside `ExpertLayer.joint`, beside the expert layer's own. So
each (backbone layer, expert layer) pair is one FSDP group, and `joint` is registered as the group's forward.

Checkpoints always hold full (unsharded) state dicts keyed by parameter name, whatever the mode, so a run can
resume on another number of processes or in another mode.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_optimizer_state_dict,
)

from ablate.model.backbone import VISION_MODULES
from ablate.model.policy import VLAPolicy

_FULL = StateDictOptions(full_state_dict=True, cpu_offload=True)


def shard_fully(policy: VLAPolicy) -> None:
    """FSDP2 in place, bottom-up: one group per joint layer pair, one for the vision tower when images are used
    (its `forward` is called), and the root for the rest (embeddings, the expert's input and output layers)."""
    from torch.distributed.fsdp import fully_shard, register_fsdp_forward_method

    for vlm_layer, expert_layer in zip(policy.backbone.layers, policy.expert.layers, strict=True):
        fully_shard([vlm_layer, expert_layer])
        register_fsdp_forward_method(expert_layer, "joint")
    if policy.images:
        inner = policy.backbone.vlm.model
        for name in VISION_MODULES[:3]:  # the towers; their projectors stay with the root
            if isinstance(getattr(inner, name, None), nn.Module):
                fully_shard(getattr(inner, name))
    fully_shard(policy)


def describe(policy: nn.Module, mode: str, world_size: int) -> str:
    """How the run is spread, with what a user sizes GPUs by: the share of the parameters each rank holds."""
    if world_size == 1:
        return "one process"
    if mode == "ddp":
        return f"DDP over {world_size} processes (each holds all parameters)"
    local = sum(getattr(p, "to_local", lambda p=p: p)().numel() for p in policy.parameters())
    total = sum(p.numel() for p in policy.parameters())
    return f"FSDP2 over {world_size} processes (each holds {local / total:.0%} of the {total:,} parameters)"


def wrap_for_stage(policy: VLAPolicy, mode: str, world_size: int, device: torch.device) -> nn.Module:
    """What the stage calls for its loss. DDP is rebuilt per stage (its trainable set changes); FSDP is applied
    once before the first stage (`shard_fully`) and handles a changing trainable set itself."""
    if world_size == 1 or mode == "fsdp":
        return policy
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(policy, device_ids=ids)


def model_state(policy: nn.Module) -> dict[str, torch.Tensor]:
    """The full state dict on CPU (a collective under FSDP: every rank calls it; rank 0 gets the tensors)."""
    return get_model_state_dict(policy, options=_FULL)


def optimizer_state(policy: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """The optimizer's full state keyed by parameter name (a collective under FSDP)."""
    return get_optimizer_state_dict(policy, optimizer, options=_FULL)


def load_optimizer_state(policy: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    if not state["state"]:
        # A stateless optimizer (SGD without momentum): only the hyperparameters (the scheduled lr) to restore;
        # torch's loader cannot place an empty state on a device.
        for group, saved in zip(optimizer.param_groups, state["param_groups"], strict=True):
            group.update({k: v for k, v in saved.items() if k != "params"})
        return
    set_optimizer_state_dict(policy, optimizer, state, options=StateDictOptions(full_state_dict=True))


def total_norm(norm: torch.Tensor) -> float:
    """`clip_grad_norm_`'s result as a number; under FSDP it is a DTensor whose value needs a collective."""
    full = getattr(norm, "full_tensor", None)
    return float(full() if full is not None else norm)
