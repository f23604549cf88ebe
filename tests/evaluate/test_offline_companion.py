"""The trial table's offline companion as a real run writes it: a tiny testbed VLA trained without closed-loop
evaluation measures its offline error on the held-out episodes of every dataset it trains on, one row per dataset,
with the settings that chose the chunks; inside a sweep the row goes to the sweep's part too."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from ablate import layout
from ablate.offline_table import METRICS, SETTINGS, write_run_offline


def _train(root, out, *extra: str) -> subprocess.CompletedProcess:
    args = [
        sys.executable, "-m", "ablate.cli.main", "train", "testbed/tiny", "--out", str(out), f"data.root={root}",
        "~data.testbed", "~data.mixture", "+data.mixture={Panda: 1.0, UR5e: 1.0}", "data.val_fraction=0.2",
        "eval.targets=[]", "train.batch_size=8", "train.budget.per_run=16", *extra,
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, cwd=out.parent, timeout=600)


@pytest.mark.parametrize("frame", ["eef_rel", "joint_abs"])
def test_a_run_without_closed_loop_writes_its_offline_rows(testbed_root, tmp_path, frame):
    out = tmp_path / "run"
    done = _train(testbed_root, out, f"data.action_frame={frame}")
    assert done.returncode == 0, done.stderr[-3000:]
    table = pd.read_parquet(out / layout.RUN_OFFLINE)
    assert sorted(table["dataset"]) == ["Panda_lift", "UR5e_lift"]  # data.target unset: every dataset it trains on
    assert set(table["embodiment"]) == {"Panda", "UR5e"}
    assert (table["chunks"] > 0).all()
    row = table.iloc[0]
    assert {c: row[c] for c in SETTINGS} == {
        "val_split_seed": 0, "val_fraction": 0.2, "chunk_horizon": 8, "chunk_frame_step": 1
    }  # fmt: skip
    measured = {m for m in METRICS if table[m].notna().all()}
    if frame == "eef_rel":
        assert measured == {"eef_position_error_m", "eef_rotation_error_rad", "gripper_error"}
    else:  # the testbed records EEF poses: FK of predicted joints would be another convention, so no EEF error
        assert measured == {"joint_error_rad", "gripper_error"}
    assert (table[list(measured)] >= 0).all().all()
    assert "offline error on Panda_lift" in done.stdout


def test_inside_a_sweep_the_rows_go_to_the_sweep_part_too(tmp_path):
    sweep = tmp_path / "sweep"
    work = layout.run_dir(sweep, "abc123")
    work.mkdir(parents=True)
    (sweep / layout.MANIFEST).write_text(json.dumps({"runs": [{"id": "abc123"}]}))
    rows = [{"sweep": "s", "arm": "a", "run": "abc123", "seed": 0, "embodiment": "so100", "dataset": "so100_pick",
             "chunks": 4, "joint_error_rad": 0.1}]  # fmt: skip
    write_run_offline(rows, work)
    part = pd.read_parquet(layout.offline_part(sweep, "abc123"))
    assert part.to_dict("records") == pd.read_parquet(work / layout.RUN_OFFLINE).to_dict("records") == rows
