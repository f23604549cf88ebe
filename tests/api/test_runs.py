"""`api.train` and `api.evaluate`: one run outside a sweep, from Python — typed results, resume, bad input as
`InputError`."""

from __future__ import annotations

import pandas as pd
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


def test_evaluate_takes_targets_as_a_list_and_returns_the_trial_table(tmp_path, monkeypatch):
    import ablate.evaluate.checkpoint as checkpoint

    with pytest.raises(InputError, match="not a run directory"):
        api.evaluate(tmp_path)

    def fake(path, targets, trials, seed, out):  # the closed loop itself is tested in tests/evaluate
        robots = [t.split("/") for t in targets.split(",")]
        table = pd.DataFrame(
            [
                {"embodiment": r, "task": k, "trial": i, "success": i % 2, "progress": 1.0}
                for r, k in robots
                for i in range(trials)
            ]
        )
        table.to_csv(out, index=False)
        return table

    monkeypatch.setattr(checkpoint, "evaluate_checkpoint", fake)
    result = api.evaluate(tmp_path, targets=[("Panda", "lift"), "UR5e/lift"], trials=4, out=tmp_path / "t.csv")
    assert isinstance(result, api.EvalResult) and result.path == tmp_path / "t.csv" and result.path.is_file()
    assert len(result.table) == 8
    assert result.summary["success"].to_dict() == {("Panda", "lift"): 0.5, ("UR5e", "lift"): 0.5}
    with pytest.raises(InputError, match="at least 1"):
        api.evaluate(tmp_path, trials=0)
