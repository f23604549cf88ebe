"""Checkpoints on disk: written atomically (temp file + rename), named by global step, last K kept.
The newest complete file is the only resume point: a kill mid-write leaves the previous one intact."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^ckpt-(\d{9})\.pt$")


class CheckpointStore:
    def __init__(self, directory: Path, keep: int = 2):
        self.dir = directory
        self.keep = max(1, keep)

    def steps(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.dir.iterdir() if (m := _NAME.match(p.name)))

    def latest(self) -> dict[str, Any] | None:
        steps = self.steps()
        return self.load(self.dir / f"ckpt-{steps[-1]:09d}.pt") if steps else None

    @staticmethod
    def load(path: Path) -> dict[str, Any]:
        import torch

        return torch.load(path, map_location="cpu", weights_only=False)

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
