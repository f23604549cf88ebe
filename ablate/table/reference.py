"""The published cells: inline under `reference.values`, or under a dotted `key` of a YAML file (relative to the
spec), nested by row keys, then column keys, with a number at the bottom:

    AgibotG1: {SR: {pi0.5: 7.77}}      # rows: platform, columns: [metric, model]
    EEF-Rel: 75.1                      # rows: action_frame, no columns

A margin's name stands for the whole row (or column) key: `Average: {SR: {pi0.5: 13.02}}` even with two row
levels. A cell the paper did not publish is simply left out. Keys are compared as text, after `labels`.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from ablate.errors import InputError, join_key
from ablate.spec.yaml_lines import Document, load_yaml
from ablate.table.pivot import Cells, Key, margin_key
from ablate.table.spec import TableSpec


def load_reference(spec: TableSpec, doc: Document) -> tuple[Cells, str]:
    """The published cells and where they come from (for the table's caption). Empty without a reference."""
    ref = spec.reference
    if ref is None:
        return {}, ""
    if ref.values is not None:
        return flatten(ref.values, spec, doc, "reference.values"), f"{doc.path.name}: reference.values"
    path = doc.path.parent / ref.file
    if not path.is_file():
        raise InputError(doc.problem("reference.file", f"{path} does not exist; expected a YAML file"))
    ref_doc = load_yaml(path)
    node = ref_doc.data
    for i, part in enumerate(ref.key.split(".") if ref.key else []):
        if not isinstance(node, dict) or part not in node:
            so_far = ".".join(ref.key.split(".")[:i]) or "the top level"
            has = ", ".join(map(str, node)) if isinstance(node, dict) else f"a {type(node).__name__}"
            raise InputError(doc.problem("reference.key", f"{path} has no {part!r} under {so_far} (it has: {has})"))
        node = node[part]
    return flatten(node, spec, ref_doc, ref.key or ""), f"{ref.file}" + (f": {ref.key}" if ref.key else "")


def flatten(values: Any, spec: TableSpec, doc: Document, at: str) -> Cells:
    """Nested mappings → {(row key, column key): number}; `doc` and `at` locate problems."""
    n_rows, n_columns = len(spec.rows), len(spec.columns)
    margins = {"rows": margin_key(spec, "rows"), "columns": margin_key(spec, "columns")}
    cells: Cells = {}

    def walk(node: Any, row: Key, column: Key, path: list[str]) -> None:
        if len(row) < n_rows:
            level, have, margin = "rows", row, margins["rows"]
        elif len(column) < n_columns:
            level, have, margin = "columns", column, margins["columns"]
        else:
            if isinstance(node, bool) or not isinstance(node, Real):
                expected = f"a number for {' / '.join((*row, *column)) or 'the cell'}"
                raise InputError(doc.problem(join_key(at, *path), f"expected {expected} (got {node!r})"))
            cells[(row, column)] = float(node)
            return
        if not isinstance(node, dict):
            rest = spec.keys[len(row) + len(column) :]
            expected = f"a mapping by {rest[0]}" + (f", then by {', '.join(rest[1:])}" if rest[1:] else "")
            raise InputError(doc.problem(join_key(at, *path), f"expected {expected}, numbers inside (got {node!r})"))
        for raw, child in node.items():
            part = str(raw)
            # A margin's name stands for every level of its key.
            whole = margin is not None and not have and part == margin[0]
            grown = margin if whole else (*have, part)
            if level == "rows":
                walk(child, grown, column, [*path, part])
            else:
                walk(child, row, grown, [*path, part])

    walk(values, (), (), [])
    return cells
