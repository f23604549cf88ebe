"""The statistics read one shape: successes and trials (and mean progress) per (arm, seed, embodiment, task).

A trial table comes either per trial (`success` 0/1, `progress`) or already aggregated (`successes, trials`, mean
`progress`), e.g. a paper's per-task table (DESIGN.md, "Trial table"). Both reduce to `cells`: one row per
(comparison level, strata…, seed, embodiment, task). Bad tables are refused with the column and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ablate.errors import InputError, closest
from ablate.trials import TARGET, check_values, is_aggregated


@dataclass(frozen=True)
class Design:
    """What is compared: levels of `column` against `baseline`, within each combination of `strata` (the other
    factors held fixed), on targets grouped by `by` for pooled tests."""

    column: str = "arm"
    baseline: str = ""
    strata: tuple[str, ...] = ()
    by: tuple[str, ...] = ()


def cells(table: pd.DataFrame, design: Design, source: str = "trial table") -> pd.DataFrame:
    """One row per (design.column, strata, seed, embodiment, task): successes, trials, progress (the mean over
    the trials that recorded it; NaN if none did) and progress_trials (how many did)."""
    table = table.copy()
    if "seed" not in table:
        table["seed"] = 0  # one evaluation per arm: a single cluster
    needed = [design.column, *design.strata, "seed", *TARGET]
    needed += [b for b in design.by if b not in needed]  # a grouping column other than the target's (a platform)
    aggregated = is_aggregated(table)
    if not aggregated:
        needed.append("success")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        spelt = _near_misses(table, ["successes", "trials", *missing])
        raise InputError.single(
            source,
            missing[0],
            f"missing column(s) {', '.join(missing)}; expected per-trial rows with `success` (0/1) or aggregated "
            "rows with `successes, trials`, keyed by arm, seed, embodiment, task" + spelt,
        )
    keys = needed[: len(needed) - (0 if aggregated else 1)]
    for c in keys:
        table[c] = table[c].astype(str)
    check_values(table, source)  # success 0/1, progress 0..1, 0 ≤ successes ≤ trials: the trial table's own rules
    if aggregated:
        grouped = table.groupby(keys, sort=False)
        out = grouped[["successes", "trials"]].sum()
        by = [table[k] for k in keys]
        progress = table["progress"] if "progress" in table else pd.Series(np.nan, index=table.index)
        # A row without progress says nothing about it: it is left out of the mean, not counted as 0.
        covered = (table["trials"] * progress.notna()).groupby(by, sort=False).sum()
        weighted = (progress.fillna(0) * table["trials"]).groupby(by, sort=False).sum()
        out["progress"] = (weighted / covered.where(covered > 0)).to_numpy()
        out["progress_trials"] = covered.to_numpy()
        return out.reset_index()
    if table["success"].isna().any():
        raise InputError.single(
            source, "success", f"empty in row {int(table['success'].isna().to_numpy().argmax()) + 1}"
        )
    table["success"] = table["success"].astype(int)
    if "progress" not in table:
        table["progress"] = np.nan
    grouped = table.groupby(keys, sort=False)
    out = grouped.agg(
        successes=("success", "sum"),
        trials=("success", "size"),
        progress=("progress", "mean"),  # over the trials that recorded progress
        progress_trials=("progress", "count"),
    )
    return out.reset_index()


def _near_misses(table: pd.DataFrame, wanted: list[str]) -> str:
    """'; column `succeses` looks like `successes`' for columns that are a typo away from an expected name."""
    found = []
    for column in map(str, table.columns):
        close = closest(column, [w for w in wanted if w != column], cutoff=0.8)
        if close and column not in wanted:
            found.append(f"column `{column}` looks like `{close}`")
    return f" ({'; '.join(found)})" if found else ""


def compared_levels(data: pd.DataFrame, design: Design, source: str = "trial table") -> list[str]:
    """The compared levels, baseline first; the baseline must exist."""
    present = list(dict.fromkeys(data[design.column]))
    if design.baseline not in present:
        raise InputError.single(
            source, design.column, f"baseline {design.baseline!r} not found; levels are {', '.join(present)}"
        )
    return [design.baseline, *[x for x in present if x != design.baseline]]
