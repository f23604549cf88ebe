"""The typed results of `ablate.api`'s functions (frozen dataclasses). They hold the library's own objects where
there are some — `Plan`, `PlannedRun`, `RunStatus`, `LauncherSettings`, the report's analysis — and paths to what
was written; none of them is a file format (results.json, the manifest and the trial table are)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ablate.launch.single_run import SingleRunResult
from ablate.launch.status import DONE, FAILED, RunStatus

if TYPE_CHECKING:
    import pandas as pd

    from ablate.launch.launchers import LauncherSettings
    from ablate.spec.plan import Plan, PlannedRun

# `api.train`: one run outside a sweep — its directory, "trained" / "resumed" / "already done", what the job kind
# returned and its `metrics` (the single-run library's own result).
TrainResult = SingleRunResult

STATES = ("done", "running", "pending", "unknown", "failed", "not launched")


def _verdicts(analysis: dict | None) -> tuple[str, ...]:
    return tuple((analysis or {}).get("verdicts") or ())


def _confirmatory(analysis: dict | None) -> tuple[str, ...]:
    return tuple(((analysis or {}).get("confirmatory") or {}).get("verdicts") or ())


@dataclass(frozen=True)
class SweepStatus:
    """`api.status`: where every run of a sweep stands, in the manifest's order."""

    sweep_dir: Path
    runs: tuple[RunStatus, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Runs per state (done, running, pending, failed, not launched), states with no run left out."""
        counts = {state: sum(r.state == state for r in self.runs) for state in STATES}
        return {state: n for state, n in counts.items() if n}


@dataclass(frozen=True)
class LaunchPreview:
    """`api.dry_run`: what `run_sweep` would launch, and where; nothing was written. `tuned` is False for a spec
    with a `tune:` block that has not been tuned yet (its arms then carry the recipe's values)."""

    plan: Plan
    sweep_dir: Path
    launcher: LauncherSettings
    todo: tuple[PlannedRun, ...]
    sbatch: str | None = None  # Slurm: the run array's sbatch script
    report_sbatch: str | None = None  # Slurm, with a report: the report job's, after the array
    tuned: bool = True


@dataclass(frozen=True, eq=False)
class SweepResult:
    """`api.run_sweep` (and `api.tune`'s final comparison). `runs`: every run's status when the call returned (a
    Slurm launch without `wait` returns once the array is submitted: runs are then pending). `success`: closed-loop
    success per arm and target over all seeds (descriptive; `ablate.evaluate.trial_table.success_by_arm`), None
    when no trial was recorded. `analysis`: the report's analysis (`ablate.stats.analysis.analyse`'s result, with
    the confirmatory tests of pre-registered hypotheses), None when no report was written — the spec asks for
    none, no trial was recorded, or a planned run has no trials (`report_withheld` says which)."""

    plan: Plan
    sweep_dir: Path
    runs: tuple[RunStatus, ...]
    tracking_uri: str
    trials_dir: Path | None = None
    trial_rows: int = 0
    success: pd.DataFrame | None = field(default=None, repr=False)
    report_dir: Path | None = None
    analysis: dict[str, Any] | None = field(default=None, repr=False)
    report_withheld: str | None = None  # why the spec's report was not written: planned runs without trials

    @property
    def manifest(self) -> Path:
        return self.sweep_dir / "manifest.json"

    @property
    def failed(self) -> list[RunStatus]:
        return [r for r in self.runs if r.state == FAILED]

    @property
    def ok(self) -> bool:
        """No run failed."""
        return not self.failed

    @property
    def complete(self) -> bool:
        """Every run is done."""
        return all(r.state == DONE for r in self.runs)

    @property
    def report_written(self) -> bool:
        return self.report_dir is not None

    @property
    def report_html(self) -> Path | None:
        return self.report_dir / "report.html" if self.report_dir else None

    @property
    def verdicts(self) -> tuple[str, ...]:
        """The report's verdicts, one line each (exploratory when hypotheses were pre-registered)."""
        return _verdicts(self.analysis)

    @property
    def confirmatory(self) -> tuple[str, ...]:
        """The verdicts on the pre-registered hypotheses (empty without any)."""
        return _confirmatory(self.analysis)


@dataclass(frozen=True)
class ArmTuning:
    """One arm's matched tuning: its trials (all counted, and complete), each complete trial's value, and the best
    (None when no trial completed)."""

    arm: str
    trials: int
    complete: int
    values: dict[int, float]
    trial: int | None = None
    value: float | None = None
    params: dict[str, Any] | None = None


@dataclass(frozen=True, eq=False)
class TuneResult:
    """`api.tune`. `best_path` (`<sweep>/tune/best.json`) is None when the tuning stalled (a round in which no trial
    ended and no run was active; `runs` holds that round's trial runs). `final`: the final comparison of every arm's
    best config on all seeds, None when not asked for (`final=False`) or when an arm has no complete trial."""

    plan: Plan
    sweep_dir: Path
    tune_dir: Path
    storage: str
    trials: int
    arms: tuple[ArmTuning, ...]
    best_path: Path | None
    runs: tuple[RunStatus, ...] = ()
    final: SweepResult | None = None

    @property
    def stalled(self) -> bool:
        return self.best_path is None

    @property
    def failed_arms(self) -> list[str]:
        return [a.arm for a in self.arms if a.params is None]

    @property
    def ok(self) -> bool:
        """Tuned every arm, and the final comparison (when run) had no failed run."""
        return not self.stalled and not self.failed_arms and (self.final is None or self.final.ok)


@dataclass(frozen=True, eq=False)
class EvalResult:
    """`api.evaluate`: the trial table (one row per episode, DESIGN.md's columns) and where it was written."""

    table: pd.DataFrame = field(repr=False)
    path: Path | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """Mean success and progress per (embodiment, task)."""
        return self.table.groupby(["embodiment", "task"])[["success", "progress"]].mean()


@dataclass(frozen=True, eq=False)
class ReportResult:
    """`api.report`: the files written into `out` (report.html, report.md, tables.tex, results.json — a file that
    could not be written is in `failed` with the reason, the others still are) and the analysis behind them."""

    out: Path
    paths: tuple[Path, ...]
    analysis: dict[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def verdicts(self) -> tuple[str, ...]:
        return _verdicts(self.analysis)

    @property
    def confirmatory(self) -> tuple[str, ...]:
        return _confirmatory(self.analysis)
