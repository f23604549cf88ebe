"""A dataset's files are checked before training reads them: each fault is an InputError naming the file, the key or
column, what is wrong (for NaN: how many rows, the first episode and frame) and what to do."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ablate.data.checks import check_dataset
from ablate.data.source import EmbodimentSource, SourceConfig
from ablate.errors import InputError
from tests.data.small_dataset import DATA_FILE, copy_dataset, cut_in_half, edit_json, put_nan, write_small_dataset


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_small_dataset(tmp_path_factory.mktemp("small") / "Panda_lift")


@pytest.fixture
def dataset(small, tmp_path):
    """A copy of the small dataset, to break."""
    return copy_dataset(small, tmp_path / "Panda_lift")


def refused(root, rows: bool = True) -> str:
    with pytest.raises(InputError) as e:
        check_dataset(root, rows=rows)
    return str(e.value)


def test_a_sound_dataset_passes_with_its_description(dataset):
    assert check_dataset(dataset).embodiment == "Panda"


def test_nan_is_named_by_file_column_count_and_first_episode_and_frame(dataset):
    put_nan(dataset, "action", episode=2, frames=range(3, 6))
    put_nan(dataset, "observation.joint_pos", episode=1, frames=range(7, 8))
    message = refused(dataset)
    assert (
        f"{dataset / DATA_FILE}: action: 3 of 48 rows hold NaN, infinity or null, the first at episode 2, frame 3;"
        in message
    )
    assert "observation.joint_pos: 1 of 48 rows hold NaN, infinity or null, the first at episode 1, frame 7;" in message
    assert "fix or drop those frames and rewrite the file" in message


def test_infinity_and_null_count_as_bad_rows(dataset):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = dataset / DATA_FILE
    table = pq.read_table(path)
    values = table["observation.gripper_qpos"].to_pylist()
    values[5] = [np.inf, 0.0]
    values[9] = [0.0, None]
    field = table.schema.field("observation.gripper_qpos")
    index = table.schema.get_field_index(field.name)
    pq.write_table(table.set_column(index, field, pa.array(values, type=field.type)), path)
    assert (
        "observation.gripper_qpos: 2 of 48 rows hold NaN, infinity or null, the first at episode 0, frame 5"
        in refused(dataset)
    )


def test_a_plan_of_a_large_dataset_reads_footers_only_and_a_job_every_row(dataset):
    put_nan(dataset, "action", episode=0, frames=range(1))
    assert check_dataset(dataset, rows=False).embodiment == "Panda"  # NaN is for the job to meet
    with pytest.raises(InputError, match="action: 1 of 48 rows"):
        EmbodimentSource(SourceConfig(root=dataset, frame=_frame()))


def test_a_parquet_file_cut_in_half_is_named_whether_data_or_episode_metadata(dataset, small):
    cut_in_half(dataset / DATA_FILE)
    for rows in (True, False):  # a footer is gone: planning sees it too
        message = refused(dataset, rows)
        assert f"{dataset / DATA_FILE}: cannot be read as Parquet (" in message
        assert "the file is damaged (cut short by an interrupted copy?)" in message and "copy it again" in message
    copy_dataset(small, dataset)
    episodes = dataset / "meta" / "episodes" / "chunk-000" / "file-000.parquet"
    cut_in_half(episodes)
    assert f"{episodes}: cannot be read as Parquet" in refused(dataset)


def test_a_broken_ablate_json_names_the_file_and_the_key(dataset):
    path = dataset / "meta" / "ablate.json"
    good = path.read_text()
    path.write_text(good[: len(good) // 2])
    assert f"{path}: not valid JSON (" in refused(dataset) and "`ablate data describe DATASET` drafts one" in refused(
        dataset
    )
    path.write_text(good)
    edit_json(path, lambda d: d.update(instruction=5, camras=[]))
    message = refused(dataset)
    assert f"{path}: instruction: Input should be a valid string" in message and "(got 5)" in message
    assert f"{path}: camras: unknown key (did you mean 'cameras'?)" in message
    path.write_text(good)
    edit_json(path, lambda d: (d.update(embodiment="Pandas"), d["state"].update(joints=["observation.q"])))
    message = refused(dataset)
    assert f"{path}: embodiment: unknown embodiment 'Pandas' (did you mean 'Panda'?); known: Panda" in message
    assert f"{path}: state.joints[0]: observation.q: no feature 'observation.q' in the dataset" in message
    path.unlink()
    assert f"{dataset}: no description of this dataset: write one to {dataset}.ablate.yaml" in refused(dataset)


def test_a_broken_info_json_names_the_file_and_the_key(dataset):
    path = dataset / "meta" / "info.json"
    good = path.read_text()
    path.write_text(good[:100])
    assert f"{path}: not valid JSON (" in refused(dataset) and "record (or convert) the dataset again" in refused(
        dataset
    )
    path.write_text(good)
    edit_json(path, lambda d: d.pop("features"))
    assert f"{path}: features: required key is missing" in refused(dataset)
    path.write_text(good)
    edit_json(path, lambda d: d.update(fps="10", total_episodes=None))
    message = refused(dataset)
    assert f"{path}: fps: expected an integer, got '10'" in message
    assert f"{path}: total_episodes: expected an integer, got None" in message
    path.write_text(json.dumps([1, 2]))
    assert f"{path}: expected a JSON object, got list" in refused(dataset)


def test_fixing_the_data_clears_the_verdict(dataset, small):
    put_nan(dataset, "action", episode=3, frames=range(2))
    refused(dataset)
    copy_dataset(small, dataset)  # the same files' content back: a new size or modification time
    assert check_dataset(dataset).embodiment == "Panda"


def _frame():
    from ablate.data.frames import Frame

    return Frame("joint_abs")
