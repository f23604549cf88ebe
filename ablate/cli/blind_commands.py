"""`ablate blind plan | status | lock | unblind`: the Grouped Blind Ensemble (see ablate/blind/__init__.py for the
protocol).

Output never names a model before `unblind`: whoever runs `plan` may be sharing a screen with the operator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

blind = typer.Typer(help="Grouped Blind Ensemble: plan blinded real-robot trials, lock outcomes, unblind.")

FolderArg = Annotated[Path, typer.Argument(help="plan folder (written by `ablate blind plan`)", show_default=False)]


def register(app: typer.Typer) -> None:
    app.add_typer(blind, name="blind", no_args_is_help=True)


@contextmanager
def _checks() -> Iterator[None]:
    """A failed integrity check is exit 1 with its reason, not a traceback."""
    from ablate.blind import CheckFailed

    try:
        yield
    except CheckFailed as e:
        typer.echo(f"refused: {e}", err=True)
        raise typer.Exit(1) from e


@blind.command("plan")
def plan(
    models: Annotated[str, typer.Option(help="comma-separated names or checkpoint paths; NAME@SEED sets the seed")],
    targets: Annotated[str, typer.Option(help="comma-separated embodiment/task, e.g. Panda/lift,UR5e/lift")],
    trials: Annotated[int, typer.Option(min=1, help="trials per model and target")],
    out: Annotated[Path, typer.Option(help="new plan folder: the sheets for the operator and the judge")],
    group_size: Annotated[int, typer.Option(help="preferred group size; groups always hold 4–8 models")] = 6,
    seed: Annotated[
        int | None, typer.Option(help="draws groups, aliases and order; stored in the key only (default: random)")
    ] = None,
    key_out: Annotated[
        Path | None, typer.Option(help="sealed key file, outside --out (default: <out>.SEALED-key.json)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="study name, the trial table's `sweep` (default: folder name)")
    ] = None,
) -> None:
    """Split MODELS at random into blind groups; write the run sheet, the outcome sheet and the sealed key."""
    from ablate.blind.plan import make_plan, split_list

    w = make_plan(
        split_list(models, "--models"),
        split_list(targets, "--targets"),
        trials,
        group_size,
        out,
        key_out=key_out,
        seed=seed,
        name=name,
    )
    sizes = ", ".join(f"{g}: {len(a)}" for g, a in w.groups.items())
    typer.echo(
        f"{sum(map(len, w.groups.values()))} models in {len(w.groups)} blind group(s) ({sizes}), {w.n_trials} trials"
    )
    for group, aliases in w.groups.items():
        typer.echo(f"  {group}  {' '.join(aliases)}")
    typer.echo(f"operator's run sheet:  {w.run_sheet}")
    typer.echo(f"judge's outcome sheet: {w.outcome_sheet}")
    typer.echo(f"plan:                  {w.plan}")
    typer.echo(f"SEALED key:            {w.key}   (keep it from the operator and the judge until `lock`)")
    typer.echo(f"commitment (SHA-256 of the key): {w.commitment}")
    typer.echo("record the commitment where it cannot be changed later (lab notebook, pre-registration)")
    typer.echo(
        f"next: fill {w.outcome_sheet.name}, then `ablate blind lock {w.plan.parent}` (publish its lock hash too), "
        "then `ablate blind unblind` with the key and both published hashes"
    )


@blind.command("lock")
def lock(
    folder: FolderArg,
    force: Annotated[
        bool, typer.Option("--force", help="replace a lock on a different sheet (chained, kept in history)")
    ] = False,
) -> None:
    """Validate the filled outcome sheet and lock it; print the lock hash to publish beside the key commitment."""
    from ablate.blind.lock import lock as lock_sheet

    with _checks():
        record, new = lock_sheet(folder, force)
    what = "locked" if new else "already locked (sheet unchanged)"
    typer.echo(f"{what}: {folder / record['sheet']}, {record['trials']} trials, at {record['locked_at']}")
    typer.echo(f"sheet sha256 {record['sha256']}")
    typer.echo(f"lock hash: {record['lock']}")
    if new and record["history"]:
        chained = f"; this lock chains {record['previous']}" if record["previous"] else ""
        typer.echo(
            f"replaces {len(record['history'])} earlier lock(s), kept in {folder / 'lock.json'}{chained}: a lock "
            "hash published before no longer matches; publish this one and say why the sheet changed"
        )
    typer.echo("publish the lock hash now, beside the key commitment (lab notebook, pre-registration); then")
    check = f"--commitment PUBLISHED_COMMITMENT --lock-commitment {record['lock']}"
    typer.echo(f"  ablate blind unblind {folder} --key KEY {check}")


@blind.command("unblind")
def unblind(
    folder: FolderArg,
    key: Annotated[Path, typer.Option(help="the sealed key file written by `ablate blind plan`")],
    out: Annotated[
        Path | None, typer.Option(help="trial table, .parquet or .csv (default: FOLDER/trials.parquet)")
    ] = None,
    commitment: Annotated[
        str | None, typer.Option(help="the key commitment published at `plan`; without it the result is UNVERIFIED")
    ] = None,
    lock_commitment: Annotated[
        str | None, typer.Option(help="the lock hash published at `lock`; without it the result is UNVERIFIED")
    ] = None,
) -> None:
    """Check the key and the locked sheet against their seals and the published hashes, then write the trial table."""
    from ablate.blind.reveal import unblind as reveal

    with _checks():
        result = reveal(folder, key, out, commitment, lock_commitment)
    table = result.table
    summary = table.groupby(["arm", "seed", "embodiment", "task"]).agg(
        successes=("success", "sum"), trials=("success", "count"), progress=("progress", "mean")
    )
    if result.unverified:
        typer.echo(f"WARNING: {result.unverified}", err=True)
        typer.echo("key matches plan.json's commitment; run sheet and outcome sheet match their seals in the folder")
    else:
        typer.echo("verified: the key matches the published commitment, the outcome sheet the published lock hash")
    relocked = f", after {result.relocks} re-lock(s)" if result.relocks else ""
    typer.echo(f"key commitment {result.commitment}; lock hash {result.lock}{relocked}")
    typer.echo(summary.to_string(float_format=lambda x: f"{x:.2f}"))
    typer.echo(f"trial table: {', '.join(map(str, result.written))} ({len(table)} rows)")
    if result.unverified:
        typer.echo(f"UNVERIFIED (see the warning above and {folder / 'unblinded.json'})")
    typer.echo(f"next: ablate report {result.written[0]} --baseline MODEL --out REPORT_FOLDER")


@blind.command("status")
def status(
    folder: FolderArg,
    alpha: Annotated[float, typer.Option(help="family-wise level, Bonferroni over all alias pairs × targets")] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="print the decisions as JSON")] = False,
) -> None:
    """Interim check while the trials run: per group, target and pair of aliases, settled or continue (by alias)."""
    import json

    from ablate.blind.interim import interim, status_lines

    result = interim(folder, alpha)
    if as_json:
        typer.echo(json.dumps(result, indent=2, allow_nan=False, ensure_ascii=False))
        return
    for line in status_lines(result):
        typer.echo(line)
