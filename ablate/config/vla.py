"""The `vla` job kind's data and model settings (the flow-matching VLA core on LeRobot datasets)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from ablate.config.common import Frozen, Mixture
from ablate.config.run import RunConfig

ActionFrame = Literal["joint_abs", "joint_delta", "world_rel", "world_delta", "eef_rel", "eef_delta"]
Rotation = Literal["axis_angle", "quaternion", "rot6d"]


class TestbedData(Frozen):
    """`data.testbed`: generate missing robosuite testbed datasets into `data.root` before training."""

    episodes: PositiveInt
    seed: int = 0
    image_size: PositiveInt = 64


class VlaData(Frozen):
    root: Path  # relative to the directory the run starts in
    task: str
    mixture: Mixture
    robots: tuple[str, ...] = ()  # for mixture: proportional / temperature
    temperature: PositiveFloat = 1.0
    target: str | None = None  # the robot the mixture key `target` stands for
    target_episodes: PositiveInt | None = None
    joint_only: tuple[str, ...] = ()
    # dataset (mixture key or folder name) -> its description file, relative to where the run starts; a dataset not
    # named here is described beside it (<name>.ablate.yaml) or inside it (meta/ablate.json)
    descriptions: dict[str, Path] = Field(default_factory=dict)
    action_frame: ActionFrame
    rotation: Rotation = "axis_angle"
    horizon: PositiveInt = 8
    frame_step: PositiveInt = 1
    val_fraction: float = Field(0.1, ge=0, lt=1)
    split_seed: int = 0
    # Actions only: states are always mean/std (as in training since the start).
    normalization: Literal["mean_std", "quantile"] = "mean_std"
    environment_state: bool = False
    max_state_dim: PositiveInt = 32  # the unified padded spaces (openpi and lerobot pad to 32)
    max_action_dim: PositiveInt = 32
    max_environment_dim: NonNegativeInt = 0
    testbed: TestbedData | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VlaData:
        if self.target_episodes is not None and not self.target:
            raise ValueError("data.target_episodes is set but data.target (the robot it limits) is not")
        if isinstance(self.mixture, str) and not self.robots:
            raise ValueError(f"data.mixture '{self.mixture}' needs data.robots (the robots it weighs)")
        if isinstance(self.mixture, dict) and (
            any(w < 0 for w in self.mixture.values()) or sum(self.mixture.values()) <= 0
        ):
            raise ValueError(f"data.mixture weights must be >= 0 and not all 0, got {self.mixture}")
        return self

    @property
    def environment_dim(self) -> int:
        """Width of the environment-state input (0 = no such token)."""
        return self.max_environment_dim if self.environment_state else 0


FAMILIES = ("idefics3", "paligemma", "qwen25vl")
_ALIASES = {"smolvlm": "idefics3", "qwen2_5_vl": "qwen25vl", "qwen2.5-vl": "qwen25vl"}


def family_of(name: str) -> str:
    """The backbone family a name stands for (SmolVLM is an Idefics3)."""
    family = _ALIASES.get(name.lower(), name.lower())
    if family not in FAMILIES:
        raise ValueError(f"model.backbone.family: unknown family '{name}'; expected one of {', '.join(FAMILIES)}")
    return family


class TinySettings(Frozen):
    """`model.backbone.tiny`: the seeded random VLM built when no `path` is given (CPU runs, tests)."""

    hidden_size: PositiveInt = 64
    layers: PositiveInt = 2
    heads: PositiveInt = 4
    kv_heads: PositiveInt = 2
    head_dim: PositiveInt = 16
    intermediate_size: PositiveInt = 128
    vocab_size: PositiveInt = 512
    vision_hidden: PositiveInt = 32
    vision_layers: PositiveInt = 1
    image_size: PositiveInt = 56  # a multiple of 28, so every family takes it (Qwen2.5-VL: patch 14 x merge 2)
    patch_size: PositiveInt = 14
    seed: int = 0


class BackboneConfig(Frozen):
    family: str
    path: str | None = None  # a hub name or local dir: pretrained weights; None: the seeded tiny model
    tiny: TinySettings = TinySettings()

    @field_validator("family")
    @classmethod
    def _known_family(cls, family: str) -> str:
        family_of(family)
        return family


class ExpertConfig(Frozen):
    width: PositiveInt | None = None  # None: half the backbone's width (at least 32)
    ffn: PositiveInt | None = None  # None: 4 x width
    time_conditioning: Literal["adarms", "concat"] = "adarms"


class VlaModel(Frozen):
    backbone: BackboneConfig
    expert: ExpertConfig = ExpertConfig()
    images: bool = False
    image_size: PositiveInt | None = None  # None: the vision tower's own
    max_text_tokens: PositiveInt = 16
    denoise_steps: PositiveInt = 10


class VlaConfig(RunConfig):
    job: Literal["vla"] = "vla"
    data: VlaData
    model: VlaModel


def evaluation_summary(config: VlaConfig) -> str:
    """One line on how the run is evaluated, printed before it trains: nothing about evaluation is left unsaid."""
    where = {"testbed": "the robosuite testbed"}
    targets = [f"{t.robot}/{t.task or config.data.task} in {where.get(t.env, t.env)}" for t in config.eval.targets]
    if targets and config.eval.trials:
        return f"evaluation: closed loop, {config.eval.trials} trials each on {', '.join(targets)}"
    if targets:
        return "evaluation: eval.trials is 0, so no closed loop: offline metrics on the held-out episodes only"
    return "evaluation: no closed-loop targets (eval.targets): offline metrics on the held-out episodes only"
