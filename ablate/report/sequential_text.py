"""`ablate report --sequential`: the interim decisions of `stats.sequential` as lines and a Markdown page. A
sequential check is not a report: the fixed-n tests of the full report are not valid under optional stopping, so
this writes only the decisions (sequential.json, sequential.md) and says so."""

from __future__ import annotations

import json
from pathlib import Path

from ablate.atomic import write_text
from ablate.report.text import markdown_table
from ablate.stats.jsonable import plain


def decision_lines(seq: dict) -> list[str]:
    lines = []
    for c in seq["comparisons"]:
        for t in c["targets"]:
            a, b, d = t["arm"], t["baseline"], t["decision"]
            where = (
                f"{d['trials_remaining']} trial(s) left" if d["state"] == "continue" else f"after {d['pairs']} pair(s)"
            )
            lines.append(
                f"{c['label']} on {t['target']}: {a['successes']}/{a['trials']} vs {b['successes']}/{b['trials']} "
                f"— {d['state']} ({where})"
            )
    lines += [f"{x['comparison']}: {x['target']} not compared ({x['reason']})" for x in seq["dropped"]]
    return lines + list(seq["notes"])


def write_sequential(seq: dict, out: Path, title: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        [
            c["label"],
            t["target"],
            f"{t['arm']['successes']}/{t['arm']['trials']}",
            f"{t['baseline']['successes']}/{t['baseline']['trials']}",
            t["decision"]["state"],
            str(t["decision"]["trials_remaining"]),
        ]
        for c in seq["comparisons"]
        for t in c["targets"]
    ]
    head = ["comparison", "target", "arm", "baseline", "decision", "trials left"]
    page = [
        f"# {title}",
        "",
        "Interim sequential check: the decisions below are valid at any stopping time up to the pre-registered "
        f"maximum of {seq['max_trials']} trials per arm and target. Fixed-n p-values are not, so the full report "
        "waits for the final table.",
        "",
        markdown_table(head, rows),
        "",
        f"*{seq['method']}. {seq['correction']}.*",
        "",
        *[f"- {line}" for line in decision_lines(seq)[len(rows) :]],
    ]
    paths = [out / "sequential.json", out / "sequential.md"]
    write_text(paths[0], json.dumps(plain(seq), indent=1, allow_nan=False) + "\n")
    write_text(paths[1], "\n".join(page) + "\n")
    return paths
