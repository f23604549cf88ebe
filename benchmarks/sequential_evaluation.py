"""Benchmark: the sequential comparison (ablate/stats/sequential.py) against the fixed-n design it replaces.

    .venv/bin/python benchmarks/sequential_evaluation.py      # ~5 s on a 2-core machine

One-sided (H1: arm > baseline) at α = 0.05, the setting of the fixed-n comparator:
- validity: ≥ 10,000 simulated null comparisons (p_arm = p_base = p on a grid 0.05 … 0.95, each n_max), the
  rejection rate with its Clopper–Pearson interval, beside the exact worst-case size of the calibration;
- under alternatives: power and mean trials per arm (stopping at the first decision: a rejection, a futility stop,
  or n_max), as the ratio mean trials / n_max;
- named baselines measured in the same run: the fixed-n design at n_max analysed by a one-sided Boschloo exact
  test at α (its power computed exactly; ratio 1 by construction), and the same mixture e-value with Ville's
  threshold 1/α (valid without a maximum) to show what the exact calibration buys."""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import stats

from ablate.stats.sequential_boundary import BETTER, boundary, crossing_probability, scan

ALPHA = 0.05
N_MAX = (20, 50, 100)
NULL_RATES = np.round(np.arange(0.05, 0.96, 0.05), 2)
NULL_PER_RATE = 10_000  # per rate and n_max: 19 × 3 × 10,000 = 570,000 null comparisons
ALTERNATIVES = ((0.5, 0.7), (0.3, 0.6), (0.2, 0.8), (0.5, 0.9))  # (p_base, p_arm)
PER_ALTERNATIVE = 10_000
SIDES = (True, False)  # "greater"


def simulate(p_arm: float, p_base: float, n: int, reps: int, bound, rng) -> tuple[float, float]:
    """(rejection rate, mean trials per arm) of the sequential test on `reps` simulated comparisons."""
    arm, base = rng.random((reps, n)) < p_arm, rng.random((reps, n)) < p_base
    code, pairs, _, _ = scan(arm, base, bound, SIDES)
    return float((code == BETTER).mean()), float(pairs.mean())


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    a = (1 - level) / 2
    low = stats.beta.ppf(a, k, n - k + 1) if k else 0.0
    high = stats.beta.ppf(1 - a, k + 1, n - k) if k < n else 1.0
    return float(low), float(high)


def boschloo_pvalues(n: int, grid: int = 2001) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-sided (arm > baseline) Boschloo p-value of every n-vs-n table: Fisher's one-sided p orders the tables;
    a table's p-value is the largest null probability, over a common rate on a fine grid, of the tables ordered at or
    before it (as scipy's `boschloo_exact`, which optimises over the rate instead; checked below)."""
    s1, s0 = (x.ravel() for x in np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij"))
    fisher = stats.hypergeom.sf(s1 - 1, 2 * n, s1 + s0, n)
    order = np.argsort(fisher, kind="stable")
    pmf = stats.binom.pmf(np.arange(n + 1)[:, None], n, np.linspace(0, 1, grid)[None, :])
    cumulative = np.cumsum(pmf[s1[order]] * pmf[s0[order]], axis=0).max(axis=1)
    ties_end = np.searchsorted(fisher[order], fisher[order], side="right") - 1
    p = np.empty(len(order))
    p[order] = cumulative[ties_end]
    return s1, s0, p


def fixed_n_power(n: int, p_arm: float, p_base: float, tables) -> float:
    s1, s0, p = tables
    reject = p <= ALPHA
    return float((stats.binom.pmf(s1, n, p_arm) * stats.binom.pmf(s0, n, p_base))[reject].sum())


def check_boschloo(tables, n: int, rng) -> float:
    s1, s0, p = tables
    worst = 0.0
    for i in rng.choice(len(p), 6, replace=False):
        table = [[s1[i], s0[i]], [n - s1[i], n - s0[i]]]
        ref = stats.boschloo_exact(table, alternative="greater", n=64).pvalue
        worst = max(worst, abs(ref - p[i]))
    return worst


def null_section(rng) -> bool:
    print(
        f"Type-I error: p_arm = p_base = p for p = {NULL_RATES[0]} … {NULL_RATES[-1]} ({len(NULL_RATES)} rates), "
        f"{NULL_PER_RATE:,} comparisons per rate and n_max; one-sided, α = {ALPHA}"
    )
    print(
        f"{'n_max':>5}  {'exact, p = ½':>12}  {'highest simulated rate [95% CP] (at p)':>44}  {'exact there':>11}  "
        f"{'all p pooled [95% CP]':>28}"
    )
    ok = True
    for n in N_MAX:
        bound = boundary(n, ALPHA)
        rates = np.array([simulate(p, p, n, NULL_PER_RATE, bound, rng)[0] for p in NULL_RATES])
        hits = np.round(rates * NULL_PER_RATE).astype(int)
        i = int(rates.argmax())
        low, high = clopper_pearson(int(hits[i]), NULL_PER_RATE)
        total, count = int(hits.sum()), NULL_PER_RATE * len(NULL_RATES)
        plow, phigh = clopper_pearson(total, count)
        print(
            f"{n:>5}  {bound.size:>12.4f}  {rates[i]:>18.4f} [{low:.4f}, {high:.4f}] (p = {NULL_RATES[i]:.2f})  "
            f"{crossing_probability(bound.wins_needed, NULL_RATES[i]):>11.4f}  {total / count:>12.4f} "
            f"[{plow:.4f}, {phigh:.4f}]"
        )
        lows = [clopper_pearson(int(h), NULL_PER_RATE)[0] for h in hits]
        ok &= bound.size <= ALPHA and max(lows) <= ALPHA and phigh <= ALPHA
    print(f"(the highest of {len(NULL_RATES)} simulated rates leans high by selection; `exact there`: its exact rate)")
    return ok


def alternative_section(rng) -> list[dict]:
    print(
        f"\nUnder alternatives ({PER_ALTERNATIVE:,} comparisons each; one-sided, α = {ALPHA}). trials/n: mean trials "
        "per arm ÷ n_max (the fixed-n design always runs n_max)"
    )
    header = f"{'p_base→p_arm':>12} {'n_max':>5} | {'fixed-n Boschloo':>16} | {'sequential (ours)':>24} | "
    print(header + f"{'Ville threshold 1/α':>24}")
    print(f"{'':>12} {'':>5} | {'power':>16} | {'power':>10} {'trials/n':>13} | {'power':>10} {'trials/n':>13}")
    rows = []
    for n in N_MAX:
        tables = boschloo_pvalues(n)
        exact, ville = boundary(n, ALPHA), boundary(n, ALPHA, "ville")
        for p_base, p_arm in ALTERNATIVES:
            fixed = fixed_n_power(n, p_arm, p_base, tables)
            power, trials = simulate(p_arm, p_base, n, PER_ALTERNATIVE, exact, rng)
            vpower, vtrials = simulate(p_arm, p_base, n, PER_ALTERNATIVE, ville, rng)
            row = {"n": n, "fixed": fixed, "power": power, "ratio": trials / n}
            rows.append(row | {"ville_power": vpower, "ville_ratio": vtrials / n})
            print(
                f"{f'{p_base}→{p_arm}':>12} {n:>5} | {fixed:>16.3f} | {power:>10.3f} {trials / n:>13.2f} | "
                f"{vpower:>10.3f} {vtrials / n:>13.2f}"
            )
    gap = check_boschloo(tables, n, rng)
    print(f"Boschloo p-values checked against scipy.stats.boschloo_exact at n = {n}: max |Δ| = {gap:.1e}")
    return rows


def summary(rows: list[dict], valid: bool) -> None:
    ratio = np.array([r["ratio"] for r in rows])
    loss = np.array([r["fixed"] - r["power"] for r in rows])
    ville = np.array([r["ville_ratio"] for r in rows])
    power, ville_power = np.array([r["power"] for r in rows]), np.array([r["ville_power"] for r in rows])
    big = [r["ratio"] for r in rows if r["fixed"] > 0.99]
    print(
        f"\nSummary: the type-I error stayed at or below α = {ALPHA} on every common rate and n_max "
        f"({'PASS' if valid else 'FAIL'}: no Clopper–Pearson interval lies above α; the exact worst case, at p = ½, "
        f"is attained by design, and the rate falls away from ½). Across the {len(rows)} alternative settings the "
        "sequential test used "
        f"{ratio.mean():.0%} of the fixed-n design's trials on average ({ratio.min():.0%}–{ratio.max():.0%}); where "
        f"the fixed-n design is near-certain to detect the effect (power > 0.99) it needed {np.mean(big):.0%} on "
        f"average. The price is power on the hardest settings: at most {loss.max():.2f} below the fixed-n Boschloo "
        f"test ({loss.mean():.2f} on average), because part of α is spent on early looks. Calibrating the threshold "
        f"exactly to n_max instead of Ville's 1/α raises the mean power from {ville_power.mean():.2f} to "
        f"{power.mean():.2f} (at n_max = 20 from {ville_power[:4].mean():.2f} to {power[:4].mean():.2f}) and "
        f"changes the trials used from {ville.mean():.0%} to {ratio.mean():.0%} of n_max."
    )


def main() -> None:
    rng = np.random.default_rng(20250310)
    t0 = time.perf_counter()
    valid = null_section(rng)
    rows = alternative_section(rng)
    summary(rows, valid)
    print(f"({time.perf_counter() - t0:.1f} s)")
    sys.exit(0 if valid else 1)


if __name__ == "__main__":
    main()
