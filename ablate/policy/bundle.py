"""What a checkpoint carries so that it is a policy on a machine without the training data (`load_policy`).

Every VLA checkpoint holds, beside its weights and normalisation statistics (`data.normalize.CHECKPOINT_KEY`), a
`policy` entry:
- the run: its id, seed, arm and typed config (as a plain mapping);
- per dataset the run trained or was planned to evaluate on (the datasets its statistics are for): the dataset's
  description, the `meta/info.json` entries of the features the description reads (shapes and value names, so a
  reference like `observation.state[gripper]` resolves), its fps and LeRobot robot type;
- per embodiment: its file as parsed, with the text of each arm's kinematic model (URDF or MJCF; robosuite's own
  models are named, not copied: robosuite is installed with ablate), so forward kinematics works there too.

A checkpoint from an older ablate has no `policy` entry; loading one says so (`BundleError`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ablate.config import RunConfig, VlaConfig
from ablate.data.checks import check_dataset, read_info
from ablate.data.datasets import all_dataset_keys, dataset_path, description_of, training_keys
from ablate.data.description import DatasetDescription
from ablate.data.embodiment_file import ROBOSUITE_PREFIX, Embodiment
from ablate.data.embodiments import embodiment as find_embodiment
from ablate.data.features import FeatureRef
from ablate.data.normalize import CHECKPOINT_KEY

BUNDLE_KEY = "policy"
FORMAT = 1


class BundleError(ValueError):
    """A checkpoint that is not a self-contained policy; the message says why and what to do."""


def policy_bundle(config: VlaConfig, run: dict[str, Any]) -> dict[str, Any]:
    """The `policy` entry of a run's checkpoints. `run`: its identity (id, seed, arm, sweep, levels); the names of
    the datasets it trains on and of its target's are added."""
    data = config.data
    run = run | {
        "trained": [dataset_path(data, k).name for k in training_keys(config)],
        "target": dataset_path(data, data.target).name if data.target else None,
    }
    datasets, embodiments = {}, {}
    for key in all_dataset_keys(config):
        found = dataset_on_disk(config, dataset_path(data, key))
        datasets[found.name] = {
            "description": found.description.model_dump(mode="json") | {"embodiment": found.embodiment.name},
            "features": found.features,
            "fps": found.fps,
            "robot_type": found.robot_type,
            "joint_only": found.joint_only,
        }
        embodiments[found.embodiment.name] = _embodiment_entry(found.embodiment)
    return {"format": FORMAT, "run": run, "config": config.model_dump(mode="json"), "datasets": datasets,
            "embodiments": embodiments}  # fmt: skip


def dataset_on_disk(config: VlaConfig, path: Path) -> BundledDataset:
    """What a policy needs of one of the run's datasets, read from the dataset and its description."""
    description = check_dataset(path, rows=False, description=description_of(config.data, path))
    robot = find_embodiment(description.embodiment)
    info = read_info(path)
    features = {k: info["features"][k] for k in _features_read(description) if k in info["features"]}
    joint_only = any(path == dataset_path(config.data, k) for k in config.data.joint_only)
    return BundledDataset(path.name, description, robot, features, info.get("fps"), info.get("robot_type"), joint_only)


def _features_read(description: DatasetDescription) -> list[str]:
    refs = [*description.state.joints, *description.state.grippers, *(description.state.eef or [])]
    refs += [*description.action.joints, *description.action.grippers, *(description.action.eef or [])]
    names = [FeatureRef.parse(r).feature for r in refs] + list(description.cameras)
    if description.environment_state:
        names.append(description.environment_state)
    return list(dict.fromkeys(names))


def _embodiment_entry(robot: Embodiment) -> dict[str, Any]:
    spec = robot.model_dump(mode="json")
    files = {}
    for i, arm in enumerate(robot.arms):
        k = arm.kinematics
        if k is None or k.model.startswith(ROBOSUITE_PREFIX):
            continue
        name = f"arm{i}-{Path(k.model).name}"
        files[name] = Path(k.model).read_text()
        spec["arms"][i]["kinematics"][k.format] = name
    return {"spec": spec, "files": files}


@dataclass(frozen=True)
class BundledDataset:
    name: str
    description: DatasetDescription
    embodiment: Embodiment
    features: dict[str, Any]
    fps: float | None
    robot_type: str | None
    joint_only: bool = False  # read as joint-only data in training: EEF poses by kinematics, recorded ones ignored


@dataclass(frozen=True)
class Bundle:
    run: dict[str, Any]
    config: VlaConfig
    datasets: dict[str, BundledDataset]


def read_bundle(state: dict[str, Any], source: Path, model_dir: Path | None = None) -> Bundle:
    """The policy entry of a loaded checkpoint. Kinematic model files are written to `model_dir` (a temporary
    folder when None; forward kinematics reads them once, when built)."""
    entry = state.get(BUNDLE_KEY)
    if entry is None and CHECKPOINT_KEY not in state:
        raise BundleError(f"{source}: not a policy's checkpoint (no statistics, no policy bundle): only vla runs are")
    if entry is None:
        raise BundleError(
            f"{source}: this checkpoint holds no policy bundle (written by an ablate older than load_policy): "
            "resume the run for a step with this ablate (`ablate train` on its folder) or train it again"
        )
    if entry.get("format") != FORMAT:
        raise BundleError(f"{source}: policy bundle format {entry.get('format')}, this ablate reads {FORMAT}")
    config = RunConfig.of(entry["config"])
    if not isinstance(config, VlaConfig):
        raise BundleError(f"{source}: job kind '{config.job}' is not a policy (only vla runs are)")
    folder = Path(model_dir or tempfile.mkdtemp(prefix="ablate-policy-"))
    robots = {name: _embodiment(e, folder / name) for name, e in entry["embodiments"].items()}
    datasets = {
        name: BundledDataset(
            name,
            DatasetDescription.model_validate(d["description"]),
            robots[d["description"]["embodiment"]],
            d["features"],
            d.get("fps"),
            d.get("robot_type"),
            bool(d.get("joint_only", False)),
        )
        for name, d in entry["datasets"].items()
    }
    return Bundle(entry["run"], config, datasets)


def _embodiment(entry: dict[str, Any], folder: Path) -> Embodiment:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in entry["files"].items():
        (folder / name).write_text(text)
    return Embodiment.model_validate(entry["spec"], context={"folder": folder})
