"""`ablate data check DATASET`: a description validated against the data it describes — every reference resolved,
the values each role takes (ranges a researcher can recognise: radians, metres, a gripper's 0..1), the action
frames the dataset supports and why not the others."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ablate.data.checks import check_dataset, read_info
from ablate.data.description import find_description
from ablate.data.embodiments import embodiment
from ablate.data.recorded import ROLES, RecordedError, needed_features, read_robot
from ablate.data.support import frame_support
from ablate.errors import InputError


@dataclass(frozen=True)
class Inspection:
    lines: list[str]
    support: dict[str, str | None]  # action frame -> None (supported) or why not


def inspect_dataset(root: Path, description: Path | None = None) -> Inspection:
    """InputError (exit 2) for a description that does not fit the data."""
    import pyarrow.parquet as pq

    root = Path(root)
    found = find_description(root, description)
    d = check_dataset(root, rows=False, description=description)
    e = embodiment(d.embodiment)
    info = read_info(root)
    features = info["features"]
    files = sorted((root / "data").rglob("*.parquet"))
    if not files:
        raise InputError.single(root / "data", "", "no Parquet data files: the dataset holds no frames")
    wanted = needed_features(d)
    table = {k: np.concatenate([_column(pq.read_table(f, columns=[k]), k) for f in files]) for k in wanted}
    try:
        robot = read_robot(d, e, features, table)
    except RecordedError as err:
        raise InputError.single(found, "", str(err)) from None
    arms = ", ".join(
        f"{a.name}: {len(a.joints)} joints" + (f" + {a.gripper.name}" if a.gripper else "") for a in e.arms
    )
    lines = [
        f"dataset: {root} ({info.get('total_episodes')} episodes, {info.get('total_frames')} frames at "
        f"{info.get('fps')} fps)",
        f"description: {found}",
        f"embodiment: {e.name} ({e.file or 'shipped'}): {arms}",
    ]
    for role, attr in ROLES:
        values = getattr(robot, attr)
        if values is None:
            continue
        side, key = role.split(".")
        refs = ", ".join(getattr(getattr(d, side), key) or [])
        lines.append(f"  {role:<16} {refs:<32} min {_fmt(values.min(axis=0))}  max {_fmt(values.max(axis=0))}")
    lines.append(
        "instruction: "
        + (repr(d.instruction) + " for every frame" if d.instruction else "each frame's own task string")
    )
    support = frame_support(d, e)
    lines.append("action frames:")
    lines += [f"  {f:<12} {'yes' if why is None else 'no: ' + why}" for f, why in support.items()]
    return Inspection(lines, support)


def _column(table, key: str) -> np.ndarray:
    column = table.column(key).to_numpy(zero_copy_only=False)
    return np.stack(column) if column.dtype == object else column


def _fmt(values: np.ndarray) -> str:
    return "[" + " ".join(f"{v:.3g}" for v in values[:8]) + (" …" if len(values) > 8 else "") + "]"
