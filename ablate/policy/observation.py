"""A raw observation in LeRobot's feature naming → what the policy was trained on, and its predicted commands back
into the robot's own action layout — through the dataset description the run trained with (`bundle.py`), so
a robot's observation is sliced exactly as its dataset was (`observation.state[0:5]`, `observation.state[5]`, …).

The actions come out absolute whatever the frame: joint targets in joint frames; EEF target poses (xyz +
quaternion xyzw per arm) in EEF frames; every gripper's command, absolute. When the targets are exactly what one
recorded action feature held (an SO-100's `action`: joints then gripper; an ALOHA's 14 values with each gripper
after its arm), they are placed in that feature's order, so robot code sends them as it sent the dataset's; else
in the embodiment's order, arm after arm, then the grippers (`action_names` says which)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ablate.data.features import FeatureRef, FeatureRefError, feature_names, feature_width
from ablate.data.frames import Frame
from ablate.policy.bundle import BundledDataset

POSE = ("x", "y", "z", "qx", "qy", "qz", "qw")


class ObservationError(ValueError):
    """An observation the policy cannot read; the message names the feature and what was expected."""


@dataclass(frozen=True)
class ActionLayout:
    """Where each of the policy's absolute targets goes in the action it returns."""

    names: tuple[str, ...]
    feature: str | None  # the recorded action feature the actions are laid out as (None: the embodiment's order)
    order: np.ndarray  # output column of each internal column (arm targets, then grippers)

    def place(self, internal: np.ndarray) -> np.ndarray:
        out = np.empty_like(internal)
        out[..., self.order] = internal
        return out


def read_refs(obs: dict[str, Any], refs: list[str], dataset: BundledDataset, role: str) -> np.ndarray:
    """The values `refs` take from one observation, concatenated: [k]."""
    parts = []
    for ref in map(FeatureRef.parse, refs):
        if ref.feature not in obs:
            have = ", ".join(sorted(map(str, obs))) or "nothing"
            raise ObservationError(f"{role} reads {ref.text}: the observation has no {ref.feature!r} (it has {have})")
        try:
            value = np.asarray(obs[ref.feature], dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as e:
            raise ObservationError(f"{role}: {ref.feature} is not an array of numbers ({e})") from None
        if not np.isfinite(value).all():
            raise ObservationError(f"{role}: {ref.feature} holds values that are not finite numbers: {value}")
        width = feature_width(dataset.features[ref.feature])
        if value.size != width:
            raise ObservationError(
                f"{role}: {ref.feature} holds {value.size} values, expected {width} as in dataset {dataset.name}"
            )
        try:
            parts.append(ref.read(value[None], dataset.features)[0])
        except FeatureRefError as e:
            raise ObservationError(f"{role}: {e}") from None
    return np.concatenate(parts) if parts else np.zeros(0)


def camera_images(obs: dict[str, Any], dataset: BundledDataset) -> np.ndarray:
    """[N, 3, h, w] floats in [0, 1] from each described camera: HWC or CHW, uint8 (0..255) or float (0..1), at
    the size the dataset recorded."""
    views = []
    for camera in dataset.description.cameras:
        if camera not in obs:
            raise ObservationError(f"the policy sees camera {camera!r}, which the observation does not hold")
        image = np.asarray(obs[camera])
        if image.ndim == 4 and image.shape[0] == 1:
            image = image[0]
        if image.ndim != 3:
            raise ObservationError(f"{camera}: expected one image (h, w, 3) or (3, h, w), got shape {image.shape}")
        if image.shape[0] != 3 and image.shape[-1] == 3:
            image = image.transpose(2, 0, 1)
        if image.dtype == np.uint8:
            image = image.astype(np.float32) / 255.0
        elif image.dtype.kind == "f" and image.size and float(image.min()) >= 0.0 and float(image.max()) <= 1.0:
            image = image.astype(np.float32)
        else:  # 0..255 in floats or ints would reach the model unscaled
            raise ObservationError(
                f"{camera}: expected uint8 (0..255) or floats in [0, 1], got {image.dtype} with values "
                f"{image.min() if image.size else '–'}..{image.max() if image.size else '–'}"
            )
        recorded = _image_hw(dataset.features.get(camera, {}))
        if recorded is not None and tuple(image.shape[1:]) != recorded:
            raise ObservationError(
                f"{camera}: {image.shape[1]}×{image.shape[2]} pixels, but the policy trained on {recorded[0]}×"
                f"{recorded[1]} (dataset {dataset.name}): resize it as the dataset was recorded"
            )
        views.append(image)
    return np.stack(views)


def _image_hw(spec: dict[str, Any]) -> tuple[int, int] | None:
    """(h, w) of an image or video feature: LeRobot writes its shape as (h, w, c), with names saying so."""
    shape = spec.get("shape")
    if not shape or len(shape) != 3:
        return None
    names = spec.get("names") or []
    if list(names)[:1] in (["channels"], ["channel"]):
        return int(shape[1]), int(shape[2])
    return int(shape[0]), int(shape[1])


def action_layout(dataset: BundledDataset, frame: Frame, recorded: bool = True) -> ActionLayout:
    """The layout of the absolute targets: one recorded action feature's order where they fill it exactly (and
    `recorded`), else the embodiment's order."""
    e, d = dataset.embodiment, dataset.description
    if frame.is_joint:
        arm_refs, arm_names = d.action.joints, list(e.joint_names)
    else:
        arm_refs = d.action.eef
        arm_names = [f"{a.name}.{p}" for a in e.arms for p in POSE]
    gripper_names = [
        f"{a.name}.{a.gripper.name}" + (f"[{i}]" if a.gripper.action_dims > 1 else "")
        for a in e.arms
        if a.gripper is not None
        for i in range(a.gripper.action_dims)
    ]
    names = arm_names + gripper_names
    internal = np.arange(len(names))
    if arm_refs is None or not recorded:  # EEF targets by forward kinematics: there is no recorded layout
        return ActionLayout(tuple(names), None, internal)
    refs = [FeatureRef.parse(r) for r in [*arm_refs, *d.action.grippers]]
    features = {r.feature for r in refs}
    if len(features) != 1:
        return ActionLayout(tuple(names), None, internal)
    feature = features.pop()
    columns = [i for r in refs for i in r.indices(dataset.features)]
    width = feature_width(dataset.features[feature])
    if sorted(columns) != list(range(width)) or len(columns) != len(names):
        return ActionLayout(tuple(names), None, internal)
    order = np.asarray(columns)
    recorded = feature_names(dataset.features[feature])
    placed = [""] * width
    for column, name in zip(columns, names, strict=True):
        placed[column] = recorded[column] if len(recorded) == width else name
    return ActionLayout(tuple(placed), feature, order)
