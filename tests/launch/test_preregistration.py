"""Pre-registered hypotheses freeze the spec at the sweep's first launch: later edits are refused, launching
nothing; the report then tests exactly the frozen hypotheses as confirmatory."""

from __future__ import annotations

import json

from tests.conftest import assert_no_torch

SPEC = """
name: prereg
recipe: quickstart/mlp
seeds: [0]
factors:
  mixture:
    target_only: task_a_only
    pooled: both
budget: {{unit: samples, per_run: 320}}
launcher: {{kind: debug}}
hypotheses:
  tests:
    - name: pooling_helps
      arm: mixture=pooled
      baseline: mixture=target_only
      alternative: {alternative}
"""


def test_hypotheses_are_frozen_at_the_first_launch_and_edits_are_refused(project):
    spec = project.spec(SPEC.format(alternative="greater"))
    sweep = project.root / "sweeps" / "prereg"
    first = project.cli("run", spec)
    assert first.code == 0, first.stdout + first.stderr
    record = json.loads((sweep / "preregistration.json").read_text())
    assert record["hypotheses"]["tests"][0]["alternative"] == "greater"
    assert len(record["runs"]) == 2 and len(record["content_hash"]) == 64

    again = project.cli("run", spec)  # resuming the same spec is fine (nothing left to do)
    assert again.code == 0, again.stderr

    spec.write_text(spec.read_text().replace("alternative: greater", "alternative: two-sided"))
    for args in (("run", spec), ("run", spec, "--dry-run")):
        refused = project.cli(*args)
        assert refused.code == 2, refused.stdout + refused.stderr
        assert "hypotheses" in refused.stderr and "frozen" in refused.stderr and "changed since" in refused.stderr
    assert json.loads((sweep / "preregistration.json").read_text()) == record  # the record is untouched

    # The launcher and the description are not frozen: running elsewhere is not an edit of the study.
    spec.write_text(SPEC.format(alternative="greater").replace("kind: debug", "kind: local, parallel: 1"))
    assert project.cli("run", spec).code == 0
    assert_no_torch(project.root, "run", spec, "--dry-run")


def test_hypotheses_added_after_the_start_are_refused(project):
    plain = SPEC.format(alternative="greater").split("hypotheses:")[0]
    spec = project.spec(plain)
    assert project.cli("run", spec).code == 0
    spec.write_text(SPEC.format(alternative="greater"))
    refused = project.cli("run", spec)
    assert refused.code == 2
    assert "started" in refused.stderr and "without hypotheses" in refused.stderr
    assert not (project.root / "sweeps" / "prereg" / "preregistration.json").exists()
