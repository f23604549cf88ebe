"""Each frame's instruction: the task string LeRobot recorded for it, unless the dataset's description fixes one.

LeRobot v3 stores a `task_index` per frame and the strings once, in `meta/tasks.parquet` (`meta.tasks`: indexed
by the string, with a `task_index` column). The strings are looked up here once for every frame, from the same
Arrow table as the other low-dimensional columns, so a sample reads its instruction as one array element rather
than through `LeRobotDataset.__getitem__`.

A description's non-empty `instruction` is the instruction of every frame (a dataset recorded without useful
task strings, or one to be told in other words). When that discards recorded strings that say something else,
or when a dataset has no instruction at all, one line per dataset says so: a policy then trains on language
the researcher may not expect.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

_said: set[tuple[Path, str]] = set()  # (dataset, line): each said once per process, whatever the splits opened


def frame_instructions(root: Path, fixed: str, table: Mapping[str, Any], tasks: Any) -> np.ndarray:
    """The instruction of every row of `table` (the frames of the dataset at `root`), as an object array of str.

    `fixed`: the description's instruction ("" = use the recorded ones); `tasks`: lerobot's `meta.tasks`
    (None when the dataset recorded none)."""
    root = Path(root).resolve()
    recorded = _recorded(root.name, table, tasks)
    frames = len(table["episode_index"])
    # The dataset's strings, not only this split's: what is said does not depend on which split is opened first.
    texts = {str(text) for text in tasks.index} - {""} if recorded is not None else set()
    if fixed:
        if others := sorted(texts - {fixed}):  # the same text (the testbed's datasets) loses nothing: no line
            _say(
                root,
                f"the instruction {fixed!r} from meta/ablate.json is used for every frame; its {len(texts)} recorded "
                f"task string(s) (e.g. {others[0]!r}) are not",
            )
        return np.full(frames, fixed, dtype=object)
    if not texts:
        _say(root, "no instruction (no task strings recorded, none in meta/ablate.json): the policy is told nothing")
        return np.full(frames, "", dtype=object)
    return recorded


def _recorded(name: str, table: Mapping[str, Any], tasks: Any) -> np.ndarray | None:
    """Each row's recorded task string, or None when the dataset has no task strings."""
    if tasks is None or "task_index" not in table:
        return None
    by_index = np.full(int(tasks["task_index"].max()) + 1, "", dtype=object)  # an index it skips: no string
    by_index[np.asarray(tasks["task_index"])] = [str(text) for text in tasks.index]
    index = np.asarray(table["task_index"]).astype(np.int64)
    unknown = (index < 0) | (index >= len(by_index))
    if unknown.any():
        from ablate.data.source import DatasetError  # here: ablate.data.source imports this module

        raise DatasetError(
            f"dataset {name}: frame {int(np.asarray(table['index'])[unknown][0])} has task_index "
            f"{int(index[unknown][0])}, which meta/tasks.parquet does not hold"
        )
    return by_index[index]


def _say(root: Path, line: str) -> None:
    if (root, line) not in _said:
        _said.add((root, line))
        print(f"dataset {root.name}: {line}", file=sys.stderr, flush=True)
