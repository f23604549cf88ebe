"""Level and target names, shared by the spec, the CLI flags, evaluation, blinding and the statistics."""

from __future__ import annotations

import pytest

from ablate.errors import InputError
from ablate.naming import bad_targets, eval_targets, level_name, parse_targets, split_target


@pytest.mark.parametrize(("value", "name"), [(1e-4, "0.0001"), (3e-4, "0.0003"), (True, "true"), (2, "2"), ("a", "a")])
def test_level_names(value, name):
    assert level_name(value) == name


def test_a_target_is_robot_slash_task():
    assert split_target("Panda/lift") == ("Panda", "lift")
    bad = ["Panda", "Panda/", "/lift", "a/b/c", ""]
    assert bad_targets(["Panda/lift", *bad]) == bad


def test_a_targets_flag_parses_or_names_every_bad_item():
    assert parse_targets("Panda/lift, UR5e/lift") == [("Panda", "lift"), ("UR5e", "lift")]
    with pytest.raises(ValueError, match="'Panda', 'x/'"):
        parse_targets("Panda,UR5e/lift,x/")
    assert eval_targets("Panda/lift", "run") == [{"robot": "Panda", "task": "lift"}]
    with pytest.raises(InputError) as e:
        eval_targets("Panda/lift,", "runs/r1")
    assert str(e.value).startswith("runs/r1: --targets: expected Robot/task items (e.g. Panda/lift), got ''")
