"""The parts every job kind shares: optimizer, stage chain, training loop settings, evaluation targets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator

# A mixture: {robot or dataset: weight}, or a rule over `data.robots`.
Mixture = dict[str, float] | Literal["proportional", "temperature"]
TRAINABLE = ("all", "expert", "all_but_vision")
REQUIRED = "???"  # Hydra's mark for a value the recipe leaves to its user (`data.root: ???`)


class Frozen(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default); values are immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value):
        """A value the recipe leaves to its user (`???`) must be given, not read as the string '???'."""
        if isinstance(value, str) and value == REQUIRED:
            raise ValueError("required: the recipe leaves it to you (KEY=VALUE after the recipe, or in the spec)")
        return value


class OptimConfig(Frozen):
    """`optim.*`: AdamW (`adam`) or SGD, linear warm-up, then a constant or cosine schedule per stage."""

    name: Literal["adam", "sgd"] = "adam"
    lr: PositiveFloat
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = Field(0.0, ge=0)
    momentum: float = Field(0.9, ge=0)
    warmup_steps: NonNegativeInt = 0
    schedule: Literal["constant", "cosine"] = "constant"
    # openpi's and lerobot's default; null turns clipping off (the norm is still logged).
    clip_grad_norm: PositiveFloat | None = 1.0


class OptimOverrides(Frozen):
    """A stage's changes to `optim.*` (any subset)."""

    name: Literal["adam", "sgd"] | None = None
    lr: PositiveFloat | None = None
    betas: tuple[float, float] | None = None
    weight_decay: float | None = Field(None, ge=0)
    momentum: float | None = Field(None, ge=0)
    warmup_steps: NonNegativeInt | None = None
    schedule: Literal["constant", "cosine"] | None = None
    clip_grad_norm: PositiveFloat | None = None


class StageConfig(Frozen):
    """One stage of the chain: its share of the budget, what trains, its own optimizer changes and mixture."""

    share: float | None = Field(None, gt=0, le=1)  # None: the spec's budget.stages gives it
    trainable: Literal["all", "expert", "all_but_vision"] = "all"
    optim: OptimOverrides = OptimOverrides()
    mixture: Mixture | None = None  # None: `data.mixture`
    batch_size: PositiveInt | None = None  # None: `train.batch_size`

    def optimizer(self, base: OptimConfig) -> OptimConfig:
        """`base` with this stage's changes."""
        changes = self.optim.model_dump(exclude_none=True)
        return base.model_copy(update=changes) if changes else base


class DropoutConfig(Frozen):
    """`train.dropout.*`: sensory dropout probabilities (train time only)."""

    p_view: float = Field(0.0, ge=0, le=1)
    p_state: float = Field(0.0, ge=0, le=1)
    p_lang: float = Field(0.0, ge=0, le=1)


class TrainBudget(Frozen):
    """`train.budget`: the budget `ablate train` plans for a single run (a sweep's spec sets its own)."""

    unit: Literal["samples", "steps", "tokens", "gpu_hours"]
    per_run: PositiveFloat


class TrainConfig(Frozen):
    batch_size: PositiveInt
    threads: PositiveInt = 1
    parallel: Literal["ddp", "fsdp"] = "ddp"  # with several processes
    device: Literal["auto", "cpu", "cuda"] = "auto"
    bf16: bool = True  # autocast on CUDA only (emulated bf16 on CPU is ~50x slower)
    log_every: PositiveInt = 10
    checkpoint_every: PositiveInt = 100
    keep_checkpoints: PositiveInt = 2
    budget: TrainBudget | None = None
    dropout: DropoutConfig = DropoutConfig()
    tokens_per_sample: PositiveInt | None = None  # for budget unit tokens: the tokens one sample costs


class EvalTarget(Frozen):
    robot: str
    task: str | None = None  # None: the run's `data.task`
    env: str = "testbed"  # the environment adapter it runs in (`ablate.envs`: testbed, metaworld, or registered)


class EvalConfig(Frozen):
    targets: tuple[EvalTarget, ...] = ()
    trials: NonNegativeInt = 0
    execute: PositiveInt = 4  # steps of each predicted chunk executed before predicting again
