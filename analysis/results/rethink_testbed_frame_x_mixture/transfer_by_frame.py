"""Does pooling help more with eef_rel than with joint_abs? The difference of transfer deltas,
(eef_rel pooled − eef_rel target-only) − (joint_abs pooled − joint_abs target-only), per target and averaged over
targets, with ablate's seed-clustered hierarchical bootstrap: seeds resampled within each target and shared by the
four arms (seed s means the same initial weights, data order and evaluation scenes in every arm), then trials
within each (arm, seed) by a binomial draw. Percentile interval, 10,000 resamples, seed 0. Exploratory: this
contrast was not pre-registered.

    python analysis/results/rethink_testbed_frame_x_mixture/transfer_by_frame.py [TRIALS]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ARMS = [("eef_rel", "pooled"), ("eef_rel", "target_only"), ("joint_abs", "pooled"), ("joint_abs", "target_only")]
SIGNS = np.array([1, -1, -1, 1])


def main(path: Path, resamples: int = 10_000, seed: int = 0) -> None:
    table = pd.read_parquet(path) if path.suffix != ".csv" else pd.read_csv(path)
    rng = np.random.default_rng(seed)
    targets = sorted(table["target"].unique())
    draws_by_target, estimates = [], {}
    print(f"difference of transfer deltas (eef_rel − joint_abs); {resamples} resamples, percentile 95% CI")
    for target in targets:
        part = table[table["target"] == target]
        seeds = sorted(part["seed"].unique())
        s = np.array(
            [
                [
                    part[(part.action_frame == f) & (part.mixture == m) & (part.seed == k)]["success"].sum()
                    for k in seeds
                ]
                for f, m in ARMS
            ],
            dtype=float,
        )  # [arm, seed]
        n = np.array(
            [
                [len(part[(part.action_frame == f) & (part.mixture == m) & (part.seed == k)]) for k in seeds]
                for f, m in ARMS
            ],
            dtype=float,
        )
        estimate = float(SIGNS @ (s.sum(1) / n.sum(1)))
        pick = rng.integers(0, len(seeds), size=(resamples, len(seeds)))  # the same seeds for the four arms
        ns, ss = n[:, pick], s[:, pick]  # [arm, R, seeds]
        sim = rng.binomial(ns.astype(np.int64), ss / ns)
        rates = sim.sum(axis=2) / ns.sum(axis=2)  # [arm, R]
        draws = SIGNS @ rates
        draws_by_target.append(draws)
        estimates[target] = estimate
        low, high = np.percentile(draws, [2.5, 97.5])
        print(f"  {target}: {estimate:+.3f} [{low:+.3f}, {high:+.3f}]")
    mean = np.mean(draws_by_target, axis=0)
    low, high = np.percentile(mean, [2.5, 97.5])
    print(f"  mean over targets: {np.mean(list(estimates.values())):+.3f} [{low:+.3f}, {high:+.3f}]")


if __name__ == "__main__":
    here = Path(__file__).parent
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else here / "trials.csv")
