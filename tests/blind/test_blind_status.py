"""`ablate blind status` through the CLI: the interim check of a blinded evaluation in progress decides per group,
target and pair of aliases from a partly filled outcome sheet, names aliases only, needs no key, and refuses a bad
folder or a malformed sheet with exit 2."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.blind.test_blind import fill, read_csv
from tests.conftest import REPO, assert_no_torch, run_cli

# Distinctive names: a leak of any of them into the output is caught by a substring search.
MODELS = {"zqx-good@0": 1.0, "zqx-twin@0": 1.0, "zqx-bad@0": 0.0, "zqx-coin@0": 0.5}
TRIALS, SEED = 20, 424242


@pytest.fixture
def study(tmp_path) -> tuple[Path, dict[str, str]]:
    """A plan of 4 models (one group, 6 pairs) on one target; returns the folder and model → alias. The key is
    then deleted: `status` must work without it."""
    folder = tmp_path / "study"
    result = run_cli(
        "blind", "plan", "--models", ",".join(MODELS), "--targets", "Panda/lift", "--trials", TRIALS,
        "--seed", SEED, "--out", folder,
    )  # fmt: skip
    assert result.code == 0, result.stderr
    key_path = tmp_path / "study.SEALED-key.json"
    groups = json.loads(key_path.read_text())["groups"]
    key_path.unlink()
    return folder, {model: alias for aliases in groups.values() for alias, model in aliases.items()}


def judge(folder: Path, alias: dict[str, str], rounds: int, extra: dict[str, int] | None = None) -> None:
    """Fill the outcome sheet for the first `rounds` trials of every model (and `extra` more for some aliases),
    leaving the rest empty, as a judge part-way through the run sheet."""
    run = {r["trial_id"]: r for r in read_csv(folder / "run_sheet.csv")}
    alias_model = {a: m for m, a in alias.items()}
    rng = random.Random(0)
    extra = extra or {}

    def outcome(tid: str) -> tuple[str, str]:
        r = run[tid]
        if int(r["trial"]) > rounds + extra.get(r["alias"], 0):
            return "", ""
        return str(int(rng.random() < MODELS[alias_model[r["alias"]]])), ""

    fill(folder / "outcomes.csv", outcome)


def status(folder: Path, *extra: str):
    return run_cli("blind", "status", folder, *extra)


def line_for(stdout: str, a: str, b: str) -> str:
    found = [ln for ln in stdout.splitlines() if f"{a} vs {b}:" in ln or f"{b} vs {a}:" in ln]
    assert len(found) == 1, stdout
    return found[0]


def test_status_decides_each_pair_by_alias_without_the_key_or_any_model_name(study):
    folder, alias = study
    judge(folder, alias, rounds=12)
    proc = subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "blind", "status", str(folder)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    good, bad, twin = alias["zqx-good@0"], alias["zqx-bad@0"], alias["zqx-twin@0"]
    first, second = sorted([good, bad])
    assert f"G1 Panda/lift  {first} vs {second}: " in out
    assert (
        line_for(out, good, bad)
        .split(": ", 1)[1]
        .startswith(("12/12 vs 0/12" if first == good else "0/12 vs 12/12") + f" — stop: {good} better")
    )
    assert "after 9 pair(s)" in line_for(out, good, bad)  # the stop, not the 12 pairs judged
    assert f"stop: {twin} better" in line_for(out, twin, bad)
    # 12 concordant pairs of 20: the remaining 8 cannot reach the threshold any more
    assert "stop: no difference within the maximum" in line_for(out, good, twin)
    assert "Bonferroni over the plan's 6 alias pair(s) × target(s)" in out and "two-sided" in out
    assert "zqx" not in out + proc.stderr and "good" not in out and "SEALED" not in out


def test_fewer_rounds_continue_and_trials_waiting_for_their_pair_are_counted(study):
    folder, alias = study
    good, twin = alias["zqx-good@0"], alias["zqx-twin@0"]
    judge(folder, alias, rounds=11, extra={good: 2})
    result = status(folder, "--json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["family_size"] == 6 and data["alpha_per_test"] == pytest.approx(0.05 / 6)
    assert data["trials_judged"] == 4 * 11 + 2 and data["max_trials"] == TRIALS
    pair = next(c for c in data["comparisons"] if set(c["aliases"]) == {good, twin})
    assert pair["verdict"] == "continue" and pair["waiting_for_partner"] == 2
    assert pair["counts"][good] == {"successes": 13, "trials": 13} and pair["decision"]["pairs"] == 11
    assert pair["decision"]["trials_remaining"] == TRIALS - 11
    assert "zqx" not in result.stdout
    assert "α/6 = 0.0333" in status(folder, "--alpha", "0.2").stdout


def test_an_empty_sheet_continues_everywhere_and_status_does_not_import_torch(study):
    folder, _ = study
    result = status(folder)
    assert result.code == 0, result.stderr
    assert result.stdout.count("— continue") == 6 and "0 of 80 trials judged" in result.stdout
    assert_no_torch(REPO, "blind", "status", folder)


def test_bad_folder_malformed_sheet_or_level_exit_2_with_the_file_and_column(study, tmp_path):
    folder, _ = study
    missing = status(tmp_path / "nowhere")
    assert missing.code == 2 and "plan.json" in missing.stderr and "Traceback" not in missing.stderr
    rows = read_csv(folder / "outcomes.csv")
    rows[3]["success"] = "yes"
    with (folder / "outcomes.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    bad = status(folder)
    assert bad.code == 2 and "outcomes.csv:5: success:" in bad.stderr and "'yes'" in bad.stderr
    assert status(folder, "--alpha", "1.5").code == 2
    (folder / "run_sheet.csv").write_text("group,order\nG1,1\n")
    broken = status(folder)
    assert broken.code == 2 and "run_sheet.csv" in broken.stderr and "alias" in broken.stderr


def test_a_round_judged_out_of_order_waits_until_the_gap_is_filled(study):
    folder, alias = study
    run = {r["trial_id"]: r for r in read_csv(folder / "run_sheet.csv")}
    good, bad = alias["zqx-good@0"], alias["zqx-bad@0"]

    def outcome(tid: str) -> tuple[str, str]:
        r = run[tid]
        if int(r["trial"]) <= 5 or int(r["trial"]) == 8:  # rounds 6 and 7 not judged yet
            return ("1" if r["alias"] in (good, alias["zqx-twin@0"]) else "0"), ""
        return "", ""

    fill(folder / "outcomes.csv", outcome)
    done = status(folder, "--json")
    assert done.code == 0, done.stderr
    (pair,) = [c for c in json.loads(done.stdout)["comparisons"] if set(c["aliases"]) == {good, bad}]
    assert pair["decision"]["pairs_observed"] == 5  # round 8 is not slotted in behind rounds 1–5
    assert pair["waiting_for_partner"] == 2
