"""The full analysis of one trial table: every compared level against the baseline, per target and pooled.

For each comparison (a level of `design.column` against the baseline, with the other factors in `design.strata`
held fixed) and each target present in both:
- success rates with their intervals, the transfer delta with Newcombe's (or Miettinen–Nurminen's) interval and,
  with several seeds, the hierarchical bootstrap interval that treats seeds as clusters;
- a one-sided exact test for negative transfer (arm < baseline), Holm-adjusted across the comparison's targets;
- with a margin, a non-inferiority test (Δ > −margin).
Pooled, per group of targets (`design.by`, e.g. per platform) and over all targets: CMH with the pooled odds ratio
and Breslow–Day (Holm across groups), the mean delta with its bootstrap interval, paired tests on progress, and
the rliable-style IQM and probability of improvement. Results are plain dicts (results.json) with the method,
sidedness and correction of every number; `verdicts` says what holds in sentences a researcher can paste."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ablate.errors import InputError
from ablate.report.text import signed
from ablate.stats import aggregate, bootstrap, paired, proportions, significance
from ablate.stats.counts import Design, cells, compared_levels


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


def analyse(table: pd.DataFrame, design: Design, options: Options = Options(), source: str = "trial table") -> dict:
    data = cells(table, design, source)
    order = compared_levels(data, design, source)
    comparisons = []
    strata = [()] if not design.strata else list(data.groupby(list(design.strata), sort=False).groups)
    for stratum in strata:
        stratum = stratum if isinstance(stratum, tuple) else (stratum,)
        where = dict(zip(design.strata, stratum, strict=True))
        part = data
        for col, val in where.items():
            part = part[part[col] == val]
        for level in order[1:]:
            if (part[design.column] == level).any() and (part[design.column] == design.baseline).any():
                comparisons.append(_compare(part, design, level, where, options))
    result = {
        "source": source,
        "design": asdict(design),
        "options": asdict(options),
        "methods": _methods(options),
        "rates": _rates(data, design, options),
        "comparisons": comparisons,
    }
    result["verdicts"] = verdicts(result)
    return result


def _methods(o: Options) -> dict[str, str]:
    return {
        "rate_interval": proportions.RATE_METHODS[o.rate_method][1],
        "delta_interval": proportions.DELTA_METHODS[o.delta_method][2],
        "negative_transfer": f"one-sided {significance.EXACT_TESTS[o.exact_test]} test (arm < baseline), "
        f"{significance.CORRECTIONS[o.correction]}-adjusted over each comparison's targets",
        "pooled": f"Cochran–Mantel–Haenszel χ² ({'with' if o.cmh_continuity else 'without'} continuity "
        "correction), two-sided, over targets as strata; Mantel–Haenszel odds ratio; Breslow–Day for "
        f"heterogeneity; {significance.CORRECTIONS[o.correction]}-adjusted across groups",
        "clusters": bootstrap.METHOD + f", {o.resamples} resamples, seed {o.seed}",
        "progress": "per-target differences (mean over seeds); Wilcoxon signed-rank and sign-flip permutation "
        "tests, two-sided, unadjusted; bootstrap interval of the mean difference",
        "aggregates": "IQM and probability of improvement on per-(seed, task) rates; " + aggregate.METHOD,
        "level": f"{o.level:.0%} intervals, α = {o.alpha}",
    }


def _rates(data: pd.DataFrame, design: Design, o: Options) -> list[dict]:
    keys = [design.column, *design.strata, "embodiment", "task"]
    data = data.assign(weighted=data["progress"] * data["trials"])
    g = data.groupby(keys, sort=False).agg(
        successes=("successes", "sum"),
        trials=("trials", "sum"),
        seeds=("seed", "nunique"),
        weighted=("weighted", "sum"),
    )
    g = g.reset_index().sort_values(["embodiment", "task"], kind="stable")  # targets ordered as in the comparisons
    ci = proportions.rate(g["successes"].to_numpy(), g["trials"].to_numpy(), o.rate_method, o.level)
    has_progress = data["progress"].notna().any()
    out = []
    for i, row in enumerate(g.itertuples(index=False)):
        r = row._asdict()
        progress = r["weighted"] / r["trials"] if has_progress else None
        out.append(
            {k: r[k] for k in keys}
            | {
                "successes": int(r["successes"]),
                "trials": int(r["trials"]),
                "rate": float(ci.estimate[i]),
                "ci": [float(ci.low[i]), float(ci.high[i])],
                "seeds": int(r["seeds"]),
                "progress": None if progress is None or np.isnan(progress) else float(progress),
            }
        )
    return out


def _matrix(part: pd.DataFrame, seeds: list[str], targets: list[tuple[str, str]], column: str) -> np.ndarray:
    wide = part.pivot_table(index="seed", columns=["embodiment", "task"], values=column, aggfunc="sum")
    return wide.reindex(index=seeds, columns=pd.MultiIndex.from_tuples(targets)).to_numpy(dtype=float)


def _compare(part: pd.DataFrame, design: Design, level: str, where: dict, o: Options) -> dict:
    arm, base = part[part[design.column] == level], part[part[design.column] == design.baseline]
    targets = sorted(
        set(zip(arm["embodiment"], arm["task"], strict=True)) & set(zip(base["embodiment"], base["task"], strict=True))
    )
    seeds = sorted(set(arm["seed"]) & set(base["seed"]))
    if not seeds:  # unpaired seeds (e.g. different evaluations): pool each arm's seeds into one cluster
        arm, base, seeds = arm.assign(seed="pooled"), base.assign(seed="pooled"), ["pooled"]
    arm, base = arm[arm["seed"].isin(seeds)], base[base["seed"].isin(seeds)]
    a = bootstrap.Counts(_matrix(arm, seeds, targets, "successes"), _matrix(arm, seeds, targets, "trials"))
    b = bootstrap.Counts(_matrix(base, seeds, targets, "successes"), _matrix(base, seeds, targets, "trials"))
    complete = ~(np.isnan(a.trials).any(axis=0) | np.isnan(b.trials).any(axis=0))
    if not complete.all():  # a target some seed was not evaluated on: compared on the seeds' common targets
        targets = [t for t, keep in zip(targets, complete, strict=True) if keep]
        a = bootstrap.Counts(a.successes[:, complete], a.trials[:, complete])
        b = bootstrap.Counts(b.successes[:, complete], b.trials[:, complete])
    pa, pb = _progress(arm, seeds, targets), _progress(base, seeds, targets)
    rows = []
    counts = np.stack([x.sum(axis=0) for x in (a.successes, a.trials, b.successes, b.trials)]).astype(int)
    deltas = proportions.delta(*counts, o.delta_method, o.level)
    for j, (robot, task) in enumerate(targets):
        s1, n1, s0, n0 = (int(x) for x in counts[:, j])
        d = proportions.Interval(
            float(deltas.estimate[j]), float(deltas.low[j]), float(deltas.high[j]), deltas.method, deltas.level
        )
        row = {
            "target": f"{robot}/{task}",
            "embodiment": robot,
            "task": task,
            "arm": {"successes": s1, "trials": n1, "rate": s1 / n1},
            "baseline": {"successes": s0, "trials": n0, "rate": s0 / n0},
            "delta": _interval(d),
            "negative_transfer": significance.exact_test(s1, n1, s0, n0, o.exact_test, "less"),
        }
        if len(seeds) > 1:
            one = (
                bootstrap.Counts(a.successes[:, [j]], a.trials[:, [j]]),
                bootstrap.Counts(b.successes[:, [j]], b.trials[:, [j]]),
            )
            low, high = bootstrap.delta_interval(*one, o.resamples, o.level, o.seed)
            row["delta_clustered"] = {"estimate": d.estimate, "ci": [low, high], "method": bootstrap.METHOD}
        if o.margin is not None:
            row["non_inferiority"] = significance.non_inferiority(s1, n1, s0, n0, o.margin)
        if pa is not None:
            row["progress_delta"] = float(np.nanmean(pa[:, j]) - np.nanmean(pb[:, j]))
        rows.append(row)
    significance.adjust([r["negative_transfer"] for r in rows], o.correction, "targets")
    groups = []
    keys = [tuple(_group_of(part, row, k) for k in design.by) for row in rows] if design.by else [() for _ in rows]
    boot = bootstrap.Paired(a, b, o.resamples, o.seed)
    for key in dict.fromkeys(keys):
        idx = [j for j, k in enumerate(keys) if k == key]
        groups.append({"group": dict(zip(design.by, key, strict=True))} | _pooled(a, b, pa, pb, idx, boot, o))
    significance.adjust([g["cmh"] for g in groups], o.correction, "groups")
    overall = _pooled(a, b, pa, pb, list(range(len(rows))), boot, o) if design.by else None
    label = f"{level} vs {design.baseline}" + (f" [{', '.join(f'{k}={v}' for k, v in where.items())}]" if where else "")
    return plain(
        {
            "label": label,
            "level": level,
            "baseline": design.baseline,
            "stratum": where,
            "seeds": seeds,
            "targets": rows,
            "groups": groups,
            "overall": overall,
        }
    )


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
    out = {
        "targets": len(idx),
        "cmh": pooled.cmh,
        "odds_ratio": {"estimate": pooled.odds_ratio, "ci": list(pooled.odds_ratio_ci), "method": "Mantel–Haenszel"},
        "breslow_day": pooled.breslow_day,
        "uninformative_targets": pooled.skipped,
        "mean_delta": {"estimate": mean_delta, "ci": [low, high], "method": bootstrap.METHOD},
    }
    out |= aggregate.intervals(a.successes / a.trials, b.successes / b.trials, o.resamples, o.level, o.seed)
    if pa is not None and pb is not None:
        diff = np.nanmean(pa[:, idx], axis=0) - np.nanmean(pb[:, idx], axis=0)
        lo, hi = bootstrap.mean_difference_interval(pa[:, idx], pb[:, idx], o.resamples, o.level, o.seed)
        out["progress"] = {
            "mean_delta": {
                "estimate": float(diff.mean()),
                "ci": [lo, hi],
                "method": "bootstrap (seeds within targets, or targets with one seed), percentile",
            },
            "wilcoxon": paired.wilcoxon(diff),
            "sign_flip": paired.sign_flip(diff, resamples=o.resamples, seed=o.seed),
        }
    return out


def _interval(i: proportions.Interval) -> dict:
    return {"estimate": i.estimate, "ci": [i.low, i.high], "method": i.method, "level": i.level}


def plain(x):
    """Tests to dicts, numpy scalars to Python: results.json is plain JSON."""
    if isinstance(x, significance.Outcome):
        return plain(asdict(x))
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def verdicts(result: dict) -> list[str]:
    """Sentences a researcher can paste: negative transfer where the adjusted test rejects, pooled effects, and
    non-inferiority where it holds."""
    alpha = result["options"]["alpha"]
    out = []
    for c in result["comparisons"]:
        negative = [t for t in c["targets"] if t["negative_transfer"]["p_adjusted"] < alpha]
        for t in negative:
            nt, d = t["negative_transfer"], t["delta"]
            out.append(
                f"{c['label']}: negative transfer on {t['target']}: Δ = {signed(d['estimate'])} "
                f"[{signed(d['ci'][0])}, {signed(d['ci'][1])}], one-sided {nt['method'].replace(' exact', '')} "
                f"p {_fmt_p(nt['p'])}, {nt['correction'].split(' over')[0]}-adjusted p {_fmt_p(nt['p_adjusted'])}"
            )
        if not negative and c["targets"]:
            how = c["targets"][0]["negative_transfer"]["correction"]
            out.append(
                f"{c['label']}: no significant negative transfer on any of {len(c['targets'])} targets "
                f"(one-sided exact tests, {how}, α = {alpha})"
            )
        for g in c["groups"] + ([c["overall"]] if c["overall"] else []):
            where = ", ".join(f"{k}={v}" for k, v in g.get("group", {}).items()) or "all targets"
            cmh, orr, md = g["cmh"], g["odds_ratio"], g["mean_delta"]
            if cmh["p"] != cmh["p"]:  # NaN: no informative target
                out.append(f"{c['label']} pooled over {where}: no target with varying outcomes, no pooled test")
                continue
            adjusted = (
                f", {cmh['correction'].split(' over')[0]}-adjusted p {_fmt_p(cmh['p_adjusted'])}"
                if (cmh.get("p_adjusted") is not None and "group" in g and len(c["groups"]) > 1)
                else ""
            )
            out.append(
                f"{c['label']} pooled over {where} ({g['targets']} targets): mean Δ = {signed(md['estimate'])} "
                f"[{signed(md['ci'][0])}, {signed(md['ci'][1])}]; MH odds ratio {orr['estimate']:.2f} "
                f"[{orr['ci'][0]:.2f}, {orr['ci'][1]:.2f}], CMH p {_fmt_p(cmh['p'])}{adjusted}"
                + (f"; Breslow–Day p {_fmt_p(g['breslow_day']['p'])}" if g["breslow_day"]["extra"].get("df") else "")
            )
        margin = result["options"]["margin"]
        if margin is not None:
            held = [t["target"] for t in c["targets"] if t["non_inferiority"]["p"] < alpha]
            out.append(
                f"{c['label']}: non-inferior at margin {margin:g} on {len(held)} of {len(c['targets'])} "
                f"targets (one-sided Farrington–Manning, unadjusted): {', '.join(held) or 'none'}"
            )
    return out
