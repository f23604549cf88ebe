"""`api.train` and `api.evaluate`: one run outside a sweep, from Python — typed results, resume, bad input as
`InputError`."""

from __future__ import annotations

import pytest

from ablate import api
from ablate.errors import InputError

BUDGET = "+train.budget={unit:samples,per_run:320}"


def test_train_returns_the_run_and_its_metrics_and_a_second_call_trains_nothing(project, monkeypatch):
    monkeypatch.chdir(project.root)
    lines: list[str] = []

    first = api.train("quickstart/mlp", [BUDGET, "optim.lr=0.003"], out="runs/mlp", log=lines.append)

    assert isinstance(first, api.TrainResult) and first.status == "trained"
    assert first.run_dir == (project.root / "runs" / "mlp").resolve() and (first.run_dir / "run.json").is_file()
    assert 0 < first.metrics["val_loss"] < 1
    assert any(line.startswith("training quickstart/mlp in ") for line in lines)
    again = api.train("quickstart/mlp", [BUDGET, "optim.lr=0.003"], out="runs/mlp")
    assert again.status == "already done" and again.metrics == first.metrics
    with pytest.raises(InputError, match="different config"):
        api.train("quickstart/mlp", [BUDGET, "optim.lr=0.001"], out="runs/mlp")
    with pytest.raises(InputError, match=r"train\.budget"):
        api.train("quickstart/mlp", out="runs/other")


def test_evaluate_refuses_what_is_not_a_run_and_asks_for_an_episode(tmp_path):
    # A real checkpoint evaluated through api.evaluate: tests/train/test_train.py (after deleting its data).
    with pytest.raises(InputError, match="not a run directory"):
        api.evaluate(tmp_path)
    with pytest.raises(InputError, match="at least 1"):
        api.evaluate(tmp_path, trials=0)
