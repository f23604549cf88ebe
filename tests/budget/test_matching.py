"""Budgets in every unit become whole optimizer steps per stage; arms that cannot be matched are refused."""

from __future__ import annotations

import pytest

from ablate.budget.matching import BudgetError, plan_stages
from ablate.errors import InputError
from ablate.spec.plan import make_plan
from ablate.spec.schema import BudgetSpec

CONFIG = {  # a run config of a third-party job kind: data and model are its own
    "job": "kind_without_a_config_class",
    "optim": {"lr": 1e-3},
    "train": {"batch_size": 32, "tokens_per_sample": 100},
    "stages": {"pre": {"share": 0.25, "batch_size": 16}, "post": {"share": 0.75}},
}


def stages(**budget):
    return [(s.stage, s.steps, s.samples, s.tokens, s.planned) for s in plan_stages(CONFIG, BudgetSpec(**budget))]


def test_samples_become_steps_per_stage_with_each_stage_batch_size():
    assert stages(unit="samples", per_run=6400) == [("pre", 100, 1600, None, 1600), ("post", 150, 4800, None, 4800)]


def test_steps_split_by_share():
    assert stages(unit="steps", per_run=400) == [("pre", 100, 1600, None, 100), ("post", 300, 9600, None, 300)]


def test_tokens_use_tokens_per_sample():
    assert stages(unit="tokens", per_run=640_000) == [
        ("pre", 100, 1600, 160_000, 160_000),
        ("post", 150, 4800, 480_000, 480_000),
    ]


def test_tokens_without_tokens_per_sample_is_explained():
    with pytest.raises(BudgetError, match=r"train\.tokens_per_sample"):
        plan_stages(CONFIG | {"train": {"batch_size": 8}}, BudgetSpec(unit="tokens", per_run=1000))


def test_gpu_hours_are_time_bound():
    (pre, post) = plan_stages(CONFIG, BudgetSpec(unit="gpu_hours", per_run=8))
    assert (pre.steps, pre.planned, post.planned) == (None, 2.0, 6.0)


def test_spec_shares_override_the_recipe_shares():
    assert stages(unit="samples", per_run=6400, stages={"pre": 0.5, "post": 0.5}) == [
        ("pre", 200, 3200, None, 3200),
        ("post", 100, 3200, None, 3200),
    ]


def test_rounding_within_tolerance_is_planned_exactly_and_reported():
    ((_, steps, samples, _, planned),) = [s for s in stages(unit="samples", per_run=6410) if s[0] == "post"][:1]
    assert (steps, samples) == (150, 4800) and planned == 4800  # 4807.5 asked, 4800 planned: 0.16 % off


def test_stepping_over_the_tolerance_is_refused():
    with pytest.raises(BudgetError, match=r"not a whole number of steps at batch 16 \(2 steps give 32"):
        stages(unit="samples", per_run=160)


BATCH_SPEC = """
name: t
recipe: quickstart/mlp
seeds: [0]
factors:
  train.batch_size: [16, 32]
  stages: [single, two_stage]
budget: {{unit: {unit}, per_run: 3200{extra}}}
"""


def test_unit_samples_matches_arms_with_different_batch_sizes(project):
    plan = make_plan(project.spec(BATCH_SPEC.format(unit="samples", extra="")))
    totals = {a.name: (sum(s.samples for s in a.budget), sum(s.steps for s in a.budget)) for a in plan.arms}
    assert totals == {
        "16-single": (3200, 200),
        "16-two_stage": (3200, 200),
        "32-single": (3200, 100),
        "32-two_stage": (3200, 100),
    }


def test_unit_steps_with_different_batch_sizes_is_refused_with_the_reason(project):
    with pytest.raises(InputError) as e:
        make_plan(project.spec(BATCH_SPEC.format(unit="steps", extra="")))
    message = str(e.value)
    assert "arms 16-single and 32-single cannot be matched" in message
    assert "51200 vs 102400 samples" in message and "They differ in train.batch_size" in message


def test_declared_budget_changing_factor_is_allowed(project):
    spec = BATCH_SPEC.format(unit="steps", extra=", budget_changing: [train.batch_size]")
    plan = make_plan(project.spec(spec))
    assert len(plan.arms) == 4
