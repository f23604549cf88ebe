"""`ablate blind plan | lock | unblind` through the real CLI: nothing in the operator's or judge's files names a
model, the plan is reproducible from its seed, and a tampered key or a sheet edited after locking is refused."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from ablate.blind.assign import group_sizes
from tests.conftest import assert_no_torch, run_cli

# Distinctive names and paths, so a leak of any of them (or of a path's parts) is caught by a substring search.
MODELS = [
    "zqx-pi0-baseline@0",
    "zqx-pi0-baseline@1",
    "/ckpts/zqx_eefrel_arm/run-s0/ckpt-1500.pt",
    "zqx-lingbot",
    "zqx-smolvla",
    "zqx-octo",
    "zqx-rdt",
    "zqx-openvla",
    "zqx-cogact",
]
LEAKS = ["zqx", "ckpts", "ckpt-1500", "run-s0", "baseline", "lingbot", "smolvla", "octo", "openvla", "cogact"]
SEED = 982451653  # a number that appears nowhere by chance
TARGETS, TRIALS = ["Panda/lift", "UR5e/lift"], 3


def plan(tmp_path: Path, out: str = "study", seed: int = SEED, models: list[str] = MODELS, *extra: str):
    return run_cli(
        "blind", "plan", "--models", ",".join(models), "--targets", ",".join(TARGETS), "--trials", TRIALS,
        "--seed", seed, "--out", tmp_path / out, *extra,
    )  # fmt: skip


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def key_of(tmp_path: Path, out: str = "study") -> dict:
    return json.loads((tmp_path / f"{out}.SEALED-key.json").read_text())


def fill(sheet: Path, outcome) -> None:
    """Write outcome(trial_id) -> (success, progress) into every row, as a judge would."""
    rows = read_csv(sheet)
    for row in rows:
        row["success"], row["progress"] = outcome(row["trial_id"])
        row["judge"] = "kim"
    with sheet.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def model_of_trial(tmp_path: Path) -> dict[str, str]:
    """trial id -> model, from the key and the run sheet (what unblinding must reproduce)."""
    groups = key_of(tmp_path)["groups"]
    return {r["trial_id"]: groups[r["group"]][r["alias"]] for r in read_csv(tmp_path / "study" / "run_sheet.csv")}


@pytest.fixture
def study(tmp_path) -> Path:
    result = plan(tmp_path)
    assert result.code == 0, result.stderr
    return tmp_path / "study"


@pytest.fixture
def locked(study, tmp_path) -> Path:
    rng = random.Random(0)
    fill(study / "outcomes.csv", lambda tid: (str(rng.randint(0, 1)), f"{rng.random():.2f}"))
    assert run_cli("blind", "lock", study).code == 0
    return study


def test_every_model_is_in_exactly_one_group_of_four_to_eight(study, tmp_path):
    groups = key_of(tmp_path)["groups"]
    members = [m for aliases in groups.values() for m in aliases.values()]
    assert sorted(members) == sorted(MODELS)
    assert all(4 <= len(aliases) <= 8 for aliases in groups.values())
    assert sorted(len(a) for a in groups.values()) == [4, 5]  # 9 models: as even as the 4–8 bounds allow


@pytest.mark.parametrize("n,k", [(4, 6), (8, 4), (9, 6), (16, 8), (16, 4), (17, 6), (40, 5), (41, 8)])
def test_group_sizes_stay_within_bounds_and_even(n, k):
    sizes = group_sizes(n, k)
    assert sum(sizes) == n and all(4 <= s <= 8 for s in sizes) and max(sizes) - min(sizes) <= 1
    if 8 <= n <= 64 and n % k == 0:
        assert set(sizes) == {k}  # when K divides N, K is what you get


def test_no_identity_in_operator_judge_or_plan_files_or_output(tmp_path):
    result = plan(tmp_path)
    folder = tmp_path / "study"
    assert sorted(p.name for p in folder.iterdir()) == ["outcomes.csv", "plan.json", "run_sheet.csv"]
    assert not (tmp_path / "study.SEALED-key.json").is_relative_to(folder)
    for text, where in [*((p.read_text(), p.name) for p in folder.iterdir()), (result.stdout, "stdout")]:
        for leak in [*LEAKS, str(SEED)]:
            assert leak not in text, f"{leak!r} leaks into {where}"
    assert "zqx-cogact" in (tmp_path / "study.SEALED-key.json").read_text()  # the key does hold the mapping
    commitment = json.loads((folder / "plan.json").read_text())["commitment"]["value"]
    assert commitment in result.stdout


def test_run_order_interleaves_models_and_judge_sheet_hides_alias_and_order(study):
    run = read_csv(study / "run_sheet.csv")
    for group in {r["group"] for r in run}:
        rows = sorted((r for r in run if r["group"] == group), key=lambda r: int(r["order"]))
        aliases = {r["alias"] for r in rows}
        rounds = [rows[i : i + len(aliases)] for i in range(0, len(rows), len(aliases))]
        assert all({r["alias"] for r in rnd} == aliases for rnd in rounds)  # every alias once before any repeats
        assert len({tuple(r["alias"] for r in rnd) for rnd in rounds}) > 1  # and not the same order each round
    judge = read_csv(study / "outcomes.csv")
    assert list(judge[0]) == ["trial_id", "group", "target", "success", "progress", "judge"]
    assert sorted(r["trial_id"] for r in judge) == sorted(r["trial_id"] for r in run)
    assert [r["trial_id"] for r in judge] != [
        r["trial_id"] for r in sorted(run, key=lambda r: (r["group"], int(r["order"])))
    ]


def test_same_seed_same_plan_other_seed_other_plan(tmp_path):
    for out, seed in [("a", SEED), ("b", SEED), ("c", SEED + 1)]:
        assert plan(tmp_path, out, seed).code == 0
    a, b, c = (key_of(tmp_path, out) for out in "abc")
    assert a["groups"] == b["groups"] and a["groups"] != c["groups"]
    assert (tmp_path / "a" / "run_sheet.csv").read_text() == (tmp_path / "b" / "run_sheet.csv").read_text()
    commitments = [json.loads((tmp_path / out / "plan.json").read_text())["commitment"]["value"] for out in "ab"]
    assert commitments[0] != commitments[1]  # the nonce: the same mapping never gives the same commitment


def test_lock_then_unblind_writes_the_trial_table_with_the_judged_outcomes(study, tmp_path):
    truth = model_of_trial(tmp_path)
    outcome = {tid: (i % 3 == 0, round(i / len(truth), 2)) for i, tid in enumerate(sorted(truth))}
    fill(study / "outcomes.csv", lambda tid: (str(int(outcome[tid][0])), str(outcome[tid][1])))
    locked = run_cli("blind", "lock", study)
    assert locked.code == 0 and "54 trials" in locked.stdout

    result = run_cli("blind", "unblind", study, "--key", tmp_path / "study.SEALED-key.json")
    assert result.code == 0, result.stderr
    assert str(study / "trials.parquet") in result.stdout
    table = pd.read_parquet(study / "trials.parquet")
    pd.testing.assert_frame_equal(pd.read_csv(study / "trials.csv"), table, check_dtype=False)
    assert len(table) == len(MODELS) * len(TARGETS) * TRIALS
    for column in [
        "sweep",
        "arm",
        "run",
        "seed",
        "embodiment",
        "task",
        "trial",
        "success",
        "progress",
        "group",
        "judge",
    ]:
        assert column in table
    assert set(table["run"]) == set(MODELS) and set(table["sweep"]) == {"study"} and set(table["judge"]) == {"kim"}
    assert set(table["trial"]) == set(range(TRIALS))
    pi0 = table[table["arm"] == "zqx-pi0-baseline"]
    assert sorted(set(pi0["seed"])) == [0, 1]  # NAME@SEED: one arm, paired seeds
    expected = Counter(truth[tid] for tid, (success, _) in outcome.items() if success)
    assert table.groupby("run")["success"].sum().to_dict() == {m: expected.get(m, 0) for m in MODELS}
    progress = {m: sorted(p for tid, (_, p) in outcome.items() if truth[tid] == m) for m in MODELS}
    assert {m: sorted(g["progress"].round(2)) for m, g in table.groupby("run")} == progress


def test_a_key_with_one_byte_changed_is_refused(locked, tmp_path):
    key = tmp_path / "study.SEALED-key.json"
    data = bytearray(key.read_bytes())
    i = data.index(b'"nonce": "') + 10
    data[i] = ord("0") if data[i] != ord("0") else ord("1")
    key.write_bytes(bytes(data))
    result = run_cli("blind", "unblind", locked, "--key", key)
    assert result.code == 1 and "does not match the plan's commitment" in result.stderr
    assert not (locked / "trials.parquet").exists()


def test_a_key_with_two_models_swapped_is_refused(locked, tmp_path):
    key_path = tmp_path / "study.SEALED-key.json"
    key = json.loads(key_path.read_text())
    g1 = key["groups"]["G1"]
    a, b = list(g1)[:2]
    g1[a], g1[b] = g1[b], g1[a]
    key_path.write_text(json.dumps(key, sort_keys=True, indent=2) + "\n")  # canonical form, as `plan` writes it
    result = run_cli("blind", "unblind", locked, "--key", key_path)
    assert result.code == 1 and "wrong or altered key" in result.stderr
    assert not (locked / "trials.parquet").exists()


def test_a_sheet_edited_after_locking_is_refused_until_relocked_with_force(locked, tmp_path):
    sheet = locked / "outcomes.csv"
    sheet.write_text(sheet.read_text().replace(",kim", ",kim2", 1))
    key = tmp_path / "study.SEALED-key.json"
    result = run_cli("blind", "unblind", locked, "--key", key)
    assert result.code == 1 and "edited after it was locked" in result.stderr
    assert not (locked / "trials.parquet").exists()

    relock = run_cli("blind", "lock", locked)
    assert relock.code == 1 and "--force" in relock.stderr
    forced = run_cli("blind", "lock", locked, "--force")
    assert forced.code == 0 and "replaces 1 earlier lock" in forced.stdout
    assert run_cli("blind", "unblind", locked, "--key", key).code == 0
    after = run_cli("blind", "lock", locked, "--force")  # once identities are out, verdicts stay as they were
    assert after.code == 1 and "already unblinded" in after.stderr


def test_an_incomplete_or_invalid_sheet_cannot_be_locked(study):
    fill(study / "outcomes.csv", lambda tid: ("1", "0.5"))
    rows = (study / "outcomes.csv").read_text().splitlines()
    rows[3] = rows[3].replace(",1,0.5,", ",,0.5,")  # line 4: no success
    rows[7] = rows[7].replace(",1,0.5,", ",1,1.5,")  # line 8: progress out of range
    (study / "outcomes.csv").write_text("\n".join(rows) + "\n")
    result = run_cli("blind", "lock", study)
    assert result.code == 2
    assert "outcomes.csv:4: success:" in result.stderr and "expected 0 or 1" in result.stderr
    assert "outcomes.csv:8: progress:" in result.stderr and "'1.5'" in result.stderr
    assert not (study / "lock.json").exists()

    (study / "outcomes.csv").write_text("\n".join(rows[:-1]) + "\n")  # a trial missing altogether
    assert "1 planned trial(s) have no row" in run_cli("blind", "lock", study).stderr


def test_unblinding_an_unlocked_sheet_or_against_another_commitment_is_refused(study, tmp_path):
    key = tmp_path / "study.SEALED-key.json"
    fill(study / "outcomes.csv", lambda tid: ("0", ""))
    unlocked = run_cli("blind", "unblind", study, "--key", key)
    assert unlocked.code == 1 and "never locked" in unlocked.stderr
    assert run_cli("blind", "lock", study).code == 0
    other = run_cli("blind", "unblind", study, "--key", key, "--commitment", "ab" * 32)
    assert other.code == 2 and "not the commitment you gave" in other.stderr  # a published hash: input, exit 2
    assert not (study / "trials.parquet").exists() and not (study / "unblinded.json").exists()


def test_a_run_sheet_changed_after_planning_is_refused(locked, tmp_path):
    sheet = locked / "run_sheet.csv"
    rows = read_csv(sheet)
    rows[0]["alias"], rows[1]["alias"] = rows[1]["alias"], rows[0]["alias"]  # G1's first two runs, swapped
    with sheet.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli("blind", "unblind", locked, "--key", tmp_path / "study.SEALED-key.json")
    assert result.code == 1 and "run_sheet.csv changed since the plan was sealed" in result.stderr


def test_bad_plans_are_refused_with_exit_2_and_nothing_written(tmp_path):
    few = plan(tmp_path, "few", SEED, MODELS[:3])
    assert few.code == 2 and "at least 4" in few.stderr and not (tmp_path / "few").exists()
    inside = plan(tmp_path, "in", SEED, MODELS, "--key-out", tmp_path / "in" / "key.json")
    assert inside.code == 2 and "must not be inside the plan folder" in inside.stderr
    assert plan(tmp_path, "k", SEED, MODELS, "--group-size", "3").code == 2
    assert plan(tmp_path, "d", SEED, [*MODELS, MODELS[0]]).code == 2
    assert plan(tmp_path).code == 0
    again = plan(tmp_path)  # never overwrite a plan (or its key)
    assert again.code == 2 and "not empty" in again.stderr


def test_blind_commands_do_not_import_torch(tmp_path):
    assert_no_torch(tmp_path, "blind", "plan", "--models", ",".join(MODELS), "--targets", "Panda/lift",
                    "--trials", "1", "--out", tmp_path / "p")  # fmt: skip
