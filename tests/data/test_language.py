"""Each sample's instruction is its own frame's recorded task string (LeRobot's `task_index` → meta/tasks.parquet),
unless the description fixes one; language dropout empties it. One line per dataset when strings go unused or when
there is no instruction at all."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.dropout import SensoryDropout
from ablate.data.frames import Frame
from ablate.data.inputs import Padding
from ablate.data.loader import MixtureLoader
from ablate.data.source import EmbodimentSource, SourceConfig
from tests.data.small_dataset import write_small_dataset

TASKS = ("wave at the camera", "point at the cube")
_SETTINGS = {"padding": Padding(state=16, action=10, environment=0), "temperature": 1.0, "normalization": "mean_std"}


def source(root, split="train") -> EmbodimentSource:
    return EmbodimentSource(SourceConfig(root=root, frame=Frame("joint_abs"), split=split, val_fraction=0.25))


def recorded_task(src: EmbodimentSource, i: int) -> str:
    """The task string lerobot itself gives the i-th sample's frame."""
    return src.dataset[int(src.rows[src.starts[i]])]["task"]


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory):
    """Episodes alternate between two task strings; the description names no instruction."""
    return write_small_dataset(tmp_path_factory.mktemp("tasks") / "Panda_lift", episodes=4, frames=6, tasks=TASKS)


def test_each_sample_carries_its_own_frames_task_string(two_tasks, capsys):
    src = source(two_tasks)
    assert len(src.episodes) == 3  # the train split: the per-frame strings follow the kept frames
    got = [src.sample(i)["instruction"] for i in range(len(src))]
    assert got == [recorded_task(src, i) for i in range(len(src))]
    assert set(got) == set(TASKS)
    assert "instruction" not in capsys.readouterr().err  # the recorded strings are used: nothing to say


def test_batch_instructions_are_the_frames_strings_and_language_dropout_empties_them(two_tasks):
    src = source(two_tasks)
    kept = MixtureLoader([src], "proportional", seed=0, **_SETTINGS, dropout=SensoryDropout(p_lang=0.0))
    before = kept.sampler.state_dict()
    batch = kept.batch(32)
    kept.sampler.load_state_dict(before)  # the same draws again, to name each item's frame
    drawn = kept.sampler.sample(32)
    assert batch["instruction"] == [recorded_task(src, i) for _, i in drawn]
    assert set(batch["instruction"]) == set(TASKS)

    dropped = MixtureLoader([src], "proportional", seed=0, **_SETTINGS, dropout=SensoryDropout(p_lang=1.0))
    assert dropped.batch(32)["instruction"] == [""] * 32


def test_a_fixed_instruction_overrides_the_recorded_strings_and_says_so_once(tmp_path, capsys):
    root = write_small_dataset(tmp_path / "Panda_lift", episodes=4, frames=6, tasks=TASKS, instruction="lift it")
    capsys.readouterr()
    train, val = source(root), source(root, split="val")
    assert {s.sample(i)["instruction"] for s in (train, val) for i in range(len(s))} == {"lift it"}
    lines = [line for line in capsys.readouterr().err.splitlines() if "are not" in line]
    assert lines == [
        "dataset Panda_lift: the instruction 'lift it' from meta/ablate.json is used for every frame; "
        "its 2 recorded task string(s) (e.g. 'point at the cube') are not"
    ]


def test_a_fixed_instruction_equal_to_the_recorded_one_changes_nothing(tmp_path, capsys):
    """The testbed's datasets: one task string per dataset, the same text as their description's instruction."""
    root = write_small_dataset(tmp_path / "Panda_lift", frames=6, tasks=("lift the red cube",))
    fixed = write_small_dataset(
        tmp_path / "fixed" / "Panda_lift", frames=6, tasks=("lift the red cube",), instruction="lift the red cube"
    )
    capsys.readouterr()
    for src in (source(root), source(fixed)):
        assert {src.sample(i)["instruction"] for i in range(len(src))} == {"lift the red cube"}
    assert "dataset" not in capsys.readouterr().err


def test_no_task_strings_and_no_instruction_says_the_policy_is_told_nothing(tmp_path, capsys):
    root = write_small_dataset(tmp_path / "Panda_lift", episodes=4, frames=6, tasks=("",))
    capsys.readouterr()
    train, val = source(root), source(root, split="val")
    assert {s.sample(i)["instruction"] for s in (train, val) for i in range(len(s))} == {""}
    lines = [line for line in capsys.readouterr().err.splitlines() if "told nothing" in line]
    assert len(lines) == 1 and lines[0].startswith("dataset Panda_lift: no instruction")


def test_instructions_are_one_array_read_with_the_columns(two_tasks):
    src = source(two_tasks, split="all")
    assert isinstance(src.instructions, np.ndarray) and len(src.instructions) == len(src.columns["action"])
