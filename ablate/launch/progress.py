"""Progress of a launch, as small typed events handed to a callback: the library prints nothing itself, the CLI
draws its progress bars from them, a notebook may print `event.message`. `None` as the callback means silent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ablate.launch.status import RunStatus

NOTE, START, RUN, TICK = "note", "start", "run", "tick"


@dataclass(frozen=True)
class Progress:
    """One event. `done`/`total`: runs finished (done or failed) of the runs followed; `consumed`/`planned`: budget
    summed over those runs (each run's consumption capped at its plan); `eta_s`: seconds left, estimated from the
    budget consumed since the launch began (None until there is enough to go on); `message`: one readable line.
    `kind`: "start" (what will be launched), "run" (one run ended; `run` holds its status), "tick" (the counts
    moved) or "note" (anything else: a submission, a tuning round)."""

    done: int = 0
    total: int = 0
    consumed: float = 0.0
    planned: float = 0.0
    eta_s: float | None = None
    message: str = ""
    kind: str = NOTE
    active: int = 0
    run: RunStatus | None = None

    @property
    def share(self) -> float:
        """The share of the planned budget consumed, 0..1."""
        return min(1.0, self.consumed / self.planned) if self.planned else 0.0


OnProgress = Callable[[Progress], None] | None


def emit(on_progress: OnProgress, message: str, **fields) -> None:
    if on_progress is not None:
        on_progress(Progress(message=message, **fields))
