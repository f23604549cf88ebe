"""The published hashes are what bind a blinded study, through the real CLI: `plan` prints the key commitment, `lock`
the lock hash; `unblind --commitment --lock-commitment` refuses (exit 2, nothing written) a folder rewritten to fit
other outcomes or another key, and without them marks the result UNVERIFIED. Each fault below is one that passed
before: whoever can write the plan folder and the key rewrites them consistently, recomputing every hash inside."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from ablate.blind.seal import lock_hash
from tests.blind.test_blind import fill, key_of, plan, read_csv
from tests.conftest import REPO, run_cli

HASH = re.compile(r"[0-9a-f]{64}")


def printed(label: str, stdout: str) -> str:
    """The hash printed after `label` (what a user copies into their record)."""
    match = re.search(re.escape(label) + r"\s*(" + HASH.pattern + ")", stdout)
    assert match, f"no {label!r} in {stdout}"
    return match.group(1)


@pytest.fixture
def published(tmp_path) -> dict:
    """A planned, judged and locked study, with the two hashes as published at `plan` and at `lock`."""
    planned = plan(tmp_path)
    assert planned.code == 0, planned.stderr
    folder = tmp_path / "study"
    fill(folder / "outcomes.csv", lambda tid: ("1" if int(tid[-1], 16) % 2 else "0", "0.5"))
    locked = run_cli("blind", "lock", folder)
    assert locked.code == 0, locked.stderr
    return {
        "folder": folder,
        "key": tmp_path / "study.SEALED-key.json",
        "commitment": printed("commitment (SHA-256 of the key):", planned.stdout),
        "lock": printed("lock hash:", locked.stdout),
    }


def unblind(p: dict, *extra: str):
    return run_cli("blind", "unblind", p["folder"], "--key", p["key"], *extra)


def verified(p: dict, *extra: str):
    return unblind(p, "--commitment", p["commitment"], "--lock-commitment", p["lock"], *extra)


def revealed(folder: Path) -> bool:
    return any((folder / name).exists() for name in ("trials.parquet", "trials.csv", "unblinded.json"))


def flip_first_outcome(folder: Path) -> None:
    """The judge's verdict on one trial, changed after the lock (the fault)."""
    sheet = folder / "outcomes.csv"
    rows = read_csv(sheet)
    rows[0]["success"] = "0" if rows[0]["success"] == "1" else "1"
    fill(sheet, lambda tid: next((r["success"], r["progress"]) for r in rows if r["trial_id"] == tid))


def rewrite_lock(folder: Path, edit) -> None:
    """Rewrite lock.json as a forger would: apply `edit`, then recompute the sheet's hash and the lock hash (the
    algorithm is public), so the folder is consistent with itself again."""
    path = folder / "lock.json"
    record = json.loads(path.read_text())
    edit(record)
    record["sha256"] = hashlib.sha256((folder / "outcomes.csv").read_bytes()).hexdigest()
    record["lock"] = lock_hash(record)
    path.write_text(json.dumps(record, indent=2))


def test_lock_prints_a_hash_to_publish_and_unblinding_with_both_hashes_is_verified(published):
    p = published
    relock = run_cli("blind", "lock", p["folder"])  # the same sheet: the same lock, the same hash
    assert relock.code == 0 and printed("lock hash:", relock.stdout) == p["lock"]
    assert "publish the lock hash" in relock.stdout and f"--lock-commitment {p['lock']}" in relock.stdout

    result = verified(p)
    assert result.code == 0, result.stderr
    assert "verified:" in result.stdout and "UNVERIFIED" not in result.stdout + result.stderr
    record = json.loads((p["folder"] / "unblinded.json").read_text())
    assert record["verified"] == {"commitment": True, "lock_hash": True} and record["unverified"] is None
    assert record["lock_hash"] == p["lock"] and record["commitment"] == p["commitment"]


def test_unblinding_without_the_published_hashes_is_marked_unverified(published):
    p = published
    only_key = unblind(p, "--commitment", p["commitment"])
    assert only_key.code == 0, only_key.stderr
    warning = only_key.stderr
    assert "WARNING: UNVERIFIED" in warning and "the lock hash (--lock-commitment" in warning
    assert "the key commitment (--commitment" not in warning  # that one was checked
    assert "--lock-commitment PUBLISHED_LOCK_HASH" in warning  # what to pass
    record = json.loads((p["folder"] / "unblinded.json").read_text())
    assert record["verified"] == {"commitment": True, "lock_hash": False}
    assert record["unverified"].startswith("UNVERIFIED") and "--lock-commitment" in record["unverified"]

    neither = unblind(p)
    assert neither.code == 0 and "UNVERIFIED" in neither.stdout
    assert "the key commitment (--commitment" in neither.stderr and "the lock hash (--lock-commitment" in neither.stderr
    assert json.loads((p["folder"] / "unblinded.json").read_text())["verified"] == {
        "commitment": False,
        "lock_hash": False,
    }


def test_fault_1_an_outcome_edited_after_lock_with_lock_json_rehashed_is_refused(published):
    p = published
    flip_first_outcome(p["folder"])
    lock_path = p["folder"] / "lock.json"
    record = json.loads(lock_path.read_text())
    record["sha256"] = hashlib.sha256((p["folder"] / "outcomes.csv").read_bytes()).hexdigest()
    lock_path.write_text(json.dumps(record, indent=2))  # the campaign's fault: only the sheet's hash recomputed
    half = unblind(p, "--commitment", p["commitment"])
    assert half.code == 1 and "does not match its own lock hash: lock.json was edited" in half.stderr

    rewrite_lock(p["folder"], lambda r: None)  # the lock hash recomputed too: the folder agrees with itself
    result = verified(p)
    assert result.code == 2, result.stderr
    assert f"{lock_path}: lock: the lock hash is" in result.stderr and f"not the one you gave ({p['lock']})" in (
        result.stderr
    )
    assert "nowhere in the lock's chain" in result.stderr and "nothing written" in result.stderr
    assert not revealed(p["folder"])


def test_fault_1_via_lock_force_shows_the_relock_against_the_published_hash(published):
    p = published
    flip_first_outcome(p["folder"])
    forced = run_cli("blind", "lock", p["folder"], "--force")
    assert forced.code == 0
    new = printed("lock hash:", forced.stdout)
    assert new != p["lock"] and f"this lock chains {p['lock']}" in forced.stdout
    assert "replaces 1 earlier lock" in forced.stdout and "published before no longer matches" in forced.stdout

    result = verified(p)
    assert result.code == 2 and "re-locked with --force 1 time(s) after the lock you gave" in result.stderr
    assert not revealed(p["folder"])
    assert verified(p | {"lock": new}).code == 0  # the re-lock, published with its reason, unblinds


def test_fault_2_a_forced_relock_with_its_history_deleted_is_refused(published):
    p = published
    flip_first_outcome(p["folder"])
    assert run_cli("blind", "lock", p["folder"], "--force").code == 0
    lock_path = p["folder"] / "lock.json"
    record = json.loads(lock_path.read_text())
    record["history"] = []  # the campaign's fault: the trace of the re-lock deleted
    lock_path.write_text(json.dumps(record, indent=2))
    cut = unblind(p)
    assert cut.code == 1 and f"chains {p['lock']}" in cut.stderr and "earlier locks were removed" in cut.stderr
    assert not revealed(p["folder"])

    rewrite_lock(p["folder"], lambda r: r.update(previous=None))  # the chain cut cleanly, lock hash recomputed
    result = verified(p)
    assert result.code == 2 and str(lock_path) in result.stderr and "nowhere in the lock's chain" in result.stderr
    assert not revealed(p["folder"])
    unchecked = unblind(p, "--commitment", p["commitment"])  # without the lock hash: revealed, but loudly unverified
    assert unchecked.code == 0 and "WARNING: UNVERIFIED" in unchecked.stderr and "--lock-commitment" in unchecked.stderr


def test_fault_3_a_forged_key_with_a_forged_plan_commitment_is_refused(published):
    p = published
    folder, key_path = p["folder"], p["key"]
    key = key_of(key_path.parent)
    g1 = key["groups"]["G1"]
    a, b = list(g1)[:2]
    g1[a], g1[b] = g1[b], g1[a]  # the campaign's fault: two models swapped in the key …
    key_path.write_text(json.dumps(key, sort_keys=True, indent=2, ensure_ascii=True) + "\n")
    forged = hashlib.sha256(key_path.read_bytes()).hexdigest()
    plan_path = folder / "plan.json"
    plan_json = json.loads(plan_path.read_text())
    plan_json["commitment"]["value"] = forged  # … and plan.json's commitment rewritten to fit
    plan_path.write_text(json.dumps(plan_json, indent=2))

    chained = unblind(p)  # the lock was made under the real commitment
    assert chained.code == 1 and f"locked under key commitment {p['commitment']}" in chained.stderr
    assert run_cli("blind", "lock", folder).code == 1  # and cannot be extended under the forged one

    (folder / "lock.json").unlink()  # so the forger locks afresh, under the forged commitment
    assert run_cli("blind", "lock", folder).code == 0
    by_key = verified(p)
    assert by_key.code == 2 and f"{key_path}: sha256 {forged} is not the commitment you gave" in by_key.stderr
    assert "replaced together" in by_key.stderr and not revealed(folder)
    by_lock = unblind(p, "--lock-commitment", p["lock"])
    assert by_lock.code == 2 and "nowhere in the lock's chain" in by_lock.stderr and not revealed(folder)

    unchecked = unblind(p)
    assert unchecked.code == 0 and "WARNING: UNVERIFIED" in unchecked.stderr
    assert f"this key's is {forged}" in unchecked.stderr  # the folder's hash, to compare with the published one
    assert json.loads((folder / "unblinded.json").read_text())["unverified"].startswith("UNVERIFIED")


def test_a_malformed_published_hash_is_exit_2_before_anything_is_read(published):
    p = published
    result = unblind(p, "--commitment", p["commitment"], "--lock-commitment", "81d2…")
    assert result.code == 2 and "--lock-commitment" in result.stderr and "64 hex digits" in result.stderr
    assert not revealed(p["folder"])
    spaced = unblind(p, "--commitment", f" {p['commitment'].upper()} ", "--lock-commitment", p["lock"])
    assert spaced.code == 0, spaced.stderr  # as copied from a notebook: case and spaces do not matter


def test_a_lock_from_before_lock_hashes_is_upgraded_by_locking_again(published):
    p = published
    lock_path = p["folder"] / "lock.json"
    record = json.loads(lock_path.read_text())
    legacy = {k: record[k] for k in ("sheet", "sha256", "locked_at", "trials")} | {"history": []}
    lock_path.write_text(json.dumps(legacy, indent=2))
    old = unblind(p)
    assert old.code == 2 and "written before lock hashes" in old.stderr and not revealed(p["folder"])
    upgraded = run_cli("blind", "lock", p["folder"])
    assert upgraded.code == 0 and "lock hash:" in upgraded.stdout
    assert verified(p | {"lock": printed("lock hash:", upgraded.stdout)}).code == 0


def readme_blind_commands() -> list[str]:
    """The `ablate …` lines of the bash block in the README's `ablate blind` section, as written."""
    section = (REPO / "README.md").read_text().split("### Blind real-robot evaluation: `ablate blind`", 1)[1]
    block = re.search(r"^```bash\n(.*?)^```$", section.split("\n## ", 1)[0], flags=re.S | re.M)
    assert block, "no bash block in the README's blind section"
    return [line for line in block.group(1).splitlines() if line.startswith("ablate ")]


def test_the_readme_blind_commands_work_as_written(tmp_path, monkeypatch):
    plan_cmd, lock_cmd, unblind_cmd = readme_blind_commands()
    assert "--commitment $COMMITMENT --lock-commitment $LOCK_HASH" in unblind_cmd
    monkeypatch.chdir(tmp_path)

    def shell(line: str):  # what the shell does to these lines: expand $VARS, split on spaces
        return run_cli(*shlex.split(os.path.expandvars(line))[1:])

    planned = shell(plan_cmd)
    assert planned.code == 0, planned.stderr
    fill(tmp_path / "study" / "outcomes.csv", lambda tid: ("1", "0.5"))
    locked = shell(lock_cmd)
    assert locked.code == 0, locked.stderr
    monkeypatch.setenv("COMMITMENT", printed("commitment (SHA-256 of the key):", planned.stdout))
    monkeypatch.setenv("LOCK_HASH", printed("lock hash:", locked.stdout))
    result = shell(unblind_cmd)
    assert result.code == 0, result.stderr
    assert "verified:" in result.stdout and "UNVERIFIED" not in result.stderr
    assert (tmp_path / "study" / "trials.parquet").is_file()
