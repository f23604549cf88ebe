"""The sweep directory: the manifest of every resolved config, one work dir per run, the pre-registration.

Its layout (which file and folder is where) is named in `ablate.layout`; this writes and checks its contents.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ablate import atomic, layout
from ablate.budget.ledger import Ledger
from ablate.errors import InputError
from ablate.jobs.contract import Run
from ablate.layout import DRIVER_LOCK, MANIFEST, PREREGISTRATION, RUN_FILE, SPEC, TUNE_DIR
from ablate.spec.hypotheses import content_hash, frozen_content
from ablate.spec.plan import Plan


def _holder(lock_file) -> str:
    """The pid the driving process wrote into the lock file. It writes it just after taking the lock, so a driver
    started at the same moment may look in between: wait a little for it rather than print `pid ?`."""
    deadline = time.monotonic() + 2.0
    while True:
        lock_file.seek(0)
        pid = lock_file.read().strip()
        if pid or time.monotonic() > deadline:
            return pid or "?"
        time.sleep(0.05)


class SweepDir:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    @contextmanager
    def driving(self) -> Iterator[None]:
        """One driver per sweep: a second `ablate run` or `ablate tune` on a sweep being driven is refused at once
        (before it writes anything), instead of racing the first one (MLflow's schema migration, runs submitted
        twice). The lock is the kernel's (flock), so a killed driver never leaves it behind."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / DRIVER_LOCK, "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(f)
                raise InputError.single(
                    self.root,
                    "",
                    f"another ablate driver (`ablate run` or `ablate tune`, pid {holder}) is driving this sweep now; "
                    f"follow it with `ablate status {self.root}`, or run again when it has ended (it adopts what is "
                    "running)",
                ) from None
            f.truncate(0)
            f.write(f"{os.getpid()}\n")
            f.flush()
            yield

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        data = atomic.read_json(self.manifest_path)
        if data is None:
            raise InputError.single(
                self.root, "", "not a sweep directory (no manifest.json); run `ablate run SPEC` first"
            )
        return data

    def run_dir(self, run_id: str) -> Path:
        return layout.run_dir(self.root, run_id)

    def run_dirs(self) -> list[Path]:
        return [self.run_dir(r["id"]) for r in self.manifest()["runs"]]

    def check_compatible(self, plan: Plan) -> None:
        """A run that exists on disk keeps its budget: changing it would mix two budgets under one run id."""
        for run in plan.runs:
            old = Ledger.load(self.run_dir(run.id))
            new = {s.stage: s.to_dict() for s in plan.arm(run.arm).budget}
            if old is not None and old.planned != new:
                raise InputError.single(
                    plan.spec_path,
                    "budget",
                    f"run {run.name} already exists in {self.root} with a different budget; "
                    "give the sweep a new name (or --out) instead of changing the budget under it",
                )

    def preregistration(self) -> dict[str, Any] | None:
        return atomic.read_json(self.root / PREREGISTRATION)

    def check_frozen(self, plan: Plan, untuned: Plan | None = None, check_runs: bool = True) -> None:
        """A sweep whose spec declared hypotheses is frozen at its first launch (or the start of its tuning): an
        edited spec (hypotheses, arms, seeds, budget, evaluation) or recipe is refused, and so are hypotheses added
        after the start. `untuned`: a tuned spec's arms before tuning (their ids are frozen at the tuning start);
        `check_runs` False while the tuned arms are not known yet."""
        record = self.preregistration()
        if record is None:
            if plan.spec.hypotheses is not None and (self.exists() or (self.root / TUNE_DIR).is_dir()):
                started = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.manifest().get("written", 0)))
                raise InputError.single(
                    plan.spec_path,
                    "hypotheses",
                    f"the sweep in {self.root} started ({started}) without hypotheses; hypotheses are pre-registered "
                    "before the first run. Start a new sweep (a new name or --out) to test them as confirmatory",
                )
            return
        frozen, now = record["content"], frozen_content(plan.spec)
        changed = sorted(k for k in set(frozen) | set(now) if frozen.get(k) != now.get(k))
        if changed:
            raise InputError.single(
                plan.spec_path,
                changed[0],
                f"the spec was frozen with its hypotheses when the sweep started ({record['frozen_at']}, sha256 "
                f"{record['content_hash'][:12]}); {', '.join(changed)} changed since. Pre-registered sweeps cannot "
                "be edited: revert the change, or start a new sweep (a new name or --out)",
            )
        gone = sorted(set(record["runs"]) - {r.id for r in plan.runs}) if check_runs else []
        if untuned is not None:
            gone += sorted(set(record.get("untuned_runs", [])) - {r.id for r in untuned.runs})
        if gone:
            raise InputError.single(
                plan.spec_path,
                "recipe",
                f"the runs' resolved configs changed since the sweep was frozen ({record['frozen_at']}): "
                f"{len(gone)} frozen run(s) are no longer planned, e.g. {gone[0]} (an edited recipe?). "
                "Revert the change, or start a new sweep",
            )

    def freeze(self, plan: Plan, with_runs: bool = True) -> None:
        """Write the pre-registration at the first launch, or at `ablate tune`'s start (`with_runs` False): then the
        untuned arms' run ids are frozen, and the final launch adds the tuned ones."""
        record = self.preregistration()
        if plan.spec.hypotheses is None or (record is not None and (record["runs"] or not with_runs)):
            return
        content = frozen_content(plan.spec)
        untuned = record.get("untuned_runs", []) if record else ([] if with_runs else [r.id for r in plan.runs])
        self.root.mkdir(parents=True, exist_ok=True)
        atomic.write_json(
            self.root / PREREGISTRATION,
            {
                "frozen_at": record["frozen_at"] if record else time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "spec": str(plan.spec_path),
                "content_hash": content_hash(content),
                "content": content,
                "hypotheses": content["hypotheses"],
                "runs": [r.id for r in plan.runs] if with_runs else [],
                "untuned_runs": untuned,
            },
        )

    def write(self, plan: Plan, tracking_uri: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.root / SPEC, plan.spec_text)
        manifest = plan.to_json() | {
            "configs": {a.id: a.config for a in plan.arms},
            "tracking_uri": tracking_uri,
            "project_root": str(plan.project_root),
            "written": time.time(),
        }
        atomic.write_json(self.manifest_path, manifest)
        for run in plan.runs:
            self._write_run(plan, run, tracking_uri)

    def _write_run(self, plan: Plan, planned, tracking_uri: str) -> None:
        work = self.run_dir(planned.id)
        if (work / RUN_FILE).is_file():
            return
        arm = plan.arm(planned.arm)
        Run(
            planned.id,
            planned.name,
            plan.spec.name,
            arm.id,
            arm.levels,
            planned.seed,
            arm.config["job"],
            arm.config,
            str(work),
            tracking_uri,
        ).save()
        b = plan.spec.budget
        Ledger.new(b.unit, b.tolerance, [s.to_dict() for s in arm.budget]).save(work)

    def set_mlflow_id(self, run_id: str, mlflow_id: str) -> None:
        run = Run.load(self.run_dir(run_id))
        if run.mlflow_run_id != mlflow_id:
            from dataclasses import replace

            replace(run, mlflow_run_id=mlflow_id).save()
