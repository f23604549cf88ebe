"""Planning against R's `power.prop.test` examples."""

from __future__ import annotations

import pytest

from ablate.stats.power import power_of, trials_needed


def test_trials_needed_matches_power_prop_test():
    # power.prop.test(p1 = .50, p2 = .75, power = .90): n = 76.7 per group → 77 trials
    assert trials_needed(0.5, 0.25, power=0.9) == 77


def test_power_matches_power_prop_test():
    # power.prop.test(n = 50, p1 = .50, p2 = .75): power = 0.7401659
    assert power_of(0.5, 0.25, 50) == pytest.approx(0.74017, abs=1e-4)


def test_one_sided_plans_need_fewer_trials():
    assert trials_needed(0.8, -0.2, alternative="less") < trials_needed(0.8, -0.2)


def test_impossible_rates_are_refused():
    with pytest.raises(ValueError, match="baseline"):
        trials_needed(0.9, 0.2)
