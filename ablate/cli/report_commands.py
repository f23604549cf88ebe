"""`ablate report TRIALS`: the statistics of any trial table (a sweep's, a real-robot evaluation's, a paper's
per-task numbers) written as report.html, report.md, tables.tex and results.json. It does not import torch."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ablate.errors import InputError

# Trial-table columns that are not factors (DESIGN.md, "Trial table"); every other column is a factor's level.
NOT_FACTORS = {
    "sweep",
    "arm",
    "run",
    "seed",
    "embodiment",
    "task",
    "trial",
    "success",
    "progress",
    "stage",
    "judge",
    "group",
    "successes",
    "trials",
    "episode_seed",
    "steps",
}


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
) -> None:
    """Rates, transfer deltas, negative-transfer and pooled tests of every arm against a baseline."""
    from ablate.stats.analysis import Options, analyse

    table = _read(trials)
    design = _design(table, baseline, by, trials)
    from ablate.stats import proportions, significance

    choices = {
        "--rate-ci": (rate_ci, tuple(proportions.RATE_METHODS)),
        "--delta-ci": (delta_ci, tuple(proportions.DELTA_METHODS)),
        "--exact-test": (exact_test, tuple(significance.EXACT_TESTS)),
        "--correction": (correction, tuple(significance.CORRECTIONS)),
        "--pairs": (pairs, ("baseline", "all")),
    }
    for flag, (value, allowed) in choices.items():
        if value not in allowed:
            raise InputError.single(flag, "", f"expected one of {', '.join(allowed)}, got {value!r}")
    if margin is not None and not 0 < margin < 1:
        raise InputError.single("--margin", "", f"expected a rate difference in (0, 1), got {margin}")
    if not 0 < alpha < 1:
        raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
    options = Options(
        alpha=alpha,
        rate_method=rate_ci,
        delta_method=delta_ci,
        exact_test=exact_test,
        correction=correction,
        cmh_continuity=cmh_continuity,
        margin=margin,
        resamples=resamples,
        seed=seed,
    )
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
        _sequential(table, design, max_trials, alpha, family, out, title or f"sequential check: {trials.name}")
        return
    start = time.perf_counter()
    result = analyse(table, design, options, source=str(trials))
    from ablate.report.sweep import add_confirmatory
    from ablate.report.write import write_report

    add_confirmatory(result, table, trials, options, preregistration)
    if pairs == "all":
        from ablate.stats.counts import cells
        from ablate.stats.pairs import all_pairs
        from ablate.stats.verdicts import pairs_lines

        result["pairs"] = all_pairs(cells(table, design, str(trials)), design, options)
        result["verdicts"] += pairs_lines(result["pairs"])

    written = write_report(result, out, title or f"ablate report: {trials.name}")
    _echo(result, written, time.perf_counter() - start)
    if written.failed:
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


def _echo(result: dict, written, seconds: float) -> None:
    if result.get("confirmatory"):
        typer.echo("confirmatory (pre-registered):")
        for line in result["confirmatory"]["verdicts"]:
            typer.echo(f"- {line}")
        typer.echo("exploratory:")
    for line in result["verdicts"]:
        typer.echo(f"- {line}")
    typer.echo(f"{len(result['comparisons'])} comparison(s) in {seconds:.1f} s; wrote:")
    for path in written.paths:
        typer.echo(f"  {path}")
    for warning in written.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for name, why in written.failed.items():
        typer.echo(f"error: {name} was not written ({why}); the other files were", err=True)


def _read(path: Path):
    from ablate.evaluate.trial_table import read_trials

    if not path.exists():
        raise InputError.single(path, "", "no such file or folder; expected a trial table (parquet/CSV) or sweep dir")
    try:
        return read_trials(path)
    except (OSError, ValueError) as e:
        raise InputError.single(path, "", f"cannot read a trial table here: {e}") from e


def _design(table, baseline: str, by: str, source: Path):
    from ablate.stats.counts import Design

    groups = tuple(c.strip() for c in by.split(",") if c.strip())
    for c in groups:
        if c not in table.columns:
            raise InputError.single("--by", "", f"no column {c!r} in {source}; columns: {', '.join(table.columns)}")
    if "=" in baseline:
        column, level = (x.strip() for x in baseline.split("=", 1))
        if column not in table.columns:
            raise InputError.single("--baseline", "", f"no factor column {column!r} in {source}")
        factors = [c for c in table.columns if c not in NOT_FACTORS and c != column and c not in groups]
        return Design(column=column, baseline=level, strata=tuple(factors), by=groups)
    return Design(column="arm", baseline=baseline, by=groups)
