"""Bad input is reported, never guessed at: every problem names its file, key path and what was expected.

The CLI turns an `InputError` into exit code 2 before anything is written or launched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
