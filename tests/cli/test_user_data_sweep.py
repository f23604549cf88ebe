"""Issue 15's "done when": four datasets as researchers have them — an SO-100 with a URDF, an ALOHA-like rig, a
Franka with a recorded current pose, a bimanual rig with a URDF per arm — train through ONE sweep in every action
frame each supports, with no Python written and no dataset rewritten (descriptions drafted by `ablate data
describe` or written in YAML), and the sweep reports on its offline error.

The whole proof (16 runs, ~4-5 min on 2 cores) is marked slow; CI runs the same sweep on one frame per robot plus
the SO-100's joint baseline (5 runs)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO
from tests.data import user_datasets

ROBOTS = REPO / "tests" / "data" / "robots"
FRAMES = {
    "so100_pick": ["joint_abs", "joint_delta", "world_rel", "world_delta", "eef_rel", "eef_delta"],  # its URDF
    "aloha_insert": ["joint_abs", "joint_delta"],  # no kinematics, no poses
    "franka_push": ["joint_abs", "joint_delta"],  # a current pose but no commanded ones
    "bimanual_fold": ["joint_abs", "joint_delta", "world_rel", "world_delta", "eef_rel", "eef_delta"],
}
# One frame each (an EEF frame where the robot supports one), and the SO-100 baseline the report compares against.
FAST = {
    "so100_pick": ["joint_abs", "eef_rel"],
    "aloha_insert": ["joint_delta"],
    "franka_push": ["joint_abs"],
    "bimanual_fold": ["eef_delta"],
}
BIMANUAL = """\
embodiment: bimanual
state:
  joints: ['observation.state[0:3]', 'observation.state[3:6]']
  grippers: ['observation.state[6:8]', 'observation.state[8]']
action:
  joints: ['action[0:3]', 'action[3:6]']
  grippers: ['action[6]', 'action[7]']
"""


@pytest.mark.slow
def test_four_robots_train_through_one_sweep_in_every_frame_they_support_and_the_sweep_reports(project):
    _one_sweep(project, FRAMES)


def test_four_robots_train_through_one_sweep_and_the_sweep_reports(project):
    _one_sweep(project, FAST)


def _one_sweep(project, levels_of: dict[str, list[str]]) -> None:
    mine = project.root / "data" / "mine"
    user_datasets.so100(mine / "so100_pick")
    user_datasets.aloha(mine / "aloha_insert")
    user_datasets.franka_eef(mine / "franka_push")
    user_datasets.bimanual(mine / "bimanual_fold")
    (project.root / "embodiments").mkdir()  # the project's robots, beside its experiments/ and recipes/
    for name in ("so100.yaml", "so100.urdf", "aloha.yaml", "franka.yaml", "bimanual.yaml", "three_joint.urdf"):
        shutil.copy(ROBOTS / name, project.root / "embodiments" / name)
    for name in ("so100_pick", "aloha_insert", "franka_push"):
        assert project.cli("data", "describe", mine / name).code == 0
    (mine / "bimanual_fold.ablate.yaml").write_text(BIMANUAL)
    for name, frames in FRAMES.items():  # every frame each supports, said by ablate data check
        check = project.cli("data", "check", mine / name)
        assert check.code == 0, check.stdout + check.stderr
        for frame in frames:
            assert f"  {frame:<12} yes" in check.stdout, (name, frame, check.stdout)
    levels = "\n".join(
        f"    {name}-{frame}: {{data.mixture: {{{name}: 1.0}}, data.action_frame: {frame}}}"
        for name, frames in levels_of.items()
        for frame in frames
    )
    runs = sum(map(len, levels_of.values()))
    spec = project.spec(
        f"""
name: robots
recipe: lerobot/tiny
seeds: [0]
factors:
  robot_frame:
{levels}
overrides: {{data.root: data/mine, train.batch_size: 8}}
budget: {{unit: samples, per_run: 16}}
launcher: {{kind: local, parallel: 2}}
"""
    )
    done = project.cli("run", spec, timeout=1200)
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads(project.cli("status", project.root / "sweeps" / "robots", "--json").stdout)
    assert len(status) == runs and {r["state"] for r in status} == {"done"}
    import pandas as pd

    offline = pd.read_parquet(project.root / "sweeps" / "robots" / "offline")
    assert len(offline) == runs
    eef = offline[offline["robot_frame"].str.contains("-eef_|-world_")]
    assert eef["eef_position_error_m"].notna().all() and eef["joint_error_rad"].isna().all()
    joint = offline[offline["robot_frame"].str.contains("-joint_")]
    assert joint["joint_error_rad"].notna().all()
    # the joint arms of the robots with kinematics are measured in metres too: comparable with their EEF arms
    with_fk = joint[joint["dataset"].isin(["so100_pick", "bimanual_fold"])]
    assert with_fk["eef_position_error_m"].notna().all()
    report = project.cli(
        "report", project.root / "sweeps" / "robots", "--baseline", "robot_frame=so100_pick-joint_abs", "--out", "rep"
    )
    assert report.code == 0, report.stderr[-2000:]
    results = json.loads((project.root / "rep" / "results.json").read_text())
    compared = {c["arm"] for c in results["comparisons"]}
    assert compared == {f"so100_pick-{f}" for f in levels_of["so100_pick"][1:]}  # arms on the same dataset only
