"""Numbers as a report prints them, and the report's tables as rows with the note that names their methods: one
home for all three, so report.md, tables.tex and report.html say the same thing in the same words."""

from __future__ import annotations

from dataclasses import dataclass

from ablate.stats.wording import interval, p, signed
from ablate.stats.wording import missing as _missing

__all__ = ["Section", "interval", "p", "signed"]


@dataclass(frozen=True)
class Section:
    """One table of a report and the note printed with it (the method, sidedness, correction and level of every
    number in it: a table copied into a paper must carry them)."""

    heading: str
    head: list[str]
    rows: list[list[str]]
    note: str = ""


def rates_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    design = result["design"]
    keys = [design["column"], *design["strata"]]
    head = [*keys, "target", "successes / trials", "rate [CI]", "seeds", "progress"]
    rows = []
    for r in result["rates"]:
        progress = "–" if r["progress"] is None else f"{r['progress']:.2f}"
        rows.append(
            [
                *(str(r[k]) for k in keys),
                f"{r['embodiment']}/{r['task']}",
                f"{r['successes']} / {r['trials']}",
                interval(r["rate"], r["ci"]),
                str(r["seeds"]),
                progress,
            ]
        )
    return head, rows


def delta_rows(comparison: dict, margin: float | None) -> tuple[list[str], list[list[str]]]:
    head = ["target", "arm", "baseline", "Δ [CI]", "Δ [seed-clustered CI]", "p (arm < baseline)", "adjusted p"]
    head += [f"p (Δ > −{margin:g})"] if margin is not None else []
    rows = []
    unclustered = "– (one seed)" if comparison["seeds"] else "– (no paired seeds)"
    for t in comparison["targets"]:
        nt = t["negative_transfer"]
        clustered = t.get("delta_clustered")
        row = [
            t["target"],
            f"{t['arm']['successes']}/{t['arm']['trials']}",
            f"{t['baseline']['successes']}/{t['baseline']['trials']}",
            interval(t["delta"]["estimate"], t["delta"]["ci"], True),
            interval(clustered["estimate"], clustered["ci"], True) if clustered else unclustered,
            p(nt["p"]),
            p(nt["p_adjusted"]),
        ]
        if margin is not None:
            row.append(p(t["non_inferiority"]["p"]))
        rows.append(row)
    return head, rows


def _groups(comparison: dict) -> list[tuple[str, dict]]:
    groups = comparison["groups"] + ([comparison["overall"]] if comparison["overall"] else [])
    return [(", ".join(f"{k}={v}" for k, v in g.get("group", {}).items()) or "all", g) for g in groups]


def pooled_rows(comparison: dict) -> tuple[list[str], list[list[str]]]:
    head = ["targets", "n", "mean Δ [CI]", "MH odds ratio [CI]", "CMH χ²", "p", "adjusted p", "Breslow–Day p"]
    rows = []
    for where, g in _groups(comparison):
        cmh, orr = g["cmh"], g["odds_ratio"]
        adjusted = p(cmh["p_adjusted"]) if "group" in g and cmh.get("p_adjusted") is not None else "–"
        rows.append(
            [
                where,
                str(g["targets"])
                + (f" ({g['uninformative_targets']} uninformative)" if g.get("uninformative_targets") else ""),
                interval(g["mean_delta"]["estimate"], g["mean_delta"]["ci"], True),
                interval(orr["estimate"], orr["ci"]),
                "–" if _missing(cmh["statistic"]) else f"{cmh['statistic']:.2f}",
                p(cmh["p"]),
                adjusted,
                p(g["breslow_day"]["p"]),
            ]
        )
    return head, rows


AGGREGATE_NAMES = {"iqm": "IQM", "median": "median", "mean": "mean", "optimality_gap": "optimality gap"}


def aggregate_rows(comparison: dict) -> tuple[list[str], list[list[str]]]:
    head = ["targets", *(f"{name}: arm / baseline [CI]" for name in AGGREGATE_NAMES.values()), "P(arm > baseline)"]
    rows = []
    for where, g in _groups(comparison):
        cells = [
            f"{interval(g[k]['arm']['estimate'], g[k]['arm']['ci'])} / "
            f"{interval(g[k]['baseline']['estimate'], g[k]['baseline']['ci'])}"
            for k in AGGREGATE_NAMES
        ]
        pi = g["probability_of_improvement"]
        rows.append([where, *cells, interval(pi["estimate"], pi["ci"])])
    return head, rows


def left_out_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    head = ["comparison", "left out", "why"]
    rows = []
    for c in result["comparisons"]:
        rows += [[c["label"], t["target"], t["reason"]] for t in c.get("left_out", [])]
        rows += [[c["label"], "seeds", note] for note in c.get("notes", [])]
    rows += [[u["label"], "whole comparison", u["reason"]] for u in result.get("untestable", [])]
    return head, rows


def progress_rows(comparison: dict) -> tuple[list[str], list[list[str]]]:
    head = ["targets", "n", "mean progress Δ [CI]", "Wilcoxon V", "Wilcoxon p", "sign-flip p"]
    rows = []
    for where, g in _groups(comparison):
        if "progress" not in g:
            continue
        pr = g["progress"]
        missing = pr.get("targets_without_progress", 0)
        rows.append(
            [
                where,
                f"{pr.get('targets', g['targets'])}" + (f" ({missing} without progress)" if missing else ""),
                interval(pr["mean_delta"]["estimate"], pr["mean_delta"]["ci"], True),
                "–" if _missing(pr["wilcoxon"]["statistic"]) else f"{pr['wilcoxon']['statistic']:g}",
                p(pr["wilcoxon"]["p"]),
                p(pr["sign_flip"]["p"]),
            ]
        )
    return head, rows


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in [head, *rows]]
    lines = ["| " + " | ".join(r) + " |" for r in esc]
    lines.insert(1, "|" + "|".join("---" for _ in head) + "|")
    return "\n".join(lines)


def confirmatory_rows(confirmatory: dict) -> tuple[list[str], list[list[str]]]:
    head = ["hypothesis", "claim", "tables", "mean Δ [95% CI]", "test", "p", "adjusted p", "α", "verdict"]
    rows = []
    for h in confirmatory["hypotheses"]:
        if h["test"] is None:
            rows.append([h["name"], h["statement"], "0", "-", "-", "-", "-", f"{h['alpha']:g}", "not tested"])
            continue
        e, t = h["effect"], h["test"]
        known = not _missing(e["ci"][0])
        ci = f" [{signed(e['ci'][0])}, {signed(e['ci'][1])}]" if known else ""
        rows.append(
            [
                h["name"],
                h["statement"],
                str(len(h["tables"])),
                signed(e["estimate"]) + ci,
                f"{t['method']}, {t['alternative']}",
                p(t["p"]),
                p(t["p_adjusted"]),
                f"{h['alpha']:g}",
                "supported" if h["supported"] else "not supported",
            ]
        )
    return head, rows
