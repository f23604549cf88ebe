"""Canonical JSON hashing: the identity of arms and of pre-registrations. These values must never change."""

from __future__ import annotations

from ablate.canonical import canonical_hash, canonical_json
from ablate.spec.hypotheses import content_hash
from ablate.spec.plan import config_hash


def test_key_order_does_not_matter_and_the_encoding_is_fixed():
    a, b = {"b": [1, 2.5], "a": {"y": None, "x": "é"}}, {"a": {"x": "é", "y": None}, "b": [1, 2.5]}
    assert canonical_json(a) == canonical_json(b) == '{"a":{"x":"\\u00e9","y":null},"b":[1,2.5]}'
    assert canonical_hash(a) == canonical_hash(b)


def test_arm_ids_and_preregistration_hashes_stay_what_they_were():
    config = {"optim": {"lr": 0.0003}, "data": {"action_frame": "eef_rel"}, "stages": None}
    assert config_hash(config) == canonical_hash(config, 10) == "4fbb49b244"
    assert content_hash(config) == canonical_hash(config)
    assert content_hash(config).startswith("4fbb49b244") and len(content_hash(config)) == 64
