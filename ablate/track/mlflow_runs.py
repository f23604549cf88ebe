"""MLflow bookkeeping that survives relaunches and many writers.

- Idempotent: a run's MLflow id is found again by its `ablate.run_id` tag, so a relaunch logs into the same
  MLflow run instead of creating a twin.
- Many writers on one sqlite file: the URI carries a long busy timeout, and every write retries on
  "database is locked" with backoff — sqlite serialises writers, it does not queue them forever.
- Exactly-once history: a job flushes its metrics before each checkpoint and logs a (metric, step) at most once per
  MLflow run, so a job killed at any point and resumed from its checkpoint ends with one point per logged step.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ablate.layout import MLFLOW_DB

SQLITE_TIMEOUT_S = 60
MAX_PARAM_BATCH = 100


def default_tracking_uri(sweep_dir: Path) -> str:
    return f"sqlite:///{sweep_dir.resolve() / MLFLOW_DB}?timeout={SQLITE_TIMEOUT_S}"


def with_retry[T](fn: Callable[[], T], attempts: int = 12) -> T:
    for i in range(attempts):
        try:
            return fn()
        except Exception as e:  # MLflow wraps sqlalchemy's OperationalError in several ways
            if i == attempts - 1 or not _transient(e):
                raise
            time.sleep(min(10.0, 0.1 * 2**i) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def _transient(e: Exception) -> bool:
    text = f"{type(e).__name__}: {e}".lower()
    return any(s in text for s in ("database is locked", "operationalerror", "busy", "unique constraint"))


def client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def git_commit(cwd: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def ensure_parent(uri: str, sweep: str, tags: dict[str, str]) -> tuple[str, str]:
    """(experiment id, parent run id) of the sweep, created once."""
    c = client(uri)
    exp = with_retry(lambda: c.get_experiment_by_name(sweep))
    exp_id = exp.experiment_id if exp else with_retry(lambda: c.create_experiment(sweep))
    found = with_retry(lambda: c.search_runs([exp_id], filter_string="tags.`ablate.role` = 'sweep'", max_results=1))
    if found:
        parent = found[0]
        for key, value in tags.items():  # e.g. the sweep dir's path, which changes when the sweep is moved
            if parent.data.tags.get(key) != value:
                with_retry(lambda key=key, value=value: c.set_tag(parent.info.run_id, key, value))
        return exp_id, parent.info.run_id
    run = with_retry(lambda: c.create_run(exp_id, run_name=sweep, tags={"ablate.role": "sweep", **tags}))
    return exp_id, run.info.run_id


def children(uri: str, exp_id: str) -> dict[str, str]:
    """ablate run id -> MLflow run id of every run registered in the sweep's experiment, in one paged query."""
    c = client(uri)
    out: dict[str, str] = {}
    token = None
    while True:
        page = with_retry(
            lambda token=token: c.search_runs(
                [exp_id], filter_string="tags.`ablate.role` = 'run'", max_results=1000, page_token=token
            )
        )
        out |= {r.data.tags["ablate.run_id"]: r.info.run_id for r in page if "ablate.run_id" in r.data.tags}
        token = page.token
        if not token:
            return out


def ensure_child(
    uri: str,
    exp_id: str,
    parent_id: str,
    run_id: str,
    name: str,
    tags: dict[str, str],
    params: dict[str, Any],
) -> str:
    """The MLflow id of `run_id`'s child run, found by its tag or created with its tags and params."""
    c = client(uri)
    query = f"tags.`ablate.run_id` = '{run_id}'"
    found = with_retry(lambda: c.search_runs([exp_id], filter_string=query, max_results=1))
    if found:
        return found[0].info.run_id
    all_tags = {"mlflow.parentRunId": parent_id, "ablate.role": "run", "ablate.run_id": run_id, **tags}
    run = with_retry(lambda: c.create_run(exp_id, run_name=name, tags=all_tags))
    from mlflow.entities import Param

    items = [Param(k, str(v)[:6000]) for k, v in params.items()]
    for i in range(0, len(items), MAX_PARAM_BATCH):
        chunk = items[i : i + MAX_PARAM_BATCH]
        with_retry(lambda chunk=chunk: c.log_batch(run.info.run_id, params=chunk))
    return run.info.run_id


def mark_killed(uri: str, run_id: str) -> None:
    """A run whose job died without a word (SIGKILL, the OOM killer, a node lost) still says RUNNING in MLflow;
    the driver that finds it dead says KILLED (a resume sets it RUNNING again)."""
    c = client(uri)
    if with_retry(lambda: c.get_run(run_id)).info.status == "RUNNING":
        with_retry(lambda: c.set_terminated(run_id, status="KILLED"))


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in config.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            out |= flatten(v, key)
        else:
            out[key] = v
    return out


class JobTracker:
    """The job's side: buffered metrics, flushed with one `log_batch` (one sqlite transaction) at a time.

    Idempotent by (metric, step): `start` reads which points the MLflow run already has, and a point at a step its
    metric already has is not logged again. A resumed job re-runs the steps after its checkpoint, and the attempt
    that was killed may have flushed some of them (the buffer fills between checkpoints; Ctrl-C flushes it on the way
    out): without this they would be there twice. Why skip rather than delete and log again: MLflow has no call to
    delete or overwrite a metric point on any store (`log_batch` only appends; sqlite keys a row by key, step,
    timestamp and value, so a second point at a step is a second row), and editing the sqlite tables or the file
    store's files behind MLflow's back would depend on their private layouts. Training from a checkpoint is
    deterministic (same batches, same noise, same weights: tests/train/test_train.py), so the points the killed
    attempt logged past its checkpoint are the ones the resumed attempt computes again."""

    def __init__(self, uri: str | None, run_id: str | None, flush_every: int = 200):
        self.enabled = bool(uri and run_id)
        self.uri, self.run_id, self.flush_every = uri, run_id, flush_every
        self._buffer: list[Any] = []
        self._logged: set[tuple[str, int]] = set()  # (metric, step) already in MLflow or in the buffer
        self._client = client(uri) if self.enabled else None

    def log(self, metrics: dict[str, float], step: int) -> None:
        if not self.enabled:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        fresh = {k: v for k, v in metrics.items() if (k, step) not in self._logged}
        self._logged |= {(k, step) for k in fresh}
        self._buffer += [Metric(k, float(v), now, step) for k, v in fresh.items()]
        if len(self._buffer) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Everything logged so far into MLflow. The training loop calls it before each checkpoint is written, so
        a checkpoint never exists without the points up to its step (a SIGKILL loses only what it will redo)."""
        while self._buffer:
            chunk, rest = self._buffer[:1000], self._buffer[1000:]
            with_retry(lambda chunk=chunk: self._client.log_batch(self.run_id, metrics=chunk))
            self._buffer = rest

    def start(self) -> None:
        """RUNNING again (after a kill its status is KILLED, or RUNNING when nothing could run: SIGKILL), and the
        points it already has, which `log` will not repeat."""
        if self.enabled:
            self._logged = self._points()
            with_retry(lambda: self._client.update_run(self.run_id, status="RUNNING"))

    def _points(self) -> set[tuple[str, int]]:
        run = with_retry(lambda: self._client.get_run(self.run_id))
        points: set[tuple[str, int]] = set()
        for key in run.data.metrics:  # the run's metric keys (their latest values)
            history = with_retry(lambda key=key: self._client.get_metric_history(self.run_id, key))
            points |= {(key, m.step) for m in history}
        return points

    def finish(self, status: str) -> None:
        """FINISHED, FAILED, or KILLED (the job was stopped by a signal); the buffer is flushed first."""
        if self.enabled:
            self.flush()
            with_retry(lambda: self._client.set_terminated(self.run_id, status=status))
