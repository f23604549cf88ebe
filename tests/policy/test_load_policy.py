"""`ablate.load_policy` on runs trained from datasets written by lerobot's own API (an SO-100 with a URDF, an
ALOHA-like rig), loaded after the data and the embodiment files are gone: its chunks are the ones the training
pipeline computes for the same observation, in the robot's own action layout."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import ablate
from ablate.errors import InputError
from ablate.policy.observation import ObservationError
from tests.data import user_datasets
from tests.policy import trained


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """Two runs in a project folder: joint_delta on SO-100 + ALOHA (target SO-100), eef_rel on the SO-100 (poses by
    its URDF). Then the datasets and the embodiment files are moved away: the checkpoints must do without them."""
    root = trained.so100_project(tmp_path_factory.mktemp("policy"), aloha=True)
    mixture = "data.mixture={so100_pick: 1.0, aloha_insert: 1.0}"
    trained.train(root, "runs/mix", mixture, "data.target=so100_pick", "data.action_frame=joint_delta")
    trained.train(root, "runs/eef", "data.mixture={so100_pick: 1.0}", "data.action_frame=eef_rel")
    _expected_chunks(root)  # what the training pipeline predicts, while the data are still there
    shutil.move(root / "data", root / "data-gone")
    shutil.move(root / "embodiments", root / "embodiments-gone")
    return root


def _expected_chunks(root: Path) -> None:
    """The pipeline's own chunk for frame 3 of so100_pick (the loader's batch, the model, un-normalised, to absolute
    targets), with noise seed 7: saved beside the runs for the test to compare against."""
    from ablate.data.frames import Frame, to_targets
    from ablate.data.inputs import Padding, unnormalize_actions
    from ablate.data.loader import MixtureLoader
    from ablate.data.normalize import CHECKPOINT_KEY, RunNormalization
    from ablate.data.source import EmbodimentSource, SourceConfig
    from ablate.jobs.checkpoints import CheckpointStore
    from ablate.jobs.contract import Run
    from ablate.model.build import batch_tensors, build_policy

    cwd = Path.cwd()
    os.chdir(root)  # the project's embodiments/ folder is found from here, as for a run
    try:
        run = Run.load(root / "runs" / "mix")
        from ablate.config import RunConfig

        config = RunConfig.of(run.config)
        state = CheckpointStore(root / "runs" / "mix" / "checkpoints").latest()
        model = build_policy(config, run.seed)
        model.load_state_dict(state["model"])
        model.eval()
        normalization = RunNormalization.from_state(state[CHECKPOINT_KEY])
        stats = normalization.of("so100_pick")
        dataset = root / "data" / "mine" / "so100_pick"
        source = EmbodimentSource(SourceConfig(dataset, Frame("joint_delta"), split="all"))
        loader = MixtureLoader([source], {"so100_pick": 1.0}, 0, padding=Padding.of(config.data), temperature=1.0,
                               normalization=normalization.mode, stats={"so100_pick": stats})  # fmt: skip
        with torch.no_grad():
            batch = batch_tensors(loader.batch_at([("so100_pick", 3)]), model, torch.device("cpu"))
            chunk = model.sample_actions(batch, generator=torch.Generator().manual_seed(7))[0, :, : source.action_dim]
        labels = unnormalize_actions(chunk.numpy().astype(np.float64), stats, normalization.mode)
        t = int(source.starts[3])
        arm, gripper = to_targets(Frame("joint_delta"), source.current[t], labels, gripper_dims=1)
        np.save(root / "expected.npy", np.concatenate([arm, gripper], axis=1))
        observation = {"observation.state": source.columns["observation.state"][t], "task": source.instructions[t]}
        np.save(root / "observation.npy", observation["observation.state"])
        (root / "task.txt").write_text(str(observation["task"]))
    finally:
        os.chdir(cwd)


def _observation(root: Path) -> dict:
    return {"observation.state": np.load(root / "observation.npy"), "task": (root / "task.txt").read_text()}


def test_without_its_data_a_checkpoint_predicts_what_the_training_pipeline_predicts(runs):
    said = []
    policy = ablate.load_policy(runs / "runs" / "mix", log=said.append)
    assert (policy.embodiment.name, policy.dataset.name, policy.frame.name) == ("so100", "so100_pick", "joint_delta")
    assert any("using so100_pick, the run's target" in line for line in said), said  # the choice is said
    policy.reset(seed=7)
    chunk = policy.predict(_observation(runs))
    np.testing.assert_allclose(chunk, np.load(runs / "expected.npy"), atol=1e-5)
    # the robot's own layout: the SO-100's `action` feature, by its recorded names
    assert policy.action_names == tuple(user_datasets.SO100_NAMES) and policy.layout.feature == "action"
    assert policy.metadata()["chunk_fps"] == 30.0 and policy.metadata()["observation_features"] == ["observation.state"]


def test_select_action_executes_the_first_steps_of_each_chunk(runs):
    policy = ablate.load_policy(runs / "runs" / "mix", log=None, n_action_steps=3)
    obs = _observation(runs)
    policy.reset(seed=1)
    chunk = policy.predict(obs)
    policy.reset(seed=1)
    steps = [policy.select_action(obs) for _ in range(3)]
    np.testing.assert_array_equal(np.stack(steps), chunk[:3])
    fourth = policy.select_action(obs)  # a new chunk: other noise, so other values
    assert fourth.shape == (6,) and not np.array_equal(fourth, chunk[3])


def test_the_other_robot_of_a_mixture_is_chosen_by_name_in_its_own_layout(runs):
    policy = ablate.load_policy(runs / "runs" / "mix", "aloha", log=None)
    chunk = policy.predict({"observation.state": np.zeros(14, np.float32), "task": "insert"})
    assert chunk.shape == (8, 14) and policy.action_names == tuple(user_datasets.ALOHA_NAMES)
    with pytest.raises(InputError, match=r"no dataset or embodiment 'ur5' in this run; it has so100_pick \(so100\)"):
        ablate.load_policy(runs / "runs" / "mix", "ur5", log=None)


def test_an_eef_run_returns_absolute_poses_by_the_embodiment_kinematics_saved_in_the_checkpoint(runs):
    policy = ablate.load_policy(runs / "runs" / "eef", log=None)
    chunk = policy.predict(_observation(runs))
    assert chunk.shape == (8, 8) and policy.layout.feature is None  # no recorded pose feature to lay them out as
    assert policy.action_names[:7] == ("main.x", "main.y", "main.z", "main.qx", "main.qy", "main.qz", "main.qw")
    np.testing.assert_allclose(np.linalg.norm(chunk[:, 3:7], axis=1), 1.0, atol=1e-6)


def test_a_checkpoint_file_alone_is_a_policy_and_one_without_a_bundle_says_what_to_do(runs, tmp_path):
    checkpoint = next((runs / "runs" / "mix" / "checkpoints").glob("ckpt-*.pt"))
    alone = tmp_path / "policy.pt"
    shutil.copy(checkpoint, alone)
    policy = ablate.load_policy(alone, log=None)
    policy.reset(seed=7)
    np.testing.assert_allclose(policy.predict(_observation(runs)), np.load(runs / "expected.npy"), atol=1e-5)
    state = torch.load(alone, weights_only=False)
    del state["policy"]
    torch.save(state, tmp_path / "old.pt")
    with pytest.raises(InputError, match="holds no policy bundle"):
        ablate.load_policy(tmp_path / "old.pt", log=None)


def test_an_observation_it_cannot_read_is_an_error_naming_the_feature(runs):
    policy = ablate.load_policy(runs / "runs" / "mix", log=None)
    with pytest.raises(ObservationError, match=r"observation.state holds 5 values, expected 6"):
        policy.predict({"observation.state": np.zeros(5), "task": "pick"})
    with pytest.raises(ObservationError, match=r"no 'observation.state' \(it has task\)"):
        policy.predict({"task": "pick"})
    with pytest.raises(ObservationError, match="give the instruction as the observation's 'task'"):
        policy.predict({"observation.state": np.zeros(6)})
