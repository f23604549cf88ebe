"""A broken dataset (NaN in a column, a Parquet file cut in half, a broken meta/ablate.json or meta/info.json) is
exit 2 from `ablate train`, `ablate plan` and `ablate run`, one line naming the file, what is wrong and what to
do, and nothing written: the same command succeeds once the data is fixed. A sweep job that meets broken data
anyway (it changed after planning) fails with that line in its state."""

from __future__ import annotations

import pytest

from ablate import api
from tests.conftest import run_cli
from tests.data.small_dataset import (
    DATA_FILE,
    TRAIN_OVERRIDES,
    copy_dataset,
    cut_in_half,
    edit_json,
    put_nan,
    write_small_dataset,
)

DATASET = "Panda_lift"  # what testbed/tiny's mixture (Panda) and task (lift) name

SPEC = """
name: faults
recipe: testbed/tiny
seeds: [0]
overrides:
  data.root: datasets
  data.testbed: null
  data.environment_state: false
  eval.targets: []
  train.batch_size: 16
budget: {unit: samples, per_run: 32}
launcher: {kind: debug}
"""


def _nan(root):
    put_nan(root, "action", episode=2, frames=range(3, 6))
    return f"{DATA_FILE}: action: 3 of 48 rows hold NaN, infinity or null, the first at episode 2, frame 3;"


def _truncated(root):
    cut_in_half(root / DATA_FILE)
    return f"{DATA_FILE}: cannot be read as Parquet ("


def _ablate_json(root):
    (root / "meta" / "ablate.json").write_text('{"embodiment": "Panda", "fps": 10,,}')
    return "meta/ablate.json: not valid JSON ("


def _ablate_json_types(root):
    edit_json(root / "meta" / "ablate.json", lambda d: d.update(instruction=5))
    return "meta/ablate.json: instruction: Input should be a valid string"


def _info_json(root):
    edit_json(root / "meta" / "info.json", lambda d: d.pop("features"))
    return "meta/info.json: features: required key is missing"


FAULTS = [_nan, _truncated, _ablate_json, _ablate_json_types, _info_json]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_small_dataset(tmp_path_factory.mktemp("small") / DATASET)


@pytest.fixture
def here(project, small, monkeypatch):
    """The project folder as the working folder, with the small dataset in datasets/."""
    monkeypatch.chdir(project.root)
    copy_dataset(small, project.root / "datasets" / DATASET)
    return project


def _train(out: str):
    return run_cli("train", "testbed/tiny", "--out", out, "data.root=datasets", *TRAIN_OVERRIDES)


def _refused(result, words: str) -> None:
    assert result.code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert f"datasets/{DATASET}/{words}" in result.stderr, result.stderr


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__.strip("_"))
def test_train_on_a_broken_dataset_is_exit_2_naming_the_file_and_writes_nothing(here, fault):
    words = fault(here.root / "datasets" / DATASET)
    _refused(_train("run"), words)
    assert not (here.root / "run").exists()


def test_the_same_train_command_trains_once_the_data_is_fixed(here, small):
    words = _nan(here.root / "datasets" / DATASET)
    _refused(_train("run"), words)
    copy_dataset(small, here.root / "datasets" / DATASET)
    fixed = _train("run")
    assert fixed.code == 0, fixed.stderr
    assert "(trained)" in fixed.stdout


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__.strip("_"))
def test_plan_and_run_on_a_broken_dataset_are_exit_2_naming_the_file_and_write_nothing(here, fault):
    spec = here.spec(SPEC)
    words = fault(here.root / "datasets" / DATASET)
    _refused(run_cli("plan", spec), words)
    _refused(run_cli("run", spec), words)
    assert not (here.root / "sweeps").exists()


def test_a_job_meeting_data_broken_after_planning_fails_with_the_line_and_a_rerun_after_the_fix_trains(here, small):
    spec = here.spec(SPEC)
    plan = api.plan(spec)
    words = _nan(here.root / "datasets" / DATASET)  # the data changes while the sweep waits for its jobs
    result = api.run_sweep(plan)
    assert [r.state for r in result.runs] == ["failed"]
    assert (
        result.runs[0]
        .error.splitlines()[-1]
        .endswith(
            f"datasets/{DATASET}/{words} fix or drop those frames and rewrite the file, or record the dataset again"
        )
    )
    copy_dataset(small, here.root / "datasets" / DATASET)
    again = run_cli("run", spec)
    assert again.code == 0, again.stdout + again.stderr
    assert [r.state for r in api.status(result.sweep_dir).runs] == ["done"]
