"""MLflow on a sqlite file with many writers at once, and idempotent run registration."""

from __future__ import annotations

import multiprocessing as mp

from mlflow import MlflowClient

from ablate.track.mlflow_runs import JobTracker, ensure_child, ensure_parent, flatten

WRITERS, METRICS, STEPS = 8, 3, 400


def _write(uri: str, run_id: str) -> None:
    tracker = JobTracker(uri, run_id, flush_every=6)  # ~200 small transactions per writer, interleaved
    tracker.start()
    for step in range(STEPS):
        tracker.log({f"m{k}": step * 0.5 + k for k in range(METRICS)}, step)
    tracker.finish("FINISHED")


def test_eight_jobs_logging_at_once_lose_no_metric(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}?timeout=60"
    exp, parent = ensure_parent(uri, "concurrency", {})
    ids = [ensure_child(uri, exp, parent, f"run{i}", f"run{i}", {}, {"i": i}) for i in range(WRITERS)]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write, args=(uri, run_id)) for run_id in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    client = MlflowClient(uri)
    for run_id in ids:
        for k in range(METRICS):
            history = client.get_metric_history(run_id, f"m{k}")
            assert sorted(m.step for m in history) == list(range(STEPS))
        assert client.get_run(run_id).info.status == "FINISHED"


def test_registration_is_idempotent(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}?timeout=60"
    exp, parent = ensure_parent(uri, "sweep", {"git_commit": "abc"})
    assert ensure_parent(uri, "sweep", {}) == (exp, parent)
    params = flatten({"optim": {"lr": 0.001}, "stages": {"main": {"share": 1.0}}})
    assert params == {"optim.lr": 0.001, "stages.main.share": 1.0}
    first = ensure_child(uri, exp, parent, "abc-s0", "arm-s0", {"seed": "0"}, params)
    again = ensure_child(uri, exp, parent, "abc-s0", "arm-s0", {"seed": "0"}, params)
    assert first == again
    run = MlflowClient(uri).get_run(first)
    assert run.data.tags["mlflow.parentRunId"] == parent and run.data.params["optim.lr"] == "0.001"
    assert len(MlflowClient(uri).search_runs([exp])) == 2


def test_a_relaunched_tracker_logs_no_step_twice(tmp_path):
    """Idempotent by (metric, step): a second attempt (a job resumed from its checkpoint at step 20, after the
    killed one had flushed up to step 30) and a step repeated within one attempt leave one point per step."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}?timeout=60"
    exp, parent = ensure_parent(uri, "resume", {})
    run_id = ensure_child(uri, exp, parent, "r-s0", "r-s0", {}, {})
    first = JobTracker(uri, run_id, flush_every=8)
    first.start()
    for step in range(1, 31):
        first.log({"loss": 1.0 / step, "lr": 0.1}, step)
    first.flush()  # then killed: no finish

    second = JobTracker(uri, run_id, flush_every=8)
    second.start()
    for step in range(21, 41):
        second.log({"loss": 1.0 / step, "lr": 0.1}, step)
    second.log({"loss": 0.0}, 40)  # again at a step it already logged
    second.log({"val_loss": 0.5}, 40)  # a new metric at that step is logged
    second.finish("FINISHED")

    client = MlflowClient(uri)
    for key, steps in (("loss", range(1, 41)), ("lr", range(1, 41)), ("val_loss", [40])):
        assert sorted(m.step for m in client.get_metric_history(run_id, key)) == list(steps)
    assert client.get_run(run_id).data.metrics["loss"] == 1.0 / 40  # the first value logged at step 40 stays
    assert client.get_run(run_id).info.status == "FINISHED"
