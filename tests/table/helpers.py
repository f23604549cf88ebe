"""A hand-made wide table (a paper's per-task layout) and the spec around it, small enough to compute by hand.

    platform task  A_SR A_PS B_SR B_PS
    P        1     10   20   0    5
    P        2     20   40   3    7
    Q        1     40   50   6    9

Means by platform: SR  P: A 15, B 1.5   Q: A 40, B 6    → Average: A 27.5, B 3.75
                   PS  P: A 30, B 6     Q: A 50, B 9    → Average: A 40,   B 7.5
"""

from __future__ import annotations

import textwrap
from pathlib import Path

WIDE_CSV = """\
platform,task,A_SR,A_PS,B_SR,B_PS,notes
P,1,10,20,0,5,x
P,2,20,40,3,7,y
Q,1,40,50,6,9,z
"""

SPEC = """\
title: Small table
source: data.csv
melt:
  id_columns: [platform, task]
  pattern: '(?P<model>[AB])_(?P<metric>SR|PS)'
rows: platform
columns: [metric, model]
value: value
aggregate: mean
margins: {name: Average, of: rows}
decimals: 2
reference:
  values:
    P: {SR: {A: 15, B: 1.5}}
    Average: {SR: {A: 27.5}, PS: {B: 7.5}}
"""


def write_small(root: Path, spec: str = SPEC, name: str = "spec.yaml") -> Path:
    """The wide CSV and a spec beside it; returns the spec's path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.csv").write_text(WIDE_CSV)
    path = root / name
    path.write_text(textwrap.dedent(spec))
    return path


def trial_rows(levels: dict[str, dict[str, list[int]]]) -> list[dict]:
    """Tidy trial-table rows: {factor: {level: successes per trial}}, two seeds splitting the trials."""
    rows = []
    for factor, by_level in levels.items():
        for level, successes in by_level.items():
            for trial, success in enumerate(successes):
                seed = trial % 2
                rows.append(
                    {"sweep": "s", "arm": level, "run": f"{level}-s{seed}", "seed": seed, factor: level,
                     "embodiment": "Panda", "task": "lift", "trial": trial, "success": success,
                     "progress": 0.5 + success / 2}
                )  # fmt: skip
    return rows


def marked_line(path: Path) -> int:
    """The 1-based line of the spec marked `# <-` (where the error must point)."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if "# <-" in line)
