"""`ablate tune`: matched hyperparameter tuning, one Optuna study per arm.

Matched means no arm wins by being tuned harder: every arm's study searches the same space, with the same sampler
and sampler seed, for the same number of trials K, each trial a real run through the sweep's launcher with the
declared tuning budget on the tuning seeds (disjoint from the final seeds, so the final comparison is not made on
the episodes the configs were picked on). Trials are asked in rounds (`tune.batch` per arm) and told when their
runs end; the studies live in one Optuna storage (sqlite in the sweep dir, or an RDB URL on a cluster), so a killed
`ablate tune` resumes where it was — finished trials are kept, trials in flight are adopted (their runs resume from
their checkpoints) — and several drivers may share one storage: a trial numbered K or above, asked concurrently by
another driver, is told failed as surplus and never run, so every arm keeps exactly K. No pruning: a pruner judges
trials on intermediate values, whose meaning differs between arms that train on different mixtures or stage chains
(a pooled arm's target loss is worse before its post-training stage), so it would cut arms unequally.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ablate import atomic
from ablate.errors import InputError
from ablate.launch.status import DONE
from ablate.layout import STATE_FILE, TUNE_BEST, TUNE_DIR, TUNE_STORAGE
from ablate.spec.plan import Arm, Plan, PlannedRun, with_overrides

SURPLUS = "surplus"
BEST = TUNE_BEST


def storage_url(plan: Plan, tune_root: Path) -> str:
    return plan.spec.tune.storage or f"sqlite:///{tune_root / TUNE_STORAGE}"


def study_name(plan: Plan, arm: Arm) -> str:
    return f"{plan.spec.name}/{arm.name}"


def open_studies(plan: Plan, url: str) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    tune = plan.spec.tune
    return {
        arm.name: optuna.create_study(
            study_name=study_name(plan, arm),
            storage=url,
            sampler=sampler_for(tune, 0),
            direction=tune.direction,
            load_if_exists=True,
        )
        for arm in plan.arms
    }


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


def ask_round(plan: Plan, studies: dict[str, Any], k: int) -> None:
    """Ask up to `tune.batch` new trials per arm, never past K per arm."""
    from optuna.trial import Trial, TrialState

    for arm in plan.arms:
        study = studies[arm.name]
        in_flight = [t for t in counted(study, k) if t.state == TrialState.RUNNING]
        for t in in_flight:  # a driver killed between ask and suggest left it without (all) its values
            if set(t.params) != set(plan.spec.tune.space):
                suggest(Trial(study, t._trial_id), plan.spec.tune.space)
        missing = k - len(counted(study, k))
        for _ in range(max(0, min(plan.spec.tune.batch - len(in_flight), missing))):
            study.sampler = sampler_for(plan.spec.tune, len(study.get_trials(deepcopy=False)))
            trial = study.ask()
            if trial.number >= k:  # another driver asked the K-th trial first
                trial.set_user_attr(SURPLUS, True)
                study.tell(trial, state=TrialState.FAIL)
                break
            suggest(trial, plan.spec.tune.space)


def trial_plan(plan: Plan, studies: dict[str, Any], k: int) -> tuple[Plan, dict[str, tuple[str, int]]]:
    """Every counted trial of every arm as runs (one per tuning seed) of a plan the launcher runs like a sweep;
    the map says which (arm name, trial number) each run belongs to."""
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
            # listed for `ablate status`, and skipped by the launcher.
            if t.state not in (TrialState.RUNNING, TrialState.COMPLETE) or not t.params:
                continue
            tuned = with_overrides(plan, arm, dict(t.params), tune.budget, "tune.space")
            trial_arm = replace(
                tuned,
                id=f"{tuned.id}-t{t.number}",  # two trials may draw the same values (choices): distinct runs
                name=f"{arm.name}-t{t.number}",
                levels=arm.levels | {"tune_trial": str(t.number)},
            )
            arms.append(trial_arm)
            for seed in tune.seeds:
                run = PlannedRun(f"{trial_arm.id}-s{seed}", f"{trial_arm.name}-s{seed}", trial_arm.id, seed)
                runs.append(run)
                owner[run.id] = (arm.name, t.number)
    return replace(plan, spec=spec, arms=arms, runs=runs), owner


def tell_finished(plan: Plan, studies: dict[str, Any], statuses, owner: dict[str, tuple[str, int]]) -> int:
    """Tell every RUNNING trial whose runs have all ended: the mean of the metric over its seeds, or failed."""
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
        values = [_metric(s.run.path, metric) for s in members if s.state == DONE]
        if len(values) == len(members) and all(v is not None for v in values):
            study.tell(number, sum(values) / len(values), skip_if_finished=True)  # another driver may have
        else:
            study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        told += 1
    return told


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
