"""A dataset's files checked before anything reads them for training: `meta/info.json` (lerobot's), its description
(ablate's, found as `ablate/data/description.py` says; every feature reference checked against info.json), and every
Parquet file (readable to its end; no NaN, infinity or null in a float column).

A fault is an `InputError` naming the file, the key or column, what is wrong and what to do, so `ablate plan`,
`ablate run` and `ablate train` stop with exit 2 before writing anything, and a job that meets one anyway fails
with that sentence rather than a traceback from deep inside Hugging Face `datasets`. The data pass reads every
row of the float columns (no images): planning does it for a dataset of up to `PLAN_ROWS_BYTES` (else it reads
each file's footer only), a job and `ablate train` always. It runs once per process and dataset content (the key
is every file's size and modification time, as for the statistics cache).

Planning imports this module: it must not import torch (nor lerobot, which does).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ablate.data.description import DatasetDescription, find_description
from ablate.data.features import FeatureRef, FeatureRefError
from ablate.errors import InputError, Problem

INFO_FILE = Path("meta") / "info.json"
MAX_PROBLEMS = 10  # a dataset with NaN in every file is reported by its first files, and a count of the others

_RECREATE = "restore it from the dataset's source, or record (or convert) the dataset again with lerobot"
_REWRITE = "fix or drop those frames and rewrite the file, or record the dataset again"

# Keys of meta/info.json that lerobot's `DatasetInfo` needs, and their JSON types.
_INFO_KEYS: dict[str, type] = {
    "codebase_version": str,
    "fps": int,
    "features": dict,
    "total_episodes": int,
    "total_frames": int,
    "data_path": str,
}

_INDEX_COLUMNS = ("episode_index", "frame_index")  # what names a row of a data file: its episode and frame

PLAN_ROWS_BYTES = 2**30  # planning reads the rows of datasets whose data files total at most this (1 GiB)

_found: dict[tuple, list[Problem]] = {}  # this process's verdicts, by `_content_key` and `rows`


def check_dataset(root: Path, rows: bool = True, description: Path | None = None) -> DatasetDescription:
    """The dataset's description, once its files are found sound; InputError naming the first faults otherwise.
    `rows`: read every row of the float columns of data/ (NaN, infinity, null), not only each file's footer.
    `description`: the description file the config names for it (else the one found beside or inside it)."""
    root = Path(root)
    info = read_info(root)
    path = find_description(root, description)
    found = DatasetDescription.load(path)
    _check_description(path, found, info)
    key = (_content_key(root), rows)
    if key not in _found:
        _found[key] = _parquet_problems(root, rows)
    _raise_if(_found[key])
    return found


def rows_at_plan(root: Path) -> bool:
    """Whether planning reads every row of this dataset: yes for one up to `PLAN_ROWS_BYTES` of data files; a larger
    one has its rows read when a job loads it (a sweep's runs then fail with the same message)."""
    return sum(p.stat().st_size for p in (Path(root) / "data").rglob("*.parquet")) <= PLAN_ROWS_BYTES


def read_info(root: Path) -> dict:
    """meta/info.json as lerobot reads it: a JSON object with the keys and types `DatasetInfo` needs."""
    path = root / INFO_FILE
    if not path.is_file():
        raise InputError.single(path, "", f"no such file: {root} is not a LeRobot dataset (v3); {_RECREATE}")
    try:
        info = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError.single(path, "", f"not valid JSON ({e}): the file is damaged; {_RECREATE}") from None
    if not isinstance(info, dict):
        raise InputError.single(path, "", f"expected a JSON object, got {type(info).__name__}; {_RECREATE}")
    problems = [Problem(str(path), key, message) for key, message in _info_problems(info)]
    _raise_if(problems)
    return info


def _info_problems(info: dict) -> list[tuple[str, str]]:
    out = []
    for key, kind in _INFO_KEYS.items():
        if key not in info:
            out.append((key, f"required key is missing (lerobot cannot open the dataset without it); {_RECREATE}"))
        elif not isinstance(info[key], kind) or isinstance(info[key], bool):
            out.append((key, f"expected {_json_type(kind)}, got {info[key]!r}; {_RECREATE}"))
    features = info.get("features")
    for name, feature in features.items() if isinstance(features, dict) else []:
        if not (isinstance(feature, dict) and isinstance(feature.get("dtype"), str) and "shape" in feature):
            out.append((f"features.{name}", f"expected an object with 'dtype' and 'shape', got {feature!r}"))
    return out


def _json_type(kind: type) -> str:
    return {str: "a string", int: "an integer", dict: "an object"}.get(kind, kind.__name__)


def _check_description(path: Path, description: DatasetDescription, info: dict) -> None:
    """The description's embodiment is known and every feature it references is in the dataset, with the values
    it takes (by range, index or name)."""
    from ablate.data.embodiments import embodiment

    problems = []
    try:
        embodiment(description.embodiment)
    except KeyError as e:
        problems.append(Problem(str(path), "embodiment", e.args[0]))
    features = info["features"]
    for side in ("state", "action"):
        recorded = getattr(description, side)
        for key in ("joints", "grippers", "eef"):
            for i, ref in enumerate(getattr(recorded, key) or []):
                try:
                    FeatureRef.parse(ref).indices(features)
                except FeatureRefError as e:
                    problems.append(Problem(str(path), f"{side}.{key}[{i}]", str(e)))
    for key, names in (("cameras", description.cameras), ("environment_state", [description.environment_state])):
        for name in (n for n in names if n):
            if name not in features:
                listed = ", ".join(sorted(features))
                problems.append(
                    Problem(str(path), key, f"{name!r} is not a feature of the dataset ({INFO_FILE} lists: {listed})")
                )
    if not problems:  # every reference resolves: their widths against the embodiment, from info.json alone
        from ablate.data.recorded import RecordedError, check_widths, reference_widths

        try:
            check_widths(description, embodiment(description.embodiment), reference_widths(description, features))
        except RecordedError as e:
            problems.append(Problem(str(path), "", str(e)))
    _raise_if(problems)


def _content_key(root: Path) -> tuple:
    files = sorted(p for d in ("meta", "data") for p in (root / d).rglob("*") if p.is_file())
    return (str(root.resolve()), *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))


def _parquet_problems(root: Path, rows: bool) -> list[Problem]:
    """Every Parquet file of the dataset readable (its footer; with `rows`, the whole of each meta/ file and the
    float columns of each data/ file, which must then hold no NaN, infinity or null)."""
    out = []
    for path in sorted((root / "meta").rglob("*.parquet")) + sorted((root / "data").rglob("*.parquet")):
        out += _file_problems(path, rows, finite=path.is_relative_to(root / "data"))
    return out


def _file_problems(path: Path, rows: bool, finite: bool) -> list[Problem]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)  # reads the footer: a file cut short has none
        if not rows:
            return []
        names = parquet.schema_arrow.names
        columns = [f.name for f in parquet.schema_arrow if finite and _is_float(f.type)]
        # A data file: its float columns and the indices that name a row; a meta/ file: read whole, to its end.
        table = parquet.read(columns=[*columns, *(c for c in _INDEX_COLUMNS if c in names)] if finite else None)
    except (pa.ArrowException, OSError) as e:
        message = f"cannot be read as Parquet ({e}); the file is damaged (cut short by an interrupted copy?): "
        return [Problem(str(path), "", message + "copy it again from the dataset's source, or record it again")]
    return [p for c in columns if (p := _non_finite(path, table, c))]


def _is_float(kind) -> bool:
    import pyarrow as pa

    while pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        kind = kind.value_type
    return pa.types.is_floating(kind)


def _non_finite(path: Path, table, column: str) -> Problem | None:
    """The rows of a float column (scalar or list per row) holding NaN, infinity or null, named by the first."""
    bad = _bad_rows(table[column].combine_chunks())
    if not bad.size:
        return None
    first = int(bad[0])
    where = ", ".join(
        f"{k.removesuffix('_index')} {table[k][first].as_py()}" for k in _INDEX_COLUMNS if k in table.column_names
    )
    message = (
        f"{bad.size} of {table.num_rows} rows hold NaN, infinity or null, the first at {where or f'row {first}'}; "
        + _REWRITE
    )
    return Problem(str(path), column, message)


def _bad_rows(array) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    values, rows = array, np.arange(len(array))
    while isinstance(values, pa.ListArray | pa.LargeListArray | pa.FixedSizeListArray):
        rows = rows[np.asarray(pc.list_parent_indices(values))]
        values = pc.list_flatten(values)
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls inside a list come back as NaN
    bad[np.unique(rows[~np.isfinite(numbers)])] = True
    return np.flatnonzero(bad)


def _raise_if(problems: list[Problem]) -> None:
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], Problem(problems[0].file, "", f"and {more} more problems like these")]
    if problems:
        raise InputError(problems)
