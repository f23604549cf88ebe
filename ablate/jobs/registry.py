"""Job kinds, registered by name as `module:function` strings so that naming one imports nothing (plan and
status stay torch-free). A job function takes a `JobContext` and returns its final metrics.

Third-party kinds register through the `ablate.jobs` entry-point group."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

JOB_KINDS: dict[str, str] = {
    "mlp_regression": "ablate.kinds.mlp_regression:run",
    "vla": "ablate.kinds.vla:run",
}


def known_kinds() -> dict[str, str]:
    kinds = dict(JOB_KINDS)
    for ep in entry_points(group="ablate.jobs"):
        kinds.setdefault(ep.name, ep.value)
    return kinds


def register(name: str, target: str) -> None:
    JOB_KINDS[name] = target


def load_job(name: str) -> Callable[..., dict[str, Any]]:
    kinds = known_kinds()
    if name not in kinds:
        raise KeyError(f"unknown job kind '{name}'; known: {', '.join(sorted(kinds))}")
    module, _, attr = kinds[name].partition(":")
    return getattr(importlib.import_module(module), attr)
