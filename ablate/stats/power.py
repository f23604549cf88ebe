"""Planning: how many trials per target (per arm) detect a given change in success rate, and the power of a
planned design — the normal approximation of statsmodels (`samplesize_proportions_2indep_onetail`,
`power_proportions_2indep`), which agrees with R's `power.prop.test` to the whole trial."""

from __future__ import annotations

import math

from statsmodels.stats.proportion import power_proportions_2indep, samplesize_proportions_2indep_onetail

_ALTERNATIVES = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}


def _check(baseline_rate: float, delta: float, alternative: str) -> str:
    if not 0 < baseline_rate < 1 or not 0 < baseline_rate + delta < 1 or delta == 0:
        raise ValueError(
            f"need 0 < baseline rate < 1, 0 < baseline + delta < 1, delta ≠ 0; got {baseline_rate}, {delta}"
        )
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {', '.join(_ALTERNATIVES)}, got {alternative!r}")
    return _ALTERNATIVES[alternative]


def trials_needed(
    baseline_rate: float, delta: float, power: float = 0.8, alpha: float = 0.05, alternative: str = "two-sided"
) -> int:
    """Trials per arm and target to detect arm rate = baseline_rate + delta (rounded up)."""
    alt = _check(baseline_rate, delta, alternative)
    n = samplesize_proportions_2indep_onetail(delta, baseline_rate, power, alpha=alpha, alternative=alt)
    return math.ceil(n)


def power_of(
    baseline_rate: float, delta: float, trials: int, alpha: float = 0.05, alternative: str = "two-sided"
) -> float:
    alt = _check(baseline_rate, delta, alternative)
    return float(
        power_proportions_2indep(delta, baseline_rate, trials, alpha=alpha, alternative=alt, return_results=False)
    )
