"""Feature references: a dataset's columns sliced as recorded, by index range, index or per-value name."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.features import FeatureRef, FeatureRefError

FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [6], "names": ["pan", "lift", "elbow", "flex", "roll", "grip"]},
    "action": {"dtype": "float32", "shape": [6], "names": {"motors": ["pan", "lift", "elbow", "flex", "roll", "grip"]}},
    "observation.gripper": {"dtype": "float32", "shape": [1], "names": None},
}


@pytest.mark.parametrize(
    ("text", "indices"),
    [
        ("observation.state", [0, 1, 2, 3, 4, 5]),
        ("observation.state[0:5]", [0, 1, 2, 3, 4]),
        ("observation.state[5]", [5]),
        ("observation.state[3:]", [3, 4, 5]),
        ("observation.state[pan, elbow]", [0, 2]),
        ("action[grip]", [5]),  # LeRobot's {"motors": [...]} names
        ("observation.gripper", [0]),
    ],
)
def test_a_reference_takes_the_columns_it_names(text, indices):
    assert FeatureRef.parse(text).indices(FEATURES) == indices


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("observation.stat[0:5]", "no feature 'observation.stat' in the dataset (it has action, observation.gripper"),
        ("observation.state[4:9]", "[4:9] is outside observation.state's 6 values"),
        ("observation.state[wrist]", "has no value named 'wrist' (its names are pan, lift"),
        ("observation.gripper[grip]", "info.json lists no names for it"),
        ("observation.state[a:b]", "a range is [start:stop] with whole numbers"),
    ],
)
def test_a_reference_to_nothing_says_why(text, message):
    with pytest.raises(FeatureRefError, match=None) as e:
        FeatureRef.parse(text).indices(FEATURES)
    assert message in str(e.value)


def test_a_malformed_reference_is_refused():
    with pytest.raises(FeatureRefError, match="expected FEATURE, FEATURE"):
        FeatureRef.parse("observation.state[0:5")


def test_a_scalar_column_is_one_value_per_frame():
    """LeRobot stores a shape-(1,) feature as a scalar column: a 1-d gripper, not `has shape ()`."""
    column = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    assert FeatureRef.parse("observation.gripper").read(column, FEATURES).shape == (3, 1)
    state = np.arange(18, dtype=np.float32).reshape(3, 6)
    np.testing.assert_array_equal(FeatureRef.parse("observation.state[grip]").read(state, FEATURES), [[5], [11], [17]])
