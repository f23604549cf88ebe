"""Checkpoints on disk: written atomically (temp file + rename), named by global step, last K kept.
The newest complete file is the resume point: a kill mid-write leaves the previous one intact. A file that is there but
cannot be read back (truncated or emptied by a full disk, a copy, a crash of the file system) is skipped with a line on
stderr naming it, and the newest intact one is used instead."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^ckpt-(\d{9})\.pt$")


class CorruptCheckpoints(RuntimeError):
    """A checkpoint file that cannot be read back, or no readable one where there are files."""


class CheckpointStore:
    def __init__(self, directory: Path, keep: int = 2):
        self.dir = directory
        self.keep = max(1, keep)

    def steps(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.dir.iterdir() if (m := _NAME.match(p.name)))

    def latest(self) -> dict[str, Any] | None:
        """The newest checkpoint that loads; None when there is none. Unreadable newer ones are reported and skipped;
        when every one is unreadable, that is an error (starting over silently would throw the run's work away)."""
        bad: list[tuple[Path, str]] = []
        for step in reversed(self.steps()):
            path = self.dir / f"ckpt-{step:09d}.pt"
            try:
                state = self.load(path)
            except Exception as e:  # torch raises RuntimeError, EOFError, UnpicklingError… on a damaged file
                bad.append((path, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'empty'}"))
                continue
            for b, why in bad:
                print(
                    f"checkpoint {b} is unreadable ({why}); resuming from {path} instead", file=sys.stderr, flush=True
                )
            return state
        if bad:
            names = ", ".join(str(b) for b, _ in bad)
            raise CorruptCheckpoints(f"no readable checkpoint in {self.dir} ({names}); delete them to start over")
        return None

    @staticmethod
    def load(path: Path) -> dict[str, Any]:
        import torch

        if path.stat().st_size == 0:
            raise CorruptCheckpoints("empty file (0 bytes)")
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # RuntimeError, EOFError, UnpicklingError…: a bare EOFError would read as Ctrl-C
            first = str(e).splitlines()[0] if str(e) else "no message"
            raise CorruptCheckpoints(f"cannot be read as a checkpoint ({type(e).__name__}: {first})") from e
        if not isinstance(state, dict):
            raise CorruptCheckpoints(f"holds a {type(state).__name__}, not a checkpoint dict")
        return state

    def save(self, global_step: int, state: dict[str, Any]) -> Path:
        import torch

        self.dir.mkdir(parents=True, exist_ok=True)
        final = self.dir / f"ckpt-{global_step:09d}.pt"
        tmp = self.dir / f".ckpt-{global_step:09d}.pt.tmp"
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        for old in self.steps()[: -self.keep]:
            (self.dir / f"ckpt-{old:09d}.pt").unlink(missing_ok=True)
        return final
