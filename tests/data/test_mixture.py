import numpy as np
import pytest

from ablate.data.mixture import MixtureSampler, mixture_weights

SIZES = {"Panda": 900, "UR5e": 100}


def test_weights_explicit_proportional_and_temperature():
    assert mixture_weights(SIZES, {"Panda": 1, "UR5e": 3}) == {"Panda": 0.25, "UR5e": 0.75}
    assert mixture_weights(SIZES, "proportional") == {"Panda": 0.9, "UR5e": 0.1}
    hot = mixture_weights(SIZES, "temperature", temperature=2.0)  # p ∝ sqrt(n): 30 : 10
    assert hot == pytest.approx({"Panda": 0.75, "UR5e": 0.25})
    assert mixture_weights(SIZES, {"Panda": 1.0}) == {"Panda": 1.0}  # leaving a dataset out drops it


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"Panda": 0.0, "UR5e": 1.0}, "must be > 0"),
        ({"Kuka": 1.0}, "unknown dataset"),
        ("uniformish", "must be a mapping"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        mixture_weights(SIZES, weights)


def test_sampler_follows_weights_covers_every_frame_and_counts_draws():
    sampler = MixtureSampler(SIZES, mixture_weights(SIZES, {"Panda": 0.5, "UR5e": 0.5}), seed=3)
    draws = [d for _ in range(100) for d in sampler.sample(20)]
    counts = sampler.drawn
    assert sum(counts.values()) == 2000 and abs(counts["UR5e"] / 2000 - 0.5) < 0.05
    ur5e = [i for name, i in draws if name == "UR5e"]
    assert set(ur5e[:100]) == set(range(100))  # an epoch is a permutation: every frame once


def test_resumed_sampler_continues_the_exact_stream():
    probs = mixture_weights(SIZES, "proportional")
    straight = MixtureSampler(SIZES, probs, seed=7)
    expected = [straight.sample(32) for _ in range(60)]
    first = MixtureSampler(SIZES, probs, seed=7)
    got = [first.sample(32) for _ in range(25)]
    state = first.state_dict()
    resumed = MixtureSampler(SIZES, probs, seed=7)
    resumed.load_state_dict(state)
    got += [resumed.sample(32) for _ in range(35)]
    assert got == expected
    assert resumed.drawn == straight.drawn


def test_same_seed_same_stream_other_seed_other_stream():
    probs = mixture_weights(SIZES, "proportional")
    a, b, c = (MixtureSampler(SIZES, probs, seed=s).sample(64) for s in (1, 1, 2))
    assert a == b and a != c
    assert np.mean([name == "Panda" for name, _ in a]) > 0.7
