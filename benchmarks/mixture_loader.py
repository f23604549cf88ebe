"""Benchmark: samples/s of ablate's mixture loader (two embodiments, eef_rel chunks of 8, normalised, padded)
against plain `LeRobotDataset` iteration with the same action chunks (`delta_timestamps`), on the same data.

    .venv/bin/python benchmarks/mixture_loader.py [--episodes 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

ROBOTS = ("Panda", "UR5e")
HORIZON, BATCH, BATCHES = 8, 64, 30


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()

    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    from ablate.data.frames import Frame
    from ablate.data.inputs import Padding
    from ablate.data.loader import MixtureLoader
    from ablate.data.source import EmbodimentSource, SourceConfig
    from ablate.testbed.record import record_dataset

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for robot in ROBOTS:
            record_dataset(robot, "lift", args.episodes, out)
        sources = [
            EmbodimentSource(SourceConfig(out / f"{r}_lift", Frame("eef_rel"), HORIZON, split="all")) for r in ROBOTS
        ]
        loader = MixtureLoader(
            sources, "proportional", seed=0, padding=Padding(32, 32, 0), temperature=1.0, normalization="mean_std"
        )
        loader.batch(BATCH)  # warm-up
        t0 = time.perf_counter()
        for _ in range(BATCHES):
            loader.batch(BATCH)
        ours = BATCHES * BATCH / (time.perf_counter() - t0)

        chunks = {"action": [i / 20 for i in range(HORIZON)]}
        plain = [LeRobotDataset(f"ablate/{r}_lift", root=out / f"{r}_lift", delta_timestamps=chunks) for r in ROBOTS]
        rng = np.random.default_rng(0)
        plain[0][0]  # warm-up
        t0 = time.perf_counter()
        for _ in range(BATCHES * BATCH):
            ds = plain[rng.integers(len(plain))]
            ds[int(rng.integers(len(ds)))]
        baseline = BATCHES * BATCH / (time.perf_counter() - t0)
    print(f"frames per robot: {[len(s) for s in sources]}")
    print(f"ablate MixtureLoader (frame conversion, normalisation, padding): {ours:9.0f} samples/s")
    print(f"baseline, LeRobotDataset[i] with an action chunk (no conversion):  {baseline:9.0f} samples/s")
    print(f"ratio: {ours / baseline:.1f}×")


if __name__ == "__main__":
    main()
