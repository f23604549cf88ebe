from pathlib import Path

import pytest

from ablate.errors import InputError
from ablate.spec.yaml_lines import parse_yaml


def test_short_scientific_floats_are_floats_not_strings():
    doc = parse_yaml("lr: [1e-4, 3e-4, 0.001]\nname: 1e3x\n", Path("s.yaml"))
    assert doc.data["lr"] == [1e-4, 3e-4, 0.001]
    assert doc.data["name"] == "1e3x"


def test_every_key_path_knows_its_line():
    doc = parse_yaml("a:\n  b:\n    - x\n    - {c: 1}\n", Path("s.yaml"))
    assert doc.line("a.b[1].c") == 4
    assert doc.line("a.b[0]") == 3
    assert doc.line("a.b.nonexistent") == 2  # falls back to the nearest written ancestor


def test_repeated_key_is_an_error_with_its_line():
    with pytest.raises(InputError) as e:
        parse_yaml("a: 1\nb: 2\na: 3\n", Path("s.yaml"))
    assert str(e.value.problems[0]) == "s.yaml:3: a: key given twice (the first would be lost)"


def test_anchors_and_merge_keys_resolve():
    doc = parse_yaml("base: &b {x: 1}\nother: {<<: *b, y: 2}\n", Path("s.yaml"))
    assert doc.data["other"] == {"x": 1, "y": 2}
