"""Evaluation un-normalises with the statistics and the mode training normalised with. Before, a `quantile` run
was evaluated with mean/std (round-trip error ~0.1 in the robot's units); now the round trip is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ablate.config import EvalTarget
from ablate.data.datasets import build_loader, run_normalization
from ablate.data.inputs import unnormalize_actions
from ablate.data.normalize import RunNormalization
from ablate.data.source import EmbodimentSource
from ablate.evaluate.closed_loop import target_policy
from ablate.model.build import build_policy
from tests.testbed.test_datasets import vla_config


@pytest.mark.parametrize("mode", ["mean_std", "quantile"])
def test_training_normalisation_inverts_exactly_in_evaluation(testbed_root, mode):
    config = vla_config(testbed_root, normalization=mode, testbed=None, max_state_dim=16, max_action_dim=10)
    normalization = run_normalization(config)
    assert normalization.mode == mode and set(normalization.by_dataset) == {"Panda_lift"}
    drawn = build_loader(config, None, seed=0, normalization=normalization).sampler.sample(16)  # same seed
    loader = build_loader(config, None, seed=0, normalization=normalization)
    batch = loader.batch(16)
    source: EmbodimentSource = loader.sources["Panda_lift"]
    dim = source.action_dim
    raw = np.stack([source.sample(index)["actions"] for _, index in drawn])
    back = unnormalize_actions(batch["actions"][:, :, :dim].astype(np.float64), normalization.of("Panda_lift"), mode)
    assert np.abs(back - raw).max() < 1e-5


def test_the_evaluated_policy_uses_the_runs_statistics_and_mode_and_survives_a_checkpoint(testbed_root):
    config = vla_config(testbed_root, normalization="quantile", testbed=None, max_state_dim=16, max_action_dim=10)
    saved = RunNormalization.from_state(run_normalization(config).to_state())  # as a checkpoint holds it
    model = build_policy(config, 0)
    policy = target_policy(model, config, saved, EvalTarget(robot="Panda"), 0, torch.device("cpu"))
    assert policy.mode == "quantile"
    assert np.array_equal(policy.stats["actions"].q99, saved.of("Panda_lift")["actions"].q99)
    with pytest.raises(KeyError, match="no normalisation statistics for dataset 'UR5e_lift'"):
        target_policy(model, config, saved, EvalTarget(robot="UR5e"), 0, torch.device("cpu"))
