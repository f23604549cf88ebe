"""`ablate report`'s files: results.json (every estimate and test with its method, sidedness and correction),
report.md, tables.tex (booktabs) and report.html (self-contained: the figures are inline SVG, no scripts, no
network). All four are written from the same result dict and the same sections (`sections.py`), and each on its
own: a figure or a file that fails costs only itself — the others are still written, and the failure is named."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from ablate import latex
from ablate.atomic import write_text
from ablate.report import figures
from ablate.report.sections import sections as build_sections
from ablate.report.text import Section, markdown_table
from ablate.stats.jsonable import plain

FILES = ("results.json", "report.md", "tables.tex", "report.html")


@dataclass
class Written:
    paths: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # file name → what went wrong
    warnings: list[str] = field(default_factory=list)


def write_report(result: dict, out: Path, title: str) -> Written:
    out.mkdir(parents=True, exist_ok=True)
    done = Written()
    built: list[list[Section]] = []

    def sections() -> list[Section]:  # built once, on first use: results.json never waits for (or on) them
        if not built:
            built.append(build_sections(result))
        return built[0]

    builders = {
        "results.json": lambda: _json(result),
        "report.md": lambda: _markdown(result, title, sections()),
        "tables.tex": lambda: latex_tables(sections()),
        "report.html": lambda: _html(result, title, sections(), done.warnings),
    }
    for name in FILES:
        try:
            text = builders[name]()
        except Exception as e:  # one file's failure must not cost the others
            done.failed[name] = f"{type(e).__name__}: {e}"
            continue
        write_text(out / name, text)
        done.paths.append(out / name)
    return done


def _json(result: dict) -> str:
    """Strict JSON (null, never NaN). Indented for a reader when small; a paper's hundreds of targets are written
    compact, because Python's encoder is only fast without indentation (0.4 s → 0.05 s on GM-100)."""
    targets = sum(len(c["targets"]) for c in result["comparisons"])
    indent = 1 if targets <= 100 else None
    # The comparisons are plain already (analysis returns them so); the rest is made so here, cheaply.
    tidy = plain({k: v for k, v in result.items() if k != "comparisons"}) | {"comparisons": result["comparisons"]}
    return json.dumps(tidy, indent=indent, allow_nan=False, default=str) + "\n"


def _method_lines(result: dict) -> list[str]:
    d = result["design"]
    lines = [f"compared: `{d['column']}` levels against the baseline `{d['baseline']}`"]
    if d["strata"]:
        lines.append(f"within each combination of {', '.join(f'`{s}`' for s in d['strata'])} (held fixed)")
    if d["by"]:
        lines.append(f"targets grouped by {', '.join(f'`{b}`' for b in d['by'])} for pooled tests")
    lines += [f"{k.replace('_', ' ')}: {v}" for k, v in result["methods"].items()]
    return lines


def _verdict_blocks(result: dict) -> list[tuple[str, list[str], str]]:
    """(heading, verdicts, note): the pre-registered hypotheses first, when the sweep declared any; everything
    else is then exploratory."""
    offline = result.get("offline")  # a sweep with trials and an offline companion: its own family, after these
    tail = [("Offline error verdicts", offline["verdicts"], offline["summary"])] if offline else []
    conf = result.get("confirmatory")
    if not conf:
        return [("Verdicts", result["verdicts"], ""), *tail]
    frozen = result.get("preregistration") or {}
    note = (
        f"Declared in the spec and frozen when the sweep started ({frozen.get('frozen_at', '?')}, spec sha256 "
        f"{str(frozen.get('content_hash', '?'))[:12]}). {conf['correction']}. {conf['method']}"
    )
    exploratory = (
        "Not pre-registered: every comparison below was chosen with the data in view or is one of many; read these as "
        "exploratory, whatever their p-values."
    )
    return [
        ("Confirmatory verdicts (pre-registered)", conf["verdicts"], note),
        ("Exploratory verdicts", result["verdicts"], exploratory),
        *tail,
    ]


def _markdown(result: dict, title: str, sections: list[Section]) -> str:
    parts = [f"# {title}", "", f"Source: `{result['source']}`", ""]
    if result.get("incomplete"):
        parts += [f"> **{result['incomplete']['note']}**", ""]
    for heading, verdicts, note in _verdict_blocks(result):
        parts += [f"## {heading}", ""] + ([note, ""] if note else []) + [f"- {v}" for v in verdicts] + [""]
    parts += ["## Methods", ""]
    parts += [f"- {line}" for line in _method_lines(result)] + [""]
    for s in sections:
        parts += markdown_section(s)
    return "\n".join(parts)


def markdown_section(s: Section) -> list[str]:
    """A section as report.md prints it: heading, table, its note in italics."""
    return [f"## {s.heading}", "", markdown_table(s.head, s.rows), ""] + ([f"*{s.note}*", ""] if s.note else [])


def latex_tables(sections: list[Section]) -> str:
    """tables.tex: each section a booktabs table whose caption carries its note."""
    out = ["% Generated by `ablate report`; needs \\usepackage{booktabs}.", ""]
    for s in sections:
        # The caption names the methods: a table pasted into a paper keeps its method, side, correction and level.
        caption = latex.escape(s.heading) + (f". {latex.escape(s.note)}" if s.note else "")
        out += [
            f"% {s.heading}",
            r"\begin{table}[t]",
            r"\centering\small",
            f"\\caption{{{caption}}}",
            f"\\begin{{tabular}}{{{'l' * len(s.head)}}}",
            r"\toprule",
            " & ".join(latex.escape(h) for h in s.head) + r" \\",
            r"\midrule",
        ]
        out += [" & ".join(latex.escape(c) for c in row) + r" \\" for row in s.rows]
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0 1.5em}th,td{border-bottom:1px solid #ddd;
padding:3px 8px;text-align:left}th{background:#f4f4f4}figure{margin:1em 0}figure svg{max-width:100%;height:auto}
li{margin:0.2em 0}details{margin:0.5em 0}.note{font-size:12px;color:#444;margin:0.3em 0}
.incomplete{background:#fdecea;border:1px solid #c62828;padding:0.6em}"""


def _figure(name: str, draw, result: dict, warnings: list[str]) -> str:
    """One figure, or a line that says why it is missing: a figure never costs the page."""
    try:
        return f"<figure id='{name}'>{draw(result)}</figure>"
    except Exception as e:
        warnings.append(f"report.html: the {name} figure was not drawn ({type(e).__name__}: {e})")
        return f"<p><i>The {name} figure could not be drawn: {html.escape(f'{type(e).__name__}: {e}')}</i></p>"


def _html(result: dict, title: str, sections: list[Section], warnings: list[str]) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>Source: <code>{e(result['source'])}</code></p>",
    ]
    if result.get("incomplete"):
        parts.append(f"<p class='incomplete'><b>{e(result['incomplete']['note'])}</b></p>")
    for heading, verdicts, note in _verdict_blocks(result):
        parts += [f"<h2>{e(heading)}</h2>"] + ([f"<p>{e(note)}</p>"] if note else []) + ["<ul>"]
        parts += [f"<li>{e(v)}</li>" for v in verdicts] + ["</ul>"]
    parts.append("<h2>Figures</h2>")
    if result["comparisons"]:
        parts += [
            _figure(name, draw, result, warnings)
            for name, draw in (("forest", figures.forest), ("heatmap", figures.heatmap))
        ]
    parts.append(_figure("success", figures.success, result, warnings))
    parts += ["<h2>Methods</h2><ul>"] + [f"<li>{e(line)}</li>" for line in _method_lines(result)] + ["</ul>"]
    parts += [html_section(s) for s in sections]
    parts.append("</body></html>")
    return "\n".join(parts)


def html_section(s: Section) -> str:
    """A section as report.html shows it: a folding table (open unless long) with its note above."""
    e = html.escape
    table = ["<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in s.head) + "</tr>"]
    table += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in s.rows]
    many, count = len(s.rows) > 30, f"{len(s.rows)} row{'' if len(s.rows) == 1 else 's'}"
    note = f"<p class='note'>{e(s.note)}</p>" if s.note else ""
    return (
        f"<details{'' if many else ' open'}><summary><b>{e(s.heading)}</b> ({count})</summary>"
        + note
        + "".join(table)
        + "</table></details>"
    )
