"""`ablate tune`: matched hyperparameter tuning, one Optuna study per arm.

Matched means no arm wins by being tuned harder: every arm's study searches the same space, with the same sampler
and sampler seed, for the same number of trials K, each trial a real run through the sweep's launcher with the
declared tuning budget on the tuning seeds (disjoint from the final seeds, so the final comparison is not made on
the episodes the configs were picked on). Trials are asked in rounds (`tune.batch` per arm) and told when their
runs end; the studies live in one Optuna storage (sqlite in the sweep dir, or an RDB URL on a cluster), so a killed
`ablate tune` resumes where it was — finished trials are kept, trials in flight are adopted (their runs resume from
their checkpoints) — and several drivers (each on its own sweep dir; one sweep dir has one driver) may share one
storage: a trial numbered K or above, asked concurrently by another driver, is told failed as surplus and never run,
so every arm keeps exactly K; each trial is run by the driver that asked it (its tune dir is the trial's `tune_dir`
attribute), the others follow it through its runs' files and wait for it. No pruning: a pruner judges
trials on intermediate values, whose meaning differs between arms that train on different mixtures or stage chains
(a pooled arm's target loss is worse before its post-training stage), so it would cut arms unequally.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import random
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ablate import atomic, layout
from ablate.errors import InputError
from ablate.launch.status import DONE, RunStatus, run_statuses
from ablate.layout import DRIVER_LOCK, RUN_FILE, STATE_FILE, TUNE_BEST, TUNE_DIR, TUNE_STORAGE
from ablate.spec.plan import Arm, Plan, PlannedRun, with_overrides

SURPLUS = "surplus"
OWNER = "tune_dir"  # the tune dir of the driver that asked the trial: it launches the trial's runs there
BEST = TUNE_BEST


def storage_url(plan: Plan, tune_root: Path) -> str:
    return plan.spec.tune.storage or f"sqlite:///{tune_root / TUNE_STORAGE}"


def study_name(plan: Plan, arm: Arm) -> str:
    return f"{plan.spec.name}/{arm.name}"


def open_studies(plan: Plan, url: str) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    tune = plan.spec.tune
    storage = _storage(url)
    return {
        arm.name: optuna.create_study(
            study_name=study_name(plan, arm),
            storage=storage,
            sampler=sampler_for(tune, 0),
            direction=tune.direction,
            load_if_exists=True,
        )
        for arm in plan.arms
    }


def _storage(url: str, attempts: int = 5):
    """The RDB storage. Drivers started together on a new storage race to create its tables (one gets "UNIQUE
    constraint failed: alembic_version"): the loser retries and finds them made. A sqlite file shared by drivers
    waits for the other's write (60 s, as MLflow's) rather than failing at once with "database is locked"."""
    import optuna
    from sqlalchemy.exc import IntegrityError, OperationalError

    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=engine)
        except (IntegrityError, OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random())  # apart, so the retries do not collide again


def sampler_for(tune, number: int):
    """The sampler that suggests trial `number`, seeded by (sampler seed, trial number): every arm's n-th start-up
    trial gets the same values (a paired start), and a resumed driver does not replay the suggestions of the first
    trials, as one sampler seeded once per process would."""
    import optuna

    seed = tune.sampler_seed * 1_000_003 + number
    if tune.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def suggest(trial, space) -> dict[str, Any]:
    """The trial's values for every searched config path (the same calls for every arm)."""
    values = {}
    for key, dim in space.items():
        if dim.choices is not None:
            values[key] = trial.suggest_categorical(key, list(dim.choices))
        elif dim.integer:
            values[key] = trial.suggest_int(key, int(dim.low), int(dim.high), step=int(dim.step or 1), log=dim.log)
        else:
            values[key] = trial.suggest_float(key, dim.low, dim.high, step=dim.step, log=dim.log)
    return values


def counted(study, k: int) -> list:
    """The study's trials that count: numbers below K (surplus trials from concurrent drivers are not)."""
    return [t for t in study.get_trials(deepcopy=False) if t.number < k]


def finished(studies: dict[str, Any], k: int) -> bool:
    """Every arm has its K trials, each complete or failed."""
    from optuna.trial import TrialState

    return all(
        len(ts := counted(s, k)) == k and all(t.state in (TrialState.COMPLETE, TrialState.FAIL) for t in ts)
        for s in studies.values()
    )


def ask_round(plan: Plan, studies: dict[str, Any], k: int, tune_root: Path) -> None:
    """Ask up to `tune.batch` new trials per arm for this driver (its own trials in flight count against the batch,
    another driver's do not), never past K per arm in all."""
    from optuna.trial import Trial, TrialState

    for arm in plan.arms:
        study = studies[arm.name]
        in_flight = [t for t in counted(study, k) if t.state == TrialState.RUNNING and mine(plan, arm, t, tune_root)]
        for t in in_flight:
            if OWNER not in t.user_attrs:  # a driver killed right after asking: the first to see it runs it
                Trial(study, t._trial_id).set_user_attr(OWNER, str(tune_root))
            if set(t.params) != set(plan.spec.tune.space):  # killed between ask and suggest: not all its values
                suggest(Trial(study, t._trial_id), plan.spec.tune.space)
        missing = k - len(counted(study, k))
        for _ in range(max(0, min(plan.spec.tune.batch - len(in_flight), missing))):
            study.sampler = sampler_for(plan.spec.tune, len(study.get_trials(deepcopy=False)))
            trial = study.ask()
            if trial.number >= k:  # another driver asked the K-th trial first
                trial.set_user_attr(SURPLUS, True)
                study.tell(trial, state=TrialState.FAIL)
                break
            trial.set_user_attr(OWNER, str(tune_root))
            suggest(trial, plan.spec.tune.space)


def mine(plan: Plan, arm: Arm, trial, tune_root: Path) -> bool:
    """This driver runs the trial: it asked it (or nobody recorded who did), or the trial's runs lie in its tune dir
    (a sweep dir moved since it asked)."""
    owner = trial.user_attrs.get(OWNER)
    if owner is None or Path(owner) == tune_root:
        return True
    return bool(trial.params) and any(
        (layout.run_dir(tune_root, r.id) / RUN_FILE).is_file() for r in trial_runs(plan, arm, trial)[1]
    )


def trial_runs(plan: Plan, arm: Arm, trial) -> tuple[Arm, list[PlannedRun]]:
    """The trial's arm (the arm with the trial's values, the tuning budget) and its runs, one per tuning seed; the
    ids depend on the arm, the values and the trial number only, so every driver names them alike."""
    tune = plan.spec.tune
    tuned = with_overrides(plan, arm, dict(trial.params), tune.budget, "tune.space")
    trial_arm = replace(
        tuned,
        id=f"{tuned.id}-t{trial.number}",  # two trials may draw the same values (choices): distinct runs
        name=f"{arm.name}-t{trial.number}",
        levels=arm.levels | {"tune_trial": str(trial.number)},
    )
    runs = [PlannedRun(f"{trial_arm.id}-s{s}", f"{trial_arm.name}-s{s}", trial_arm.id, s) for s in tune.seeds]
    return trial_arm, runs


def trial_plan(plan: Plan, studies: dict[str, Any], k: int, tune_root: Path) -> tuple[Plan, dict[str, tuple[str, int]]]:
    """Every counted trial of this driver, of every arm, as runs (one per tuning seed) of a plan the launcher runs
    like a sweep; the map says which (arm name, trial number) each run belongs to."""
    tune = plan.spec.tune
    from optuna.trial import TrialState

    spec = plan.spec.model_copy(
        update={
            "name": f"{plan.spec.name}-tune",
            "budget": tune.budget,
            "seeds": tune.seeds,
            "hypotheses": None,
            "report": None,  # trials are not arms: no report over them
        }
    )
    arms, runs, owner = [], [], {}
    for arm in plan.arms:
        for t in counted(studies[arm.name], k):
            # Failed trials stay failed (the launcher would retry a failed run every round); finished ones are
            # listed for `ablate status`, and skipped by the launcher. Another driver's trials are its to run.
            if t.state not in (TrialState.RUNNING, TrialState.COMPLETE) or not t.params:
                continue
            if not mine(plan, arm, t, tune_root):
                continue
            trial_arm, trial_runs_ = trial_runs(plan, arm, t)
            arms.append(trial_arm)
            runs += trial_runs_
            owner |= {r.id: (arm.name, t.number) for r in trial_runs_}
    return replace(plan, spec=spec, arms=arms, runs=runs), owner


def in_flight(plan: Plan, studies: dict[str, Any], k: int, tune_root: Path) -> bool:
    """This driver has trials in flight (asked, not told)."""
    from optuna.trial import TrialState

    return any(
        t.state == TrialState.RUNNING and mine(plan, arm, t, tune_root)
        for arm in plan.arms
        for t in counted(studies[arm.name], k)
    )


@dataclass
class Others:
    """Other drivers' trials in flight: their runs' statuses (read from the other tune dirs), which trial each run
    belongs to, how many such trials, and those nobody will finish: no run of theirs is active and the driver that
    asked them is not running (rerunning it resumes them)."""

    statuses: list[RunStatus] = field(default_factory=list)
    owner: dict[str, tuple[str, int]] = field(default_factory=dict)
    trials: int = 0
    orphaned: list[str] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """Some of them may still end."""
        return self.trials > len(self.orphaned)


def others(plan: Plan, studies: dict[str, Any], k: int, tune_root: Path) -> Others:
    from optuna.trial import TrialState

    out = Others()
    for arm in plan.arms:
        for t in counted(studies[arm.name], k):
            if t.state != TrialState.RUNNING or mine(plan, arm, t, tune_root):
                continue
            where = Path(t.user_attrs[OWNER])
            dirs = [layout.run_dir(where, r.id) for r in trial_runs(plan, arm, t)[1]] if t.params else []
            # Until every run of the trial is written, its driver is still setting it up.
            statuses = run_statuses(dirs) if dirs and all((d / RUN_FILE).is_file() for d in dirs) else []
            out.statuses += statuses
            out.owner |= {s.run.id: (arm.name, t.number) for s in statuses}
            out.trials += 1
            if not any(s.active for s in statuses) and not _driving(where.parent):
                out.orphaned.append(f"{arm.name} trial {t.number} (of `ablate tune --out {where.parent}`)")
    return out


def _driving(sweep_root: Path) -> bool:
    """A driver holds the sweep's lock now (`SweepDir.driving`). Probed with a shared lock, let go at once."""
    lock = sweep_root / DRIVER_LOCK
    if not lock.is_file():
        return False
    with open(lock) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def tell_finished(
    plan: Plan, studies: dict[str, Any], statuses, owner: dict[str, tuple[str, int]], done_only: bool = False
) -> int:
    """Tell every RUNNING trial whose runs have all ended: the mean of the metric over its seeds, or failed.
    `done_only` (another driver's trials): only those whose runs all succeeded; one with a failed run is left to the
    driver that asked it, which relaunches the run (from its checkpoint) when it resumes."""
    from optuna.trial import TrialState

    metric = plan.spec.tune.metric
    by_trial: dict[tuple[str, int], list] = {}
    for s in statuses:
        by_trial.setdefault(owner[s.run.id], []).append(s)
    told = 0
    for (arm_name, number), members in by_trial.items():
        study = studies[arm_name]
        trial = study.get_trials(deepcopy=False)[number]
        if trial.state != TrialState.RUNNING or any(s.state not in (DONE, "failed") for s in members):
            continue
        if done_only and any(s.state != DONE for s in members):
            continue
        values = [_metric(s.run.path, metric) for s in members if s.state == DONE]
        if len(values) == len(members) and all(v is not None for v in values):
            _tell(study, number, values=sum(values) / len(values))
        else:
            _tell(study, number, state=TrialState.FAIL)
        told += 1
    return told


def _tell(study, number: int, **outcome) -> None:
    """Another driver following the trial may tell it first, even between our read and our write."""
    from optuna.exceptions import UpdateFinishedTrialError

    with contextlib.suppress(UpdateFinishedTrialError):
        study.tell(number, skip_if_finished=True, **outcome)


def _metric(work: Path, metric: str) -> float | None:
    state = atomic.read_json(work / STATE_FILE, {})
    value = (state.get("result") or {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


def best_configs(plan: Plan, studies: dict[str, Any], k: int) -> dict[str, dict[str, Any]]:
    """Per arm: its best complete trial among the first K (ties: the earliest), with every trial's value."""
    from optuna.trial import TrialState

    sign = 1 if plan.spec.tune.direction == "maximize" else -1
    out = {}
    for arm in plan.arms:
        trials = counted(studies[arm.name], k)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        entry: dict[str, Any] = {
            "trials": len(trials),
            "complete": len(complete),
            "values": {t.number: t.value for t in complete},
        }
        if complete:
            best = max(complete, key=lambda t: (sign * t.value, -t.number))
            entry |= {"trial": best.number, "value": best.value, "params": dict(best.params)}
        out[arm.name] = entry
    return out


def write_best(tune_root: Path, plan: Plan, best: dict[str, Any], k: int) -> Path:
    path = tune_root / BEST
    atomic.write_json(
        path,
        {
            "spec_hash": plan.spec_hash,
            "trials_per_arm": k,
            "metric": plan.spec.tune.metric,
            "direction": plan.spec.tune.direction,
            "arms": best,
        },
    )
    return path


def read_best(sweep_root: Path) -> dict[str, Any] | None:
    path = sweep_root / TUNE_DIR / BEST
    return json.loads(path.read_text()) if path.is_file() else None


def final_plan(plan: Plan, best: dict[str, Any]) -> Plan:
    """The comparison: every arm with its tuned values, the spec's own budget and every final seed."""
    arms = [with_overrides(plan, a, best["arms"][a.name]["params"], plan.spec.budget, "tune.best") for a in plan.arms]
    runs = [PlannedRun(f"{a.id}-s{s}", f"{a.name}-s{s}", a.id, s) for a in arms for s in plan.spec.seeds]
    return replace(plan, arms=arms, runs=runs)


def tuned_plan(plan: Plan, sweep_root: Path) -> Plan:
    """A spec with a `tune:` block runs its arms with their tuned values (from `ablate tune`, in the sweep dir)."""
    best = read_best(sweep_root)
    missing = [a.name for a in plan.arms if not (best and best["arms"].get(a.name, {}).get("params"))]
    if missing:
        raise InputError.single(
            plan.spec_path,
            "tune",
            f"this spec tunes its arms first, and arm(s) {', '.join(missing[:3])} have no tuned values in "
            f"{sweep_root / TUNE_DIR / BEST}: run `ablate tune {plan.spec_path}` "
            "(it tunes, then runs the comparison)",
        )
    return final_plan(plan, best)
