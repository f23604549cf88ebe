"""Paired tests across targets on continuous scores (progress): each target contributes one difference, arm −
baseline, averaged over its seeds. Wilcoxon's signed-rank test with R's conventions (zeros dropped, exact for
fewer than 50 differences without ties, otherwise the normal approximation with continuity correction) and a
sign-flip permutation test of the mean difference (exact when 2^n ≤ the resample count)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ablate.stats.significance import Outcome

_WORDS = {"less": "arm < baseline", "greater": "arm > baseline", "two-sided": "two-sided"}


TIE_DECIMALS = 12  # differences equal to 12 decimals are ties: averaging and subtraction leave ~1e-16 of noise


def wilcoxon(diff: np.ndarray, alternative: str = "two-sided") -> Outcome:
    """Differences that are equal on the data's own scale (progress in hundredths, say) must tie: float noise
    (0.14 stored as 0.13999999999999996 after an average) would otherwise split ties, change the ranks and drop the
    tie correction. Rounding to `TIE_DECIMALS` restores them."""
    diff = np.round(np.asarray(diff, dtype=float), TIE_DECIMALS)
    nonzero = diff[diff != 0]
    if len(nonzero) == 0:
        return Outcome(0.0, 1.0, "Wilcoxon signed-rank (all differences zero)", _WORDS[alternative])
    # As R's wilcox.test: exact only below 50 differences without ties and without zeros.
    exact = len(nonzero) < 50 and len(np.unique(np.abs(nonzero))) == len(nonzero) == len(diff)
    res = stats.wilcoxon(
        diff, zero_method="wilcox", correction=True, alternative=alternative, method="exact" if exact else "approx"
    )
    how = "exact" if exact else "normal approximation with continuity correction"
    # R's V, the positive rank sum, whatever the alternative (scipy reports min(W+, W−) when two-sided).
    v = stats.rankdata(np.abs(nonzero))[nonzero > 0].sum()
    return Outcome(
        float(v),
        float(res.pvalue),
        f"Wilcoxon signed-rank ({how}, zeros dropped)",
        _WORDS[alternative],
        extra={"n": len(nonzero)},
    )


def sign_flip(diff: np.ndarray, alternative: str = "two-sided", resamples: int = 10_000, seed: int = 0) -> Outcome:
    """Exact over all 2^n sign patterns when that is at most `resamples`, else `resamples` random ones (p-value
    (b + 1)/(R + 1), as scipy's `permutation_test`; tests check both against it). Done here in one matrix product:
    scipy's generic implementation takes ~10× longer, which matters at 300 targets × many comparisons."""
    diff = np.asarray(diff, dtype=float)
    n = len(diff)
    observed = diff.mean()
    exact = 2**n <= resamples
    if exact:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    else:
        signs = np.random.default_rng(seed).choice(np.array([-1.0, 1.0]), size=(resamples, n))
    null = signs @ diff / n
    tol = 1e-12 * max(1.0, abs(observed))  # ties with the observed mean count as extreme (rounding)
    extreme = {
        "greater": null >= observed - tol,
        "less": null <= observed + tol,
        "two-sided": np.abs(null) >= abs(observed) - tol,
    }[alternative].sum()
    p = extreme / len(null) if exact else (extreme + 1) / (len(null) + 1)
    how = "exact" if exact else f"{resamples} random sign flips"
    return Outcome(
        float(observed), float(min(p, 1.0)), f"sign-flip permutation test of the mean ({how})", _WORDS[alternative]
    )
