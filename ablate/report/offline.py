"""A report on the trial table's offline companion (`ablate.offline_table`): each arm against its baseline, per
held-out dataset and error metric, paired by seed. The whole report of a sweep without closed-loop evaluation, and
the "Offline error" section of a sweep's success report when its runs measured both.

Per comparison (arm − baseline on one dataset and metric, the other factors held fixed):
- the mean of the per-seed differences (lower is better: Δ < 0 means the arm's actions are closer to the
  demonstrations) with its two-sided Student t interval over the paired seeds (n − 1 degrees of freedom) at the
  report's level — seeds are the independent units, the chunks within a seed are not;
- a two-sided Wilcoxon signed-rank test of the per-seed differences with R's `wilcox.test` conventions
  (`ablate.stats.paired`); with n ≤ 5 seeds its smallest attainable p is 2/2ⁿ ≥ 0.0625, which the table says;
- p-values adjusted (Holm unless asked otherwise, `ablate.stats.significance.adjust`) over every offline comparison
  of the report (arms × datasets × metrics): one family, apart from the success tests.

Nothing is dropped silently: a seed without its partner, a dataset or a metric only one side measured, a planned run
without offline rows, and a pair measured on different held-out chunks (other split seed, validation fraction,
horizon or frame step, or another number of chunks: the report refuses to compare those) are listed under "Left out"
with the reason."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ablate import atomic
from ablate.errors import InputError
from ablate.offline_table import CHUNKS, KEY, METRICS, NOT_FACTORS, SETTINGS
from ablate.report.text import Section
from ablate.report.write import STYLE, html_section, latex_tables, markdown_section
from ablate.stats.jsonable import NULLS, plain
from ablate.stats.paired import wilcoxon
from ablate.stats.significance import CORRECTIONS, adjust
from ablate.stats.wording import missing, p_is
from ablate.stats.wording import p as p_cell
from ablate.trials import NOT_FACTORS as TRIAL_COLUMNS

FILES = ("results.json", "report.md", "report.html", "tables.tex")
LOWER_IS_BETTER = "lower is better: Δ < 0 means the arm's predicted actions are closer to the demonstrations"


@dataclass(frozen=True)
class OfflineReport:
    paths: tuple[Path, ...]
    result: dict[str, Any]


def offline_report(
    table, baseline: str, out: Path, title: str, alpha: float, correction: str, source, incomplete=None
) -> OfflineReport:
    """The four files of a report on the offline error alone; `InputError` when nothing can be compared."""
    result = analyse_offline(table, baseline, alpha, correction, source)
    if not result["comparisons"]:
        why = "; ".join(f"{x['comparison']}: {x['left_out']} ({x['reason']})" for x in result["left_out"])
        raise InputError.single(
            source, "", f"nothing to compare against {baseline} on the offline error" + (f": {why}" if why else "")
        )
    if incomplete is not None:
        result["incomplete"] = incomplete.to_json()
    out.mkdir(parents=True, exist_ok=True)
    sections = offline_sections(result)
    atomic.write_text(out / "results.json", json.dumps(plain(result), indent=1, allow_nan=False) + "\n")
    atomic.write_text(out / "report.md", _markdown(result, title, sections))
    atomic.write_text(out / "report.html", _html(result, title, sections))
    atomic.write_text(out / "tables.tex", latex_tables(sections))
    return OfflineReport(tuple(out / f for f in FILES), result)


def sweep_offline(root: Path, baseline: str, alpha: float, correction: str) -> dict[str, Any] | None:
    """The offline section of a report on a sweep's trials (None when its runs wrote no offline rows): planned
    runs without offline rows are listed under Left out, never a reason to withhold the success report."""
    from ablate.offline_table import has_offline, missing_offline, read_offline

    if not has_offline(root):
        return None
    result = analyse_offline(read_offline(root), baseline, alpha, correction, root)
    result["left_out"] += [
        {"comparison": "sweep", "left_out": f"run {r['name']}", "reason": "planned, but it wrote no offline rows"}
        for r in missing_offline(root)
    ]
    return result


def analyse_offline(table, baseline: str, alpha: float, correction: str, source) -> dict[str, Any]:
    """Every comparison against `baseline` (an arm name, or FACTOR=LEVEL with the other factors held fixed)."""
    if correction not in CORRECTIONS:
        raise InputError.single("--correction", "", f"expected one of {', '.join(CORRECTIONS)}, got {correction!r}")
    factors = [c for c in table.columns if c not in NOT_FACTORS and c not in TRIAL_COLUMNS]
    if "=" in baseline:
        column, level = (x.strip() for x in baseline.split("=", 1))
        if column not in table.columns:
            raise InputError.single("--baseline", "", f"no factor column {column!r} in the offline table of {source}")
        strata = [f for f in factors if f != column]
    else:
        column, level, strata = "arm", baseline, []
    table = table.assign(**{column: table[column].astype(str)})
    if level not in set(table[column]):
        raise InputError.single("--baseline", "", f"no {column} {level!r} in the offline table of {source}")
    base_name = level  # labels as the success report's: levels, the other factors' values in brackets
    comparisons: list[dict[str, Any]] = []
    left_out: list[dict[str, str]] = []
    groups = table.groupby(strata, dropna=False) if strata else [((), table)]
    for held, group in groups:
        values = held if isinstance(held, tuple) else (held,)
        fixed = ", ".join(f"{f}={v}" for f, v in zip(strata, values, strict=True))
        base = group[group[column] == level]
        for arm_level, rows in group[group[column] != level].groupby(column):
            arm = str(arm_level) + (f" [{fixed}]" if fixed else "")
            label = f"{arm} vs {base_name}"
            _check_unique(rows, source, arm)
            _check_unique(base, source, base_name)
            where = sorted(set(map(tuple, rows[list(KEY)].to_numpy())) | set(map(tuple, base[list(KEY)].to_numpy())))
            for embodiment, dataset in where:
                cell = rows[(rows["embodiment"] == embodiment) & (rows["dataset"] == dataset)]
                reference = base[(base["embodiment"] == embodiment) & (base["dataset"] == dataset)]
                if cell.empty or reference.empty:
                    side = base_name if cell.empty else arm
                    left_out.append(_left(label, dataset, f"measured by {side} only"))
                    continue
                differ = _different_chunks(cell, reference)
                if differ:
                    left_out.append(_left(label, dataset, differ))
                    continue
                lost = sorted(set(cell["seed"]) ^ set(reference["seed"]))
                if lost:
                    left_out.append(_left(label, dataset, f"seeds {lost} have no partner (paired by seed)"))
                for metric, unit in METRICS.items():
                    has = [
                        side
                        for side, t in ((arm, cell), (base_name, reference))
                        if metric in t and t[metric].notna().any()
                    ]
                    if len(has) == 1:
                        why = f"measured by {has[0]} only (the other's action frame and this dataset give no {unit})"
                        left_out.append(_left(label, f"{dataset}: {metric}", why))
                    if len(has) < 2:
                        continue
                    pairs = cell.merge(reference, on="seed", suffixes=("", "_base"))
                    pairs = pairs[pairs[metric].notna() & pairs[f"{metric}_base"].notna()]
                    if pairs.empty:
                        left_out.append(_left(label, f"{dataset}: {metric}", "no seed measured by both"))
                        continue
                    comparisons.append(_compare(pairs, metric, arm, base_name, embodiment, dataset, alpha))
    tests = [c.pop("_test") for c in comparisons]
    adjust(tests, correction, over="offline comparisons")
    for c, t in zip(comparisons, tests, strict=True):
        c["p_adjusted"], c["correction"] = t.p_adjusted, t.correction
    family = tests[0].correction if tests else f"{CORRECTIONS[correction]} over 0 offline comparisons"
    settings = [c for c in SETTINGS if c in table.columns]
    held = f", within each combination of {', '.join(strata)} (held fixed)" if strata else ""
    method = (
        f"Compared: {column} levels against {level}{held}. "
        f"Errors on held-out chunks in the robot's units, {LOWER_IS_BETTER}. Δ = arm − baseline per dataset and "
        f"metric, paired by seed: the mean of the per-seed differences with a two-sided {1 - alpha:.0%} Student t "
        "interval over the paired seeds (n − 1 df); p: two-sided Wilcoxon signed-rank test of the per-seed "
        "differences (R's wilcox.test conventions: exact below 50 differences without ties or zeros, else normal "
        f"approximation with continuity correction; zeros dropped); adjusted p: {family} (arms × datasets × "
        f"metrics, one family apart from any success tests), α = {alpha:g}."
    )
    if settings:
        method += (
            " Every arm is measured on the same chunks: each dataset's validation split is a seeded permutation of "
            "its episodes (data.split_seed, data.val_fraction); pairs measured on other chunks are refused."
        )
    else:
        method += " The table does not record its split settings: the arms are assumed measured on the same chunks."
    return {
        "kind": "offline",
        "source": str(source),
        "baseline": baseline,
        "compared": column,
        "strata": strata,
        "level": 1 - alpha,
        "alpha": alpha,
        "correction": family,
        "method": method,
        "summary": f"Offline error on held-out episodes; {LOWER_IS_BETTER}. {family}, a family of its own.",
        "verdicts": [_verdict(c) for c in comparisons],
        "comparisons": comparisons,
        "left_out": left_out,
        "note": NULLS,
    }


def _left(comparison: str, what: str, reason: str) -> dict[str, str]:
    return {"comparison": comparison, "left_out": what, "reason": reason}


def _check_unique(rows, source, arm: str) -> None:
    """One row per (seed, dataset) and side: a table with repeats (concatenated with itself, or a factor column
    missing) would pair every repeat with every partner."""
    repeats = rows.duplicated(["seed", *KEY], keep=False)
    if repeats.any():
        first = rows[repeats].iloc[0]
        raise InputError.single(
            source,
            "seed, embodiment, dataset",
            f"{arm} has {int(repeats.sum())} rows for seed {first['seed']} on {first['dataset']} (and maybe others); "
            "each run measures a dataset once (a table concatenated with itself, or a factor column missing?)",
        )


def _different_chunks(cell, reference) -> str | None:
    """Why the two sides were measured on different held-out chunks, or None."""
    differ = []
    for column in (*SETTINGS, CHUNKS):
        if column not in cell or column not in reference:
            continue
        a, b = sorted(set(cell[column].astype(str))), sorted(set(reference[column].astype(str)))
        if a != b or len(a) > 1:
            differ.append(f"{column} {', '.join(a)} (arm) vs {', '.join(b)} (baseline)")
    if not differ:
        return None
    keys = ", ".join(SETTINGS.values())
    return f"measured on different held-out chunks: {'; '.join(differ)}; errors compare on the same chunks ({keys})"


def _compare(pairs, metric: str, arm: str, base: str, embodiment: str, dataset: str, alpha: float) -> dict[str, Any]:
    diff = (pairs[metric] - pairs[f"{metric}_base"]).to_numpy(dtype=float)
    n, mean = len(diff), float(diff.mean())
    notes = []
    if n > 1:
        half = float(stats.t.ppf(1 - alpha / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n))
        interval = [mean - half, mean + half]
    else:
        interval = [None, None]
        notes.append("one paired seed: no interval (a t interval needs two)")
    test = wilcoxon(diff, "two-sided")
    floor = 2 / 2**n
    if floor > alpha:
        notes.append(
            f"with {n} paired seed{'s' if n > 1 else ''} the smallest two-sided Wilcoxon p is 2/2^{n} = {floor:.3g}: "
            f"it cannot fall below α = {alpha:g}; read the interval"
        )
    chunks = int(pairs[CHUNKS].iloc[0]) if CHUNKS in pairs and pairs[CHUNKS].notna().all() else None
    out = {
        "arm": arm,
        "baseline": base,
        "embodiment": embodiment,
        "dataset": dataset,
        "metric": metric,
        "unit": METRICS[metric],
        "seeds": n,
        "chunks": chunks,
        "arm_mean": float(pairs[metric].mean()),
        "baseline_mean": float(pairs[f"{metric}_base"].mean()),
        "difference": mean,
        "interval": interval,
        "level": 1 - alpha,
        "interval_method": f"Student t interval over paired seeds, two-sided, {1 - alpha:.0%}",
        "test": test.method,
        "alternative": test.alternative,
        "statistic": test.statistic,
        "p": test.p,
        "direction": "lower is better",
        "_test": test,
    }
    if notes:
        out["note"] = "; ".join(notes)
    return out


def _num(x, signed: bool = False) -> str:
    if missing(x):
        return "–"
    return (f"{x:+.4g}" if signed else f"{x:.4g}").replace("-", "−")


def _delta(c: dict) -> str:
    lo, hi = c["interval"]
    if missing(lo):
        return _num(c["difference"], True)
    return f"{_num(c['difference'], True)} [{_num(lo, True)}, {_num(hi, True)}]"


def _verdict(c: dict) -> str:
    seeds = f"{c['seeds']} seed{'s' if c['seeds'] != 1 else ''}"
    note = f"; {c['note']}" if c.get("note") else ""
    return (
        f"{c['arm']} vs {c['baseline']} on {c['dataset']}, {c['unit']}: Δ = {_delta(c)} ({c['interval_method']}, "
        f"{seeds}), {c['alternative']} {c['test']} p {p_is(c['p'])}, {c['correction']}: "
        f"p {p_is(c['p_adjusted'])} ({c['direction']}){note}"
    )


HEAD = [
    "arm",
    "baseline",
    "dataset",
    "error",
    "seeds",
    "chunks",
    "arm mean",
    "baseline mean",
    "Δ [CI]",
    "p",
    "adjusted p",
]


def offline_sections(result: dict) -> list[Section]:
    """The offline comparisons and what was left out, each table with the note naming its methods."""
    rows = [
        [
            c["arm"], c["baseline"], c["dataset"], c["unit"], str(c["seeds"]),
            "–" if c["chunks"] is None else str(c["chunks"]), _num(c["arm_mean"]), _num(c["baseline_mean"]),
            _delta(c), p_cell(c["p"]), p_cell(c["p_adjusted"]),
        ]
        for c in result["comparisons"]
    ]  # fmt: skip
    note = result["method"]
    floors = sorted({c["note"] for c in result["comparisons"] if "note" in c})
    if floors:
        note += " Note: " + "; ".join(floors) + "."
    out = [Section("Offline error: arm − baseline per held-out dataset", HEAD, rows, note)]
    if result["left_out"]:
        left = [[x["comparison"], x["left_out"], x["reason"]] for x in result["left_out"]]
        why = "Offline comparisons that are in the table but in none of the tests above, and why."
        out.append(Section("Offline error: left out", ["comparison", "left out", "why"], left, why))
    if result.get("incomplete"):
        mark = result["incomplete"]["note"]
        out = [Section(s.heading, s.head, s.rows, f"{mark} {s.note}") for s in out]
    return out


def _markdown(result: dict, title: str, sections: list[Section]) -> str:
    parts = [f"# {title}", "", f"Source: `{result['source']}` (offline companion; no closed-loop trials)", ""]
    if result.get("incomplete"):
        parts += [f"> **{result['incomplete']['note']}**", ""]
    parts += ["## Verdicts", "", result["summary"], "", *(f"- {v}" for v in result["verdicts"]), ""]
    parts += ["## Methods", "", result["method"], ""]
    for s in sections:
        parts += markdown_section(s)
    return "\n".join(parts)


def _html(result: dict, title: str, sections: list[Section]) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Source: <code>{e(result['source'])}</code> (offline companion; no closed-loop trials)</p>",
    ]
    if result.get("incomplete"):
        parts.append(f"<p class='incomplete'><b>{e(result['incomplete']['note'])}</b></p>")
    parts += ["<h2>Verdicts</h2>", f"<p>{e(result['summary'])}</p>", "<ul>"]
    parts += [f"<li>{e(v)}</li>" for v in result["verdicts"]] + ["</ul>"]
    parts += ["<h2>Methods</h2>", f"<p>{e(result['method'])}</p>"]
    parts += [html_section(s) for s in sections]
    parts.append("</body></html>")
    return "\n".join(parts)
