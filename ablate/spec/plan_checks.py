"""Plan-time checks across a spec's arms: the report's baseline and groups name real factors and levels, arms are
matched in budget unless a factor is declared budget-changing, every arm's job kind is registered, and a tuned
spec's search space and seeds are usable."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ablate.budget.matching import BudgetError, matched_quantity, plan_stages
from ablate.errors import InputError, Problem, join_key
from ablate.spec.factors import make_override
from ablate.spec.recipes import RecipeTree
from ablate.spec.schema import SweepSpec
from ablate.spec.yaml_lines import Document

if TYPE_CHECKING:
    from ablate.spec.plan import Arm


def report_problems(spec: SweepSpec, factors: dict, doc) -> list[Problem]:
    """`report.baseline` is FACTOR=LEVEL of this spec; `report.by` names targets' or factors' columns."""
    if spec.report is None:
        return []
    factor, level = spec.report.baseline.split("=")
    if factor not in factors:
        return [
            doc.problem("report.baseline", f"'{factor}' is not a factor of this spec; factors: {', '.join(factors)}")
        ]
    if factors[factor].level(level) is None:
        names = ", ".join(lv.name for lv in factors[factor].levels)
        return [doc.problem("report.baseline", f"'{level}' is not a level of {factor}; levels: {names}")]
    return [
        doc.problem(f"report.by[{i}]", f"'{c}' is neither embodiment, task nor a factor of this spec")
        for i, c in enumerate(spec.report.by)
        if c not in ("embodiment", "task", *factors)
    ]


def tune_problems(spec: SweepSpec, tree: RecipeTree, doc: Document, arms: list[Arm]) -> list[Problem]:
    """Tuning seeds apart from the final ones; every searched path is a recipe key no factor sets."""
    tune = spec.tune
    problems = [
        doc.problem(f"tune.seeds[{i}]", f"seed {s} is also a final seed: tune on seeds the comparison does not use")
        for i, s in enumerate(tune.seeds)
        if s in spec.seeds
    ]
    set_by_arms = {o.key for arm in arms for o in arm.sources}
    for key, dim in tune.space.items():
        path = join_key("tune.space", key)
        if key in set_by_arms:
            problems.append(doc.problem(path, f"'{key}' is set by a factor or override; a tuned path must be free"))
            continue
        value = dim.choices[0] if dim.choices is not None else dim.low
        try:
            tree.resolve([*arms[0].sources, make_override(key, value, path, tree.is_group)])
        except InputError as e:
            problems += e.problems
    try:
        plan_stages(arms[0].config, tune.budget)
    except BudgetError as e:
        problems.append(doc.problem("tune.budget", str(e)))
    return problems


def check_matched(arms: list[Arm], spec: SweepSpec, doc: Document) -> None:
    """Arms must consume the same budget — unless they differ in a factor declared budget-changing."""
    changing = spec.budget.budget_changing
    groups: dict[tuple[str, ...], list[tuple[Arm, str, float | None]]] = {}
    for arm in arms:
        key = tuple(arm.levels[f] for f in changing)
        groups.setdefault(key, []).append((arm, *matched_quantity(arm.budget)))
    for members in groups.values():
        first, what, amount = members[0]
        for arm, _, other in members[1:]:
            if amount is not None and other is not None and abs(other - amount) > spec.budget.tolerance * amount:
                differ = [f for f in arm.levels if arm.levels[f] != first.levels[f]]
                why = (
                    f"arms {first.name} and {arm.name} cannot be matched: under unit {spec.budget.unit} they see "
                    f"{amount:g} vs {other:g} {what} (batch sizes {batches(first)} vs {batches(arm)}). "
                    f"They differ in {', '.join(differ)}; use unit samples, "
                    "or declare the factor in budget.budget_changing."
                )
                raise InputError(doc.problem("budget", why))


def batches(arm: Arm) -> str:
    return "/".join(str(s.batch_size) for s in arm.budget)


def check_job_kinds(arms: list[Arm], spec: SweepSpec, doc: Document) -> None:
    from ablate.jobs.registry import known_kinds

    kinds = known_kinds()
    for arm in arms:
        job = arm.config.get("job")
        if job not in kinds:
            raise InputError(
                doc.problem(
                    "recipe",
                    (
                        f"recipe '{spec.recipe}' (arm {arm.name}) sets job: {job!r}; expected a registered job kind: "
                        f"{', '.join(sorted(kinds))}"
                    ),
                )
            )
