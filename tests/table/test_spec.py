"""Bad table specs are refused with exit 2, naming the file, the line, the key path and what was expected."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.table.helpers import SPEC, marked_line, write_small

BAD = {
    "unknown_key": (
        SPEC.replace("  pattern:", "  patern:").replace("(?P<metric>SR|PS)'", "(?P<metric>SR|PS)'  # <-"),
        "melt.patern",
        "unknown key (did you mean 'pattern'?)",
    ),
    "unknown_top_key": (
        SPEC.replace("decimals: 2", "decimal: 2  # <-"),
        "decimal",
        "unknown key (did you mean 'decimals'?); expected one of: title, note, source,",
    ),
    "bad_regex": (
        SPEC.replace("pattern: '(?P<model>[AB])_", "pattern: '(?P<model>[AB]_").replace("PS)'", "PS)'  # <-"),
        "melt.pattern",
        "not a valid regular expression (missing ), unterminated subpattern",
    ),
    "pattern_without_named_groups": (
        SPEC.replace("'(?P<model>[AB])_(?P<metric>SR|PS)'", "'([AB])_(SR|PS)'  # <-"),
        "melt.pattern",
        "expected a regular expression with named groups",
    ),
    "unknown_aggregate": (
        SPEC.replace("aggregate: mean", "aggregate: average  # <-"),
        "aggregate",
        "Input should be 'mean', 'median', 'sum', 'count', 'min' or 'max' (got 'average')",
    ),
    "label_for_a_column_that_is_no_key": (
        SPEC.replace("decimals: 2", "labels:\n  task: {1: one}  # <-"),
        "labels.task",
        "expected a row or column key (platform, metric, model)",
    ),
    "margin_column_without_columns": (
        SPEC.replace("columns: [metric, model]\n", "").replace("of: rows}", "of: columns}  # <-"),
        "margins.of",
        "a margin column needs `columns`",
    ),
    "reference_inline_and_file": (
        SPEC.replace("reference:", "reference:  # <-\n  file: published.yaml"),
        "reference",
        "expected either values (inline) or file (+ key), not both and not neither",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_a_bad_spec_is_refused_with_file_line_key_and_expectation(tmp_path, case):
    text, key, message = BAD[case]
    spec = write_small(tmp_path, text)
    result = run_cli("table", spec)
    assert result.code == 2, result.stdout + result.stderr
    assert f"error: {spec}:{marked_line(spec)}: {key}:" in result.stderr
    assert message in result.stderr
    assert not result.stdout


def test_a_spec_that_is_not_yaml_or_not_a_mapping_is_refused(tmp_path):
    spec = write_small(tmp_path, "- just\n- a list\n")
    result = run_cli("table", spec)
    assert result.code == 2
    assert f"{spec}: expected a mapping of table spec keys" in result.stderr
    missing = run_cli("table", tmp_path / "nope.yaml")
    assert missing.code == 2 and "nope.yaml: cannot read the file" in missing.stderr
