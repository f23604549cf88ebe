"""`load_policy`: a trained run as a policy — raw observation in, absolute action chunk out — from its checkpoint
alone (`bundle.py`): no training data, no run folder needed.

    policy = load_policy("sweeps/so100/so100_only-s0")          # or a checkpoints/ckpt-*.pt file
    chunk = policy.predict({"observation.state": state, "task": "pick the cube"})   # [H, D], absolute targets
    action = policy.select_action(obs)                           # one step; a chunk queue, as lerobot's policies

Inference is the training code's: the observation normalised with the statistics the run trained with, the
prefix (images, instruction) encoded once into a key/value cache, `model.denoise_steps` Euler steps of the flow,
the chunk un-normalised in the mode it trained with and turned into absolute targets in its frame
(`frames.to_targets`, from the current joints or EEF pose, recorded or by the embodiment's kinematics as in its
dataset)."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ablate.config import VlaConfig
from ablate.data.datasets import frame_of
from ablate.data.inputs import Padding, dim_mask, observation_inputs, unnormalize_actions
from ablate.data.normalize import CHECKPOINT_KEY, RunNormalization
from ablate.data.support import FrameUnsupported, eef_source
from ablate.errors import InputError
from ablate.model.build import build_policy
from ablate.policy.bundle import BundledDataset, BundleError, read_bundle
from ablate.policy.observation import ActionLayout, ObservationError, action_layout, camera_images, read_refs


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class LoadedPolicy:
    """One run's policy for one of its datasets' robots (its statistics and description). See the module."""

    def __init__(
        self,
        model: torch.nn.Module,
        config: VlaConfig,
        run: dict[str, Any],
        dataset: BundledDataset,
        normalization: RunNormalization,
        device: torch.device,
        n_action_steps: int,
        recorded_layout: bool = True,
    ):
        """`recorded_layout`: actions in the recorded action feature's order where they fill it (robot code); False:
        always the embodiment's order, arm targets then grippers (the environment adapters' contract)."""
        self.model, self.config, self.run, self.dataset, self.device = model.eval(), config, run, dataset, device
        self.embodiment = dataset.embodiment
        self.frame = frame_of(config.data)
        self.stats = normalization.of(dataset.name)
        self.mode = normalization.mode
        self.padding = Padding.of(config.data)
        d = dataset.description
        self.gripper_dims = sum(g.action_dims for g in self.embodiment.grippers)
        self.action_dim = self.frame.arm_dim(self.embodiment.arm_dof, len(self.embodiment.arms)) + self.gripper_dims
        self.layout: ActionLayout = action_layout(dataset, self.frame, recorded=recorded_layout)
        self.current_source = "joints" if self.frame.is_joint else eef_source(d, self.embodiment, dataset.joint_only)
        self._fk = None
        if self.current_source == "kinematics":
            from ablate.data.kinematics import ForwardKinematics

            self._fk = ForwardKinematics(self.embodiment, tuple(d.base_position))
        self.n_action_steps = n_action_steps
        self._queue: deque[np.ndarray] = deque()
        self._generator = torch.Generator()
        self.reset()

    # -- what it is ----------------------------------------------------------------------------------
    @property
    def action_names(self) -> tuple[str, ...]:
        return self.layout.names

    @property
    def horizon(self) -> int:
        return self.config.data.horizon

    @property
    def chunk_fps(self) -> float | None:
        """Targets per second in a chunk: the dataset's fps over `data.frame_step` (targets are k frames apart)."""
        return None if self.dataset.fps is None else float(self.dataset.fps) / self.config.data.frame_step

    def metadata(self) -> dict[str, Any]:
        """What a client needs to drive the robot with it (the policy server's handshake)."""
        return {
            "run": self.run.get("id"),
            "seed": self.run.get("seed"),
            "embodiment": self.embodiment.name,
            "dataset": self.dataset.name,
            "action_frame": self.frame.name,
            "horizon": self.horizon,
            "chunk_fps": self.chunk_fps,
            "n_action_steps": self.n_action_steps,
            "action_names": list(self.action_names),
            "action_feature": self.layout.feature,
            "observation_features": self.observation_features(),
            "instruction": self.dataset.description.instruction or "from the observation's 'task'",
        }

    def observation_features(self) -> list[str]:
        d = self.dataset.description
        refs = [*d.state.joints, *d.state.grippers, *(d.state.eef or [] if self.current_source == "recorded" else [])]
        names = [r.split("[")[0].strip() for r in refs]
        if self.model.images:
            names += list(d.cameras)
        if self.model.environment_in is not None and d.environment_state:
            names.append(d.environment_state)
        return list(dict.fromkeys(names))

    def describe(self) -> str:
        fps = f" at {self.chunk_fps:g} Hz" if self.chunk_fps else ""
        laid = f"laid out as {self.layout.feature}" if self.layout.feature else "in the embodiment's order"
        return (
            f"policy {self.run.get('id')}: {self.embodiment.name} with dataset {self.dataset.name}'s statistics, "
            f"frame {self.frame.name}; chunks of {self.horizon} absolute targets{fps}, {self.n_action_steps} "
            f"executed per chunk by select_action; actions {laid}: {', '.join(self.action_names)}"
        )

    # -- acting --------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """A new episode: the chunk queue emptied, the flow noise seeded (default: the run's seed)."""
        self._queue.clear()
        self._generator.manual_seed(int(self.run.get("seed", 0) if seed is None else seed))

    @torch.no_grad()
    def predict(self, obs: dict[str, Any], generator: torch.Generator | None = None) -> np.ndarray:
        """[horizon, D] absolute targets (see `action_names`) for a raw observation: the features its dataset's
        description reads (`observation.state`, cameras `observation.images.*`, …) and `task` (the instruction).
        `generator`: the flow noise's (default: the policy's own, seeded by `reset`)."""
        d = self.dataset.description
        joints = read_refs(obs, d.state.joints, self.dataset, "state.joints")
        grippers = read_refs(obs, d.state.grippers, self.dataset, "state.grippers")
        environment = None
        if self.model.environment_in is not None:
            environment = read_refs(obs, [d.environment_state], self.dataset, "environment_state")
        inputs = observation_inputs(np.r_[joints, grippers], self.stats, self.padding, environment_state=environment)
        inputs["action_dim_mask"] = dim_mask(self.action_dim, self.padding.action)
        batch = {k: torch.as_tensor(v, dtype=torch.float32, device=self.device)[None] for k, v in inputs.items()}
        tokens = self.model.tokenize([self._instruction(obs)])
        batch["tokens"], batch["token_mask"] = (t.to(self.device) for t in tokens)
        if self.model.images:
            views = camera_images(obs, self.dataset)
            batch["images"] = torch.as_tensor(views[None], device=self.device)
            batch["camera_mask"] = torch.ones(1, len(views), device=self.device)
        chunk = self.model.sample_actions(batch, generator=generator or self._generator)[0, :, : self.action_dim]
        labels = unnormalize_actions(chunk.float().cpu().numpy().astype(np.float64), self.stats, self.mode)
        from ablate.data.frames import to_targets

        arm, gripper = to_targets(self.frame, self._current(obs, joints), labels, gripper_dims=self.gripper_dims)
        return self.layout.place(np.concatenate([arm, gripper], axis=-1))

    def select_action(self, obs: dict[str, Any]) -> np.ndarray:
        """One action [D]: the next of the current chunk's first `n_action_steps`, a new chunk when they are spent."""
        if not self._queue:
            self._queue.extend(self.predict(obs)[: self.n_action_steps])
        return self._queue.popleft()

    def _instruction(self, obs: dict[str, Any]) -> str:
        fixed = self.dataset.description.instruction
        if fixed:
            return fixed  # what every training frame of its dataset was told
        task = obs.get("task", obs.get("prompt"))
        if task is None:
            raise ObservationError(
                f"the policy trained on each frame's task string (dataset {self.dataset.name}): give the "
                "instruction as the observation's 'task'"
            )
        return str(task[0] if isinstance(task, list | tuple) else task)

    def _current(self, obs: dict[str, Any], joints: np.ndarray) -> np.ndarray:
        """Where a chunk starts: the current joints, or the current EEF pose(s) from the same source as training."""
        if self.current_source == "joints":
            return joints
        if self.current_source == "kinematics":
            return self._fk(joints)[0]
        return read_refs(obs, self.dataset.description.state.eef, self.dataset, "state.eef")


def load_policy(
    path: str | Path,
    embodiment: str | None = None,
    *,
    device: str | torch.device | None = None,
    n_action_steps: int | None = None,
    log: Callable[[str], None] | None = _stderr,
) -> LoadedPolicy:
    """A run's policy from its folder (its newest intact checkpoint) or a checkpoint file, alone.

    `embodiment`: which of the run's robots it drives — an embodiment name or a dataset name; default: the run's
    only training dataset, or its target (`data.target`). `device`: default CUDA when there is one. `n_action_steps`:
    steps of each chunk `select_action` executes (default: the run's `eval.execute`). `log`: told each choice made
    for you (default: stderr; None: silent). Bad input raises `InputError` naming the file."""
    from ablate.jobs.checkpoints import CheckpointStore, CorruptCheckpoints
    from ablate.layout import CHECKPOINTS_DIR

    path = Path(path)
    say = log or (lambda _line: None)
    try:
        if path.is_dir():
            store = CheckpointStore(path / CHECKPOINTS_DIR)
            state = store.latest()
            if state is None:
                raise InputError.single(path, "", f"no checkpoint in {path / CHECKPOINTS_DIR} (not trained yet?)")
        elif path.is_file():
            state = CheckpointStore.load(path)
        else:
            raise InputError.single(path, "", "no such run folder or checkpoint file")
        bundle = read_bundle(state, path)
    except (CorruptCheckpoints, BundleError) as e:
        raise InputError.single(path, "", str(e)) from None
    dataset = _choose(bundle.datasets, bundle.run, bundle.config, embodiment, path, say)
    backbone = bundle.config.model.backbone.path
    if backbone and not Path(backbone).expanduser().is_dir():
        # The pretrained backbone's architecture and tokenizer are read from it (its weights come from the checkpoint).
        say(f"the run's backbone is {backbone}: its config and tokenizer are read from there (hub or cache)")
    model = build_policy(bundle.config, int(bundle.run.get("seed", 0)))
    model.load_state_dict(state["model"])
    try:
        where = torch.device(device) if device is not None else _default_device()
    except (RuntimeError, TypeError) as e:
        raise InputError.single("device", "", f"not a torch device: {device!r} ({e})") from None
    if n_action_steps is not None and not 1 <= n_action_steps <= bundle.config.data.horizon:
        raise InputError.single(
            "n_action_steps", "", f"expected 1..{bundle.config.data.horizon} (the chunk's length), got {n_action_steps}"
        )
    normalization = RunNormalization.from_state(state[CHECKPOINT_KEY])
    try:
        policy = LoadedPolicy(
            model.to(where),
            bundle.config,
            bundle.run,
            dataset,
            normalization,
            where,
            n_action_steps or bundle.config.eval.execute,
        )
    except FrameUnsupported as e:
        raise InputError.single(path, "", f"{dataset.name}: {e}") from None
    say(f"step {state.get('global_step')} of run {bundle.run.get('id')}; " + policy.describe())
    return policy


def _default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _choose(
    datasets: dict[str, BundledDataset],
    run: dict[str, Any],
    config: VlaConfig,
    wanted: str | None,
    path: Path,
    say: Callable[[str], None],
) -> BundledDataset:
    """The dataset whose statistics and description the policy uses (they differ per dataset, even for one robot)."""
    trained = [n for n in run.get("trained", list(datasets)) if n in datasets]
    target = run.get("target")
    if wanted is not None and wanted in datasets:
        return datasets[wanted]
    pool = trained if wanted is None else [n for n, d in datasets.items() if d.embodiment.name == wanted]
    if wanted is not None and not pool:
        known = ", ".join(f"{n} ({d.embodiment.name})" for n, d in datasets.items())
        raise InputError.single(path, "embodiment", f"no dataset or embodiment {wanted!r} in this run; it has {known}")
    if len(pool) == 1:
        return datasets[pool[0]]
    if target in pool:
        say(f"{', '.join(pool)} fit; using {target}, the run's target (data.target); give embodiment= for another")
        return datasets[target]
    options = ", ".join(f"{n} ({datasets[n].embodiment.name})" for n in pool)
    raise InputError.single(
        path, "embodiment", f"the run trained on several datasets ({options}): name one, load_policy(…, embodiment=…)"
    )
