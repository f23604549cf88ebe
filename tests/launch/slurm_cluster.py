"""A real, throw-away Slurm cluster for the tests marked `slurm` (slurm/cluster/start.sh and stop.sh)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPTS = REPO / "slurm" / "cluster"


def cluster_env():
    """Use a running cluster ($SLURM_CONF, as .ci/run provides) or start one for this test session."""
    if os.environ.get("SLURM_CONF") and shutil.which("sinfo"):
        yield {}
        return
    if not shutil.which("slurmctld"):
        pytest.skip("Slurm is not installed here: run slurm/cluster/install.sh (as .ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="ablate-slurm-"))
    subprocess.run([SCRIPTS / "start.sh", root], check=True, timeout=180)
    try:
        yield _exports(root / "env.sh")
    finally:
        subprocess.run([SCRIPTS / "stop.sh", root, "--clean"], timeout=120)


def _exports(env_file: Path) -> dict[str, str]:
    out = {}
    for line in env_file.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            out[key] = shlex.split(value)[0] if value else ""
    return out
