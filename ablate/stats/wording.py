"""Numbers as ablate writes them, in one place for the verdicts (stats) and the report's tables (report): signed
differences with a true minus sign, p-values to three decimals or "< 0.001", intervals, and "–" for a number that
is not defined (None or NaN)."""

from __future__ import annotations

import math


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def p(x: float | None) -> str:
    """A p-value in a table cell: `0.042`, `< 0.001`, `–`."""
    if missing(x):
        return "–"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def p_is(x: float | None) -> str:
    """A p-value in a sentence: `= 0.042`, `< 0.001`, `not defined`."""
    if missing(x):
        return "not defined"
    return "< 0.001" if x < 0.001 else f"= {x:.3f}"


def signed(x: float | None) -> str:
    return "–" if missing(x) else f"{x:+.2f}".replace("-", "−")


def interval(estimate: float | None, ci: list[float | None], signed_: bool = False) -> str:
    f = signed if signed_ else (lambda v: "–" if missing(v) else f"{v:.2f}")
    if all(missing(v) for v in ci):
        return f(estimate)
    return f"{f(estimate)} [{f(ci[0])}, {f(ci[1])}]"
