"""A user's recipe tree extends the shipped one (real Hydra, real files): it adds group options and primary
recipes, shadows shipped files of the same group/name, is found by --recipes, $ABLATE_RECIPES or beside the
spec, and the shipped tree is package data that a non-editable install finds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ablate.errors import InputError
from ablate.spec.plan import make_plan
from ablate.spec.recipe_dirs import ENV, RecipeDirs, find_recipe_dirs, recipe_file_dirs, shipped_recipes
from ablate.spec.recipes import RecipeTree
from ablate.spec.yaml_lines import load_yaml
from tests.conftest import REPO

SPEC = """
name: mine
recipe: {recipe}
seeds: [0]
budget: {{unit: samples, per_run: 3200}}
factors:
  mixture: {{mine: my_pool, shipped: both}}
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def user_tree(root: Path) -> Path:
    """A mixture option of the user's own, a shadowed shipped model, and a primary recipe built on shipped groups."""
    write(root / "data/mixture/my_pool.yaml", "task_a: 0.9\ntask_b: 0.1\n")
    write(root / "model/mlp_small.yaml", "hidden: 7\ndepth: 1\n")
    write(
        root / "mine/exp.yaml",
        """
        # @package _global_
        defaults:
          - /quickstart/mlp
          - override /optim: sgd
          - _self_
        train: {batch_size: 16}
        """,
    )
    return root


def spec_in(folder: Path, recipe: str = "quickstart/mlp") -> Path:
    return write(folder / "spec.yaml", SPEC.format(recipe=recipe))


def test_a_tree_beside_the_spec_extends_and_shadows_the_shipped_one(tmp_path):
    user_tree(tmp_path / "project" / "recipes")
    plan = make_plan(spec_in(tmp_path / "project" / "experiments"))
    assert plan.tree.dirs.trees == ((tmp_path / "project/recipes").resolve(), shipped_recipes())
    configs = {a.name: a.config for a in plan.arms}
    assert configs["mine"]["data"]["mixture"] == {"task_a": 0.9, "task_b": 0.1}  # the user's option
    assert configs["shipped"]["data"]["mixture"] == {"task_a": 0.5, "task_b": 0.5}  # a shipped one
    assert configs["mine"]["model"] == {"hidden": 7, "depth": 1}  # the user's file shadows the shipped one
    assert configs["mine"]["optim"]["name"] == "adam"  # the shipped groups the recipe lists
    described = plan.tree.dirs.describe()
    assert described.startswith(f"recipes: {(tmp_path / 'project/recipes').resolve()} (yours")
    assert described.endswith(f"then {shipped_recipes()} (shipped)")


def test_a_users_primary_recipe_lists_shipped_groups(tmp_path):
    user_tree(tmp_path / "recipes")
    plan = make_plan(spec_in(tmp_path / "experiments", "mine/exp"))
    config = plan.arms[0].config
    assert config["optim"]["name"] == "sgd" and config["train"]["batch_size"] == 16
    assert config["job"] == "mlp_regression" and config["model"]["hidden"] == 7


def test_the_tree_offers_both_trees_groups_options_and_names(tmp_path):
    dirs = RecipeDirs(user_tree(tmp_path / "recipes"), shipped_recipes(), "test")
    doc = load_yaml(spec_in(tmp_path))
    tree = RecipeTree(dirs, "mine/exp", doc)
    assert tree.is_group("data.mixture") and tree.is_group("optim") and not tree.is_group("nope")
    mixtures = tree.options("data/mixture")
    assert mixtures[0] == "my_pool" and "pooled" in mixtures and len(mixtures) == len(set(mixtures))
    assert tree.options("model").count("mlp_small") == 1
    assert "testbed/tiny" in dirs.recipes() and "mine/exp" in dirs.recipes()
    with pytest.raises(InputError) as e:
        RecipeTree(dirs, "mine/exq", doc)
    assert "did you mean 'mine/exp'?" in str(e.value)
    with pytest.raises(InputError) as e:
        RecipeTree(dirs, "quickstart/mpl", doc)
    assert "did you mean 'quickstart/mlp'?" in str(e.value) and str(shipped_recipes()) in str(e.value)


def test_search_order_option_then_environment_then_beside_the_spec(tmp_path, monkeypatch):
    beside, env, option = (user_tree(tmp_path / name / "recipes") for name in ("beside", "env", "option"))
    near = tmp_path / "beside" / "experiments"
    near.mkdir()
    assert find_recipe_dirs(None, near).user == beside.resolve()
    monkeypatch.setenv(ENV, str(env))
    assert find_recipe_dirs(None, near).user == env.resolve()
    found = find_recipe_dirs(option, near)
    assert (found.user, found.source) == (option.resolve(), "--recipes")
    monkeypatch.delenv(ENV)
    nowhere = find_recipe_dirs(None, Path("/"))
    assert nowhere.trees == (shipped_recipes(),) and nowhere.describe().endswith("(shipped)")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_missing_tree_is_bad_input(tmp_path, monkeypatch, how):
    missing = tmp_path / "nope"
    if how == "environment":
        monkeypatch.setenv(ENV, str(missing))
    with pytest.raises(InputError) as e:
        find_recipe_dirs(missing if how == "option" else None, tmp_path)
    (problem,) = e.value.problems
    assert problem.file == ("--recipes" if how == "option" else f"${ENV}")
    assert f"{missing} does not exist; expected a recipe tree" in problem.message


def test_the_repository_spec_uses_one_tree():
    plan = make_plan(REPO / "experiments" / "quickstart.yaml")
    assert plan.tree.dirs.trees == (shipped_recipes(),)
    assert plan.tree.dirs.describe() == f"recipes: {shipped_recipes()} (shipped)"


def test_a_recipe_files_tree_root(tmp_path):
    root = user_tree(tmp_path / "anywhere")  # not named recipes: found by the groups its defaults name
    mine = write(root / "sub" / "r.yaml", "defaults:\n  - /data/mixture: my_pool\n  - _self_\njob: x\n")
    dirs, name = recipe_file_dirs(mine, None)
    assert (dirs.user, name) == (root.resolve(), "sub/r")
    lone = write(tmp_path / "lone" / "r.yaml", "defaults:\n  - /quickstart/mlp\n  - _self_\n")
    assert recipe_file_dirs(lone, None)[1] == "r"  # no tree above it: its own folder
    assert recipe_file_dirs(mine, root / "sub")[0].user == (root / "sub").resolve()
    with pytest.raises(InputError, match="not inside --recipes"):
        recipe_file_dirs(lone, root)


def test_the_shipped_recipes_are_package_data_of_a_non_editable_install(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(REPO / "recipes", source / "recipes")
    shutil.copytree(REPO / "ablate", source / "ablate", symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    assert (target / "ablate/recipes").is_dir() and not (target / "ablate/recipes").is_symlink()
    probe = (
        "import ablate; from pathlib import Path; from ablate.spec.recipe_dirs import find_recipe_dirs, compose\n"
        "dirs = find_recipe_dirs(None, Path.cwd())\n"
        "print(ablate.__file__); print(dirs.describe()); print(compose(dirs.trees, 'quickstart/mlp').job)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    module, described, job = out.stdout.splitlines()
    assert module == str(target / "ablate/__init__.py")
    assert described == f"recipes: {target / 'ablate/recipes'} (shipped)"
    assert job == "mlp_regression"
