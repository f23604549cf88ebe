"""Benchmark: plan a generated 10,000-arm spec (4 factors × 10 levels) against the naive baseline of one Hydra
compose per arm (measured on a sample of arms in the same run, scaled to 10,000).

    .venv/bin/python benchmarks/plan_10k.py            # target: planning under 1 s on a 2-core machine
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEVELS = 10
SPEC = f"""
name: plan-10k
recipe: quickstart/mlp
seeds: [0, 1, 2]
factors:
  optim.lr: {[round(1e-4 * (i + 1), 6) for i in range(LEVELS)]}
  optim.weight_decay: {[round(0.01 * i, 3) for i in range(LEVELS)]}
  model.hidden: {[32 * (i + 1) for i in range(LEVELS)]}
  train.batch_size: {[8 * (i + 1) for i in range(LEVELS)]}
budget: {{unit: samples, per_run: 2520000}}
"""
BASELINE_SAMPLE = 50


def main() -> None:
    from ablate.spec.plan import make_plan

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "recipes", root / "recipes")
        (root / "experiments").mkdir()
        spec = root / "experiments" / "plan10k.yaml"
        spec.write_text(SPEC)
        t0 = time.perf_counter()
        plan = make_plan(spec)
        ours = time.perf_counter() - t0
        n = len(plan.arms)
        baseline = _hydra_per_arm(root / "recipes", [a.overrides for a in plan.arms[:BASELINE_SAMPLE]]) * n
    print(f"arms planned: {n} ({len(plan.runs)} runs)")
    print(f"ablate plan:                {ours:7.3f} s  ({ours / n * 1e6:.0f} µs per arm)")
    print(f"baseline, Hydra compose/arm: {baseline:7.1f} s  (measured on {BASELINE_SAMPLE} arms, scaled to {n})")
    print(f"speed-up vs baseline:       {baseline / ours:7.1f}×   target: ablate plan < 1 s")
    sys.exit(0)


def _hydra_per_arm(recipes: Path, overrides: list[list[str]]) -> float:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(recipes), version_base="1.3"):
        compose("quickstart/mlp")  # warm-up
        t0 = time.perf_counter()
        for ov in overrides:
            OmegaConf.to_container(compose("quickstart/mlp", overrides=ov), resolve=True)
        return (time.perf_counter() - t0) / len(overrides)


if __name__ == "__main__":
    main()
