"""Seed-aware planning: how many seeds × trials per seed, when seeds differ beyond binomial noise.

A policy's success rate swings from seed to seed (up to 0.36 in one arm in our studies); more trials per seed
shrink only the binomial part. With ρ the intraclass correlation of the 0/1 outcomes of one seed, a seed's rate
over m trials has variance p(1 − p)·(1 + (m − 1)ρ)/m (the design effect 1 + (m − 1)ρ; as m → ∞ it tends to the
between-seed variance ρ·p(1 − p), which only more seeds reduce).

ρ comes from a pilot: the one-way ANOVA estimator for binary data (Fleiss 1981; Ridout, Demétrio & Firth 1999)
with seeds as groups inside each (arm, target) cell, the sums of squares pooled over cells — the mean squares of
R's `aov(y ~ cell + cell:seed)` — with Searle's F-based interval (normal theory; approximate for 0/1 data).

The plan is for the analysis that compares arm means over seeds: Student's two-sample t test on per-seed success
rates with k seeds per arm (df = 2k − 2); its power comes from the noncentral t, not the normal, because k is
small."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

ICC_METHOD = "one-way ANOVA estimator for 0/1 data, seeds within (arm, target) cells, sums of squares pooled"
CI_METHOD = "Searle's F-based interval (normal theory)"
T_METHOD = "Student two-sample t test on per-seed success rates, equal seeds per arm, noncentral t, df = 2(k − 1)"


@dataclass(frozen=True)
class ICC:
    rho: float  # clamped at 0
    raw: float  # the estimate before clamping (negative: no between-seed variation beyond binomial noise)
    low: float
    high: float
    level: float
    cells: int  # (arm, target) cells with ≥ 2 seeds
    seeds: int  # seed evaluations in those cells
    msb: float
    msw: float
    df_between: int
    df_within: int
    n0: float  # the effective trials per seed of the pooled ANOVA


def seed_icc(counts: pd.DataFrame, keys: tuple[str, ...] = ("arm", "embodiment", "task"), level: float = 0.95) -> ICC:
    """ρ from per-seed counts (`successes`, `trials`, one row per seed of a cell, as `counts.cells` gives)."""
    sizes = counts.groupby(list(keys), sort=False)["trials"].transform("size")
    data = counts[sizes >= 2]
    if data.empty:
        raise ValueError("no (arm, target) cell has 2 or more seeds: the between-seed correlation needs them")
    ssb = ssw = g = 0.0
    df_b = df_w = 0
    for _, cell in data.groupby(list(keys), sort=False):
        y, n = cell["successes"].to_numpy(float), cell["trials"].to_numpy(float)
        total = n.sum()
        ssb += float((y**2 / n).sum() - y.sum() ** 2 / total)
        ssw += float((y - y**2 / n).sum())  # Σ within-seed squares of 0/1 outcomes around the seed's rate
        g += float(total - (n**2).sum() / total)  # E[SSB] = df_b·σ²_w + g·σ²_b
        df_b, df_w = df_b + len(cell) - 1, df_w + int(total) - len(cell)
    if df_w == 0:
        raise ValueError("every seed has a single trial: within-seed variation cannot be told from between-seed")
    msb, msw, n0 = ssb / df_b, ssw / df_w, g / df_b
    raw = _icc(msb, msw, n0)
    low, high = _searle_interval(msb, msw, df_b, df_w, n0, level)
    return ICC(
        max(raw, 0.0), raw, low, high, level, data.groupby(list(keys)).ngroups, len(data), msb, msw, df_b, df_w, n0
    )


def _icc(msb: float, msw: float, n0: float) -> float:
    if msb + (n0 - 1) * msw <= 0:  # no outcome varies in any cell: no information (treat as 0)
        return 0.0
    return (msb - msw) / (msb + (n0 - 1) * msw)


def _searle_interval(msb: float, msw: float, df_b: int, df_w: int, n0: float, level: float) -> tuple[float, float]:
    if msw <= 0:
        return (0.0, 1.0) if msb <= 0 else (1.0, 1.0)
    f = msb / msw
    tail = (1 - level) / 2
    f_low, f_high = f / stats.f.isf(tail, df_b, df_w), f / stats.f.ppf(tail, df_b, df_w)
    clamp = lambda r: min(max(r, 0.0), 1.0)  # noqa: E731 — ρ lives in [0, 1]
    return clamp((f_low - 1) / (f_low + n0 - 1)), clamp((f_high - 1) / (f_high + n0 - 1))


def design_effect(trials_per_seed: float, rho: float) -> float:
    return 1 + (trials_per_seed - 1) * rho


def _seed_variances(baseline_rate: float, delta: float, rho: float, trials_per_seed: float | None) -> float:
    """Variance of one seed's rate, summed over the two arms; `trials_per_seed` None: infinitely many trials."""
    spread = baseline_rate * (1 - baseline_rate) + (baseline_rate + delta) * (1 - baseline_rate - delta)
    return spread * (rho if trials_per_seed is None else design_effect(trials_per_seed, rho) / trials_per_seed)


def shift(delta: float, alternative: str, margin: float | None) -> float:
    """The distance from the null boundary in the tested direction (positive when the plan can succeed)."""
    if margin is not None:
        return delta + margin
    return {"greater": delta, "less": -delta}.get(alternative, abs(delta))


def seed_power(
    baseline_rate: float,
    delta: float,
    rho: float,
    trials_per_seed: float | None,
    seeds: int,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    margin: float | None = None,
) -> float:
    """Power of the t test on per-seed rates with `seeds` per arm (two-sided: both tails, R's `strict = TRUE`)."""
    variance = _seed_variances(baseline_rate, delta, rho, trials_per_seed)
    if seeds < 2:
        return 0.0  # a t test needs two seeds per arm
    if variance <= 0:  # ρ = 0 and endless trials per seed: every seed shows the true rate exactly
        return 1.0 if shift(delta, alternative, margin) > 0 else 0.0
    df = 2 * seeds - 2
    ncp = shift(delta, alternative, margin) / math.sqrt(variance / seeds)
    if alternative == "two-sided" and margin is None:
        crit = stats.t.isf(alpha / 2, df)
        return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))
    return float(stats.nct.sf(stats.t.isf(alpha, df), df, ncp))


def seeds_needed(
    baseline_rate: float,
    delta: float,
    rho: float,
    trials_per_seed: float | None,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    margin: float | None = None,
    seeds_max: int = 1000,
) -> int | None:
    """Fewest seeds per arm (≥ 2, the t test's minimum) whose t test reaches `power`; None if more than
    `seeds_max`. `trials_per_seed` None: the floor as trials per seed grow without end (2 when ρ = 0)."""
    variance = _seed_variances(baseline_rate, delta, rho, trials_per_seed)
    if variance <= 0:
        return 2
    # Step up from the t test's minimum: power rises with k, so the first k that reaches it is the fewest (a
    # normal-theory starting point is not a safe lower bound at two or three seeds, and the search is cheap).
    k = 2
    while k <= seeds_max:
        if seed_power(baseline_rate, delta, rho, trials_per_seed, k, alpha, alternative, margin) >= power:
            return k
        k += 1
    return None


def pilot_summary(counts: pd.DataFrame, baseline: str | None = None) -> dict:
    """What a pilot says, for printing: ρ with its interval and what it rests on, per-arm rates with the range of
    seed rates, and the baseline rate (`baseline`'s pooled rate, or all arms' when None)."""
    icc = seed_icc(counts)
    per_seed = counts.groupby(["arm", "seed"], sort=False)[["successes", "trials"]].sum()
    seed_rate = (per_seed["successes"] / per_seed["trials"]).groupby(level="arm", sort=False)
    arms = per_seed.groupby(level="arm", sort=False).sum()
    arms["seeds"], arms["seed_low"], arms["seed_high"] = seed_rate.size(), seed_rate.min(), seed_rate.max()
    chosen = arms.loc[[baseline]] if baseline is not None else arms
    per_cell = icc.seeds / icc.cells
    return {
        "trials": int(arms["trials"].sum()),
        "baseline_rate": float(chosen["successes"].sum() / chosen["trials"].sum()),
        "arms": [
            {
                "arm": str(arm),
                "rate": float(a.successes / a.trials),
                "successes": int(a.successes),
                "trials": int(a.trials),
                "seeds": int(a.seeds),
                "seed_low": float(a.seed_low),
                "seed_high": float(a.seed_high),
            }
            for arm, a in arms.iterrows()
        ],
        "icc": {
            "rho": icc.rho,
            "estimate": icc.raw,
            "clamped": icc.raw < 0,
            "low": icc.low,
            "high": icc.high,
            "level": icc.level,
            "method": ICC_METHOD,
            "interval_method": CI_METHOD,
            "cells": icc.cells,
            "seeds": icc.seeds,
            "seeds_per_cell": per_cell,
            "df_between": icc.df_between,
            "df_within": icc.df_within,
            # Below ~5 seeds per cell or 10 df the interval is wide: the plan at its upper end is the safer one.
            "few_seeds": per_cell < 5 or icc.df_between < 10,
        },
    }


def simulate_seed_rates(
    rng: np.random.Generator, rate: float, rho: float, seeds: int, trials_per_seed: int, size: int
) -> np.ndarray:
    """`size` × `seeds` per-seed success rates: each seed's rate drawn from a beta with mean `rate` and ICC ρ,
    then `trials_per_seed` Bernoulli trials (the beta-binomial model behind the design effect)."""
    if rho <= 0:
        p = np.full((size, seeds), rate)
    else:
        total = 1 / rho - 1  # a + b of the beta: ρ = 1 / (a + b + 1)
        p = rng.beta(rate * total, (1 - rate) * total, size=(size, seeds))
    return rng.binomial(trials_per_seed, p) / trials_per_seed
