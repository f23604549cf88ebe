"""Do `ablate power`'s plans deliver their power? Simulates each planned design and runs the test it plans for:

- non-inferiority: the planned trials per arm, the report's Farrington–Manning test (`significance.non_inferiority`);
- seeds × trials: beta-binomial seeds with the given ICC, the Student t test on per-seed rates;
- the ICC estimator: its mean over pilots of beta-binomial seeds, and the coverage of its 95% interval.

    .venv/bin/python benchmarks/power_simulation.py [--sims 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats

from ablate.stats.power import power_of, trials_needed
from ablate.stats.seed_power import seed_icc, seed_power, seeds_needed, simulate_seed_rates
from ablate.stats.significance import non_inferiority

NI_CASES = [(0.7, 0.0, 0.1), (0.7, -0.05, 0.15), (0.5, 0.05, 0.1), (0.9, 0.0, 0.1), (0.3, 0.0, 0.1)]
SEED_CASES = [  # rate, Δ, ρ, trials per seed, alternative, margin
    (0.6, -0.2, 0.1, 20, "two-sided", None),
    (0.6, -0.2, 0.1, 200, "two-sided", None),
    (0.65, -0.2, 0.12, 10, "less", None),
    (0.5, -0.25, 0.2, 50, "less", None),
    (0.6, -0.2, 0.3, 100, "less", None),
    (0.7, 0.0, 0.05, 50, "greater", 0.1),
]


def non_inferiority_rows(sims: int, rng: np.random.Generator) -> None:
    print("non-inferiority (Farrington–Manning score test, one-sided α = 0.05, wanted power 0.8)")
    print(f"  {'rate':>5} {'Δ':>6} {'margin':>6} {'n/arm':>6} {'planned':>8} {'simulated':>9}")
    for rate, delta, margin in NI_CASES:
        n = trials_needed(rate, delta, 0.8, 0.05, "greater", margin)
        pairs = np.stack([rng.binomial(n, rate + delta, sims), rng.binomial(n, rate, sims)], axis=1)
        distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)
        held = np.array([non_inferiority(int(a), n, int(b), n, margin).p < 0.05 for a, b in distinct])
        planned = power_of(rate, delta, n, 0.05, "greater", margin)
        print(f"  {rate:5.2f} {delta:6.2f} {margin:6.2f} {n:6d} {planned:8.3f} {held[inverse.ravel()].mean():9.3f}")


def seed_rows(sims: int, rng: np.random.Generator) -> None:
    print("seeds × trials (Student t test on per-seed rates, α = 0.05, wanted power 0.8, beta-binomial seeds)")
    print(f"  {'rate':>5} {'Δ':>6} {'ρ':>5} {'m':>4} {'alternative':>11} {'seeds':>5} {'planned':>8} {'simulated':>9}")
    for rate, delta, rho, m, alternative, margin in SEED_CASES:
        k = seeds_needed(rate, delta, rho, m, 0.8, 0.05, alternative, margin)
        arm = simulate_seed_rates(rng, rate + delta, rho, k, m, sims) + (margin or 0.0)  # NI: test Δ + M > 0
        base = simulate_seed_rates(rng, rate, rho, k, m, sims)
        with np.errstate(all="ignore"):
            p = stats.ttest_ind(arm, base, axis=1, alternative=alternative).pvalue
        simulated = np.mean(np.nan_to_num(p, nan=1.0) < 0.05)
        planned = seed_power(rate, delta, rho, m, k, 0.05, alternative, margin)
        name = alternative if margin is None else f"NI {margin:g}"
        print(f"  {rate:5.2f} {delta:6.2f} {rho:5.2f} {m:4d} {name:>11} {k:5d} {planned:8.3f} {simulated:9.3f}")


def icc_rows(pilots: int, rng: np.random.Generator) -> None:
    print("ICC estimator (24 cells × 6 seeds × 40 trials per pilot; Searle's 95% interval)")
    print(f"  {'ρ':>5} {'mean ρ̂':>7} {'sd':>6} {'coverage':>8}")
    for rho in (0.0, 0.05, 0.15, 0.3):
        found = [seed_icc(_pilot(rng, rho)) for _ in range(pilots)]
        raw = np.array([f.raw for f in found])
        coverage = np.mean([f.low <= rho <= f.high for f in found])
        print(f"  {rho:5.2f} {raw.mean():7.3f} {raw.std():6.3f} {coverage:8.3f}")


def _pilot(rng: np.random.Generator, rho: float, trials: int = 40) -> pd.DataFrame:
    rows = []
    for c, rate in enumerate(np.linspace(0.25, 0.8, 24)):
        for s, r in enumerate(simulate_seed_rates(rng, rate, rho, 6, trials, 1)[0]):
            rows.append(
                {"arm": f"a{c % 2}", "embodiment": "e", "task": f"t{c // 2}", "seed": s, "successes": r * trials}
            )
    return pd.DataFrame(rows).assign(trials=trials)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sims", type=int, default=20_000, help="simulated studies per design")
    parser.add_argument("--pilots", type=int, default=400, help="simulated pilots per ICC")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    start = time.perf_counter()
    non_inferiority_rows(args.sims, rng)
    seed_rows(args.sims, rng)
    icc_rows(args.pilots, rng)
    print(f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
