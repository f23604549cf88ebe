"""The trial table's offline companion: how far each run's predicted actions are from the demonstrations on
held-out episodes, in units that do not depend on the run's action frame or normalisation — so a sweep without
closed-loop evaluation (a researcher's own robot) still compares its arms (`ablate report`).

One row per (run, dataset): the run's identity columns as in the trial table (`sweep, arm, run, seed`, one column
per factor), then `embodiment, dataset, chunks` (held-out chunks measured: the same chunks for every arm, chosen by
the dataset's split seed) and the errors, each a mean over real (unpadded) chunk steps, null where the run's frame
and the dataset cannot give it:
- `joint_error_rad`: |predicted − demonstrated| absolute joint targets, per joint (joint frames);
- `eef_position_error_m`, `eef_rotation_error_rad`: distance and geodesic angle between predicted and demonstrated
  absolute EEF poses (EEF frames; joint frames too where the embodiment has forward kinematics);
- `gripper_error`: |predicted − demonstrated| gripper command, in the dataset's units.

Written to `<run>/offline.parquet` and `<sweep>/offline/<run id>.parquet`. Lower is better."""

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
    "gripper_error": "gripper command error",
}
KEY = ("embodiment", "dataset")


def write_run_offline(rows: list[dict], work_dir: Path) -> pd.DataFrame:
    """A run's offline rows, to its work dir and, when the run is part of a sweep, to the sweep's companion."""
    import pandas as pd

    table = pd.DataFrame(rows)
    atomic.write_table(Path(work_dir) / layout.RUN_OFFLINE, table)
    sweep_root = layout.sweep_of_run(work_dir)
    if sweep_root is not None:
        atomic.write_table(layout.offline_part(sweep_root, Path(work_dir).name), table)
    return table


def has_offline(path: str | Path) -> bool:
    return any((Path(path) / layout.OFFLINE_DIR).glob("*.parquet"))


def read_offline(path: str | Path) -> pd.DataFrame:
    """A sweep's offline companion (only the runs its manifest plans), or a parquet/CSV file of such rows."""
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        table = pd.read_parquet(path / layout.OFFLINE_DIR)
        manifest = atomic.read_json(path / layout.MANIFEST)
        if manifest is not None:
            table = table[table["run"].isin({r["id"] for r in manifest["runs"]})].reset_index(drop=True)
    elif path.suffix == ".csv":
        table = pd.read_csv(path)
    else:
        table = pd.read_parquet(path)
    missing = [c for c in ("arm", "seed", *KEY) if c not in table.columns]
    if missing:
        raise InputError.single(
            path, ", ".join(missing), "missing: an offline table has arm, seed, embodiment, dataset"
        )
    if not any(m in table.columns for m in METRICS):
        raise InputError.single(path, "", f"no offline metric column; expected one of {', '.join(METRICS)}")
    return table


def missing_offline(path: str | Path) -> list[dict]:
    """The planned runs of a sweep that have written no offline rows."""
    manifest = atomic.read_json(Path(path) / layout.MANIFEST)
    if manifest is None:
        return []
    return [r for r in manifest["runs"] if not layout.offline_part(Path(path), r["id"]).is_file()]
