"""Reports from Python: the statistics of any trial table, written as report.html, report.md, tables.tex and
results.json. Torch-free."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ablate import atomic
from ablate.api.results import ReportResult
from ablate.errors import InputError
from ablate.layout import MANIFEST, OFFLINE_DIR, TRIALS_DIR
from ablate.trials import has_trials

if TYPE_CHECKING:
    import pandas as pd


def report(
    trials: str | Path | pd.DataFrame,
    *,
    baseline: str,
    out: str | Path,
    by: Sequence[str] = (),
    margin: float | None = None,
    alpha: float = 0.05,
    rate_ci: str = "wilson",
    delta_ci: str = "newcombe",
    exact_test: str = "boschloo",
    correction: str = "holm",
    pairs: str = "baseline",
    cmh_continuity: bool = True,
    resamples: int = 10_000,
    seed: int = 0,
    title: str | None = None,
    preregistration: str | Path | None = None,
    partial: bool = False,
) -> ReportResult:
    """Rates, transfer deltas, negative-transfer and pooled tests of every arm against `baseline`, written to `out`.

    `trials`: a trial table — a parquet/CSV file, a folder of parts, a sweep directory (only its plan's runs), or a
    DataFrame in the trial-table shape (per trial, or aggregated `successes, trials`). `baseline`: an arm name, or
    FACTOR=LEVEL (e.g. `mixture=target_only`; the other factors are then held fixed). `by`: columns grouping the
    targets for pooled tests. A sweep directory's pre-registered hypotheses (or those in `preregistration`) are
    tested as declared, the rest marked exploratory. The options are `ablate report`'s flags; bad input raises
    `InputError`. A file that cannot be written is named in `ReportResult.failed` (the others are written). A sweep
    directory whose planned runs have not all written trials is refused (`InputError`) unless `partial`: then every
    file names the missing runs and what that does to the pairing (`ablate/report/incomplete.py`).

    A sweep directory whose runs also measured their offline error (`ablate.offline_table`) gets an "Offline error"
    section; one with offline errors but no closed-loop trials is compared on them alone (`ablate/report/offline.py`:
    only `alpha`, `correction`, `title` and `partial` apply, another option is an `InputError`); one with neither is
    an `InputError` ("no trials and no offline metrics")."""
    from ablate.report.incomplete import incompleteness
    from ablate.report.sweep import add_confirmatory
    from ablate.report.write import write_report
    from ablate.stats import proportions, significance
    from ablate.stats.analysis import Options, analyse
    from ablate.trials import validate_trials

    given = _is_table(trials)
    if not given and _offline_only(Path(trials)):
        unused = {
            "--by": any(str(b).strip() for b in ([by] if isinstance(by, str) else by)),
            "--margin": margin is not None,
            "--rate-ci": rate_ci != "wilson",
            "--delta-ci": delta_ci != "newcombe",
            "--exact-test": exact_test != "boschloo",
            "--pairs": pairs != "baseline",
            "--no-cmh-continuity": not cmh_continuity,
            "--resamples": resamples != 10_000,
            "--preregistration": preregistration is not None,
        }
        if any(unused.values()):
            raise InputError.single(
                ", ".join(f for f, on in unused.items() if on),
                "",
                f"{trials} has no closed-loop trials, only offline errors: its report compares the arms' errors "
                "(t interval, Wilcoxon, --correction, --alpha); these flags belong to a report on success",
            )
        return _offline(Path(trials), baseline, Path(out), title, alpha, correction, partial)
    table = trials if given else read_table(Path(trials))
    if given:
        validate_trials(table, "DataFrame")  # a file's rows were checked as it was read
    source = "DataFrame" if given else Path(trials)
    gap = None if given else incompleteness(source)
    if gap is not None and not partial:
        raise InputError.single(
            source,
            "",
            f"the sweep is incomplete: {gap.summary()}. A report on the others loses their paired seeds; relaunch "
            "them (`ablate run` on the spec adopts what is done), or pass --partial to report on the runs that "
            "finished, with every page naming the missing ones",
        )
    design = make_design(table, baseline, by, source)
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
    result = analyse(table, design, options, source=str(source))
    record = Path(preregistration) if preregistration is not None else None
    if not given or record is not None:  # a DataFrame holds no pre-registration of its own
        add_confirmatory(result, table, source, options, record)
    if pairs == "all":
        from ablate.stats.counts import cells
        from ablate.stats.pairs import all_pairs
        from ablate.stats.verdicts import pairs_lines

        result["pairs"] = all_pairs(cells(table, design, str(source)), design, options)
        result["verdicts"] += pairs_lines(result["pairs"])
    if not given:  # the runs' offline error on held-out episodes, where they measured it: its own section
        from ablate.report.offline import sweep_offline

        offline = sweep_offline(Path(trials), baseline, alpha, correction) if Path(trials).is_dir() else None
        if offline is not None:
            result["offline"] = offline
    if gap is not None:
        result["incomplete"] = gap.to_json()
    name = "trial table" if given else source.name
    written = write_report(result, Path(out), title or f"ablate report: {name}")
    return ReportResult(Path(out), tuple(written.paths), result, tuple(written.warnings), dict(written.failed))


def read_table(path: Path) -> pd.DataFrame:
    """A trial table from a parquet/CSV file, a folder of parts or a sweep directory; InputError when unreadable."""
    from ablate.trials import read_trials

    if not path.exists():
        raise InputError.single(path, "", "no such file or folder; expected a trial table (parquet/CSV) or sweep dir")
    if (path / MANIFEST).is_file() and not has_trials(path):
        from ablate.offline_table import has_offline

        if not has_offline(path):
            planned = len((atomic.read_json(path / MANIFEST) or {}).get("runs", []))
            raise InputError.single(
                path,
                "",
                f"no trials and no offline metrics: none of the sweep's {planned} planned runs has written closed-loop "
                f"trials ({TRIALS_DIR}/, from eval.targets) or offline errors on held-out episodes ({OFFLINE_DIR}/, "
                "from data.val_fraction > 0); `ablate status` shows whether they are still running or failed",
            )
    try:
        return read_trials(path)
    except (OSError, ValueError) as e:
        raise InputError.single(path, "", f"cannot read a trial table here: {e}") from e


def make_design(table: pd.DataFrame, baseline: str, by: Sequence[str] | str, source):
    """The comparison design: against an arm, or against FACTOR=LEVEL with the other factors as strata."""
    from ablate.stats.counts import Design
    from ablate.trials import NOT_FACTORS

    items = by.split(",") if isinstance(by, str) else by
    groups = tuple(c.strip() for c in items if c.strip())
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


def _offline_only(path: Path) -> bool:
    """A sweep without closed-loop trials whose runs measured their offline error (`ablate.offline_table`)."""
    from ablate.offline_table import has_offline

    return path.is_dir() and not has_trials(path) and has_offline(path)


def _offline(
    path: Path, baseline: str, out: Path, title: str | None, alpha: float, correction: str, partial: bool
) -> ReportResult:
    """The sweep's arms compared on their offline error on held-out episodes (`ablate/report/offline.py`)."""
    from ablate.offline_table import missing_offline, read_offline
    from ablate.report.incomplete import Incomplete
    from ablate.report.offline import offline_report
    from ablate.stats import significance

    if correction not in significance.CORRECTIONS:
        raise InputError.single("--correction", "", f"expected one of {', '.join(significance.CORRECTIONS)}")
    if not 0 < alpha < 1:
        raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
    missing = missing_offline(path)
    gap = None
    if missing:
        gap = Incomplete(len(atomic.read_json(path / MANIFEST)["runs"]), tuple(missing), "offline errors")
        if not partial:
            raise InputError.single(
                path, "", f"the sweep is incomplete: {gap.summary()}; relaunch them, or pass --partial"
            )
    report = offline_report(
        read_offline(path), baseline, out, title or f"ablate report: {path.name} (offline error)", alpha,
        correction, path, gap,
    )  # fmt: skip
    return ReportResult(out, report.paths, report.result)


def _is_table(obj) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "groupby")
