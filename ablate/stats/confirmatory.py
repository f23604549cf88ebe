"""Pre-registered hypotheses, tested exactly as declared (the frozen `hypotheses` block of a sweep spec).

Each hypothesis compares one level of a factor (`arm`) with another (`baseline`), the factors in `where` held at
their levels, on its targets (default: every target both sides were evaluated on). Every other factor is a stratum:
the comparison is made within each combination of their levels and each target, seeds pooled, and:
- one (stratum, target) table: an unconditional exact test (Boschloo) in the declared direction;
- several: the Cochran–Mantel–Haenszel test in the declared direction (R's `mantelhaen.test`, continuity
  corrected), the tables as strata;
- `non-inferior`: Farrington–Manning at the margin on each table; the hypothesis holds only if it holds on every
  table (an intersection–union test: its p-value is the largest, and needs no multiplicity adjustment).
The hypotheses are one family: their p-values are adjusted together (Holm by default, as declared) and each is
supported when its adjusted p-value is at most its α. The effect is the mean over tables of Δ = arm − baseline
success rate, with the seed-clustered hierarchical bootstrap interval (seeds paired across the two sides).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablate.naming import level_name
from ablate.stats import bootstrap, proportions, significance
from ablate.stats.counts import Design, cells
from ablate.stats.wording import p_is as _p
from ablate.stats.wording import signed

SIDES = {"greater": ">", "less": "<", "two-sided": "≠"}


def test_hypotheses(
    table: pd.DataFrame,
    hypotheses: dict,
    factors: list[str],
    resamples: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    source: str = "trial table",
) -> dict:
    """`hypotheses`: the spec's block as frozen ({correction, tests: [...]}); `factors`: the sweep's factor columns."""
    results = [_test_one(table, h, factors, resamples, level, seed, source) for h in hypotheses["tests"]]
    # The family is every declared hypothesis: one that could not be tested counts with p = 1, so missing data
    # never makes the others easier to pass.
    outcomes = [r["test"] or significance.Outcome(float("nan"), 1.0, "not tested", "-") for r in results]
    significance.adjust(outcomes, hypotheses.get("correction", "holm"), "pre-registered hypotheses")
    for r in results:
        r["supported"] = bool(r["test"] is not None and r["test"].p_adjusted <= r["alpha"])
    correction = significance.CORRECTIONS[hypotheses.get("correction", "holm")]
    return {
        "method": __doc__.split("\n\n", 1)[1].strip(),
        "correction": f"{correction} over the {len(outcomes)} pre-registered hypotheses (untested ones at p = 1)",
        "hypotheses": [_plain(r) for r in results],
        "verdicts": [verdict(r) for r in results],
    }


def _test_one(table, h: dict, factors: list[str], resamples: int, level: float, seed: int, source: str) -> dict:
    factor, arm = h["arm"].split("=")
    base = h["baseline"].split("=")[1]
    where = {k: level_name(v) for k, v in (h.get("where") or {}).items()}  # as the trial table names levels
    part = table[table[factor].astype(str).isin([arm, base])]
    for column, value in where.items():
        part = part[part[column].astype(str) == value]
    if h.get("targets"):
        names = part["embodiment"].astype(str) + "/" + part["task"].astype(str)
        part = part[names.isin(h["targets"])]
    strata = tuple(f for f in factors if f != factor and f not in where and f in part.columns)
    out = {
        "name": h["name"],
        "statement": statement(h),
        "alternative": h["alternative"],
        "margin": h.get("margin"),
        "alpha": h.get("alpha", 0.05),
        "strata": list(strata),
        "tables": [],
        "test": None,
        "supported": False,
    }
    if part.empty:
        out["missing"] = "no trials of either side (has the sweep finished?)"
        return out
    data = cells(part, Design(column=factor, baseline=base, strata=strata), source)
    keys = [*strata, "embodiment", "task"]
    sides = {lv: data[data[factor] == lv] for lv in (arm, base)}
    pairs = sorted(set(_keys(sides[arm], keys)) & set(_keys(sides[base], keys)))
    if not pairs:
        out["missing"] = "no (stratum, target) evaluated on both sides"
        return out
    seeds = sorted(set(sides[arm]["seed"]) & set(sides[base]["seed"]))
    a, b = (_counts(sides[lv], keys, pairs, seeds) for lv in (arm, base))
    evaluated = (a.trials.sum(axis=0) > 0) & (b.trials.sum(axis=0) > 0)  # a table whose runs failed on every seed
    if not evaluated.any():
        out["missing"] = "no (stratum, target) with trials of both sides on a common seed"
        return out
    pairs = [p for p, keep in zip(pairs, evaluated, strict=True) if keep]
    a = bootstrap.Counts(a.successes[:, evaluated], a.trials[:, evaluated])
    b = bootstrap.Counts(b.successes[:, evaluated], b.trials[:, evaluated])
    tables = [
        tuple(
            int(x)
            for x in (a.successes[:, j].sum(), a.trials[:, j].sum(), b.successes[:, j].sum(), b.trials[:, j].sum())
        )
        for j in range(len(pairs))
    ]
    deltas = [s1 / n1 - s0 / n0 for s1, n1, s0, n0 in tables]
    out["tables"] = [
        {
            "stratum": dict(zip(strata, key[: len(strata)], strict=True)),
            "target": f"{key[-2]}/{key[-1]}",
            "arm": {"successes": t[0], "trials": t[1]},
            "baseline": {"successes": t[2], "trials": t[3]},
            "delta": d,
        }
        for key, t, d in zip(pairs, tables, deltas, strict=True)
    ]
    out["test"] = _test(tables, h)
    estimate = float(np.mean(deltas))
    complete = (a.trials > 0).all() and (b.trials > 0).all()  # every seed evaluated on every table
    if len(seeds) > 1 and complete:
        low, high = bootstrap.delta_interval(a, b, resamples, level, seed)
        out["effect"] = {"estimate": estimate, "ci": [low, high], "method": "mean Δ over tables; " + bootstrap.METHOD}
    else:
        low, high = (np.nan, np.nan)
        if len(tables) == 1:
            d = proportions.delta(*tables[0], "newcombe", level)
            low, high = float(d.low), float(d.high)
        out["effect"] = {"estimate": estimate, "ci": [low, high], "method": "Newcombe hybrid score (one seed)"}
    out["seeds"] = seeds
    return out


def _keys(frame: pd.DataFrame, keys: list[str]) -> list[tuple]:
    return list(frame[keys].drop_duplicates().itertuples(index=False, name=None))


def _counts(frame: pd.DataFrame, keys: list[str], pairs: list[tuple], seeds: list[str]) -> bootstrap.Counts:
    frame = frame[frame["seed"].isin(seeds)]
    wide = {
        c: frame.pivot_table(index="seed", columns=keys, values=c, aggfunc="sum")
        .reindex(index=seeds, columns=pd.MultiIndex.from_tuples(pairs, names=keys))
        .fillna(0)
        .to_numpy(dtype=float)
        for c in ("successes", "trials")
    }
    return bootstrap.Counts(wide["successes"], wide["trials"])


def _test(tables: list[tuple[int, int, int, int]], h: dict) -> significance.Outcome:
    alternative = h["alternative"]
    if alternative == "non-inferior":
        each = [significance.non_inferiority(*t, float(h["margin"])) for t in tables]
        worst = max(each, key=lambda o: o.p)
        if len(each) == 1:
            return worst
        return significance.Outcome(
            worst.statistic,
            worst.p,
            f"{worst.method} on each of {len(each)} tables, intersection–union (largest p)",
            worst.alternative,
        )
    if len(tables) == 1:
        return significance.exact_test(*tables[0], "boschloo", alternative)
    return significance.cmh_directional(tables, alternative)


def statement(h: dict) -> str:
    where = ", ".join(f"{k}={v}" for k, v in (h.get("where") or {}).items())
    if h["alternative"] == "non-inferior":
        claim = f"{h['arm']} is non-inferior to {h['baseline']} (Δ > −{h['margin']:g})"
    else:
        claim = f"{h['arm']} {SIDES[h['alternative']]} {h['baseline']} in success rate"
    targets = f" on {', '.join(h['targets'])}" if h.get("targets") else ""
    return claim + (f" where {where}" if where else "") + targets


def verdict(r: dict) -> str:
    head = f"confirmatory {r['name']}: {r['statement']}"
    if r["test"] is None:
        return f"{head}: not tested ({r.get('missing', 'no data')})"
    t, e = r["test"], r["effect"]
    ci = "" if np.isnan(e["ci"][0]) else f" [{signed(e['ci'][0])}, {signed(e['ci'][1])}]"
    outcome = "supported" if r["supported"] else "not supported"
    return (
        f"{head}: mean Δ = {signed(e['estimate'])}{ci} over {len(r['tables'])} table(s); {t.method}, {t.alternative}, "
        f"p {_p(t.p)}, adjusted p {_p(t.p_adjusted)} ({t.correction}): {outcome} at α = {r['alpha']:g}"
    )


def _plain(r: dict) -> dict:
    from ablate.stats.jsonable import plain

    return plain(r)
