"""`ablate power`'s plan as text: the headline (trials per arm and target, or the power of a given design), the
pilot's arms and between-seed ICC, and the table of seeds × trials per seed. `--json` prints the same dict instead."""

from __future__ import annotations


def render(r: dict) -> list[str]:
    change = f"{r['baseline_rate']:.3g} → {r['arm_rate']:.3g} (Δ = {r['delta']:+.3g})".replace("+0)", "0)")
    sides = f"{r['sides']}, α = {r['alpha']:g}"
    if "seed_plan" not in r:
        return [_headline(r, change), f"  {r['method']}, {sides}"]
    lines = _render_pilot(r["pilot"]) if r["pilot"] else []
    if r["baseline_rate_source"] != "given":
        source = r["baseline_rate_source"]
        lines.append(f"baseline rate {r['baseline_rate']:.3f}: chosen from the {source} (--baseline-rate overrides)")
    return [*lines, *_render_seeds(r, change, sides)]


def _headline(r: dict, change: str) -> str:
    n = r["trials_per_arm"]
    what = f"to detect {change}"
    if r["margin"] is not None:
        what = f"to show non-inferiority at margin {r['margin']:g} if the true change is {change}"
    if "power_at_trials" in r:
        return f"power {r['power_at_trials']:.3f} with {n} trials per arm and target {what}"
    return f"{n} trials per arm and target for power {r['power']:g} {what}"


def _render_pilot(p: dict) -> list[str]:
    icc = p["icc"]
    lines = [f"pilot {p['path']}: {p['trials']} trials; per arm: pooled success rate (trials, seeds, seed rates)"]
    for a in p["arms"]:
        seeds = f"{a['seeds']} seeds, {a['seed_low']:.2f}–{a['seed_high']:.2f}"
        name = f"{a['arm']} ({a['levels']})" if a.get("levels") else a["arm"]
        lines.append(f"  {name}: {a['rate']:.3f} ({a['trials']} trials, {seeds})")
    lines.append(
        f"between-seed ICC ρ = {icc['rho']:.3f}, {icc['level']:.0%} interval [{icc['low']:.3f}, {icc['high']:.3f}]"
        f" — {icc['method']}: {icc['cells']} (arm, target) cells, {icc['seeds']} seeds ({icc['seeds_per_cell']:.1f}"
        f" per cell); interval: {icc['interval_method']}"
    )
    if icc["clamped"]:
        lines.append(
            f"  the estimate {icc['estimate']:.3f} is negative (no seed-to-seed variation beyond binomial noise)"
            ": clamped to 0"
        )
    if icc["few_seeds"]:
        lines.append(
            f"  caution: few seeds ({icc['df_between']} df between seeds): ρ is poorly determined; the plan at "
            f"ρ = {icc['high']:.3f}, its upper limit, is the safer one"
        )
    return lines


def _render_seeds(r: dict, change: str, sides: str) -> list[str]:
    plan = r["seed_plan"]
    goal = "to detect"
    if r["margin"] is not None:
        goal = f"to show non-inferiority at margin {r['margin']:g} if the true change is"
    head = "power of each design" if plan["asks"] == "power" else f"seeds per arm for power {r['power']:g}"
    lines = [
        f"{head} {goal} {change}, per target, ρ = {plan['icc']:.3f} ({plan['icc_source']}); {sides}",
        f"  analysis: {plan['method']}",
    ]
    cols = ["trials/seed", "design effect", "seeds/arm", "trials/arm", "power"]
    if plan["icc_high"] is not None and plan["asks"] == "seeds":
        cols.append(f"seeds/arm at ρ = {plan['icc_high']:.3f}")
    rows = [_seed_row(x, len(cols), plan["seeds_max"]) for x in [*plan["rows"], plan["floor"]]]
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(cols)]
    lines += ["  " + "  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in [cols, *rows]]
    lines.append("  ∞: the floor — between-seed variance alone, which more trials per seed cannot shrink")
    n = r["trials_per_arm_ignoring_seeds"]
    lines.append(f"ignoring seed-to-seed variation (ρ = 0): {n} trials per arm and target — {r['method']}")
    return lines


def _seed_row(x: dict, width: int, seeds_max: int) -> list[str]:
    m, k = x["trials_per_seed"], x["seeds_per_arm"]

    def seeds(v: int | None) -> str:
        return f"> {seeds_max}" if v is None else str(v)  # None: beyond --seeds-max

    row = [
        "∞" if m is None else str(m),
        "–" if m is None else f"{x['design_effect']:.2f}",
        seeds(k),
        "–" if x["trials_per_arm"] is None else str(x["trials_per_arm"]),
        "–" if x["power_at_seeds"] is None else f"{x['power_at_seeds']:.3f}",
    ]
    return [*row, seeds(x.get("seeds_per_arm_at_icc_high"))] if width > len(row) else row
