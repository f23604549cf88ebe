"""Optimizers and learning-rate schedules from `optim.*` (one home for every job kind)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


def make_optimizer(cfg: dict[str, Any], params: list[nn.Parameter], steps: int):
    """(optimizer, LambdaLR) for one stage of `steps` optimizer steps: `optim.name` adam (AdamW) or sgd,
    linear warm-up over `optim.warmup_steps`, then `optim.schedule` constant or cosine (to 0 at the stage's end)."""
    name = cfg.get("name", "adam")
    if name == "adam":
        opt = torch.optim.AdamW(
            params,
            lr=float(cfg["lr"]),
            betas=tuple(cfg.get("betas", (0.9, 0.999))),
            weight_decay=float(cfg.get("weight_decay", 0.0)),
        )
    elif name == "sgd":
        opt = torch.optim.SGD(params, lr=float(cfg["lr"]), momentum=float(cfg.get("momentum", 0.9)))
    else:
        raise ValueError(f"optim.name must be adam or sgd, got {name!r}")
    warmup = int(cfg.get("warmup_steps", 0))
    schedule = cfg.get("schedule", "constant")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"optim.schedule must be constant or cosine, got {schedule!r}")

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if schedule == "cosine" and steps:
            return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup))))
        return 1.0

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)
