"""The trial table's offline companion: how far each run's predicted actions are from the demonstrations on
held-out episodes, in units that do not depend on the run's action frame or normalisation — so a sweep without
closed-loop evaluation (a researcher's own robot) still compares its arms (`ablate report`).

One row per (run, dataset), wide in the metrics:
- the run's identity as in the trial table: `sweep, arm, run, seed`, one column per factor (its level);
- `embodiment, dataset`: where it was measured (the dataset plays the trial table's `task`);
- `chunks`: how many held-out chunks were measured (the same chunks for every arm, chosen by the split seed);
- what decides WHICH chunks, so that the report can refuse to compare arms measured on different ones:
  `val_split_seed` (data.split_seed: the seeded permutation of the dataset's episodes), `val_fraction`
  (data.val_fraction: how many of them are held out), `chunk_horizon` (data.horizon: steps per chunk) and
  `chunk_frame_step` (data.frame_step);
- the errors, each the mean over the chunks of the mean over their real (unpadded) steps, null where the run's frame
  and the dataset cannot give it (the unit is in the name):
  - `joint_error_rad`: |predicted − demonstrated| absolute joint target, mean over joints (joint frames);
  - `eef_position_error_m`, `eef_rotation_error_rad`: distance and geodesic angle between the predicted and the
    demonstrated absolute EEF pose, mean over arms (EEF frames; joint frames too, through the embodiment's forward
    kinematics, where the dataset's EEF poses come from kinematics);
  - `gripper_error`: |predicted − demonstrated| gripper command, in the dataset's own units (not converted).

Written to `<run>/offline.parquet` and `<sweep>/offline/<run id>.parquet` (one part per run, atomically, as the
trial parts). Lower is better."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ablate import atomic, layout
from ablate.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

METRICS = {
    "eef_position_error_m": "EEF position error (m)",
    "eef_rotation_error_rad": "EEF rotation error (rad)",
    "joint_error_rad": "joint error (rad)",
    "gripper_error": "gripper command error (dataset units)",
}
KEY = ("embodiment", "dataset")
CHUNKS = "chunks"
# Which held-out chunks a row measured: column → the config key that set it. Rows that differ here are not
# comparable (other episodes, other steps).
SETTINGS = {
    "val_split_seed": "data.split_seed",
    "val_fraction": "data.val_fraction",
    "chunk_horizon": "data.horizon",
    "chunk_frame_step": "data.frame_step",
}
IDENTITY = ("sweep", "arm", "run", "seed")
NOT_FACTORS = frozenset((*IDENTITY, *KEY, CHUNKS, *SETTINGS, *METRICS))


def write_run_offline(rows: list[dict], work_dir: Path) -> pd.DataFrame:
    """A run's offline rows, to its work dir and, when the run is part of a sweep, to the sweep's companion."""
    import pandas as pd

    table = pd.DataFrame(rows)
    for metric in METRICS.keys() & set(table.columns):  # float64 even when all empty: parts must concatenate
        table[metric] = pd.to_numeric(table[metric]).astype("float64")
    atomic.write_table(Path(work_dir) / layout.RUN_OFFLINE, table)
    sweep_root = layout.sweep_of_run(work_dir)
    if sweep_root is not None:
        atomic.write_table(layout.offline_part(sweep_root, Path(work_dir).name), table)
    return table


def has_offline(path: str | Path) -> bool:
    return any((Path(path) / layout.OFFLINE_DIR).glob("*.parquet"))


def read_offline(path: str | Path) -> pd.DataFrame:
    """A sweep's offline companion (only the runs its manifest plans), or a parquet/CSV file of such rows; an
    `InputError` naming the file and column when it is not one."""
    import pandas as pd

    path = Path(path)
    if not path.is_dir():
        table = _read(path)
        validate_offline(table, path)
        return table
    parts = []  # each part read and checked on its own: a fault is named by its run's file
    for part in sorted((path / layout.OFFLINE_DIR).glob("*.parquet")):
        parts.append(_read(part))
        validate_offline(parts[-1], part)
    if not parts:
        raise InputError.single(path / layout.OFFLINE_DIR, "", "no offline parts (<run id>.parquet) here")
    table = pd.concat(parts, ignore_index=True)
    manifest = atomic.read_json(path / layout.MANIFEST)
    if manifest is not None:
        table = table[table["run"].isin({r["id"] for r in manifest["runs"]})].reset_index(drop=True)
    return table


def _read(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        if path.suffix == ".csv":
            return pd.read_csv(path, dtype={c: str for c in ("sweep", "arm", "run", *KEY)})
        return pd.read_parquet(path)
    except (OSError, ValueError) as e:
        raise InputError.single(path, "", f"cannot read an offline table here: {e}") from e


def validate_offline(table: pd.DataFrame, source: str | Path) -> None:
    """The key columns present and filled, at least one metric column, every metric a number ≥ 0 or empty."""
    import numpy as np
    import pandas as pd

    missing = [c for c in ("arm", "seed", *KEY) if c not in table.columns]
    if missing:
        raise InputError.single(
            source, ", ".join(missing), "missing: an offline table has arm, seed, embodiment, dataset"
        )
    for column in ("arm", "seed", *KEY):
        empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 1
            raise InputError.single(source, f"{column} (row {row})", f"empty; every row needs its {column}")
    present = [m for m in METRICS if m in table.columns]
    if not present:
        raise InputError.single(source, "", f"no offline metric column; expected one of {', '.join(METRICS)}")
    for metric in present:
        raw = table[metric]
        number = pd.to_numeric(raw, errors="coerce")
        bad = (raw.notna() & number.isna()) | (number < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError.single(
                source,
                f"{metric} (row {row + 1})",
                f"must be an error ≥ 0 (or empty: not measured), got {raw.iloc[row]!r}",
            )
        table[metric] = number


def missing_offline(path: str | Path) -> list[dict]:
    """The planned runs of a sweep that have written no offline rows."""
    manifest = atomic.read_json(Path(path) / layout.MANIFEST)
    if manifest is None:
        return []
    return [r for r in manifest["runs"] if not layout.offline_part(Path(path), r["id"]).is_file()]
