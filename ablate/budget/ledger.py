"""The budget ledger of one run: planned (from the plan) and consumed (reported by the job), per stage and
per embodiment. `ablate audit` reads these files; nothing here imports torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ablate import atomic
from ablate.layout import LEDGER_FILE

COUNTERS = ("samples", "steps", "tokens", "gpu_hours")


@dataclass
class Ledger:
    unit: str
    tolerance: float
    planned: dict[str, dict[str, Any]]  # stage -> StageBudget.to_dict()
    consumed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def new(cls, unit: str, tolerance: float, stages: list[dict[str, Any]]) -> Ledger:
        return cls(unit, tolerance, {s["stage"]: s for s in stages})

    # -- job side ---------------------------------------------------------------------------------------
    def consume(
        self,
        stage: str,
        *,
        samples: int,
        steps: int = 1,
        tokens: int = 0,
        gpu_seconds: float = 0.0,
        by_embodiment: dict[str, int] | None = None,
    ) -> None:
        c = self.consumed.setdefault(stage, {k: 0 for k in COUNTERS} | {"by_embodiment": {}})
        c["samples"] += samples
        c["steps"] += steps
        c["tokens"] += tokens
        c["gpu_hours"] += gpu_seconds / 3600.0
        for name, n in (by_embodiment or {}).items():
            c["by_embodiment"][name] = c["by_embodiment"].get(name, 0) + n

    def stage_done(self, stage: str) -> bool:
        """A stage ends when its steps are taken (or, for gpu_hours, when its time is spent)."""
        plan, used = self.planned[stage], self.consumed.get(stage, {})
        if plan["steps"] is None:
            return used.get("gpu_hours", 0.0) >= plan["planned"]
        return used.get("steps", 0) >= plan["steps"]

    # -- audit side -------------------------------------------------------------------------------------
    def deviations(self) -> list[dict[str, Any]]:
        rows = []
        for stage, plan in self.planned.items():
            used = self.consumed.get(stage, {}).get(self.unit, 0)
            gap = (used - plan["planned"]) / plan["planned"]
            rows.append(
                {
                    "stage": stage,
                    "unit": self.unit,
                    "planned": plan["planned"],
                    "consumed": used,
                    "deviation": gap,
                    "ok": abs(gap) <= self.tolerance,
                    "by_embodiment": self.consumed.get(stage, {}).get("by_embodiment", {}),
                }
            )
        return rows

    # -- files ------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "tolerance": self.tolerance,
            "planned": self.planned,
            "consumed": self.consumed,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ledger:
        return cls(d["unit"], d["tolerance"], d["planned"], d.get("consumed", {}))

    def save(self, run_dir: str | Path) -> None:
        atomic.write_json(Path(run_dir) / LEDGER_FILE, self.to_dict())

    @classmethod
    def load(cls, run_dir: str | Path) -> Ledger | None:
        d = atomic.read_json(Path(run_dir) / LEDGER_FILE)
        return cls.from_dict(d) if d else None
