"""Image-based closed loop on the testbed (MUJOCO_GL=osmesa from .ci/setup-env's libosmesa6): a run trained with
camera images evaluates in robosuite through the adapter without a crash (it once failed inside the job with
"'NoneType' object has no attribute 'glGetError'"), and its trials are in its trial table."""

from __future__ import annotations

import pandas as pd

from ablate.testbed.record import record_dataset
from tests.policy.trained import ablate_cli


def test_a_run_with_camera_images_is_evaluated_in_the_testbed(tmp_path):
    record_dataset("Panda", "lift", episodes=2, out=tmp_path / "data", seed=3, images=True)
    out = ablate_cli(
        tmp_path, "train", "testbed/tiny", "--out", "run", "data.root=data", "~data.testbed", "model.images=true",
        "train.batch_size=4", "train.budget.per_run=8", "eval.trials=1",
    )  # fmt: skip
    assert "eval Panda/lift trial 1/1" in out
    trials = pd.read_parquet(tmp_path / "run" / "trials.parquet")
    assert trials[["embodiment", "task", "trial"]].values.tolist() == [["Panda", "lift", 0]]
