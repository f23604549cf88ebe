"""A report on the trial table's offline companion (`ablate.offline_table`), for a sweep without closed-loop
evaluation: each arm against its baseline, per held-out dataset and error metric, paired by seed.

Per comparison: the mean of the per-seed differences (arm − baseline; negative = the arm's actions are closer to the
demonstrations), its two-sided t interval over the paired seeds at the report's level, and a two-sided Wilcoxon
signed-rank test of the differences (R's conventions, `ablate.stats.paired`), Holm-adjusted (or the correction
asked for) over every comparison of the report. Seeds without their partner are left out and listed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ablate import atomic
from ablate.errors import InputError
from ablate.offline_table import KEY, METRICS
from ablate.stats.jsonable import NULLS, plain
from ablate.stats.paired import wilcoxon
from ablate.stats.significance import adjust
from ablate.trials import NOT_FACTORS

IDENTITY = {"sweep", "arm", "run", "seed", "chunks", *KEY, *METRICS}
FILES = ("results.json", "report.md", "report.html", "tables.tex")


@dataclass(frozen=True)
class OfflineReport:
    paths: tuple[Path, ...]
    result: dict[str, Any]


def offline_report(
    table, baseline: str, out: Path, title: str, alpha: float, correction: str, source, incomplete=None
) -> OfflineReport:
    result = analyse_offline(table, baseline, alpha, correction, source)
    if incomplete is not None:
        result["incomplete"] = incomplete.to_json()
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(out / "results.json", json.dumps(plain(result), indent=2, allow_nan=False) + "\n")
    markdown = _markdown(result, title)
    atomic.write_text(out / "report.md", markdown)
    atomic.write_text(out / "report.html", _html(result, title))
    atomic.write_text(out / "tables.tex", _latex(result))
    return OfflineReport(tuple(out / f for f in FILES), result)


def analyse_offline(table, baseline: str, alpha: float, correction: str, source) -> dict[str, Any]:
    factors = [c for c in table.columns if c not in IDENTITY and c not in NOT_FACTORS]
    if "=" in baseline:
        column, level = (x.strip() for x in baseline.split("=", 1))
        if column not in table.columns:
            raise InputError.single("--baseline", "", f"no factor column {column!r} in {source}")
        strata = [f for f in factors if f != column]
    else:
        column, level, strata = "arm", baseline, []
    if level not in set(table[column].astype(str)):
        raise InputError.single("--baseline", "", f"no {column} {level!r} in {source}")
    table = table.assign(**{column: table[column].astype(str)})
    comparisons, left_out = [], []
    groups = table.groupby(strata, dropna=False) if strata else [((), table)]
    for held, group in groups:
        fixed = ", ".join(
            f"{f}={v}" for f, v in zip(strata, held if isinstance(held, tuple) else (held,), strict=False)
        )
        base = group[group[column] == level]
        for arm_level, rows in group[group[column] != level].groupby(column):
            for (embodiment, dataset), cell in rows.groupby(list(KEY)):
                reference = base[(base["embodiment"] == embodiment) & (base["dataset"] == dataset)]
                for metric, unit in METRICS.items():
                    if metric not in cell or cell[metric].isna().all() or reference[metric].isna().all():
                        continue
                    pairs = cell.merge(reference, on="seed", suffixes=("", "_base"))
                    pairs = pairs[pairs[metric].notna() & pairs[f"{metric}_base"].notna()]
                    arm = f"{column}={arm_level}" if column != "arm" else str(arm_level)
                    arm += f" ({fixed})" if fixed else ""
                    lost = sorted(set(cell["seed"]) ^ set(reference["seed"]))
                    if lost:
                        left_out.append(f"{arm} vs {level} on {dataset}: seeds {lost} have no partner")
                    if pairs.empty:
                        continue
                    comparisons.append(
                        _compare(
                            pairs, metric, unit, arm, f"{column}={level}" if column != "arm" else level, dataset, alpha
                        )
                    )
    if not comparisons:
        raise InputError.single(source, "", f"nothing to compare against {baseline}: no arm shares a dataset with it")
    tests = [c.pop("_test") for c in comparisons]
    adjust(tests, correction, over="comparisons")
    for c, t in zip(comparisons, tests, strict=True):
        c["p_adjusted"], c["correction"] = t.p_adjusted, t.correction
    level_text = f"{1 - alpha:.0%}"
    verdicts = [
        f"{c['arm']} vs {c['baseline']} on {c['dataset']}: {c['unit']} Δ = {_fmt(c['difference'])} "
        f"[{_fmt(c['interval'][0])}, {_fmt(c['interval'][1])}] ({c['interval_method']}, {c['seeds']} seeds), "
        f"{c['test']} p = {_fmt(c['p'])}, {c['correction']}: p = {_fmt(c['p_adjusted'])}"
        for c in comparisons
    ]
    return {
        "verdicts": verdicts,
        "kind": "offline",
        "baseline": baseline,
        "level": 1 - alpha,
        "method": (
            f"per held-out dataset and metric, arm − baseline paired by seed: mean difference with a two-sided "
            f"{level_text} t interval over the seeds; two-sided Wilcoxon signed-rank test (R's conventions); "
            f"p-values adjusted ({correction}) over the report's comparisons. Errors: lower is better."
        ),
        "comparisons": comparisons,
        "left_out": left_out,
        "note": NULLS,
    }


def _compare(pairs, metric: str, unit: str, arm: str, base: str, dataset: str, alpha: float) -> dict[str, Any]:
    diff = (pairs[metric] - pairs[f"{metric}_base"]).to_numpy(dtype=float)
    n, mean = len(diff), float(diff.mean())
    if n > 1:
        half = float(stats.t.ppf(1 - alpha / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n))
        interval = [mean - half, mean + half]
    else:
        interval = [float("nan"), float("nan")]
    test = wilcoxon(diff, "two-sided")
    return {
        "arm": arm,
        "baseline": base,
        "dataset": dataset,
        "metric": metric,
        "unit": unit,
        "seeds": n,
        "arm_mean": float(pairs[metric].mean()),
        "baseline_mean": float(pairs[f"{metric}_base"].mean()),
        "difference": mean,
        "interval": interval,
        "interval_method": f"t interval over paired seeds, two-sided, {1 - alpha:.0%}",
        "p": test.p,
        "test": f"{test.method}, {test.alternative}",
        "_test": test,
    }


def _fmt(x) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.4g}"


def _rows(result: dict) -> list[list[str]]:
    return [
        [
            c["arm"],
            c["baseline"],
            c["dataset"],
            c["unit"],
            str(c["seeds"]),
            _fmt(c["arm_mean"]),
            _fmt(c["baseline_mean"]),
            f"{_fmt(c['difference'])} [{_fmt(c['interval'][0])}, {_fmt(c['interval'][1])}]",
            _fmt(c["p"]),
            _fmt(c["p_adjusted"]),
        ]
        for c in result["comparisons"]
    ]


HEADER = ["arm", "baseline", "dataset", "offline error", "seeds", "arm", "baseline", "Δ [CI]", "p", "p adj."]


def _notes(result: dict) -> list[str]:
    notes = [f"Offline error on held-out episodes (no closed-loop evaluation). Method: {result['method']}"]
    if result["comparisons"]:
        c = result["comparisons"][0]
        notes.append(f"CI: {c['interval_method']}. Test: {c['test']}. Correction: {c['correction']}.")
    notes += [f"Left out: {x}" for x in result["left_out"]]
    if "incomplete" in result:
        notes.insert(0, result["incomplete"]["note"])
    return notes


def _markdown(result: dict, title: str) -> str:
    lines = [f"# {title}", "", *(f"> {n}" for n in _notes(result)), ""]
    lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(result)]
    return "\n".join(lines) + "\n"


def _html(result: dict, title: str) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in _rows(result))
    notes = "".join(f"<p>{escape(n)}</p>" for n in _notes(result))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>"
        f"<h1>{escape(title)}</h1>{notes}<table border='1'><tr>{head}</tr>{body}</table></body></html>\n"
    )


def _latex(result: dict) -> str:
    from ablate.latex import escape

    caption = escape(" ".join(_notes(result)))
    rows = "\n".join(" & ".join(escape(v) for v in r) + r" \\" for r in _rows(result))
    return (
        "\\begin{table}\n\\centering\n\\begin{tabular}{" + "l" * len(HEADER) + "}\n"
        + " & ".join(escape(h) for h in HEADER) + r" \\" + "\n\\hline\n" + rows + "\n\\end{tabular}\n"
        + f"\\caption{{{caption}}}\n\\end{{table}}\n"
    )  # fmt: skip
