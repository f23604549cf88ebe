"""Meta-World (Farama's `metaworld`, a benchmark nobody here wrote) through the environment adapter: its scripted
experts succeed when driven by absolute commands, `ablate env record` writes LeRobot datasets that ablate reads as
any researcher's, and a run trained on them is evaluated closed loop in Meta-World's own environment, paired by
seed; a frame or a target it cannot take is exit 2 at plan time."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from ablate.envs.adapter import Unsupported, environment
from tests.policy.trained import ablate_cli


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("metaworld")
    out = ablate_cli(root, "env", "record", "metaworld", "--tasks", "reach,push", "--episodes", "6",
                     "--out", "data/metaworld")  # fmt: skip
    assert "data/metaworld/sawyer_reach: 6 episodes" in out
    return root


def test_the_expert_succeeds_through_absolute_commands_and_a_seed_is_one_scene():
    env = environment("metaworld")("sawyer", "reach")
    try:
        first = env.reset(3)
        for _ in range(env.horizon):
            step = env.step(env.expert_action())
            if step.success:
                break
        assert step.success and step.progress is None  # Meta-World defines no progress
        again = env.reset(3)
        assert all(np.array_equal(first[k], again[k]) for k in ("observation.state", "observation.environment_state"))
        assert not np.array_equal(env.reset(4)["observation.environment_state"], first["observation.environment_state"])
    finally:
        env.close()
    with pytest.raises(Unsupported, match="no orientation"):
        environment("metaworld")("sawyer", "reach", action="eef")
    with pytest.raises(Unsupported, match="unknown environment 'metawrld' \\(did you mean 'metaworld'\\?\\)"):
        environment("metawrld")


def test_recorded_datasets_are_read_as_any_researchers(project):
    check = ablate_cli(project, "data", "check", "data/metaworld/sawyer_push")
    assert "embodiment: sawyer" in check and "  joint_delta  yes" in check and "  eef_rel      no" in check
    info = json.loads((project / "data/metaworld/sawyer_push/meta/info.json").read_text())
    assert info["total_episodes"] == 6 and info["features"]["observation.environment_state"]["shape"] == [17]


def test_a_run_is_evaluated_in_metaworld_by_seed(project):
    run = project / "runs" / "reach"
    ablate_cli(
        project, "train", "lerobot/tiny", "--out", "runs/reach", "data.root=data/metaworld",
        "data.mixture={sawyer_reach: 1.0, sawyer_push: 1.0}", "data.target=sawyer_reach",
        "data.action_frame=joint_delta", "data.environment_state=true", "data.max_environment_dim=32",
        "train.batch_size=8", "train.budget={unit: samples, per_run: 32}",
    )  # fmt: skip
    out = ablate_cli(project, "eval", str(run), "--targets", "sawyer/reach", "--env", "metaworld", "--trials", "1",
                     "--out", "trials.csv")  # fmt: skip
    table = pd.read_csv(project / "trials.csv")
    assert table[["embodiment", "task", "trial"]].values.tolist() == [["sawyer", "reach", 0]]
    assert set(table["success"]) <= {0, 1} and table["steps"].between(1, 500).all()
    assert all(math.isnan(p) for p in table["progress"])  # none defined, none invented
    again = ablate_cli(project, "eval", str(run), "--targets", "sawyer/reach", "--env", "metaworld", "--trials", "1",
                       "--out", "again.csv")  # fmt: skip
    assert pd.read_csv(project / "again.csv")[["episode_seed", "success", "steps"]].equals(
        table[["episode_seed", "success", "steps"]]
    ), (out, again)  # the same seeds, the same episodes
    import subprocess
    import sys

    def evaluate(*args: str):
        return subprocess.run([sys.executable, "-m", "ablate.cli.main", "eval", str(run), *args], cwd=project,
                              capture_output=True, text=True)  # fmt: skip

    for args, message in (
        (("--env", "metaworld"), "--env says where --targets run: give --targets too"),
        (("--targets", "sawyer/reach", "--env", "metawrld"), "did you mean 'metaworld'"),
    ):
        refused = evaluate(*args)
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, args


def test_targets_metaworld_cannot_run_are_refused_at_plan_time(project):
    spec = project / "spec.yaml"
    base = """
name: mw
recipe: lerobot/tiny
seeds: [0]
factors:
  mixture:
    reach: {data.mixture: {sawyer_reach: 1.0}}
overrides: {data.root: data/metaworld, data.action_frame: FRAME}
budget: {unit: samples, per_run: 64}
evaluate: {env: ENV, targets: [{robot: sawyer, task: TASK}], trials: 2}
"""
    import subprocess
    import sys

    def plan(frame: str, env: str, task: str):
        spec.write_text(base.replace("FRAME", frame).replace("ENV", env).replace("TASK", task))
        return subprocess.run([sys.executable, "-m", "ablate.cli.main", "plan", str(spec)], cwd=project,
                              capture_output=True, text=True)  # fmt: skip

    ok = plan("joint_abs", "metaworld", "reach")
    assert ok.returncode == 0 and "closed loop, 2 trials each on sawyer/reach in metaworld" in ok.stdout
    eef = plan("eef_rel", "metaworld", "reach")
    assert eef.returncode == 2 and "takes joint actions" in eef.stderr  # refused by the data check or the adapter
    missing = plan("joint_abs", "metaworld", "pick-place")
    assert missing.returncode == 2 and "sawyer_pick-place" in missing.stderr and "not there" in missing.stderr
    unknown = plan("joint_abs", "metawrld", "reach")
    assert unknown.returncode == 2 and "did you mean 'metaworld'" in unknown.stderr
