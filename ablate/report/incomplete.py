"""A sweep with runs missing from its trial table is reported only on request, and then says so on every page.

A report on 7 of 8 runs is not the sweep's report with one run fewer: every comparison pairs seeds, so the missing
run's seed drops out of its arm's comparisons together with its partner (the baseline's run of that seed), and a
verdict can flip (a Slurm report job that read a cancelled run's sweep turned "negative transfer, p = 0.031" into
"no significant negative transfer"). So `ablate report SWEEP` refuses an incomplete sweep (exit 2), the sweep's own
report (local launch or Slurm report job) is withheld, and `--partial` writes one whose every file — results.json,
report.md, report.html and each LaTeX table's caption — names the missing runs and what that does to the pairing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ablate import atomic, layout
from ablate.trials import missing_runs


@dataclass(frozen=True)
class Incomplete:
    planned: int
    missing: tuple[dict, ...]  # manifest entries: id, name, arm, seed
    what: str = "trials"  # what the missing runs have not written

    @property
    def names(self) -> list[str]:
        return [r["name"] for r in self.missing]

    def summary(self) -> str:
        shown = ", ".join(self.names[:8]) + (f", … ({len(self.missing)} runs)" if len(self.missing) > 8 else "")
        return f"{len(self.missing)} of {self.planned} planned runs have no {self.what} ({shown})"

    def pairing(self) -> str:
        seeds = sorted({str(r["seed"]) for r in self.missing})
        return (
            f"seeds are paired, so in every comparison involving a missing run's arm its seed ({', '.join(seeds)}) "
            "is left out on both sides, the baseline's run included (listed under Left out): fewer seeds and trials "
            "than planned are tested, and not the design the spec declared"
        )

    def banner(self) -> str:
        return f"INCOMPLETE SWEEP: {self.summary()}; {self.pairing()}."

    def to_json(self) -> dict:
        return {"planned": self.planned, "missing": self.names, "note": self.banner()}


def incompleteness(source: str | Path) -> Incomplete | None:
    """The sweep directory `source`'s missing runs, or None when every planned run wrote trials (or `source` is a
    trial-table file, which plans nothing)."""
    missing = missing_runs(source)
    if not missing:
        return None
    planned = len(atomic.read_json(Path(source) / layout.MANIFEST)["runs"])
    return Incomplete(planned, tuple(missing))
