"""The README's Meta-World commands: `ablate env record` run exactly as written, then the README's sweep spec
(experiments/metaworld_pooling.yaml) run by `ablate run` with its seeds, budget and trials cut down (the full study
takes about 8 minutes here: its figures are in analysis/results/metaworld_pooling/), ending in its report."""

from __future__ import annotations

import json
import re
import shlex

import yaml

from tests.conftest import REPO


def readme_commands() -> list[str]:
    section = (REPO / "README.md").read_text().split("\n## Evaluation in any environment", 1)[1]
    block = re.search(r"^```bash\n(.*?)^```$", section, flags=re.S | re.M).group(1)
    return [line.split("   #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_metaworld_study_runs(project):
    record, run = readme_commands()
    assert shlex.split(record)[:3] == ["ablate", "env", "record"] and shlex.split(run)[:2] == ["ablate", "run"]
    done = project.cli(*shlex.split(record)[1:], timeout=600)
    assert done.code == 0, done.stderr[-2000:]
    assert {p.name for p in (project.root / "data" / "metaworld").iterdir()} >= {
        "sawyer_reach", "sawyer_push", "sawyer_pick-place", "embodiments", "sawyer_reach.ablate.yaml"
    }  # fmt: skip
    spec_path = shlex.split(run)[2]
    spec = yaml.safe_load((REPO / spec_path).read_text())
    spec |= {"seeds": [0, 1], "budget": {"unit": "samples", "per_run": 640}}
    spec["evaluate"]["trials"] = 2
    (project.root / spec_path).write_text(yaml.safe_dump(spec, sort_keys=False))
    done = project.cli(*shlex.split(run)[1:], timeout=1200)
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sweep = project.root / "sweeps" / spec["name"]
    results = json.loads((sweep / "report" / "results.json").read_text())
    assert [c["label"] for c in results["comparisons"]] == ["pooled vs reach_only"]
    import pandas as pd

    trials = pd.read_parquet(sweep / "trials")
    assert len(trials) == 2 * 2 * 2 and set(trials["embodiment"]) == {"sawyer"} and set(trials["task"]) == {"reach"}
    assert trials["progress"].isna().all()  # Meta-World defines none
