"""Small real datasets for the data-layer tests: testbed demonstrations (robosuite + LeRobot), written once."""

from __future__ import annotations

import pytest

from ablate.testbed.record import record_dataset


@pytest.fixture(scope="session")
def testbed_root(tmp_path_factory):
    out = tmp_path_factory.mktemp("testbed")
    for robot in ("Panda", "UR5e"):
        record_dataset(robot, "lift", episodes=5, out=out, seed=3)
    return out
