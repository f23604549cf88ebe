"""After the trials: `lock` fixes the judged outcomes before anyone sees the key, `unblind` checks every seal and
only then joins outcomes to models into a trial table.

A lock is a hash in `lock.json`. Re-locking a different sheet needs `--force` and keeps the earlier locks in the
file's history, so a changed verdict stays visible; after unblinding no sheet can be locked again."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ablate.atomic import write_json, write_table
from ablate.blind import CheckFailed
from ablate.blind.plan import PLAN, PLAN_FORMAT
from ablate.blind.seal import parse_key, sha256_file
from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, read_outcomes, read_run_sheet
from ablate.errors import InputError
from ablate.naming import split_target

if TYPE_CHECKING:
    import pandas as pd

LOCK, UNBLINDED = "lock.json", "unblinded.json"
SEEDED = re.compile(r"^(?P<arm>.+)@(?P<seed>\d+)$")  # NAME@SEED: arm NAME, seed SEED


def read_plan(folder: Path) -> dict:
    path = folder / PLAN
    try:
        plan = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise InputError.single(path, "", "no blind plan here (written by `ablate blind plan`)") from e
    except ValueError as e:
        raise InputError.single(path, "", f"not valid JSON ({e})") from e
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT:
        raise InputError.single(path, "format", f"expected {PLAN_FORMAT!r}")
    return plan


def _read_lock(folder: Path) -> dict | None:
    path = folder / LOCK
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as e:
        raise InputError.single(path, "", f"not valid JSON ({e})") from e


def lock(folder: Path, force: bool = False) -> tuple[dict, bool]:
    """Validate the filled outcome sheet and record its hash; returns (the lock, whether it is new)."""
    read_plan(folder)
    if (folder / UNBLINDED).exists():
        raise CheckFailed(f"{folder} was already unblinded: outcomes can no longer be locked blind")
    sheet = folder / OUTCOME_SHEET
    rows = read_outcomes(sheet, read_run_sheet(folder / RUN_SHEET))
    digest = sha256_file(sheet)
    previous = _read_lock(folder)
    if previous and previous["sha256"] == digest:
        return previous, False
    if previous and not force:
        raise CheckFailed(
            f"{sheet} differs from the sheet locked at {previous['locked_at']} (sha256 {previous['sha256'][:12]}…); "
            "pass --force to lock the new one (the earlier lock stays in lock.json's history)"
        )
    history = [*previous.get("history", []), {k: previous[k] for k in ("sha256", "locked_at")}] if previous else []
    record = {
        "sheet": OUTCOME_SHEET,
        "sha256": digest,
        "locked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trials": len(rows),
        "history": history,
    }
    write_json(folder / LOCK, record)
    return record, True


def unblind(
    folder: Path, key_path: Path, out: Path | None = None, commitment: str | None = None
) -> tuple[pd.DataFrame, list[Path]]:
    """Check key, run sheet and outcome sheet against their seals; write the trial table to `out` (parquet or
    csv; default `<folder>/trials.parquet`, with a CSV copy beside a parquet file). Returns it and the paths."""
    plan = read_plan(folder)
    out = (out or folder / "trials.parquet").resolve()
    if out.suffix not in (".parquet", ".csv"):
        raise InputError.single("--out", "", f"expected a .parquet or .csv path, got {out.name}")
    try:
        data = key_path.read_bytes()
    except OSError as e:
        raise InputError.single(key_path, "", f"cannot read the key ({e.strerror})") from e
    digest = hashlib.sha256(data).hexdigest()
    planned = plan["commitment"]["value"]
    if digest != planned:
        raise CheckFailed(
            f"{key_path} does not match the plan's commitment (sha256 {digest} ≠ {planned}): wrong or altered key"
        )
    if commitment and digest != commitment.strip().lower():
        raise CheckFailed(
            f"{key_path} matches {folder / PLAN} but not the commitment you gave ({commitment}): the plan was altered"
        )
    key = parse_key(key_path, data)
    run_sheet = folder / RUN_SHEET
    if sha256_file(run_sheet) != key["run_sheet_sha256"]:
        raise CheckFailed(f"{run_sheet} changed since the plan was sealed: trials can no longer be matched to models")
    record = _read_lock(folder)
    if not record:
        raise CheckFailed(f"the outcome sheet was never locked: run `ablate blind lock {folder}` first")
    sheet = folder / OUTCOME_SHEET
    if sha256_file(sheet) != record["sha256"]:
        raise CheckFailed(f"{sheet} was edited after it was locked at {record['locked_at']}: refusing to unblind")

    trials = read_run_sheet(run_sheet)
    rows = []
    for outcome in read_outcomes(sheet, trials):
        t = trials[outcome["trial_id"]]
        model = key["groups"][t.group][t.alias]
        seeded = SEEDED.match(model)
        embodiment, task = split_target(t.target)
        rows.append(
            {
                "sweep": plan["name"],
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
    import pandas as pd

    table = pd.DataFrame(rows).sort_values(["run", "embodiment", "task", "trial"], ignore_index=True)
    written = [out] if out.suffix == ".csv" else [out, out.with_suffix(".csv")]
    for path in written:
        write_table(path, table)
    write_json(
        folder / UNBLINDED,
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commitment": digest,
            "lock": record["sha256"],
            "trial_table": [str(p) for p in written],
        },
    )
    return table, written
