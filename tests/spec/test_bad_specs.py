"""The bad-spec corpus: every file in bad_specs/ must be refused with exit 2, naming the file, the line, the key
path and what was expected — and `ablate run` must write and launch nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

CORPUS = sorted((Path(__file__).parent / "bad_specs").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str, str]:
    header = path.read_text().splitlines()[0]
    line, key, message = (part.strip() for part in header.removeprefix("# expect:").split("|", 2))
    return int(line), key, message


def test_corpus_is_large():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_bad_spec_is_refused_with_file_line_key_and_expectation(spec: Path):
    line, key, message = _expectation(spec)
    result = run_cli("plan", spec)
    assert result.code == 2, result.stdout + result.stderr
    where = f"{spec}:{line}:" + (f" {key}:" if key else "")
    assert where in result.stderr, result.stderr
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize("spec", [CORPUS[0], REPO / "tests/spec/bad_specs/budget_unmatched_batch.yaml"], ids=str)
def test_run_on_a_bad_spec_writes_nothing(spec: Path, tmp_path):
    out = tmp_path / "sweep"
    result = run_cli("run", spec, "--out", out)
    assert result.code == 2
    assert not out.exists()


def test_a_negative_seed_is_bad_input_without_a_traceback(project):
    """Issue 14: `seeds: [-1, 0]` used to pass `ablate plan` (and fail later, inside a run)."""
    spec = project.spec("name: neg\nrecipe: quickstart/mlp\nseeds: [-1, 0]\nbudget: {unit: samples, per_run: 3200}\n")
    result = project.cli("plan", spec)
    assert result.code == 2, result.stdout + result.stderr
    assert f"{spec}:3: seeds[0]:" in result.stderr and "greater than or equal to 0" in result.stderr
    assert "Traceback" not in result.stderr
