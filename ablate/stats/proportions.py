"""Success rates and their differences, with the interval named in every result.

statsmodels' defaults differ from the field's (its `proportion_confint` defaults to Wald), so each method is
chosen here by name: rates by Wilson's score interval (default), Clopper–Pearson or Jeffreys, as R's
`binom::binom.confint` ("wilson", "exact", "bayes" with the Jeffreys prior); differences by Newcombe's hybrid
score interval (default; Newcombe 1998, method 10) or Miettinen–Nurminen's score interval."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

RATE_METHODS = {
    "wilson": ("wilson", "Wilson score"),
    "clopper-pearson": ("beta", "Clopper–Pearson exact"),
    "jeffreys": ("jeffreys", "Jeffreys"),
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


def rate(successes: int, trials: int, method: str = "wilson", level: float = 0.95) -> Interval:
    name, label = _pick(RATE_METHODS, method, "rate interval")
    low, high = proportion_confint(successes, trials, alpha=1 - level, method=name)
    return Interval(_plain(np.divide(successes, trials)), _plain(low), _plain(high), label, level)


def delta(s1: int, n1: int, s0: int, n0: int, method: str = "newcombe", level: float = 0.95) -> Interval:
    """Rate of arm 1 minus rate of arm 0 (the baseline)."""
    name, correction, label = _pick(DELTA_METHODS, method, "delta interval")
    low, high = confint_proportions_2indep(
        s1, n1, s0, n0, method=name, compare="diff", alpha=1 - level, correction=correction
    )
    return Interval(_plain(np.divide(s1, n1) - np.divide(s0, n0)), _plain(low), _plain(high), label, level)


def _plain(x):
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)


def _pick(table: dict, method: str, what: str):
    if method not in table:
        raise ValueError(f"unknown {what} method {method!r}; expected one of {', '.join(table)}")
    return table[method]
