"""Plan-time checks of where a `vla` run's policy is evaluated: closed loop runs on the robosuite testbed, so a run
on a researcher's own data is never scored there — once, with the testbed defaults left on, a run on an SO-100
dataset generated a Panda dataset into the user's folder and reported "success 0.1" on a task it never trained on.

A run without closed-loop targets is fine: it reports offline metrics on its held-out episodes, and says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ablate.config import RunConfig, VlaConfig
from ablate.config.vla import evaluation_summary


def evaluation_problems(config: VlaConfig) -> list[tuple[str, str]]:
    """(key path, problem) for testbed generation or closed-loop targets a run's data cannot justify; the message
    names the key too (a spec's error points at the line that set it, which may be the recipe)."""
    from ablate.data.datasets import dataset_path, target_key, training_keys
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.data.source import DatasetError
    from ablate.testbed.datasets import is_testbed_data, testbed_dataset
    from ablate.testbed.tasks import TASKS

    data = config.data
    try:
        trained = training_keys(config)
    except DatasetError:
        return []  # the mixture's own problem, reported by `mixture_problems`
    yours = [dataset_path(data, k).name for k in trained if not is_testbed_data(data, k)]
    own = (
        "for your own datasets use the recipe lerobot/tiny (no testbed, no closed loop), or drop the testbed from "
        "this one: ~data.testbed 'eval.targets=[]'"
    )
    problems = []
    if data.testbed is not None and yours:
        problems.append(
            (
                "data.testbed",
                f"data.testbed is on (it generates robosuite testbed datasets into {data.root} and evaluates there), "
                f"but this run trains on {', '.join(yours)}, which the testbed did not record: {own}",
            )
        )
    for i, target in enumerate(config.eval.targets):
        where, task = f"eval.targets.{i}", target.task or data.task
        if target.env != "testbed":
            problems += _environment_problems(config, where, target)
            continue
        robot, task = testbed_dataset(target.robot, task)
        if robot not in EMBODIMENTS or task not in TASKS:
            problems.append(
                (
                    where,
                    f"{where}: {target.robot}/{task}: closed-loop evaluation runs on the robosuite testbed (robots "
                    f"{', '.join(EMBODIMENTS)}; tasks {', '.join(TASKS)}); set eval.targets=[] and the run reports "
                    "offline metrics on its held-out episodes",
                )
            )
        elif len(yours) == len(trained):
            problems.append(
                (
                    where,
                    f"{where}: {robot}/{task} is a robosuite testbed task, and this run trains on no testbed data "
                    f"({', '.join(yours)}): its policy would be scored on a task it never trained on; set "
                    "eval.targets=[] and the run reports offline metrics on its held-out episodes",
                )
            )
        elif not is_testbed_data(data, target_key(config, target)):
            path = dataset_path(data, target_key(config, target))
            problems.append(
                (
                    where,
                    f"{where}: {robot}/{task} needs the testbed dataset {path} (its statistics un-normalise the "
                    "policy's actions), which is not there: `ablate testbed make` records it, or set data.testbed",
                )
            )
    return problems


def _environment_problems(config: VlaConfig, where: str, target) -> list[tuple[str, str]]:
    """A target in another environment: the adapter registered, the run's frame one it takes, and the target's
    dataset there (its description reads the observations, its statistics un-normalise the actions)."""
    from ablate.data.datasets import target_path
    from ablate.envs.adapter import refusal

    name = f"{target.robot}/{target.task or config.data.task} in {target.env}"
    refused = refusal(target.env, config.data.action_frame)
    if refused:
        return [(f"{where}.env", f"{where}.env: {refused}")]
    path = target_path(config.data, target)
    if not path.is_dir() and Path(config.data.root).is_dir():  # no data.root here at all: noted by the mixture check
        why = "its description reads the observations, its statistics un-normalise the actions"
        fix = "record it (`ablate env record`) or train on it"
        return [(where, f"{where}: {name} needs the dataset {path} ({why}), which is not there: {fix}")]
    return []


def evaluation_notes(configs: list[dict[str, Any]]) -> list[str]:
    """How a sweep's arms are evaluated, one line per distinct way (with the arms' count when they differ)."""
    lines: dict[str, int] = {}
    typed: dict[str, RunConfig] = {}  # one typed config per distinct evaluation (a 10,000-arm spec plans in seconds)
    for config in configs:
        key = repr((config.get("job"), config.get("eval"), (config.get("data") or {}).get("task")))
        if key not in typed:
            typed[key] = RunConfig.of(config)
        if isinstance(typed[key], VlaConfig):
            line = evaluation_summary(typed[key])
            lines[line] = lines.get(line, 0) + 1
    if len(lines) == 1:
        return list(lines)
    return [f"{line} ({n} arm{'s' * (n > 1)})" for line, n in lines.items()]
