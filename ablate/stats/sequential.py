"""Sequential evaluation: after each trial (or block), is a comparison of two arms' success rates already settled?
Robot time is the scarce resource; a comparison that is clear after 12 trials should not take 50.

`compare` decides one comparison from the two arms' trials in run order; `sequential_comparisons` decides every
comparison of a trial table per target, with a Bonferroni correction over the family. The test (details and the
validity argument in ablate/stats/sequential_boundary.py): the k-th arm trial is paired with the k-th baseline
trial; only discordant pairs carry information; a mixture likelihood ratio (an e-value) over θ = P(arm wins a
discordant pair) is compared with a threshold calibrated exactly for the pre-registered maximum number of trials,
so the type-I error is at most α whenever the evaluation stops, as long as it stops by that maximum. Two-sided
decisions test "arm better" and "arm worse" at α/2 each. It stops for futility ("no difference within the
maximum") as soon as no outcome of the remaining pairs could reach the threshold: that never adds a rejection,
so it keeps the level and saves trials."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.stats.counts import TARGET, Design, cells, compared_levels
from ablate.stats.sequential_boundary import BETTER, CONTINUE, FUTILE, MAX_PAIRS, PRIOR, WORSE, boundary, scan

ALTERNATIVES = ("two-sided", "greater", "less")
STATES = {
    CONTINUE: "continue",
    BETTER: "stop: arm better",
    WORSE: "stop: arm worse",
    FUTILE: "stop: no difference within the maximum",
}


@dataclass(frozen=True)
class Decision:
    """Where one sequential comparison stands. E-values, `pairs`, `arm_wins` and `baseline_wins` are taken at the
    stop (trials run after a stop do not change it); an e-value is None for a direction the alternative does not
    test."""

    state: str  # one of STATES' values
    e_value_better: float | None  # evidence for arm > baseline (mixture likelihood ratio)
    e_value_worse: float | None  # evidence for arm < baseline
    threshold: float | None  # an e-value at or above it stops; None: no decision can reach the level
    pairs: int
    pairs_observed: int
    arm_wins: int  # discordant pairs: arm succeeded, baseline failed
    baseline_wins: int
    trials_remaining: int  # per arm, before the maximum; 0 once stopped
    max_trials: int
    alpha: float
    alternative: str
    method: str


def method_text(max_trials: int, alpha: float, alternative: str) -> str:
    """The method, sidedness and level, in words, for one comparison at level `alpha`."""
    side = alpha / 2 if alternative == "two-sided" else alpha
    bound = boundary(max_trials, side)
    sided = {
        "two-sided": f"two-sided: arm better and arm worse each tested at α/2 = {side:.3g} (α = {alpha:.3g})",
        "greater": f"one-sided, H1: arm > baseline, at α = {side:.3g}",
        "less": f"one-sided, H1: arm < baseline, at α = {side:.3g}",
    }[alternative]
    a, b = (f"{x:g}" for x in PRIOR)
    head = (
        "sequential sign test on discordant pairs (k-th arm trial vs k-th baseline trial in run order): mixture "
        f"likelihood ratio over θ = P(arm wins a discordant pair), Beta({a}, {b}) prior truncated to (½, 1]; {sided}; "
    )
    if not np.isfinite(bound.log_threshold):
        return head + f"no outcome of {max_trials} pairs can reach this level, so no difference can be shown"
    return head + (
        f"stops when an e-value reaches {bound.threshold:.3g}, calibrated exactly so that the probability of ever "
        f"reaching it within {max_trials} trials per arm is {bound.size:.3g} ≤ {side:.3g} at the least favourable "
        f"null (both rates ½; Ville's 1/α = {1 / side:.3g} would hold without a maximum); futility stop when the "
        f"remaining pairs cannot reach it; valid at any stopping time up to {max_trials} trials per arm"
    )


def compare(
    arm: Sequence[int], baseline: Sequence[int], max_trials: int, alpha: float = 0.05, alternative: str = "two-sided"
) -> Decision:
    """Decide one comparison from each arm's 0/1 outcomes in run order (on one target). Pairs are formed
    positionally; an arm ahead of the other by some trials waits for them."""
    _check_settings(max_trials, alpha, alternative)
    x, y = _outcomes(arm, "arm", max_trials), _outcomes(baseline, "baseline", max_trials)
    k = min(len(x), len(y))
    sides = (alternative != "less", alternative != "greater")
    bound = boundary(max_trials, alpha / 2 if alternative == "two-sided" else alpha)
    code, at, wins, losses = (int(v[0]) for v in scan(x[None, :k], y[None, :k], bound, sides))
    finite = bool(np.isfinite(bound.log_threshold))
    e_better = float(np.exp(bound.log_e[wins + losses, wins]))
    e_worse = float(np.exp(bound.log_e[wins + losses, losses]))
    return Decision(
        state=STATES[code],
        e_value_better=e_better if sides[0] else None,
        e_value_worse=e_worse if sides[1] else None,
        threshold=bound.threshold if finite else None,
        pairs=at,
        pairs_observed=k,
        arm_wins=wins,
        baseline_wins=losses,
        trials_remaining=max_trials - at if code == CONTINUE else 0,
        max_trials=max_trials,
        alpha=alpha,
        alternative=alternative,
        method=method_text(max_trials, alpha, alternative),
    )


def _check_settings(max_trials: int, alpha: float, alternative: str) -> None:
    if not isinstance(max_trials, int | np.integer) or not 1 <= max_trials <= MAX_PAIRS:
        raise InputError.single("--max-trials", "", f"expected a whole number from 1 to {MAX_PAIRS}, got {max_trials}")
    if not 0 < alpha < 1:
        raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
    if alternative not in ALTERNATIVES:
        raise InputError.single("--alternative", "", f"expected one of {', '.join(ALTERNATIVES)}, got {alternative!r}")


def _outcomes(values: Sequence[int], name: str, max_trials: int) -> np.ndarray:
    x = np.asarray(values).ravel()
    bad = ~np.isin(x, [0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError.single("sequential comparison", f"{name}[{i}]", f"must be 0 or 1, got {x[i]!r}")
    if len(x) > max_trials:
        raise InputError.single(
            "sequential comparison", name, f"{len(x)} trials, more than the pre-registered maximum of {max_trials}"
        )
    return x.astype(np.int8)


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
    _check_settings(max_trials, alpha, alternative)
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
    if "success" not in table and {"successes", "trials"} <= set(table.columns):
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
