"""Every output format renders ours beside the published value and can be read back by its usual reader."""

from __future__ import annotations

import io
import json

import pandas as pd

from tests.conftest import run_cli
from tests.table.helpers import SPEC, write_small


def _render(tmp_path, fmt: str, spec: str = SPEC) -> str:
    result = run_cli("table", write_small(tmp_path, spec), "--format", fmt)
    assert result.code == 0, result.stderr
    return result.stdout


def test_markdown_is_the_default_with_ours_then_published_in_brackets(tmp_path):
    text = _render(tmp_path, "md")
    assert text == run_cli("table", tmp_path / "spec.yaml").stdout
    assert text.startswith("### Small table\n")
    # Levels in the published order (SR first, A before B), each group whole though PS / A is not published.
    assert "| platform | SR / A | SR / B | PS / A | PS / B |" in text
    assert "| P | 15.00 (15.00) | 1.50 (1.50) | 30.00 | 6.00 |" in text
    assert "| Average | 27.50 (27.50) | 3.75 | 40.00 | 7.50 (7.50) |" in text
    assert "Each cell: ours (published); published: spec.yaml: reference.values." in text


def test_latex_is_booktabs_with_escaped_labels_and_grouped_column_headers(tmp_path):
    spec = SPEC.replace("title: Small table", "title: 'Success in % & more'")
    text = _render(tmp_path, "latex", spec.replace("decimals: 2", "decimals: 2\nlabels: {platform: {Q: Q_x}}"))
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in text
    assert r"\caption{Success in \% \& more}" in text
    assert r"\multicolumn{2}{c}{SR} & \multicolumn{2}{c}{PS}" in text
    assert r"P & 15.00 (15.00) & 1.50 (1.50) & 30.00 & 6.00 \\" in text
    assert r"Q\_x & 40.00 & 6.00 & 50.00 & 9.00 \\" in text
    assert "% Each cell: ours (published)" in text


def test_csv_has_one_record_per_cell_with_ours_and_published_in_separate_columns(tmp_path):
    cells = pd.read_csv(io.StringIO(_render(tmp_path, "csv")))
    assert list(cells.columns) == ["platform", "metric", "model", "ours", "published", "difference"]
    assert len(cells) == 3 * 4
    p_sr_b = cells.query("platform == 'P' and metric == 'SR' and model == 'B'").iloc[0]
    assert (p_sr_b.ours, p_sr_b.published, p_sr_b.difference) == (1.5, 1.5, 0.0)
    q_ps_a = cells.query("platform == 'Q' and metric == 'PS' and model == 'A'").iloc[0]
    assert q_ps_a.ours == 50 and pd.isna(q_ps_a.published) and pd.isna(q_ps_a.difference)


def test_json_carries_the_cells_and_what_they_mean(tmp_path):
    document = json.loads(_render(tmp_path, "json"))
    assert document["title"] == "Small table"
    assert (document["rows"], document["columns"], document["decimals"]) == (["platform"], ["metric", "model"], 2)
    average = [c for c in document["cells"] if c["platform"] == "Average" and c["model"] == "A"]
    assert average == [
        {"platform": "Average", "metric": "SR", "model": "A", "ours": 27.5, "published": 27.5, "difference": 0.0},
        {"platform": "Average", "metric": "PS", "model": "A", "ours": 40.0, "published": None, "difference": None},
    ]


def test_an_unknown_format_is_bad_input(tmp_path):
    result = run_cli("table", write_small(tmp_path), "--format", "html")
    assert result.code == 2
    assert "html" in result.stderr
