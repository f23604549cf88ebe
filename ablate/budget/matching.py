"""Turn a sweep's budget (`budget.unit`, `per_run`, stage shares) into optimizer steps per stage for one arm.

Recipe conventions read here (the job kinds follow them too):
- `stages`: an ordered mapping `name -> {share, batch_size?, …}`; without it, one stage `main` with share 1.
- `train.batch_size`: the batch size of stages that do not set their own.
- `train.tokens_per_sample`: needed only when the unit is `tokens`.
A `gpu_hours` budget is time-bound: the job stops a stage when its GPU time is spent, so steps are not fixed.

Budget planning sits below the spec (spec → plan → budget): it reads the settings it needs through `BudgetSettings`,
which the spec's validated `budget:` block (`spec.schema.BudgetSpec`) satisfies as it is; budget never imports spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ablate.config import RunConfig


class BudgetError(ValueError):
    """An arm's budget cannot be met as asked; the message says why."""


class BudgetSettings(Protocol):
    """What every run gets the same amount of: `per_run` in `unit` (samples, steps, tokens or gpu_hours), split over
    the stages by `stages` (name -> share, summing to 1; None: the recipe's own shares), met within `tolerance`."""

    @property
    def unit(self) -> str: ...
    @property
    def per_run(self) -> float: ...
    @property
    def stages(self) -> Mapping[str, float] | None: ...
    @property
    def tolerance(self) -> float: ...


@dataclass(frozen=True)
class StageBudget:
    stage: str
    share: float
    unit: str
    nominal: float  # per_run × share, in the unit
    planned: float  # what the whole number of steps really gives, in the unit
    steps: int | None  # None when time-bound (gpu_hours)
    batch_size: int
    samples: int | None
    tokens: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stage_chain(config: RunConfig | dict[str, Any]) -> list[tuple[str, float | None, int]]:
    """(name, recipe share, batch size) for each stage, in order."""
    config = RunConfig.of(config) if isinstance(config, dict) else config
    return [(name, stage.share, stage.batch_size or config.train.batch_size) for name, stage in config.stages.items()]


def plan_stages(config: RunConfig | dict[str, Any], budget: BudgetSettings) -> list[StageBudget]:
    """Steps per stage for a run config (typed, or a resolved recipe that `RunConfig.of` accepts)."""
    config = RunConfig.of(config) if isinstance(config, dict) else config
    chain = stage_chain(config)
    names = [name for name, _, _ in chain]
    if budget.stages is not None:
        if set(budget.stages) != set(names):
            raise BudgetError(
                f"budget.stages names {', '.join(budget.stages)} but the recipe's stage chain is {', '.join(names)}"
            )
        shares = dict(budget.stages)
    else:
        shares = {name: share for name, share, _ in chain}
        if any(s is None for s in shares.values()):
            raise BudgetError("the recipe's stages have no `share`; give budget.stages in the spec")
        if not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-9):
            raise BudgetError(f"the recipe's stage shares add up to {sum(shares.values()):g}, not 1")
    return [_stage_budget(name, shares[name], bs, config, budget) for name, _, bs in chain]


def _stage_budget(name: str, share: float, bs: int, config: RunConfig, budget: BudgetSettings) -> StageBudget:
    nominal = budget.per_run * share
    unit = budget.unit
    if unit == "gpu_hours":
        return StageBudget(name, share, unit, nominal, nominal, None, bs, None, None)
    tokens_per_sample = None
    if unit == "tokens":
        tokens_per_sample = config.train.tokens_per_sample
        if tokens_per_sample is None:
            raise BudgetError("unit tokens needs train.tokens_per_sample (a positive integer) in the recipe")
    per_step = {"samples": bs, "steps": 1, "tokens": bs * (tokens_per_sample or 0)}[unit]
    steps = round(nominal / per_step)
    if steps < 1:
        raise BudgetError(
            f"stage '{name}' gets {nominal:g} {unit}, less than one optimizer step ({per_step} {unit} at batch {bs})"
        )
    planned = steps * per_step
    gap = abs(planned - nominal) / nominal
    if gap > budget.tolerance:
        raise BudgetError(
            f"stage '{name}': {nominal:g} {unit} is not a whole number of steps at batch {bs} "
            f"({steps} steps give {planned:g}, {gap:.2%} off, more than the {budget.tolerance:.0%} tolerance)"
        )
    tokens = steps * bs * tokens_per_sample if tokens_per_sample else None
    return StageBudget(name, share, unit, nominal, float(planned), steps, bs, steps * bs, tokens)


def matched_quantity(stages: list[StageBudget]) -> tuple[str, float | None]:
    """What must be equal across arms beyond the unit itself: the samples seen, when the unit is steps."""
    if stages[0].unit == "steps":
        return "samples", float(sum(s.samples or 0 for s in stages))
    return stages[0].unit, sum(s.planned for s in stages)
