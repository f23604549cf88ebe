"""Plan-time checks of an arm's resolved recipe as a run config (`ablate.config`): every key known, every value
of the right type and range, the datasets a mixture names present, and the files of every dataset the run reads
sound (`ablate.data.checks`: its metadata, its Parquet files, no NaN in a small one) — so a typo or a broken
dataset is exit 2 from `ablate plan` with the spec line or the file that caused it, not a failed job minutes
later."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ablate.config import RunConfig, VlaConfig, config_problems
from ablate.errors import InputError, Problem
from ablate.spec.evaluation_checks import evaluation_problems
from ablate.spec.factors import Override
from ablate.spec.yaml_lines import Document


def checked_run_config(
    config: dict[str, Any],
    overrides: list[Override],
    arm: str,
    recipe: str,
    doc: Document,
    checked: dict | None = None,
) -> RunConfig:
    """One arm's config, typed; InputError with each problem at the spec key that set the value (else at
    `recipe`). `checked`: a plan's memo of dataset checks, shared by arms with the same data and mixtures."""
    try:
        typed = RunConfig.of(config)
    except ValidationError:
        problems = config_problems(config)
        raise InputError(
            [_at(overrides, path, f"arm {arm}: {path}: {message}", recipe, doc) for path, message in problems]
        ) from None
    if isinstance(typed, VlaConfig):
        memo = checked if checked is not None else {}
        key = _dataset_key(config)
        if key not in memo:
            memo[key] = mixture_problems(typed) or evaluation_problems(typed)
        problems = [_at(overrides, path, f"arm {arm}: {message}", recipe, doc) for path, message in memo[key]]
        if problems:
            raise InputError(problems)
        if ("files", key) not in memo:
            memo["files", key] = dataset_file_problems(typed)
        if memo["files", key]:
            raise InputError(memo["files", key])  # at the dataset's files: every arm reading them shares them
    return typed


def dataset_file_problems(config: VlaConfig, rows: bool | None = None) -> list[Problem]:
    """Problems with the files of each dataset the run trains or evaluates on that is on this machine (a missing
    one is `mixture_problems`' to report; a testbed one not generated yet is generated sound). `rows`: read every row
    of their data (default: only for a dataset small enough, `rows_at_plan`)."""
    from ablate.data.checks import check_dataset, rows_at_plan
    from ablate.data.datasets import all_dataset_keys, dataset_path, description_of

    problems: list[Problem] = _unmatched_descriptions(config)
    for key in all_dataset_keys(config):
        path = dataset_path(config.data, key)
        if not path.is_dir():
            continue
        try:
            rows_now = rows_at_plan(path) if rows is None else rows
            description = check_dataset(path, rows=rows_now, description=description_of(config.data, path))
        except InputError as e:
            problems += [p for p in e.problems if p not in problems]
            continue
        why = _frame_refused(config, path, description)
        if why:
            problems.append(Problem(str(path), "data.action_frame", f"{config.data.action_frame}: {why}"))
        problems += _width_problems(config, path, description)
    return problems


def _width_problems(config: VlaConfig, path: Path, description) -> list[Problem]:
    """A dataset's state and action widths fit the run's unified padded spaces (else the job would stop on them)."""
    from ablate.data.checks import read_info
    from ablate.data.datasets import frame_of
    from ablate.data.embodiments import embodiment
    from ablate.data.recorded import reference_widths

    widths = reference_widths(description, read_info(path)["features"])
    e = embodiment(description.embodiment)
    state = widths["state.joints"] + widths["state.grippers"]
    action = frame_of(config.data).arm_dim(e.arm_dof, len(e.arms)) + e.gripper_action_dims
    out = []
    for key, width, limit, what in (
        ("data.max_state_dim", state, config.data.max_state_dim, "state values"),
        ("data.max_action_dim", action, config.data.max_action_dim, f"action values in {config.data.action_frame}"),
    ):
        if width > limit:
            out.append(Problem(str(path), key, f"{width} {what} exceed {key} = {limit}: raise it to at least {width}"))
    return out


def _unmatched_descriptions(config: VlaConfig) -> list[Problem]:
    """A `data.descriptions` key must name a dataset the run reads: a typo would leave that dataset described by
    another file (beside or inside it) without a word."""
    from ablate.data.datasets import all_dataset_keys, dataset_path, names_dataset

    read = [dataset_path(config.data, k) for k in all_dataset_keys(config)]
    names = ", ".join(p.name for p in read)
    return [
        Problem("config", f"data.descriptions.{key}", f"names no dataset this run reads (it reads {names})")
        for key in config.data.descriptions
        if not any(names_dataset(config.data, key, p) for p in read)
    ]


def _frame_refused(config: VlaConfig, path: Path, description) -> str | None:
    """Why the dataset cannot give labels in the run's action frame (`ablate.data.support`), or None."""
    from ablate.data.datasets import dataset_path
    from ablate.data.embodiments import embodiment
    from ablate.data.support import frame_support

    joint_only = any(path == dataset_path(config.data, k) for k in config.data.joint_only)
    return frame_support(description, embodiment(description.embodiment), joint_only)[config.data.action_frame]


def _dataset_key(config: dict[str, Any]) -> str:
    """What the dataset checks read: the data section, the stages' own mixtures and the evaluation targets."""
    stages = {name: (stage or {}).get("mixture") for name, stage in (config.get("stages") or {}).items()}
    return repr((config["data"], stages, config.get("eval")))


def _at(overrides: list[Override], path: str, message: str, recipe: str, doc: Document) -> Problem:
    for o in reversed(overrides):
        if not o.is_group and (path == o.key or path.startswith(o.key + ".") or o.key.startswith(path + ".")):
            return doc.problem(o.spec_path, message)
    return doc.problem("recipe", f"{message} (set in recipe '{recipe}')")


def mixture_problems(config: VlaConfig) -> list[tuple[str, str]]:
    """(key path, problem) for each mixture key that names no dataset under `data.root`. Testbed runs generate
    their datasets, so there a key must name a testbed robot. A root absent from this machine is not checked
    (`unchecked_root` says so)."""
    from ablate.data.datasets import dataset_path, mixture_of, resolve_key
    from ablate.data.embodiments import EMBODIMENTS
    from ablate.data.source import DatasetError

    data, root = config.data, Path(config.data.root)
    mixtures = {"data.mixture": data.mixture} | {
        f"stages.{name}.mixture": s.mixture for name, s in config.stages.items() if s.mixture is not None
    }
    problems = []
    for path, mixture in mixtures.items():
        try:
            keys = mixture_of(data, mixture)[0]
        except DatasetError as e:
            problems.append((path, str(e)))
            continue
        for key in keys:
            name = resolve_key(data, key)
            if data.testbed is not None:
                robot = name.partition("_")[0]
                if robot not in EMBODIMENTS and not dataset_path(data, key).is_dir():
                    problems.append(
                        (
                            path,
                            f"'{name}' is neither a testbed robot ({', '.join(EMBODIMENTS)}) nor a dataset in {root}",
                        )
                    )
            elif root.is_dir() and not dataset_path(data, key).is_dir():
                there = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
                hint = difflib.get_close_matches(dataset_path(data, key).name, there, n=1)
                problems.append(
                    (
                        path,
                        f"no dataset '{dataset_path(data, key).name}' in {root}"
                        + (f" (did you mean '{hint[0]}'?)" if hint else "")
                        + f"; datasets there: {', '.join(there) or 'none'}",
                    )
                )
    return problems


def unchecked_root(config: dict[str, Any]) -> Path | None:
    """`data.root` of a `vla` run when it is absent from this machine, so its datasets were not checked."""
    typed = RunConfig.of(config)
    if not isinstance(typed, VlaConfig) or typed.data.testbed is not None or Path(typed.data.root).is_dir():
        return None
    return Path(typed.data.root)
