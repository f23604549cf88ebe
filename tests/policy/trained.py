"""A project folder with datasets written by lerobot's own API and runs trained on them by the real CLI: what the
policy, serving and environment tests load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.data import user_datasets

ROBOTS = REPO / "tests" / "data" / "robots"
TRAIN = ("train.batch_size=8", "train.budget={unit: samples, per_run: 32}", "data.root=data/mine")


def ablate_cli(root: Path, *args: str) -> str:
    """`ablate ARGS` run from ROOT (caches inside it); its stdout. Fails the test on a non-zero exit."""
    env = os.environ | {"HF_HOME": str(root / "hf"), "HF_LEROBOT_HOME": str(root / "hf" / "lerobot")}
    done = subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", *args], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def so100_project(root: Path, aloha: bool = False) -> Path:
    """ROOT with data/mine/so100_pick (and aloha_insert), described, and their embodiment files in embodiments/."""
    mine = root / "data" / "mine"
    user_datasets.so100(mine / "so100_pick")
    if aloha:
        user_datasets.aloha(mine / "aloha_insert")
    (root / "embodiments").mkdir()
    for name in ("so100.yaml", "so100.urdf", "aloha.yaml"):
        shutil.copy(ROBOTS / name, root / "embodiments" / name)
    for dataset in ("so100_pick", "aloha_insert") if aloha else ("so100_pick",):
        ablate_cli(root, "data", "describe", f"data/mine/{dataset}")
    return root


def train(root: Path, out: str, *overrides: str) -> Path:
    """`ablate train lerobot/tiny` for 4 steps of 8 samples into ROOT/OUT."""
    ablate_cli(root, "train", "lerobot/tiny", "--out", out, *TRAIN, *overrides)
    return root / out
