"""A job stopped by a signal says so: SIGTERM becomes an exception in the job's main thread (as SIGINT already is),
so the job can record that it was killed (state.json, MLflow KILLED) before it ends."""

from __future__ import annotations

import contextlib
import signal
import threading


class Terminated(SystemExit):
    """SIGTERM, raised in the job's main thread. A SystemExit with the shell's code for it (128 + 15), so the
    process still ends quietly as a terminated one, after the job has recorded that it was killed."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once, cleanup or not
    raise Terminated()


@contextlib.contextmanager
def sigterm_raises(wanted: bool):
    """While the job runs, SIGTERM (`kill`, a container stopping) raises Terminated instead of ending the process
    on the spot, so MLflow learns the run was KILLED rather than showing RUNNING forever. Only where SIGTERM has
    its default action, in the main thread: submitit installs its own handler (Slurm's scancel and preemption
    go through it), and that one is left alone. The previous handler is put back afterwards (the debug launcher
    runs jobs in the driver's process)."""
    if not wanted or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        if previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def stopped_by_signal(e: BaseException) -> bool:
    """A job stopped by Ctrl-C (SIGINT) or SIGTERM: nothing is wrong with the run, it was killed."""
    return isinstance(e, KeyboardInterrupt | Terminated)


def signal_name(e: BaseException) -> str:
    return "Ctrl-C (SIGINT)" if isinstance(e, KeyboardInterrupt) else "SIGTERM"
