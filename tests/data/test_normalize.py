import numpy as np
import pytest

from ablate.data.frames import Frame, to_labels
from ablate.data.normalize import Stats, StatsCache


def test_relative_frame_stats_are_per_chunk_step_and_round_trip():
    rng = np.random.default_rng(0)
    # A drifting joint trajectory: joint_delta labels grow along the chunk, so one mean/std per step is needed.
    q = np.cumsum(rng.normal(0.05, 0.01, (200, 9, 3)), axis=1)
    labels = np.stack([to_labels(Frame("joint_delta"), c[0], c[1:], np.zeros((8, 1))) for c in q])
    stats = Stats.of(labels, per_step=True)
    assert stats.mean.shape == (8, 4)
    assert stats.mean[-1, 0] > 6 * stats.mean[0, 0]  # later steps sit further away
    for mode in ("mean_std", "quantile"):
        np.testing.assert_allclose(stats.unnormalize(stats.normalize(labels, mode), mode), labels, atol=1e-9)
    z = stats.normalize(labels)
    np.testing.assert_allclose(z[..., :3].mean(axis=0), 0, atol=1e-9)


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="NaN or infinity"):
        Stats.of(np.array([[0.0, np.nan]]), per_step=False)


def test_cache_keys_change_with_frame_and_parameters_and_hit_otherwise(tmp_path):
    cache = StatsCache(tmp_path)
    key = cache.key("ds-abc", frame="eef_rel", rotation="axis_angle", horizon=8)
    assert key != cache.key("ds-abc", frame="joint_abs", rotation="axis_angle", horizon=8)
    assert key != cache.key("ds-abd", frame="eef_rel", rotation="axis_angle", horizon=8)
    assert key == cache.key("ds-abc", horizon=8, rotation="axis_angle", frame="eef_rel")
    calls = []

    def compute():
        calls.append(1)
        return Stats.of(np.arange(12.0).reshape(4, 3), per_step=False)

    first = cache.get_or_compute(key, compute)
    second = cache.get_or_compute(key, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(first.mean, second.mean)


def test_rewritten_data_under_the_same_metadata_gets_fresh_statistics(testbed_root, tmp_path):
    """The cache key covers the data files, not only meta/: tripling every action in data/ (metadata untouched)
    gives new statistics, not the cached ones (issue 14)."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ablate.data.frames import Frame
    from ablate.data.source import EmbodimentSource, SourceConfig

    root = tmp_path / "Panda_lift"
    shutil.copytree(testbed_root / "Panda_lift", root)
    cache = StatsCache(tmp_path / ".stats")
    config = SourceConfig(root=root, frame=Frame("joint_abs"), split="train")
    before = EmbodimentSource(config).stats(cache)["actions"]
    for part in sorted((root / "data").rglob("*.parquet")):
        table = pq.read_table(part)
        tripled = pa.array([[3 * x for x in row] for row in table["action"].to_pylist()], type=table["action"].type)
        pq.write_table(table.set_column(table.schema.get_field_index("action"), "action", tripled), part)
    after = EmbodimentSource(config).stats(cache)["actions"]
    np.testing.assert_allclose(after.mean, 3 * before.mean, rtol=1e-6, atol=1e-9)
    assert len(list((tmp_path / ".stats").glob("*.npz"))) == 2  # a second entry, not the stale first one
