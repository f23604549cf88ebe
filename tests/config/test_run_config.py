"""The typed run config: one home for every default, unknown keys refused with a suggestion, stage changes
applied on top of the run's optimizer, and every shipped recipe and experiment a valid config."""

from __future__ import annotations

import glob

import pytest
from pydantic import ValidationError

from ablate.config import OptimConfig, RunConfig, StageConfig, VlaConfig, config_problems
from ablate.config.mlp import MlpConfig
from ablate.spec.plan import make_plan

VLA = {
    "job": "vla",
    "data": {"root": "data", "task": "lift", "mixture": {"Panda": 1.0}, "action_frame": "eef_rel"},
    "model": {"backbone": {"family": "smolvlm"}},
    "optim": {"lr": 1e-3},
    "train": {"batch_size": 8},
}


def test_defaults_live_in_the_config_and_agree():
    config = RunConfig.of(VLA)
    assert isinstance(config, VlaConfig)
    # The values the review found disagreeing between modules now have one home each.
    assert (config.data.max_state_dim, config.data.max_action_dim) == (32, 32)
    assert config.model.max_text_tokens == 16
    assert config.optim.clip_grad_norm == 1.0
    assert config.data.normalization == "mean_std"
    assert list(config.stages) == ["main"] and config.stage("main").trainable == "all"
    assert config.data.environment_dim == 0  # no environment state: no token, whatever max_environment_dim says


def test_an_unknown_key_is_named_with_the_nearest_known_one():
    problems = config_problems(VLA | {"train": {"batch_size": 8, "paralel": "fsdp"}})
    assert problems == [
        (
            "train.paralel",
            "unknown key (did you mean 'parallel'?); known here: batch_size, bf16, budget, checkpoint_every, device, "
            "dropout, keep_checkpoints, log_every, parallel, threads, tokens_per_sample",
        )
    ]
    (path, message), *_ = config_problems(VLA | {"stages": {"pre": {"share": 1.0, "trainabel": "expert"}}})
    assert path == "stages.pre.trainabel" and "did you mean 'trainable'" in message


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"train": {"batch_size": 8, "parallel": "fdsp"}}, "train.parallel", "'ddp' or 'fsdp'"),
        ({"model": {"backbone": {"family": "llava"}}}, "model.backbone.family", "unknown family 'llava'"),
        ({"optim": {"lr": -1}}, "optim.lr", "greater than 0"),
        ({"data": VLA["data"] | {"target_episodes": 4}}, "data", "but data.target (the robot it limits) is not"),
    ],
)
def test_a_wrong_value_is_refused_at_its_key(change, path, words):
    problems = config_problems(VLA | change)
    assert [p for p, _ in problems] == [path]
    assert words in problems[0][1]


def test_a_stage_changes_only_what_it_names():
    base = OptimConfig(lr=1e-3, weight_decay=0.01)
    assert StageConfig(optim={"lr": 1e-4}).optimizer(base) == OptimConfig(lr=1e-4, weight_decay=0.01)
    assert StageConfig().optimizer(base) is base
    with pytest.raises(ValidationError):
        StageConfig(optim={"lr": 1e-4, "nme": "sgd"})


@pytest.mark.parametrize("spec", sorted(glob.glob("experiments/**/*.yaml", recursive=True)))
def test_every_shipped_experiment_plans_into_valid_run_configs(spec):
    plan = make_plan(spec)
    kinds = {type(RunConfig.of(arm.config)) for arm in plan.arms}
    assert kinds <= {VlaConfig, MlpConfig}
