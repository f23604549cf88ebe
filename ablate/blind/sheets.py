"""The two sheets people touch: the operator's run sheet (what to run, in which order, by alias) and the judge's
outcome sheet (trial ids only, so the judge sees neither alias nor run order). Plain CSV, so they open in any
spreadsheet; a filled sheet is validated cell by cell and every problem names its file, line and column."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ablate.blind.assign import Trial
from ablate.errors import InputError, Problem

RUN_SHEET, OUTCOME_SHEET = "run_sheet.csv", "outcomes.csv"
RUN_COLUMNS = ["group", "order", "alias", "target", "trial", "trial_id"]
OUTCOME_COLUMNS = ["trial_id", "group", "target", "success", "progress", "judge"]
MAX_PROBLEMS = 20


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def run_sheet_text(trials: list[Trial]) -> str:
    rows = sorted(trials, key=lambda t: (t.group, t.order))
    return _csv(RUN_COLUMNS, [[t.group, t.order, t.alias, t.target, t.trial, t.trial_id] for t in rows])


def outcome_sheet_text(trials: list[Trial]) -> str:
    rows = sorted(trials, key=lambda t: t.trial_id)  # random ids: the operator's order does not show through
    return _csv(OUTCOME_COLUMNS, [[t.trial_id, t.group, t.target, "", "", ""] for t in rows])


def _rows(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; utf-8-sig because spreadsheets like to add a byte-order mark."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError.single(path, "", f"missing column(s) {', '.join(missing)}; expected {required}", 1)
            return [(reader.line_num, row) for row in reader]
    except FileNotFoundError as e:
        raise InputError.single(path, "", "no such file") from e
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError.single(path, "", f"not a readable CSV file ({e})") from e


def read_run_sheet(path: Path) -> dict[str, Trial]:
    trials = {}
    for line, row in _rows(path, RUN_COLUMNS):
        try:
            t = Trial(row["trial_id"], row["group"], row["alias"], row["target"], int(row["trial"]), int(row["order"]))
        except (TypeError, ValueError) as e:
            raise InputError.single(path, "", f"malformed row ({e})", line) from e
        trials[t.trial_id] = t
    return trials


def read_outcomes(path: Path, planned: dict[str, Trial], partial: bool = False) -> list[dict]:
    """The filled outcome sheet as rows {trial_id, success, progress, judge}; every planned trial exactly once,
    `success` 0 or 1, `progress` empty or within [0, 1]. Raises InputError listing every problem found.

    `partial` (the interim check during the trials): an empty `success` means not run yet, and the row is left out
    of the result; every other check still applies."""
    problems: list[Problem] = []

    def problem(column: str, message: str, line: int | None) -> None:
        problems.append(Problem(str(path), column, message, line))

    seen: dict[str, int] = {}
    out = []
    for line, row in _rows(path, OUTCOME_COLUMNS[:-1]):  # `judge` may be left out
        tid = (row["trial_id"] or "").strip()
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values()):
            continue  # a blank line a spreadsheet left behind
        plan = planned.get(tid)
        if plan is None:
            problem("trial_id", f"unknown trial id {tid!r} (not in the run sheet)", line)
            continue
        if tid in seen:
            problem("trial_id", f"trial {tid} appears twice (first on line {seen[tid]})", line)
            continue
        seen[tid] = line
        for column, planned_value in (("group", plan.group), ("target", plan.target)):
            if (row[column] or "").strip() != planned_value:
                problem(column, f"trial {tid} was planned as {planned_value!r}, sheet says {row[column]!r}", line)
        success = (row["success"] or "").strip()
        if partial and not success:
            continue  # not run yet
        if success not in ("0", "1"):
            got = f"got {success!r}" if success else "the cell is empty"
            problem("success", f"trial {tid}: expected 0 or 1, {got}", line)
        progress_text = (row["progress"] or "").strip()
        progress = math.nan
        if progress_text:
            try:
                progress = float(progress_text)
            except ValueError:
                progress = -1.0
            if not 0.0 <= progress <= 1.0:  # also catches nan
                problem("progress", f"trial {tid}: expected a number in [0, 1] or empty, got {progress_text!r}", line)
        out.append(
            {"trial_id": tid, "success": success, "progress": progress, "judge": (row.get("judge") or "").strip()}
        )
    absent = [tid for tid in planned if tid not in seen]
    if absent:
        shown = ", ".join(absent[:5]) + (" …" if len(absent) > 5 else "")
        problem("trial_id", f"{len(absent)} planned trial(s) have no row: {shown}", None)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS]
        if extra > 0:
            problems.append(Problem(str(path), "", f"… and {extra} more problem(s)"))
        raise InputError(problems)
    for row in out:
        row["success"] = int(row["success"])
    return out
