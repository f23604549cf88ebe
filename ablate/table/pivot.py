"""From a tidy frame to a paper's cells: one aggregate of `value` per (row keys, column keys) over every other
key, scaled, rounded to `decimals`, plus the margin row or column.

A margin is the mean of the cells *as printed* (rounded): that is how LingBot-VLA's "Average" row was made.
Averaging unrounded platform means instead gives 16.00 for GR00T-N1.6's PS where the paper prints 15.99.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablate.table.source import weighted_by_trials
from ablate.table.spec import TableSpec

Key = tuple[str, ...]
Cells = dict[tuple[Key, Key], float]  # (row key, column key) -> value; a table without columns has column key ()


def pivot(frame: pd.DataFrame, spec: TableSpec) -> Cells:
    keys = spec.keys
    weighted = weighted_by_trials(frame, spec)
    # Sort on the raw levels first so that seeds or task ids keep their numeric order (2 before 10) once
    # they become labels.
    tidy = frame[[*keys, spec.value, *(["trials"] if weighted else [])]].sort_values(keys, kind="stable")
    for name in keys:
        mapping = {str(ours): label for ours, label in spec.labels.get(name, {}).items()}
        tidy[name] = tidy[name].astype(str).replace(mapping)
    if weighted:  # aggregated rows: a cell's rate is over its trials, Σ successes / Σ trials
        recorded = tidy[spec.value].notna()  # a row without the value says nothing about it (not a 0)
        weighted = tidy.assign(_weighted=tidy[spec.value].fillna(0) * tidy["trials"], _trials=tidy["trials"] * recorded)
        groups = weighted.groupby(keys, sort=False)
        aggregated = groups["_weighted"].sum() / groups["_trials"].sum().where(lambda n: n > 0) * spec.scale
    else:
        aggregated = tidy.groupby(keys, sort=False)[spec.value].agg(spec.aggregate) * spec.scale
    aggregated = aggregated.round(spec.decimals)
    n_rows = len(spec.rows)
    cells = {(key[:n_rows], key[n_rows:]): float(v) for key, v in _by_tuple(aggregated)}
    return cells | _margins(aggregated, spec)


def margin_key(spec: TableSpec, of: str) -> Key | None:
    """The margin's row (or column) key: its name, then blanks for the other key levels."""
    if spec.margins is None or spec.margins.of != of:
        return None
    depth = len(spec.rows if of == "rows" else spec.columns)
    return (spec.margins.name, *[""] * (depth - 1))


def _margins(aggregated: pd.Series, spec: TableSpec) -> Cells:
    if spec.margins is None or aggregated.empty:
        return {}
    n_rows, n_columns = len(spec.rows), len(spec.columns)
    if spec.margins.of == "rows":
        key = margin_key(spec, "rows")
        if not n_columns:
            return {(key, ()): round(float(aggregated.mean()), spec.decimals)}
        means = aggregated.groupby(level=list(range(n_rows, n_rows + n_columns)), sort=False).mean()
        return {(key, column): float(v) for column, v in _by_tuple(means.round(spec.decimals))}
    key = margin_key(spec, "columns")
    means = aggregated.groupby(level=list(range(n_rows)), sort=False).mean()
    return {(row, key): float(v) for row, v in _by_tuple(means.round(spec.decimals))}


def _by_tuple(series: pd.Series) -> list[tuple[Key, Any]]:
    """(key tuple, value) pairs: pandas gives a bare scalar key when there is one level."""
    return [(key if isinstance(key, tuple) else (key,), v) for key, v in series.items()]
