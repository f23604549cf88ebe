"""The sealed key and its commitment: SHA-256 of the key file's exact bytes, checked before the key is even parsed,
so a changed byte is a refused key rather than a confusing parse error."""

from __future__ import annotations

import hashlib
import json
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
