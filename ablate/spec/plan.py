"""spec → plan: validated spec, arms resolved against the recipes, matched budgets, runs = arms × seeds.

Planning reads files and writes nothing; it does not import torch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ablate.budget.matching import BudgetError, StageBudget, matched_quantity, plan_stages
from ablate.canonical import canonical_hash
from ablate.errors import InputError, Problem, join_key
from ablate.spec.factors import Override, make_override, parse_factors
from ablate.spec.grid import Combination, expand_grid
from ablate.spec.hypotheses import hypothesis_problems
from ablate.spec.recipe_dirs import find_recipe_dirs
from ablate.spec.recipes import RecipeTree, hydra_overrides
from ablate.spec.run_checks import checked_run_config, unchecked_root
from ablate.spec.schema import BudgetSpec, SweepSpec, validate_spec
from ablate.spec.yaml_lines import Document, load_yaml

MAX_PROBLEMS = 25


@dataclass(frozen=True)
class Arm:
    id: str  # short hash of the resolved config: same config, same id, whatever the YAML looked like
    name: str  # readable, from level names
    levels: dict[str, str]
    overrides: list[str]  # Hydra override strings
    config: dict[str, Any] = field(repr=False)
    budget: list[StageBudget] = field(repr=False)
    sources: tuple[Override, ...] = field(default=(), repr=False)  # the overrides behind `overrides`


@dataclass(frozen=True)
class PlannedRun:
    id: str
    name: str
    arm: str
    seed: int


@dataclass
class Plan:
    spec: SweepSpec
    spec_path: Path
    spec_text: str
    project_root: Path
    arms: list[Arm]
    runs: list[PlannedRun]
    tree: RecipeTree | None = field(default=None, repr=False)

    @property
    def notes(self) -> list[str]:
        """What planning could not check here, said aloud by `ablate plan` and `ablate run`."""
        roots = sorted({str(r) for r in (unchecked_root(a.config) for a in self.arms) if r is not None})
        return [
            f"data.root {root} does not exist on this machine: the datasets the mixtures name are checked when "
            "each run starts"
            for root in roots
        ]

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self.spec_text.encode()).hexdigest()[:12]

    def arm(self, arm_id: str) -> Arm:
        return next(a for a in self.arms if a.id == arm_id)

    def to_json(self) -> dict[str, Any]:
        b = self.spec.budget
        return {
            "sweep": {
                "name": self.spec.name,
                "spec": str(self.spec_path),
                "spec_hash": self.spec_hash,
                "recipe": self.spec.recipe,
                "seeds": self.spec.seeds,
                "factors": list(self.spec.factors),
                "budget": {
                    "unit": b.unit,
                    "per_run": b.per_run,
                    "tolerance": b.tolerance,
                    "budget_changing": b.budget_changing,
                },
            },
            "arms": [
                {
                    "id": a.id,
                    "name": a.name,
                    "levels": a.levels,
                    "overrides": a.overrides,
                    "budget": [s.to_dict() for s in a.budget],
                }
                for a in self.arms
            ],
            "runs": [{"id": r.id, "name": r.name, "arm": r.arm, "seed": r.seed} for r in self.runs],
        }


def config_hash(config: dict[str, Any]) -> str:
    return canonical_hash(config, 10)


def find_project_root(spec_path: Path) -> Path:
    """The folder above the spec holding `recipes/` (Slurm profiles are found from it), else the spec's folder:
    a spec needs no recipes of its own, the shipped ones serve (`recipe_dirs.py`)."""
    for parent in spec_path.resolve().parents:
        if (parent / "recipes").is_dir():
            return parent
    return spec_path.resolve().parent


def _report_problems(spec: SweepSpec, factors: dict, doc) -> list[Problem]:
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


def make_plan(spec_path: str | Path, recipes: str | Path | None = None) -> Plan:
    """RECIPES: the user's recipe tree (`--recipes`); default $ABLATE_RECIPES, else a recipes/ folder beside the
    spec or above it. The shipped recipes always come after it; `plan.tree.dirs.describe()` says which were used."""
    spec_path = Path(spec_path)
    doc = load_yaml(spec_path)
    spec = validate_spec(doc)
    root = find_project_root(spec_path)
    tree = RecipeTree(find_recipe_dirs(recipes, spec_path.resolve().parent), spec.recipe, doc)
    factors, problems = parse_factors(spec.factors, doc, tree.is_group, set(tree.base()))
    problems += [
        doc.problem(f"budget.budget_changing[{i}]", f"'{n}' is not a factor of this spec")
        for i, n in enumerate(spec.budget.budget_changing)
        if n not in spec.factors
    ]
    problems += _report_problems(spec, {f.name: f for f in factors}, doc)
    if problems:
        raise InputError(problems)
    combos = expand_grid(factors, spec.grid, doc)
    shared = [make_override(k, v, join_key("overrides", k), tree.is_group) for k, v in spec.overrides.items()]
    if spec.evaluate is not None:  # the spec's evaluation is every arm's: the same targets and trials
        targets = [t.model_dump() for t in spec.evaluate.targets]
        shared += [
            make_override("eval.targets", targets, "evaluate.targets", tree.is_group),
            make_override("eval.trials", spec.evaluate.trials, "evaluate.trials", tree.is_group),
        ]
    arms = _resolve_arms(combos, shared, tree, spec, doc)
    problems = hypothesis_problems(spec, factors, arms, doc)
    if problems:
        raise InputError(problems)
    _check_matched(arms, spec, doc)
    _check_job_kinds(arms, spec, doc)
    runs = [PlannedRun(f"{a.id}-s{s}", f"{a.name}-s{s}", a.id, s) for a in arms for s in spec.seeds]
    if spec.tune is not None:
        problems = _tune_problems(spec, tree, doc, arms)
        if problems:
            raise InputError(problems)
    return Plan(spec, spec_path, spec_path.read_text(), root, arms, runs, tree)


def _tune_problems(spec: SweepSpec, tree: RecipeTree, doc: Document, arms: list[Arm]) -> list[Problem]:
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


def with_overrides(plan: Plan, arm: Arm, values: dict[str, Any], budget: BudgetSpec, origin: str) -> Arm:
    """`arm` with extra config values (a tuning trial's, or an arm's tuned best) and the given budget."""
    extra = [make_override(k, v, join_key(origin, k), plan.tree.is_group) for k, v in values.items()]
    sources = [*arm.sources, *extra]
    config = plan.tree.resolve(sources)
    return Arm(
        config_hash(config),
        arm.name,
        dict(arm.levels),
        hydra_overrides(sources),
        config,
        plan_stages(config, budget),
        tuple(sources),
    )


def _resolve_arms(
    combos: list[Combination], shared: list[Override], tree: RecipeTree, spec: SweepSpec, doc: Document
) -> list[Arm]:
    arms: list[Arm] = []
    problems: list[Problem] = []
    by_id: dict[str, Arm] = {}
    for combo in combos:
        name = "-".join(lv.name for lv in combo.values()) or "base"
        overrides = shared + [o for lv in combo.values() for o in lv.overrides]
        try:
            _check_conflicts(overrides, combo, doc)
            config = tree.resolve(overrides)
            typed = checked_run_config(config, overrides, name, spec.recipe, doc)
            budget = plan_stages(typed, spec.budget)
        except InputError as e:
            problems += [p for p in e.problems if p not in problems]
            continue
        except BudgetError as e:
            problems.append(doc.problem("budget", f"arm {name}: {e}"))
            continue
        finally:
            if len(problems) >= MAX_PROBLEMS:
                raise InputError(problems)
        arm = Arm(
            config_hash(config),
            name,
            {f: lv.name for f, lv in combo.items()},
            hydra_overrides(overrides),
            config,
            budget,
            tuple(overrides),
        )
        if arm.id in by_id:
            problems.append(
                doc.problem(
                    "factors",
                    f"arms {by_id[arm.id].name} and {name} resolve to the same config "
                    f"(id {arm.id}): their levels change nothing between them",
                )
            )
            continue
        by_id[arm.id] = arm
        arms.append(arm)
    if problems:
        raise InputError(problems)
    return arms


def _check_conflicts(overrides: list[Override], combo: Combination, doc: Document) -> None:
    seen: dict[str, Override] = {}
    for o in overrides:
        if o.key in seen and seen[o.key].value != o.value:
            raise InputError(
                doc.problem(
                    o.spec_path,
                    f"'{o.key}' is also set by {seen[o.key].spec_path} in the same arm "
                    f"({'-'.join(lv.name for lv in combo.values())})",
                )
            )
        seen[o.key] = o


def _check_matched(arms: list[Arm], spec: SweepSpec, doc: Document) -> None:
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
                    f"{amount:g} vs {other:g} {what} (batch sizes {_batches(first)} vs {_batches(arm)}). "
                    f"They differ in {', '.join(differ)}; use unit samples, "
                    "or declare the factor in budget.budget_changing."
                )
                raise InputError(doc.problem("budget", why))


def _batches(arm: Arm) -> str:
    return "/".join(str(s.batch_size) for s in arm.budget)


def _check_job_kinds(arms: list[Arm], spec: SweepSpec, doc: Document) -> None:
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
