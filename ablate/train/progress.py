"""Training progress with an ETA: a rich bar on a terminal, a log line every few seconds otherwise (Slurm and
local-executor logs), so a long job always says where it is and how long it has left."""

from __future__ import annotations

import sys
import time


class StepProgress:
    def __init__(self, total: int, done: int, *, enabled: bool = True, label: str = "train", every_s: float = 10.0):
        self.total, self.done, self.enabled, self.label, self.every_s = total, done, enabled, label, every_s
        self.start, self.start_done, self.last_line = time.monotonic(), done, 0.0
        self.bar = None
        if enabled and sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
            )
            self.bar.start()
            self.task = self.bar.add_task(label, total=total, completed=done, info="")

    def advance(self, stage: str, metrics: dict[str, float]) -> None:
        self.done += 1
        if not self.enabled:
            return
        info = f"{stage} loss {metrics['loss']:.4f}"
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, info=info)
            return
        now = time.monotonic()
        if now - self.last_line >= self.every_s or self.done == self.total:
            self.last_line = now
            rate = (self.done - self.start_done) / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(
                f"[{self.label}] step {self.done}/{self.total} {info} ({rate:.1f} steps/s, ETA {eta:.0f} s)", flush=True
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
