"""`ablate blind plan`: draw the assignment, write the sheets and the public plan, seal the key.

`plan.json` is written last, so a folder with a `plan.json` always has its key. The key goes outside the plan
folder (default `<folder>.SEALED-key.json` beside it) because that folder is what the operator and the judge
get; an existing key is never overwritten (a lost key means a study that can never be unblinded)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ablate.atomic import write_json, write_text
from ablate.blind.assign import MAX_GROUP, MIN_GROUP, assign
from ablate.blind.seal import key_text, sha256_file
from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, outcome_sheet_text, run_sheet_text
from ablate.errors import InputError
from ablate.naming import TARGET_FORMAT, bad_targets

PLAN, PLAN_FORMAT = "plan.json", "ablate.blind.plan/1"


@dataclass(frozen=True)
class Written:
    plan: Path
    run_sheet: Path
    outcome_sheet: Path
    key: Path
    commitment: str
    groups: dict[str, list[str]]  # group -> aliases (sorted): what may be shown
    n_trials: int


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


def plan_commitment(folder: Path, plan: dict) -> str:
    """The key commitment plan.json records (it proves nothing by itself: see `unblind --commitment`)."""
    value = plan.get("commitment", {}).get("value") if isinstance(plan.get("commitment"), dict) else None
    if not isinstance(value, str):
        raise InputError.single(folder / PLAN, "commitment.value", "missing: this plan.json has no key commitment")
    return value


def split_list(text: str, flag: str) -> list[str]:
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise InputError.single(flag, "", "expected a comma-separated list, got nothing")
    dupes = sorted({s for s in items if items.count(s) > 1})
    if dupes:
        raise InputError.single(flag, "", f"listed more than once: {', '.join(dupes)}")
    return items


def check_targets(targets: list[str]) -> None:
    bad = bad_targets(targets)
    if bad:
        raise InputError.single("--targets", "", f"expected {TARGET_FORMAT}, got {', '.join(map(repr, bad))}")


def default_key_path(out: Path) -> Path:
    out = out.resolve()
    return out.parent / f"{out.name}.SEALED-key.json"


def make_plan(
    models: list[str],
    targets: list[str],
    trials: int,
    group_size: int,
    out: Path,
    key_out: Path | None = None,
    seed: int | None = None,
    name: str | None = None,
) -> Written:
    check_targets(targets)
    if not MIN_GROUP <= group_size <= MAX_GROUP:
        raise InputError.single("--group-size", "", f"expected {MIN_GROUP}–{MAX_GROUP}, got {group_size}")
    if trials < 1:
        raise InputError.single("--trials", "", f"expected at least 1 trial per model and target, got {trials}")
    out = out.resolve()
    key_out = (key_out or default_key_path(out)).resolve()
    if out.exists() and any(out.iterdir()):
        raise InputError.single(out, "", "already exists and is not empty; choose a new --out (nothing was written)")
    if key_out.is_relative_to(out):
        raise InputError.single(key_out, "", f"the key must not be inside the plan folder {out}: operators get it")
    if key_out.exists():
        raise InputError.single(key_out, "", "a key file is already there; it is never overwritten (nothing written)")
    seed = secrets.randbelow(2**63) if seed is None else seed
    try:
        drawn = assign(models, targets, trials, group_size, seed)
    except ValueError as e:
        raise InputError.single("--models", "", str(e)) from e

    name = name or out.name
    # Hashes are taken of the files as written, so they are exactly what unblinding will read back.
    write_text(out / RUN_SHEET, run_sheet_text(drawn.trials))
    key_out.parent.mkdir(parents=True, exist_ok=True)
    write_text(key_out, key_text(name, seed, models, drawn.groups, sha256_file(out / RUN_SHEET)))
    commitment = sha256_file(key_out)
    write_text(out / OUTCOME_SHEET, outcome_sheet_text(drawn.trials))
    aliases = {g: sorted(members) for g, members in drawn.groups.items()}
    write_json(
        out / PLAN,
        {
            "format": PLAN_FORMAT,
            "name": name,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "targets": targets,
            "trials_per_target": trials,
            "group_size": group_size,
            "groups": aliases,
            "n_models": len(models),
            "n_trials": len(drawn.trials),
            "files": {"run_sheet": RUN_SHEET, "outcome_sheet": OUTCOME_SHEET},
            "commitment": {"algorithm": "sha256", "of": "the sealed key file's exact bytes", "value": commitment},
        },
    )
    return Written(out / PLAN, out / RUN_SHEET, out / OUTCOME_SHEET, key_out, commitment, aliases, len(drawn.trials))
