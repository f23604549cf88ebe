"""`--recipes DIR`, the option of every command that composes recipes (plan, run, tune, train)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

RecipesOption = Annotated[
    Path | None,
    typer.Option(
        "--recipes",
        help="your recipe tree, searched before the shipped one (default: $ABLATE_RECIPES, else a recipes/ "
        "folder beside the spec, or for train the current folder, or above it)",
        show_default=False,
    ),
]


def recipes_line(plan) -> str:
    """Which recipe trees a plan used (yours, then the shipped ones): printed by every command, never silent."""
    return plan.tree.dirs.describe()
