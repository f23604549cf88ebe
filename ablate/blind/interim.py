"""`ablate blind status`: the interim check of a blinded evaluation in progress. Which pairs of aliases are already
settled on which target, and which need more trials?

It reads only the plan folder (plan.json, the run sheet, the partly filled outcome sheet), never the sealed key, and
names only aliases. For every group, target and pair of aliases in the group, the sequential comparison
(ablate/stats/sequential_decision.py) decides, two-sided, with the maximum from plan.json (`trials_per_target`):
trial k of one alias is paired with trial k of the other (the same round of the run sheet), and a pair counts once
both are judged. The family is every pair × target in the plan, fixed at planning, so the Bonferroni level does not
move as the sheet fills; looking after every trial is allowed, since each test holds at any stopping time."""

from __future__ import annotations

from dataclasses import asdict
from itertools import combinations
from math import comb
from pathlib import Path

from ablate.blind.assign import Trial
from ablate.blind.plan import PLAN, read_plan
from ablate.blind.sheets import OUTCOME_SHEET, RUN_SHEET, read_outcomes, read_run_sheet
from ablate.errors import InputError
from ablate.stats.sequential_boundary import BETTER, WORSE
from ablate.stats.sequential_decision import STATES, compare, method_text


def interim(folder: Path, alpha: float = 0.05) -> dict:
    """The decisions so far, as a strict-JSON-able dict: settings, method, correction and one entry per (group,
    target, pair of aliases) with each alias's counts, the pairs not yet complete and the decision."""
    if not 0 < alpha < 1:
        raise InputError.single("--alpha", "", f"expected a level in (0, 1), got {alpha}")
    plan = read_plan(folder)
    groups, targets, max_trials = _plan_fields(folder / PLAN, plan)
    trials = read_run_sheet(folder / RUN_SHEET)
    _check_run_sheet(folder / RUN_SHEET, trials, groups, targets, max_trials)
    outcomes = {row["trial_id"]: row["success"] for row in read_outcomes(folder / OUTCOME_SHEET, trials, partial=True)}
    judged: dict[tuple[str, str, str], dict[int, int]] = {}  # (group, target, alias) -> {trial: success}
    for tid, t in trials.items():
        if tid in outcomes:
            judged.setdefault((t.group, t.target, t.alias), {})[t.trial] = outcomes[tid]
    family = sum(comb(len(aliases), 2) for aliases in groups.values()) * len(targets)
    each = alpha / family
    entries = [
        _entry(judged, group, target, a, b, max_trials, each)
        for group, aliases in groups.items()
        for target in targets
        for a, b in combinations(aliases, 2)
    ]
    return {
        "plan": plan.get("name") or folder.name,
        "alpha": alpha,
        "max_trials": max_trials,
        "trials_planned": len(trials),
        "trials_judged": len(outcomes),
        "family_size": family,
        "alpha_per_test": each,
        "correction": f"Bonferroni over the plan's {family} alias pair(s) × target(s): each at α/{family} = "
        f"{each:.3g}; valid under any dependence and at any stopping time",
        "method": method_text(max_trials, each, "two-sided"),
        "comparisons": entries,
    }


def _plan_fields(path: Path, plan: dict) -> tuple[dict[str, list[str]], list[str], int]:
    groups, targets, n = plan.get("groups"), plan.get("targets"), plan.get("trials_per_target")
    if not isinstance(groups, dict) or not all(
        isinstance(a, list) and len(a) >= 2 and all(isinstance(x, str) for x in a) for a in groups.values()
    ):
        raise InputError.single(path, "groups", "expected {group: [alias, …]} with at least two aliases per group")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise InputError.single(path, "targets", "expected a list of embodiment/task")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InputError.single(path, "trials_per_target", f"expected a whole number ≥ 1, got {n!r}")
    return groups, targets, n


def _check_run_sheet(
    path: Path, trials: dict[str, Trial], groups: dict[str, list[str]], targets: list[str], n: int
) -> None:
    for t in trials.values():
        if t.alias not in groups.get(t.group, []):
            raise InputError.single(path, "alias", f"trial {t.trial_id}: alias {t.alias!r} is not in {t.group}")
        if t.target not in targets:
            raise InputError.single(path, "target", f"trial {t.trial_id}: target {t.target!r} is not in the plan")
        if not 1 <= t.trial <= n:
            raise InputError.single(path, "trial", f"trial {t.trial_id}: trial {t.trial} outside 1…{n}")


def _entry(judged: dict, group: str, target: str, a: str, b: str, max_trials: int, alpha: float) -> dict:
    done_a, done_b = judged.get((group, target, a), {}), judged.get((group, target, b), {})
    # Trial k of each is the same round of the run sheet. Only the unbroken run of rounds from the first counts: a
    # round judged out of order would otherwise slot into the middle of a sequence already looked at, and the
    # test is valid for sequences that only ever grow at the end.
    both = []
    while len(both) + 1 in done_a and len(both) + 1 in done_b:  # rounds are numbered 1, 2, … on the run sheet
        both.append(len(both) + 1)
    decision = compare([done_a[k] for k in both], [done_b[k] for k in both], max_trials, alpha, "two-sided")
    named = {STATES[BETTER]: f"stop: {a} better", STATES[WORSE]: f"stop: {b} better"}
    verdict = named.get(decision.state, decision.state)
    return {
        "group": group,
        "target": target,
        "aliases": [a, b],
        "counts": {
            alias: {"successes": sum(done.values()), "trials": len(done)} for alias, done in ((a, done_a), (b, done_b))
        },
        "waiting_for_partner": len(done_a) + len(done_b) - 2 * len(both),  # incl. rounds after a gap
        "verdict": verdict,
        "decision": asdict(decision),
    }


def status_lines(result: dict) -> list[str]:
    """What `ablate blind status` prints: one line per group, target and pair of aliases, then what is settled."""
    out = [
        f"{result['plan']}: {result['trials_judged']} of {result['trials_planned']} trials judged; "
        f"at most {result['max_trials']} per model and target",
        f"method: {result['method']}",
        f"family: {result['correction']}",
    ]
    width = max(len(f"{c['group']} {c['target']}") for c in result["comparisons"])
    for c in result["comparisons"]:
        a, b = c["aliases"]
        ca, cb = c["counts"][a], c["counts"][b]
        counts = f"{ca['successes']}/{ca['trials']} vs {cb['successes']}/{cb['trials']}"
        where = f"{c['group']} {c['target']}".ljust(width)
        out.append(f"{where}  {a} vs {b}: {counts} — {c['verdict']}{_detail(c)}")
    out += _settled(result["comparisons"])
    return out


def _detail(c: dict) -> str:
    d = c["decision"]
    if d["threshold"] is None:
        return " (no decision can reach this level)"
    e = max(d["e_value_better"], d["e_value_worse"])
    where = f"after {d['pairs']} pair(s)" if d["state"] != "continue" else f"{d['trials_remaining']} trial(s) left"
    waiting = f"; {c['waiting_for_partner']} trial(s) wait for their pair" if c["waiting_for_partner"] else ""
    return f" (e = {e:.3g}, threshold {d['threshold']:.3g}; {where}{waiting})"


def _settled(comparisons: list[dict]) -> list[str]:
    places = list(dict.fromkeys((c["group"], c["target"]) for c in comparisons))
    done = [p for p in places if all(c["verdict"] != "continue" for c in comparisons if (c["group"], c["target"]) == p)]
    if not done:
        return ["no group and target is settled yet: keep running the run sheet"]
    return [f"settled, no more trials needed: {', '.join(f'{g} {t}' for g, t in done)}"]
