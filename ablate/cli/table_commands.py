"""`ablate table SPEC [--check] [--format md|latex|csv|json] [--source PATH]`: a paper's table, recomputed, beside
the published numbers. Exit 1 when `--check` finds a published cell not reproduced; 2 on bad input."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ablate.errors import InputError


class Format(StrEnum):
    md = "md"
    latex = "latex"
    csv = "csv"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("table")(table)


def table(
    spec: Annotated[Path, typer.Argument(help="table spec (YAML), e.g. analysis/lingbot/table1_gm100_v1.yaml")],
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 unless every published cell is reproduced within the tolerance")
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="output format")] = Format.md,
    source: Annotated[
        Path | None,
        typer.Option(help="replaces the spec's source: a sweep directory, a trial table, a CSV or parquet file"),
    ] = None,
) -> None:
    """Print the table SPEC describes: our value (published value) in every cell."""
    from ablate.table.check import check as find_mismatches
    from ablate.table.check import report
    from ablate.table.paper_table import build
    from ablate.table.render import render

    paper = build(spec, source)
    if check and not paper.published:
        raise InputError.single(spec, "reference", "--check needs published values: add a reference to the spec")
    typer.echo(render(paper, fmt.value), nl=False)
    if fmt is Format.csv:
        for note in paper.notes:  # CSV has no place for them that a parser would skip
            typer.echo(note, err=True)
    if check:
        findings = find_mismatches(paper)
        typer.echo(report(paper, findings), err=True)
        if findings:
            raise typer.Exit(1)
