"""The openpi #1026-style check: the fraction of normalised training labels outside their statistics' q01..q99
range, per dimension. Right statistics give about 2 %; statistics of other labels (another frame) are said aloud."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ablate.data.frames import Frame
from ablate.data.label_range import label_range, label_range_lines, label_range_metrics
from ablate.data.source import EmbodimentSource, SourceConfig
from tests.conftest import REPO
from tests.data import user_datasets

DESCRIPTION = (
    "embodiment: so100\n"
    "state: {joints: 'observation.state[0:5]', grippers: 'observation.state[5]'}\n"
    "action: {joints: 'action[0:5]', grippers: 'action[5]'}\n"
)


@pytest.fixture(scope="module")
def so100(tmp_path_factory):
    root = tmp_path_factory.mktemp("mine")
    user_datasets.so100(root / "so100_pick")
    (root / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, root / "embodiments" / name)
    (root / "so100_pick.ablate.yaml").write_text(DESCRIPTION)
    return root / "so100_pick"


def _source(path, frame: str) -> EmbodimentSource:
    return EmbodimentSource(SourceConfig(path, Frame(frame), horizon=4, val_fraction=0.0))


@pytest.mark.parametrize("mode", ["mean_std", "quantile"])
def test_the_statistics_of_the_labels_leave_about_two_percent_outside(so100, mode):
    source = _source(so100, "joint_delta")
    checked = label_range(source, source.stats(), mode, seed=0)
    assert checked.dataset == "so100_pick" and checked.labels == len(source) * 4 - _padded(source)
    assert checked.outside.shape == (6,)
    assert (checked.outside <= 0.05).all(), checked.outside  # 1 % each side by definition, on few labels
    assert checked.suspect == []
    lines = label_range_lines([checked], mode)
    assert lines[0].startswith(f"label range (data.normalization={mode}): normalised training labels outside")
    assert not any("warning" in line for line in lines)
    assert set(label_range_metrics([checked])) == {f"label_outside_q01_q99/so100_pick/a{d}" for d in range(6)}


def test_statistics_of_other_labels_are_said_aloud(so100):
    """joint_abs labels normalised with joint_delta statistics (what a stale cache or a frame mix-up would do)."""
    labels = _source(so100, "joint_abs")
    other = _source(so100, "joint_delta").stats()
    checked = label_range(labels, other, "mean_std", seed=0)
    assert checked.suspect, checked.outside  # the joints, far outside
    assert 5 not in checked.suspect  # the gripper stays absolute in both frames: its statistics are right
    warning = next(line for line in label_range_lines([checked], "mean_std") if "warning" in line)
    assert "so100_pick: a0 (" in warning and "the statistics do not describe these labels" in warning


def _padded(source: EmbodimentSource) -> int:
    return int(sum(source.sample(i)["action_is_pad"].sum() for i in range(len(source))))


def test_the_check_is_seeded(so100):
    source = _source(so100, "joint_abs")
    a, b = (label_range(source, source.stats(), "mean_std", seed=3, samples=8) for _ in range(2))
    np.testing.assert_array_equal(a.outside, b.outside)
