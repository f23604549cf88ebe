"""Melt, pivot, aggregates and margins on the hand-made table in helpers.py: the numbers are computed by hand."""

from __future__ import annotations

import pytest

from ablate.table.paper_table import build
from tests.table.helpers import SPEC, write_small


def _ours(tmp_path, spec: str = SPEC) -> dict:
    """Our cells as {'row / column': value}."""
    table = build(write_small(tmp_path, spec))
    return {f"{table.label(r)} / {table.label(c)}": v for (r, c), v in table.ours.items()}


def test_melt_makes_the_named_groups_columns_and_means_go_over_tasks(tmp_path):
    assert _ours(tmp_path) == {
        "P / PS / A": 30, "P / PS / B": 6, "P / SR / A": 15, "P / SR / B": 1.5,
        "Q / PS / A": 50, "Q / PS / B": 9, "Q / SR / A": 40, "Q / SR / B": 6,
        "Average / PS / A": 40, "Average / PS / B": 7.5, "Average / SR / A": 27.5, "Average / SR / B": 3.75,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("aggregate", "p_sr_b", "average_sr_b"),
    [("median", 1.5, 3.75), ("sum", 3, 4.5), ("count", 2, 1.5), ("min", 0, 3), ("max", 3, 4.5)],
)
def test_every_aggregate_runs_over_the_other_keys(tmp_path, aggregate, p_sr_b, average_sr_b):
    ours = _ours(tmp_path, SPEC.replace("aggregate: mean", f"aggregate: {aggregate}"))
    assert ours["P / SR / B"] == p_sr_b
    assert ours["Q / SR / B"] == (1 if aggregate == "count" else 6)
    assert ours["Average / SR / B"] == average_sr_b


def test_a_margin_column_is_the_mean_of_each_rows_cells(tmp_path):
    spec = SPEC.split("reference:")[0].replace("of: rows", "of: columns")
    ours = _ours(tmp_path, spec)
    assert ours["P / Average"] == 13.12  # (30 + 6 + 15 + 1.5) / 4 = 13.125, half to even
    assert ours["Q / Average"] == 26.25  # (50 + 9 + 40 + 6) / 4
    assert not any(key.startswith("Average") for key in ours)


ROWS_ONLY = """\
title: Rows only
source: data.csv
melt: {id_columns: [platform, task], pattern: '(?P<model>[AB])_(?P<metric>SR|PS)'}
rows: [platform, model]
value: value
margins: {name: Average, of: rows}
"""


def test_columns_are_optional_and_rows_may_be_several(tmp_path):
    ours = _ours(tmp_path, ROWS_ONLY)  # metric is no key: SR and PS cells are pooled
    assert ours == {
        "P / A / value": 22.5, "P / B / value": 3.75, "Q / A / value": 45, "Q / B / value": 7.5,
        "Average / value": 19.69,  # (22.5 + 3.75 + 45 + 7.5) / 4 = 19.6875, printed at 2 decimals
    }  # fmt: skip


def test_labels_rename_levels_and_pool_those_given_the_same_label(tmp_path):
    spec = ROWS_ONLY.replace("margins: {name: Average, of: rows}", "labels: {model: {A: Alpha, B: Alpha}}")
    # P: the 8 cells of A and B together, 105 / 8 = 13.125, printed 13.12 (half to even)
    assert _ours(tmp_path, spec) == {"P / Alpha / value": 13.12, "Q / Alpha / value": 26.25}
