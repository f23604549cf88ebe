"""The typed run config: what one run trains and evaluates, as frozen pydantic models built from the composed
Hydra recipe (`RunConfig.of(config_dict)`). Every default lives here, once; method code reads attributes, never
`dict.get(key, default)`. `ablate plan` validates every arm's config against these models, so a mistyped recipe
key or value is an error before anything is launched.

Near the bottom of the package: imports pydantic and `ablate.errors`, nothing else of ablate's.
"""

from ablate.config.common import (
    DropoutConfig,
    EvalConfig,
    EvalTarget,
    Mixture,
    OptimConfig,
    StageConfig,
    TrainBudget,
    TrainConfig,
)
from ablate.config.run import RunConfig, config_class, config_problems
from ablate.config.vla import BackboneConfig, ExpertConfig, TestbedData, VlaConfig, VlaData, VlaModel

__all__ = [
    "BackboneConfig",
    "DropoutConfig",
    "EvalConfig",
    "EvalTarget",
    "ExpertConfig",
    "Mixture",
    "OptimConfig",
    "RunConfig",
    "StageConfig",
    "TestbedData",
    "TrainBudget",
    "TrainConfig",
    "VlaConfig",
    "VlaData",
    "VlaModel",
    "config_class",
    "config_problems",
]
