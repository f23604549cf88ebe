"""The seals: the key's commitment (SHA-256 of the key file's exact bytes, checked before the key is even parsed,
so a changed byte is a refused key rather than a confusing parse error), the lock hash, and the published hashes
a user passes back."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

from ablate.errors import InputError

KEY_FORMAT = "ablate.blind.key/1"


def sha256_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise InputError.single(path, "", f"cannot read it ({e.strerror})") from e


def key_text(name: str, seed: int, models: list[str], groups: dict[str, dict[str, str]], run_sheet_sha256: str) -> str:
    """Canonical JSON (sorted keys, ASCII only) so the bytes, and with them the commitment, depend on content only."""
    key = {
        "format": KEY_FORMAT,
        "plan": name,
        "nonce": secrets.token_hex(32),  # without it a short mapping could be found by hashing every guess
        "seed": seed,
        "models": models,
        "groups": groups,
        "run_sheet_sha256": run_sheet_sha256,
    }
    return json.dumps(key, sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def parse_key(path: Path, data: bytes) -> dict[str, Any]:
    try:
        key = json.loads(data)
    except ValueError as e:
        raise InputError.single(path, "", f"not a blind key file (invalid JSON: {e})") from e
    if not isinstance(key, dict) or key.get("format") != KEY_FORMAT:
        raise InputError.single(path, "format", f"not a blind key file (expected format {KEY_FORMAT!r})")
    return key


# A lock hash covers the sheet's hash, the key commitment it was locked under and the lock before it, so it cannot
# be recomputed to fit an edited sheet without changing: a published lock hash pins the verdicts for good.
LOCK_FORMAT = "ablate.blind.lock/2"
LOCK_FIELDS = ("format", "sheet", "sha256", "trials", "locked_at", "commitment", "previous")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def lock_hash(record: dict[str, Any]) -> str:
    fields = {k: record.get(k) for k in LOCK_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def published_hash(flag: str, text: str | None) -> str | None:
    """A hash as the user copied it from their record (spaces and upper case allowed), or None when not given."""
    if text is None:
        return None
    value = text.strip().lower()
    if not _SHA256.match(value):
        raise InputError.single(
            flag, "", f"expected a SHA-256 (64 hex digits) as printed by `ablate blind`, got {text!r}"
        )
    return value
