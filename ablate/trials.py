"""The trial table (DESIGN.md, "Trial table"): the one interchange between evaluation, statistics, reports, paper
tables and blinded evaluations — its columns, and the one reader and writer of its files.

Tidy, one row per evaluation episode: `sweep, arm, run, seed`, one column per factor (its level), `embodiment,
task, trial, success` (0/1), `progress` (0..1), optionally `stage, judge, group` (and `episode_seed, steps` from the
closed loop). The aggregated form has `successes, trials` (and mean `progress`) per (arm, seed, embodiment, task)
instead of one row per trial. Every column that is not one of these is a factor.

A run writes its rows to `<run>/trials.parquet` and, inside a sweep, to `<sweep>/trials/<run id>.parquet`: the
folder is the sweep's trial table (`pandas.read_parquet(folder)` reads all parts), and one file per run keeps
parallel writers apart and a re-evaluated run replacing, never duplicating, its rows.

Low level: it imports only `ablate.atomic` and `ablate.layout` (and pandas when a table is read or written), so the
report, `ablate table` and `ablate blind` read trial tables without the training side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ablate import atomic, layout

if TYPE_CHECKING:
    import pandas as pd

IDENTITY = ("sweep", "arm", "run", "seed")
TARGET = ("embodiment", "task")
PER_TRIAL = ("trial", "success", "progress")
AGGREGATED = ("successes", "trials")
OPTIONAL = ("stage", "judge", "group", "episode_seed", "steps")
NOT_FACTORS = frozenset((*IDENTITY, *TARGET, *PER_TRIAL, *AGGREGATED, *OPTIONAL))
TEXT_COLUMNS = ("sweep", "arm", "run", "embodiment", "task")  # identifiers: task "001" is not the number 1


def is_aggregated(table: pd.DataFrame) -> bool:
    """The aggregated form: `successes, trials` per row instead of one row per trial."""
    return set(AGGREGATED) <= set(table.columns)


def write_run_trials(rows: list[dict], work_dir: Path) -> pd.DataFrame:
    """A run's trials, to its work dir and, when the run is part of a sweep, to the sweep's trial table."""
    import pandas as pd

    table = pd.DataFrame(rows)
    atomic.write_table(Path(work_dir) / layout.RUN_TRIALS, table)
    sweep_root = layout.sweep_of_run(work_dir)
    if sweep_root is not None:
        atomic.write_table(layout.trial_part(sweep_root, Path(work_dir).name), table)
    return table


def has_trials(sweep_root: Path) -> bool:
    """Whether any run of the sweep has written its part of the trial table."""
    return any((Path(sweep_root) / layout.TRIALS_DIR).glob("*.parquet"))


def read_trials(path: str | Path) -> pd.DataFrame:
    """A trial table from a parquet/CSV file, a folder of parquet parts, or a sweep directory. From a sweep
    directory, only the rows of the runs its manifest plans: the folder keeps the parts of runs that an earlier
    version of the spec planned (a changed recipe gives new run ids), which are not extra seeds of this one."""
    import pandas as pd

    path = Path(path)
    if path.is_dir() and (path / layout.TRIALS_DIR).is_dir():
        table = pd.read_parquet(path / layout.TRIALS_DIR)
        manifest = atomic.read_json(path / layout.MANIFEST)
        if manifest is not None:
            planned = {r["id"] for r in manifest["runs"]}
            table = table[table["run"].isin(planned)].reset_index(drop=True)
        return table
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str))
    return pd.read_parquet(path)


def success_by_arm(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Descriptive success per arm and target: successes / trials over all seeds, and each seed's rate."""
    keys = [*factors, *TARGET]
    pooled = table.groupby(keys, sort=False)["success"].agg(successes="sum", trials="count").reset_index()
    pooled["rate"] = pooled["successes"] / pooled["trials"]
    per_seed = table.groupby([*keys, "seed"], sort=False)["success"].mean().rename("rate").reset_index()
    by_seed = per_seed.groupby(keys, sort=False)["rate"].apply(lambda r: ", ".join(f"{x:.2f}" for x in r))
    return pooled.merge(by_seed.rename("per_seed").reset_index(), on=keys)
