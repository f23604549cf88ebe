"""The wording every input error shares: "did you mean" hints and pydantic errors at their YAML key and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from ablate.errors import closest, did_you_mean, pydantic_problem
from ablate.spec.yaml_lines import parse_yaml


def test_did_you_mean_names_the_closest_candidate_or_nothing():
    assert did_you_mean("mixtrue", ["mixture", "dropout"]) == " (did you mean 'mixture'?)"
    assert did_you_mean("zzz", ["mixture", "dropout"]) == ""
    assert closest("succeses", ["successes", "trials"], cutoff=0.8) == "successes"
    assert closest("sucess", ["trials"], cutoff=0.8) is None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    seeds: list[int]


def test_a_pydantic_error_is_placed_at_its_key_and_line():
    doc = parse_yaml("name: x\nseeds: [1]\nseedz: [2]\n", Path("s.yaml"))
    with pytest.raises(ValidationError) as e:
        _Model.model_validate(doc.data)
    (problem,) = [pydantic_problem(doc, err, {"": _Model}) for err in e.value.errors()]
    assert str(problem) == "s.yaml:3: seedz: unknown key (did you mean 'seeds'?); expected one of: name, seeds"
