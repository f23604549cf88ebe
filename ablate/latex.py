"""Text into LaTeX: the one escaper behind the report's `tables.tex` and `ablate table --format latex` captions.

One pass over the text (a character is never escaped twice): LaTeX's specials `\\ & % $ # _ { } ~ ^` become their
escaped forms, and the symbols ablate writes in headings and notes (−, Δ, χ², ≤, α…) become math that compiles
under plain pdflatex.
"""

from __future__ import annotations

import re

_SPECIALS = {c: rf"\{c}" for c in "&%$#_{}"} | {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SYMBOLS = {
    "χ²": r"$\chi^2$",
    "²": r"$^2$",
    "−": "$-$",
    "Δ": r"$\Delta$",
    "<": "$<$",
    ">": "$>$",
    "–": "--",
    "·": r"$\cdot$",
    "α": r"$\alpha$",
    "ρ": r"$\rho$",
    "½": r"$\frac{1}{2}$",
    "≠": r"$\neq$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
}
_REPLACE = _SPECIALS | _SYMBOLS
_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_REPLACE, key=len, reverse=True)))


def escape(text: str) -> str:
    """`text` as LaTeX source that prints it: `50% of a_b` → `50\\% of a\\_b`."""
    return _PATTERN.sub(lambda m: _REPLACE[m.group()], str(text))
