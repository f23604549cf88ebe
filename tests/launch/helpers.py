"""Small readers for sweep directories in launch tests."""

from __future__ import annotations

import json
from pathlib import Path


def statuses(project, sweep: Path) -> dict[str, dict]:
    result = project.cli("status", sweep, "--json")
    assert result.code == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def run_state(sweep: Path, name: str) -> dict:
    for work in (sweep / "runs").iterdir():
        if json.loads((work / "run.json").read_text())["name"] == name:
            return json.loads((work / "state.json").read_text())
    raise KeyError(name)


def launches(sweep: Path) -> dict[str, int]:
    """run name -> how many times the driver submitted it."""
    out = {}
    for work in (sweep / "runs").iterdir():
        name = json.loads((work / "run.json").read_text())["name"]
        launch = work / "launch.json"
        out[name] = len(json.loads(launch.read_text())["history"]) if launch.exists() else 0
    return out


def snapshot(folder: Path) -> dict[str, int]:
    """Every file under `folder` and its modification time: equal snapshots mean nothing was written."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
