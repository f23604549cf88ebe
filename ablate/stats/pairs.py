"""All pairs of arms as one family (`ablate report --pairs all`): every level of `design.column` against every
other, with the multiplicity correction across all the pairs, and a compact letter display.

One family per stratum (combination of `design.strata` levels): arms are only compared with the other factors
held fixed, and the correction runs over that stratum's pairs. A pair is compared on the targets both arms were
evaluated on, with counts pooled over seeds (trials treated as independent; seed-to-seed variation is not
modelled here — the baseline comparisons' bootstrap intervals do that): one common target → two-sided exact test
and Δ with the configured interval; several → two-sided Cochran–Mantel–Haenszel over the targets as strata and the
mean over targets of Δ. A pair with no common target cannot be tested: it is listed with the reason, and the
letters treat it as not significant (the data cannot tell the two apart)."""

from __future__ import annotations

from dataclasses import asdict
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ablate.stats import proportions, significance
from ablate.stats.counts import Design
from ablate.stats.jsonable import has_undefined, plain
from ablate.stats.letters import METHOD as LETTERS_METHOD
from ablate.stats.letters import compact_letters

if TYPE_CHECKING:  # analysis will import this module: no import cycle at run time
    from ablate.stats.options import Options

Target = tuple[str, str]
Counts = dict[str, dict[Target, tuple[int, int]]]  # level → target → (successes, trials), pooled over seeds

MOVER = (
    "mean over targets of per-target Δ; MOVER interval from Wilson score intervals (Zou & Donner 2008), whatever "
    "--rate-ci and --delta-ci say"
)
ORDER = (
    "arms by pooled success rate over their targets in the stratum, best first (ties in table order), as "
    "multcompLetters4's decreasing means: the best arm gets 'a'"
)


def all_pairs(data: pd.DataFrame, design: Design, options: Options) -> list[dict]:
    """One family per stratum. `data`: `counts.cells(table, design)`."""
    if not design.strata:
        return [_family(data, design, {}, options)]
    out = []
    for key, part in data.groupby(list(design.strata), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append(_family(part, design, dict(zip(design.strata, key, strict=True)), options))
    return out


def _family(part: pd.DataFrame, design: Design, where: dict, o: Options) -> dict:
    counts = _counts(part, design.column)
    arms = _arms(counts, o)
    order = [a["level"] for a in arms]
    pairs, untestable = [], []
    for a, b in combinations(order, 2):  # a ranks above b: Δ = rate(a) − rate(b) is mostly ≥ 0
        common = sorted(set(counts[a]) & set(counts[b]))
        if common:
            pairs.append(_pair(a, b, common, counts, o))
        else:
            untestable.append(_untestable(a, b, counts))
    tests = significance.adjust([p["test"] for p in pairs], o.correction, "pairs")
    correction = tests[0].correction if tests else f"{significance.CORRECTIONS[o.correction]} over 0 pairs"
    for p in pairs:
        p["significant"] = bool(p["test"].p_adjusted < o.alpha)
        p["test"] = _outcome(p["test"])
    letters = compact_letters(order, [(p["a"], p["b"]) for p in pairs if p["significant"]])
    for arm in arms:
        arm["letters"] = letters[arm["level"]]
    label = ", ".join(f"{k}={v}" for k, v in where.items())
    return {
        "stratum": where,
        "label": label or "all",
        "family": len(pairs),
        "method": _method(o),
        "correction": correction,
        "level": o.level,
        "alpha": o.alpha,
        "letters": {
            "method": LETTERS_METHOD,
            "order": ORDER,
            "meaning": f"arms sharing a letter do not differ at α = {o.alpha:g} ({correction}); arms with no "
            "letter in common do; untestable pairs count as not different",
        },
        "pairs": pairs,
        "untestable": untestable,
        "arms": arms,
    }


def _counts(part: pd.DataFrame, column: str) -> Counts:
    """Successes and trials per level and target, summed over seeds; levels in table order."""
    g = part.groupby([column, "embodiment", "task"], sort=False)[["successes", "trials"]].sum()
    out: Counts = {}
    for (level, robot, task), row in g.iterrows():
        out.setdefault(level, {})[(robot, task)] = (int(row["successes"]), int(row["trials"]))
    return out


def _arms(counts: Counts, o: Options) -> list[dict]:
    """Each arm pooled over all its targets and seeds, best first: the order of the letter display."""
    arms = []
    for level, by_target in counts.items():
        s, n = (sum(x) for x in zip(*by_target.values(), strict=True))
        ci = proportions.rate(s, n, o.rate_method, o.level)
        arms.append(
            {
                "level": level,
                "successes": s,
                "trials": n,
                "targets": len(by_target),
                "rate": s / n,
                "ci": [ci.low, ci.high],
                "method": ci.method,
            }
        )
    return sorted(arms, key=lambda a: -a["rate"])  # stable: ties keep table order, as R's order(decreasing=TRUE)


def _pair(a: str, b: str, common: list[Target], counts: Counts, o: Options) -> dict:
    tables = [(*counts[a][t], *counts[b][t]) for t in common]
    if len(tables) == 1:
        ((s1, n1, s0, n0),) = tables
        test = significance.exact_test(s1, n1, s0, n0, o.exact_test, "two-sided")
        d = proportions.delta(s1, n1, s0, n0, o.delta_method, o.level)
        delta = {"estimate": d.estimate, "ci": [d.low, d.high], "method": d.method, "level": d.level}
    else:
        test = significance.cmh_directional(tables, "two-sided", o.cmh_continuity)
        delta = mean_delta(tables, o.level)
    s1, n1, s0, n0 = (sum(x) for x in zip(*tables, strict=True))
    return {
        "a": a,
        "b": b,
        "targets": [f"{robot}/{task}" for robot, task in common],
        "counts": {"a": {"successes": s1, "trials": n1}, "b": {"successes": s0, "trials": n0}},
        "delta": _finite(delta, "the interval is undefined for these counts"),
        "test": test,
    }


def mean_delta(tables: list[tuple[int, int, int, int]], level: float) -> dict:
    """Mean over targets of rate(a) − rate(b) with its MOVER interval (`proportions.mean_difference`)."""
    return proportions.mean_difference(tables, level) | {"method": MOVER}


def _untestable(a: str, b: str, counts: Counts) -> dict:
    def names(level: str) -> str:
        return ", ".join(f"{robot}/{task}" for robot, task in sorted(counts[level]))

    return {
        "a": a,
        "b": b,
        "targets": [],
        "reason": f"no target evaluated on both: {a} on {names(a)}; {b} on {names(b)}",
    }


def _method(o: Options) -> str:
    exact = significance.EXACT_TESTS.get(o.exact_test, o.exact_test)
    continuity = "with" if o.cmh_continuity else "without"
    return (
        f"pairs on their common targets, counts pooled over seeds: two-sided {exact} test (one common target) or "
        f"two-sided Cochran–Mantel–Haenszel χ² ({continuity} continuity correction) over the common targets as "
        "strata (several); one family per stratum"
    )


def _outcome(test: significance.Outcome) -> dict:
    out = _finite(asdict(test), "no common target with varying outcomes: the test has no information")
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in out.items()}


def _finite(d: dict, reason: str) -> dict:
    """Strict JSON (`jsonable.plain`), with this module's reason as the `note` where a number is not defined."""
    return plain(d | {"note": reason} if has_undefined(d) else d)
