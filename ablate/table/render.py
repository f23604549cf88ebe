"""A paper table as Markdown, LaTeX (booktabs), CSV or JSON, ours beside the published value.

- md, latex: one cell per table cell, `ours (published)`: `7.77 (7.77)`; `—` where we have no number, and just
  `ours` where the paper has none. Notes follow the table (LaTeX: as `%` comments).
- csv, json: tidy, one record per cell: the row and column keys by name, then `ours`, `published`,
  `difference` (ours − published), empty/null where absent. JSON wraps the records with the title, the key
  names, `decimals`, `tolerance` and the notes; CSV has only the records (notes go to stderr).
"""

from __future__ import annotations

import json

import pandas as pd

from ablate.latex import escape as latex_escape
from ablate.table.paper_table import PaperTable

FORMATS = ("md", "latex", "csv", "json")


def render(table: PaperTable, fmt: str) -> str:
    return {"md": markdown, "latex": latex, "csv": csv, "json": to_json}[fmt](table)


def markdown(table: PaperTable) -> str:
    header = [*table.row_names, *map(table.label, table.columns)]
    align = [":--"] * len(table.row_names) + ["--:"] * len(table.columns)
    lines = [f"### {table.title}", "", _md_row(header), _md_row(align)]
    lines += [_md_row([*row, *(_cell(table, row, c, "—") for c in table.columns)]) for row in table.rows]
    return "\n".join([*lines, "", *_captions(table)]) + "\n"


def latex(table: PaperTable) -> str:
    shown = _side_by_side(table, missing="--")
    text = shown.reset_index().to_latex(
        index=False,
        escape=True,
        multicolumn=True,
        multicolumn_format="c",
        column_format="l" * len(table.row_names) + "r" * len(table.columns),
        caption=latex_escape(table.title),  # pandas escapes the cells, not the caption
    )
    return text + "".join(f"% {line}\n" for line in _captions(table))


def records(table: PaperTable) -> list[dict]:
    out = []
    for row in table.rows:
        for column in table.columns:
            ours, published = table.ours.get((row, column)), table.published.get((row, column))
            difference = None if ours is None or published is None else round(ours - published, 10)
            out.append(
                dict(zip(table.row_names, row, strict=True))
                | dict(zip(table.column_names, column, strict=True))
                | {"ours": ours, "published": published, "difference": difference}
            )
    return out


def csv(table: PaperTable) -> str:
    return pd.DataFrame(records(table)).to_csv(index=False)


def to_json(table: PaperTable) -> str:
    document = {
        "title": table.title,
        "rows": table.row_names,
        "columns": table.column_names,
        "value": table.value,
        "decimals": table.decimals,
        "tolerance": table.tolerance,
        "published_from": table.published_from or None,
        "notes": table.notes,
        "cells": records(table),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _captions(table: PaperTable) -> list[str]:
    cells = f"Each cell: ours (published); published: {table.published_from}." if table.published_from else ""
    return [line for line in [cells, *table.notes] if line]


def _cell(table: PaperTable, row, column, missing: str) -> str:
    ours = table.number(table.ours.get((row, column))) or missing
    published = table.number(table.published.get((row, column)))
    return ours if published is None else f"{ours} ({published})"


def _side_by_side(table: PaperTable, missing: str) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(table.rows, names=table.row_names)
    columns = [table.label(c) for c in table.columns]
    if len(table.column_names) > 1:
        columns = pd.MultiIndex.from_tuples(table.columns, names=table.column_names)
    cells = [[_cell(table, row, column, missing) for column in table.columns] for row in table.rows]
    return pd.DataFrame(cells, index=index, columns=columns)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
