"""`ablate report TRIALS`: the statistics of any trial table (a sweep's, a real-robot evaluation's, a paper's
per-task numbers) written as report.html, report.md, tables.tex and results.json. It does not import torch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ablate.api.reports import make_design, read_table
from ablate.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    trials: Annotated[Path, typer.Argument(help="trial table: parquet/CSV file, folder of parts, or sweep dir")],
    baseline: Annotated[
        str, typer.Option(help="baseline arm (e.g. pi0.5), or FACTOR=LEVEL (e.g. mixture=target_only)")
    ],
    out: Annotated[Path, typer.Option(help="folder for report.html, report.md, tables.tex, results.json")],
    by: Annotated[str, typer.Option(help="comma-separated columns grouping targets for pooled tests")] = "",
    margin: Annotated[float | None, typer.Option(help="non-inferiority margin on the success rate, e.g. 0.1")] = None,
    alpha: Annotated[float, typer.Option(help="significance level")] = 0.05,
    rate_ci: Annotated[str, typer.Option(help="wilson | clopper-pearson | jeffreys")] = "wilson",
    delta_ci: Annotated[str, typer.Option(help="newcombe | miettinen-nurminen")] = "newcombe",
    exact_test: Annotated[str, typer.Option(help="boschloo | barnard | fisher")] = "boschloo",
    correction: Annotated[str, typer.Option(help="holm | hochberg | bonferroni | bh | none")] = "holm",
    pairs: Annotated[
        str, typer.Option(help="baseline: every level against the baseline; all: also every pair, one family")
    ] = "baseline",
    cmh_continuity: Annotated[bool, typer.Option(help="CMH continuity correction (R's default: on)")] = True,
    resamples: Annotated[int, typer.Option(min=100, help="bootstrap resamples")] = 10_000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    sequential: Annotated[
        bool, typer.Option("--sequential", help="interim check: stop / continue per comparison (needs --max-trials)")
    ] = False,
    max_trials: Annotated[
        int | None, typer.Option(help="pre-registered maximum trials per arm and target, for --sequential")
    ] = None,
    family: Annotated[
        int | None, typer.Option(help="for --sequential: planned comparison × target tests (Bonferroni divisor)")
    ] = None,
    title: Annotated[str | None, typer.Option(help="report title")] = None,
    preregistration: Annotated[
        Path | None,
        typer.Option(help="a sweep's preregistration.json (default: the one in TRIALS when it is a sweep dir)"),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="report on a sweep whose planned runs have not all written trials (refused otherwise); every file "
            "names the missing runs",
        ),
    ] = False,
) -> None:
    """Rates, transfer deltas, negative-transfer and pooled tests of every arm against a baseline."""
    from ablate import api

    if not sequential and (max_trials is not None or family is not None):
        raise InputError.single("--max-trials", "", "--max-trials and --family belong to --sequential; add it")
    if sequential:
        given = {
            "--pairs": pairs != "baseline",
            "--margin": margin is not None,
            "--rate-ci": rate_ci != "wilson",
            "--delta-ci": delta_ci != "newcombe",
            "--exact-test": exact_test != "boschloo",
            "--correction": correction != "holm",
            "--by": bool(by),
            "--preregistration": preregistration is not None,
        }
        if any(given.values()):
            flags = ", ".join(f for f, on in given.items() if on)
            raise InputError.single(
                flags,
                "",
                "--sequential writes only the interim decisions (Bonferroni-corrected sequential tests); "
                "these flags belong to the full report on the final table",
            )
        if not 0 < alpha < 1:
            raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
        table = read_table(trials)
        design = make_design(table, baseline, by, trials)
        _sequential(table, design, max_trials, alpha, family, out, title or f"sequential check: {trials.name}")
        return
    start = time.perf_counter()
    result = api.report(
        trials,
        baseline=baseline,
        out=out,
        by=by.split(","),
        margin=margin,
        alpha=alpha,
        rate_ci=rate_ci,
        delta_ci=delta_ci,
        exact_test=exact_test,
        correction=correction,
        pairs=pairs,
        cmh_continuity=cmh_continuity,
        resamples=resamples,
        seed=seed,
        title=title,
        preregistration=preregistration,
        partial=partial,
    )
    _echo(result, time.perf_counter() - start)
    if result.failed:
        raise typer.Exit(1)


def _sequential(table, design, max_trials: int | None, alpha: float, family, out: Path, title: str) -> None:
    from ablate.report.sequential_text import decision_lines, write_sequential
    from ablate.stats.sequential import sequential_comparisons

    if max_trials is None:
        raise InputError.single(
            "--max-trials", "", "--sequential needs the pre-registered maximum number of trials per arm and target"
        )
    seq = sequential_comparisons(table, design, max_trials, alpha, family=family)
    paths = write_sequential(seq, out, title)
    for line in decision_lines(seq):
        typer.echo(f"- {line}")
    typer.echo(f"{seq['method']}. {seq['correction']}.")
    typer.echo("wrote:\n" + "\n".join(f"  {p}" for p in paths))


def _echo(result, seconds: float) -> None:
    analysis = result.analysis
    if analysis.get("incomplete"):
        typer.echo(f"warning: {analysis['incomplete']['note']}", err=True)
    if analysis.get("confirmatory"):
        typer.echo("confirmatory (pre-registered):")
        for line in analysis["confirmatory"]["verdicts"]:
            typer.echo(f"- {line}")
        typer.echo("exploratory:")
    for line in analysis["verdicts"]:
        typer.echo(f"- {line}")
    if analysis.get("offline"):  # the runs' offline error beside their success
        typer.echo("offline error (lower is better):")
        for line in analysis["offline"]["verdicts"]:
            typer.echo(f"- {line}")
    typer.echo(f"{len(analysis['comparisons'])} comparison(s) in {seconds:.1f} s; wrote:")
    for path in result.paths:
        typer.echo(f"  {path}")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for name, why in result.failed.items():
        typer.echo(f"error: {name} was not written ({why}); the other files were", err=True)
