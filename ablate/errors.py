"""Bad input is reported, never guessed at: every problem names its file, key path and what was expected.

The CLI turns an `InputError` into exit code 2 before anything is written or launched. The wording shared by every
such message lives here too: "did you mean" hints and pydantic errors placed at their YAML key and line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Problem:
    file: str
    key_path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key_path}:" if self.key_path else ""
        return f"{where}:{key} {self.message}"


class InputError(Exception):
    """One or more problems with user input (a spec, a profile, a flag). Exit code 2."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, key_path: str, message: str, line: int | None = None) -> InputError:
        return cls(Problem(str(file), key_path, message, line))


def join_key(*parts: object) -> str:
    """Key paths as users write them: `factors.mixture.pooled`, `seeds[2]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate `word` is most likely a typo of (difflib's ratio at least `cutoff`), or None."""
    hint = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=cutoff)
    return hint[0] if hint else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """The hint ` (did you mean 'x'?)` naming the closest candidate, or "" when none is close."""
    hint = closest(word, candidates)
    return f" (did you mean '{hint}'?)" if hint else ""


class _Located(Protocol):
    """A parsed file that can place a problem at a key path's line (`spec.yaml_lines.Document`)."""

    def problem(self, key_path: str, message: str) -> Problem: ...


def pydantic_problem(doc: _Located, err: Any, models: Mapping[str, Any]) -> Problem:
    """One pydantic error (an item of `ValidationError.errors()`) as a Problem with the YAML line and key path.
    `models` maps each key path to its pydantic model, so an unknown key gets the allowed keys and a "did you mean"
    hint. Shared by every YAML schema (sweep specs, table specs)."""
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    key_path = join_key(*loc)
    if err["type"] == "extra_forbidden":
        parent = ".".join(str(p) for p in loc[:-1] if not isinstance(p, int))
        allowed = list(models[parent].model_fields) if parent in models else []
        message = "unknown key" + did_you_mean(str(loc[-1]), allowed)
        message += f"; expected one of: {', '.join(allowed)}" if allowed else ""
        return doc.problem(key_path, message)
    if err["type"] == "missing":
        return doc.problem(key_path, "required key is missing")
    message = err["msg"].removeprefix("Value error, ")
    if "input" in err and err["type"] not in ("value_error",):
        message += f" (got {err['input']!r})"
    return doc.problem(key_path, message)
