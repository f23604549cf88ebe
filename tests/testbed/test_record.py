"""`ablate testbed make` writes LeRobot v3 datasets that lerobot's own loader reads, with their description."""

from __future__ import annotations

import json

import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset

from ablate.data.description import DatasetDescription


def test_make_writes_datasets_lerobot_loads_with_chunks(project):
    out = project.root / "testbed"
    result = project.cli(
        "testbed", "make", "--robots", "Panda,UR5e", "--task", "lift", "--episodes", "2", "--out", out, "--no-images"
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "Panda    lift: 2 episodes kept" in result.stdout
    for robot, dof, gripper in (("Panda", 7, 2), ("UR5e", 6, 6)):
        root = out / f"{robot}_lift"
        description = DatasetDescription.load(root)
        assert (description.embodiment, description.instruction) == (robot, "lift the red cube")
        assert description.state.joints == ["observation.joint_pos"] and description.action.eef is not None
        summary = json.loads((root / "meta" / "testbed.json").read_text())
        assert summary["episodes"] == 2 and summary["success_rate"] == 1.0
        ds = LeRobotDataset(f"ablate/{robot}_lift", root=root, delta_timestamps={"action": [i / 20 for i in range(8)]})
        assert ds.meta.total_episodes == 2 and ds.meta.robot_type == robot
        item = ds[len(ds) - 1]  # the last frame: its chunk runs past the episode end
        assert tuple(item["action"].shape) == (8, dof + 8)
        assert item["action_is_pad"][1:].all() and not item["action_is_pad"][0]
        assert tuple(item["observation.state"].shape) == (dof + gripper,)
        assert item["task"] == "lift the red cube"
        q = item["observation.eef_pose"][3:].numpy()
        assert abs(np.linalg.norm(q) - 1) < 1e-4 and q[3] >= 0  # canonical quaternion sign
    assert not list(out.glob(".*.tmp"))  # nothing half-written left behind


def test_bad_robot_or_task_is_refused_and_nothing_written(project):
    out = project.root / "testbed"
    bad = project.cli("testbed", "make", "--robots", "Panda,UR5", "--task", "lift", "--episodes", "1", "--out", out)
    assert bad.code == 2 and "unknown robot(s) UR5" in bad.stderr
    bad = project.cli("testbed", "make", "--robots", "Panda", "--task", "pour", "--episodes", "1", "--out", out)
    assert bad.code == 2 and "unknown task 'pour'" in bad.stderr
    assert not out.exists()


def test_images_are_recorded_upright_and_load_in_lerobot(project):
    out = project.root / "testbed"
    result = project.cli(
        "testbed", "make", "--robots", "Panda", "--task", "lift", "--episodes", "1", "--out", out, "--image-size", "32"
    )
    assert result.code == 0, result.stdout + result.stderr
    root = out / "Panda_lift"
    assert DatasetDescription.load(root).cameras == ["observation.images.agentview", "observation.images.wrist"]
    item = LeRobotDataset("ablate/Panda_lift", root=root)[0]
    for key in ("observation.images.agentview", "observation.images.wrist"):
        assert tuple(item[key].shape) == (3, 32, 32)
    # Upright agentview: the table (bright) fills the bottom rows, the robot and the background the top rows.
    view = item["observation.images.agentview"].float().mean(dim=0)
    assert view[-8:].mean() > view[:4].mean()
