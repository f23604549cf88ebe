"""Matched tuning from Python: every arm tuned alike, then the final comparison of the tuned arms."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ablate.api.results import ArmTuning, TuneResult
from ablate.api.sweeps import _as_plan, _sweep_dir, launch, tracking_uri_for
from ablate.launch.progress import OnProgress, emit

if TYPE_CHECKING:
    from ablate.spec.plan import Plan


def tune(
    spec: str | Path | Plan,
    *,
    trials: int | None = None,
    launcher: str | None = None,
    parallel: int | None = None,
    out: str | Path | None = None,
    tracking_uri: str | None = None,
    final: bool = True,
    recipes: str | Path | None = None,
    on_progress: OnProgress = None,
) -> TuneResult:
    """Tune every arm of a spec with a `tune:` block alike — the same space, sampler, sampler seed and number of
    trials (`trials`, default the spec's `tune.trials`), each trial a real run with the tuning budget on the tuning
    seeds — then, with `final`, run every arm's best config on all seeds with the spec's budget and report it as
    `run_sweep` does (`TuneResult.final`). Resumes a killed tuning (finished trials are kept, trials in flight adopted).
    One driver per sweep dir (a second is refused with `InputError`); drivers on different sweep dirs (`out`) may share
    one Optuna storage (`tune.storage`) and then split the K trials per arm between them. The other arguments are
    `run_sweep`'s. Bad input (no `tune:` block, an edited pre-registered spec) raises `InputError`."""
    from ablate.launch.launchers import check_scheduler, launcher_settings
    from ablate.tune.loop import check_tunable

    p = _as_plan(spec, recipes)
    check_tunable(p, trials)  # bad input is refused before the sweep dir is made (for its lock)
    settings = launcher_settings(p, launcher, parallel)
    check_scheduler(settings)
    sweep = _sweep_dir(p, out)
    uri = tracking_uri_for(sweep.root, tracking_uri)
    # One driver per sweep dir, as for `run_sweep`: a second `ablate tune` (or `ablate run`) on it is refused at once
    # instead of racing this one. Drivers on different sweep dirs may share one Optuna storage (`tune.storage`).
    with sweep.driving():
        return _tune_and_compare(p, sweep, settings, uri, tracking_uri, trials, final, on_progress)


def _tune_and_compare(p, sweep, settings, uri, tracking_uri, trials, final, on_progress) -> TuneResult:
    from ablate.tune.driver import final_plan
    from ablate.tune.loop import tune_arms

    tuning = tune_arms(p, sweep, settings, uri, trials, on_progress)
    arms = tuple(
        ArmTuning(
            name,
            b["trials"],
            b["complete"],
            dict(b["values"]),
            b.get("trial"),
            b.get("value"),
            b.get("params"),
        )
        for name, b in tuning.best.items()
    )
    result = TuneResult(
        p, sweep.root, tuning.tune_dir, tuning.storage, tuning.trials, arms, tuning.best_path, tuning.runs
    )
    if not final or tuning.stalled or tuning.failed_arms:
        return result
    emit(on_progress, "final comparison: every arm's best config, the spec's budget, all seeds")
    comparison = launch(final_plan(p, {"arms": tuning.best}), sweep, settings, tracking_uri, False, on_progress)
    return replace(result, final=comparison)
