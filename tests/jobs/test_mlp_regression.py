"""A seed means the same init, data order and evaluation for every arm (paired design)."""

from __future__ import annotations

from tests.launch.helpers import run_state

SPEC = """
name: pairs
recipe: quickstart/mlp
seeds: [0, 1]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 640}
"""


def test_same_seed_same_init_and_batches_across_arms_different_across_seeds(project):
    result = project.cli("run", project.spec(SPEC), "--launcher", "debug", "--out", "s")
    assert result.code == 0, result.stderr
    r = {
        name: run_state(project.root / "s", name)["result"] for name in ("0.001-s0", "0.003-s0", "0.001-s1", "0.003-s1")
    }
    for key in ("init_fingerprint", "first_batch_fingerprint"):
        assert r["0.001-s0"][key] == r["0.003-s0"][key]
        assert r["0.001-s1"][key] == r["0.003-s1"][key]
        assert r["0.001-s0"][key] != r["0.001-s1"][key]
    assert r["0.001-s0"]["weights_fingerprint"] != r["0.003-s0"]["weights_fingerprint"]  # the arms did differ
