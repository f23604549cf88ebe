"""`ablate power`: trials per arm and target to detect a change in success rate (or to show non-inferiority at a
margin), or the power of a planned design; with a pilot trial table (or a given ICC), seeds × trials per seed.
The plan is computed here (`ablate.stats.power`, `ablate.stats.seed_power`) and written as text by `power_text`.
It does not import torch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from ablate.cli.power_text import render
from ablate.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("power")(power)


def power(
    baseline_rate: Annotated[
        float | None, typer.Option(help="the baseline arm's success rate (with --pilot: taken from the pilot)")
    ] = None,
    delta: Annotated[
        float | None, typer.Option(help="arm − baseline to detect, e.g. -0.2; with --margin the assumed true Δ (0)")
    ] = None,
    trials: Annotated[int | None, typer.Option(help="planned trials per arm and target: report the power")] = None,
    target_power: Annotated[float, typer.Option("--power", help="wanted power, in (α, 1)")] = 0.8,
    alpha: Annotated[float, typer.Option(help="significance level (one-sided for less, greater, --margin)")] = 0.05,
    alternative: Annotated[
        str | None, typer.Option(help="two-sided | less | greater (default two-sided; greater with --margin)")
    ] = None,
    margin: Annotated[
        float | None, typer.Option(help="non-inferiority margin M: H1 Δ > −M (Farrington–Manning)")
    ] = None,
    pilot: Annotated[Path | None, typer.Option(help="pilot trial table or sweep dir: plan seeds × trials")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="the pilot's baseline arm, or FACTOR=LEVEL (its rate is the default)")
    ] = None,
    icc: Annotated[float | None, typer.Option(help="between-seed ICC ρ, instead of estimating it from --pilot")] = None,
    trials_per_seed: Annotated[
        str, typer.Option(help="comma-separated trials per seed to plan for")
    ] = "10,20,50,100,200",
    seeds: Annotated[int | None, typer.Option(help="planned seeds per arm: report the power")] = None,
    seeds_max: Annotated[int, typer.Option(help="largest seed count searched")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print the plan as one JSON object")] = False,
) -> None:
    """Trials per target to detect a change in success rate (or to show non-inferiority), or a design's power;
    with --pilot or --icc, seeds per arm × trials per seed."""
    from ablate.stats.power import PlanError

    if delta is None and margin is None:
        raise InputError.single("--delta", "", "expected the change to detect (arm − baseline), e.g. -0.2")
    default = "greater" if margin is not None else "two-sided"
    goal = Goal(baseline_rate, "given", delta or 0.0, target_power, alpha, alternative or default, margin)
    try:
        if pilot is not None or icc is not None:
            if trials is not None:
                raise InputError.single("--trials", "", "with --pilot or --icc give --seeds and --trials-per-seed")
            ms = _whole_numbers(trials_per_seed)
            result = _seed_plan(goal, pilot, baseline, icc, seeds, ms, seeds_max)
        else:
            for flag, value in (("--baseline", baseline), ("--seeds", seeds)):
                if value is not None:
                    raise InputError.single(flag, "", "applies to seed plans: give --pilot or --icc")
            result = _trial_plan(goal, trials)
    except PlanError as e:
        raise InputError.single(e.flag, "", e.message) from e
    typer.echo(json.dumps(result, allow_nan=False, ensure_ascii=False) if as_json else "\n".join(render(result)))


@dataclass
class Goal:
    rate: float | None
    rate_source: str
    delta: float
    power: float
    alpha: float
    alternative: str
    margin: float | None

    def check(self, with_power: bool = True) -> None:
        from ablate.stats.power import check_effect, check_levels

        if self.rate is None:
            raise InputError.single("--baseline-rate", "", "expected the baseline's success rate (or give --pilot)")
        check_levels(self.alpha, self.power if with_power else None)
        check_effect(self.rate, self.delta, self.alternative, self.margin)

    def head(self) -> dict:
        from ablate.stats.power import SIDES

        if self.margin is None:
            method, sides = "two-proportion z test (normal approximation, as R's power.prop.test)", SIDES
        else:
            method = "Farrington–Manning score test; sample size by Farrington & Manning (1990), restricted-MLE null"
            sides = {"greater": f"one-sided (H1: Δ > −{self.margin:g})"}
        return {
            "mode": "superiority" if self.margin is None else "non-inferiority",
            "method": method,
            "alternative": self.alternative,
            "sides": sides[self.alternative],
            "alpha": self.alpha,
            "power": self.power,
            "baseline_rate": self.rate,
            "baseline_rate_source": self.rate_source,
            "delta": self.delta,
            "arm_rate": round(self.rate + self.delta, 12),
            "margin": self.margin,
        }


def _trial_plan(goal: Goal, trials: int | None) -> dict:
    from ablate.stats.power import check_trials, power_of, trials_needed

    goal.check(with_power=trials is None)
    out = goal.head()
    args = (goal.rate, goal.delta)
    if trials is None:
        out["trials_per_arm"] = trials_needed(*args, goal.power, goal.alpha, goal.alternative, goal.margin)
    else:
        check_trials(trials)
        out["trials_per_arm"] = trials
        out["power_at_trials"] = power_of(*args, trials, goal.alpha, goal.alternative, goal.margin)
    return out


def _seed_plan(
    goal: Goal,
    pilot: Path | None,
    baseline: str | None,
    icc: float | None,
    seeds: int | None,
    ms: list[int],
    seeds_max: int,
) -> dict:
    from ablate.stats import seed_power as sp
    from ablate.stats.power import trials_needed

    if seeds is not None and seeds < 2:
        raise InputError.single("--seeds", "", f"expected at least 2 seeds per arm (the t test's minimum), got {seeds}")
    if seeds_max < 2:
        raise InputError.single("--seeds-max", "", f"expected at least 2, got {seeds_max}")
    if icc is not None and not 0 <= icc < 1:
        raise InputError.single("--icc", "", f"expected an intraclass correlation in [0, 1), got {icc:g}")
    found = _pilot(pilot, baseline) if pilot is not None else None
    if found is None and baseline is not None:
        raise InputError.single("--baseline", "", "names an arm of --pilot; give --pilot")
    if goal.rate is None and found is not None:
        goal.rate = found["baseline_rate"]
        arm = found.get("baseline_arm")
        named = f"arm {arm}" + (f" ({baseline})" if baseline != arm else "")
        goal.rate_source = f"pilot, {named}" if baseline else "pilot, all arms pooled"
    goal.check()
    rho = icc if icc is not None else found["icc"]["rho"]
    high = None if icc is not None else found["icc"]["high"]
    common = (goal.rate, goal.delta)
    test = (goal.alpha, goal.alternative, goal.margin)

    def row(m: int | None) -> dict:
        entry = {"trials_per_seed": m, "design_effect": None if m is None else sp.design_effect(m, rho)}
        k = seeds or sp.seeds_needed(*common, rho, m, goal.power, *test, seeds_max=seeds_max)
        entry["seeds_per_arm"] = k
        entry["trials_per_arm"] = None if k is None or m is None else k * m
        entry["power_at_seeds"] = None if k is None else sp.seed_power(*common, rho, m, k, *test)
        if high is not None and seeds is None:
            entry["seeds_per_arm_at_icc_high"] = sp.seeds_needed(
                *common, high, m, goal.power, *test, seeds_max=seeds_max
            )
        return entry

    out = goal.head()
    out["pilot"] = found
    out["seed_plan"] = {
        "method": sp.T_METHOD,
        "asks": "power" if seeds else "seeds",
        "icc": rho,
        "icc_source": "given (--icc)" if icc is not None else "pilot",
        "icc_high": high,
        "seeds_max": seeds_max,
        "rows": [row(m) for m in ms],
        "floor": row(None),
    }
    out["trials_per_arm_ignoring_seeds"] = trials_needed(*common, goal.power, *test)
    return out


def _whole_numbers(text: str) -> list[int]:
    try:
        ms = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        ms = []
    if not ms or ms[0] < 1:
        raise InputError.single("--trials-per-seed", "", f"expected whole numbers ≥ 1, comma-separated; got {text!r}")
    return ms


def _pilot(path: Path, baseline: str | None) -> dict:
    from ablate.api.reports import read_table
    from ablate.stats import seed_power as sp
    from ablate.stats.counts import Design, cells

    table = read_table(path)
    if baseline and "=" in baseline:
        baseline = _arm_of(table, baseline, path)
    counts = cells(table, Design(column="arm"), source=str(path))
    arms = list(dict.fromkeys(counts["arm"]))
    if baseline is not None and baseline not in arms:
        raise InputError.single("--baseline", "", f"no arm {baseline!r} in {path}; arms: {', '.join(arms)}")
    try:
        summary = sp.pilot_summary(counts, baseline)
    except ValueError as e:
        raise InputError.single(path, "seed", str(e)) from e
    names = _arm_levels(table)
    for a in summary["arms"]:  # an arm id from a sweep is a hash: its factor levels say which arm it is
        a["levels"] = names.get(a["arm"], "")
    return {"path": str(path), "baseline_arm": baseline, **summary}


def _arm_levels(table) -> dict[str, str]:
    from ablate.trials import NOT_FACTORS

    factors = [c for c in table.columns if c not in NOT_FACTORS]
    if not factors:
        return {}
    first = table.drop_duplicates("arm")
    return {str(row["arm"]): ", ".join(f"{f}={row[f]}" for f in factors) for _, row in first.iterrows()}


def _arm_of(table, level: str, path: Path) -> str:
    """FACTOR=LEVEL, as `ablate report --baseline` takes it, to the one arm of the pilot at that level."""
    column, value = (x.strip() for x in level.split("=", 1))
    if column not in table.columns:
        raise InputError.single("--baseline", "", f"no factor column {column!r} in {path}")
    arms = sorted(set(table.loc[table[column].astype(str) == value, "arm"].astype(str)))
    if len(arms) != 1:
        found = f"arms {', '.join(arms)}" if arms else "no arm"
        raise InputError.single("--baseline", "", f"{level} names {found} in {path}; expected exactly one arm")
    return arms[0]
