"""`ablate blind unblind`: check every seal, and only then join the locked outcomes to models in a trial table.

The checks against the folder itself (key ↔ plan.json's commitment, run sheet ↔ key, outcome sheet ↔ lock, the
lock chain) catch mistakes and casual edits, not whoever can rewrite the folder and the key together: only the
hashes published at `plan` and `lock` can, passed as `--commitment` and `--lock-commitment`. A wrong published
hash is exit 2 naming the file and both hashes; without them the result is written but marked UNVERIFIED, on
stderr and in unblinded.json, naming what was not checked and what to pass."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ablate.atomic import write_json, write_table
from ablate.blind import CheckFailed
from ablate.blind.lock import LOCK, UNBLINDED, check_chain, read_lock
from ablate.blind.plan import PLAN, plan_commitment, read_plan
from ablate.blind.seal import parse_key, published_hash, sha256_file
from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, read_outcomes, read_run_sheet
from ablate.errors import InputError
from ablate.naming import split_target

if TYPE_CHECKING:
    import pandas as pd

SEEDED = re.compile(r"^(?P<arm>.+)@(?P<seed>\d+)$")  # NAME@SEED: arm NAME, seed SEED


@dataclass(frozen=True)
class Unblinded:
    table: pd.DataFrame
    written: list[Path]
    commitment: str  # the key's SHA-256
    lock: str  # the lock hash the outcomes were read under
    relocks: int  # earlier locks this one replaced (--force)
    unverified: str | None  # what was not checked against a published hash, and how to; None when all was


def unblind(
    folder: Path,
    key_path: Path,
    out: Path | None = None,
    commitment: str | None = None,
    lock_commitment: str | None = None,
) -> Unblinded:
    """Check key, run sheet and outcome sheet against their seals (and the published hashes given); write the trial
    table to `out` (parquet or csv; default `<folder>/trials.parquet`, with a CSV copy beside a parquet file)."""
    plan = read_plan(folder)
    out = (out or folder / "trials.parquet").resolve()
    if out.suffix not in (".parquet", ".csv"):
        raise InputError.single("--out", "", f"expected a .parquet or .csv path, got {out.name}")
    published_key = published_hash("--commitment", commitment)
    published_lock = published_hash("--lock-commitment", lock_commitment)
    data = _read_key(key_path)
    digest = hashlib.sha256(data).hexdigest()
    _check_key(folder, plan, key_path, digest, published_key)
    key = parse_key(key_path, data)
    run_sheet = folder / RUN_SHEET
    if sha256_file(run_sheet) != key["run_sheet_sha256"]:
        raise CheckFailed(f"{run_sheet} changed since the plan was sealed: trials can no longer be matched to models")
    record = _check_lock(folder, digest, published_lock)

    table = _trial_table(plan["name"], key, run_sheet, folder / OUTCOME_SHEET)
    written = [out] if out.suffix == ".csv" else [out, out.with_suffix(".csv")]
    for path in written:
        write_table(path, table)
    relocks = sum("lock" in e for e in record.get("history", []))
    note = unverified_note(folder, key_path, digest, record["lock"], published_key is None, published_lock is None)
    write_json(
        folder / UNBLINDED,
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commitment": digest,
            "lock": record["sha256"],
            "lock_hash": record["lock"],
            "relocks": relocks,
            "verified": {"commitment": published_key is not None, "lock_hash": published_lock is not None},
            "unverified": note,
            "trial_table": [str(p) for p in written],
        },
    )
    return Unblinded(table, written, digest, record["lock"], relocks, note)


def _trial_table(sweep: str, key: dict, run_sheet: Path, sheet: Path) -> pd.DataFrame:
    import pandas as pd

    trials = read_run_sheet(run_sheet)
    rows = []
    for outcome in read_outcomes(sheet, trials):
        t = trials[outcome["trial_id"]]
        model = key["groups"][t.group][t.alias]
        seeded = SEEDED.match(model)
        embodiment, task = split_target(t.target)
        rows.append(
            {
                "sweep": sweep,
                "arm": seeded["arm"] if seeded else model,
                "run": model,
                "seed": int(seeded["seed"]) if seeded else 0,
                "embodiment": embodiment,
                "task": task,
                "trial": t.trial - 1,
                "success": outcome["success"],
                "progress": outcome["progress"],
                "group": t.group,
                "judge": outcome["judge"],
            }
        )
    return pd.DataFrame(rows).sort_values(["run", "embodiment", "task", "trial"], ignore_index=True)


def _read_key(key_path: Path) -> bytes:
    try:
        return key_path.read_bytes()
    except OSError as e:
        raise InputError.single(key_path, "", f"cannot read the key ({e.strerror})") from e


def _check_key(folder: Path, plan: dict, key_path: Path, digest: str, published: str | None) -> None:
    planned = plan_commitment(folder, plan)
    if digest != planned:
        raise CheckFailed(
            f"{key_path} does not match the plan's commitment (sha256 {digest} ≠ {planned}): wrong or altered key"
        )
    if published and digest != published:
        # The key agrees with plan.json but not with the record kept outside the folder: both were replaced.
        raise InputError.single(
            key_path,
            "",
            f"sha256 {digest} is not the commitment you gave ({published}); it matches {folder / PLAN}, so the key "
            "and the plan's commitment were replaced together: refusing to unblind (nothing written)",
        )


def _check_lock(folder: Path, commitment: str, published: str | None) -> dict:
    path = folder / LOCK
    record = read_lock(folder)
    if not record:
        raise CheckFailed(f"the outcome sheet was never locked: run `ablate blind lock {folder}` first")
    if "lock" not in record:
        raise InputError.single(
            path, "lock", f"written before lock hashes: run `ablate blind lock {folder}` to add one, and publish it"
        )
    check_chain(path, record)
    if record.get("commitment") != commitment:
        raise CheckFailed(
            f"{path} was locked under key commitment {record.get('commitment')}, not this key's {commitment}: "
            "the plan or the lock was altered"
        )
    sheet = folder / OUTCOME_SHEET
    if sha256_file(sheet) != record["sha256"]:
        raise CheckFailed(f"{sheet} was edited after it was locked at {record.get('locked_at')}: refusing to unblind")
    if published and record["lock"] != published:
        raise InputError.single(path, "lock", _lock_mismatch(record, published))
    return record


def _lock_mismatch(record: dict, published: str) -> str:
    now = f"the lock hash is {record['lock']} (locked at {record.get('locked_at')}), not the one you gave ({published})"
    history = record.get("history", [])
    at = next((i for i, e in enumerate(history) if e.get("lock") == published), None)
    if at is not None:
        later = len(history) - at
        return (
            f"{now}: the outcome sheet was re-locked with --force {later} time(s) after the lock you gave "
            f"({history[at].get('locked_at')}), so verdicts changed since; refusing to unblind (nothing written)"
        )
    return (
        f"{now}, and the hash you gave is nowhere in the lock's chain: the outcomes were re-locked and lock.json "
        "rewritten, or the hash belongs to another study; refusing to unblind (nothing written)"
    )


def unverified_note(
    folder: Path, key_path: Path, commitment: str, lock: str, key_unchecked: bool, lock_unchecked: bool
) -> str | None:
    """What a reader of an unblinding without the published hashes must be told: which hash went unchecked, and
    the command that checks it. The folder's own hashes are named so they can be compared with the record."""
    missing = [
        what
        for what, unchecked in (
            (f"the key commitment (--commitment; this key's is {commitment})", key_unchecked),
            (f"the lock hash (--lock-commitment; lock.json's is {lock})", lock_unchecked),
        )
        if unchecked
    ]
    if not missing:
        return None
    return (
        f"UNVERIFIED: not checked against a published hash: {' and '.join(missing)}. The folder's own hashes "
        "prove nothing against whoever could rewrite it and the key (a re-judged sheet can be re-locked and its "
        "hashes recomputed, a key replaced together with plan.json's commitment). Compare them with the hashes "
        "published at `ablate blind plan` and `ablate blind lock`, then rerun: "
        f"ablate blind unblind {folder} --key {key_path} --commitment PUBLISHED_COMMITMENT "
        "--lock-commitment PUBLISHED_LOCK_HASH"
    )
