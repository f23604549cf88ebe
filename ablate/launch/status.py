"""Where every run stands, from the files each run's job writes and what the scheduler says about its job.

A job that raised is FAILED (the job writes it); a job that died without a word (SIGKILL, scancel, OOM) is
FAILED too, because its scheduler entry is gone while its state still says running. When the scheduler cannot be
asked (controller down, `squeue` failing), a run that is not done is UNKNOWN, never FAILED: it may well be running,
and relaunching it would run it twice. A run whose lock a process on this machine holds is RUNNING whatever its
launcher says: that is a job training it (e.g. a local task whose submitit controller was killed). Torch-free.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ablate.budget.ledger import Ledger
from ablate.jobs.contract import Run, read_launch, read_state
from ablate.jobs.run_lock import holder_here

PENDING, RUNNING, DONE, FAILED, NOT_LAUNCHED = "pending", "running", "done", "failed", "not launched"
UNKNOWN = "unknown"  # the scheduler could not be asked
JOB_VANISHED = "the job ended without reporting"  # killed: SIGKILL, OOM, scancel, a lost node
NOT_ANSWERED = "NOT_ANSWERED"  # a job's scheduler state when the query failed
ACTIVE = {
    "PENDING",
    "RUNNING",
    "REQUEUED",
    "CONFIGURING",
    "COMPLETING",
    "RESIZING",
    "SUSPENDED",
    "REQUEUE_HOLD",
    "REQUEUE_FED",
    "SIGNALING",
    "STAGE_OUT",
}


@dataclass
class RunStatus:
    run: Run
    state: str
    job_id: str | None
    stage: str | None
    consumed: float
    planned: float
    unit: str
    metric: str
    error: str | None
    attempts: int

    @property
    def active(self) -> bool:
        """Possibly still running: pending, running, or unknown (followed, never relaunched)."""
        return self.state in (PENDING, RUNNING, UNKNOWN)


def scheduler_states(launches: list[dict]) -> dict[str, str]:
    """job id -> scheduler state (Slurm's words; RUNNING/GONE for local processes)."""
    states: dict[str, str] = {}
    slurm_ids = sorted({ln["job_id"] for ln in launches if ln.get("launcher") == "slurm"})
    for ln in launches:
        if ln.get("launcher") == "local":
            states[ln["job_id"]] = "RUNNING" if _pid_alive(ln["job_id"]) else "GONE"
        elif ln.get("launcher") == "debug":
            states[ln["job_id"]] = "GONE"
    if slurm_ids:
        states |= _slurm_states(slurm_ids)
    return states


def _pid_alive(job_id: str) -> bool:
    try:
        stat = Path(f"/proc/{int(job_id)}/stat").read_text()
        cmdline = Path(f"/proc/{int(job_id)}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"submitit" in cmdline


def _array_ids(job_id: str) -> list[str]:
    """Pending array tasks are listed as one row, `123_[2-5,7%2]`: expand it to 123_2 … 123_7."""
    m = re.fullmatch(r"(\d+)_\[([^\]%]+)(?:%\d+)?\]", job_id)
    if not m:
        return [job_id]
    ids = []
    for part in m.group(2).split(","):
        lo, _, hi = part.partition("-")
        ids += [f"{m.group(1)}_{i}" for i in range(int(lo), int(hi or lo) + 1)]
    return ids


def _slurm_states(job_ids: list[str]) -> dict[str, str]:
    """sacct knows finished jobs; squeue, asked second, has the final word on jobs still in the queue. A job
    neither answered for while one of them failed is NOT_ANSWERED."""
    ids = ",".join(job_ids)
    finished, failed_sacct = _ask("sacct", "-n", "-P", "-X", "-o", "JobID,State", "-j", ids)
    queued, failed_squeue = _ask("squeue", "-h", "-o", "%i|%T", "-j", ids)
    states = finished | queued
    error = failed_squeue or failed_sacct
    if error:
        for jid in job_ids:
            if jid not in queued and (failed_squeue or jid not in finished):
                states[jid] = f"{NOT_ANSWERED}: {error}" if states.get(jid) not in ACTIVE else states[jid]
    return states


def _ask(*command: str) -> tuple[dict[str, str], str | None]:
    """(job id -> first word of the state, from a `JOBID|STATE` listing with array ranges expanded; why the
    command failed, or None)."""
    if not shutil.which(command[0]):
        return {}, f"{command[0]} is not on PATH"
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return {}, f"{command[0]} did not answer in 60 s"
    if out.returncode != 0:
        first = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[0]
        return {}, f"{command[0]} failed: {first}"
    states = {}
    for line in out.stdout.splitlines():
        jid, _, state = line.partition("|")
        for one in _array_ids(jid):
            states[one] = state.split()[0] if state.strip() else "UNKNOWN"
    return states, None


def run_statuses(run_dirs: list[Path]) -> list[RunStatus]:
    launches = [read_launch(d) for d in run_dirs]
    states = [read_state(d) for d in run_dirs]
    # Ask about the job the driver launched and about the job the run says is training it: they differ when
    # the driver was killed between submitting and recording, and the running job must then be adopted.
    jobs = [ln for ln in launches if ln.get("job_id")]
    jobs += [{"launcher": st.get("launcher"), "job_id": st["job_id"]} for st in states if st.get("job_id")]
    sched = scheduler_states(jobs)
    return [_status(d, ln, st, sched) for d, ln, st in zip(run_dirs, launches, states, strict=True)]


def _status(work: Path, launch: dict, state: dict, sched: dict[str, str]) -> RunStatus:
    run = Run.load(work)
    ledger = Ledger.load(work)
    verdict, job_id = _verdict(state, launch, sched, holder_here(work))
    error = state.get("error") if verdict == FAILED else None
    if verdict == UNKNOWN:
        error = "the scheduler could not be asked (" + sched[job_id or ""].partition(": ")[2] + "); not relaunched"
    if verdict == FAILED and not error:
        error = f"{JOB_VANISHED} (scheduler: {sched.get(job_id or '', 'unknown')})"
    metrics = state.get("result") or state.get("metrics") or {}
    metric = next((f"{k}={v:.4g}" for k, v in metrics.items() if isinstance(v, int | float)), "")
    planned = sum(s["planned"] for s in ledger.planned.values()) if ledger else 0.0
    consumed = sum((state.get("consumed") or {}).values()) if verdict != DONE else _consumed(ledger)
    unit = ledger.unit if ledger else ""
    return RunStatus(
        run, verdict, job_id, state.get("stage"), consumed, planned, unit, metric, error, state.get("attempts", 0)
    )


def _consumed(ledger: Ledger | None) -> float:
    return sum(c.get(ledger.unit, 0) for c in ledger.consumed.values()) if ledger else 0.0


def _verdict(state: dict, launch: dict, sched: dict[str, str], holder: int | None) -> tuple[str, str | None]:
    """(state, the job id that state is about). `holder`: the pid holding the run lock on this machine."""
    status, training = state.get("status"), state.get("job_id")
    launched = launch.get("job_id")
    if status == "done":
        return DONE, training
    if holder is not None:  # a job is training it here, though its launcher may have lost it: never start another
        return RUNNING, training or launched
    if status in ("running", "requeued") and training != launched and sched.get(training or "") in ACTIVE:
        return (RUNNING if sched[training] == "RUNNING" else PENDING), training  # adopt the job that trains it
    if not launch:
        return (FAILED if status == "failed" else NOT_LAUNCHED), training
    now = sched.get(launched, "UNKNOWN")
    if now.startswith(NOT_ANSWERED):  # the job's own word is all there is; without it the run may be running
        return (FAILED if status == "failed" else UNKNOWN), launched
    if now in ACTIVE:  # even after a failure: Slurm may have requeued the job, which then writes its own state
        return (RUNNING if now == "RUNNING" else PENDING), launched
    return FAILED, launched
