"""Embodiment sources read LeRobot datasets through lerobot and serve action chunks in any frame."""

from __future__ import annotations

import numpy as np
import pytest
from lerobot.datasets.lerobot_dataset import LeRobotDataset

from ablate.data.description import DatasetDescription
from ablate.data.frames import Frame, to_targets
from ablate.data.normalize import StatsCache
from ablate.data.source import DatasetError, EmbodimentSource, SourceConfig
from ablate.data.support import eef_source
from ablate.errors import InputError


def source(root, frame="eef_rel", **kw) -> EmbodimentSource:
    return EmbodimentSource(SourceConfig(root=root, frame=Frame(frame), **kw))


@pytest.mark.parametrize("frame", ["joint_abs", "joint_delta", "world_delta", "eef_rel"])
def test_labels_decode_back_to_the_recorded_targets(testbed_root, frame):
    src = source(testbed_root / "UR5e_lift", frame, split="all")
    action = src.columns["action"]
    for i in (0, 17, len(src) - 1):
        item = src.sample(i)
        t = int(src.starts[i])
        current = (
            src.columns["observation.joint_pos"][t]
            if src.cfg.frame.is_joint
            else src.columns["observation.eef_pose"][t]
        )
        targets, grip = to_targets(src.cfg.frame, current.astype(np.float64), item["actions"].astype(np.float64), 1)
        steps = np.minimum(t + np.arange(8), src.episode_end[t])
        expected = action[steps, :6] if src.cfg.frame.is_joint else action[steps, 6:13]
        if src.cfg.frame.is_joint:
            np.testing.assert_allclose(targets, expected, atol=1e-5)
        else:
            np.testing.assert_allclose(targets[:, :3], expected[:, :3], atol=1e-5)
        np.testing.assert_array_equal(grip[:, 0], action[steps, -1])


def test_chunks_pad_at_the_episode_end_and_never_cross_it(testbed_root):
    src = source(testbed_root / "Panda_lift", split="all")
    last = int(np.flatnonzero(src.starts == src.episode_end[0])[0])  # the last frame of the first episode
    item = src.sample(last)
    assert not item["action_is_pad"][0] and item["action_is_pad"][1:].all()
    assert not src.sample(0)["action_is_pad"].any()


def test_frame_step_subsamples_frames_and_chunk_steps(testbed_root):
    every, second = (
        source(testbed_root / "Panda_lift", "joint_abs", split="all"),
        source(testbed_root / "Panda_lift", "joint_abs", split="all", frame_step=2),
    )
    assert len(second) == pytest.approx(len(every) / 2, abs=5)
    np.testing.assert_array_equal(second.sample(0)["actions"][:3], every.sample(0)["actions"][[1, 3, 5]])


def test_episode_split_is_seeded_and_disjoint(testbed_root):
    root = testbed_root / "Panda_lift"
    train, val = source(root, split="train", val_fraction=0.4), source(root, split="val", val_fraction=0.4)
    assert sorted(train.episodes + val.episodes) == list(range(5)) and len(val.episodes) == 2
    assert source(root, split="val", val_fraction=0.4).episodes == val.episodes
    others = [source(root, split="val", val_fraction=0.4, split_seed=s).episodes for s in (1, 2, 3)]
    assert any(o != val.episodes for o in others)
    assert len(train) + len(val) == len(source(root, split="all"))


def test_stats_are_per_embodiment_in_the_frame_and_cached(testbed_root, tmp_path):
    cache = StatsCache(tmp_path)
    panda = source(testbed_root / "Panda_lift", "joint_delta").stats(cache)
    ur5e = source(testbed_root / "UR5e_lift", "joint_delta").stats(cache)
    assert panda["actions"].mean.shape == (8, 8) and ur5e["actions"].mean.shape == (8, 7)  # per chunk step
    assert len(list(tmp_path.glob("*.npz"))) == 2
    abs_stats = source(testbed_root / "Panda_lift", "joint_abs").stats(cache)
    assert abs_stats["actions"].mean.shape == (8,)  # absolute frame: one row
    assert len(list(tmp_path.glob("*.npz"))) == 3


def test_a_dataset_written_by_lerobot_itself_loads_and_bad_values_are_named(tmp_path):
    root = tmp_path / "Panda_handmade"
    features = {
        "observation.joint_pos": {"dtype": "float32", "shape": (7,), "names": None},
        "observation.gripper_qpos": {"dtype": "float32", "shape": (2,), "names": None},
        "action": {"dtype": "float32", "shape": (15,), "names": None},
    }
    ds = LeRobotDataset.create(
        "me/handmade", fps=10, root=root, features=features, robot_type="Panda", use_videos=False
    )
    for episode in range(2):
        for t in range(12):
            q = np.full(7, 0.1 * t + episode, dtype=np.float32)
            ds.add_frame(
                {
                    "observation.joint_pos": q,
                    "observation.gripper_qpos": np.zeros(2, np.float32),
                    "action": np.r_[q + 0.1, np.zeros(7), 1.0].astype(np.float32),
                    "task": "wave",
                }
            )
        ds.save_episode()
    ds.finalize()
    DatasetDescription.flat(embodiment="Panda", fps=10, eef_pose=None, environment_state=None).save(root)
    src = source(root, "joint_delta", split="all")
    np.testing.assert_allclose(src.sample(0)["actions"][:3, 0], [0.1, 0.2, 0.3], atol=1e-6)
    with pytest.raises(  # found from info.json with the files, before anything is read
        InputError, match=r"ablate\.json: state\.joints \(observation\.joint_pos\) holds 7 values, expected 6"
    ):
        DatasetDescription.flat(embodiment="UR5e", fps=10, eef_pose=None, environment_state=None).save(root)
        source(root, "joint_abs", split="all")


def test_without_recorded_eef_poses_forward_kinematics_gives_the_same_labels(testbed_root, tmp_path):
    import shutil

    root = tmp_path / "UR5e_lift"
    shutil.copytree(testbed_root / "UR5e_lift", root)
    recorded = source(root, "eef_delta", split="all")
    description = DatasetDescription.load(root)
    fk_only = description.model_copy(update={"eef_pose": None, "base_position": [-0.56, 0.0, 0.912]})
    fk_only.save(root)
    computed = source(root, "eef_delta", split="all")
    for i in range(len(computed)):  # measured: at most 6e-7 (the recorded poses are float32)
        np.testing.assert_allclose(computed.sample(i)["actions"], recorded.sample(i)["actions"], atol=1e-5)


def test_missing_features_and_unknown_embodiments_are_named(testbed_root, tmp_path):
    import shutil

    root = tmp_path / "Panda_lift"
    shutil.copytree(testbed_root / "Panda_lift", root)
    description = DatasetDescription.load(root)
    # The features every run reads, and the embodiment, are checked with the dataset's files (`ablate.data.checks`).
    state = description.state
    description.model_copy(update={"state": state.model_copy(update={"joints": ["observation.qpos"]})}).save(root)
    with pytest.raises(
        InputError, match=r"ablate\.json: state\.joints\[0\]: observation\.qpos: no feature 'observation\.qpos'"
    ):
        source(root, "joint_abs", split="all")
    description.model_copy(update={"embodiment": "Pandaa"}).save(root)
    with pytest.raises(
        InputError, match=r"ablate\.json: embodiment: unknown embodiment 'Pandaa' \(did you mean 'Panda'\?\)"
    ):
        source(root, "joint_abs", split="all")


@pytest.mark.parametrize("frame", ["world_rel", "world_delta", "eef_rel", "eef_delta"])
def test_joint_only_reading_ignores_recorded_poses_and_matches_them_by_kinematics(testbed_root, frame):
    # Rethink-VLA's D4 pool adds joint-only data: read so, a dataset's EEF labels come from forward kinematics, and
    # they are the labels of the recorded poses to 1e-5 in every EEF frame (measured: at most 6e-7; the recorded
    # poses are stored as float32).
    root = testbed_root / "Panda_lift"
    recorded, joint_only = source(root, frame, split="all"), source(root, frame, split="all", joint_only=True)
    assert eef_source(recorded.description, recorded.embodiment) == "recorded"
    assert eef_source(joint_only.description, joint_only.embodiment, joint_only=True) == "kinematics"
    for i in range(len(joint_only)):
        np.testing.assert_allclose(joint_only.sample(i)["actions"], recorded.sample(i)["actions"], atol=1e-5)


def test_target_episodes_keep_a_seeded_prefix_of_the_train_split(testbed_root):
    root = testbed_root / "Panda_lift"
    full = source(root, split="train", val_fraction=0.2)
    two, three = (source(root, split="train", val_fraction=0.2, max_episodes=n) for n in (2, 3))
    assert len(two.episodes) == 2 and set(two.episodes) < set(three.episodes) <= set(full.episodes)
    validation = source(root, split="val", val_fraction=0.4, max_episodes=1).episodes
    assert len(validation) == 2  # the cap is for training only
    with pytest.raises(DatasetError, match="6 training episodes asked for"):
        source(root, split="train", val_fraction=0.2, max_episodes=6)
