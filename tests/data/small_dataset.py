"""A small LeRobot dataset written with lerobot's own API (Panda, joints and gripper, no images, no EEF poses), and
the faults a copied or hand-edited dataset meets: NaN in a column, a Parquet file cut in half, a broken
meta/ablate.json or meta/info.json. Shared by the data checks' tests and the CLI's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

DATA_FILE = Path("data") / "chunk-000" / "file-000.parquet"
EPISODES, FRAMES = 4, 12

# What the CLI tests train with on such a dataset: no testbed, no environment state, no closed-loop evaluation.
TRAIN_OVERRIDES = (
    "~data.testbed",
    "data.environment_state=false",
    "eval.targets=[]",
    "train.batch_size=16",
    "train.budget={unit: samples, per_run: 32}",
)


CAMERA = "observation.images.front"
# SVT-AV1, lerobot's default video codec, fails (SIGFPE) on frames much smaller than this.
VIDEO_SIZE = 64


def write_small_dataset(
    root: Path,
    *,
    episodes: int = EPISODES,
    frames: int = FRAMES,
    tasks: tuple[str, ...] = ("wave",),
    instruction: str = "",
    video: bool = False,
) -> Path:
    """`root` (a folder named like `Panda_lift`): 4 episodes of 12 frames, 7 joints, 2 gripper values, 8 actions.

    Episode e is recorded with the task string `tasks[e % len(tasks)]`; `instruction` goes into the description;
    `video`: also a camera (`CAMERA`, stored as video), each frame one grey level, 20 + 10·t at frame t."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    from ablate.data.description import DatasetDescription

    features = {
        "observation.joint_pos": {"dtype": "float32", "shape": (7,), "names": None},
        "observation.gripper_qpos": {"dtype": "float32", "shape": (2,), "names": None},
        "action": {"dtype": "float32", "shape": (8,), "names": None},
    }
    if video:
        shape = (VIDEO_SIZE, VIDEO_SIZE, 3)
        features[CAMERA] = {"dtype": "video", "shape": shape, "names": ["height", "width", "channels"]}
    ds = LeRobotDataset.create(
        "me/small", fps=10, root=root, features=features, robot_type="Panda", use_videos=video, video_backend="pyav"
    )
    for episode in range(episodes):
        for t in range(frames):
            q = np.full(7, 0.1 * t + episode, dtype=np.float32)
            frame = {
                "observation.joint_pos": q,
                "observation.gripper_qpos": np.zeros(2, np.float32),
                "action": np.r_[q + 0.1, 1.0].astype(np.float32),
                "task": tasks[episode % len(tasks)],
            }
            if video:
                frame[CAMERA] = np.full(shape, 20 + 10 * t, dtype=np.uint8)
            ds.add_frame(frame)
        ds.save_episode()
    ds.finalize()
    description = DatasetDescription.flat(
        embodiment="Panda",
        fps=10,
        eef_pose=None,
        environment_state=None,
        action_layout="joints_gripper",
        cameras=[CAMERA] if video else [],
        instruction=instruction,
    )
    description.save(root)
    return root


def copy_dataset(source: Path, root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(source, root)
    return root


def put_nan(root: Path, column: str, episode: int, frames: range) -> None:
    """NaN in the first value of `column` at `frames` of `episode`, the file rewritten in place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = root / DATA_FILE
    table = pq.read_table(path)
    values = np.stack(table[column].to_pylist()).astype(np.float32)
    rows = (np.asarray(table["episode_index"]) == episode) & np.isin(np.asarray(table["frame_index"]), list(frames))
    values[rows, 0] = np.nan
    field = table.schema.field(column)
    array = pa.array(list(values), type=field.type)
    pq.write_table(table.set_column(table.schema.get_field_index(column), field, array), path)


def cut_in_half(path: Path) -> None:
    """`truncate -s 50%`: the file as an interrupted copy leaves it."""
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


def edit_json(path: Path, change) -> None:
    """Rewrite a JSON file with `change(content)` applied (a dict edited in place)."""
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))
