"""Mixture batches: unified padded space with masks, per-embodiment normalisation, seeded, exactly resumable."""

from __future__ import annotations

import numpy as np
import pytest

from ablate.data.dropout import SensoryDropout
from ablate.data.frames import Frame
from ablate.data.inputs import Padding
from ablate.data.loader import MixtureLoader
from ablate.data.source import EmbodimentSource, SourceConfig

_SETTINGS = {"padding": Padding(state=16, action=10, environment=0), "temperature": 1.0, "normalization": "mean_std"}


@pytest.fixture(scope="module")
def sources(testbed_root):
    return [
        EmbodimentSource(SourceConfig(root=testbed_root / f"{r}_lift", frame=Frame("eef_rel"), split="all"))
        for r in ("Panda", "UR5e")
    ]


def test_batches_are_padded_masked_and_normalised_per_embodiment(sources):
    loader = MixtureLoader(sources, {"Panda_lift": 0.5, "UR5e_lift": 0.5}, seed=0, **_SETTINGS)
    batch = loader.batch(512)
    assert batch["state"].shape == (512, 16) and batch["actions"].shape == (512, 8, 10)
    panda = batch["embodiment"] == 0
    assert (batch["state_dim_mask"][panda].sum(axis=1) == 9).all()  # Panda: 7 joints + 2 gripper
    assert (batch["state_dim_mask"][~panda].sum(axis=1) == 12).all()  # UR5e: 6 joints + 6 gripper
    assert (batch["action_dim_mask"].sum(axis=1) == 7).all()  # eef_rel axis-angle + gripper
    assert not batch["actions"][..., 7:].any() and not batch["state"][panda][:, 9:].any()  # padding is zero
    for emb in (panda, ~panda):  # each robot's labels are centred by its own statistics
        mean = batch["actions"][emb][:, 0, :6].mean(axis=0)
        assert np.abs(mean).max() < 0.5
    assert loader.drawn["Panda_lift"] == int(panda.sum())


def test_resumed_loader_gives_the_same_batches(sources):
    make = lambda: MixtureLoader(sources, "proportional", seed=4, **_SETTINGS, dropout=SensoryDropout(p_state=0.3))  # noqa: E731
    straight = make()
    expected = [straight.batch(16) for _ in range(6)]
    first = make()
    got = [first.batch(16) for _ in range(2)]
    resumed = make()
    resumed.load_state_dict(first.state_dict())
    got += [resumed.batch(16) for _ in range(4)]
    for a, b in zip(got, expected, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_state_dropout_zeroes_the_state_and_flags_it(sources):
    loader = MixtureLoader(sources, "proportional", seed=1, **_SETTINGS, dropout=SensoryDropout(p_state=0.5))
    batch = loader.batch(400)
    dropped = batch["state_mask"] == 0
    assert 0.4 < dropped.mean() < 0.6
    assert not batch["state"][dropped].any()


def test_too_small_unified_space_is_refused(sources):
    with pytest.raises(ValueError, match="exceed the unified space"):
        MixtureLoader(sources, "proportional", seed=0, **(_SETTINGS | {"padding": Padding(8, 10, 0)}))
