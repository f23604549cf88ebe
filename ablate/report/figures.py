"""The report's three figures as inline SVG (report.html stays one self-contained file): a forest plot of the
transfer deltas with their intervals, a heat map of transfer from each compared level (the source of extra data,
or the model) to each target, and per-target success with intervals. With many targets (a paper's hundred tasks)
the plots show groups of targets (`--by`) instead of single targets, so they stay readable."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: selectable in the page, faster than glyph paths
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

from ablate.report.text import signed  # noqa: E402

MANY = 40  # above this many targets, plots show groups


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # same input, same bytes
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog: the SVG sits inside HTML


def error_bar(estimate: float, low: float, high: float) -> list[list[float]]:
    """matplotlib's yerr: lengths below and above the point, never negative (interval bounds from a library can sit
    a float's width beyond the estimate at 0/n and n/n, and matplotlib refuses a negative length)."""
    return [[max(0.0, estimate - low)], [max(0.0, high - estimate)]]


def _points(comparison: dict) -> list[tuple[str, float, float, float]]:
    """(label, estimate, low, high) per target, or per group and overall when there are many targets."""
    if len(comparison["targets"]) <= MANY:
        return [(t["target"], t["delta"]["estimate"], *t["delta"]["ci"]) for t in comparison["targets"]]
    out = []
    for g in comparison["groups"] + ([comparison["overall"]] if comparison["overall"] else []):
        where = ", ".join(str(v) for v in g.get("group", {}).values()) or "all targets"
        out.append((f"{where} (mean of {g['targets']})", g["mean_delta"]["estimate"], *g["mean_delta"]["ci"]))
    return out


def forest(result: dict) -> str:
    rows = [(c["label"], *pt) for c in result["comparisons"] for pt in _points(c)]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    ys = list(range(len(rows)))[::-1]
    for y, (_, _, est, low, high) in zip(ys, rows, strict=True):
        ax.plot([low, high], [y, y], color="tab:blue", lw=1.5)
        color = "tab:red" if high < 0 else "tab:blue" if low > 0 else "dimgrey"  # interval below / above / across 0
        ax.plot(est, y, "o", color=color, ms=4)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ys, [f"{c} · {t}" for c, t, *_ in rows], fontsize=7)
    ax.set_xlabel(f"Δ success rate, arm − baseline (per target: {result['methods']['delta_interval']})", fontsize=8)
    ax.set_title("Transfer deltas", fontsize=10)
    return _svg(fig)


def heatmap(result: dict) -> str:
    comparisons = result["comparisons"]
    columns = list(dict.fromkeys(label for c in comparisons for label, *_ in _points(c)))
    grid = [[None] * len(columns) for _ in comparisons]
    for i, c in enumerate(comparisons):
        for label, est, *_ in _points(c):
            grid[i][columns.index(label)] = est
    values = [[float("nan") if v is None else v for v in row] for row in grid]
    fig, ax = plt.subplots(figsize=(max(4, 0.55 * len(columns) + 2.5), 0.45 * len(comparisons) + 1.5))
    limit = max([abs(v) for row in values for v in row if v == v] + [0.05])
    image = ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(comparisons)), [c["label"] for c in comparisons], fontsize=7)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v == v:
                dark = abs(v) > 0.6 * limit  # the colour map's ends are dark: white text there
                ax.text(j, i, signed(v), ha="center", va="center", fontsize=6, color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label="Δ success rate")
    ax.set_title("Transfer: compared level (source) → target", fontsize=10)
    return _svg(fig)


def success(result: dict) -> str:
    design = result["design"]
    keys = [design["column"], *design["strata"]]
    rates = result["rates"]
    targets = list(dict.fromkeys(f"{r['embodiment']}/{r['task']}" for r in rates))
    if len(targets) > MANY:  # one point per arm and embodiment: pooled successes / trials over its tasks
        return _success_by_embodiment(result, keys)
    arms = list(dict.fromkeys(" · ".join(str(r[k]) for k in keys) for r in rates))
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(targets) + 2), 3.2))
    width = 0.8 / max(1, len(arms))
    for a, arm in enumerate(arms):
        mine = [r for r in rates if " · ".join(str(r[k]) for k in keys) == arm]
        for k, r in enumerate(mine):
            x = targets.index(f"{r['embodiment']}/{r['task']}") - 0.4 + width * (a + 0.5)
            error = error_bar(r["rate"], *r["ci"])
            ax.errorbar(x, r["rate"], yerr=error, fmt="o", color=f"C{a}", ms=4, capsize=2, label=None if k else arm)
    ax.set_xticks(range(len(targets)), targets, rotation=30, ha="right", fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(f"success rate ({result['methods']['rate_interval']} interval)")
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Success per target", fontsize=10)
    return _svg(fig)


def _success_by_embodiment(result: dict, keys: list[str]) -> str:
    from ablate.stats.proportions import rate

    pooled: dict[tuple[str, str], list[int]] = {}
    for r in result["rates"]:
        arm = " · ".join(str(r[k]) for k in keys)
        cell = pooled.setdefault((arm, r["embodiment"]), [0, 0])
        cell[0] += r["successes"]
        cell[1] += r["trials"]
    arms = list(dict.fromkeys(a for a, _ in pooled))
    robots = list(dict.fromkeys(e for _, e in pooled))
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(robots) + 2), 3.2))
    width = 0.8 / len(arms)
    method = result["options"]["rate_method"]
    for a, arm in enumerate(arms):
        for e, robot in enumerate(robots):
            if (arm, robot) not in pooled:
                continue
            ci = rate(*pooled[(arm, robot)], method)
            ax.errorbar(
                e - 0.4 + width * (a + 0.5),
                ci.estimate,
                yerr=error_bar(ci.estimate, ci.low, ci.high),
                fmt="o",
                color=f"C{a}",
                ms=4,
                capsize=2,
                label=arm if e == 0 else None,
            )
    ax.set_xticks(range(len(robots)), robots, fontsize=8)
    ax.set_ylabel("success, pooled over tasks (interval ignores task variation)", fontsize=7)
    ax.legend(fontsize=7)
    ax.set_title("Success per embodiment", fontsize=10)
    return _svg(fig)
