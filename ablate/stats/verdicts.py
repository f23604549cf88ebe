"""Sentences a researcher can paste: negative transfer where the adjusted test rejects, pooled effects,
non-inferiority where it holds — and what was left out of each comparison, so no reader mistakes a silent drop
for a tested target."""

from __future__ import annotations

from ablate.stats.wording import p_is as _fmt_p
from ablate.stats.wording import signed


def verdicts(result: dict) -> list[str]:
    alpha = result["options"]["alpha"]
    out = []
    for c in result["comparisons"]:
        out += _negative_transfer(c, alpha) + _pooled(c) + _non_inferiority(c, result["options"]["margin"], alpha)
        out += left_out_lines(c)
    out += [f"{u['label']}: not compared ({u['reason']})" for u in result.get("untestable", [])]
    return out + [f"note: {n}" for n in result.get("notes", [])]


def left_out_lines(c: dict) -> list[str]:
    lines = [f"{c['label']}: {t['target']} left out ({t['reason']})" for t in c.get("left_out", [])]
    return lines + [f"{c['label']}: {note}" for note in c.get("notes", [])]


def _negative_transfer(c: dict, alpha: float) -> list[str]:
    out = []
    negative = [t for t in c["targets"] if t["negative_transfer"]["p_adjusted"] < alpha]
    for t in negative:
        nt, d = t["negative_transfer"], t["delta"]
        out.append(
            f"{c['label']}: negative transfer on {t['target']}: Δ = {signed(d['estimate'])} "
            f"[{signed(d['ci'][0])}, {signed(d['ci'][1])}] ({d['level']:.0%} two-sided {d['method']}), one-sided "
            f"{nt['method'].replace(' exact', '')} p {_fmt_p(nt['p'])}, {nt['correction'].split(' over')[0]}-adjusted "
            f"p {_fmt_p(nt['p_adjusted'])}"
        )
    if not negative and c["targets"]:
        how = c["targets"][0]["negative_transfer"]["correction"]
        out.append(
            f"{c['label']}: no significant negative transfer on any of {len(c['targets'])} targets "
            f"(one-sided exact tests, {how}, α = {alpha})"
        )
    return out


def _pooled(c: dict) -> list[str]:
    out = []
    for g in c["groups"] + ([c["overall"]] if c["overall"] else []):
        if g["targets"] == 1:
            continue  # pooled over one target is that target's own test, reported above
        where = ", ".join(f"{k}={v}" for k, v in g.get("group", {}).items()) or "all targets"
        cmh, orr, md = g["cmh"], g["odds_ratio"], g["mean_delta"]
        if cmh["p"] is None:  # no informative target
            out.append(f"{c['label']} pooled over {where}: no target with varying outcomes, no pooled test")
            continue
        adjusted = (
            f", {cmh['correction'].split(' over')[0]}-adjusted p {_fmt_p(cmh['p_adjusted'])}"
            if (cmh.get("p_adjusted") is not None and "group" in g and len(c["groups"]) > 1)
            else ""
        )
        ratio = (
            f"MH odds ratio {orr['estimate']:.2f} [{orr['ci'][0]:.2f}, {orr['ci'][1]:.2f}]"
            if None not in (orr["estimate"], *orr["ci"])
            else "MH odds ratio not defined"
        )
        heterogeneity = g["breslow_day"]
        out.append(
            f"{c['label']} pooled over {where} ({g['targets']} targets): mean Δ = {signed(md['estimate'])} "
            f"[{signed(md['ci'][0])}, {signed(md['ci'][1])}] ({md['level']:.0%} "
            + ("MOVER" if md["method"].startswith("MOVER") else "seed-clustered bootstrap")
            + ("; zero width, see the per-target intervals" if md.get("note") else "")
            + f"); {ratio}, two-sided "
            f"CMH p {_fmt_p(cmh['p'])}{adjusted}"
            + (
                f"; Breslow–Day p {_fmt_p(heterogeneity['p'])}"
                if heterogeneity["extra"].get("df") and heterogeneity["p"] is not None
                else ""
            )
        )
    return out


def _non_inferiority(c: dict, margin: float | None, alpha: float) -> list[str]:
    if margin is None:
        return []
    held = [t["target"] for t in c["targets"] if t["non_inferiority"]["p"] < alpha]
    return [
        f"{c['label']}: non-inferior at margin {margin:g} on {len(held)} of {len(c['targets'])} "
        f"targets (one-sided Farrington–Manning, unadjusted, α = {alpha}): {', '.join(held) or 'none'}"
    ]


def pairs_lines(families: list[dict]) -> list[str]:
    """One line per all-pairs family: the compact letters, with the family's correction and level."""
    out = []
    for f in families:
        where = "" if f["label"] == "all" else f" [{f['label']}]"
        arms = ", ".join(f"{a['level']} {a['letters']} ({a['rate']:.2f})" for a in f["arms"])
        significant = sum(p["significant"] for p in f["pairs"])
        out.append(
            f"all pairs{where}: {significant} of {f['family']} pairs differ (two-sided, {f['correction']}, "
            f"α = {f['alpha']}); letters, best first — arms sharing a letter are not distinguishable: {arms}"
        )
        out += [f"all pairs{where}: {u['a']} vs {u['b']} not compared ({u['reason']})" for u in f["untestable"]]
    return out
