"""Our cells and the published ones in one layout: the rows and columns of both, in the paper's order.

The published order comes first (a reader compares with the paper), then levels only we have (a frame the
paper did not try), then the margin. A table without a source still has the published cells: ours are empty
and a note says how to fill them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ablate.errors import InputError
from ablate.table.pivot import Cells, Key, margin_key, pivot
from ablate.table.reference import load_reference
from ablate.table.source import load_source, weighted_by_trials
from ablate.table.spec import load_table_spec


@dataclass(frozen=True)
class PaperTable:
    title: str
    row_names: list[str]
    column_names: list[str]  # empty: one column, headed by `value`
    value: str
    rows: list[Key]
    columns: list[Key]
    ours: Cells  # rounded to `decimals`, as printed
    published: Cells
    published_from: str  # "" without a reference
    decimals: int
    tolerance: float
    notes: list[str] = field(default_factory=list)

    def label(self, key: Key) -> str:
        """A row or column key as one text: `SR / pi0.5`; a margin is its name; no column key: `value`."""
        return " / ".join(part for part in key if part) or self.value

    def number(self, value: float | None) -> str | None:
        return None if value is None else f"{value:.{self.decimals}f}"


def build(spec_path: str | Path, source: Path | None = None) -> PaperTable:
    spec, doc = load_table_spec(spec_path)
    frame = load_source(spec, doc, source)
    published, published_from = load_reference(spec, doc)
    if frame is None and not published:
        raise InputError(doc.problem("source", "no source and no reference values: nothing to show; give --source"))
    ours = pivot(frame, spec) if frame is not None else {}
    notes = [spec.note.strip()] if spec.note.strip() else []
    if frame is None:
        notes.append(
            "Our column is empty (—): the spec names no source. "
            "Fill it with `ablate table SPEC --source SWEEP_OR_TRIALS` (a sweep directory or a trial table)."
        )
    else:
        if weighted_by_trials(frame, spec):
            notes.append(
                f"{spec.value} per cell = Σ {spec.value} × trials / Σ trials over its rows (an aggregated trial "
                "table; `rates: mean_of_rows` in the spec gives the unweighted mean of the row rates)."
            )
        unmatched = [key for key in published if key not in ours]
        if unmatched:
            notes.append(f"{len(unmatched)} published cells have no computed cell in the source (shown as —).")
    return PaperTable(
        title=spec.title,
        row_names=spec.rows,
        column_names=spec.columns,
        value=spec.value,
        rows=_order([r for r, _ in published], [r for r, _ in ours], last=margin_key(spec, "rows")),
        columns=_order([c for _, c in published], [c for _, c in ours], last=margin_key(spec, "columns")),
        ours=ours,
        published=published,
        published_from=published_from,
        decimals=spec.decimals,
        tolerance=spec.reference.tolerance if spec.reference else 0.0,
        notes=notes,
    )


def _order(*groups: list[Key], last: Key | None) -> list[Key]:
    """Keys level by level in order of first appearance, so that a column group stays together (`SR` before
    `PS`, each with every model) even when the paper published only some of its cells."""
    keys = [key for key in dict.fromkeys(key for group in groups for key in group) if key != last]
    depth = len(keys[0]) if keys else 0
    rank = [{level: n for n, level in enumerate(dict.fromkeys(key[i] for key in keys))} for i in range(depth)]
    keys.sort(key=lambda key: [rank[i][level] for i, level in enumerate(key)])
    return [*keys, last] if last is not None and any(last in group for group in groups) else keys
