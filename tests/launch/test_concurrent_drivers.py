"""One driver per sweep (issue 14): a second `ablate run` on a sweep another driver is driving is refused at once
with exit 2 and a message, and submits nothing (before: an alembic traceback when both started together, runs
executed twice 1 s apart, healthy runs called failed 3 s apart)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.launch.helpers import launches

SPEC = """
name: two_drivers
recipe: quickstart/mlp
seeds: [0, 1]
factors:
  optim.lr: [0.001, 0.003]
budget: {unit: samples, per_run: 160000}
launcher: {kind: local, parallel: 2}
"""


def test_a_second_driver_is_refused_while_the_first_drives(project):
    spec = project.spec(SPEC)
    sweep = project.root / "sweeps" / "two_drivers"
    first = subprocess.Popen(
        [sys.executable, "-m", "ablate.cli.main", "run", str(spec)],
        cwd=project.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _started(sweep) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _started(sweep), "the first driver never launched a run"

        second = project.cli("run", spec)
        assert second.code == 2, second.stdout + second.stderr
        assert (
            f"another ablate driver (`ablate run` or `ablate tune`, pid {first.pid}) is driving this sweep now"
            in " ".join(second.stderr.split())
        )
        assert "Traceback" not in second.stderr
        assert max(launches(sweep).values()) == 1  # the first driver goes on alone: no run submitted twice
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def _started(sweep) -> bool:
    runs = sweep / "runs"
    return (
        runs.is_dir()
        and any((w / "launch.json").is_file() for w in runs.iterdir())
        and all(json.loads((w / "run.json").read_text()) for w in runs.iterdir())
    )
