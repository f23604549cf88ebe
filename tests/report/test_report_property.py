"""Property: any valid trial table gives a report — tiny n, 0/n and n/n, one seed, one trial, unbalanced arms,
missing cells, per-trial or aggregated rows. Either all four files are written and results.json is strict JSON,
or the table has nothing to compare and the error says why (the CLI's exit 2). Runs the same functions as
`ablate report`, in process, so that enough examples fit in CI to find the 0/3 crash of old."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ablate.report.write import FILES, write_report
from ablate.stats.analysis import NothingToCompare, Options, analyse
from ablate.stats.counts import Design

ARMS = ("base", "pooled", "other")
TARGETS = (("Panda", "lift"), ("UR5e", "lift"), ("IIWA", "stack"))


@st.composite
def trial_tables(draw) -> tuple[pd.DataFrame, bool]:
    arms = ARMS[: draw(st.integers(2, 3))]
    seeds = draw(st.integers(1, 2))
    aggregated = draw(st.booleans())
    with_progress = draw(st.booleans())
    rows = []
    for arm in arms:
        for seed in range(seeds):
            for robot, task in TARGETS[: draw(st.integers(1, 3))]:
                if draw(st.integers(0, 5)) == 0:
                    continue  # a missing cell: this arm/seed never ran this target
                n = draw(st.integers(1, 7))
                k = draw(st.sampled_from([0, n, draw(st.integers(0, n))]))  # 0/n and n/n often
                cell = {"arm": arm, "seed": seed, "embodiment": robot, "task": task}
                if aggregated:
                    rows.append(cell | {"successes": k, "trials": n} | ({"progress": k / n} if with_progress else {}))
                else:
                    for trial in range(n):
                        progress = {"progress": round(draw(st.floats(0, 1)), 2)} if with_progress else {}
                        rows.append(cell | {"trial": trial, "success": int(trial < k)} | progress)
    return pd.DataFrame(rows), aggregated


def _refuse(token: str):
    raise ValueError(f"non-standard JSON token {token}")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=trial_tables(), rate_ci=st.sampled_from(["wilson", "jeffreys", "clopper-pearson"]))
def test_every_valid_table_gives_a_whole_report(tmp_path_factory, data, rate_ci):
    table, _ = data
    if table.empty or "base" not in set(table["arm"]):
        return  # no baseline: refused earlier, with its own test in test_analysis
    options = Options(rate_method=rate_ci, delta_method="miettinen-nurminen", resamples=100)
    try:
        result = analyse(table, Design(baseline="base"), options)
    except NothingToCompare as e:
        assert "nothing to compare" in str(e) or "no comparison can be tested" in str(e)
        return
    out = tmp_path_factory.mktemp("report")
    written = write_report(result, out, "property")
    assert not written.failed and not written.warnings, (written.failed, written.warnings)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    parsed = json.loads((out / "results.json").read_text(), parse_constant=_refuse)
    tested = {t["target"] for c in parsed["comparisons"] for t in c["targets"]}
    left = {t["target"] for c in parsed["comparisons"] for t in c["left_out"]}
    assert tested | left | {u["label"] for u in parsed["untestable"]}  # every target is tested or accounted for
