"""ablate as a library: the public Python API. The CLI is a thin face over these functions.

    from ablate import api

    plan = api.plan("experiments/quickstart.yaml")            # Plan: arms, runs, matched budgets; writes nothing
    result = api.run_sweep(plan, on_progress=lambda p: print(p.message))
    result.runs, result.success, result.report_dir, result.verdicts

Every function returns a typed result (frozen dataclasses, `ablate.api.results`) holding the library's own objects
(`Plan`, `RunStatus`, the report's analysis) and the paths it wrote. Long calls report progress to `on_progress`, a
callable that receives `Progress` events (runs finished of the total, budget consumed of the planned, seconds
left, a readable `message`); the default None is silent. Bad input (a spec, a file, an option) raises
`ablate.errors.InputError` — its `problems` name the file, the key path and what was expected — before anything
is written or launched; a run that fails is not an exception but a status (`SweepResult.ok`, `.failed`).

Importing this module is light: planning, `status` and `report` never import torch; `train` and `evaluate` do.
The functions are not attributes of the `ablate` package itself (`ablate.train`, `ablate.tune`, … are its
sub-packages): write `from ablate import api`, then `api.train(…)`.
"""

from ablate.api.reports import report
from ablate.api.results import (
    ArmTuning,
    EvalResult,
    LaunchPreview,
    ReportResult,
    SweepResult,
    SweepStatus,
    TrainResult,
    TuneResult,
)
from ablate.api.runs import evaluate, load_policy, train
from ablate.api.sweeps import dry_run, plan, run_sweep, status
from ablate.api.tuning import tune
from ablate.errors import InputError
from ablate.launch.progress import Progress
from ablate.spec.plan import Plan

__all__ = [
    "ArmTuning",
    "EvalResult",
    "InputError",
    "LaunchPreview",
    "Plan",
    "Progress",
    "ReportResult",
    "SweepResult",
    "SweepStatus",
    "TrainResult",
    "TuneResult",
    "dry_run",
    "evaluate",
    "load_policy",
    "plan",
    "report",
    "run_sweep",
    "status",
    "train",
    "tune",
]
