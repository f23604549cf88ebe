"""The report's tables in report order, each with the note that names the method, sidedness, correction and level
of every number in it. report.md prints the note under its table, report.html beside it, tables.tex in the caption:
a table copied out of any of them says how its numbers were made."""

from __future__ import annotations

from ablate.report.pairs_text import pairs_sections
from ablate.report.text import (
    Section,
    aggregate_rows,
    confirmatory_rows,
    delta_rows,
    left_out_rows,
    pooled_rows,
    progress_rows,
    rates_rows,
)
from ablate.stats import aggregate, bootstrap, proportions, significance


def sections(result: dict) -> list[Section]:
    o = result["options"]
    out = []
    if result.get("confirmatory"):
        conf = result["confirmatory"]
        note = (
            f"{conf['correction']}. Each test as declared (method and side in the test column), α per hypothesis; "
            "effect: mean Δ over the hypothesis's tables with a 95% seed-clustered bootstrap interval "
            "(Newcombe hybrid score with one table and one seed)."
        )
        out.append(Section("Confirmatory: pre-registered hypotheses", *confirmatory_rows(conf), note))
    rate_method = proportions.RATE_METHODS[o["rate_method"]][1]
    out.append(
        Section(
            "Success rates per target",
            *rates_rows(result),
            f"Successes / trials pooled over seeds; {rate_method} {o['level']:.0%} interval (trial noise only: "
            "seed-to-seed variation is not in it).",
        )
    )
    for c in result["comparisons"]:
        seeds = len(c["seeds"]) or 1
        out.append(Section(f"{c['label']}: transfer deltas per target", *delta_rows(c, o["margin"]), _delta_note(c, o)))
        out.append(Section(f"{c['label']}: pooled over targets", *pooled_rows(c), _pooled_note(c, o, seeds)))
        out.append(Section(f"{c['label']}: aggregates (rliable)", *aggregate_rows(c), _aggregate_note(o, seeds)))
        head, rows = progress_rows(c)
        if rows:
            out.append(Section(f"{c['label']}: progress", head, rows, _progress_note(c, o, seeds)))
    out += pairs_sections(result.get("pairs", []))
    if result.get("offline"):  # the runs' offline error too: its own tables, its own family, its own Left out
        from ablate.report.offline import offline_sections  # imports the writer, which imports this module

        out += offline_sections(result["offline"])
    head, rows = left_out_rows(result)
    if rows:
        note = "Targets, seeds and comparisons that are in the table but in none of the tests above, and why."
        out.append(Section("Left out", head, rows, note))
    if result.get("incomplete"):  # a table copied out of a part-report must still say it is one
        gap = result["incomplete"]
        missing = len(gap["missing"])
        mark = f"INCOMPLETE SWEEP: {missing} of {gap['planned']} planned runs have no trials, their seeds unpaired."
        out = [Section(s.heading, s.head, s.rows, f"{mark} {s.note}".strip()) for s in out]
    return out


def _delta_note(c: dict, o: dict) -> str:
    level, targets = f"{o['level']:.0%}", len(c["targets"])
    text = (
        f"Δ = arm − baseline success rate, trials pooled over seeds, {level} "
        f"{proportions.DELTA_METHODS[o['delta_method']][2]} interval"
    )
    if len(c["seeds"]) > 1:
        text += f"; seed-clustered: {level} {bootstrap.method(len(c['seeds']))}"
    text += (
        f". p: one-sided {significance.EXACT_TESTS[o['exact_test']]} test of arm < baseline; adjusted p: "
        f"{significance.CORRECTIONS[o['correction']]} over the {targets} target(s), α = {o['alpha']}"
    )
    if o["margin"] is not None:
        text += f"; p (Δ > −{o['margin']:g}): one-sided Farrington–Manning score test, unadjusted"
    return text + "."


def _pooled_note(c: dict, o: dict, seeds: int) -> str:
    continuity = "with" if o["cmh_continuity"] else "without"
    groups = c["groups"] + ([c["overall"]] if c["overall"] else [])
    how = groups[0]["mean_delta"]["method"] if groups else bootstrap.method(seeds)
    return (
        f"Mean Δ: mean over targets of the per-target Δ, {o['level']:.0%} {how}. MH odds ratio "
        f"with its {o['level']:.0%} Robins–Breslow–Greenland interval. CMH χ² (df 1, {continuity} continuity "
        f"correction), two-sided, targets as strata; adjusted p: {significance.CORRECTIONS[o['correction']]} over "
        f"{len(c['groups'])} group(s). Breslow–Day: two-sided test of equal odds ratios across targets. Targets "
        "whose outcomes do not vary (uninformative) count in n but carry no weight in CMH and MH."
    )


def _aggregate_note(o: dict, seeds: int) -> str:
    how = aggregate.METHOD if seeds > 1 else aggregate.ONE_SEED
    return (
        "rliable's aggregates of per-(seed, target) success rates: IQM (25% trimmed mean), median of per-target means, "
        "mean, optimality gap (mean shortfall below 1; lower is better); P(arm > baseline): chance that a seed of "
        f"the arm beats a seed of the baseline on a target (ties ½), averaged over targets. {o['level']:.0%} {how}."
    )


def _progress_note(c: dict, o: dict, seeds: int) -> str:
    groups = c["groups"] + ([c["overall"]] if c["overall"] else [])
    wilcoxon = next(g["progress"]["wilcoxon"]["method"] for g in groups if "progress" in g)
    resampled = "seeds resampled within targets" if seeds > 1 else "targets resampled (one seed)"
    return (
        f"Mean over targets of the progress difference (each target's mean over seeds), {o['level']:.0%} percentile "
        f"bootstrap ({resampled}). {wilcoxon}, two-sided; sign-flip permutation test of the mean, two-sided; "
        "both unadjusted. Differences equal to 12 decimals are ties."
    )
