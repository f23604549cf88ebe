"""The matched tuning loop behind `ablate tune` and `ablate.api.tune`: ask a round of trials per arm, run them as one
sweep of trial runs through the sweep's launcher (`<sweep>/tune/`, waiting for them), tell the trials whose runs
ended, until every arm has its K trials; then each arm's best config, written to `<sweep>/tune/best.json`. The
studies, their storage and what matched means: `ablate/tune/driver.py`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ablate.errors import InputError
from ablate.launch.driver import launch_sweep
from ablate.launch.launchers import LauncherSettings
from ablate.launch.progress import OnProgress, emit
from ablate.launch.status import RunStatus
from ablate.launch.sweep_dir import SweepDir
from ablate.layout import TUNE_DIR
from ablate.spec.plan import Plan
from ablate.tune import driver

WAIT_S = 3.0  # polling another driver's trials


@dataclass(frozen=True)
class Tuning:
    """What a tuning ended with. `best`: per arm name, `driver.best_configs`' entry (trials, complete, values and,
    when a trial completed, trial, value, params); `best_path` None when the loop stalled (a round in which no
    trial ended and no run was active: `runs` says why)."""

    trials: int
    best: dict[str, dict[str, Any]]
    best_path: Path | None
    tune_dir: Path
    storage: str
    runs: tuple[RunStatus, ...]

    @property
    def stalled(self) -> bool:
        return self.best_path is None

    @property
    def failed_arms(self) -> list[str]:
        """Arms none of whose trials completed."""
        return [name for name, b in self.best.items() if "params" not in b]


def check_tunable(plan: Plan, trials: int | None) -> int:
    """The number of trials per arm; InputError for a spec without a `tune:` block or fewer than 1 trial."""
    if plan.spec.tune is None:
        raise InputError.single(
            plan.spec_path,
            "tune",
            "this spec has no tune: block (expected {space: {optim.lr: {low, high, log}}, budget: …})",
        )
    if trials is not None and trials < 1:
        raise InputError.single("--trials", "", f"expected at least 1 trial per arm, got {trials}")
    return trials or plan.spec.tune.trials


def tune_arms(
    plan: Plan,
    sweep: SweepDir,
    settings: LauncherSettings,
    tracking_uri: str,
    trials: int | None = None,
    on_progress: OnProgress = None,
) -> Tuning:
    """Tune every arm of `plan` alike: the same space, sampler, seed and number of trials (`trials`, default the
    spec's `tune.trials`). Resumes a killed tuning from its Optuna storage."""
    k = check_tunable(plan, trials)
    best = driver.read_best(sweep.root)
    tuned = driver.final_plan(plan, best) if best and all(b.get("params") for b in best["arms"].values()) else None
    sweep.check_frozen(tuned or plan, untuned=plan, check_runs=tuned is not None)
    sweep.freeze(plan, with_runs=False)  # the hypotheses (and the untuned arms) are frozen before any trial runs
    tune_dir = SweepDir(sweep.root / TUNE_DIR)
    tune_dir.root.mkdir(parents=True, exist_ok=True)
    url = driver.storage_url(plan, tune_dir.root)
    studies = driver.open_studies(plan, url)
    t = plan.spec.tune
    emit(
        on_progress,
        f"tuning {len(plan.arms)} arms × {k} trials (the same space, {t.sampler} sampler seed {t.sampler_seed}), "
        f"{t.budget.per_run:g} {t.budget.unit} per trial on seeds {t.seeds}; Optuna storage {url}",
    )
    statuses: list[RunStatus] = []
    said: set[str] = set()
    while True:
        driver.ask_round(plan, studies, k, tune_dir.root)
        if driver.finished(studies, k):
            break
        statuses, owner = [], {}
        if driver.in_flight(plan, studies, k, tune_dir.root):
            tplan, owner = driver.trial_plan(plan, studies, k, tune_dir.root)
            statuses = launch_sweep(tplan, tune_dir, settings, tracking_uri, on_progress, wait=True)
        told = driver.tell_finished(plan, studies, statuses, owner)
        others = driver.others(plan, studies, k, tune_dir.root)
        told += driver.tell_finished(plan, studies, others.statuses, others.owner, done_only=True)
        if told or any(s.active for s in statuses):
            continue
        if driver.finished(studies, k):  # another driver sharing the storage told the last trials meanwhile
            break
        if not others.waiting:
            for name in others.orphaned:
                emit(on_progress, f"not run here: {name}, whose driver is not running; rerun that driver to end it")
            best = driver.best_configs(plan, studies, k)
            return Tuning(k, best, None, tune_dir.root, url, tuple(statuses + others.statuses))
        # Every trial left is another driver's (K asked in all): follow them until they are told.
        note = f"waiting for {others.trials} trial(s) of another `ablate tune` sharing the storage"
        if note not in said:
            said.add(note)
            emit(on_progress, note)
        time.sleep(WAIT_S)
    best = driver.best_configs(plan, studies, k)
    path = driver.write_best(tune_dir.root, plan, best, k)
    return Tuning(k, best, path, tune_dir.root, url, tuple(statuses))
