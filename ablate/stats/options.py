"""How `ablate report` analyses a table: the methods and levels chosen for it, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    alpha: float = 0.05
    level: float = 0.95
    rate_method: str = "wilson"
    delta_method: str = "newcombe"
    exact_test: str = "boschloo"
    correction: str = "holm"
    cmh_continuity: bool = True
    margin: float | None = None
    resamples: int = 10_000
    seed: int = 0
