"""`ablate blind lock`: fix the judged outcomes before anyone sees the key, as a chain of lock hashes.

A lock records the outcome sheet's SHA-256, the key commitment it was made under, the hash of the lock before it
(if any) and its own hash over all of that (`lock_hash`, ablate/blind/seal.py). The folder alone proves nothing:
whoever can write it can edit the sheet and recompute every hash in it. What binds the verdicts is the lock hash
printed at `lock` time and published (lab notebook, pre-registration) beside the key commitment, then passed to
`unblind --lock-commitment`. Re-locking a different sheet needs `--force`, chains the lock it replaces and prints a
new hash, so the published one stops matching: a changed verdict cannot pass for the original. The replaced locks
stay in the file's history so every link can be checked; after unblinding no sheet can be locked again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ablate.atomic import write_json
from ablate.blind import CheckFailed
from ablate.blind.plan import plan_commitment, read_plan
from ablate.blind.seal import LOCK_FORMAT, lock_hash, sha256_file
from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, read_outcomes, read_run_sheet
from ablate.errors import InputError

LOCK, UNBLINDED = "lock.json", "unblinded.json"


def read_lock(folder: Path) -> dict | None:
    path = folder / LOCK
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise InputError.single(path, "", f"not valid JSON ({e})") from e
    if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
        raise InputError.single(path, "sha256", "not a blind lock file (written by `ablate blind lock`)")
    history = record.get("history", [])
    if not isinstance(history, list) or not all(isinstance(e, dict) for e in history):
        raise InputError.single(path, "history", "expected a list of the earlier locks")
    return record


def check_chain(path: Path, record: dict) -> None:
    """Every lock's hash must match its own fields and name the lock before it: an edited lock, or one taken out
    of the history, breaks the chain (integrity failure, exit 1). Locks from before lock hashes can only come
    first, as they were upgraded."""
    before = None
    for entry in [*record.get("history", []), record]:
        at = entry.get("locked_at", "?")
        if "lock" not in entry:
            if before is not None:
                raise CheckFailed(f"{path}: the lock of {at} has no lock hash but follows a hashed one: edited")
            continue
        if lock_hash(entry) != entry["lock"]:
            raise CheckFailed(f"{path}: the lock of {at} does not match its own lock hash: lock.json was edited")
        if entry.get("previous") != before:
            raise CheckFailed(
                f"{path}: the lock of {at} chains {entry.get('previous')} but the lock before it in the history is "
                f"{before}: earlier locks were removed or altered"
            )
        before = entry["lock"]


def lock(folder: Path, force: bool = False) -> tuple[dict, bool]:
    """Validate the filled outcome sheet and lock it; returns (the lock, whether it is new)."""
    commitment = plan_commitment(folder, read_plan(folder))
    if (folder / UNBLINDED).exists():
        raise CheckFailed(f"{folder} was already unblinded: outcomes can no longer be locked blind")
    sheet = folder / OUTCOME_SHEET
    rows = read_outcomes(sheet, read_run_sheet(folder / RUN_SHEET))
    digest = sha256_file(sheet)
    previous = read_lock(folder)
    if previous:
        _check_previous(folder / LOCK, previous, commitment)
        if "lock" in previous and previous["sha256"] == digest:
            return previous, False
        if previous["sha256"] != digest and not force:
            raise CheckFailed(
                f"{sheet} differs from the sheet locked at {previous.get('locked_at')} (sha256 "
                f"{previous['sha256'][:12]}…); pass --force to lock the new one: it chains the earlier lock, which "
                "stays in lock.json's history, and gets a new lock hash (the published one will no longer match)"
            )
    record = {
        "format": LOCK_FORMAT,
        "sheet": OUTCOME_SHEET,
        "sha256": digest,
        "trials": len(rows),
        "locked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commitment": commitment,
        "previous": previous.get("lock") if previous else None,
    }
    record["lock"] = lock_hash(record)
    record["history"] = [*previous.get("history", []), _without_history(previous)] if previous else []
    write_json(folder / LOCK, record)
    return record, True


def _check_previous(path: Path, previous: dict, commitment: str) -> None:
    """A chain is only extended when intact, so a re-lock cannot bury an edit in the history."""
    check_chain(path, previous)
    if "lock" in previous and previous.get("commitment") != commitment:
        raise CheckFailed(
            f"{path} was locked under key commitment {previous.get('commitment')}, but plan.json now says "
            f"{commitment}: the plan was altered since the lock"
        )


def _without_history(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "history"}
