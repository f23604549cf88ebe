import numpy as np
import pytest

from ablate.data.dropout import SensoryDropout

CAMERAS = ["observation.images.agentview", "observation.images.wrist"]


def _sample():
    return {
        CAMERAS[0]: np.ones((3, 8, 8)),
        CAMERAS[1]: np.ones((3, 8, 8)),
        "observation.state": np.ones(9),
        "task": "lift the cube",
    }


def test_rates_are_respected_and_one_view_is_always_kept():
    drop = SensoryDropout(p_view=0.5, p_state=0.2, p_lang=0.1)
    rng = np.random.default_rng(0)
    outs = [drop.apply(_sample(), CAMERAS, "observation.state", rng) for _ in range(4000)]
    masks = np.stack([o["camera_mask"] for o in outs])
    assert masks.sum(axis=1).min() == 1  # never both views
    assert abs(np.mean([o["state_mask"] == 0 for o in outs]) - 0.2) < 0.03
    assert abs(np.mean([o["task"] == "" for o in outs]) - 0.1) < 0.02
    dropped = [o for o in outs if o["state_mask"] == 0]
    assert all(not o["observation.state"].any() for o in dropped)
    assert all(o[CAMERAS[0]].any() == bool(o["camera_mask"][0]) for o in outs)


def test_seeded_and_leaves_the_input_alone():
    drop = SensoryDropout(p_view=0.5, p_state=0.5)
    sample = _sample()
    a = [drop.apply(sample, CAMERAS, "observation.state", np.random.default_rng(5))["camera_mask"] for _ in range(3)]
    assert all((m == a[0]).all() for m in a)
    assert sample["observation.state"].all()


def test_probabilities_outside_0_1_are_refused():
    with pytest.raises(ValueError, match=r"train\.dropout\.p_view must be in \[0, 1\]"):
        SensoryDropout(p_view=1.5)
