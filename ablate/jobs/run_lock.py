"""The run lock: the job training a run holds a kernel lock (flock) on `<work dir>/.lock` for as long as it trains.

It is what makes a duplicate submission harmless (the second job cannot take it, and does nothing), and it is the
surest sign that a run is training: a job whose launcher lost track of it (the submitit controller process killed,
its task orphaned and still training) still holds it. A killed job never leaves it behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ablate.layout import RUN_LOCK


class DuplicateRun(RuntimeError):
    pass


def take(work_dir: Path):
    """The lock, held until the returned file is closed; DuplicateRun when another job holds it."""
    f = open(Path(work_dir) / RUN_LOCK, "w")  # noqa: SIM115 - held for the whole job
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise DuplicateRun(f"another job is already running {Path(work_dir).name}; this one does nothing") from None
    return f


def holder_here(work_dir: Path) -> int | None:
    """The pid of the process on this machine that holds the run's lock, or None. Read from /proc/locks, never by
    trying the lock: taking it even for an instant would turn away a job starting at that moment."""
    try:
        st = os.stat(Path(work_dir) / RUN_LOCK)
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()  # "1: FLOCK ADVISORY WRITE <pid> <maj:min:inode> 0 EOF"; waiters have "->" first
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
            return int(fields[4])
    return None
