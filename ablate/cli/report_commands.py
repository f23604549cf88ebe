"""`ablate report TRIALS`: the statistics of any trial table (a sweep's, a real-robot evaluation's, a paper's
per-task numbers) written as report.html, report.md, tables.tex and results.json. `ablate power`: trials needed,
or the power of a planned design. Neither imports torch."""

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
    app.command("power")(power)


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
    exact_test: Annotated[str, typer.Option(help="boschloo | barnard")] = "boschloo",
    correction: Annotated[str, typer.Option(help="holm | bh | none")] = "holm",
    cmh_continuity: Annotated[bool, typer.Option(help="CMH continuity correction (R's default: on)")] = True,
    resamples: Annotated[int, typer.Option(min=100, help="bootstrap resamples")] = 10_000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
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
    choices = {
        "--rate-ci": (rate_ci, ("wilson", "clopper-pearson", "jeffreys")),
        "--delta-ci": (delta_ci, ("newcombe", "miettinen-nurminen")),
        "--exact-test": (exact_test, ("boschloo", "barnard")),
        "--correction": (correction, ("holm", "bh", "none")),
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
    start = time.perf_counter()
    result = analyse(table, design, options, source=str(trials))
    from ablate.report.sweep import add_confirmatory
    from ablate.report.write import write_report

    add_confirmatory(result, table, trials, options, preregistration)

    paths = write_report(result, out, title or f"ablate report: {trials.name}")
    if result.get("confirmatory"):
        typer.echo("confirmatory (pre-registered):")
        for line in result["confirmatory"]["verdicts"]:
            typer.echo(f"- {line}")
        typer.echo("exploratory:")
    for line in result["verdicts"]:
        typer.echo(f"- {line}")
    typer.echo(f"{len(result['comparisons'])} comparison(s) in {time.perf_counter() - start:.1f} s; wrote:")
    for path in paths:
        typer.echo(f"  {path}")


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


def power(
    baseline_rate: Annotated[float, typer.Option(help="expected success rate of the baseline arm")],
    delta: Annotated[float, typer.Option(help="change to detect, e.g. -0.2 for negative transfer")],
    trials: Annotated[int | None, typer.Option(help="planned trials per arm and target: report the power")] = None,
    target_power: Annotated[float, typer.Option("--power", help="wanted power, when --trials is not given")] = 0.8,
    alpha: Annotated[float, typer.Option()] = 0.05,
    alternative: Annotated[str, typer.Option(help="two-sided | less | greater")] = "two-sided",
) -> None:
    """Trials per target needed to detect a change in success rate, or the power of a planned design."""
    from ablate.stats.power import power_of, trials_needed

    how = f"normal approximation, {alternative}, α = {alpha}"
    try:
        if trials is not None:
            typer.echo(
                f"power {power_of(baseline_rate, delta, trials, alpha, alternative):.3f} with {trials} trials "
                f"per arm and target to detect {baseline_rate:g} → {baseline_rate + delta:g} ({how})"
            )
        else:
            n = trials_needed(baseline_rate, delta, target_power, alpha, alternative)
            typer.echo(
                f"{n} trials per arm and target detect {baseline_rate:g} → {baseline_rate + delta:g} with "
                f"power {target_power:g} ({how})"
            )
    except ValueError as e:
        raise InputError.single("--baseline-rate/--delta", "", str(e)) from e
