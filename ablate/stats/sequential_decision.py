"""One sequential comparison: after each trial (or block), is the comparison of two arms' success rates already
settled? Robot time is the scarce resource; a comparison that is clear after 12 trials should not take 50.

`compare` decides one comparison from the two arms' trials in run order (`sequential.sequential_comparisons` does
it for every comparison and target of a trial table). The test (details and the validity argument in
ablate/stats/sequential_boundary.py): the k-th arm trial is paired with the k-th baseline trial; only discordant
pairs carry information; a mixture likelihood ratio (an e-value) over θ = P(arm wins a discordant pair) is compared
with a threshold calibrated exactly for the pre-registered maximum number of trials, so the type-I error is at most
α whenever the evaluation stops, as long as it stops by that maximum. Two-sided decisions test "arm better" and
"arm worse" at α/2 each. It stops for futility ("no difference within the maximum") as soon as no outcome of the
remaining pairs could reach the threshold: that never adds a rejection, so it keeps the level and saves trials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ablate.errors import InputError
from ablate.stats.sequential_boundary import BETTER, CONTINUE, FUTILE, MAX_PAIRS, PRIOR, WORSE, boundary, scan

ALTERNATIVES = ("two-sided", "greater", "less")
STATES = {
    CONTINUE: "continue",
    BETTER: "stop: arm better",
    WORSE: "stop: arm worse",
    FUTILE: "stop: no difference within the maximum",
}


@dataclass(frozen=True)
class Decision:
    """Where one sequential comparison stands. E-values, `pairs`, `arm_wins` and `baseline_wins` are taken at the
    stop (trials run after a stop do not change it); an e-value is None for a direction the alternative does not
    test."""

    state: str  # one of STATES' values
    e_value_better: float | None  # evidence for arm > baseline (mixture likelihood ratio)
    e_value_worse: float | None  # evidence for arm < baseline
    threshold: float | None  # an e-value at or above it stops; None: no decision can reach the level
    pairs: int
    pairs_observed: int
    arm_wins: int  # discordant pairs: arm succeeded, baseline failed
    baseline_wins: int
    trials_remaining: int  # per arm, before the maximum; 0 once stopped
    max_trials: int
    alpha: float
    alternative: str
    method: str


def method_text(max_trials: int, alpha: float, alternative: str) -> str:
    """The method, sidedness and level, in words, for one comparison at level `alpha`."""
    side = alpha / 2 if alternative == "two-sided" else alpha
    bound = boundary(max_trials, side)
    sided = {
        "two-sided": f"two-sided: arm better and arm worse each tested at α/2 = {side:.3g} (α = {alpha:.3g})",
        "greater": f"one-sided, H1: arm > baseline, at α = {side:.3g}",
        "less": f"one-sided, H1: arm < baseline, at α = {side:.3g}",
    }[alternative]
    a, b = (f"{x:g}" for x in PRIOR)
    head = (
        "sequential sign test on discordant pairs (k-th arm trial vs k-th baseline trial in run order): mixture "
        f"likelihood ratio over θ = P(arm wins a discordant pair), Beta({a}, {b}) prior truncated to (½, 1]; {sided}; "
    )
    if not np.isfinite(bound.log_threshold):
        return head + f"no outcome of {max_trials} pairs can reach this level, so no difference can be shown"
    return head + (
        f"stops when an e-value reaches {bound.threshold:.3g}, calibrated exactly so that the probability of ever "
        f"reaching it within {max_trials} trials per arm is {bound.size:.3g} ≤ {side:.3g} at the least favourable "
        f"null (both rates ½; Ville's 1/α = {1 / side:.3g} would hold without a maximum); futility stop when the "
        f"remaining pairs cannot reach it; valid at any stopping time up to {max_trials} trials per arm"
    )


def compare(
    arm: Sequence[int], baseline: Sequence[int], max_trials: int, alpha: float = 0.05, alternative: str = "two-sided"
) -> Decision:
    """Decide one comparison from each arm's 0/1 outcomes in run order (on one target). Pairs are formed
    positionally; an arm ahead of the other by some trials waits for them."""
    check_settings(max_trials, alpha, alternative)
    x, y = _outcomes(arm, "arm", max_trials), _outcomes(baseline, "baseline", max_trials)
    k = min(len(x), len(y))
    sides = (alternative != "less", alternative != "greater")
    bound = boundary(max_trials, alpha / 2 if alternative == "two-sided" else alpha)
    code, at, wins, losses = (int(v[0]) for v in scan(x[None, :k], y[None, :k], bound, sides))
    finite = bool(np.isfinite(bound.log_threshold))
    e_better = float(np.exp(bound.log_e[wins + losses, wins]))
    e_worse = float(np.exp(bound.log_e[wins + losses, losses]))
    return Decision(
        state=STATES[code],
        e_value_better=e_better if sides[0] else None,
        e_value_worse=e_worse if sides[1] else None,
        threshold=bound.threshold if finite else None,
        pairs=at,
        pairs_observed=k,
        arm_wins=wins,
        baseline_wins=losses,
        trials_remaining=max_trials - at if code == CONTINUE else 0,
        max_trials=max_trials,
        alpha=alpha,
        alternative=alternative,
        method=method_text(max_trials, alpha, alternative),
    )


def check_settings(max_trials: int, alpha: float, alternative: str) -> None:
    if not isinstance(max_trials, int | np.integer) or not 1 <= max_trials <= MAX_PAIRS:
        raise InputError.single("--max-trials", "", f"expected a whole number from 1 to {MAX_PAIRS}, got {max_trials}")
    if not 0 < alpha < 1:
        raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
    if alternative not in ALTERNATIVES:
        raise InputError.single("--alternative", "", f"expected one of {', '.join(ALTERNATIVES)}, got {alternative!r}")


def _outcomes(values: Sequence[int], name: str, max_trials: int) -> np.ndarray:
    x = np.asarray(values).ravel()
    bad = ~np.isin(x, [0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError.single("sequential comparison", f"{name}[{i}]", f"must be 0 or 1, got {x[i]!r}")
    if len(x) > max_trials:
        raise InputError.single(
            "sequential comparison", name, f"{len(x)} trials, more than the pre-registered maximum of {max_trials}"
        )
    return x.astype(np.int8)
