"""A run's whole config, by job kind, and the validation `ablate plan` runs on every arm."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import Field, ValidationError

from ablate.config.common import EvalConfig, Frozen, OptimConfig, StageConfig, TrainConfig
from ablate.errors import did_you_mean

# Job kind → its config class, as `module:Class` so naming one imports nothing heavy. Third-party kinds add
# theirs through the `ablate.job_configs` entry-point group; a kind without one gets `RunConfig` (data and model
# as free mappings, everything else typed).
CONFIG_CLASSES: dict[str, str] = {
    "vla": "ablate.config.vla:VlaConfig",
    "mlp_regression": "ablate.config.mlp:MlpConfig",
}


class RunConfig(Frozen):
    job: str
    optim: OptimConfig
    stages: dict[str, StageConfig] = Field(default_factory=lambda: {"main": StageConfig(share=1.0)})
    train: TrainConfig
    eval: EvalConfig = EvalConfig()
    data: dict[str, Any] = Field(default_factory=dict)
    model: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, config: dict[str, Any]) -> RunConfig:
        """The typed config of a resolved recipe (run.json's `config`), by its job kind."""
        return config_class(str(config.get("job"))).model_validate(config)

    def stage(self, name: str) -> StageConfig:
        return self.stages[name]


def config_class(job: str) -> type[RunConfig]:
    classes = _registered()
    if job not in classes:
        return RunConfig
    module, _, attr = classes[job].partition(":")
    return getattr(importlib.import_module(module), attr)


@cache
def _registered() -> dict[str, str]:
    """Built-in and entry-point config classes (read once per process: `entry_points()` costs ~60 ms)."""
    classes = dict(CONFIG_CLASSES)
    for ep in entry_points(group="ablate.job_configs"):
        classes.setdefault(ep.name, ep.value)
    return classes


def config_problems(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, what is wrong) for every problem in a resolved recipe; empty when it is a valid run config."""
    cls = config_class(str(config.get("job")))
    try:
        cls.model_validate(config)
    except ValidationError as e:
        return [_problem(cls, err) for err in e.errors()]
    return []


def _problem(cls: type[Frozen], err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc)
    if err["type"] == "extra_forbidden":
        known = _fields_at(cls, loc[:-1])
        return path, f"unknown key{did_you_mean(loc[-1], known)}; known here: {', '.join(known)}"
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] != "value_error" and "input" in err:
        message += f" (got {err['input']!r})"
    return path, message


def _fields_at(cls: type[Frozen], loc: list[str]) -> list[str]:
    """Field names of the nested model at `loc` (stages.<name> and other mappings are skipped over)."""
    model: Any = cls
    for part in loc:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            continue  # a mapping key (a stage name): stay at the value model
        annotation = field.annotation
        model = _model_in(annotation) or model
    return sorted(getattr(model, "model_fields", {}))


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, Frozen):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
