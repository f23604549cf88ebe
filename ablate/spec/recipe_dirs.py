"""Where recipes come from: the user's recipe tree, if there is one, then the tree that ships with ablate.

A user's tree *extends* the shipped one through Hydra's config search path: a primary recipe in either tree can
name config groups of both (`/model: tiny`, `/data/mixture: my_pool`), and a user file with the same group/name
shadows the shipped one, because Hydra takes a config from the first tree that has it. The user's tree is the
first of: `--recipes DIR`, `$ABLATE_RECIPES`, a `recipes/` folder beside the spec (or the current folder) or in a
folder above it. The shipped tree always comes last. Hydra is imported only when a recipe is composed.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ablate.errors import InputError

ENV = "ABLATE_RECIPES"
SEARCH_ORDER = "--recipes DIR, $ABLATE_RECIPES, a recipes/ folder beside the spec or above it, then the shipped tree"


def shipped_recipes() -> Path:
    """The recipe tree that ships with ablate: `ablate/recipes`, package data of an installed ablate. In the
    repository it is a symlink to the top-level `recipes/` folder, so an editable install reads that folder."""
    packaged = Path(os.fspath(resources.files("ablate") / "recipes"))
    if packaged.is_dir():
        return packaged.resolve()
    checkout = Path(__file__).resolve().parents[2] / "recipes"  # a checkout where the symlink was not made
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"ablate's shipped recipes are missing (looked in {packaged}): reinstall ablate")


@dataclass(frozen=True)
class RecipeDirs:
    """The recipe trees Hydra searches, in order: the user's (when there is one), then the shipped one."""

    user: Path | None
    shipped: Path
    source: str = ""  # how the user's tree was found, for the printed line: "--recipes", "$ABLATE_RECIPES", …

    @property
    def trees(self) -> tuple[Path, ...]:
        # A spec inside this repository finds the shipped tree as its recipes/ folder: one tree, not two.
        if self.user is None or self.user == self.shipped:
            return (self.shipped,)
        return (self.user, self.shipped)

    def describe(self) -> str:
        """The line ablate prints, so that which recipes were used is never silent."""
        if len(self.trees) == 1:
            return f"recipes: {self.shipped} (shipped)"
        return f"recipes: {self.user} (yours, {self.source}), then {self.shipped} (shipped)"

    def where(self) -> str:
        return " or ".join(str(t) for t in self.trees)

    def find(self, relative: str) -> Path | None:
        """The file a tree-relative path names, from the first tree that has it (Hydra's order)."""
        return next((t / relative for t in self.trees if (t / relative).is_file()), None)

    def recipes(self) -> list[str]:
        """Primary recipes of every tree: files that put themselves at the top of the config, and files at a
        tree's root (a tree's folders are its config groups)."""
        names = {
            str(p.relative_to(t).with_suffix(""))
            for t in self.trees
            for p in t.rglob("*.yaml")
            if p.parent == t or is_primary(p)
        }
        return sorted(names)

    def missing_recipe(self, recipe: str) -> str | None:
        """None when a tree has RECIPE, else what to say: where ablate looked, and the nearest name."""
        if self.find(f"{recipe}.yaml") is not None:
            return None
        known = self.recipes()
        hint = difflib.get_close_matches(recipe, known, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"no recipe '{recipe}' in {self.where()}{suggestion}; recipes there: {', '.join(known) or 'none'}"


def find_recipe_dirs(option: str | Path | None, near: Path) -> RecipeDirs:
    """The trees for a spec (NEAR: its folder) or a recipe named on the command line (NEAR: the current folder)."""
    shipped = shipped_recipes()
    if option is not None:
        return RecipeDirs(_existing_dir(option, "--recipes"), shipped, "--recipes")
    if os.environ.get(ENV):
        return RecipeDirs(_existing_dir(os.environ[ENV], f"${ENV}"), shipped, f"${ENV}")
    near = near.resolve()
    for folder in (near, *near.parents):
        if (folder / "recipes").is_dir():
            return RecipeDirs((folder / "recipes").resolve(), shipped, f"found above {near}")
    return RecipeDirs(None, shipped)


def recipe_file_dirs(file: Path, option: str | Path | None) -> tuple[RecipeDirs, str]:
    """The trees and the recipe name for a recipe FILE anywhere. Its tree's root: `--recipes` if given, else the
    nearest folder above the file that looks like a tree root (named `recipes`, or holding a group its defaults
    name), else the file's own folder. The shipped tree comes after it."""
    file = file.resolve()
    if option is not None:
        root = _existing_dir(option, "--recipes")
        if not file.is_relative_to(root):
            message = f"this recipe is not inside --recipes {root}; move it there or drop --recipes"
            raise InputError.single(file, "", message)
        source = "--recipes"
    else:
        groups = _default_groups(file)
        root = next(
            (f for f in file.parents if f.name == "recipes" or any((f / g).is_dir() for g in groups)),
            file.parent,
        )
        source = f"the tree holding {file.name}"
    return RecipeDirs(root, shipped_recipes(), source), str(file.relative_to(root).with_suffix(""))


def compose(trees: Sequence[Path], recipe: str, overrides: Sequence[str] = ()) -> Any:
    """Hydra's composition of RECIPE over TREES (first wins) with command-line OVERRIDES: an OmegaConf DictConfig,
    interpolations unresolved. Raises Hydra's or OmegaConf's exception; the caller says which file was wrong."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    _register_search_path_plugin()
    GlobalHydra.instance().clear()
    token = _BEHIND_MAIN.set(tuple(str(t) for t in trees[1:]))
    try:
        # The first tree is Hydra's main config dir; the plugin puts the others right behind it (before Hydra's
        # structured-config schema), so a primary recipe and every group option are found in any tree.
        with initialize_config_dir(config_dir=str(trees[0]), version_base="1.3"):
            return hydra_compose(config_name=recipe, overrides=list(overrides))
    finally:
        _BEHIND_MAIN.reset(token)


# The trees behind the main one while `compose` initialises Hydra; empty otherwise, so that any other use of Hydra
# in this process sees Hydra's own search path. (`hydra.searchpath` as an override cannot serve: Hydra looks for
# the primary config before it reads that override, and caches the miss, so a recipe of the shipped tree composed
# with a user's tree as main would not be found.)
_BEHIND_MAIN: ContextVar[tuple[str, ...]] = ContextVar("ablate_recipe_trees", default=())


@cache
def _register_search_path_plugin() -> None:
    from hydra.core.plugins import Plugins
    from hydra.plugins.search_path_plugin import SearchPathPlugin

    class AblateRecipeTrees(SearchPathPlugin):
        def manipulate_search_path(self, search_path) -> None:
            for tree in _BEHIND_MAIN.get():
                search_path.append(provider="ablate", path=f"file://{tree}")

    Plugins.instance().register(AblateRecipeTrees)


def _existing_dir(value: str | Path, flag: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_dir():
        what = "is a file" if path.exists() else "does not exist"
        raise InputError.single(
            flag,
            "",
            f"{path} {what}; expected a recipe tree: a folder of config groups (e.g. data/mixture/*.yaml) "
            "and primary recipes",
        )
    return path.resolve()


def _default_groups(file: Path) -> set[str]:
    """The top folders of the configs a recipe's defaults list names (`/model: tiny` → model)."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise InputError.single(file, "", f"cannot read this recipe: {e}") from e
    defaults = data.get("defaults") if isinstance(data, dict) else None
    groups = set()
    for entry in defaults if isinstance(defaults, list) else []:
        names = entry.keys() if isinstance(entry, dict) else [entry] if isinstance(entry, str) else []
        for name in names:
            path = str(name).removeprefix("override ").removeprefix("optional ").split("@")[0].strip().lstrip("/")
            if path and path != "_self_":
                groups.add(path.split("/")[0])
    return groups


def is_primary(path: Path) -> bool:
    """Primary recipes in a folder put themselves at the top of the config: `# @package _global_` in the comment
    lines that open the file (Hydra's header), else Hydra nests them under their folder's name."""
    with path.open() as f:
        for line in f:
            if not line.startswith("#"):
                return False
            if "@package _global_" in line:
                return True
    return False
