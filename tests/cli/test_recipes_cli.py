"""Recipes are the user's too, on the command line: `ablate plan` with a tree beside the spec, `--recipes`,
$ABLATE_RECIPES, the printed trees, a bad `--recipes` (exit 2, no traceback), and `ablate train` on a recipe file
anywhere (it trains; the same command again finds it done)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ablate.launch.single_run import run_single
from ablate.spec.recipe_dirs import ENV, shipped_recipes
from tests.conftest import run_cli
from tests.spec.test_recipe_dirs import spec_in, user_tree, write


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def ablate(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != ENV} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=environ,
    )


def test_plan_with_a_tree_beside_the_spec_prints_both_trees(tmp_path):
    tree = user_tree(tmp_path / "recipes").resolve()
    out = run_cli("plan", spec_in(tmp_path / "experiments"))
    assert out.code == 0, out.stderr
    assert f"recipes: {tree} (yours, found above {(tmp_path / 'experiments').resolve()}), then " in out.stdout
    assert f"then {shipped_recipes()} (shipped)" in out.stdout
    assert "2 arms × 1 seeds" in out.stdout
    as_json = run_cli("plan", spec_in(tmp_path / "experiments"), "--json")
    assert json.loads(as_json.stdout)["arms"][0]["overrides"] == ["data/mixture=my_pool"]
    assert f"recipes: {tree} (yours" in as_json.stderr  # stdout holds the JSON alone


def test_recipes_option_and_environment(tmp_path):
    theirs, other = user_tree(tmp_path / "theirs").resolve(), user_tree(tmp_path / "other").resolve()
    spec = spec_in(tmp_path / "lone", "mine/exp")  # no recipes/ beside or above it
    by_env = ablate("plan", spec, cwd=tmp_path, env={ENV: str(theirs)})
    assert by_env.returncode == 0, by_env.stderr
    assert f"recipes: {theirs} (yours, ${ENV}), then {shipped_recipes()} (shipped)" in by_env.stdout
    by_option = run_cli("plan", spec, "--recipes", other)
    assert by_option.code == 0, by_option.stderr
    assert f"recipes: {other} (yours, --recipes)" in by_option.stdout
    alone = run_cli("plan", spec)  # only the shipped tree: no recipe mine/exp there
    assert alone.code == 2 and "no recipe 'mine/exp' in " in alone.stderr


def test_a_bad_recipes_folder_is_exit_2_without_a_traceback(tmp_path):
    spec = spec_in(tmp_path / "experiments")
    for args in (("plan", spec), ("run", spec, "--dry-run"), ("tune", spec), ("train", "quickstart/mlp")):
        out = ablate(*args, "--recipes", tmp_path / "nope", cwd=tmp_path)
        assert out.returncode == 2, (args, out.stderr)
        assert f"error: --recipes: {tmp_path / 'nope'} does not exist; expected a recipe tree" in out.stderr
        assert "Traceback" not in out.stderr
    env = ablate("plan", spec, cwd=tmp_path, env={ENV: str(spec)})
    assert env.returncode == 2 and f"error: ${ENV}: {spec} is a file" in env.stderr


QUICK = """
defaults:
  - /quickstart/mlp
  - override /data/mixture: my_pool
  - _self_
data: {train_samples: 256, val_samples: 64}
train:
  budget: {unit: steps, per_run: 20}
  checkpoint_every: 10
"""


def test_train_a_recipe_file_anywhere_then_find_it_done(tmp_path):
    write(tmp_path / "mine" / "data/mixture/my_pool.yaml", "task_a: 0.9\ntask_b: 0.1\n")
    recipe = write(tmp_path / "mine" / "my_recipe.yaml", QUICK)
    first = ablate("train", recipe, "--out", tmp_path / "run", "optim.lr=0.01", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert f"recipes: {(tmp_path / 'mine').resolve()} (yours, the tree holding my_recipe.yaml)" in first.stdout
    assert f"run directory: {tmp_path / 'run'} (trained)" in first.stdout
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["config"]["data"]["mixture"] == {"task_a": 0.9, "task_b": 0.1} and run["config"]["optim"]["lr"] == 0.01
    ledger = json.loads((tmp_path / "run" / "ledger.json").read_text())
    assert ledger["consumed"]["main"]["steps"] == 20

    lines: list[str] = []
    again = run_single(recipe, ["optim.lr=0.01"], out=tmp_path / "run", log=lines.append)
    assert again.status == "already done" and again.run_dir == tmp_path / "run"
    assert again.metrics["val_loss"] == json.loads((tmp_path / "run" / "state.json").read_text())["result"]["val_loss"]
    assert lines[-1] == f"{tmp_path / 'run'} is already done; nothing to train"
    other = run_cli("train", recipe, "--out", tmp_path / "run")  # another config in the same directory: refused
    assert other.code == 2 and "holds a different config" in other.stderr


def test_train_by_name_searches_the_recipes_option(tmp_path):
    tree = user_tree(tmp_path / "tree")
    out = run_cli("train", "mine/nope", "--recipes", tree)
    assert out.code == 2 and "did you mean 'mine/exp'?" in out.stderr
    # In a sub-folder of its tree (found from the group it overrides), a recipe without the header is refused.
    write(tree / "sub" / "flat.yaml", "defaults:\n  - /quickstart/mlp\n  - override /data/mixture: my_pool\n")
    flat = run_cli("train", tree / "sub" / "flat.yaml", "--out", tmp_path / "x")
    assert flat.code == 2 and "must start with '# @package _global_'" in flat.stderr
    assert not (tmp_path / "x").exists()


def test_a_second_train_on_a_run_directory_in_use_is_refused_cleanly(tmp_path):
    """Two `ablate train` on one --out: the second is exit 2 with a message (before: a DuplicateRun traceback)."""
    import signal
    import subprocess
    import sys
    import time

    command = [
        sys.executable, "-m", "ablate.cli.main", "train", "quickstart/mlp", "--out", "run",
        "+train.budget={unit: samples, per_run: 3200000}",
    ]  # fmt: skip
    first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        state = tmp_path / "run" / "state.json"
        deadline = time.monotonic() + 120
        while not (state.is_file() and '"running"' in state.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
        second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert "another process is training this run directory now" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
