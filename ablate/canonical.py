"""Canonical JSON and its hash: one text per value, whatever the order its mappings were built in.

Used for identities that must not drift: an arm's id hashes its resolved config (`spec.plan.config_hash`), and a
pre-registration records the hash of the frozen spec content (`spec.hypotheses.content_hash`). Changing the
encoding here changes every arm id and breaks every frozen sweep: keys sorted, no spaces, `str()` for anything JSON
has no type for, non-ASCII escaped (json's default).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def canonical_hash(value: Any, length: int | None = None) -> str:
    """sha256 (hex) of `value`'s canonical JSON; its first `length` digits when given."""
    digest = hashlib.sha256(canonical_json(value).encode()).hexdigest()
    return digest if length is None else digest[:length]
