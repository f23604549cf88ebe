"""Which datasets a run reads: `target` is data.target; another task's dataset is `Robot_task`."""

from __future__ import annotations

import pytest

from ablate.config import StageConfig
from ablate.data.datasets import all_dataset_keys, dataset_path, mixture_of
from ablate.data.source import DatasetError
from tests.testbed.test_datasets import vla_config


def test_study_keys_name_the_datasets_a_run_reads(tmp_path):
    config = vla_config(tmp_path, mixture={"target": 1.0, "Panda": 1.0}, target="IIWA")
    config = config.model_copy(
        update={
            "stages": {"post": StageConfig(mixture={"target": 1.0})},
            "eval": config.eval.model_validate(
                {"targets": [{"robot": "IIWA", "task": "lift"}, {"robot": "IIWA", "task": "stack"}]}
            ),
        }
    )
    assert all_dataset_keys(config) == ["IIWA", "Panda", "IIWA_stack"]
    assert dataset_path(config.data, "target") == tmp_path / "IIWA_lift"
    assert mixture_of(config.data)[1] == {"IIWA_lift": 1.0, "Panda_lift": 1.0}

    twice = config.data.model_copy(update={"mixture": {"target": 1.0, "IIWA": 1.0}})
    with pytest.raises(DatasetError, match="names dataset\\(s\\) IIWA_lift twice"):
        mixture_of(twice)
    without = config.data.model_copy(update={"target": None})
    with pytest.raises(DatasetError, match=r"data\.target \(the target robot\) is not set"):
        mixture_of(without)
