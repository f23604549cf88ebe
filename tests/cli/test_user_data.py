"""Issue 15's proof: datasets written by lerobot's own API, in the layouts researchers have (an SO-100 arm, an
ALOHA-like bimanual rig, a Franka with a recorded EEF pose), go in with no Python written and no dataset rewritten:
`ablate data describe` drafts a description beside each, `ablate data check` validates it and says which action
frames it supports and why not the others, and `ablate train` trains in a supported frame and refuses the others
before writing anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.data import user_datasets

ROBOTS = REPO / "tests" / "data" / "robots"
TRAIN = (
    "~data.testbed",
    "data.environment_state=false",
    "eval.targets=[]",
    "train.batch_size=8",
    "train.budget={unit: samples, per_run: 24}",
)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    """A data folder as a researcher keeps it: three datasets, and the robots' embodiment files beside them."""
    root = tmp_path_factory.mktemp("mine")
    user_datasets.so100(root / "so100_pick")
    user_datasets.aloha(root / "aloha_insert")
    user_datasets.franka_eef(root / "franka_push")
    (root / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf", "aloha.yaml", "franka.yaml"):
        shutil.copy(ROBOTS / name, root / "embodiments" / name)
    return root


def _describe(project, datasets: Path, name: str, fix=None) -> Path:
    done = project.cli("data", "describe", datasets / name)
    assert done.code == 0, done.stderr
    draft = datasets / f"{name}.ablate.yaml"
    assert f"wrote {draft}" in done.stdout
    if fix:  # the researcher's edit of what the draft marked CHECK
        doc = yaml.safe_load(draft.read_text())
        fix(doc)
        draft.write_text(yaml.safe_dump(doc, sort_keys=False))
    return draft


def _train(project, datasets: Path, name: str, frame: str, *extra: str):
    out = project.root / f"{name}-{frame}"
    mixture = f"+data.mixture={{{name}: 1.0}}"
    return project.cli(
        "train", "testbed/tiny", "--out", out, f"data.root={datasets}", "~data.mixture", mixture,
        f"data.action_frame={frame}", *TRAIN, *extra,
    ), out  # fmt: skip


def test_an_so100_dataset_trains_in_joint_and_eef_frames_through_its_urdf(project, datasets):
    _describe(project, datasets, "so100_pick")
    check = project.cli("data", "check", datasets / "so100_pick", "--frame", "eef_rel")
    assert check.code == 0, check.stdout + check.stderr
    assert "embodiment: so100" in check.stdout and "state.joints     observation.state[0:5]" in check.stdout
    assert "  eef_rel      yes" in check.stdout and "each frame's own task string" in check.stdout
    for frame in ("joint_abs", "eef_rel"):
        done, out = _train(project, datasets, "so100_pick", frame)
        assert done.code == 0, done.stderr[-2000:]
        assert (out / "checkpoints").is_dir()


def test_a_bimanual_rig_without_kinematics_trains_in_joint_frames_and_refuses_eef_frames_with_the_reason(
    project, datasets
):
    _describe(project, datasets, "aloha_insert")
    check = project.cli("data", "check", datasets / "aloha_insert", "--frame", "eef_rel")
    assert check.code == 2
    why = "the dataset records no EEF poses, and aloha has no kinematics: add `kinematics:`"
    assert f"action frame eef_rel: {why}" in check.stderr and "to each arm of aloha's embodiment file" in check.stderr
    assert "  joint_delta  yes" in check.stdout
    narrow, out = _train(project, datasets, "aloha_insert", "joint_delta")
    assert narrow.code == 2 and "data.max_action_dim: 14 action values in joint_delta exceed" in narrow.stderr
    assert not out.exists()
    done, out = _train(project, datasets, "aloha_insert", "joint_delta", "data.max_action_dim=16")
    assert done.code == 0, done.stderr[-2000:]
    refused, out = _train(project, datasets, "aloha_insert", "eef_rel")
    assert refused.code == 2 and f"data.action_frame: eef_rel: {why}" in refused.stderr
    assert not out.exists()  # refused before the run directory is written


def test_a_recorded_current_pose_without_recorded_targets_is_refused_not_mixed_with_kinematics(project, datasets):
    def place_gripper(doc):  # the draft guessed the action's last value is the gripper: right here
        doc["embodiment"] = "franka"

    _describe(project, datasets, "franka_push", place_gripper)
    check = project.cli("data", "check", datasets / "franka_push", "--frame", "eef_rel")
    assert check.code == 2
    assert "records the current EEF pose (state.eef) but no commanded poses (action.eef)" in check.stderr
    assert "must come from one source" in check.stderr
    done, _ = _train(project, datasets, "franka_push", "joint_abs")
    assert done.code == 0, done.stderr[-2000:]


def test_the_bimanual_grippers_stay_absolute_in_a_relative_frame(datasets):
    from ablate.data.frames import Frame
    from ablate.data.source import EmbodimentSource, SourceConfig

    src = EmbodimentSource(SourceConfig(root=datasets / "aloha_insert", frame=Frame("joint_delta"), split="all"))
    sample = src.sample(3)
    commands = src.robot.gripper_commands
    assert src.action_dim == 12 + 2 and sample["actions"].shape == (8, 14)
    np_grippers = sample["actions"][:, 12:]
    # the two grippers' labels are their recorded commands, not deltas from the current state
    import numpy as np

    steps = np.minimum(np.arange(3, 11), src.episode_end[3])
    np.testing.assert_allclose(np_grippers, commands[steps], atol=1e-6)


def test_a_dataset_in_a_cache_is_described_by_a_file_the_config_names(project, datasets):
    """A dataset the researcher may not write beside (a hub cache): its description lives with the study and the
    config names it (`data.descriptions`)."""
    cache = project.root / ".cache" / "huggingface" / "lerobot"
    shutil.copytree(datasets / "franka_push", cache / "franka_push")
    mine = project.root / "study"
    (mine / "embodiments").mkdir(parents=True)
    shutil.copy(ROBOTS / "franka.yaml", mine / "embodiments" / "franka.yaml")
    described = project.cli("data", "describe", cache / "franka_push", "--out", mine / "franka_push.yaml")
    assert described.code == 0, described.stderr
    # its embodiment (`franka`, the dataset's robot_type) is found beside the description: study/embodiments/
    out = project.root / "cached"
    args = (
        "train",
        "testbed/tiny",
        "--out",
        out,
        f"data.root={cache}",
        "~data.mixture",
        "+data.mixture={franka_push: 1.0}",
    )
    unnamed = project.cli(*args, "data.action_frame=joint_abs", *TRAIN)
    assert unnamed.code == 2 and "no description of this dataset" in unnamed.stderr and not out.exists()
    named = f"+data.descriptions={{franka_push: {mine / 'franka_push.yaml'}}}"
    done = project.cli(*args, named, "data.action_frame=joint_abs", *TRAIN)
    assert done.code == 0, done.stderr[-2000:]
    assert (
        not (cache / "franka_push.ablate.yaml").exists()
        and not (cache / "franka_push" / "meta" / "ablate.json").exists()
    )
