"""Published values: inline or from a YAML file under a dotted key, nested by row keys then column keys; a margin's
name stands for its whole key. A reference that does not fit the table is exit 2 with where it went wrong."""

from __future__ import annotations

import pytest

from ablate.table.paper_table import build
from tests.conftest import run_cli
from tests.table.helpers import SPEC, marked_line, write_small

PUBLISHED = """\
paper:
  table:
    P: {SR: {A: 15, B: 1.5}}
    Q:
      SR: {A: 40}
      PS: 9  # <-
"""


def test_inline_values_are_read_by_row_then_column_keys_with_the_margin_name_for_the_whole_key(tmp_path):
    spec = SPEC.replace("name: Average", "name: Mean").replace("Average:", "Mean:")
    table = build(write_small(tmp_path, spec))
    assert table.published == {
        (("P",), ("SR", "A")): 15.0,
        (("P",), ("SR", "B")): 1.5,
        (("Mean",), ("SR", "A")): 27.5,
        (("Mean",), ("PS", "B")): 7.5,
    }
    assert table.rows == [("P",), ("Q",), ("Mean",)]  # published order, then ours, the margin last


def test_a_reference_file_is_relative_to_the_spec_and_read_under_its_key(tmp_path):
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "published.yaml").write_text(PUBLISHED.replace("PS: 9  # <-", "PS: {B: 9}"))
    spec = SPEC.split("reference:")[0] + "reference: {file: ../ref/published.yaml, key: paper.table}\n"
    table = build(write_small(tmp_path / "specs", spec))
    assert table.published[(("Q",), ("PS", "B"))] == 9.0
    assert table.published_from == "../ref/published.yaml: paper.table"


@pytest.mark.parametrize(
    ("published", "where", "message"),
    [
        (PUBLISHED, "paper.table.Q.PS", "expected a mapping by model, numbers inside (got 9)"),
        (
            PUBLISHED.replace("PS: 9  # <-", "PS: {B: 9}").replace("A: 40}", "A: forty}  # <-"),
            "paper.table.Q.SR.A",
            "expected a number for Q / SR / A (got 'forty')",
        ),
    ],
    ids=["too_shallow", "not_a_number"],
)
def test_a_reference_file_that_does_not_fit_names_its_own_line_and_key(tmp_path, published, where, message):
    ref = tmp_path / "published.yaml"
    ref.write_text(published)
    spec = write_small(tmp_path, SPEC.split("reference:")[0] + "reference: {file: published.yaml, key: paper.table}\n")
    result = run_cli("table", spec)
    assert result.code == 2, result.stderr
    assert f"error: {ref}:{marked_line(ref)}: {where}: {message}" in result.stderr


def test_a_missing_key_or_file_names_the_spec_key(tmp_path):
    (tmp_path / "published.yaml").write_text(PUBLISHED)
    reference = "reference:\n  file: published.yaml\n  key: paper.tabel  # <-\n"
    spec = write_small(tmp_path, SPEC.split("reference:")[0] + reference)
    result = run_cli("table", spec)
    assert result.code == 2
    assert f"{spec}:{marked_line(spec)}: reference.key: " in result.stderr
    assert "has no 'tabel' under paper (it has: table)" in result.stderr
    spec.write_text(spec.read_text().replace("file: published.yaml", "file: nope.yaml"))
    result = run_cli("table", spec)
    assert result.code == 2 and "reference.file: " in result.stderr and "nope.yaml does not exist" in result.stderr


def test_inline_values_too_deep_point_at_the_spec(tmp_path):
    spec = write_small(tmp_path, SPEC.replace("    P: {SR: {A: 15, B: 1.5}}", "    P: {SR: {A: {x: 15}}}  # <-"))
    result = run_cli("table", spec)
    assert result.code == 2
    assert f"{spec}:{marked_line(spec)}: reference.values.P.SR.A: expected a number for P / SR / A" in result.stderr


def test_no_source_and_no_reference_is_bad_input(tmp_path):
    spec = write_small(tmp_path, "title: t\nrows: platform\nvalue: value\n")
    result = run_cli("table", spec)
    assert result.code == 2 and "nothing to show" in result.stderr
