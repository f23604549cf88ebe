"""The `mlp_regression` job kind's data and model settings (the engine's small genuine torch job)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from ablate.config.common import Frozen, Mixture
from ablate.config.run import RunConfig


class MlpData(Frozen):
    mixture: Mixture
    input_dim: PositiveInt
    output_dim: PositiveInt
    train_samples: PositiveInt
    val_samples: PositiveInt
    noise: float = Field(0.0, ge=0)
    task_seed: int  # the tasks (teachers, inputs) are the same for every arm and seed
    action_frame: str | None = None  # unused; lets the action_frame factor family resolve on this recipe


class MlpModel(Frozen):
    hidden: PositiveInt
    depth: int = Field(ge=0)


class MlpConfig(RunConfig):
    job: Literal["mlp_regression"] = "mlp_regression"
    data: MlpData
    model: MlpModel
