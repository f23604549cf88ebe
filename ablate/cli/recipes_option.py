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


def plan_header(plan) -> str:
    """Which recipe trees a plan used (yours, then the shipped ones) and what planning could not check here:
    printed by every command that plans, never silent."""
    return "\n".join([plan.tree.dirs.describe(), *(f"note: {n}" for n in plan.notes)])
