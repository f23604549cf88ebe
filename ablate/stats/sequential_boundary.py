"""The rejection boundary of the sequential comparison (ablate/stats/sequential_decision.py), and a vectorised scan of
paired trial sequences against it.

Pair the k-th trial of the arm with the k-th of the baseline. A discordant pair (one succeeds, the other fails) is
won by the arm with probability θ = p_arm(1 − p_base) / (p_arm(1 − p_base) + p_base(1 − p_arm)), and θ ≤ ½ exactly
when p_arm ≤ p_base, whatever the common rate. After w arm wins and l baseline wins the evidence for "arm better" is
the mixture likelihood ratio

    E(w, l) = ∫ (2θ)^w (2(1 − θ))^l π(θ) dθ,   π = Beta(20, 10) truncated to (½, 1],

a nonnegative supermartingale under H0, hence an e-value at any stopping time (Ville: P(ever E ≥ 1/α) ≤ α).

Calibration. Ville's 1/α holds for an unbounded horizon; with a pre-registered maximum of n pairs it wastes most
of α (for n = 50 the exact probability of ever reaching 1/α is about α/4, for n = 20 α/25). So by default the
threshold t is the smallest value of E with P(E reaches t within n pairs) ≤ α under the least favourable null,
computed exactly:
- the rejection region {E ≥ t} grows with arm wins and shrinks with baseline wins, so turning an arm failure into a
  success (or a baseline success into a failure) can only help it cross; the crossing probability therefore grows
  with p_arm and falls with p_base, and over H0 (p_arm ≤ p_base) it is largest on p_arm = p_base = p;
- there the discordant pairs form a fair ±1 walk whatever p, and their number D ~ Binomial(n, 2p(1 − p)) is largest
  at p = ½; more steps can only add crossings. So the worst case is p = ½, where the size is
  Σ_D Binomial(D; n, ½) · P(a fair walk crosses within D steps): one O(n²) recursion, exact, and attained.
Stopping earlier, looking less often, or stopping for futility only removes rejections, so the level holds at any
stopping time up to n pairs. It does not hold past n: the maximum must be fixed before the first trial.

The prior Beta(20, 10) (mean ⅔: the arm wins two of three discordant pairs, e.g. 0.5 vs 0.7 gives θ = 0.7) was
chosen by exact computation of power and expected trials for priors of mean 0.55–0.85 and concentration 2–1000 at
n = 20–150: flatter priors (a uniform one on (½, 1]) stop a little sooner on large effects but lose up to 0.15 more
of the fixed-n power on moderate ones; priors packed near ½ keep that power but stop later on large effects.
benchmarks/sequential_evaluation.py measures the result against the fixed-n design."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats

PRIOR = (20.0, 10.0)  # Beta(a, b) on θ, truncated to (½, 1]
MAX_PAIRS = 1000  # the calibration table is (n + 1)²; robot evaluations stay far below
CALIBRATIONS = ("exact", "ville")
# Codes returned by `scan`, in the words `Decision.state` uses.
CONTINUE, BETTER, WORSE, FUTILE = 0, 1, 2, 3


@dataclass(frozen=True)
class Boundary:
    """Where one direction of the test rejects, for a maximum of `pairs` pairs at level `alpha` (one side)."""

    pairs: int
    alpha: float
    calibration: str
    log_threshold: float  # +inf: no path within `pairs` pairs can reach level alpha
    wins_needed: np.ndarray  # [m]: arm wins needed among m discordant pairs; m + 1 where none suffice
    log_e: np.ndarray  # [m, w]: log E(w, m − w); +inf where w > m (unreachable)
    size: float  # exact probability of ever crossing at the least favourable null (p_arm = p_base = ½)

    @property
    def threshold(self) -> float:
        return float(np.exp(self.log_threshold))


def log_e_table(n: int, prior: tuple[float, float] = PRIOR) -> np.ndarray:
    """log E(w, m − w) for 0 ≤ w ≤ m ≤ n, as an (n + 1) × (n + 1) array indexed [m, w] (+inf where w > m).

    ∫_{½}^{1} θ^(a+w−1) (1−θ)^(b+l−1) dθ = B(a+w, b+l) · I_{½}(b+l, a+w), by the symmetry of the regularised
    incomplete beta function; the prior's own mass on (½, 1] normalises it."""
    a, b = prior
    m, w = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    losses = np.maximum(m - w, 0)
    with np.errstate(divide="ignore"):  # far on the losing side the tail underflows: E = 0
        out = (
            m * np.log(2.0)
            + special.betaln(a + w, b + losses)
            - special.betaln(a, b)
            + np.log(special.betainc(b + losses, a + w, 0.5))
            - np.log(special.betainc(b, a, 0.5))
        )
    return np.where(w <= m, out, np.inf)


def _wins_needed(log_e: np.ndarray, log_threshold: float) -> np.ndarray:
    # E grows with w along each diagonal, so the wins needed are the count of states below the threshold.
    return (log_e < log_threshold).sum(axis=1)


def crossing_probability(wins_needed: np.ndarray, rate: float = 0.5) -> float:
    """P(ever crossing) within n = len − 1 pairs when both arms succeed with probability `rate` (½: the worst case):
    D ~ Binomial(n, 2·rate·(1 − rate)) discordant pairs, each won by the arm with probability ½."""
    n = len(wins_needed) - 1
    walk = np.zeros(n + 2)
    walk[0] = 1.0  # walk[w]: P(w arm wins among m discordant pairs, not yet crossed)
    crossed, by_step = 0.0, np.empty(n + 1)
    for m in range(n + 1):
        if m:
            walk[1:] = 0.5 * (walk[1:] + walk[:-1])
            walk[0] *= 0.5
        need = wins_needed[m]
        if need <= m:
            crossed += walk[need:].sum()
            walk[need:] = 0.0
        by_step[m] = crossed
    return float(stats.binom.pmf(np.arange(n + 1), n, 2 * rate * (1 - rate)) @ by_step)


@lru_cache(maxsize=256)
def boundary(pairs: int, alpha: float, calibration: str = "exact") -> Boundary:
    """The boundary for one side at level `alpha`: exactly calibrated to `pairs` (default) or Ville's 1/alpha."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got {calibration!r}")
    log_e = log_e_table(pairs)
    log_e.flags.writeable = False
    log_t = float(-np.log(alpha)) if calibration == "ville" else _calibrate(log_e, alpha)
    need = _wins_needed(log_e, log_t)
    need.flags.writeable = False
    return Boundary(pairs, alpha, calibration, log_t, need, log_e, crossing_probability(need))


def _calibrate(log_e: np.ndarray, alpha: float) -> float:
    """The smallest attainable log E above 0 whose crossing probability is ≤ alpha (bisection: the probability
    only falls as the threshold rises)."""
    values = np.unique(log_e[np.isfinite(log_e) & (log_e > 0)])
    if not len(values) or crossing_probability(_wins_needed(log_e, values[-1])) > alpha:
        return float("inf")
    lo, hi = 0, len(values) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if crossing_probability(_wins_needed(log_e, values[mid])) <= alpha:
            hi = mid
        else:
            lo = mid + 1
    return float(values[lo])


def scan(arm: np.ndarray, base: np.ndarray, bound: Boundary, sides: tuple[bool, bool]) -> tuple[np.ndarray, ...]:
    """First stop of each row of paired 0/1 sequences (`arm[i, k]` against `base[i, k]`, shape rows × pairs).

    `sides` = (test "arm better", test "arm worse"). Returns (code, pairs, arm_wins, base_wins) per row: the event
    (CONTINUE, BETTER, WORSE, FUTILE), the pairs used up to it (all pairs when it continues) and the discordant
    counts there. Futility: no way left to reach the boundary in a tested direction, even if every remaining pair
    went that way."""
    arm, base = np.atleast_2d(arm).astype(bool), np.atleast_2d(base).astype(bool)
    rows, k = arm.shape
    n, need = bound.pairs, bound.wins_needed
    zero = np.zeros((rows, 1), dtype=np.int64)
    wins = np.hstack([zero, np.cumsum(arm & ~base, axis=1)])  # [:, j]: after j pairs (j = 0 … k)
    losses = np.hstack([zero, np.cumsum(~arm & base, axis=1)])
    m = wins + losses
    left = n - np.arange(k + 1)
    better = sides[0] & (wins >= need[m])
    worse = sides[1] & (losses >= need[m])
    reach_better = sides[0] & (wins + left >= need[m + left])
    reach_worse = sides[1] & (losses + left >= need[m + left])
    event = np.select([better, worse, ~(reach_better | reach_worse)], [BETTER, WORSE, FUTILE], CONTINUE)
    stopped = event != CONTINUE
    at = np.where(stopped.any(axis=1), stopped.argmax(axis=1), k)
    idx = np.arange(rows)
    return event[idx, at], at, wins[idx, at], losses[idx, at]
