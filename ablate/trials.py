"""The trial table (DESIGN.md, "Trial table"): the one interchange between evaluation, statistics, reports, paper
tables and blinded evaluations — its columns, and the one reader and writer of its files.

Tidy, one row per evaluation episode: `sweep, arm, run, seed`, one column per factor (its level), `embodiment,
task, trial, success` (0/1), `progress` (0..1), optionally `stage, judge, group` (and `episode_seed, steps` from the
closed loop). The aggregated form has `successes, trials` (and mean `progress`) per (arm, seed, embodiment, task)
instead of one row per trial. Every column that is not one of these is a factor.

A run writes its rows to `<run>/trials.parquet` and, inside a sweep, to `<sweep>/trials/<run id>.parquet`: the
folder is the sweep's trial table (`pandas.read_parquet(folder)` reads all parts), and one file per run keeps
parallel writers apart and a re-evaluated run replacing, never duplicating, its rows.

Every table read here is checked (`validate_trials`) before anything uses it: a CSV row cut short, a missing key,
`success` not 0/1, `progress` outside 0..1, impossible counts, or a per-trial key that appears twice (a table
concatenated with itself halves every p-value) is an `InputError` naming the file, column and rows, never a result.

Low level: it imports only `ablate.atomic`, `ablate.layout` and `ablate.errors` (and pandas when a table is read or
written), so the report, `ablate table` and `ablate blind` read trial tables without the training side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ablate import atomic, layout
from ablate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

IDENTITY = ("sweep", "arm", "run", "seed")
TARGET = ("embodiment", "task")
PER_TRIAL = ("trial", "success", "progress")
AGGREGATED = ("successes", "trials")
OPTIONAL = ("stage", "judge", "group", "episode_seed", "steps")
NOT_FACTORS = frozenset((*IDENTITY, *TARGET, *PER_TRIAL, *AGGREGATED, *OPTIONAL))
TEXT_COLUMNS = ("sweep", "arm", "run", "embodiment", "task")  # identifiers: task "001" is not the number 1
REQUIRED = ("arm", "run", "seed", "embodiment", "task", "trial", "success", "successes", "trials")  # never empty


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


def missing_runs(path: str | Path) -> list[dict]:
    """The runs a sweep's manifest plans that have written no trials (never run, failed, killed, or still running),
    each as the manifest lists it (`id, name, arm, seed`); empty for a table that is not a sweep directory. A report
    on the others is a report on part of the sweep: its paired seeds lose their partners."""
    path = Path(path)
    manifest = atomic.read_json(path / layout.MANIFEST) if path.is_dir() else None
    if manifest is None:
        return []
    return [r for r in manifest["runs"] if not layout.trial_part(path, r["id"]).is_file()]


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
    elif path.suffix == ".csv":
        _check_fields(path)
        table = pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str))
    else:
        table = pd.read_parquet(path)
    validate_trials(table, path)
    return table


def validate_trials(table: pd.DataFrame, source: str | Path = "trial table") -> None:
    """Refuse a table that would give wrong results silently: an empty key or count (`REQUIRED` columns, where
    present), values out of range (`check_values`), or a per-trial key that appears twice — (arm, run, factors, seed,
    embodiment, task, trial), the columns of these that the table has. Rows are numbered from 1, the header not
    counted. Aggregated rows that repeat a key are allowed: they are added up, and the report notes it."""
    for column in (c for c in REQUIRED if c in table.columns):
        values = table[column]
        empty = values.isna() | (values.astype(str).str.strip() == "")
        if empty.any():
            raise InputError.single(source, column, f"empty in {_rows(empty)}; every row needs its {column}")
    check_values(table, source)
    if is_aggregated(table) or "trial" not in table.columns:
        return
    factors = [c for c in table.columns if c not in NOT_FACTORS]
    keys = [c for c in ("arm", "run", *factors, "seed", "stage", *TARGET, "trial") if c in table.columns]
    repeats = table.duplicated(keys, keep=False)
    if repeats.any():
        text = table[keys].astype(str).agg("\x1f".join, axis=1).to_numpy()
        first = int(repeats.to_numpy().argmax())
        same = text == text[first]
        row = table.iloc[first]
        what = ", ".join(f"{k} {row[k]}" for k in keys if k not in (*TARGET, "trial"))
        target = "/".join(str(row[k]) for k in TARGET if k in keys)
        more = int(repeats.sum()) - int(same.sum())
        raise InputError.single(
            source,
            ", ".join(keys),
            f"{_rows(same)} repeat ({what}{', ' if what else ''}{target}, trial {row['trial']}): "
            f"each trial must appear once"
            + (f"; {more} more row(s) repeat other trials" if more else "")
            + " (was the table concatenated with itself?)",
        )


def check_values(table: pd.DataFrame, source: str | Path = "trial table") -> None:
    """`success` 0 or 1; `progress` in 0..1 (or empty: not recorded); 0 ≤ successes ≤ trials, trials ≥ 1, whole."""
    import numpy as np
    import pandas as pd

    if "success" in table.columns and not is_aggregated(table):
        bad = table["success"].notna() & ~table["success"].isin([0, 1, True, False])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = table["success"].iloc[row]
            raise InputError.single(source, f"success (row {row + 1})", f"must be 0 or 1, got {_plain(value)!r}")
    if "progress" in table.columns:
        raw = table["progress"]
        number = pd.to_numeric(raw, errors="coerce")
        bad = (raw.notna() & number.isna()) | ~(number.isna() | ((number >= 0) & (number <= 1)))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError.single(
                source,
                f"progress (row {row + 1})",
                f"must be a number in [0, 1] (or empty: not recorded), got {_plain(raw.iloc[row])!r}"
                + (f"; also {_rows(bad)}" if bad.sum() > 1 else ""),
            )
    if is_aggregated(table):
        s, n = (pd.to_numeric(table[c], errors="coerce") for c in AGGREGATED)
        bad = s.isna() | n.isna() | (n <= 0) | (s < 0) | (s > n) | (s != np.round(s)) | (n != np.round(n))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError.single(
                source,
                f"successes/trials (row {row + 1})",
                f"need 0 ≤ successes ≤ trials, trials ≥ 1, whole numbers; got {s.iloc[row]}/{n.iloc[row]}",
            )


def _plain(value):
    """A numpy scalar as Python's: `7.5`, not `np.float64(7.5)`."""
    return getattr(value, "item", lambda: value)()


def _rows(mask) -> str:
    """'row 3', 'rows 12 and 52', 'rows 1, 2, 3 … (40 rows)': 1-based, the header not counted."""
    import numpy as np

    rows = [str(i + 1) for i in np.flatnonzero(np.asarray(mask))]
    if len(rows) == 1:
        return f"row {rows[0]}"
    if len(rows) == 2:
        return f"rows {rows[0]} and {rows[1]}"
    shown = ", ".join(rows[:5])
    return f"rows {shown}" + (f" … ({len(rows)} rows)" if len(rows) > 5 else "")


def _check_fields(path: Path) -> None:
    """A CSV whose rows all have the header's number of fields: pandas fills a row cut short (a file truncated
    mid-row, a copy interrupted) with empty values and reads on."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        for record in reader:
            if record and len(record) < len(header):
                raise InputError.single(
                    path,
                    "",
                    f"line {reader.line_num} has {len(record)} of the header's {len(header)} fields "
                    f"({', '.join(header)}); the file looks cut off mid-row",
                )


def success_by_arm(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Descriptive success per arm and target: successes / trials over all seeds, and each seed's rate."""
    keys = [*factors, *TARGET]
    pooled = table.groupby(keys, sort=False)["success"].agg(successes="sum", trials="count").reset_index()
    pooled["rate"] = pooled["successes"] / pooled["trials"]
    per_seed = table.groupby([*keys, "seed"], sort=False)["success"].mean().rename("rate").reset_index()
    by_seed = per_seed.groupby(keys, sort=False)["rate"].apply(lambda r: ", ".join(f"{x:.2f}" for x in r))
    return pooled.merge(by_seed.rename("per_seed").reset_index(), on=keys)
