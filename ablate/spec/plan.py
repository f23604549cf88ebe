"""spec → plan: validated spec, arms resolved against the recipes, matched budgets, runs = arms × seeds.

Planning reads files and writes nothing; it does not import torch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ablate.budget.matching import BudgetError, StageBudget, plan_stages
from ablate.canonical import canonical_hash
from ablate.errors import InputError, Problem, join_key
from ablate.spec.evaluation_checks import evaluation_notes
from ablate.spec.factors import Override, make_override, parse_factors
from ablate.spec.grid import Combination, expand_grid
from ablate.spec.hypotheses import hypothesis_problems
from ablate.spec.plan_checks import check_job_kinds, check_matched, report_problems, tune_problems
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
        ] + evaluation_notes([a.config for a in self.arms])

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
    problems += report_problems(spec, {f.name: f for f in factors}, doc)
    if problems:
        raise InputError(problems)
    combos = expand_grid(factors, spec.grid, doc)
    shared = [make_override(k, v, join_key("overrides", k), tree.is_group) for k, v in spec.overrides.items()]
    if spec.evaluate is not None:  # the spec's evaluation is every arm's: the same targets and trials
        # `env` goes into each target (eval.targets.N.env); the testbed, the default, is left out so that the arm
        # ids of testbed studies stay what they were
        env = {} if spec.evaluate.env == "testbed" else {"env": spec.evaluate.env}
        targets = [t.model_dump() | env for t in spec.evaluate.targets]
        shared += [
            make_override("eval.targets", targets, "evaluate.targets", tree.is_group),
            make_override("eval.trials", spec.evaluate.trials, "evaluate.trials", tree.is_group),
        ]
    arms = _resolve_arms(combos, shared, tree, spec, doc)
    problems = hypothesis_problems(spec, factors, arms, doc)
    if problems:
        raise InputError(problems)
    check_matched(arms, spec, doc)
    check_job_kinds(arms, spec, doc)
    runs = [PlannedRun(f"{a.id}-s{s}", f"{a.name}-s{s}", a.id, s) for a in arms for s in spec.seeds]
    if spec.tune is not None:
        problems = tune_problems(spec, tree, doc, arms)
        if problems:
            raise InputError(problems)
    return Plan(spec, spec_path, spec_path.read_text(), root, arms, runs, tree)


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
    checked: dict = {}  # dataset checks shared by arms with the same data section
    for combo in combos:
        name = "-".join(lv.name for lv in combo.values()) or "base"
        overrides = shared + [o for lv in combo.values() for o in lv.overrides]
        try:
            _check_conflicts(overrides, combo, doc)
            config = tree.resolve(overrides)
            typed = checked_run_config(config, overrides, name, spec.recipe, doc, checked)
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
