"""Real sweeps on the local launcher (submitit LocalExecutor, real torch jobs, real sqlite MLflow)."""

from __future__ import annotations

import json

from mlflow import MlflowClient

from tests.conftest import assert_no_torch
from tests.launch.helpers import launches, run_state, statuses

SPEC = """
name: local
recipe: quickstart/mlp
seeds: [0, 1]
factors:
  optim.lr: [{lrs}]
budget: {{unit: samples, per_run: 1600}}
launcher: {{kind: local, parallel: 2}}
"""


def test_local_sweep_runs_tracks_audits_and_resumes_without_relaunching(project):
    spec = project.spec(SPEC.format(lrs="0.001, 0.003"))
    sweep = project.root / "sweeps" / "local"
    first = project.cli("run", spec)
    assert first.code == 0, first.stdout + first.stderr
    rows = statuses(project, sweep)
    assert {r["state"] for r in rows.values()} == {"done"} and len(rows) == 4
    assert all(r["consumed"] == r["planned"] == 1600 for r in rows.values())
    assert all(r["metric"].startswith("val_loss=") for r in rows.values())

    for command in ("status", "audit"):  # reading a sweep never imports torch
        assert_no_torch(project.root, command, sweep)

    audit = project.cli("audit", sweep)
    assert audit.code == 0, audit.stdout
    assert "every run consumed its planned budget" in audit.stdout

    manifest = json.loads((sweep / "manifest.json").read_text())
    assert len(manifest["configs"]) == 2 and len(manifest["runs"]) == 4
    assert {c["optim"]["lr"] for c in manifest["configs"].values()} == {0.001, 0.003}

    client = MlflowClient(manifest["tracking_uri"])
    exp = client.get_experiment_by_name("local")
    runs = client.search_runs([exp.experiment_id])
    parent = [r for r in runs if r.data.tags.get("ablate.role") == "sweep"]
    children = [r for r in runs if r.data.tags.get("ablate.role") == "run"]
    assert len(parent) == 1 and len(children) == 4
    child = children[0]
    assert child.data.tags["mlflow.parentRunId"] == parent[0].info.run_id
    assert {"sweep", "arm", "seed", "config_hash", "git_commit"} <= set(child.data.tags)
    assert child.data.params["optim.lr"] in ("0.001", "0.003") and "level.optim.lr" in child.data.params
    assert child.info.status == "FINISHED"
    assert len(client.get_metric_history(child.info.run_id, "loss")) == 5  # 50 steps, logged every 10
    assert "val_loss" in child.data.metrics

    again = project.cli("run", spec)
    assert again.code == 0
    assert "4 done, 0 running or pending (adopted), 0 to launch" in again.stdout
    assert set(launches(sweep).values()) == {1}
    assert len(client.search_runs([exp.experiment_id])) == 5  # the rerun reused every MLflow run


def test_a_run_that_raises_is_failed_with_its_error_and_is_relaunched_on_rerun(project):
    spec = project.spec(SPEC.format(lrs="0.003, 1.0e30"))
    sweep = project.root / "sweeps" / "local"
    result = project.cli("run", spec)
    assert result.code == 1
    rows = statuses(project, sweep)
    failed = {n for n, r in rows.items() if r["state"] == "failed"}
    assert failed == {"1e+30-s0", "1e+30-s1"}
    assert "loss became non-finite" in rows["1e+30-s0"]["error"]
    assert "FloatingPointError" in rows["1e+30-s0"]["error"]
    human = project.cli("status", sweep)
    assert "1e+30-s0 failed:" in human.stdout and "lower optim.lr" in human.stdout

    client = MlflowClient(json.loads((sweep / "manifest.json").read_text())["tracking_uri"])
    statuses_in_mlflow = {
        r.data.tags["ablate.run_id"].split("-s")[0]: r.info.status
        for r in client.search_runs([client.get_experiment_by_name("local").experiment_id])
        if r.data.tags.get("ablate.role") == "run"
    }
    assert sorted(statuses_in_mlflow.values()) == ["FAILED", "FINISHED"]

    project.cli("run", spec)
    assert launches(sweep) == {"0.003-s0": 1, "0.003-s1": 1, "1e+30-s0": 2, "1e+30-s1": 2}
    assert run_state(sweep, "1e+30-s1")["attempts"] == 2
