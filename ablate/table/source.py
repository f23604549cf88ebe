"""Where a table's numbers come from: a CSV or parquet file, a folder of parquet parts or a sweep directory
(anything `ablate.trials.read_trials` reads), optionally melted from a paper's wide layout (one column per
model × metric) into tidy rows, then checked against the columns the spec names.

Every problem names the spec file and key (`source`, `melt.pattern`, `columns[1]`), or the `--source` flag.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from pandas.api.types import is_numeric_dtype

from ablate.errors import InputError
from ablate.spec.yaml_lines import Document
from ablate.table.spec import MeltSpec, TableSpec, key_of
from ablate.trials import is_aggregated, read_trials

MELTED_VALUE = "value"  # a melted cell's column (DESIGN.md: "the cell becomes `value`")


def _source_path(spec: TableSpec, doc: Document, override: Path | None) -> tuple[Path | None, str]:
    """The source to read (None: the spec names none) and where it was given (for error messages)."""
    if override is not None:
        return override, "--source"
    if spec.source is None:
        return None, ""
    return doc.path.parent / spec.source, "source"


def load_source(spec: TableSpec, doc: Document, override: Path | None = None) -> pd.DataFrame | None:
    """The tidy frame the table is computed from, or None when there is no source (published values only)."""
    path, given_by = _source_path(spec, doc, override)
    if path is None:
        return None
    frame = _read(path, doc, given_by)
    if spec.melt is not None:
        frame = melt(frame, spec.melt, doc, str(path))
    for name, level in spec.assume.items():
        if name not in frame.columns:
            frame[name] = level
    if spec.value == "success" and "success" not in frame.columns and is_aggregated(frame):
        frame["success"] = frame["successes"] / frame["trials"]  # each row's rate; pivot weights it by trials
    _check_columns(frame, spec, doc, str(path))
    return frame


def melt(frame: pd.DataFrame, spec: MeltSpec, doc: Document, source: str = "the source") -> pd.DataFrame:
    """Wide → tidy: every column whose name fully matches `pattern` becomes rows; its named groups become key
    columns and its cells the `value` column. Columns that match neither `id_columns` nor the pattern are
    dropped (a paper's CSV may carry notes or totals beside the per-model columns)."""
    missing = [c for c in spec.id_columns if c not in frame.columns]
    if missing:
        key = key_of(doc, "melt.id_columns", missing[0])
        raise InputError(doc.problem(key, f"no column {missing[0]!r} in {source}; it has: {_names(frame)}"))
    pattern = re.compile(spec.pattern)
    wide = [c for c in frame.columns if c not in spec.id_columns and pattern.fullmatch(str(c))]
    if not wide:
        raise InputError(
            doc.problem("melt.pattern", f"matches none of the columns of {source} (they are: {_names(frame)})")
        )
    clash = [g for g in pattern.groupindex if g in spec.id_columns or g == MELTED_VALUE]
    if clash:
        raise InputError(
            doc.problem("melt.pattern", f"group {clash[0]!r} is also an id column or `value`; rename the group")
        )
    groups = pd.DataFrame([pattern.fullmatch(str(c)).groupdict() for c in wide], index=wide)
    tidy = frame.melt(id_vars=spec.id_columns, value_vars=wide, var_name="_wide", value_name=MELTED_VALUE)
    tidy = tidy.join(groups, on="_wide")
    return tidy[[*spec.id_columns, *groups.columns, MELTED_VALUE]]


def _read(path: Path, doc: Document, given_by: str) -> pd.DataFrame:
    def problem(message: str) -> InputError:
        if given_by == "--source":
            return InputError.single("--source", "", message)
        return InputError(doc.problem(given_by, message))

    if not path.exists():
        raise problem(f"{path} does not exist; expected a CSV or parquet file, a folder of parquet parts or a sweep")
    try:
        frame = read_trials(path)
    except InputError:
        raise  # a broken trial table: already names the file, column and rows
    except Exception as e:  # pandas/pyarrow raise many types for an unreadable file
        raise problem(f"cannot read {path} as CSV or parquet ({type(e).__name__}: {e})") from None
    if frame.empty:
        raise problem(f"{path} has no rows")
    return frame


def _check_columns(frame: pd.DataFrame, spec: TableSpec, doc: Document, source: str) -> None:
    problems = []
    for field in ("rows", "columns"):
        for name in getattr(spec, field):
            if name not in frame.columns:
                problems.append(
                    doc.problem(key_of(doc, field, name), f"no column {name!r} in {source}; it has: {_names(frame)}")
                )
    if spec.value not in frame.columns:
        problems.append(doc.problem("value", f"no column {spec.value!r} in {source}; it has: {_names(frame)}"))
    elif not is_numeric_dtype(frame[spec.value]) and spec.aggregate != "count":
        problems.append(doc.problem("value", f"column {spec.value!r} of {source} is not numeric"))
    if problems:
        raise InputError(problems)


def weighted_by_trials(frame: pd.DataFrame, spec: TableSpec) -> bool:
    """Whether a cell's mean of `spec.value` is over trials rather than over rows."""
    return (
        is_aggregated(frame)
        and spec.value in ("success", "progress")
        and spec.aggregate == "mean"
        and spec.rates == "pooled"
    )


def _names(frame: pd.DataFrame) -> str:
    return ", ".join(map(str, frame.columns))
