"""spec → arms × seeds: grid semantics, stable arm ids, Hydra-equivalent resolution, the JSON contract."""

from __future__ import annotations

import json
import shutil

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from ablate.spec.plan import make_plan
from tests.conftest import REPO, assert_no_torch, run_cli

BASE = """
name: t
recipe: quickstart/mlp
seeds: [0, 1, 2]
budget: {unit: samples, per_run: 3200}
"""


def test_cross_zip_exclude_include(project):
    spec = project.spec(
        BASE
        + """
factors:
  action_frame: [joint_abs, eef_rel, world_rel]
  stages: [single, two_stage]
  optim.lr: [0.001, 0.003]
  optim.warmup_steps: [0, 20]
grid:
  cross: [action_frame, stages]
  zip: [[optim.lr, optim.warmup_steps]]
  exclude: [{action_frame: world_rel, stages: two_stage}]
  include: [{action_frame: world_rel, stages: two_stage, optim.lr: 1e-3, optim.warmup_steps: 0}]
"""
    )
    plan = make_plan(spec)
    names = [a.name for a in plan.arms]
    # 3 frames × 2 stage chains × 2 zipped (lr, warmup) pairs = 12, minus 2 excluded, plus 1 included.
    assert len(names) == 11
    assert "joint_abs-single-0.001-0" in names and "joint_abs-single-0.003-20" in names
    assert "joint_abs-single-0.001-20" not in names  # zipped levels never cross
    assert "world_rel-two_stage-0.003-20" not in names
    assert "world_rel-two_stage-0.001-0" in names
    assert len(plan.runs) == 11 * 3
    assert {r.seed for r in plan.runs} == {0, 1, 2}


def test_arm_id_ignores_key_order_and_yaml_formatting(project):
    a = project.spec(BASE + "factors:\n  optim.lr: [0.001]\n  stages: [two_stage]\n", "a.yaml")
    b = project.spec(
        """
budget:
  per_run: 3200
  unit: samples
seeds: [0, 1, 2]
factors:
  stages:
    two: two_stage
  optim.lr: {small: 1.0e-3}
recipe: quickstart/mlp
name: t
""",
        "b.yaml",
    )
    arm_a, arm_b = make_plan(a).arms[0], make_plan(b).arms[0]
    assert arm_a.id == arm_b.id
    assert arm_a.name != arm_b.name  # names come from level names, ids from the config


def test_named_mapping_level_replaces_the_recipe_mapping(project):
    spec = project.spec(
        BASE
        + """
factors:
  mixture:
    target_only: {data.mixture: {task_a: 1.0}}
    pooled: {data.mixture: {task_a: 0.3, task_b: 0.7}}
"""
    )
    configs = {a.name: a.config for a in make_plan(spec).arms}
    # A plain Hydra `key=value` would merge and keep task_b at 0.5; a level replaces the whole mixture.
    assert configs["target_only"]["data"]["mixture"] == {"task_a": 1.0}
    assert configs["pooled"]["data"]["mixture"] == {"task_a": 0.3, "task_b": 0.7}


def test_fast_resolution_equals_hydra_compose_with_the_recorded_overrides(project):
    spec = project.spec(
        BASE
        + """
factors:
  mixture:
    target_only: {data.mixture: {task_a: 1.0}}
    both: both
  stages: [single, two_stage]
  optim.lr: [1e-4, 3e-3]
  widen: {narrow: {model: mlp_small}, wide: {model: mlp_wide, +optim.momentum: 0.8}}
"""
    )
    plan = make_plan(spec)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(project.root / "recipes"), version_base="1.3"):
        for arm in plan.arms:
            expected = OmegaConf.to_container(compose("quickstart/mlp", overrides=arm.overrides), resolve=True)
            assert arm.config == expected, arm.overrides


def test_plan_json_contract(project):
    spec = project.spec(BASE + "factors:\n  stages: [single, two_stage]\n")
    result = run_cli("plan", spec, "--json")
    assert result.code == 0
    data = json.loads(result.stdout)
    assert set(data) >= {"sweep", "arms", "runs"}
    arm = data["arms"][1]
    assert set(arm) >= {"id", "name", "levels", "budget"}
    assert arm["levels"] == {"stages": "two_stage"}
    assert [(s["stage"], s["steps"], s["samples"]) for s in arm["budget"]] == [("pre", 50, 1600), ("post", 50, 1600)]
    assert {"id", "arm", "seed"} <= set(data["runs"][0])
    assert len(data["runs"]) == 2 * 3


def test_plan_writes_nothing(project):
    spec = project.spec(BASE + "factors:\n  stages: [single, two_stage]\n")
    before = sorted(p for p in project.root.rglob("*"))
    assert project.cli("plan", spec).code == 0
    assert sorted(p for p in project.root.rglob("*")) == before


def test_plan_status_and_help_do_not_import_torch(project):
    spec = project.spec(BASE + "factors:\n  stages: [single, two_stage]\n")
    for args in (["--help"], ["plan", spec], ["plan", spec, "--json"]):
        assert_no_torch(project.root, *args)


@pytest.mark.parametrize("spec", sorted((REPO / "experiments").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_experiments_plan(spec):
    result = run_cli("plan", spec, "--json")
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["runs"]


def test_the_specs_evaluation_is_every_arms(project):
    shutil.copy(REPO / "experiments" / "quickstart.yaml", project.root / "experiments")
    plan = make_plan(project.root / "experiments" / "quickstart.yaml")
    for arm in plan.arms:
        assert arm.config["eval"]["targets"] == [{"robot": "Panda", "task": "lift"}]
        assert arm.config["eval"]["trials"] == 20
        assert arm.config["data"]["mixture"] in ({"Panda": 1.0}, {"Panda": 1.0, "UR5e": 1.0, "Kinova3": 1.0})


@pytest.mark.parametrize(
    "spec", sorted((REPO / "experiments").rglob("*.yaml")), ids=lambda p: str(p.relative_to(REPO / "experiments"))
)
def test_every_shipped_experiment_plans_and_dry_runs(spec, tmp_path):
    result = run_cli("plan", spec)
    assert result.code == 0, result.stderr
    assert "runs; budget" in result.stdout
    dry = run_cli("run", spec, "--dry-run", "--out", tmp_path / "sweep")
    assert dry.code == 0, dry.stderr
    assert "dry run: would launch" in dry.stdout and not (tmp_path / "sweep").exists()
