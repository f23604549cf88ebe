"""GM-100's published per-task numbers as a trial table (the aggregated form of DESIGN.md): one row per model,
platform and task with `successes = round(SR × 15 / 100)` of 15 trials and the progress score as `progress`.

    .venv/bin/python analysis/gm100/make_trials.py      # writes analysis/gm100/trials.csv
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
SOURCE = HERE.parent / "lingbot" / "data" / "gm100_per_task.csv"  # LingBot-VLA appendix, copied from the paper
TRIALS_PER_TASK = 15


def trials(wide: pd.DataFrame) -> pd.DataFrame:
    models = [m.group(1) for c in wide.columns if (m := re.fullmatch(r"(.+)_SR", c))]
    rows = []
    for model in models:
        part = wide[["platform", "task", f"{model}_SR", f"{model}_PS"]]
        rows.append(
            pd.DataFrame(
                {
                    "sweep": "gm100",
                    "arm": model,
                    "seed": 0,
                    "embodiment": part["platform"],
                    "task": part["task"],
                    "successes": (part[f"{model}_SR"] * TRIALS_PER_TASK / 100).round().astype(int),
                    "trials": TRIALS_PER_TASK,
                    "progress": part[f"{model}_PS"] / 100,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


if __name__ == "__main__":
    table = trials(pd.read_csv(SOURCE, dtype={"task": str}))
    table.to_csv(HERE / "trials.csv", index=False)
    print(f"{len(table)} rows, {int(table['trials'].sum())} trials → {HERE / 'trials.csv'}")
