"""Slurm profiles (`slurm/profiles/*.yaml`): the resources of one run, validated like a spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ablate.errors import InputError, Problem, join_key
from ablate.spec.yaml_lines import load_yaml


class SlurmProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    gpus: int = Field(0, ge=0)  # per run; one Slurm task per GPU (torch.distributed, env://)
    tasks: int | None = Field(None, ge=1)  # per run; default one per GPU (set it for CPU runs over gloo)
    cpus: int = Field(1, ge=1)  # per task
    memory_gb: float = Field(4, gt=0)  # per node
    time_min: int = Field(60, ge=1)
    array_parallelism: int = Field(64, ge=1)
    setup: list[str] = []  # shell lines run before the job (module load …)
    report_partition: str | None = None  # the sweep's report job (CPU only) runs here; default: partition
    report_cpus: int = Field(2, ge=1)
    report_memory_gb: float = Field(8, gt=0)
    additional: dict[str, Any] = {}  # any other sbatch option, e.g. {constraint: a100}

    def submitit_parameters(self, job_name: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "job_name": job_name,
            "partition": self.partition,
            "account": self.account,
            "qos": self.qos,
            "ntasks_per_node": self.tasks or max(1, self.gpus),
            "cpus_per_task": self.cpus,
            "mem": f"{int(self.memory_gb * 1024)}MB",
            "time": self.time_min,
            "array_parallelism": self.array_parallelism,
            "setup": self.setup,
            "additional_parameters": dict(self.additional),
        }
        if self.gpus:
            params["gpus_per_node"] = self.gpus
        return {k: v for k, v in params.items() if v is not None}

    def report_parameters(self, job_name: str, dependency: str) -> dict[str, Any]:
        """The report job: one CPU task, after the run array (`afterany`: it reports failed runs too)."""
        params: dict[str, Any] = {
            "job_name": f"{job_name}-report",
            "partition": self.report_partition or self.partition,
            "account": self.account,
            "qos": self.qos,
            "ntasks_per_node": 1,
            "cpus_per_task": self.report_cpus,
            "mem": f"{int(self.report_memory_gb * 1024)}MB",
            "time": 60,
            "setup": self.setup,
            "additional_parameters": {"dependency": dependency},
        }
        return {k: v for k, v in params.items() if v is not None}


def find_profile(name: str, project_root: Path) -> Path:
    candidates = [Path(name), project_root / name, project_root / "slurm" / "profiles" / f"{name}.yaml"]
    for path in candidates:
        if path.is_file():
            return path
    known = sorted(p.stem for p in (project_root / "slurm" / "profiles").glob("*.yaml"))
    raise InputError.single(
        "launcher",
        "launcher.profile",
        f"no Slurm profile '{name}' (looked in slurm/profiles/; known: {', '.join(known) or 'none'})",
    )


def load_profile(path: Path) -> SlurmProfile:
    doc = load_yaml(path)
    try:
        return SlurmProfile.model_validate(doc.data or {})
    except ValidationError as e:
        raise InputError(
            [
                Problem(str(path), join_key(*err["loc"]), err["msg"], doc.line(join_key(*err["loc"])))
                for err in e.errors()
            ]
        ) from None
