"""Shared fixtures: an isolated project (the repo's recipes, a temp experiments dir), caches kept inside tmp,
and a CLI runner that goes through the real console entry point."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_caches(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.getbasetemp() / "cache"
    for var in ("HF_HOME", "HF_LEROBOT_HOME", "TORCHINDUCTOR_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(cache / var.lower()))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@dataclass
class Project:
    root: Path

    def spec(self, text: str, name: str = "spec.yaml") -> Path:
        path = self.root / "experiments" / name
        path.write_text(textwrap.dedent(text))
        return path

    def cli(self, *args: str, timeout: float = 600, env: dict | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "ablate.cli.main", *map(str, args)],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=os.environ | (env or {}),
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def project(tmp_path) -> Project:
    """A researcher's project: the repo's recipes and Slurm profiles, an empty experiments/ folder."""
    shutil.copytree(REPO / "recipes", tmp_path / "recipes")
    shutil.copytree(REPO / "slurm" / "profiles", tmp_path / "slurm" / "profiles")
    (tmp_path / "experiments").mkdir()
    return Project(tmp_path)


NO_TORCH_PROBE = (
    "import sys; from ablate.cli.main import main\n"
    "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)"
)


def assert_no_torch(cwd: Path, *args: str) -> None:
    """`ablate ARGS` ran without importing torch (fast start for commands that only read or plan)."""
    out = subprocess.run(
        [sys.executable, "-c", NO_TORCH_PROBE, *map(str, args)], capture_output=True, text=True, cwd=cwd
    )
    assert out.stderr.strip().endswith("NO-TORCH"), (args, out.stderr[-500:])


def run_cli(*args: str) -> Result:
    """In-process CLI call for fast, read-only commands (plan)."""
    import contextlib
    import io

    from ablate.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(map(str, args)))
        except SystemExit as e:
            code = int(e.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def testbed_root(tmp_path_factory):
    """Small real datasets (robosuite demonstrations written through LeRobot), made once per test session."""
    from ablate.testbed.record import record_dataset

    out = tmp_path_factory.mktemp("testbed")
    for robot in ("Panda", "UR5e"):
        record_dataset(robot, "lift", episodes=5, out=out, seed=3)
    return out
