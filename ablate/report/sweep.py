"""A sweep's own report: its spec's `report:` block and pre-registered hypotheses applied to the trial table of
the runs its manifest plans, written to `<sweep>/report/`. Called at the end of `ablate run` (local) and by the
report job that a Slurm launch submits after the run array (`afterany` dependency). A sweep with runs missing from
its trial table gets no report here (`ablate/report/incomplete.py`): it is withheld, and the reason said."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ablate import atomic
from ablate.errors import InputError
from ablate.layout import PREREGISTRATION, REPORT_DIR, SPEC, TRIALS_DIR
from ablate.offline_table import has_offline
from ablate.report.incomplete import incompleteness
from ablate.trials import has_trials, read_trials

if TYPE_CHECKING:
    from ablate.spec.schema import SweepSpec


def wants_report(spec: SweepSpec) -> bool:
    return spec.report is not None or spec.hypotheses is not None


class IncompleteSweep(RuntimeError):
    """The report job's refusal: it ends FAILED, its log naming the runs missing."""


def withheld(root: Path) -> str | None:
    """Why the sweep's report is not written (runs missing from the trial table, and how to go on), or None."""
    gap = incompleteness(root)
    if gap is None:
        return None
    return (
        f"report withheld: {gap.summary()}, and a report on the others would lose their paired seeds; relaunch them "
        f"(`ablate run` on the spec adopts what is done), or write one on purpose with `ablate report {root} "
        "--partial --baseline … --out …`, which names the missing runs on every page"
    )


def sweep_report(spec: SweepSpec, root: Path, table=None) -> dict | None:
    """The report's result dict (None when the spec asks for none, no trial has been recorded, or a planned run
    has none: `withheld`). Without a `report:` block, the exploratory part compares against the first hypothesis's
    baseline."""
    if not wants_report(spec):
        return None
    if table is None and not has_trials(root) and has_offline(root):
        return _offline_sweep_report(spec, root)
    if withheld(root) is not None:
        return None
    if table is None:
        if not has_trials(root):
            return None
        table = read_trials(root)
    if table.empty:
        return None
    from ablate.report.write import write_report
    from ablate.stats.analysis import NothingToCompare, Options, analyse
    from ablate.stats.counts import Design

    report = spec.report
    baseline = report.baseline if report else spec.hypotheses.tests[0].baseline
    by = tuple(report.by) if report else ()
    factor, level = baseline.split("=")
    strata = tuple(f for f in spec.factors if f != factor and f in table.columns and f not in by)
    design = Design(column=factor, baseline=level, strata=strata, by=by)
    options = Options(margin=report.margin if report else None, resamples=report.resamples if report else 10_000)
    try:
        result = analyse(table, design, options, source=str(root / TRIALS_DIR))
    except NothingToCompare as e:  # e.g. only the baseline's runs have finished: say so, the sweep is not at fault
        print(f"no report: {e}", flush=True)
        return None
    add_confirmatory(result, table, root, options)
    from ablate.report.offline import sweep_offline

    offline = sweep_offline(root, baseline, options.alpha, options.correction)
    if offline is not None:  # the runs' offline error too: an "Offline error" section
        result["offline"] = offline
    written = write_report(result, root / REPORT_DIR, f"{spec.name}: {spec.description or 'sweep report'}")
    for line in [*written.warnings, *(f"{name} not written: {why}" for name, why in written.failed.items())]:
        print(f"report: {line}", flush=True)
    return result


def _offline_sweep_report(spec: SweepSpec, root: Path) -> dict | None:
    """A sweep without closed-loop trials: its arms compared on their offline error (`report/offline.py`), once
    every planned run has measured it."""
    from ablate.offline_table import missing_offline, read_offline
    from ablate.report.offline import offline_report

    missing = missing_offline(root)
    if missing:
        names = ", ".join(r["name"] for r in missing)
        print(f"report withheld: {len(missing)} planned runs have no offline errors ({names})", flush=True)
        return None
    baseline = spec.report.baseline if spec.report else spec.hypotheses.tests[0].baseline
    title = f"{spec.name}: {spec.description or 'sweep report'} (offline error)"
    try:
        return offline_report(read_offline(root), baseline, root / REPORT_DIR, title, 0.05, "holm", root).result
    except InputError as e:  # e.g. the arms measured on different chunks: say why, the runs themselves are done
        print(f"no report: {e}", flush=True)
        return None


def add_confirmatory(result: dict, table, source: Path, options, record_path: Path | None = None) -> None:
    """A sweep whose spec pre-registered hypotheses (`preregistration.json`, frozen at its first launch; or the file
    given): test exactly those, as declared, and mark the rest of the report exploratory."""
    if record_path is not None and not record_path.is_file():
        raise InputError.single(record_path, "", "no such file; expected a sweep's preregistration.json")
    if record_path is None and not Path(source).is_dir():
        return  # a trial-table file holds no preregistration
    path = record_path or (Path(source) / PREREGISTRATION)
    record = atomic.read_json(path) if path.is_file() else None
    if record is None:
        return
    if "hypotheses" not in record or "content" not in record:
        raise InputError.single(path, "hypotheses", "not a preregistration record (written by `ablate run`)")
    from ablate.stats.confirmatory import test_hypotheses

    factors = list(record["content"].get("factors") or {})
    result["preregistration"] = {k: record[k] for k in ("frozen_at", "content_hash", "spec")}
    result["confirmatory"] = test_hypotheses(
        table, record["hypotheses"], factors, options.resamples, options.level, options.seed, str(source)
    )


class ReportJob:
    """The Slurm job that writes a sweep's report once its run array has ended (every run done or failed)."""

    def __call__(self, sweep_root: str) -> str:
        from ablate.spec.schema import validate_spec
        from ablate.spec.yaml_lines import load_yaml

        root = Path(sweep_root)
        spec = validate_spec(load_yaml(root / SPEC))
        reason = withheld(root)
        if reason is not None and has_trials(root):
            print(reason, flush=True)
            raise IncompleteSweep(reason)  # FAILED in sacct, the reason in the job's log: never a silent part-report
        result = sweep_report(spec, root)
        if result is None:
            print("no trials recorded: no report", flush=True)  # the job's log says why there is no report
            return "no trials recorded: no report"
        lines = [*(result.get("confirmatory") or {}).get("verdicts", []), *result["verdicts"]]
        print("\n".join(lines), flush=True)
        return str(root / REPORT_DIR / "report.html")
