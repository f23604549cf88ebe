"""The all-pairs families (`ablate report --pairs all`) as report tables: per stratum, the arms with their letters
and every pair with its test, in the same words and number formats as the other tables (`text.py`).

Each table comes with a one-sentence note (tests, sidedness, correction over how many pairs, level) that the
report prints under the table, or as the LaTeX caption's footnote: a reader of one table alone can tell how its
p-values were adjusted. The notes avoid symbols outside the LaTeX writer's escapes (no α)."""

from __future__ import annotations

from ablate.report.text import Section, interval, p


def pairs_sections(result_pairs: list[dict]) -> list[Section]:
    """Two tables for each family: its arms, then its pairs."""
    out = []
    for family in result_pairs:
        where = "" if family["label"] == "all" else f" ({family['label']})"
        out.append(Section(f"All pairs{where}: arms and letters", *_arms(family), _arms_note(family)))
        out.append(Section(f"All pairs{where}: comparisons", *_pairs(family), _pairs_note(family)))
    return out


def _arms(family: dict) -> tuple[list[str], list[list[str]]]:
    head = ["arm", "successes / trials", "rate [CI]", "targets", "letters"]
    rows = [
        [a["level"], f"{a['successes']} / {a['trials']}", interval(a["rate"], a["ci"]), str(a["targets"]), a["letters"]]
        for a in family["arms"]
    ]
    return head, rows


def _pairs(family: dict) -> tuple[list[str], list[list[str]]]:
    head = ["a vs b", "targets", "Δ [CI]", "test", "p", "adjusted p", "significant"]
    rows = []
    for x in family["pairs"]:
        d, t = x["delta"], x["test"]
        rows.append(
            [
                f"{x['a']} vs {x['b']}",
                _targets(x["targets"]),
                _delta(d),
                _short(t["method"]),
                p(t["p"]),
                p(t["p_adjusted"]),
                "yes" if x["significant"] else "no",
            ]
        )
    for x in family["untestable"]:  # listed, not dropped: the reader sees which pairs could not be compared
        rows.append([f"{x['a']} vs {x['b']}", "none in common", "–", "untestable", "–", "–", "–"])
    return head, rows


def _targets(targets: list[str]) -> str:
    return ", ".join(targets) if len(targets) <= 2 else f"{len(targets)} targets"


def _delta(d: dict) -> str:
    if d["estimate"] is None or None in d["ci"]:
        return "–"
    return interval(d["estimate"], d["ci"], True)


def _short(method: str) -> str:
    """The test's name without what the note already says (continuity correction, 'exact')."""
    name = method.split(" (")[0].replace(" exact", "")
    return name.replace("Cochran–Mantel–Haenszel", "CMH")


def _arms_note(family: dict) -> str:
    rates = f"{family['level']:.0%} {family['arms'][0]['method']} intervals"
    untested = "; untested pairs share a letter" if family["untestable"] else ""
    return (
        f"Arms pooled over their targets and seeds, best first, with {rates}; letters by "
        f"{family['letters']['method']}: arms sharing a letter do not differ (two-sided tests, adjusted p < "
        f"{family['alpha']:g}, {family['correction']}), arms with no letter in common do{untested}."
    )


def _pairs_note(family: dict) -> str:
    methods = list(dict.fromkeys(x["test"]["method"] for x in family["pairs"]))
    tests = " or ".join(methods) if methods else "no"
    scope = "all pairs of this stratum" if family["stratum"] else "all pairs"
    untestable = len(family["untestable"])
    skipped = (
        f"; {untestable} pair{'s' if untestable != 1 else ''} without a common target untested" if untestable else ""
    )
    intervals = " or ".join(dict.fromkeys(x["delta"]["method"] for x in family["pairs"])) or "none"
    return (
        f"Two-sided {tests} tests on seed-pooled counts over each pair's common targets, adjusted by "
        f"{family['correction']} ({scope} as one family){skipped}; {family['level']:.0%} intervals for "
        f"Δ = rate(a) − rate(b) ({intervals}), not adjusted for multiplicity; significant means adjusted "
        f"p < {family['alpha']:g}."
    )
