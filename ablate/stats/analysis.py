"""The full analysis of one trial table: every compared level against the baseline, per target and pooled.

For each comparison (a level of `design.column` against the baseline, with the other factors in `design.strata`
held fixed) and each target present in both:
- success rates with their intervals, the transfer delta with Newcombe's (or Miettinen–Nurminen's) interval and,
  with several seeds, the hierarchical bootstrap interval that treats seeds as clusters;
- a one-sided exact test for negative transfer (arm < baseline), adjusted across the comparison's targets;
- with a margin, a non-inferiority test (Δ > −margin).
Pooled, per group of targets (`design.by`, e.g. per platform) and over all targets: CMH with the pooled odds ratio
and Breslow–Day (adjusted across groups), the mean delta with its bootstrap interval, paired tests on progress, and
rliable's aggregates with the probability of improvement.

Nothing is dropped silently: a target one side was not evaluated on, a seed without its pair, a stratum without
the baseline — each is listed under `left_out` with the reason, in every output. A table with nothing to compare
is an error (exit 2) that says why. Results are strict-JSON dicts (`jsonable.plain`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.stats import aggregate, bootstrap, paired, proportions, significance
from ablate.stats.counts import Design, cells, compared_levels
from ablate.stats.jsonable import NULLS, plain
from ablate.stats.verdicts import verdicts


@dataclass(frozen=True)
class Options:
    alpha: float = 0.05
    level: float = 0.95
    rate_method: str = "wilson"
    delta_method: str = "newcombe"
    exact_test: str = "boschloo"
    correction: str = "holm"
    cmh_continuity: bool = True
    margin: float | None = None
    resamples: int = 10_000
    seed: int = 0
    workers: int = 1  # processes for the comparisons; the result does not depend on it


ZERO_WIDTH = (
    "zero width: every resample repeats the observed outcomes (all trials succeeded or all failed on each target, "
    "and no seeds to resample); read the per-target intervals"
)


class NothingToCompare(InputError):
    """The table holds no comparison that can be tested (only the baseline, or no target both sides share)."""


def analyse(table: pd.DataFrame, design: Design, options: Options = Options(), source: str = "trial table") -> dict:
    data = cells(table, design, source)
    order = compared_levels(data, design, source)
    if len(order) == 1:
        raise NothingToCompare.single(
            source,
            design.column,
            f"only the baseline {design.baseline!r} is in the table; nothing to compare it with "
            "(expected at least one other level)",
        )
    jobs, untestable = [], []
    strata = [()] if not design.strata else list(data.groupby(list(design.strata), sort=False).groups)
    for stratum in strata:
        stratum = stratum if isinstance(stratum, tuple) else (stratum,)
        where = dict(zip(design.strata, stratum, strict=True))
        part = data
        for col, val in where.items():
            part = part[part[col] == val]
        has_baseline = (part[design.column] == design.baseline).any()
        for level in order[1:]:
            if not (part[design.column] == level).any():
                continue
            label = _label(level, design.baseline, where)
            if not has_baseline:
                untestable.append({"label": label, "reason": f"no trials of the baseline {design.baseline} here"})
                continue
            jobs.append((part, design, level, where, label, options))
    comparisons = []
    for comparison in _run(jobs, options.workers):
        if comparison["targets"]:
            comparisons.append(comparison)
        else:
            why = "; ".join(f"{t['target']} {t['reason']}" for t in comparison["left_out"])
            reason = f"no target evaluated on both sides ({why})" if why else "no target evaluated on both sides"
            untestable.append(comparison | {"reason": reason})
    if not comparisons:
        reasons = "; ".join(f"{u['label']}: {u['reason']}" for u in untestable)
        raise NothingToCompare.single(source, design.column, f"no comparison can be tested ({reasons})")
    result = {
        "source": source,
        "design": asdict(design),
        "options": asdict(options),
        "methods": _methods(options, comparisons),
        "nulls": NULLS,
        "rates": _rates(data, design, options),
        "comparisons": comparisons,
        "untestable": plain(untestable),
    }
    result["verdicts"] = verdicts(result)
    return result


def _run(jobs: list[tuple], workers: int) -> list[dict]:
    """Each comparison is independent and seeds its own resamples, so they can run in worker processes with the
    same result, in order. Forked workers start with the modules already imported; the library default is serial
    (a caller that holds threads should not fork), the CLI asks for one worker per core."""
    import multiprocessing

    if workers <= 1 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [_compare(*job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_compare_job, jobs))


def _compare_job(job: tuple) -> dict:
    return _compare(*job)


def _label(level: str, baseline: str, where: dict) -> str:
    return f"{level} vs {baseline}" + (f" [{', '.join(f'{k}={v}' for k, v in where.items())}]" if where else "")


def _methods(o: Options, comparisons: list[dict]) -> dict[str, str]:
    correction = significance.CORRECTIONS[o.correction]
    seeds = max(len(c["seeds"]) for c in comparisons)  # paired seeds: unpaired ones are pooled into one cluster
    return {
        "rate_interval": f"{proportions.RATE_METHODS[o.rate_method][1]}, {o.level:.0%}, trials pooled over seeds",
        "delta_interval": f"{proportions.DELTA_METHODS[o.delta_method][2]}, {o.level:.0%}, trials pooled over seeds",
        "negative_transfer": f"one-sided {significance.EXACT_TESTS[o.exact_test]} test (arm < baseline), "
        f"{correction}-adjusted over each comparison's targets, α = {o.alpha}",
        "pooled": f"Cochran–Mantel–Haenszel χ² ({'with' if o.cmh_continuity else 'without'} continuity "
        "correction), two-sided, over targets as strata; Mantel–Haenszel odds ratio with the Robins–Breslow–Greenland "
        f"{o.level:.0%} interval; Breslow–Day for heterogeneity (two-sided); {correction}-adjusted across groups",
        "clusters": f"{bootstrap.method(seeds)}, {o.level:.0%}, {o.resamples} resamples, seed {o.seed}",
        "progress": "per-target differences (mean over seeds); Wilcoxon signed-rank and sign-flip permutation "
        f"tests, two-sided, unadjusted; {o.level:.0%} bootstrap interval of the mean difference",
        "aggregates": "rliable's IQM, median, mean and optimality gap of per-(seed, task) rates, and P(arm > "
        f"baseline); {(aggregate.METHOD if seeds > 1 else aggregate.ONE_SEED)}, {o.level:.0%}",
        "level": f"{o.level:.0%} intervals, α = {o.alpha}",
    }


def _rates(data: pd.DataFrame, design: Design, o: Options) -> list[dict]:
    keys = [design.column, *design.strata, "embodiment", "task"]
    data = data.assign(weighted=data["progress"].fillna(0) * data["progress_trials"])
    g = data.groupby(keys, sort=False).agg(
        successes=("successes", "sum"),
        trials=("trials", "sum"),
        seeds=("seed", "nunique"),
        weighted=("weighted", "sum"),
        progress_trials=("progress_trials", "sum"),
    )
    g = g.reset_index().sort_values(["embodiment", "task"], kind="stable")  # targets ordered as in the comparisons
    ci = proportions.rate(g["successes"].to_numpy(), g["trials"].to_numpy(), o.rate_method, o.level)
    has_progress = data["progress"].notna().any()
    out = []
    for i, row in enumerate(g.itertuples(index=False)):
        r = row._asdict()
        progress = r["weighted"] / r["progress_trials"] if has_progress and r["progress_trials"] else None
        out.append(
            {k: r[k] for k in keys}
            | {
                "successes": int(r["successes"]),
                "trials": int(r["trials"]),
                "rate": float(ci.estimate[i]),
                "ci": [float(ci.low[i]), float(ci.high[i])],
                "method": ci.method,
                "level": ci.level,
                "seeds": int(r["seeds"]),
                "progress": None if progress is None or np.isnan(progress) else float(progress),
            }
        )
    return out


def _matrix(part: pd.DataFrame, seeds: list[str], targets: list[tuple[str, str]], column: str) -> np.ndarray:
    wide = part.pivot_table(index="seed", columns=["embodiment", "task"], values=column, aggfunc="sum")
    return wide.reindex(index=seeds, columns=pd.MultiIndex.from_tuples(targets)).to_numpy(dtype=float)


def _pairing(arm: pd.DataFrame, base: pd.DataFrame, level: str, baseline: str):
    """The targets and seeds both sides share, and what is left out of the comparison, with the reason."""
    on = {side: set(zip(f["embodiment"], f["task"], strict=True)) for side, f in ((level, arm), (baseline, base))}
    left_out = [
        {"target": f"{e}/{t}", "reason": f"evaluated on {side} only"}
        for side, other in ((level, baseline), (baseline, level))
        for e, t in sorted(on[side] - on[other])
    ]
    seeds_a, seeds_b = set(arm["seed"]), set(base["seed"])
    seeds = sorted(seeds_a & seeds_b)
    notes = []
    if not seeds:
        notes.append("no seed was evaluated on both sides: each side's seeds are pooled into one cluster (unpaired)")
    for side, mine, other in ((level, seeds_a, seeds_b), (baseline, seeds_b, seeds_a)):
        if seeds and mine - other:
            lonely = ", ".join(sorted(mine - other))
            notes.append(
                f"seed(s) {lonely} of {side} have no {baseline if side == level else level} run with the "
                "same seed: left out (seeds are paired)"
            )
    return sorted(on[level] & on[baseline]), seeds, left_out, notes


def _compare(part: pd.DataFrame, design: Design, level: str, where: dict, label: str, o: Options) -> dict:
    arm, base = part[part[design.column] == level], part[part[design.column] == design.baseline]
    targets, seeds, left_out, notes = _pairing(arm, base, level, design.baseline)
    head = {"label": label, "level": level, "baseline": design.baseline, "stratum": where, "seeds": seeds}
    if not targets:
        return plain(head | {"left_out": left_out, "notes": notes, "targets": []})
    if not seeds:  # unpaired seeds (e.g. different evaluations): pool each arm's seeds into one cluster
        arm, base, seeds = arm.assign(seed="pooled"), base.assign(seed="pooled"), ["pooled"]
    arm, base = arm[arm["seed"].isin(seeds)], base[base["seed"].isin(seeds)]
    a = bootstrap.Counts(_matrix(arm, seeds, targets, "successes"), _matrix(arm, seeds, targets, "trials"))
    b = bootstrap.Counts(_matrix(base, seeds, targets, "successes"), _matrix(base, seeds, targets, "trials"))
    complete = ~(np.isnan(a.trials).any(axis=0) | np.isnan(b.trials).any(axis=0))
    for j in np.flatnonzero(~complete):  # paired seeds need every seed on every compared target
        missing = [
            f"seed {s} on {side}"
            for side, counts in ((level, a), (design.baseline, b))
            for s, gap in zip(seeds, np.isnan(counts.trials[:, j]), strict=True)
            if gap
        ]
        left_out.append({"target": "/".join(targets[j]), "reason": f"not evaluated on {', '.join(missing)}"})
    targets = [t for t, keep in zip(targets, complete, strict=True) if keep]
    head |= {"left_out": left_out, "notes": notes}
    if not targets:
        return plain(head | {"targets": []})
    a = bootstrap.Counts(a.successes[:, complete], a.trials[:, complete])
    b = bootstrap.Counts(b.successes[:, complete], b.trials[:, complete])
    pa, pb = _progress(arm, seeds, targets), _progress(base, seeds, targets)
    rows = _target_rows(a, b, pa, pb, targets, seeds, o)
    significance.adjust([r["negative_transfer"] for r in rows], o.correction, "targets")
    groups = []
    keys = [tuple(_group_of(part, row, k) for k in design.by) for row in rows] if design.by else [() for _ in rows]
    boot = bootstrap.Paired(a, b, o.resamples, o.seed)
    for key in dict.fromkeys(keys):
        idx = [j for j, k in enumerate(keys) if k == key]
        groups.append({"group": dict(zip(design.by, key, strict=True))} | _pooled(a, b, pa, pb, idx, boot, o))
    significance.adjust([g["cmh"] for g in groups], o.correction, "groups")
    overall = _pooled(a, b, pa, pb, list(range(len(rows))), boot, o) if design.by else None
    return plain(head | {"targets": rows, "groups": groups, "overall": overall})


def _target_rows(a, b, pa, pb, targets, seeds, o: Options) -> list[dict]:
    counts = np.stack([x.sum(axis=0) for x in (a.successes, a.trials, b.successes, b.trials)]).astype(int)
    deltas = proportions.delta(*counts, o.delta_method, o.level)
    rows = []
    for j, (robot, task) in enumerate(targets):
        s1, n1, s0, n0 = (int(x) for x in counts[:, j])
        row = {
            "target": f"{robot}/{task}",
            "embodiment": robot,
            "task": task,
            "arm": {"successes": s1, "trials": n1, "rate": s1 / n1},
            "baseline": {"successes": s0, "trials": n0, "rate": s0 / n0},
            "delta": {
                "estimate": float(deltas.estimate[j]),
                "ci": [float(deltas.low[j]), float(deltas.high[j])],
                "method": deltas.method,
                "level": deltas.level,
            },
            "negative_transfer": significance.exact_test(s1, n1, s0, n0, o.exact_test, "less"),
        }
        if len(seeds) > 1:
            one = (
                bootstrap.Counts(a.successes[:, [j]], a.trials[:, [j]]),
                bootstrap.Counts(b.successes[:, [j]], b.trials[:, [j]]),
            )
            low, high = bootstrap.delta_interval(*one, o.resamples, o.level, o.seed)
            row["delta_clustered"] = {
                "estimate": row["delta"]["estimate"],
                "ci": [low, high],
                "method": bootstrap.method(len(seeds)),
                "level": o.level,
            }
        if o.margin is not None:
            row["non_inferiority"] = significance.non_inferiority(s1, n1, s0, n0, o.margin)
        if pa is not None and pb is not None:
            both = np.isfinite(pa[:, j]).any() and np.isfinite(pb[:, j]).any()
            if both:  # a target whose progress one side never recorded has no progress delta
                row["progress_delta"] = float(np.nanmean(pa[:, j]) - np.nanmean(pb[:, j]))
        rows.append(row)
    return rows


def _group_of(part: pd.DataFrame, row: dict, column: str) -> str:
    """A target's value of a `by` column: its embodiment or task, or a column constant over its rows (a
    platform factor); a column that varies within a target cannot group targets."""
    if column in row:
        return row[column]
    values = part.loc[(part["embodiment"] == row["embodiment"]) & (part["task"] == row["task"]), column].unique()
    if len(values) != 1:
        raise InputError.single(
            "--by",
            column,
            f"'{column}' takes {len(values)} values on target {row['target']} ({', '.join(map(str, values))}); "
            "group targets by a column that is constant for each target",
        )
    return str(values[0])


def _progress(part: pd.DataFrame, seeds, targets) -> np.ndarray | None:
    if part["progress"].isna().all():
        return None
    wide = part.pivot_table(index="seed", columns=["embodiment", "task"], values="progress", aggfunc="mean")
    return wide.reindex(index=seeds, columns=pd.MultiIndex.from_tuples(targets)).to_numpy(dtype=float)


def _pooled(a, b, pa, pb, idx: list[int], boot: bootstrap.Paired, o: Options) -> dict:
    a = bootstrap.Counts(a.successes[:, idx], a.trials[:, idx])
    b = bootstrap.Counts(b.successes[:, idx], b.trials[:, idx])
    tables = [
        (
            int(a.successes[:, j].sum()),
            int(a.trials[:, j].sum()),
            int(b.successes[:, j].sum()),
            int(b.trials[:, j].sum()),
        )
        for j in range(len(idx))
    ]
    pooled = significance.cmh(tables, o.cmh_continuity)
    mean_delta = float(np.mean([s1 / n1 - s0 / n0 for s1, n1, s0, n0 in tables]))
    low, high = bootstrap.percentile(boot.mean_delta(idx), o.level)
    seeds = a.successes.shape[0]
    out = {
        "targets": len(idx),
        "cmh": pooled.cmh,
        "odds_ratio": {
            "estimate": pooled.odds_ratio,
            "ci": list(pooled.odds_ratio_ci),
            "method": "Mantel–Haenszel, Robins–Breslow–Greenland interval",
            "level": o.level,
        },
        "breslow_day": pooled.breslow_day,
        "uninformative_targets": pooled.skipped,
        "mean_delta": {"estimate": mean_delta, "ci": [low, high], "method": bootstrap.method(seeds), "level": o.level},
    }
    if high - low < 1e-12:  # 0/n or n/n everywhere with one cluster: resampling trials cannot vary anything
        out["mean_delta"]["note"] = ZERO_WIDTH
    out |= aggregate.intervals(a.successes / a.trials, b.successes / b.trials, o.resamples, o.level, o.seed)
    if pa is not None and pb is not None:
        out |= _progress_tests(pa[:, idx], pb[:, idx], seeds, o)
    return out


def _progress_tests(pa: np.ndarray, pb: np.ndarray, seeds: int, o: Options) -> dict:
    """Paired tests on progress over the targets where both sides recorded it; the others are counted out."""
    recorded = np.isfinite(pa).any(axis=0) & np.isfinite(pb).any(axis=0)
    if not recorded.any():
        return {}
    pa, pb = pa[:, recorded], pb[:, recorded]
    diff = np.nanmean(pa, axis=0) - np.nanmean(pb, axis=0)
    lo, hi = bootstrap.mean_difference_interval(pa, pb, o.resamples, o.level, o.seed)
    return {
        "progress": {
            "mean_delta": {
                "estimate": float(diff.mean()),
                "ci": [lo, hi],
                "method": "bootstrap, percentile: "
                + ("seeds resampled within targets" if seeds > 1 else "targets resampled (one seed)"),
                "level": o.level,
            },
            "wilcoxon": paired.wilcoxon(diff),
            "sign_flip": paired.sign_flip(diff, resamples=o.resamples, seed=o.seed),
            "targets": int(recorded.sum()),
            "targets_without_progress": int((~recorded).sum()),
        }
    }
