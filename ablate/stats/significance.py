"""Tests on success counts: per-target exact tests for negative transfer, non-inferiority at a declared margin,
multiplicity corrections, and the pooled Cochran–Mantel–Haenszel test with Breslow–Day for heterogeneity.

Every result carries its method, sidedness and correction in words, because scipy's and statsmodels' defaults
differ from R's (statsmodels' `multipletests` defaults to Holm–Šidák, its CMH to no continuity correction; scipy's
Boschloo returns NaN when a column is empty). The CMH default follows R's `mantelhaen.test` (continuity correction
on); Breslow–Day is reported without Tarone's adjustment unless asked, as DescTools' `BreslowDayTest`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

EXACT_TESTS = {"boschloo": "Boschloo exact", "barnard": "Barnard exact", "fisher": "Fisher exact"}
CORRECTIONS = {
    "holm": "Holm",
    "hochberg": "Hochberg",
    "bonferroni": "Bonferroni",
    "bh": "Benjamini–Hochberg",
    "none": "none",
}
# R's p.adjust names → statsmodels' (its "hochberg" is spelled "simes-hochberg"; tests check both against R).
_MULTIPLETESTS = {"holm": "holm", "hochberg": "simes-hochberg", "bonferroni": "bonferroni", "bh": "fdr_bh"}


@dataclass
class Outcome:
    statistic: float
    p: float
    method: str
    alternative: str  # in words: "arm < baseline", "two-sided", …
    p_adjusted: float | None = None
    correction: str = "none"
    extra: dict = field(default_factory=dict)


def exact_test(s1: int, n1: int, s0: int, n0: int, method: str = "boschloo", alternative: str = "less") -> Outcome:
    """Unconditional exact test of arm 1 against the baseline (arm 0). `alternative` "less": arm 1's success
    probability is below the baseline's (negative transfer); "greater"; "two-sided"."""
    if method not in EXACT_TESTS:
        raise ValueError(f"unknown exact test {method!r}; expected one of {', '.join(EXACT_TESTS)}")
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative must be less, greater or two-sided, got {alternative!r}")
    statistic, p = _exact(int(s1), int(n1), int(s0), int(n0), method, alternative)
    words = {"less": "arm < baseline", "greater": "arm > baseline", "two-sided": "two-sided"}[alternative]
    extra = {"statistic": STATISTICS[method]}
    if statistic != statistic:
        extra["note"] = "the sample odds ratio is 0/0 (no success or no failure in either arm); p is still exact"
    return Outcome(statistic, p, EXACT_TESTS[method], words, extra=extra)


STATISTICS = {
    "boschloo": "Fisher's one-sided p-value (Boschloo's statistic)",
    "barnard": "Wald z with pooled variance",
    "fisher": "sample odds ratio",
}


@lru_cache(maxsize=65536)  # paper tables repeat the same small counts (0/15 vs 0/15…) hundreds of times
def _exact(s1: int, n1: int, s0: int, n0: int, method: str, alternative: str) -> tuple[float, float]:
    if s1 + s0 in (0, n1 + n0):
        # No outcome varies: the data cannot favour either arm (some scipy versions return NaN here). The
        # statistic is what it is by definition: Fisher's p-value 1, a Wald z of 0, an odds ratio of 0/0.
        return {"boschloo": 1.0, "barnard": 0.0, "fisher": float("nan")}[method], 1.0
    # Rows are outcomes, columns arms: scipy's "less" is p(column 1) < p(column 2) for the first row.
    table = [[s1, s0], [n1 - s1, n0 - s0]]
    if method == "fisher":
        res = stats.fisher_exact(table, alternative=alternative)
    elif method == "boschloo":
        res = stats.boschloo_exact(table, alternative=alternative)
    else:
        res = stats.barnard_exact(table, alternative=alternative, pooled=True)
    return float(res.statistic), float(res.pvalue)


def adjust(tests: list[Outcome], correction: str = "holm", over: str = "targets") -> list[Outcome]:
    """Adjusted p-values across `tests` as R's `p.adjust`: Holm (default), Hochberg, Bonferroni or
    Benjamini–Hochberg."""
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; expected one of {', '.join(CORRECTIONS)}")
    if not tests:
        return tests
    ps = np.array([t.p for t in tests])
    adjusted = ps if correction == "none" else _multipletests(ps, _MULTIPLETESTS[correction])
    for t, q in zip(tests, adjusted, strict=True):
        t.p_adjusted, t.correction = float(q), f"{CORRECTIONS[correction]} over {len(tests)} {over}"
    return tests


def _multipletests(ps: np.ndarray, method: str) -> np.ndarray:
    if method == "holm":
        # R's p.adjust("holm"), written out: statsmodels' Holm runs a full gc.collect() on every call (0.06–0.08 s
        # each with a report's objects alive, half a second on GM-100); tests check it equals multipletests.
        order = np.argsort(ps, kind="stable")
        steps = ps[order] * np.arange(len(ps), 0, -1)
        adjusted = np.empty_like(ps)
        adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
        return adjusted
    return multipletests(ps, method=method)[1]


def non_inferiority(s1: int, n1: int, s0: int, n0: int, margin: float) -> Outcome:
    """H0: rate1 − rate0 ≤ −margin against H1: rate1 − rate0 > −margin (no negative transfer beyond the margin),
    by the Farrington–Manning score test (one-sided). Not statsmodels' `test_proportions_2indep`: its restricted
    MLE has a wrong coefficient whenever the null difference is not 0 (statsmodels issue 10269)."""
    if not 0 < margin < 1:
        raise ValueError(f"the non-inferiority margin must be in (0, 1), got {margin}")
    from ablate.stats.proportions import score_statistic

    z = score_statistic(int(s1), int(n1), int(s0), int(n0), -margin)
    return Outcome(float(z), float(stats.norm.sf(z)), "Farrington–Manning score", f"Δ > −{margin:g}")


NO_VARYING_TARGET = "not defined: no target whose outcomes vary (every trial succeeded, or every trial failed)"


ONE_TARGET = "not defined: one target with varying outcomes, so no heterogeneity across targets to test"


@dataclass
class Pooled:
    """Cochran–Mantel–Haenszel across strata (targets) of 2×2 tables, with the pooled odds ratio."""

    cmh: Outcome
    odds_ratio: float
    odds_ratio_ci: tuple[float, float]
    breslow_day: Outcome
    strata: int
    skipped: int  # strata with no variation (all success or all failure in both arms): no information


def cmh(tables: list[tuple[int, int, int, int]], correction: bool = True, tarone: bool = False) -> Pooled:
    """`tables`: (s1, n1, s0, n0) per stratum. Two-sided CMH χ² (df 1), R's `mantelhaen.test` convention."""
    usable = [t for t in tables if 0 < t[0] + t[2] < t[1] + t[3]]
    if not usable:
        nan, why = float("nan"), {"note": NO_VARYING_TARGET}
        empty = Outcome(nan, nan, "Cochran–Mantel–Haenszel", "two-sided", extra=why)
        bd = Outcome(nan, nan, "Breslow–Day", "two-sided", extra=why)
        return Pooled(empty, nan, (nan, nan), bd, len(tables), len(tables))
    arrays = np.array([[[s1, n1 - s1], [s0, n0 - s0]] for s1, n1, s0, n0 in usable], dtype=float)
    st = StratifiedTable(np.moveaxis(arrays, 0, -1))
    null = st.test_null_odds(correction=correction)
    label = "with" if correction else "without"
    test = Outcome(
        float(null.statistic),
        float(null.pvalue),
        f"Cochran–Mantel–Haenszel χ² ({label} continuity correction)",
        "two-sided",
        extra={"df": 1},
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        homog = _breslow_day_at_one(arrays) if st.oddsratio_pooled == 1 else st.test_equal_odds(adjust=tarone)
    bd = Outcome(
        float(homog.statistic),
        float(homog.pvalue),
        "Breslow–Day" + (" (Tarone-adjusted)" if tarone else ""),
        "two-sided",
        extra={"df": len(usable) - 1},
    )
    if len(usable) == 1:  # one informative target: there is nothing to be heterogeneous across
        bd = Outcome(float("nan"), float("nan"), bd.method, bd.alternative, extra={"df": 0, "note": ONE_TARGET})
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero odds ratio has no log: the bounds are null
        low, high = st.oddsratio_pooled_confint()
    return Pooled(
        test, float(st.oddsratio_pooled), (float(low), float(high)), bd, len(tables), len(tables) - len(usable)
    )


def _breslow_day_at_one(arrays: np.ndarray):
    """Breslow–Day when the pooled odds ratio is exactly 1: the expected cell under a common odds ratio of 1 is the
    independence expectation (statsmodels solves a quadratic there that degenerates to 0/0). Tarone's adjustment
    term is 0 at this point, so both variants agree."""
    from types import SimpleNamespace

    rows, cols, n = arrays.sum(axis=2), arrays.sum(axis=1), arrays.sum(axis=(1, 2))
    e11 = rows[:, 0] * cols[:, 0] / n
    e = np.stack([e11, rows[:, 0] - e11, cols[:, 0] - e11, n - rows[:, 0] - cols[:, 0] + e11], axis=1)
    var = 1 / (1 / e).sum(axis=1)
    statistic = float(((arrays[:, 0, 0] - e11) ** 2 / var).sum())
    return SimpleNamespace(statistic=statistic, pvalue=float(stats.chi2.sf(statistic, len(arrays) - 1)))


def cmh_directional(tables: list[tuple[int, int, int, int]], alternative: str, correction: bool = True) -> Outcome:
    """CMH test of a common odds ratio of 1 against arm > baseline (`greater`), arm < baseline (`less`) or either
    (`two-sided`), as R's `mantelhaen.test(x, alternative=…)` for 2×2×K tables: the continuity-corrected statistic,
    and for one side the normal tail of sign(Δ)·√χ², where Δ = Σ (arm successes − their expectation)."""
    if alternative not in ("less", "greater", "two-sided"):
        raise ValueError(f"alternative must be less, greater or two-sided, got {alternative!r}")
    t = np.array([t for t in tables if t[1] + t[3] > 1], dtype=float).reshape(-1, 4)  # (s1, n1, s0, n0) per stratum
    s1, n1, s0, n0 = t.T
    successes, total = s1 + s0, n1 + n0
    delta = float((s1 - n1 * successes / total).sum())
    variance = float((n1 * n0 * successes * (total - successes) / (total**2 * (total - 1))).sum())
    yates = 0.5 if correction and abs(delta) >= 0.5 else 0.0
    words = {"less": "arm < baseline", "greater": "arm > baseline", "two-sided": "two-sided"}[alternative]
    label = "with" if correction else "without"
    method = f"Cochran–Mantel–Haenszel ({label} continuity correction)"
    if not variance > 0:  # no stratum with varying outcomes: no evidence either way (R returns NaN here)
        return Outcome(float("nan"), 1.0, method + ", no informative stratum", words, extra={"df": 1})
    statistic = (abs(delta) - yates) ** 2 / variance
    if alternative == "two-sided":
        p = float(stats.chi2.sf(statistic, 1))
    else:
        z = np.sign(delta) * np.sqrt(statistic)
        p = float(stats.norm.cdf(z) if alternative == "less" else stats.norm.sf(z))
    return Outcome(statistic, p, method, words, extra={"df": 1})
