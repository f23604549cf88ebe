"""The sweep spec's schema (DESIGN.md, "Sweep spec"). Unknown keys are errors, types are strict.

Only the shape is checked here; what the factors mean (families, levels, recipe keys) is checked in
`factors.py` and `plan.py`, which know the recipe tree.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ablate.errors import InputError, pydantic_problem
from ablate.naming import bad_targets
from ablate.spec.yaml_lines import Document

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$"
BUDGET_UNITS = ("samples", "steps", "tokens", "gpu_hours")
LevelRef = str | int | float | bool
Seed = Annotated[int, Field(ge=0)]  # a torch/numpy seed: negative ones are refused (numpy raises on them)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BudgetSpec(_Strict):
    unit: Literal["samples", "steps", "tokens", "gpu_hours"]
    per_run: float = Field(gt=0)
    # Share of per_run for each stage of the recipe's stage chain; default: the recipe's own shares.
    stages: dict[str, float] | None = None
    # Largest relative gap allowed between planned and consumed (audit) and between arms (plan).
    tolerance: float = Field(0.01, gt=0, lt=1)
    # Factors allowed to change what a run consumes (e.g. a batch-size factor under unit: steps).
    budget_changing: list[str] = []

    @field_validator("stages")
    @classmethod
    def _shares_sum_to_one(cls, stages: dict[str, float] | None) -> dict[str, float] | None:
        if stages is None:
            return None
        if not stages:
            raise ValueError("expected at least one stage, e.g. {pre: 0.5, post: 0.5}")
        bad = [name for name, share in stages.items() if not share > 0]
        if bad:
            raise ValueError(f"every stage share must be > 0 (not {', '.join(bad)})")
        total = sum(stages.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"stage shares must add up to 1 (they add up to {total:g})")
        return stages


class GridSpec(_Strict):
    cross: list[str] | None = None  # default: every factor not in a zip group
    zip: list[list[str]] = []
    exclude: list[dict[str, LevelRef]] = []
    include: list[dict[str, LevelRef]] = []


class TargetSpec(_Strict):
    robot: str
    task: str


class EvaluateSpec(_Strict):
    env: str = "testbed"
    targets: list[TargetSpec] = Field(min_length=1)
    trials: int = Field(gt=0)


class LauncherSpec(_Strict):
    kind: Literal["local", "debug", "slurm"] = "local"
    profile: str | None = None  # slurm: a name in slurm/profiles/ or a path
    parallel: int | None = Field(None, gt=0)  # local: runs at once; slurm: array parallelism cap

    @model_validator(mode="after")
    def _profile_only_for_slurm(self) -> LauncherSpec:
        if self.kind == "slurm" and self.profile is None:
            raise ValueError("kind slurm needs a profile (a file in slurm/profiles/, e.g. profile: cpu)")
        return self


class ReportSpec(_Strict):
    """`ablate run` ends with `ablate report` on the sweep's trial table (ablate/stats): each level of the
    baseline's factor against the baseline level, the other factors held fixed."""

    baseline: str = Field(pattern=r"^[^=]+=[^=]+$")  # FACTOR=LEVEL, e.g. mixture=target_only
    by: list[str] = []  # columns grouping targets for pooled tests (embodiment, task, or a factor)
    margin: float | None = Field(None, gt=0, lt=1)  # non-inferiority margin on the success rate
    resamples: int = Field(10_000, ge=100)


FACTOR_LEVEL = r"^[^=]+=[^=]+$"
ALTERNATIVES = ("greater", "less", "two-sided", "non-inferior")


class HypothesisSpec(_Strict):
    """One pre-registered comparison: `arm` against `baseline` (levels of one factor), the other factors held at
    `where` (those not named are strata), on `targets` (default: every evaluated target)."""

    name: str = Field(pattern=NAME_PATTERN)
    arm: str = Field(pattern=FACTOR_LEVEL)  # FACTOR=LEVEL, e.g. mixture=pooled
    baseline: str = Field(pattern=FACTOR_LEVEL)  # FACTOR=LEVEL of the same factor
    where: dict[str, LevelRef] = {}
    targets: list[str] | None = Field(None, min_length=1)  # ROBOT/TASK, e.g. IIWA/lift
    alternative: Literal["greater", "less", "two-sided", "non-inferior"]  # on the arm's success rate
    margin: float | None = Field(None, gt=0, lt=1)  # non-inferior: Δ > −margin
    alpha: float = Field(0.05, gt=0, lt=0.5)

    @model_validator(mode="after")
    def _margin_with_non_inferiority(self) -> HypothesisSpec:
        if (self.alternative == "non-inferior") != (self.margin is not None):
            raise ValueError("a margin goes with alternative: non-inferior, and only with it")
        if self.arm.split("=")[0] != self.baseline.split("=")[0]:
            raise ValueError(f"arm ({self.arm}) and baseline ({self.baseline}) must be levels of the same factor")
        return self

    @field_validator("targets")
    @classmethod
    def _robot_slash_task(cls, targets: list[str] | None) -> list[str] | None:
        bad = bad_targets(targets or [])
        if bad:
            raise ValueError(f"targets are ROBOT/TASK, e.g. IIWA/lift (not {', '.join(bad)})")
        return targets


class HypothesesSpec(_Strict):
    """Declared before the sweep starts and frozen with it: the report tests exactly these as confirmatory."""

    correction: Literal["holm", "bh", "none"] = "holm"  # across the hypotheses
    tests: list[HypothesisSpec] = Field(min_length=1)

    @field_validator("tests")
    @classmethod
    def _unique_names(cls, tests: list[HypothesisSpec]) -> list[HypothesisSpec]:
        names = [t.name for t in tests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"hypothesis names must be distinct (repeated: {', '.join(dupes)})")
        return tests


class SearchDimension(_Strict):
    """One config path's search range: `{low, high, log?, step?}` (floats or ints) or `{choices: [...]}`."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = Field(None, gt=0)
    integer: bool = False
    choices: list[LevelRef] | None = Field(None, min_length=2)

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchDimension:
        if (self.choices is None) == (self.low is None or self.high is None):
            raise ValueError("expected either low and high (a range) or choices (a list), e.g. {low: 1e-4, high: 1e-2}")
        if self.choices is None and not self.low < self.high:
            raise ValueError(f"low must be below high (got {self.low:g} and {self.high:g})")
        if self.log and self.choices is None and self.low <= 0:
            raise ValueError("a log-scaled range needs low > 0")
        return self


class TuneSpec(_Strict):
    """`ablate tune`: one Optuna study per arm over the same space, the same number of trials and the same sampler
    seed for every arm; each trial is a real run with this (smaller) budget on the tuning seeds."""

    space: dict[str, SearchDimension] = Field(min_length=1)  # config path -> range or choices
    trials: int = Field(8, ge=1)  # per arm (`--trials` overrides)
    budget: BudgetSpec  # of one tuning trial
    seeds: list[Seed] = Field([1000], min_length=1)  # tuning seeds: disjoint from the final seeds
    metric: str = "success"  # a value the job returns (success, val_flow_loss, val_loss, …); mean over the seeds
    direction: Literal["maximize", "minimize"] = "maximize"
    sampler: Literal["tpe", "random"] = "tpe"
    sampler_seed: int = 0
    batch: int = Field(1, ge=1)  # trials asked per arm per round (they run in parallel)
    storage: str | None = None  # an Optuna RDB URL; default sqlite in <sweep>/tune/


class SweepSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    recipe: str
    seeds: list[Seed] = Field(min_length=1)
    overrides: dict[str, Any] = {}  # config changes shared by every arm (not a factor)
    factors: dict[str, Any] = {}
    grid: GridSpec = GridSpec()
    budget: BudgetSpec
    evaluate: EvaluateSpec | None = None
    launcher: LauncherSpec = LauncherSpec()
    report: ReportSpec | None = None
    hypotheses: HypothesesSpec | None = None
    tune: TuneSpec | None = None

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, seeds: list[Seed]) -> list[Seed]:
        dupes = sorted({s for s in seeds if seeds.count(s) > 1})
        if dupes:
            raise ValueError(f"seeds must be distinct (repeated: {dupes})")
        return seeds


_MODELS: dict[str, type[BaseModel]] = {
    "": SweepSpec,
    "budget": BudgetSpec,
    "grid": GridSpec,
    "evaluate": EvaluateSpec,
    "evaluate.targets": TargetSpec,
    "launcher": LauncherSpec,
    "report": ReportSpec,
    "hypotheses": HypothesesSpec,
    "hypotheses.tests": HypothesisSpec,
    "tune": TuneSpec,
    "tune.budget": BudgetSpec,
}


def validate_spec(doc: Document) -> SweepSpec:
    if not isinstance(doc.data, dict):
        raise InputError(doc.problem("", "expected a mapping of spec keys (name, recipe, seeds, factors, …)"))
    try:
        return SweepSpec.model_validate(doc.data)
    except ValidationError as e:
        raise InputError([pydantic_problem(doc, err, _MODELS) for err in e.errors()]) from None
