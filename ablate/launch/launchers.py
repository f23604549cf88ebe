"""Launchers, all through submitit: `debug` (in-process), `local` (LocalExecutor, N at once), `slurm`
(SlurmExecutor job arrays with a parallelism cap). Each submits `RunJob()(work_dir)`; the run's state lives
in its work dir, so nothing here has to survive the driver."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ablate.errors import InputError
from ablate.launch.profiles import SlurmProfile, find_profile, load_profile

LOCAL_TIMEOUT_MIN = 7 * 24 * 60  # LocalExecutor's default (2 min) would kill any real run


@dataclass(frozen=True)
class LauncherSettings:
    kind: str  # debug | local | slurm
    parallel: int = 2
    profile: SlurmProfile | None = None
    profile_path: Path | None = None


def launcher_settings(plan, kind: str | None = None, parallel: int | None = None) -> LauncherSettings:
    """The launcher for `plan`: `kind` and `parallel` override the spec's `launcher:` block; on Slurm, the spec's
    profile (its array parallelism capped by `parallel`). Bad input (an unknown kind, no profile) is an InputError."""
    kind = kind or plan.spec.launcher.kind
    if kind not in ("debug", "local", "slurm"):
        raise InputError.single("--launcher", "", f"expected debug, local or slurm, got '{kind}'")
    parallel = parallel or plan.spec.launcher.parallel
    if kind != "slurm":
        return LauncherSettings(kind, parallel=parallel or 2)
    if plan.spec.launcher.profile is None:
        raise InputError.single(
            plan.spec_path, "launcher.profile", "launching on slurm needs a profile (slurm/profiles/*.yaml)"
        )
    path = find_profile(plan.spec.launcher.profile, plan.project_root)
    profile = load_profile(path)
    if parallel:
        profile = profile.model_copy(update={"array_parallelism": parallel})
    return LauncherSettings(kind, parallel=profile.array_parallelism, profile=profile, profile_path=path)


def check_scheduler(settings: LauncherSettings) -> None:
    """Before a Slurm launch writes anything (sweep dir, MLflow store, submitit folder): Slurm's commands are here
    and its controller answers. Otherwise an InputError says so and nothing is written or submitted — before, a
    controller that was down left a sweep dir and an MLflow store behind a submission traceback."""
    if settings.kind != "slurm":
        return
    conf = os.environ.get("SLURM_CONF", "slurm.conf")
    if shutil.which("sbatch") is None or shutil.which("scontrol") is None:
        raise InputError.single(
            "--launcher", "", "slurm: Slurm's commands (sbatch, scontrol) are not on PATH here; nothing was written"
        )
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=60, check=False)
        said = (ping.stdout + ping.stderr).strip().splitlines()
        up = ping.returncode == 0 and " is UP" in ping.stdout
    except subprocess.TimeoutExpired:
        said, up = ["no answer in 60 s"], False
    if not up:
        raise InputError.single(
            conf,
            "",
            f"the Slurm controller does not answer (`scontrol ping`: {said[0] if said else 'no output'}); nothing was "
            "written or submitted. Run again when `scontrol ping` says UP; `ablate status` follows runs already "
            "submitted",
        )


def make_executor(settings: LauncherSettings, folder: Path, job_name: str):
    import submitit

    log_folder = folder / "%j"
    if settings.kind == "debug":
        return submitit.DebugExecutor(folder=log_folder)
    if settings.kind == "local":
        # One folder for every local job (file names carry the job id): with a per-job `%j` folder, submitit's
        # controller process can open its log files before the driver has made that folder, and the job dies at
        # once ("No such file or directory: …/submitit/<pid>/<pid>_0_log.out"; seen under CI's load).
        ex = submitit.LocalExecutor(folder=folder / "local")
        ex.update_parameters(timeout_min=LOCAL_TIMEOUT_MIN)
        return ex
    assert settings.profile is not None
    ex = submitit.SlurmExecutor(folder=log_folder)
    ex.update_parameters(**settings.profile.submitit_parameters(job_name))
    return ex


def submit(executor, work_dirs: list[Path]) -> list[Any]:
    from ablate.jobs.entry import RunJob

    if len(work_dirs) > 1 and type(executor).__name__ == "SlurmExecutor":
        with executor.batch():  # one job array for the lot, capped by array_parallelism
            jobs = [executor.submit(RunJob(), str(d)) for d in work_dirs]
        return jobs
    return [executor.submit(RunJob(), str(d)) for d in work_dirs]


def _preview_executor(folder: Path):
    """A SlurmExecutor that only renders sbatch text: submitit's constructor refuses to build one where `srun` is
    not on PATH, but a dry run needs no cluster (it is meant to work on a laptop)."""
    import submitit

    class _PreviewSlurmExecutor(submitit.SlurmExecutor):
        @classmethod
        def affinity(cls) -> int:
            return 1  # the constructor's "is srun here?" check; nothing is ever submitted from this executor

    return _PreviewSlurmExecutor(folder=folder / "%j")


def sbatch_preview(settings: LauncherSettings, folder: Path, job_name: str, n_runs: int) -> str:
    """The sbatch script a Slurm submission of `n_runs` runs would send (for --dry-run; needs no Slurm)."""
    assert settings.profile is not None
    ex = _preview_executor(folder)
    ex.update_parameters(**settings.profile.submitit_parameters(job_name))
    if n_runs > 1:
        ex.parameters["map_count"] = n_runs  # what submitit itself sets when it submits an array
    return ex._make_submission_file_text(ex._submitit_command_str, "DRYRUN")


def submit_report(settings: LauncherSettings, folder: Path, job_name: str, sweep_root: Path, after: str):
    """The sweep's report job, to start when the jobs `after` (ids joined by ':', arrays whole) have ended."""
    import submitit

    from ablate.report.sweep import ReportJob

    ex = submitit.SlurmExecutor(folder=folder / "%j")
    ex.update_parameters(**settings.profile.report_parameters(job_name, f"afterany:{after}"))
    return ex.submit(ReportJob(), str(sweep_root))


def report_sbatch_preview(settings: LauncherSettings, folder: Path, job_name: str) -> str:
    ex = _preview_executor(folder)
    ex.update_parameters(**settings.profile.report_parameters(job_name, "afterany:<ARRAY_JOB_ID>"))
    return ex._make_submission_file_text(ex._submitit_command_str, "DRYRUN")
