"""The job contract. A job gets a `Run` read from `run.json` in its work dir — never from pickled arguments, so
a requeued job (which submitit re-runs with its *original* pickle) still sees the current state on disk.

Files in a run's work dir:
- run.json      the Run (written by the driver). It holds no absolute path: the work dir is the folder it lies
                in, and a sweep run's MLflow URI is the sweep manifest's (rewritten by each launch), so a sweep
                directory can be moved, copied to a cluster or archived and still runs and reports where it is.
- ledger.json   the budget ledger (planned by the driver, consumed by the job)
- state.json    what the job says about itself: running/done/failed, stage, step, last metrics, error
- launch.json   what the driver submitted: launcher, job ids, times
- checkpoints/  the job's own checkpoints (latest one wins)
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ablate import atomic
from ablate.canonical import canonical_hash
from ablate.errors import InputError
from ablate.layout import LAUNCH_FILE, MANIFEST, RUN_FILE, STATE_FILE, sweep_of_run


@dataclass(frozen=True)
class Run:
    id: str
    name: str
    sweep: str
    arm: str
    levels: dict[str, str]
    seed: int
    job: str  # a registered job kind
    config: dict[str, Any]
    work_dir: str
    tracking_uri: str | None = None
    mlflow_run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return Path(self.work_dir)

    def save(self) -> None:
        data = asdict(self) | {"work_dir": "."}  # "the folder this file is in"
        if sweep_of_run(self.path) is not None:
            data["tracking_uri"] = None  # the manifest's, read at load: a copied sweep must not log into the original
        atomic.write_json(self.path / RUN_FILE, data)

    @classmethod
    def load(cls, work_dir: str | Path) -> Run:
        """The run in `work_dir`; FileNotFoundError without one, InputError (the file, what is wrong) for a
        truncated, hand-broken or foreign run.json."""
        path = Path(work_dir) / RUN_FILE
        try:
            data = atomic.read_json(path)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError.single(path, "", f"not valid JSON ({e}); restore it from the sweep's manifest") from None
        if data is None:
            raise FileNotFoundError(f"no {RUN_FILE} in {work_dir}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known) if isinstance(data, dict) else []
        missing = sorted(f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING)
        missing = [k for k in missing if not isinstance(data, dict) or k not in data]
        if not isinstance(data, dict) or unknown or missing:
            what = ", ".join([*(f"unknown key {k!r}" for k in unknown), *(f"missing key {k!r}" for k in missing)])
            raise InputError.single(path, "", f"not a run file ({what or 'not a mapping'})")
        data["work_dir"] = str(path.parent.resolve())  # where it is now, whatever path it was written at
        return cls(**data)

    def tracking(self) -> str | None:
        """The MLflow URI the job logs to. A sweep run's is its manifest's, which each launch rewrites: a moved or
        copied sweep logs into its own store, not the one at the path it was created at."""
        sweep = sweep_of_run(self.path)
        if sweep is None:
            return self.tracking_uri
        return (atomic.read_json(sweep / MANIFEST) or {}).get("tracking_uri")


def read_state(work_dir: str | Path) -> dict[str, Any]:
    return atomic.read_json(Path(work_dir) / STATE_FILE, {})


def update_state(work_dir: str | Path, **changes: Any) -> dict[str, Any]:
    """Only the job writes state.json (one writer per run, guarded by the run lock)."""
    state = read_state(work_dir) | changes | {"updated": time.time()}
    atomic.write_json(Path(work_dir) / STATE_FILE, state)
    return state


def read_launch(work_dir: str | Path) -> dict[str, Any]:
    return atomic.read_json(Path(work_dir) / LAUNCH_FILE, {})


def record_launch(work_dir: str | Path, launcher: str, job_id: str) -> None:
    """Only the driver writes launch.json."""
    launch = read_launch(work_dir)
    history = [*launch.get("history", []), {"launcher": launcher, "job_id": job_id, "time": time.time()}]
    atomic.write_json(
        Path(work_dir) / LAUNCH_FILE,
        {"launcher": launcher, "job_id": job_id, "time": time.time(), "history": history},
    )


def host_info() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


class UnplannedRun(RuntimeError):
    """A run whose run.json no longer says what its sweep planned (hand-edited config or seed)."""


def check_planned(run: Run) -> None:
    """Refuse a run of a sweep whose config or seed differs from the sweep's manifest: what trains must be what
    MLflow, the manifest and `ablate audit` record. Runs outside a sweep (`ablate train`) have no manifest."""
    sweep = sweep_of_run(run.path)
    if sweep is None:
        return
    manifest = atomic.read_json(sweep / MANIFEST, {})
    planned = next((r for r in manifest.get("runs", []) if r["id"] == run.id), None)
    config = (manifest.get("configs") or {}).get(run.arm)
    if planned is None or config is None:
        raise UnplannedRun(f"{run.path / RUN_FILE}: run {run.id} (arm {run.arm}) is not in {sweep / MANIFEST}")
    changes = [f"seed: planned {planned['seed']}, {RUN_FILE} {run.seed}"] if planned["seed"] != run.seed else []
    if canonical_hash(config) != canonical_hash(run.config):
        changes += [f"{key}: planned {a!r}, {RUN_FILE} {b!r}" for key, a, b in _differences(config, run.config)[:5]]
    if changes:
        raise UnplannedRun(
            f"{run.path / RUN_FILE} differs from the sweep's plan ({'; '.join(changes)}); the job refuses to train "
            f"what was not planned: restore {RUN_FILE}, or change the spec and run `ablate run` on it"
        )


def _differences(planned: Any, actual: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(planned, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(planned) | set(actual), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            out += _differences(planned.get(key, "<absent>"), actual.get(key, "<absent>"), path)
        return out
    return [] if planned == actual else [(prefix, planned, actual)]
