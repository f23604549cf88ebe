"""The thin CLI faces over `ablate.api` — `ablate plan`, `run`, `status`, `tune` — as a user sees them: what they
print, the files they write, exit code 2 with a one-line error for bad input (no traceback), exit 0 otherwise.
Sweeps run on the in-process (debug) launcher with the small regression job."""

from __future__ import annotations

import json

import pytest

from tests.conftest import assert_no_torch, run_cli

TINY = """
name: tiny
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
launcher: {kind: debug}
"""


@pytest.fixture
def spec(project, monkeypatch):
    monkeypatch.chdir(project.root)
    return project.spec(TINY)


def _refused(out, *words: str) -> None:
    assert out.code == 2, out.stdout + out.stderr
    assert out.stderr.startswith("error: ") and "Traceback" not in out.stderr, out.stderr
    for word in words:
        assert word in out.stderr, out.stderr


def test_plan_prints_the_arms_and_budgets_or_json_and_refuses_a_bad_spec(project, spec):
    human = run_cli("plan", spec)
    assert human.code == 0, human.stderr
    assert "2 arms × 1 seeds = 2 runs; budget 320 samples per run, matched within 1%" in human.stdout
    assert "main: 10 steps × 32 = 320 samples" in human.stdout
    as_json = json.loads(run_cli("plan", spec, "--json").stdout)
    assert [a["name"] for a in as_json["arms"]] == ["0.001", "0.003"] and len(as_json["runs"]) == 2
    _refused(run_cli("plan", project.spec(TINY.replace("seeds:", "sedes:"), name="typo.yaml")), "typo.yaml", "sedes")
    assert_no_torch(project.root, "plan", spec)
    assert not (project.root / "sweeps").exists()


def test_run_dry_run_writes_nothing_and_a_bad_launcher_is_refused(project, spec):
    dry = run_cli("run", spec, "--dry-run", "--launcher", "local")
    assert dry.code == 0, dry.stderr
    assert "dry run: would launch 2 of 2 runs on local into " in dry.stdout
    _refused(run_cli("run", spec, "--launcher", "cloud"), "--launcher", "expected debug, local or slurm")
    assert_no_torch(project.root, "run", spec, "--dry-run")
    assert not (project.root / "sweeps").exists()


def test_run_prints_progress_and_the_runs_then_status_reads_them_and_a_rerun_launches_nothing(project, spec):
    sweep = project.root / "sweeps" / "tiny"
    first = run_cli("run", spec)
    assert first.code == 0, first.stdout + first.stderr
    out = first.stdout
    assert "tiny: 2 runs — 0 done, 0 running or pending (adopted), 2 to launch on debug" in out
    assert "done   0.001-s0  val_loss=" in out and "done   0.003-s0  val_loss=" in out
    assert f"sweep dir: {sweep.resolve()}" in out and f"next: ablate status {sweep.resolve()}" in out
    assert "trials:" not in out and "report:" not in out  # the regression job records no closed-loop trials

    rows = json.loads(run_cli("status", sweep, "--json").stdout)
    assert [(r["name"], r["state"], r["consumed"], r["planned"]) for r in rows] == [
        ("0.001-s0", "done", 320, 320),
        ("0.003-s0", "done", 320, 320),
    ]
    human = run_cli("status", sweep)
    assert human.code == 0 and human.stdout.rstrip().endswith("2 done")

    again = run_cli("run", spec)
    assert again.code == 0 and "2 done, 0 running or pending (adopted), 0 to launch" in again.stdout


def test_status_of_a_folder_that_is_not_a_sweep_is_refused(project):
    _refused(run_cli("status", project.root), "not a sweep directory")


def test_tune_refuses_a_spec_without_a_tune_block_and_zero_trials(project, spec):
    _refused(run_cli("tune", spec), "tune:", "no tune: block")
    refused = run_cli("tune", spec, "--trials", "0")
    assert refused.code == 2 and "Traceback" not in refused.stderr
    assert not (project.root / "sweeps").exists()
