"""One comparison of a level against the baseline (within one stratum): its targets and seeds paired, what is
left out and why, the per-target rows (rates, Δ with its interval, the exact negative-transfer test, the clustered
interval, non-inferiority, progress) and the pooled statistics per group of targets and over all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.stats import aggregate, bootstrap, paired, proportions, significance
from ablate.stats.counts import Design
from ablate.stats.jsonable import plain
from ablate.stats.options import Options

ONE_CLUSTER_MEAN = (
    f"{proportions.MOVER} for the mean of independent per-target differences (one cluster — one seed, or unpaired "
    "seeds pooled — so no seeds to resample)"
)
ZERO_WIDTH = (
    "zero width: every resample repeats the observed outcomes (all trials succeeded or all failed on each target, "
    "and no seeds to resample); read the per-target intervals"
)


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


def compare(part: pd.DataFrame, design: Design, level: str, where: dict, label: str, o: Options) -> dict:
    arm, base = part[part[design.column] == level], part[part[design.column] == design.baseline]
    targets, seeds, left_out, notes = _pairing(arm, base, level, design.baseline)
    head = {"label": label, "compared": level, "baseline": design.baseline, "stratum": where, "seeds": seeds}
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
    boot = bootstrap.Paired(a, b, o.resamples, o.seed) if len(seeds) > 1 else None
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


def _pooled(a, b, pa, pb, idx: list[int], boot: bootstrap.Paired | None, o: Options) -> dict:
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
    seeds = a.successes.shape[0]
    if boot is not None:  # seeds are clusters: resample them (and trials within them)
        mean_delta = float(np.mean([s1 / n1 - s0 / n0 for s1, n1, s0, n0 in tables]))
        low, high = bootstrap.percentile(boot.mean_delta(idx), o.level)
        how = bootstrap.method(seeds)
    else:  # one cluster: a trial bootstrap at the observed rates has no width at 0/n and n/n, MOVER does
        mover = proportions.mean_difference(tables, o.level)
        mean_delta, (low, high), how = mover["estimate"], mover["ci"], ONE_CLUSTER_MEAN
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
        "mean_delta": {"estimate": mean_delta, "ci": [low, high], "method": how, "level": o.level},
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
