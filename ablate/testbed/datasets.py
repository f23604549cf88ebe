"""Testbed datasets on demand: a run whose `data.testbed` is set gets the robosuite demonstrations it trains and
evaluates on generated first (`ablate testbed make` does the same by hand), under a file lock, so the parallel
runs of a sweep generate each dataset once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ablate.config import VlaConfig, VlaData
from ablate.data.datasets import all_dataset_keys, dataset_path, resolve_key
from ablate.data.source import DatasetError

SUMMARY_FILE = Path("meta/testbed.json")  # every attempt's seed, success and checkpoints; the expert version


def ensure_testbed(config: VlaConfig, log=print) -> None:
    """Generate the testbed datasets this run needs and that do not exist yet (once, under a lock)."""
    data, testbed = config.data, config.data.testbed
    if testbed is None:
        return
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.testbed.experts import EXPERT_VERSION
    from ablate.testbed.record import expert_version, record_dataset
    from ablate.testbed.tasks import TASKS

    root = Path(data.root)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".generate.lock"):
        for key in all_dataset_keys(config):
            robot, task_name = testbed_dataset(key, data.task)
            if robot not in EMBODIMENTS or task_name not in TASKS:
                continue
            path = root / f"{robot}_{task_name}"
            if path.is_dir():
                found = expert_version(path)
                if found not in (None, EXPERT_VERSION):
                    raise DatasetError(
                        f"{path} was recorded by testbed expert version {found}, not the current {EXPERT_VERSION}: "
                        "delete it and it is generated again on the next run"
                    )
                continue
            log(f"generating testbed dataset {path.name} ({testbed.episodes} episodes)…")
            summary = record_dataset(
                robot,
                task_name,
                testbed.episodes,
                root,
                images=config.model.images,
                image_size=testbed.image_size,
                seed=testbed.seed,
            )
            log(f"  {summary['episodes']} of {summary['attempts']} expert episodes kept, {summary['seconds']:.0f} s")


def is_testbed_data(data: VlaData, key: str) -> bool:
    """Whether the dataset a key names is the testbed's: one the testbed recorded (it holds `meta/testbed.json`), or
    one this run generates (data.testbed is on, and the key names a testbed robot and task not on disk yet)."""
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.testbed.tasks import TASKS

    path = dataset_path(data, key)
    if path.is_dir():
        return (path / SUMMARY_FILE).is_file()
    robot, task_name = testbed_dataset(resolve_key(data, key), data.task)
    return data.testbed is not None and robot in EMBODIMENTS and task_name in TASKS


def testbed_dataset(key: str, default_task: str) -> tuple[str, str]:
    """(robot, task) a testbed dataset key stands for: `Panda` (the run's data.task) or `Panda_stack`."""
    robot, _, task_name = key.partition("_")
    return robot, task_name or default_task


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
