"""Sequential evaluation of a trial table: `sequential_comparisons` decides every comparison of the table per target
(each one by `sequential_decision.compare`: settled for the arm, for the baseline, futile, or continue), with a
Bonferroni correction over the family, so an evaluation can stop each comparison as soon as it is clear."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.stats.counts import Design, cells, compared_levels
from ablate.stats.sequential_decision import ALTERNATIVES, STATES, Decision, check_settings, compare, method_text
from ablate.trials import TARGET, is_aggregated

__all__ = ["ALTERNATIVES", "STATES", "Decision", "compare", "method_text", "sequential_comparisons"]


def sequential_comparisons(
    table: pd.DataFrame,
    design: Design,
    max_trials: int,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    family: int | None = None,
) -> dict:
    """Sequential decisions for every level of `design.column` against `design.baseline` (within each stratum of
    `design.strata`), per target (embodiment, task), from per-trial rows ordered by `trial` (run order).

    Returns a strict-JSON-able dict:
    - `method`, `alpha`, `alternative`, `max_trials`: the test in words and its settings;
    - `family_size`, `alpha_per_test`, `correction`: Bonferroni over all comparisons × targets;
    - `comparisons`: [{label, compared, baseline, stratum, targets: [{target, embodiment, task, arm: {successes,
      trials}, baseline: {successes, trials}, decision}]}], where `decision` is `Decision` as a dict (state, e-values,
      threshold, pairs, discordant counts, trials remaining, method) at level `alpha_per_test`;
    - `summary`: how many (comparison, target) decisions are in each state;
    - `dropped`: [{comparison, target, reason}] for targets only one side was evaluated on;
    - `notes`: what the reader should know (seeds pooled, unequal trial counts).
    Raises InputError for an aggregated table, a table without `trial`, duplicate trials, or more trials than
    `max_trials` for some arm and target."""
    check_settings(max_trials, alpha, alternative)
    data = _per_trial(table, design, max_trials)
    compared, dropped = _pairings(data, design)
    observed = sum(len(c[-1]) for c in compared)
    if not observed:
        raise InputError.single("trial table", design.column, "no target was evaluated on both an arm and the baseline")
    if family is not None and observed > family:
        raise InputError.single(
            "--family", "", f"the table holds {observed} comparison × target tests, more than the declared {family}"
        )
    # The Bonferroni divisor must not shrink from one look to the next: a declared family fixes it; without one,
    # the tests in the table now are the family, and the notes say to declare it when more will come.
    declared = family is not None
    family = family or observed
    each = alpha / family
    comparisons = [_comparison(*c, design.baseline, max_trials, each, alternative) for c in compared]
    states = [t["decision"]["state"] for c in comparisons for t in c["targets"]]
    return {
        "method": method_text(max_trials, each, alternative),
        "alpha": alpha,
        "alternative": alternative,
        "max_trials": max_trials,
        "family_size": family,
        "alpha_per_test": each,
        "correction": f"Bonferroni over {family} comparison(s) × target(s): each decision at α/{family} = {each:.3g}; "
        "valid under any dependence between the tests, and at any stopping time since each test is",
        "comparisons": comparisons,
        "summary": {s: states.count(s) for s in STATES.values()},
        "dropped": dropped,
        "notes": _notes(data, design, comparisons)
        + (
            []
            if declared
            else [
                f"family size {family}: the comparison × target tests in the table now; if more arms or targets "
                "will join, declare the planned family (--family) so that every look tests at the same level"
            ]
        ),
    }


def _pairings(data: pd.DataFrame, design: Design) -> tuple[list[tuple], list[dict]]:
    """(label, level, stratum, arm rows, baseline rows, common targets) per comparison, and what was dropped."""
    order = compared_levels(data, design)
    compared, dropped = [], []
    for where, part in _strata(data, design):
        suffix = f" [{', '.join(f'{k}={v}' for k, v in where.items())}]" if where else ""
        base = part[part[design.column] == design.baseline]
        for level in order[1:]:
            arm, label = part[part[design.column] == level], f"{level} vs {design.baseline}{suffix}"
            if arm.empty:
                continue
            if base.empty:
                dropped.append({"comparison": label, "target": "all", "reason": "no baseline trials in this stratum"})
                continue
            targets, lost = _targets(arm, base, level, design.baseline)
            dropped += [{"comparison": label, "target": t, "reason": r} for t, r in lost]
            compared.append((label, level, where, arm, base, targets))
    return compared, dropped


def _per_trial(table: pd.DataFrame, design: Design, max_trials: int) -> pd.DataFrame:
    source = "trial table"
    if "success" not in table and is_aggregated(table):
        raise InputError.single(
            source,
            "success",
            "this table is aggregated (successes, trials); sequential decisions need per-trial rows in run order "
            "(`success` 0/1 and `trial`)",
        )
    if "trial" not in table:
        raise InputError.single(
            source, "trial", "missing column; sequential decisions need per-trial rows in run order (`trial`)"
        )
    trial = pd.to_numeric(table["trial"], errors="coerce")
    bad = trial.isna() | (trial != np.round(trial))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError.single(source, f"trial[{row}]", f"expected a whole number, got {table['trial'].iloc[row]!r}")
    cells(table, design, source)  # the shared checks: key columns present, `success` 0 or 1
    data = table.assign(trial=trial.astype(int), success=table["success"].astype(int))
    if "seed" not in data:
        data["seed"] = 0
    keys = [design.column, *design.strata, "seed", *TARGET]
    data[keys] = data[keys].astype(str)
    dup = data.duplicated([*keys, "trial"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError.single(source, f"trial[{row}]", "the same trial appears twice for this arm, seed and target")
    counts = data.groupby([design.column, *design.strata, *TARGET]).size()
    if (counts > max_trials).any():
        key, n = next((k, v) for k, v in counts.items() if v > max_trials)
        where = "".join(f", {c}={v}" for c, v in zip(design.strata, key[1:-2], strict=True))
        raise InputError.single(
            source,
            "trial",
            f"{key[0]!r}{where} on {key[-2]}/{key[-1]}: {n} trials, more than the pre-registered maximum of "
            f"{max_trials} (--max-trials)",
        )
    return data.sort_values(["trial", "seed"], kind="stable")


def _strata(data: pd.DataFrame, design: Design):
    if not design.strata:
        yield {}, data
        return
    for key, part in data.groupby(list(design.strata), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(design.strata, key, strict=True)), part


def _targets(arm: pd.DataFrame, base: pd.DataFrame, level: str, baseline: str):
    a, b = (set(zip(x["embodiment"], x["task"], strict=True)) for x in (arm, base))
    lost = [(f"{e}/{t}", f"no trials for the baseline {baseline!r}") for e, t in sorted(a - b)]
    lost += [(f"{e}/{t}", f"no trials for {level!r}") for e, t in sorted(b - a)]
    return sorted(a & b), lost


def _comparison(label, level, where, arm, base, targets, baseline, max_trials, alpha, alternative) -> dict:
    rows = []
    for robot, task in targets:
        x = arm.loc[(arm["embodiment"] == robot) & (arm["task"] == task), "success"].to_numpy()
        y = base.loc[(base["embodiment"] == robot) & (base["task"] == task), "success"].to_numpy()
        decision = compare(x, y, max_trials, alpha, alternative)
        rows.append(
            {
                "target": f"{robot}/{task}",
                "embodiment": robot,
                "task": task,
                "arm": {"successes": int(x.sum()), "trials": len(x)},
                "baseline": {"successes": int(y.sum()), "trials": len(y)},
                "decision": asdict(decision),
            }
        )
    return {"label": label, "compared": level, "baseline": baseline, "stratum": where, "targets": rows}


def _notes(data: pd.DataFrame, design: Design, comparisons: list[dict]) -> list[str]:
    notes = []
    seeds = data.groupby([design.column, *design.strata])["seed"].nunique()
    several = sorted({str(k[0] if isinstance(k, tuple) else k) for k, v in seeds.items() if v > 1})
    if several:
        notes.append(
            f"{', '.join(several)}: several seeds; the test pools their trials (ordered by `trial`, then seed) and "
            "treats them as one policy's, so it says nothing about variation between seeds"
        )
    uneven = [
        f"{c['label']} on {t['target']}"
        for c in comparisons
        for t in c["targets"]
        if t["arm"]["trials"] != t["baseline"]["trials"]
    ]
    if uneven:
        notes.append(
            "unequal trial counts (the extra trials wait for their pair and do not count yet): " + ", ".join(uneven)
        )
    return notes
