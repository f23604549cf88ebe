"""The sweep directory: the manifest of every resolved config, one work dir per run, the default MLflow store.

<sweep>/spec.yaml        the spec as written
<sweep>/manifest.json    plan (arms, runs, budgets) + every arm's resolved config
<sweep>/mlflow.db        default tracking store (sqlite)
<sweep>/submitit/        scheduler logs
<sweep>/runs/<run id>/   run.json, ledger.json, state.json, launch.json, checkpoints/
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ablate import atomic
from ablate.budget.ledger import Ledger
from ablate.errors import InputError
from ablate.jobs.contract import RUN_FILE, Run
from ablate.spec.plan import Plan

MANIFEST = "manifest.json"


class SweepDir:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

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
        return self.root / "runs" / run_id

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

    def write(self, plan: Plan, tracking_uri: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.root / "spec.yaml", plan.spec_text)
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
