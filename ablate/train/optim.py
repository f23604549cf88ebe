"""Optimizers and learning-rate schedules from `optim.*` (one home for every job kind)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ablate.config import OptimConfig


def make_optimizer(cfg: OptimConfig, params: list[nn.Parameter], steps: int):
    """(optimizer, LambdaLR) for one stage of `steps` optimizer steps: `optim.name` adam (AdamW) or sgd,
    linear warm-up over `optim.warmup_steps`, then `optim.schedule` constant or cosine (to 0 at the stage's end)."""
    if cfg.name == "adam":
        opt = torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    warmup, cosine = cfg.warmup_steps, cfg.schedule == "cosine"

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if cosine and steps:
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup))))
        return 1.0

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)
