"""The README's "Your own robot and data" commands, read from README.md and run exactly as written, from a project
folder holding an SO-100 dataset written by lerobot's API at data/mine/so100_pick and its embodiment file beside
the description (data/mine/embodiments/)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys

from tests.conftest import REPO
from tests.data import user_datasets


def readme_text() -> str:
    return (REPO / "README.md").read_text()


def _section() -> str:
    return readme_text().split("\n## Your own robot and data\n", 1)[1].split("\n## ", 1)[0]


def readme_commands(block: int = 0) -> list[str]:
    found = re.findall(r"^```bash\n(.*?)^```$", _section(), flags=re.S | re.M)[block]
    return [line.split("   #")[0].strip() for line in found.splitlines() if line.strip()]


def readme_spec() -> tuple[str, str]:
    """The study's spec: its path (named in the text just before it) and its YAML."""
    found = re.search(r"`(experiments/[\w.]+\.yaml)`:\n\n```yaml\n(.*?)^```$", _section(), flags=re.S | re.M)
    return found.group(1), found.group(2)


def test_the_readme_user_data_commands_work_as_written(project):
    mine = project.root / "data" / "mine"
    user_datasets.so100(mine / "so100_pick")
    (mine / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, mine / "embodiments" / name)
    commands = readme_commands()
    assert [c.split()[:3] for c in commands] == [
        ["ablate", "data", "describe"], ["ablate", "data", "check"], ["ablate", "train", "lerobot/tiny"]
    ]  # fmt: skip
    for command in commands:
        done = project.cli(*shlex.split(command)[1:])
        assert done.code == 0, f"{command}\n{done.stdout}\n{done.stderr[-2000:]}"
    assert (mine / "so100_pick.ablate.yaml").is_file()
    assert (project.root / "runs" / "so100" / "checkpoints").is_dir()
    # "A trained run as a policy": the README's Python, run with the data and the embodiment files gone
    shutil.move(project.root / "data", project.root / "data-gone")
    script = re.search(
        r"^```python\n(.*?)^```$", readme_text().split("\n## A trained run as a policy", 1)[1], flags=re.S | re.M
    ).group(1)
    done = subprocess.run([sys.executable, "-c", script], cwd=project.root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    names = ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper")
    assert f"{names} (8, 6)" in done.stdout
    assert "policy so100: so100 with dataset so100_pick's statistics, frame joint_abs" in done.stderr


def test_the_readme_study_over_two_datasets_runs_and_reports_as_written(project):
    """Describe a second robot's dataset, run the README's sweep over both (6 and 8 action values in one pool),
    report it: no closed loop, so arms are compared on the offline error on the SO-100's held-out episodes."""
    mine = project.root / "data" / "mine"
    user_datasets.so100(mine / "so100_pick")
    user_datasets.franka_eef(mine / "franka_push")
    (mine / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf", "franka.yaml"):
        shutil.copy(REPO / "tests" / "data" / "robots" / name, mine / "embodiments" / name)
    for command in readme_commands(0)[:1]:  # the SO-100's description, as the first block made it
        assert project.cli(*shlex.split(command)[1:]).code == 0
    path, text = readme_spec()
    (project.root / path).write_text(text)
    commands = readme_commands(1)
    assert [c.split()[:2] for c in commands] == [["ablate", "data"], ["ablate", "run"], ["ablate", "report"]]
    for command in commands:
        done = project.cli(*shlex.split(command)[1:])
        assert done.code == 0, f"{command}\n{done.stdout}\n{done.stderr[-3000:]}"
    report = project.root / "report" / "so100"
    results = json.loads((report / "results.json").read_text())
    assert results  # strict JSON, read back
    markdown = (report / "report.md").read_text()
    assert "offline" in markdown.lower() and "so100_pick" in markdown
