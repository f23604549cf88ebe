"""The full analysis of one trial table: every compared level against the baseline, per target and pooled.

For each comparison (a level of `design.column` against the baseline, with the other factors in `design.strata`
held fixed) and each target present in both:
- success rates with their intervals, the transfer delta with Newcombe's (or Miettinen–Nurminen's) interval and,
  with several seeds, the hierarchical bootstrap interval that treats seeds as clusters;
- a one-sided exact test for negative transfer (arm < baseline), adjusted across the comparison's targets;
- with a margin, a non-inferiority test (Δ > −margin).
Pooled, per group of targets (`design.by`, e.g. per platform) and over all targets: CMH with the pooled odds ratio
and Breslow–Day (adjusted across groups), the mean delta with its bootstrap interval, paired tests on progress, and
rliable's aggregates with the probability of improvement.

Nothing is dropped silently: a target one side was not evaluated on, a seed without its pair, a stratum without
the baseline — each is listed under `left_out` with the reason, in every output. A table with nothing to compare
is an error (exit 2) that says why. Results are strict-JSON dicts (`jsonable.plain`)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.stats import aggregate, bootstrap, proportions, significance
from ablate.stats.comparison import compare
from ablate.stats.counts import Design, cells, compared_levels
from ablate.stats.jsonable import NULLS, plain
from ablate.stats.options import Options
from ablate.stats.verdicts import verdicts
from ablate.trials import TARGET, is_aggregated

__all__ = ["NothingToCompare", "Options", "analyse"]


class NothingToCompare(InputError):
    """The table holds no comparison that can be tested (only the baseline, or no target both sides share)."""


def analyse(table: pd.DataFrame, design: Design, options: Options | None = None, source: str = "trial table") -> dict:
    options = options or Options()
    data = cells(table, design, source)
    order = compared_levels(data, design, source)
    if len(order) == 1:
        raise NothingToCompare.single(
            source,
            design.column,
            f"only the baseline {design.baseline!r} is in the table; nothing to compare it with "
            "(expected at least one other level)",
        )
    comparisons, untestable = [], []
    strata = [()] if not design.strata else list(data.groupby(list(design.strata), sort=False).groups)
    for stratum in strata:
        stratum = stratum if isinstance(stratum, tuple) else (stratum,)
        where = dict(zip(design.strata, stratum, strict=True))
        part = data
        for col, val in where.items():
            part = part[part[col] == val]
        has_baseline = (part[design.column] == design.baseline).any()
        for level in order[1:]:
            if not (part[design.column] == level).any():
                continue
            label = _label(level, design.baseline, where)
            if not has_baseline:
                untestable.append({"label": label, "reason": f"no trials of the baseline {design.baseline} here"})
                continue
            comparison = compare(part, design, level, where, label, options)
            if comparison["targets"]:
                comparisons.append(comparison)
                continue
            why = "; ".join(f"{t['target']} {t['reason']}" for t in comparison["left_out"])
            reason = f"no target evaluated on both sides ({why})" if why else "no target evaluated on both sides"
            untestable.append(comparison | {"reason": reason})
    if not comparisons:
        reasons = "; ".join(f"{u['label']}: {u['reason']}" for u in untestable)
        raise NothingToCompare.single(source, design.column, f"no comparison can be tested ({reasons})")
    result = {
        "source": source,
        "design": asdict(design),
        "options": asdict(options),
        "methods": _methods(options, comparisons),
        "nulls": NULLS,
        "rates": _rates(data, design, options),
        "comparisons": comparisons,
        "untestable": plain(untestable),
        "notes": _table_notes(table, design),
    }
    result["verdicts"] = verdicts(result)
    return result


def _table_notes(table: pd.DataFrame, design: Design) -> list[str]:
    """What the reader should know about the table itself: aggregated rows that repeat a key were added up."""
    keys = [k for k in (design.column, *design.strata, "seed", *TARGET) if k in table.columns]
    if not is_aggregated(table):
        return []
    repeated = int(table.duplicated(keys).sum())
    if not repeated:
        return []
    return [
        f"{repeated} aggregated row(s) repeat a ({', '.join(keys)}) key already in the table: their successes and "
        "trials were added together (two evaluation sessions, say); remove them if they are copies"
    ]


def _label(level: str, baseline: str, where: dict) -> str:
    return f"{level} vs {baseline}" + (f" [{', '.join(f'{k}={v}' for k, v in where.items())}]" if where else "")


def _methods(o: Options, comparisons: list[dict]) -> dict[str, str]:
    correction = significance.CORRECTIONS[o.correction]
    seeds = max(len(c["seeds"]) for c in comparisons)  # paired seeds: unpaired ones are pooled into one cluster
    return {
        "rate_interval": f"{proportions.RATE_METHODS[o.rate_method][1]}, {o.level:.0%}, trials pooled over seeds",
        "delta_interval": f"{proportions.DELTA_METHODS[o.delta_method][2]}, {o.level:.0%}, trials pooled over seeds",
        "negative_transfer": f"one-sided {significance.EXACT_TESTS[o.exact_test]} test (arm < baseline), "
        f"{correction}-adjusted over each comparison's targets, α = {o.alpha}",
        "pooled": f"Cochran–Mantel–Haenszel χ² ({'with' if o.cmh_continuity else 'without'} continuity "
        "correction), two-sided, over targets as strata; Mantel–Haenszel odds ratio with the Robins–Breslow–Greenland "
        f"{o.level:.0%} interval; Breslow–Day for heterogeneity (two-sided); {correction}-adjusted across groups",
        "clusters": (
            f"{bootstrap.method(seeds)}, {o.level:.0%}, {o.resamples} resamples, seed {o.seed}"
            if seeds > 1
            else f"one cluster (one seed, or unpaired seeds pooled): mean Δ by {proportions.MOVER}, {o.level:.0%}"
        ),
        "progress": "per-target differences (mean over seeds); Wilcoxon signed-rank and sign-flip permutation "
        f"tests, two-sided, unadjusted; {o.level:.0%} bootstrap interval of the mean difference",
        "aggregates": "rliable's IQM, median, mean and optimality gap of per-(seed, task) rates, and P(arm > "
        f"baseline); {(aggregate.METHOD if seeds > 1 else aggregate.ONE_SEED)}, {o.level:.0%}",
        "level": f"{o.level:.0%} intervals, α = {o.alpha}",
    }


def _rates(data: pd.DataFrame, design: Design, o: Options) -> list[dict]:
    keys = [design.column, *design.strata, "embodiment", "task"]
    data = data.assign(weighted=data["progress"].fillna(0) * data["progress_trials"])
    g = data.groupby(keys, sort=False).agg(
        successes=("successes", "sum"),
        trials=("trials", "sum"),
        seeds=("seed", "nunique"),
        weighted=("weighted", "sum"),
        progress_trials=("progress_trials", "sum"),
    )
    g = g.reset_index().sort_values(["embodiment", "task"], kind="stable")  # targets ordered as in the comparisons
    ci = proportions.rate(g["successes"].to_numpy(), g["trials"].to_numpy(), o.rate_method, o.level)
    has_progress = data["progress"].notna().any()
    out = []
    for i, row in enumerate(g.itertuples(index=False)):
        r = row._asdict()
        progress = r["weighted"] / r["progress_trials"] if has_progress and r["progress_trials"] else None
        out.append(
            {k: r[k] for k in keys}
            | {
                "successes": int(r["successes"]),
                "trials": int(r["trials"]),
                "rate": float(ci.estimate[i]),
                "ci": [float(ci.low[i]), float(ci.high[i])],
                "method": ci.method,
                "level": ci.level,
                "seeds": int(r["seeds"]),
                "progress": None if progress is None or np.isnan(progress) else float(progress),
            }
        )
    return out
