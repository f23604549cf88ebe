"""A run on a researcher's own data is never scored on the testbed: testbed generation and closed-loop targets
that the run's data cannot justify are exit 2 at plan time, with the fix; a run without closed-loop targets says it
reports offline metrics only. (Before: with the testbed defaults left on, a run on an SO-100 dataset generated a
Panda dataset into the user's folder and reported "success 0.1" on a task it never trained on.)"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO
from tests.data import user_datasets


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "mine"
    user_datasets.so100(root / "so100_pick")
    (root / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, root / "embodiments" / name)
    (root / "so100_pick.ablate.yaml").write_text(
        "embodiment: so100\n"
        "state: {joints: 'observation.state[0:5]', grippers: 'observation.state[5]'}\n"
        "action: {joints: 'action[0:5]', grippers: 'action[5]'}\n"
    )
    return root


def _spec(project, mine, recipe: str, overrides: str) -> str:
    return project.spec(
        f"""
        name: mine
        recipe: {recipe}
        seeds: [0]
        factors:
          optim.lr: [0.001]
        overrides: {{data.root: {mine}, data.mixture: {{so100_pick: 1.0}}, {overrides}}}
        budget: {{unit: samples, per_run: 64}}
        """
    )


def test_testbed_generation_beside_your_own_data_is_refused_with_the_fix(project, mine):
    done = project.cli("plan", _spec(project, mine, "testbed/tiny", "data.environment_state: false"))
    assert done.code == 2, done.stdout + done.stderr
    text = " ".join(done.stderr.split())
    assert "data.testbed is on (it generates robosuite testbed datasets" in text
    assert "this run trains on so100_pick, which the testbed did not record" in text
    assert "use the recipe lerobot/tiny" in text and "Traceback" not in done.stderr
    assert not list(mine.glob("Panda_*"))  # nothing generated into the researcher's folder


def test_a_testbed_target_for_a_run_on_your_own_data_is_refused(project, mine):
    done = project.cli("plan", _spec(project, mine, "lerobot/tiny", "eval.targets: [{robot: Panda, task: lift}]"))
    assert done.code == 2, done.stdout + done.stderr
    text = " ".join(done.stderr.split())
    assert "eval.targets.0: Panda/lift is a robosuite testbed task, and this run trains on no testbed data" in text
    assert "set eval.targets=[] and the run reports offline metrics" in text


def test_a_target_that_is_not_a_testbed_robot_is_refused(project, mine):
    done = project.cli("plan", _spec(project, mine, "lerobot/tiny", "eval.targets: [{robot: so100, task: pick}]"))
    assert done.code == 2, done.stdout + done.stderr
    assert "eval.targets.0: so100/pick: closed-loop evaluation runs on the robosuite testbed" in " ".join(
        done.stderr.split()
    )


def test_a_run_without_targets_says_it_reports_offline_metrics_only(project, mine):
    done = project.cli("plan", _spec(project, mine, "lerobot/tiny", "data.action_frame: joint_abs"))
    assert done.code == 0, done.stdout + done.stderr
    assert "note: evaluation: no closed-loop targets (eval.targets): offline metrics on the held-out episodes only" in (
        done.stdout
    )


def test_the_testbed_recipe_says_where_it_evaluates(project):
    done = project.cli("plan", REPO / "experiments" / "quickstart.yaml")
    assert done.code == 0, done.stderr
    assert "note: evaluation: closed loop, 20 trials each on Panda/lift in the robosuite testbed" in done.stdout


def test_a_value_the_recipe_leaves_to_you_is_required(project, mine):
    done = project.cli("train", "lerobot/tiny", "--out", project.root / "r")
    assert done.code == 2, done.stdout + done.stderr
    assert "data.root: required: the recipe leaves it to you" in done.stderr
    assert "data.mixture: required: the recipe leaves it to you" in done.stderr
    assert not (project.root / "r").exists()


def test_a_mapping_given_on_the_command_line_replaces_the_recipes(project, mine):
    """`data.mixture={mine: 1.0}` failed with Hydra's append hint, and the hinted `+data.mixture=…` merged in the
    recipe's Panda without a word."""
    out = project.root / "r"
    done = project.cli(
        "train", "testbed/tiny", "--out", out, f"data.root={mine}", "~data.testbed", "eval.targets=[]",
        "data.mixture={so100_pick: 1.0}", "data.environment_state=false", "data.action_frame=joint_abs",
        "train.batch_size=8", "train.budget={unit: samples, per_run: 16}",
    )  # fmt: skip
    assert done.code == 0, done.stdout + done.stderr[-2000:]
    replaced = "data.mixture: your value replaces the recipe's (a mapping or list is given whole, not merged)"
    assert replaced in done.stdout
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["data"]["mixture"] == {"so100_pick": 1.0}
    assert "[r] label range (data.normalization=mean_std)" in done.stdout
    assert "so100_pick (" in done.stdout
