"""`ablate tune` on real runs (the MLP job, local launcher, sqlite Optuna storage): every arm gets the same number
of trials from the same sampler, each trial is a run with the tuning budget, the best config of each arm then runs
on every final seed; a second call resumes (finished trials are kept) and `ablate run` uses the tuned arms."""

from __future__ import annotations

import json

import optuna

from tests.launch.helpers import launches

SPEC = """
name: tuned
recipe: quickstart/mlp
seeds: [0, 1]
factors:
  mixture:
    target_only: task_a_only
    pooled: both
budget: {unit: samples, per_run: 640}
launcher: {kind: local, parallel: 2}
tune:
  space:
    optim.lr: {low: 0.0001, high: 0.03, log: true}
  trials: 2
  budget: {unit: samples, per_run: 320}
  seeds: [100]
  metric: val_loss
  direction: minimize
hypotheses:
  tests: [{name: pooling_helps, arm: mixture=pooled, baseline: mixture=target_only, alternative: greater}]
"""


def test_matched_tuning_then_the_final_comparison(project):
    spec = project.spec(SPEC)
    sweep = project.root / "sweeps" / "tuned"

    before = project.cli("run", spec)  # nothing to compare before the arms are tuned
    assert before.code == 2 and "ablate tune" in before.stderr and not (sweep / "runs").exists()

    first = project.cli("tune", spec, "--trials", "1", "--no-final")
    assert first.code == 0, first.stdout + first.stderr
    assert not (sweep / "runs").exists()  # --no-final: tuning only
    done = project.cli("tune", spec)  # resumes with the spec's 2 trials per arm, then the final comparison
    assert done.code == 0, done.stdout + done.stderr

    storage = f"sqlite:///{sweep / 'tune' / 'optuna.db'}"
    studies = {s.study_name: s for s in optuna.get_all_study_summaries(storage)}
    assert set(studies) == {"tuned/target_only", "tuned/pooled"}
    trials = {name: optuna.load_study(study_name=name, storage=storage).get_trials() for name in studies}
    assert {name: len(ts) for name, ts in trials.items()} == {"tuned/target_only": 2, "tuned/pooled": 2}
    assert all(t.state == optuna.trial.TrialState.COMPLETE for ts in trials.values() for t in ts)
    # The same sampler and seed for every arm: the first (random start-up) suggestion is the same value.
    assert trials["tuned/target_only"][0].params == trials["tuned/pooled"][0].params

    tune_runs = launches(sweep / "tune")
    assert len(tune_runs) == 4 and set(tune_runs.values()) == {1}  # the first call's trials were not run again
    for work in (sweep / "tune" / "runs").iterdir():
        ledger = json.loads((work / "ledger.json").read_text())
        assert sum(s["planned"] for s in ledger["planned"].values()) == 320  # the declared tuning budget
        assert json.loads((work / "run.json").read_text())["seed"] == 100

    best = json.loads((sweep / "tune" / "best.json").read_text())["arms"]
    for name, ts in trials.items():
        arm = name.split("/")[1]
        winner = min(ts, key=lambda t: t.value)
        assert best[arm]["params"] == winner.params and best[arm]["value"] == winner.value

    manifest = json.loads((sweep / "manifest.json").read_text())
    assert len(manifest["runs"]) == 4 and {r["seed"] for r in manifest["runs"]} == {0, 1}
    for arm in manifest["arms"]:
        config = manifest["configs"][arm["id"]]
        assert config["optim"]["lr"] == best[arm["name"]]["params"]["optim.lr"]
        assert sum(s["planned"] for s in arm["budget"]) == 640

    again = project.cli("run", spec)  # the tuned arms, already run: nothing to launch
    assert again.code == 0 and "4 done" in again.stdout, again.stdout + again.stderr
    resumed = project.cli("tune", spec)  # resuming a finished, pre-registered tuning is not an edit
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    record = json.loads((sweep / "preregistration.json").read_text())
    assert len(record["untuned_runs"]) == 4 and set(record["runs"]) == {r["id"] for r in manifest["runs"]}
    spec.write_text(SPEC.replace("alternative: greater", "alternative: less"))
    refused = project.cli("tune", spec)
    assert refused.code == 2 and "changed since" in refused.stderr
