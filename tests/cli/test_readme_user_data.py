"""The README's "Your own robot and data" commands, read from README.md and run exactly as written, from a project
folder holding an SO-100 dataset written by lerobot's API at data/mine/so100_pick and its embodiment file beside
the description (data/mine/embodiments/)."""

from __future__ import annotations

import re
import shlex
import shutil

from tests.conftest import REPO
from tests.data import user_datasets


def readme_commands() -> list[str]:
    section = (REPO / "README.md").read_text().split("\n## Your own robot and data\n", 1)[1]
    block = re.search(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M).group(1)
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


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
