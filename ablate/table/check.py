"""`ablate table --check`: every published cell against ours (as printed, rounded to `decimals`).

A published cell we have no number for fails too: a reproduction that silently skips a cell is not one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ablate.table.paper_table import PaperTable
from ablate.table.pivot import Key

# Rounded decimals are not exact in binary (7.77 − 7.78 = −0.0099999…); this keeps a tolerance of 0.01 at 0.01.
_FLOAT_SLACK = 1e-9


@dataclass(frozen=True)
class Finding:
    row: Key
    column: Key
    ours: float | None
    published: float

    @property
    def difference(self) -> float | None:
        return None if self.ours is None else round(self.ours - self.published, 10)


def check(table: PaperTable) -> list[Finding]:
    """The published cells that ours miss or differ from by more than the tolerance, in table order."""
    findings = []
    for row in table.rows:
        for column in table.columns:
            published = table.published.get((row, column))
            if published is None:
                continue
            ours = table.ours.get((row, column))
            if ours is None or abs(ours - published) > table.tolerance + _FLOAT_SLACK:
                findings.append(Finding(row, column, ours, published))
    return findings


def report(table: PaperTable, findings: list[Finding]) -> str:
    where = f"rounded to {table.decimals} decimal{'s' * (table.decimals != 1)}, tolerance {table.tolerance:g}"
    if not findings:
        return f"check passed: all {len(table.published)} published cells reproduced ({where})"
    lines = [f"check failed: {len(findings)} of {len(table.published)} published cells not reproduced ({where}):"]
    for f in findings:
        cell = f"row {table.label(f.row)}, column {table.label(f.column)}"
        published = table.number(f.published)
        if f.ours is None:
            lines.append(f"  {cell}: no computed cell (published {published})")
        else:
            lines.append(f"  {cell}: ours {table.number(f.ours)}, published {published}, difference {f.difference:+g}")
    return "\n".join(lines)
