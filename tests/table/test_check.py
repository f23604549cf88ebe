"""`--check`: exit 0 when every published cell is reproduced within the tolerance, else exit 1 naming each cell
(row, column, ours, published, difference), including published cells we have no number for."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.table.helpers import SPEC, write_small


def test_check_passes_when_every_published_cell_is_reproduced(tmp_path):
    result = run_cli("table", write_small(tmp_path), "--check")
    assert result.code == 0, result.stderr
    assert "check passed: all 4 published cells reproduced (rounded to 2 decimals, tolerance 0)" in result.stderr


def test_a_differing_cell_fails_the_check_and_is_named(tmp_path):
    spec = write_small(tmp_path, SPEC.replace("B: 1.5}", "B: 1.6}"))
    result = run_cli("table", spec, "--check")
    assert result.code == 1
    assert "check failed: 1 of 4 published cells not reproduced" in result.stderr
    assert "row P, column SR / B: ours 1.50, published 1.60, difference -0.1" in result.stderr
    assert "| P | 15.00 (15.00) | 1.50 (1.60) |" in result.stdout  # the table still prints
    assert run_cli("table", spec).code == 0  # without --check a difference is shown, not an error


def test_the_tolerance_is_inclusive_and_applies_to_the_rounded_cell(tmp_path):
    spec = SPEC.replace("B: 1.5}", "B: 1.6}").replace("  values:", "  tolerance: 0.1\n  values:")
    assert run_cli("table", write_small(tmp_path, spec), "--check").code == 0
    spec = spec.replace("tolerance: 0.1", "tolerance: 0.09")
    assert run_cli("table", write_small(tmp_path, spec), "--check").code == 1


def test_a_published_cell_without_a_computed_cell_fails_and_says_so(tmp_path):
    spec = write_small(tmp_path, SPEC.replace("    P: {SR:", "    R: {SR: {A: 3}}\n    P: {SR:"))
    result = run_cli("table", spec, "--check")
    assert result.code == 1
    assert "row R, column SR / A: no computed cell (published 3.00)" in result.stderr
    assert "| R | — (3.00) |" in result.stdout
    assert "1 published cells have no computed cell in the source (shown as —)." in result.stdout


def test_check_without_published_values_is_bad_input(tmp_path):
    spec = write_small(tmp_path, SPEC.split("reference:")[0])
    result = run_cli("table", spec, "--check")
    assert result.code == 2
    assert "--check needs published values" in result.stderr
