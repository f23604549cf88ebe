"""Which level combinations become arms: `cross` (cartesian), `zip` (levels move together),
`exclude` (drop matching combinations) and `include` (add hand-picked ones) — after robomimic's
ConfigGenerator: factors in one zip group move together, groups cross."""

from __future__ import annotations

import itertools
from typing import Any

from ablate.errors import InputError, Problem, join_key
from ablate.naming import level_name
from ablate.spec.factors import Factor, Level
from ablate.spec.schema import GridSpec
from ablate.spec.yaml_lines import Document

Combination = dict[str, Level]  # factor name -> level, in factor order


def expand_grid(factors: list[Factor], grid: GridSpec, doc: Document) -> list[Combination]:
    by_name = {f.name: f for f in factors}
    problems = _check_names(by_name, grid, doc)
    if problems:
        raise InputError(problems)
    zipped = {name for group in grid.zip for name in group}
    cross = grid.cross if grid.cross is not None else [f.name for f in factors if f.name not in zipped]
    axes: list[list[Combination]] = [[{name: lv} for lv in by_name[name].levels] for name in cross]
    axes += [_zip_axis([by_name[n] for n in group]) for group in grid.zip]
    order = [f.name for f in factors]
    combos = [_ordered(order, parts) for parts in itertools.product(*axes)] if factors else [{}]
    combos = [c for c in combos if not any(_matches(c, rule) for rule in grid.exclude)]
    for rule in grid.include:
        extra = {name: by_name[name].level(level_name(rule[name])) for name in order}
        if not any(_same(extra, c) for c in combos):
            combos.append(extra)
    if not combos:
        raise InputError(doc.problem("grid.exclude", "the exclusions remove every arm"))
    return combos


def _zip_axis(group: list[Factor]) -> list[Combination]:
    return [{f.name: f.levels[i] for f in group} for i in range(len(group[0].levels))]


def _ordered(order: list[str], parts: tuple[Combination, ...]) -> Combination:
    merged = {k: v for part in parts for k, v in part.items()}
    return {name: merged[name] for name in order}


def _matches(combo: Combination, rule: dict[str, Any]) -> bool:
    return all(combo[name].name == level_name(value) for name, value in rule.items())


def _same(a: Combination, b: Combination) -> bool:
    return all(a[k].name == b[k].name for k in a)


def _check_names(by_name: dict[str, Factor], grid: GridSpec, doc: Document) -> list[Problem]:
    problems: list[Problem] = []

    def unknown(path: str, name: str) -> None:
        problems.append(
            doc.problem(path, f"'{name}' is not a factor of this spec (factors: {', '.join(by_name) or 'none'})")
        )

    seen: dict[str, str] = {}
    places = [(join_key("grid.cross", i), n) for i, n in enumerate(grid.cross or [])]
    places += [(join_key("grid.zip", g, i), n) for g, group in enumerate(grid.zip) for i, n in enumerate(group)]
    for path, name in places:
        if name not in by_name:
            unknown(path, name)
        elif name in seen:
            problems.append(doc.problem(path, f"factor '{name}' is already used at {seen[name]}; use each factor once"))
        else:
            seen[name] = path
    if grid.cross is not None:
        for name in by_name:
            if name not in seen:
                problems.append(doc.problem("grid", f"factor '{name}' is in neither grid.cross nor a grid.zip group"))
    for g, group in enumerate(grid.zip):
        sizes = {n: len(by_name[n].levels) for n in group if n in by_name}
        if len(set(sizes.values())) > 1:
            detail = ", ".join(f"{n}: {k}" for n, k in sizes.items())
            problems.append(doc.problem(join_key("grid.zip", g), f"zip group has levels of unequal length ({detail})"))
    for kind, rules in (("exclude", grid.exclude), ("include", grid.include)):
        for r, rule in enumerate(rules):
            path = join_key("grid", kind, r)
            for name, value in rule.items():
                if name not in by_name:
                    unknown(join_key(path, name), name)
                elif by_name[name].level(level_name(value)) is None:
                    levels = ", ".join(lv.name for lv in by_name[name].levels)
                    problems.append(
                        doc.problem(join_key(path, name), f"'{value}' is not a level of {name} (levels: {levels})")
                    )
            if kind == "include" and not problems:
                missing = [n for n in by_name if n not in rule]
                if missing:
                    problems.append(
                        doc.problem(
                            path,
                            f"an included arm names a level for every factor; missing: {', '.join(missing)}",
                        )
                    )
    return problems
