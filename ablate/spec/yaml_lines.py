"""YAML loading that remembers where every key was written, so errors can point at a line.

Two fixes over PyYAML's defaults, both of which bite ablation specs:
- YAML 1.1 reads `1e-4` as a *string* (it wants `1.0e-4`); learning rates are written the short way, so
  floats follow YAML 1.2 here (as OmegaConf/Hydra also do).
- a repeated key silently keeps the last value; here it is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ablate.errors import InputError, Problem, join_key

_FLOAT_1_2 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Loader(yaml.SafeLoader):
    pass


# Replace the YAML 1.1 float resolver with the 1.2 one (`1e-4` is a float).
_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789."))


@dataclass
class Document:
    """Parsed YAML plus the line (1-based) of every key path in it."""

    data: Any
    path: Path
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, key_path: str) -> int | None:
        """Line of `key_path`, or of its nearest written ancestor."""
        while key_path:
            if key_path in self.lines:
                return self.lines[key_path]
            key_path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", key_path) if re.search(r"[.\[]", key_path) else ""
        return None

    def problem(self, key_path: str, message: str) -> Problem:
        return Problem(str(self.path), key_path, message, self.line(key_path))


def load_yaml(path: str | Path) -> Document:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise InputError.single(path, "", f"cannot read the file ({e.strerror})") from e
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> Document:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        context, context_mark = getattr(e, "context", None), getattr(e, "context_mark", None)
        where = f" ({context}, line {context_mark.line + 1})" if context and context_mark else ""
        raise InputError.single(path, "", f"not valid YAML: {getattr(e, 'problem', e)}{where}", line) from e
    finally:
        loader.dispose()
    doc = Document(None, path)
    doc.data = _build(node, "", doc, loader) if node is not None else None
    return doc


def _build(node: yaml.Node, key_path: str, doc: Document, loader: _Loader) -> Any:
    doc.lines.setdefault(key_path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = join_key(key_path, str(key))
            if key in out:
                line = key_node.start_mark.line + 1
                raise InputError(Problem(str(doc.path), child, "key given twice (the first would be lost)", line))
            doc.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, doc, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, join_key(key_path, i), doc, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
