"""Planning: how many trials per target (per arm) detect a given change in success rate, or show non-inferiority
at a margin, and the power of a planned design.

- Superiority (`margin` None): the normal approximation of statsmodels (`samplesize_proportions_2indep_onetail`,
  `power_proportions_2indep`), which agrees with R's `power.prop.test` to the whole trial.
- Non-inferiority (`margin` M): H0 Δ ≤ −M against H1 Δ > −M, one-sided, sized for the report's test
  (`significance.non_inferiority`, the Farrington–Manning score test) by Farrington & Manning (1990): the null
  variance at the restricted maximum-likelihood rates under Δ = −M, the alternative variance at the assumed rates
  — the formula of gsDesign's `nBinomial`.

Δ is always arm − baseline. Bad values raise `PlanError` (a ValueError) naming the flag that carries them."""

from __future__ import annotations

import math

from scipy import stats
from statsmodels.stats.proportion import power_proportions_2indep, samplesize_proportions_2indep_onetail

_ALTERNATIVES = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}
SIDES = {"two-sided": "two-sided", "less": "one-sided (arm < baseline)", "greater": "one-sided (arm > baseline)"}


class PlanError(ValueError):
    """A planning input that cannot work; `flag` is the CLI option that carries it."""

    def __init__(self, flag: str, message: str):
        self.flag, self.message = flag, message
        super().__init__(message)


def check_levels(alpha: float, power: float | None = None) -> None:
    if not 0 < alpha < 1:
        raise PlanError("--alpha", f"expected a level in (0, 1), got {alpha:g}")
    # Power at no effect is α (one side) or about α/2 per side; below it no design size makes sense, and at 1 the
    # normal quantile is infinite.
    if power is not None and not alpha < power < 1:
        raise PlanError("--power", f"expected a power above α = {alpha:g} and below 1, got {power:g}")


def check_effect(baseline_rate: float, delta: float, alternative: str, margin: float | None = None) -> None:
    """The rates, and the direction of Δ against the alternative (or against the margin)."""
    if not 0 < baseline_rate < 1:
        raise PlanError("--baseline-rate", f"expected a baseline rate in (0, 1), got {baseline_rate:g}")
    if not 0 < baseline_rate + delta < 1:
        raise PlanError(
            "--delta", f"the arm's rate baseline + Δ = {baseline_rate + delta:g} must be in (0, 1); got Δ = {delta:g}"
        )
    if alternative not in _ALTERNATIVES:
        raise PlanError("--alternative", f"expected one of {', '.join(_ALTERNATIVES)}, got {alternative!r}")
    if margin is not None:
        if not 0 < margin < 1:
            raise PlanError("--margin", f"expected a rate difference in (0, 1), got {margin:g}")
        if alternative != "greater":
            raise PlanError(
                "--alternative", f"non-inferiority (--margin) tests Δ > −margin, one-sided 'greater'; got {alternative}"
            )
        if delta <= -margin:
            raise PlanError(
                "--delta", f"the assumed Δ = {delta:g} must lie above −margin = {-margin:g} for non-inferiority to hold"
            )
        return
    if delta == 0:
        raise PlanError("--delta", "expected a change to detect, got Δ = 0")
    fits = "less" if delta < 0 else "greater"
    if alternative not in ("two-sided", fits):
        word = "decrease" if delta < 0 else "increase"
        raise PlanError(
            "--alternative",
            f"Δ = {delta:g} is a {word}, which the one-sided alternative '{alternative}' cannot detect; "
            f"use --alternative {fits} (or two-sided)",
        )


def check_trials(trials: int) -> None:
    if trials < 1:
        raise PlanError("--trials", f"expected at least 1 trial per arm and target, got {trials}")


def trials_needed(
    baseline_rate: float,
    delta: float,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    margin: float | None = None,
) -> int:
    """Trials per arm and target to detect arm rate = baseline_rate + delta (rounded up), or with `margin` to show
    non-inferiority when the true difference is `delta`."""
    check_levels(alpha, power)
    check_effect(baseline_rate, delta, alternative, margin)
    if margin is not None:
        sigma0, sigma1 = _fm_sigmas(baseline_rate, delta, margin)
        z_alpha, z_beta = stats.norm.isf(alpha), stats.norm.ppf(power)
        return math.ceil(((z_alpha * sigma0 + z_beta * sigma1) / (delta + margin)) ** 2)
    alt = _ALTERNATIVES[alternative]
    return math.ceil(samplesize_proportions_2indep_onetail(delta, baseline_rate, power, alpha=alpha, alternative=alt))


def power_of(
    baseline_rate: float,
    delta: float,
    trials: int,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    margin: float | None = None,
) -> float:
    check_levels(alpha)
    check_effect(baseline_rate, delta, alternative, margin)
    check_trials(trials)
    if margin is not None:
        sigma0, sigma1 = _fm_sigmas(baseline_rate, delta, margin)
        z = (math.sqrt(trials) * (delta + margin) - stats.norm.isf(alpha) * sigma0) / sigma1
        return float(stats.norm.cdf(z))
    alt = _ALTERNATIVES[alternative]
    return float(
        power_proportions_2indep(delta, baseline_rate, trials, alpha=alpha, alternative=alt, return_results=False)
    )


def fm_null_rates(arm_rate: float, baseline_rate: float, margin: float) -> tuple[float, float]:
    """The restricted maximum-likelihood rates (arm, baseline) under arm − baseline = −margin, at observed rates
    `arm_rate`, `baseline_rate` with equal trials: the closed-form root of Farrington & Manning's (1990) cubic,
    the same the score test evaluates its variance at."""
    from ablate.stats.proportions import restricted_rates

    return restricted_rates(arm_rate, baseline_rate, -margin)


def _fm_sigmas(baseline_rate: float, delta: float, margin: float) -> tuple[float, float]:
    """√(per-trial variance of the rate difference): under H0 at the restricted MLE, under the assumed rates."""
    arm = baseline_rate + delta
    arm0, base0 = fm_null_rates(arm, baseline_rate, margin)
    sigma0 = math.sqrt(arm0 * (1 - arm0) + base0 * (1 - base0))
    sigma1 = math.sqrt(arm * (1 - arm) + baseline_rate * (1 - baseline_rate))
    return sigma0, sigma1
