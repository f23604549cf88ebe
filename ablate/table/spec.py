"""The table spec's schema (DESIGN.md, "Table spec"). Unknown keys are errors, types are strict.

Only the spec's own shape is checked here; whether `rows`, `columns` and `value` name columns of the source is
checked once the source is read (`source.py`), and the reference's nesting once it is loaded (`reference.py`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from ablate.errors import InputError, Problem, join_key, pydantic_problem
from ablate.spec.yaml_lines import Document, load_yaml

AGGREGATES = ("mean", "median", "sum", "count", "min", "max")


def _as_list(value: Any) -> Any:
    """`rows: platform` is shorthand for `rows: [platform]`."""
    return [value] if isinstance(value, str) else value


Keys = Annotated[list[str], BeforeValidator(_as_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MeltSpec(_Strict):
    id_columns: Keys = Field(min_length=1)
    # Applied to every other column name as a full match; its named groups become key columns.
    pattern: str

    @field_validator("pattern")
    @classmethod
    def _named_groups(cls, pattern: str) -> str:
        try:
            compiled = re.compile(pattern)
        except re.error as e:
            raise ValueError(f"not a valid regular expression ({e})") from None
        if not compiled.groupindex:
            raise ValueError(
                "expected a regular expression with named groups, which become columns, "
                "e.g. '(?P<model>.+)_(?P<metric>SR|PS)'"
            )
        return pattern


class MarginSpec(_Strict):
    name: str
    of: Literal["rows", "columns"]


class ReferenceSpec(_Strict):
    # Largest |ours − published| that `--check` accepts, ours rounded to `decimals` first.
    tolerance: float = Field(0.0, ge=0)
    values: dict[Any, Any] | None = None  # nested by row keys, then column keys
    file: str | None = None  # relative to the spec; the same nesting under `key`
    key: str | None = None  # dotted path inside `file`

    @model_validator(mode="after")
    def _one_place(self) -> ReferenceSpec:
        if (self.values is None) == (self.file is None):
            raise ValueError("expected either values (inline) or file (+ key), not both and not neither")
        if self.key is not None and self.file is None:
            raise ValueError("key names a place inside file; give file too")
        return self


class TableSpec(_Strict):
    title: str
    note: str = ""  # printed under the table: provenance, what differs from the paper's setting
    source: str | None = None  # relative to the spec; `--source` replaces it
    melt: MeltSpec | None = None
    # Key columns a source may lack, with the level every row then has (a sweep that does not vary a factor
    # ran at the paper's default for it).
    assume: dict[str, str] = {}
    rows: Keys = Field(min_length=1)
    columns: Keys = []  # none: one column, headed by `value`
    value: str
    aggregate: Literal["mean", "median", "sum", "count", "min", "max"] = "mean"
    scale: float = 1.0  # multiplies every aggregated cell: 100 turns a 0/1 success mean into a percentage
    # On an aggregated trial table (`successes, trials` rows), the mean success or progress of a cell is over its
    # trials (Σ successes / Σ trials), as over per-trial rows; `mean_of_rows` asks for the mean of the row rates.
    rates: Literal["pooled", "mean_of_rows"] = "pooled"
    # Per key column: our level name -> the paper's label. Levels mapped to the same label are pooled.
    labels: dict[str, dict[Any, str]] = {}
    margins: MarginSpec | None = None
    decimals: int = Field(2, ge=0, le=10)
    reference: ReferenceSpec | None = None

    @property
    def keys(self) -> list[str]:
        return [*self.rows, *self.columns]


_MODELS: dict[str, type[BaseModel]] = {
    "": TableSpec,
    "melt": MeltSpec,
    "margins": MarginSpec,
    "reference": ReferenceSpec,
}


def load_table_spec(path: str | Path) -> tuple[TableSpec, Document]:
    """The validated spec and its YAML document (for line numbers in later errors)."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise InputError(doc.problem("", "expected a mapping of table spec keys (title, source, rows, …)"))
    try:
        spec = TableSpec.model_validate(doc.data)
    except ValidationError as e:
        raise InputError([pydantic_problem(doc, err, _MODELS) for err in e.errors()]) from None
    problems = _cross_checks(spec, doc)
    if problems:
        raise InputError(problems)
    return spec, doc


def key_of(doc: Document, field: str, name: str) -> str:
    """Key path of `name` in the list at dotted `field` (`columns[1]`), or `field` when written as a scalar."""
    written = doc.data
    for part in field.split("."):
        written = written.get(part) if isinstance(written, dict) else None
    if isinstance(written, list) and name in written:
        return join_key(field, written.index(name))
    return field


def _cross_checks(spec: TableSpec, doc: Document) -> list[Problem]:
    problems = []
    for name in {k for k in spec.keys if spec.keys.count(k) > 1}:
        problems.append(doc.problem("columns", f"'{name}' is used more than once across rows and columns"))
    for field in ("labels", "assume"):
        for name in getattr(spec, field):
            if name not in spec.keys:
                problems.append(
                    doc.problem(join_key(field, name), f"expected a row or column key ({', '.join(spec.keys)})")
                )
    if spec.margins and spec.margins.of == "columns" and not spec.columns:
        problems.append(doc.problem("margins.of", "a margin column needs `columns`; this table has one column"))
    if spec.value in spec.keys:
        problems.append(doc.problem("value", f"'{spec.value}' is also a row or column key; expected a value column"))
    return problems
