"""Ctrl-C is the only thing that exits 130, and it says so: on a terminal and in the run's state."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

BUDGET = "+train.budget={unit:samples,per_run:320000}"


def test_an_interrupted_command_says_so(project):
    """Ctrl-C during `ablate train`: exit 130 with 'interrupted' (before: a blank stderr), the run's state says
    it was stopped, not a KeyboardInterrupt traceback."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ablate.cli.main",
            "train",
            "quickstart/mlp",
            "--out",
            "run",
            BUDGET,
        ],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (project.root / "run" / "state.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err, err
    state = json.loads((project.root / "run" / "state.json").read_text())
    assert state["status"] == "failed" and state["error"].startswith("stopped by Ctrl-C (SIGINT)"), state
