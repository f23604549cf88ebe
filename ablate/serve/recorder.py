"""Real-robot trials recorded as they happen, so an evaluation ends in a trial table without hand-typing.

The operator loop reports each episode's outcome — from Python (`recorder.record({...})`) or through the policy
server (`client.infer({"ablate.trial": {...}})`, the same websocket it gets actions from):

- `TrialRecorder`: rows of a trial table (`ablate.trials`: the served run's `sweep, arm, run, seed` and factor
  levels, `embodiment, task, trial, success, progress`) appended to a CSV file that `ablate report` reads. Fields:
  `target` ("Robot/task"), `success` (0/1), `progress` (0..1, optional), `trial` (optional: the next one of that
  target). Each row is written at once (atomically), so a killed session loses nothing recorded.
- `BlindRecorder`: the outcome sheet of an `ablate blind` study, filled for the served alias only: `trial_id`
  (optional: the alias's next trial in run-sheet order without an outcome), `success`, `progress`; the judge column
  names who recorded it. `ablate blind lock` and `unblind` then go on as for a hand-filled sheet. A study that is
  locked is not written to.

Every refusal is a `RecordError` naming the field and what was expected; nothing is written then."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Protocol

from ablate import atomic
from ablate.errors import InputError
from ablate.naming import split_target

RECORD_KEY = "ablate.trial"


class RecordError(ValueError):
    """A trial that cannot be recorded; the message names the field."""


class Recorder(Protocol):
    def record(self, fields: Any) -> dict[str, Any]: ...

    def describe(self) -> str: ...


def _success(fields: dict) -> int:
    value = fields.get("success")
    if isinstance(value, bool) or value in (0, 1):
        return int(value)
    raise RecordError(f"success: expected 0 or 1 (or true/false), got {value!r}")


def _progress(fields: dict) -> float:
    value = fields.get("progress")
    if value is None:
        return math.nan
    try:
        progress = float(value)
    except (TypeError, ValueError):
        progress = math.nan
    if not 0.0 <= progress <= 1.0:
        raise RecordError(f"progress: expected a number in [0, 1] (or leave it out), got {value!r}")
    return progress


def _fields(fields: Any, allowed: frozenset[str]) -> dict:
    if not isinstance(fields, dict):
        raise RecordError(f"{RECORD_KEY}: expected a map of {', '.join(sorted(allowed))}, got {type(fields).__name__}")
    unknown = sorted(set(map(str, fields)) - allowed)
    if unknown:
        raise RecordError(f"{RECORD_KEY}: unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}")
    return {str(k): v for k, v in fields.items()}


class TrialRecorder:
    FIELDS = frozenset({"target", "success", "progress", "trial"})

    def __init__(self, path: str | Path, run: dict[str, Any]):
        """`run`: the served run's identity as its checkpoint holds it (`LoadedPolicy.run`: id, sweep, arm, seed,
        levels). A run trained outside a sweep is its own arm."""
        self.path = Path(path)
        if self.path.suffix != ".csv":
            raise InputError.single(self.path, "", "a recorded trial table is a .csv file")
        identity = {"sweep": run.get("sweep") or "", "arm": run.get("arm") or run["id"], "run": run["id"],
                    "seed": run.get("seed", 0)}  # fmt: skip
        self.identity = identity | dict(run.get("levels") or {})
        self.rows: list[dict[str, Any]] = []
        if self.path.is_file():
            from ablate.trials import read_trials

            self.rows = read_trials(self.path).to_dict("records")  # checked: a damaged file is named, not extended

    def describe(self) -> str:
        return f"trial table {self.path} (run {self.identity['run']}, {len(self.rows)} trial(s) so far)"

    def record(self, fields: Any) -> dict[str, Any]:
        fields = _fields(fields, self.FIELDS)
        target = split_target(str(fields.get("target", "")))
        if target is None:
            raise RecordError(f"target: expected Robot/task, got {fields.get('target')!r}")
        robot, task = target
        mine = [r for r in self.rows if (r["run"], r["embodiment"], r["task"]) == (self.identity["run"], robot, task)]
        trial = fields.get("trial", max((int(r["trial"]) for r in mine), default=-1) + 1)
        if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
            raise RecordError(f"trial: expected a whole number >= 0, got {trial!r}")
        if any(int(r["trial"]) == trial for r in mine):
            raise RecordError(f"trial: {robot}/{task} trial {trial} of run {self.identity['run']} is recorded already")
        row = self.identity | {"embodiment": robot, "task": task, "trial": trial, "success": _success(fields),
                               "progress": _progress(fields)}  # fmt: skip
        self._write([*self.rows, row])
        self.rows.append(row)
        return row

    def _write(self, rows: list[dict[str, Any]]) -> None:
        import pandas as pd

        from ablate.trials import validate_trials

        table = pd.DataFrame(rows)
        validate_trials(table, self.path)
        atomic.write_text(self.path, table.to_csv(index=False))


class BlindRecorder:
    FIELDS = frozenset({"trial_id", "success", "progress"})

    def __init__(self, study: str | Path, alias: str, judge: str = "operator"):
        from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, read_run_sheet

        self.study, self.judge = Path(study), judge
        self.sheet = self.study / OUTCOME_SHEET
        planned = read_run_sheet(self.study / RUN_SHEET)
        group, _, name = alias.rpartition(":")
        mine = [t for t in planned.values() if t.alias == name and (not group or t.group == group)]
        groups = sorted({t.group for t in mine})
        if not mine:
            aliases = sorted({f"{t.group}:{t.alias}" for t in planned.values()})
            raise InputError.single(self.study / RUN_SHEET, "alias", f"no alias {alias!r}; the study has {aliases}")
        if len(groups) > 1:
            raise InputError.single(
                self.study / RUN_SHEET, "alias", f"{name!r} is an alias in {groups}: name one, as GROUP:{name}"
            )
        self.trials = sorted(mine, key=lambda t: t.order)
        self.alias = f"{groups[0]}:{name}"

    def describe(self) -> str:
        done = len(self._recorded())
        return f"blind study {self.study}, alias {self.alias} ({done} of {len(self.trials)} trial(s) recorded)"

    def record(self, fields: Any) -> dict[str, Any]:
        from ablate.blind.lock import read_lock

        fields = _fields(fields, self.FIELDS)
        if read_lock(self.study) is not None:
            raise RecordError(f"{self.study} is locked (ablate blind lock): its outcomes are final")
        recorded = self._recorded()
        ids = {t.trial_id: t for t in self.trials}
        trial_id = fields.get("trial_id") or next((t.trial_id for t in self.trials if t.trial_id not in recorded), None)
        if trial_id is None:
            raise RecordError(f"every trial of alias {self.alias} is recorded")
        if trial_id not in ids:
            raise RecordError(f"trial_id: {trial_id!r} is not a trial of alias {self.alias} (the run sheet's)")
        if trial_id in recorded:
            raise RecordError(f"trial_id: {trial_id} is recorded already")
        success, progress = _success(fields), _progress(fields)
        rows = self._sheet()
        for row in rows:
            if row["trial_id"] == trial_id:
                row.update(success=str(success), progress="" if math.isnan(progress) else f"{progress:g}",
                           judge=self.judge)  # fmt: skip
        self._write(rows)
        t = ids[trial_id]
        return {"trial_id": trial_id, "alias": self.alias, "target": t.target, "trial": t.trial, "success": success,
                "progress": progress}  # fmt: skip

    def _sheet(self) -> list[dict[str, str]]:
        with self.sheet.open(newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    def _recorded(self) -> set[str]:
        return {r["trial_id"] for r in self._sheet() if (r.get("success") or "").strip()}

    def _write(self, rows: list[dict[str, str]]) -> None:
        from ablate.blind.sheets import OUTCOME_COLUMNS

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=OUTCOME_COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        atomic.write_text(self.sheet, buffer.getvalue())
