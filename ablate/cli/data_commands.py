"""`ablate data describe` and `ablate data check`: a researcher's own LeRobot dataset goes in as recorded, with a
description written beside it (never into it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ablate.errors import InputError

data = typer.Typer(help="Describe and check your own LeRobot datasets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(data, name="data")


@data.command("describe")
def describe(
    dataset: Annotated[Path, typer.Argument(help="a LeRobot v3 dataset folder (meta/info.json inside)")],
    out: Annotated[
        Path | None, typer.Option(help="where to write the draft (default: <dataset>.ablate.yaml beside it)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite an existing description")] = False,
    stdout: Annotated[bool, typer.Option("--stdout", help="print the draft instead of writing it")] = False,
) -> None:
    """Draft a description from meta/info.json: every feature found, the role guessed for each, what to check."""
    from ablate.atomic import write_text
    from ablate.data.draft import default_out, draft

    text = draft(dataset)
    if stdout:
        typer.echo(text, nl=False)
        return
    target = out or default_out(dataset)
    if target.exists() and not force:
        raise InputError.single(target, "", "exists already; --force to overwrite it, or --out elsewhere")
    write_text(target, text)
    typer.echo(f"wrote {target}: a draft; check the lines marked CHECK, then `ablate data check {dataset}`")
    if target.parent != Path(dataset).resolve().parent:
        typer.echo(f"runs find it when the config names it: data.descriptions.{Path(dataset).name}={target}")


@data.command("check")
def check(
    dataset: Annotated[Path, typer.Argument(help="a LeRobot v3 dataset folder")],
    description: Annotated[
        Path | None, typer.Option(help="its description (default: found beside or inside it)")
    ] = None,
    frame: Annotated[
        list[str] | None, typer.Option(help="an action frame the study needs; exit 2 if unsupported")
    ] = None,
) -> None:
    """Validate a description against the data: ranges per role, the action frames it supports and why not others."""
    from ablate.data.inspection import inspect_dataset

    result = inspect_dataset(dataset, description)
    typer.echo("\n".join(result.lines))
    for f in frame or []:
        if f not in result.support:
            raise InputError.single(
                "--frame", "", f"unknown action frame {f!r}; expected one of {', '.join(result.support)}"
            )
        if result.support[f] is not None:
            raise InputError.single(dataset, "", f"action frame {f}: {result.support[f]}")
