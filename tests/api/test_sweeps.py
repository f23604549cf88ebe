"""`ablate.api` from Python as a notebook uses it: plan, preview, run a sweep with a progress callback, read its
status, tune it; typed results, and bad input as `InputError` before anything is written. Runs use the in-process
(debug) launcher on the small regression job, so each sweep takes seconds."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ablate import api
from ablate.errors import InputError
from ablate.launch.status import RunStatus
from ablate.spec.plan import PlannedRun

TINY = """
name: tiny
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
launcher: {kind: debug}
"""

TUNED = """
name: tuned
recipe: quickstart/mlp
seeds: [0]
factors:
  mixture:
    target_only: task_a_only
    pooled: both
budget: {unit: samples, per_run: 320}
launcher: {kind: debug}
tune:
  space:
    optim.lr: {low: 0.0001, high: 0.03, log: true}
  trials: 1
  budget: {unit: samples, per_run: 160}
  seeds: [100]
  metric: val_loss
  direction: minimize
"""


@pytest.fixture
def here(project, monkeypatch):
    """Run from the project folder, as a notebook in it would (sweeps/<name> is relative to it)."""
    monkeypatch.chdir(project.root)
    return project


def test_run_sweep_reports_progress_and_returns_typed_statuses(here):
    spec = here.spec(TINY)
    plan = api.plan(spec)
    assert isinstance(plan, api.Plan) and len(plan.arms) == 2 and len(plan.runs) == 2
    events: list[api.Progress] = []

    result = api.run_sweep(plan, on_progress=events.append)

    assert isinstance(result, api.SweepResult) and result.ok and result.complete
    assert result.sweep_dir == (here.root / "sweeps" / "tiny").resolve() and result.manifest.is_file()
    assert all(isinstance(r, RunStatus) for r in result.runs)
    assert sorted((r.run.name, r.state) for r in result.runs) == [("0.001-s0", "done"), ("0.003-s0", "done")]
    assert all(r.consumed == r.planned == 320 for r in result.runs)
    assert result.tracking_uri.startswith("sqlite:///") and "mlflow.db" in result.tracking_uri
    # No closed-loop trials from the regression job: no success table, no report.
    assert result.success is None and not result.report_written and result.verdicts == ()

    assert all(isinstance(e, api.Progress) for e in events)
    start = next(e for e in events if e.kind == "start")
    assert start.message == "tiny: 2 runs — 0 done, 0 running or pending (adopted), 2 to launch on debug"
    ended = [e for e in events if e.kind == "run"]
    assert sorted(e.run.run.name for e in ended) == ["0.001-s0", "0.003-s0"]
    assert all(e.run.state == "done" and "val_loss=" in e.message for e in ended)
    last = events[-1]
    assert (last.done, last.total, last.share) == (2, 2, 1.0) and last.consumed == last.planned == 640
    with pytest.raises(dataclasses.FrozenInstanceError):
        last.done = 0  # events and results are frozen

    status = api.status(result.sweep_dir)
    assert isinstance(status, api.SweepStatus) and status.counts == {"done": 2}

    again: list[api.Progress] = []
    rerun = api.run_sweep(spec, on_progress=again.append)  # resume: nothing left to launch
    assert rerun.ok and "2 done, 0 running or pending (adopted), 0 to launch" in again[1].message
    assert {json.loads(p.read_text())["history"].__len__() for p in result.sweep_dir.glob("runs/*/launch.json")} == {1}


def test_silent_by_default_and_a_failed_run_is_a_status_not_an_exception(here, capsys):
    spec = here.spec(TINY.replace("0.003", "1.0e30"))
    result = api.run_sweep(spec)
    assert not result.ok and not result.complete
    assert [r.run.name for r in result.failed] == ["1e+30-s0"]
    assert "non-finite" in result.failed[0].error
    assert not result.report_written


def test_dry_run_previews_a_slurm_array_and_writes_nothing(here):
    spec = here.spec(TINY.replace("{kind: debug}", "{kind: slurm, profile: gpu-8x}").replace("[0]", "[0, 1, 2]"))
    preview = api.dry_run(spec)
    assert isinstance(preview, api.LaunchPreview) and preview.launcher.kind == "slurm"
    assert len(preview.todo) == 6 and all(isinstance(r, PlannedRun) for r in preview.todo)
    assert "#SBATCH --array=0-5%6" in preview.sbatch and "#SBATCH --gpus-per-node=8" in preview.sbatch
    assert preview.report_sbatch is None  # the spec asks for no report
    assert api.dry_run(spec, launcher="local").sbatch is None
    assert not (here.root / "sweeps").exists()


def test_bad_input_raises_input_error_before_anything_is_written(here):
    typo = here.spec(TINY.replace("budget:", "budgte:"), name="typo.yaml")
    with pytest.raises(InputError) as bad_spec:
        api.plan(typo)
    assert any(p.key_path == "budgte" and p.file.endswith("typo.yaml") for p in bad_spec.value.problems)

    spec = here.spec(TINY)
    with pytest.raises(InputError, match="expected debug, local or slurm"):
        api.run_sweep(spec, launcher="cloud")
    with pytest.raises(InputError, match="no tune: block"):
        api.tune(spec)
    with pytest.raises(InputError, match="not a sweep directory"):
        api.status(here.root / "nowhere")
    assert not (here.root / "sweeps").exists()


def test_tune_gives_every_arm_the_same_trials_then_runs_the_tuned_arms(here):
    spec = here.spec(TUNED)
    with pytest.raises(InputError, match="ablate tune"):  # the arms are compared only once tuned
        api.run_sweep(spec)
    messages: list[str] = []

    result = api.tune(spec, on_progress=lambda e: messages.append(e.message))

    assert isinstance(result, api.TuneResult) and result.ok and result.trials == 1
    assert [a.arm for a in result.arms] == ["target_only", "pooled"]
    assert all(isinstance(a, api.ArmTuning) and a.complete == 1 and a.params for a in result.arms)
    assert result.arms[0].params == result.arms[1].params  # the same sampler and seed: a paired first trial
    assert result.best_path == result.tune_dir / "best.json" and result.best_path.is_file()
    assert messages[0].startswith("tuning 2 arms × 1 trials")
    assert any(m.startswith("final comparison") for m in messages)

    final = result.final
    assert isinstance(final, api.SweepResult) and final.complete and len(final.runs) == 2
    manifest = json.loads(final.manifest.read_text())
    for arm in result.arms:
        config = next(manifest["configs"][a["id"]] for a in manifest["arms"] if a["name"] == arm.arm)
        assert config["optim"]["lr"] == arm.params["optim.lr"]
    assert api.run_sweep(spec).complete  # now tuned: the comparison runs (already done: nothing launched)
