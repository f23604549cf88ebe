"""The trial table (DESIGN.md): tidy, one row per evaluation episode — `sweep, arm, run, seed`, one column per
factor (its level), `embodiment, task, trial, success, progress`, plus `episode_seed, steps`. A run writes its
rows to `<run>/trials.parquet` and, inside a sweep, to `<sweep>/trials/<run id>.parquet`: the folder is the
sweep's trial table (`pandas.read_parquet(folder)` reads all parts), and one file per run keeps parallel
writers apart and a re-evaluated run replacing, never duplicating, its rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

TRIALS_DIR, RUN_TRIALS = "trials", "trials.parquet"


def write_run_trials(rows: list[dict], work_dir: Path) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    _write(table, work_dir / RUN_TRIALS)
    sweep_root = work_dir.parent.parent
    if work_dir.parent.name == "runs" and (sweep_root / "manifest.json").is_file():
        _write(table, sweep_root / TRIALS_DIR / f"{work_dir.name}.parquet")
    return table


def read_trials(path: str | Path) -> pd.DataFrame:
    """A trial table from a parquet/CSV file, a folder of parquet parts, or a sweep directory. From a sweep
    directory, only the rows of the runs its manifest plans: the folder keeps the parts of runs that an earlier
    version of the spec planned (a changed recipe gives new run ids), which are not extra seeds of this one."""
    path = Path(path)
    if path.is_dir() and (path / TRIALS_DIR).is_dir():
        table = pd.read_parquet(path / TRIALS_DIR)
        manifest = path / "manifest.json"
        if manifest.is_file():
            planned = {r["id"] for r in json.loads(manifest.read_text())["runs"]}
            table = table[table["run"].isin(planned)].reset_index(drop=True)
        return table
    if path.suffix == ".csv":
        # Identifiers stay text: task "001" is not the number 1.
        return pd.read_csv(path, dtype={c: str for c in ("sweep", "arm", "run", "embodiment", "task")})
    return pd.read_parquet(path)


def success_by_arm(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Descriptive success per arm and target: successes / trials over all seeds, and each seed's rate."""
    keys = [*factors, "embodiment", "task"]
    pooled = table.groupby(keys, sort=False)["success"].agg(successes="sum", trials="count").reset_index()
    pooled["rate"] = pooled["successes"] / pooled["trials"]
    per_seed = table.groupby([*keys, "seed"], sort=False)["success"].mean().rename("rate").reset_index()
    by_seed = per_seed.groupby(keys, sort=False)["rate"].apply(lambda r: ", ".join(f"{x:.2f}" for x in r))
    return pooled.merge(by_seed.rename("per_seed").reset_index(), on=keys)


def _write(table: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_parquet(tmp, index=False)
    tmp.replace(path)
