"""Pre-registered hypotheses: checked against the plan (factors, levels, arms, evaluated targets), and the part of
a spec that is frozen with them when the sweep starts.

What is frozen: everything that decides what is compared and on which data — recipe, seeds, overrides, factors,
grid, budget, evaluation and the hypotheses themselves — plus the run ids, which hash every arm's resolved
config (so an edited recipe is caught as well). Not frozen: the description, the launcher (where it runs) and the
`report:` block (exploratory analyses may change; they are labelled as such).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ablate.canonical import canonical_hash
from ablate.errors import Problem, join_key
from ablate.naming import level_name, target_name
from ablate.spec.factors import Factor

if TYPE_CHECKING:
    from ablate.spec.plan import Arm
    from ablate.spec.schema import SweepSpec
    from ablate.spec.yaml_lines import Document

UNFROZEN_KEYS = ("description", "launcher", "report")


def frozen_content(spec: SweepSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude=set(UNFROZEN_KEYS))


def content_hash(content: Any) -> str:
    return canonical_hash(content)


def evaluated_targets(arms: list[Arm]) -> list[str]:
    """ROBOT/TASK of every target some arm is evaluated on, in first-seen order."""
    seen: list[str] = []
    for arm in arms:
        task = arm.config.get("data", {}).get("task")
        for t in (arm.config.get("eval") or {}).get("targets") or []:
            name = target_name(t["robot"], t.get("task", task))
            if name not in seen:
                seen.append(name)
    return seen


def hypothesis_problems(spec: SweepSpec, factors: list[Factor], arms: list[Arm], doc: Document) -> list[Problem]:
    if spec.hypotheses is None:
        return []
    by_name = {f.name: f for f in factors}
    targets = evaluated_targets(arms)
    problems: list[Problem] = []
    for i, h in enumerate(spec.hypotheses.tests):
        path = join_key("hypotheses", "tests", i)
        factor, level = h.arm.split("=")
        base = h.baseline.split("=")[1]
        if factor not in by_name:
            problems.append(
                doc.problem(
                    join_key(path, "arm"), f"'{factor}' is not a factor of this spec; factors: {', '.join(by_name)}"
                )
            )
            continue
        for key, lv in (("arm", level), ("baseline", base)):
            if by_name[factor].level(lv) is None:
                names = ", ".join(x.name for x in by_name[factor].levels)
                problems.append(doc.problem(join_key(path, key), f"'{lv}' is not a level of {factor}; levels: {names}"))
        if level == base:
            problems.append(doc.problem(join_key(path, "arm"), "the arm and the baseline are the same level"))
        for other, lv in h.where.items():
            wpath = join_key(path, "where", other)
            if other == factor or other not in by_name:
                problems.append(
                    doc.problem(wpath, f"expected another factor of this spec than {factor}: {', '.join(by_name)}")
                )
            elif by_name[other].level(level_name(lv)) is None:
                names = ", ".join(x.name for x in by_name[other].levels)
                problems.append(doc.problem(wpath, f"'{lv}' is not a level of {other}; levels: {names}"))
        for j, t in enumerate(h.targets or []):
            if t not in targets:
                problems.append(
                    doc.problem(
                        join_key(path, "targets", j),
                        f"'{t}' is not evaluated by any arm; evaluated: {', '.join(targets)}",
                    )
                )
        if not problems and not _paired_arms(h, arms):
            problems.append(
                doc.problem(
                    path,
                    f"no pair of arms compares {h.arm} with {h.baseline}"
                    + (f" where {h.where}" if h.where else "")
                    + " with the other factors at the same levels (check grid.exclude)",
                )
            )
    return problems


def _paired_arms(h, arms: list[Arm]) -> bool:
    factor, level = h.arm.split("=")
    base = h.baseline.split("=")[1]
    where = {k: level_name(v) for k, v in h.where.items()}

    def rest(arm: Arm) -> tuple:
        return tuple(sorted((k, v) for k, v in arm.levels.items() if k != factor))

    chosen = [a for a in arms if all(a.levels.get(k) == v for k, v in where.items())]
    treated = {rest(a) for a in chosen if a.levels.get(factor) == level}
    return any(rest(a) in treated for a in chosen if a.levels.get(factor) == base)
