"""One LaTeX escaper for the report's tables.tex and `ablate table --format latex`: every special, in one pass."""

from __future__ import annotations

import pytest

from ablate.latex import escape


def test_every_latex_special_is_escaped_once():
    text = r"\ & % $ # _ { } ~ ^"
    assert escape(text) == (
        r"\textbackslash{} \& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{}"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("a_b 50%", r"a\_b 50\%"),
        (r"C:\new{x}", r"C:\textbackslash{}new\{x\}"),  # the backslash's own braces are not escaped again
        ("$5 & ~x^2", r"\$5 \& \textasciitilde{}x\textasciicircum{}2"),
        ("χ² = 3.2, Δ −0.15 (α ≤ 0.05)", r"$\chi^2$ = 3.2, $\Delta$ $-$0.15 ($\alpha$ $\leq$ 0.05)"),
        ("p < 0.05 – ρ ≥ ½", r"p $<$ 0.05 -- $\rho$ $\geq$ $\frac{1}{2}$"),
        ("plain text", "plain text"),
    ],
)
def test_text_becomes_latex_that_prints_it(text, latex):
    assert escape(text) == latex


def test_the_report_and_paper_tables_share_it():
    from ablate.report import write
    from ablate.table import render

    assert write.latex.escape is escape and render.latex_escape is escape
