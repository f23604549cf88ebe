"""A sweep directory works wherever it lies: moved, copied (to a cluster, an archive) and relaunched or reported there,
it trains and logs into itself, never into the path it was created at."""

from __future__ import annotations

import json
import shutil

from mlflow import MlflowClient

from tests.launch.helpers import snapshot, statuses

SPEC = """
name: moving
recipe: quickstart/mlp
seeds: [0]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 320}
launcher: {kind: local, parallel: 2}
"""


def _unrun(sweep, name: str) -> None:
    """Make one run as if it had never been launched (what a kill before its start leaves)."""
    for work in (sweep / "runs").iterdir():
        if json.loads((work / "run.json").read_text())["name"] == name:
            for gone in ("state.json", "launch.json"):
                (work / gone).unlink()
            shutil.rmtree(work / "checkpoints", ignore_errors=True)
            return
    raise KeyError(name)


def test_a_moved_or_copied_sweep_trains_and_logs_into_itself(project):
    spec = project.spec(SPEC)
    made = project.root / "sweeps" / "moving"
    assert project.cli("run", spec).code == 0
    run_json = json.loads(next((made / "runs").iterdir()).joinpath("run.json").read_text())
    assert run_json["work_dir"] == "." and run_json["tracking_uri"] is None  # no absolute path to go stale
    _unrun(made, "0.003-s0")

    copy, moved = project.root / "copied", project.root / "elsewhere" / "moved"
    shutil.copytree(made, copy)
    moved.parent.mkdir()
    made.rename(moved)

    # mv: the rerun finishes the run in the moved folder and recreates nothing at the old path
    again = project.cli("run", spec, "--out", moved)
    assert again.code == 0, again.stdout + again.stderr
    assert "1 done, 0 running or pending (adopted), 1 to launch" in again.stdout
    assert not made.exists()
    assert {r["state"] for r in statuses(project, moved).values()} == {"done"}

    # cp -r: the copy trains into itself; the moved original is left exactly as it was
    before = snapshot(moved)
    copied = project.cli("run", spec, "--out", copy)
    assert copied.code == 0, copied.stdout + copied.stderr
    assert snapshot(moved) == before
    assert {r["state"] for r in statuses(project, copy).values()} == {"done"}

    # each store has its own two runs, finished, with the re-run's metrics in the copy's own store
    for folder in (moved, copy):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert str(folder.resolve()) in manifest["tracking_uri"]
        client = MlflowClient(manifest["tracking_uri"])
        exp = client.get_experiment_by_name("moving")
        runs = client.search_runs([exp.experiment_id])
        parent = next(r for r in runs if r.data.tags["ablate.role"] == "sweep")
        assert parent.data.tags["ablate.sweep_dir"] == str(folder.resolve())
        children = {r.data.tags["arm"]: r for r in runs if r.data.tags["ablate.role"] == "run"}
        assert set(children) == {"0.001", "0.003"}
        assert all(r.info.status == "FINISHED" for r in children.values())
        assert client.get_metric_history(children["0.003"].info.run_id, "loss")

    # and a moved sweep is audited where it is
    audit = project.cli("audit", copy)
    assert audit.code == 0 and "every run consumed its planned budget" in audit.stdout, audit.stdout
