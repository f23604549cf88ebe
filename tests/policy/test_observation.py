"""A robot's observation read as its dataset was: camera images in the units the policy trained on, or refused."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.description import DatasetDescription
from ablate.data.embodiments import embodiment
from ablate.policy.bundle import BundledDataset
from ablate.policy.observation import ObservationError, camera_images, read_refs

CAMERA = "observation.images.top"


def _dataset() -> BundledDataset:
    description = DatasetDescription.model_validate(
        {"embodiment": "Panda", "state": {"joints": "observation.state[0:7]", "grippers": "observation.state[7:9]"},
         "action": {"joints": "action[0:7]", "grippers": "action[7]"}, "cameras": [CAMERA]}
    )  # fmt: skip
    features = {
        "observation.state": {"dtype": "float32", "shape": [9], "names": None},
        CAMERA: {"dtype": "image", "shape": [4, 6, 3], "names": ["height", "width", "channels"]},
    }
    return BundledDataset("panda_top", description, embodiment("Panda"), features, 20, "panda")


def test_images_in_uint8_or_unit_floats_hwc_or_chw_are_read_and_others_refused():
    dataset, rng = _dataset(), np.random.default_rng(0)
    hwc = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    views = camera_images({CAMERA: hwc}, dataset)
    assert views.shape == (1, 3, 4, 6) and views.max() <= 1.0
    np.testing.assert_allclose(camera_images({CAMERA: hwc.transpose(2, 0, 1) / 255.0}, dataset), views, atol=1e-6)
    with pytest.raises(ObservationError, match=r"expected uint8 .* or floats in \[0, 1\]"):
        camera_images({CAMERA: hwc.astype(np.float32)}, dataset)  # 0..255 in floats would reach the model unscaled
    with pytest.raises(ObservationError, match="4×6"):
        camera_images({CAMERA: np.zeros((8, 8, 3), np.uint8)}, dataset)


def test_a_feature_that_is_not_finite_numbers_is_an_observation_error():
    for value, message in (([None] * 9, "not finite numbers"), ("abc", "not an array of numbers")):
        with pytest.raises(ObservationError, match=message):
            read_refs({"observation.state": value}, ["observation.state[0:7]"], _dataset(), "state.joints")
