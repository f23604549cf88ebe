"""The sweep folder's layout: the one place that names its files and folders. Names and paths only (no I/O), so
every layer may import it: launch writes the folder, the jobs and evaluation fill the run dirs and the trial table,
report, tune, table, blind and the CLI read it.

<sweep>/spec.yaml              the spec as written
<sweep>/manifest.json          plan (arms, runs, budgets) + every arm's resolved config
<sweep>/preregistration.json   with hypotheses: the frozen spec content, its hash and the run ids (first launch)
<sweep>/mlflow.db              default tracking store (sqlite)
<sweep>/submitit/              scheduler logs
<sweep>/runs/<run id>/         a run's work dir: run.json, ledger.json, state.json, launch.json, checkpoints/,
                               trials.parquet
<sweep>/trials/<run id>.parquet  the sweep's trial table, one part per run
<sweep>/report/                the sweep's report
<sweep>/tune/                  `ablate tune`: optuna.db, best.json, and the tuning trials' own sweep folder
"""

from __future__ import annotations

from pathlib import Path

SPEC = "spec.yaml"
MANIFEST = "manifest.json"
PREREGISTRATION = "preregistration.json"
MLFLOW_DB = "mlflow.db"
SUBMITIT_DIR = "submitit"
RUNS_DIR = "runs"
TRIALS_DIR = "trials"
OFFLINE_DIR = "offline"  # the trial table's offline companion: one part per run (ablate/offline_table.py)
REPORT_DIR = "report"
TUNE_DIR = "tune"
TUNE_STORAGE = "optuna.db"
TUNE_BEST = "best.json"
DRIVER_LOCK = ".driver.lock"  # held by the one `ablate run` driving the sweep (its pid inside)

# In a run's work dir.
RUN_FILE = "run.json"
LEDGER_FILE = "ledger.json"
STATE_FILE = "state.json"
LAUNCH_FILE = "launch.json"
CHECKPOINTS_DIR = "checkpoints"
RUN_LOCK = ".lock"  # flock held by the one job training the run (ablate/jobs/run_lock.py)
RUN_TRIALS = "trials.parquet"
RUN_OFFLINE = "offline.parquet"


def run_dir(sweep_root: Path, run_id: str) -> Path:
    return Path(sweep_root) / RUNS_DIR / run_id


def trial_part(sweep_root: Path, run_id: str) -> Path:
    """A run's part of its sweep's trial table."""
    return Path(sweep_root) / TRIALS_DIR / f"{run_id}.parquet"


def offline_part(sweep_root: Path, run_id: str) -> Path:
    """A run's part of its sweep's offline companion table."""
    return Path(sweep_root) / OFFLINE_DIR / f"{run_id}.parquet"


def sweep_of_run(work_dir: Path) -> Path | None:
    """The sweep folder a run's work dir lies in (`<sweep>/runs/<run id>` with a manifest), or None."""
    work_dir = Path(work_dir)
    root = work_dir.parent.parent
    return root if work_dir.parent.name == RUNS_DIR and (root / MANIFEST).is_file() else None
