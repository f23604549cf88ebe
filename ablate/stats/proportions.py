"""Success rates and their differences, with the interval named in every result.

statsmodels' defaults differ from the field's (its `proportion_confint` defaults to Wald), so each method is
chosen here by name: rates by Wilson's score interval (default), Clopper–Pearson or Jeffreys; differences by
Newcombe's hybrid score interval (default; Newcombe 1998, method 10) or Miettinen–Nurminen's score interval.

Bounds are exact at the boundaries, where robot evaluations live (0/n and n/n are the commonest outcomes):
statsmodels' bounds carry float noise there (Wilson's lower bound at 0/n is 5.6e-17, not 0), so every interval is
clipped into [0, 1] (rates) or [−1, 1] (differences) and made to contain its estimate. Jeffreys is the
equal-tailed Beta(x + ½, n − x + ½) interval with Brown, Cai & DasGupta's (2001) boundary modification — the lower
bound is 0 at x = 0 and the upper bound 1 at x = n — as R's `DescTools::BinomCI(method = "jeffreys")`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

RATE_METHODS = {
    "wilson": ("wilson", "Wilson score"),
    "clopper-pearson": ("beta", "Clopper–Pearson exact"),
    "jeffreys": ("jeffreys", "Jeffreys (equal-tailed, 0 at x = 0 and 1 at x = n)"),
}
DELTA_METHODS = {
    "newcombe": ("newcomb", False, "Newcombe hybrid score"),
    "miettinen-nurminen": ("score", True, "Miettinen–Nurminen score"),
}


@dataclass(frozen=True)
class Interval:
    """One interval, or one per element when the counts are arrays."""

    estimate: float | np.ndarray
    low: float | np.ndarray
    high: float | np.ndarray
    method: str
    level: float

    def text(self, digits: int = 2) -> str:
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def rate(successes, trials, method: str = "wilson", level: float = 0.95) -> Interval:
    name, label = _pick(RATE_METHODS, method, "rate interval")
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    low, high = proportion_confint(x, n, alpha=1 - level, method=name)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    # At x = 0 the lower bound is 0 and at x = n the upper bound is 1, for every method here (Jeffreys by the
    # boundary modification named above); statsmodels leaves float noise or the unmodified Beta quantile.
    low, high = np.where(x == 0, 0.0, low), np.where(x == n, 1.0, high)
    estimate = x / n
    return Interval(_plain(estimate), *_contain(estimate, low, high, 0.0, 1.0), label, level)


def delta(s1, n1, s0, n0, method: str = "newcombe", level: float = 0.95) -> Interval:
    """Rate of arm 1 minus rate of arm 0 (the baseline), elementwise over arrays of counts."""
    name, _, label = _pick(DELTA_METHODS, method, "delta interval")
    counts = np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in (s1, n1, s0, n0)))
    estimate = counts[0] / counts[1] - counts[2] / counts[3]
    if name == "newcomb":  # vectorised in statsmodels
        low, high = confint_proportions_2indep(*counts, method=name, compare="diff", alpha=1 - level)
    else:  # one table at a time (see _mn_interval)
        bounds = [_mn_interval(*(int(c.flat[i]) for c in counts), level) for i in range(estimate.size)]
        low, high = (np.array([b[k] for b in bounds]).reshape(estimate.shape) for k in (0, 1))
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return Interval(_plain(estimate), *_contain(estimate, low, high, -1.0, 1.0), label, level)


MOVER = "MOVER from Wilson score intervals (Zou & Donner 2008)"


def mean_difference(tables, level: float = 0.95) -> dict:
    """Mean over targets of (rate1 − rate0) with the MOVER interval for a sum of independent rates (Zou & Donner
    2008) built from Wilson intervals; with one target it is Newcombe's hybrid score interval. `tables`: (s1, n1,
    s0, n0) per target. Unlike a bootstrap of trials at the observed rates, it keeps its width at 0/n and n/n."""
    s1, n1, s0, n0 = np.array(tables, dtype=float).reshape(-1, 4).T
    a, b = rate(s1, n1, "wilson", level), rate(s0, n0, "wilson", level)
    k = len(s1)
    estimate = float(np.mean(a.estimate - b.estimate))
    low = estimate - math.sqrt(float(np.sum((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2))) / k
    high = estimate + math.sqrt(float(np.sum((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2))) / k
    return {"estimate": estimate, "ci": [max(low, -1.0), min(high, 1.0)], "method": MOVER, "level": level}


def _mn_interval(s1: int, n1: int, s0: int, n0: int, level: float) -> tuple[float, float]:
    """Miettinen–Nurminen (1985): the differences δ whose score statistic, with the variance at the maximum
    likelihood rates restricted to p1 − p0 = δ and multiplied by N/(N − 1), stays within the normal quantile.
    Written out because statsmodels' restricted estimate goes wrong at zero counts (0/10 vs 0/10 gives the
    asymmetric [−0.230, +0.288]) and its inversion is NaN without a sign change (1/1 vs 0/1)."""
    z = _z(level)
    estimate = s1 / n1 - s0 / n0
    eps = 1e-10
    inside = min(max(estimate, -1 + 2 * eps), 1 - 2 * eps)  # the statistic is 0 at the estimate

    def low_side(value: float) -> float:  # > 0 below the lower bound
        return _mn_statistic(s1, n1, s0, n0, value) - z

    def high_side(value: float) -> float:  # > 0 above the upper bound
        return -_mn_statistic(s1, n1, s0, n0, value) - z

    low = -1.0 if low_side(-1 + eps) <= 0 else optimize.brentq(low_side, -1 + eps, inside, xtol=1e-13)
    high = 1.0 if high_side(1 - eps) <= 0 else optimize.brentq(high_side, inside, 1 - eps, xtol=1e-13)
    return float(low), float(high)


def _mn_statistic(s1: int, n1: int, s0: int, n0: int, value: float) -> float:
    return score_statistic(s1, n1, s0, n0, value, miettinen_nurminen=True)


def score_statistic(s1: int, n1: int, s0: int, n0: int, value: float, miettinen_nurminen: bool = False) -> float:
    """(p̂1 − p̂0 − δ) / SE, the variance at the rates that maximise the likelihood under p1 − p0 = δ (Farrington &
    Manning 1990, the closed-form root of their cubic); times N/(N − 1) for Miettinen–Nurminen. The one home of
    this statistic: the non-inferiority test and the MN interval both use it (statsmodels' is wrong for δ ≠ 0)."""
    p1, p0 = s1 / n1, s0 / n0
    r1, r0 = restricted_rates(p1, p0, value, n0 / n1)
    total = n1 + n0
    variance = (r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0) * (total / (total - 1) if miettinen_nurminen else 1.0)
    gap = p1 - p0 - value
    if variance <= 0:  # only the observed difference itself survives a zero restricted variance
        return 0.0 if abs(gap) < 1e-12 else math.copysign(math.inf, gap)
    return gap / math.sqrt(variance)


def restricted_rates(p1: float, p0: float, value: float, theta: float = 1.0) -> tuple[float, float]:
    """The rates (r1, r0) that maximise the two-binomial likelihood at observed rates p1, p0 under r1 − r0 = value,
    with n0 = θ·n1: Farrington & Manning's (1990) closed-form root of the cubic."""
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p0 + value * (theta + 2))
    c = value**2 + value * (2 * p1 + theta + 1) + p1 + theta * p0
    d = -p1 * value * (1 + value)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u = math.copysign(math.sqrt(max(b**2 / (9 * a**2) - c / (3 * a), 0.0)), v)
    ratio = 0.0 if u == 0 else max(-1.0, min(1.0, v / u**3))
    w = (math.pi + math.acos(ratio)) / 3
    r1 = min(max(2 * u * math.cos(w) - b / (3 * a), 0.0), 1.0)
    return r1, min(max(r1 - value, 0.0), 1.0)


def _z(level: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - level) / 2))


def _contain(estimate, low, high, floor: float, ceiling: float):
    """Bounds clipped into [floor, ceiling] and around the estimate (float noise must never give an interval
    that excludes its own point, or an error bar of negative length)."""
    low = np.minimum(np.clip(low, floor, ceiling), estimate)
    high = np.maximum(np.clip(high, floor, ceiling), estimate)
    return _plain(low), _plain(high)


def _plain(x):
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


def _pick(table: dict, method: str, what: str):
    if method not in table:
        raise ValueError(f"unknown {what} method {method!r}; expected one of {', '.join(table)}")
    return table[method]
