"""Flow matching as in pi0 / LingBot-VLA (DESIGN.md): x_t = t·ε + (1 − t)·a, target u = ε − a,
t ~ Beta(1.5, 1)·0.999 + 0.001, and Euler integration from t = 1 (pure noise) to t = 0 in 10 steps.

Unlike pi0 and LingBot, the loss is masked: padded action dimensions (a robot with fewer joints than the unified
space) and padded chunk steps (`action_is_pad`, past the episode's end) do not count.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def sample_time(batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Beta(1.5, 1) by inversion (its CDF is x^1.5), so a seeded generator fixes it; scaled into [0.001, 1]."""
    u = torch.rand(batch, generator=generator)
    return u.pow(1 / 1.5) * 0.999 + 0.001


def draw(actions_shape: tuple[int, ...], generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise ε and flow time t for a batch of chunks, from one generator (on the CPU: the same numbers on any
    device). The trainer draws them for the global batch before sharding it, so a DDP run sees the very noise of
    a one-process run."""
    return torch.randn(actions_shape, generator=generator), sample_time(actions_shape[0], generator)


def interpolate(actions: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    t = t.view(-1, *([1] * (actions.dim() - 1)))
    return t * noise + (1 - t) * actions


def velocity_target(actions: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    return noise - actions


def real_entries(action_dim_mask: torch.Tensor, action_is_pad: torch.Tensor) -> torch.Tensor:
    """[B, H, A]: 1 on real action dims of real chunk steps, 0 on padding (dim mask [B, A], pad flags [B, H])."""
    return action_dim_mask[:, None, :] * (~action_is_pad.bool())[:, :, None].to(action_dim_mask.dtype)


def masked_mse(
    predicted: torch.Tensor, target: torch.Tensor, action_dim_mask: torch.Tensor, action_is_pad: torch.Tensor
) -> torch.Tensor:
    """Squared error over each sample's real entries ([B, H, A], dim mask [B, A], pad flags [B, H]), averaged
    per sample and then over the batch: every sample weighs the same however much of it is padding, and the mean
    of equal shards' losses (what DDP's gradient averaging computes) is exactly the global batch's loss."""
    weight = real_entries(action_dim_mask, action_is_pad)
    squared = (predicted.float() - target.float()).pow(2) * weight
    per_sample = squared.flatten(1).sum(1) / weight.flatten(1).sum(1).clamp(min=1.0)
    return per_sample.mean()


def euler_sample(velocity: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], noise: torch.Tensor, steps: int = 10):
    """Integrate dx/dt = v(x, t) from t = 1 (x = ε) down to t = 0; returns the action chunk."""
    if steps < 1:
        raise ValueError(f"model.denoise_steps must be >= 1, got {steps}")
    x, dt = noise, -1.0 / steps
    for i in range(steps):
        t = torch.full((len(x),), 1.0 + i * dt, device=x.device)
        x = x + dt * velocity(x, t)
    return x
