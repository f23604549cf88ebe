"""Planning against R (`power.prop.test`, `power.t.test`, `aov`, gsDesign's `nBinomial`) and against simulation of
the tests the plans are for: the report's Farrington–Manning test and the t test on per-seed rates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ablate.stats.power import PlanError, fm_null_rates, power_of, trials_needed
from ablate.stats.seed_power import seed_icc, seed_power, seeds_needed, simulate_seed_rates
from ablate.stats.significance import non_inferiority


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


def test_a_decrease_planned_one_sided_reaches_its_power_when_fed_back():
    # power.prop.test(p1 = .6, p2 = .4, power = .8, alternative = "one.sided"): n = 76.22857;
    # power.prop.test(p1 = .6, p2 = .4, n = 77, alternative = "one.sided")$power = 0.8035423
    n = trials_needed(0.6, -0.2, alternative="less")
    assert n == 77
    assert power_of(0.6, -0.2, n, alternative="less") == pytest.approx(0.8035423, abs=1e-6)


def test_a_delta_against_the_one_sided_alternative_is_refused_with_the_side_that_fits():
    for call in (
        lambda: trials_needed(0.6, -0.2, alternative="greater"),
        lambda: power_of(0.6, 0.2, 50, alternative="less"),
    ):
        with pytest.raises(PlanError, match=r"use --alternative (less|greater)") as e:
            call()
        assert e.value.flag == "--alternative"


@pytest.mark.parametrize("wanted", [1.0, 0.05, 0.01])
def test_power_must_lie_between_alpha_and_one(wanted):
    with pytest.raises(PlanError) as e:
        trials_needed(0.6, -0.2, power=wanted)
    assert e.value.flag == "--power"


def test_non_inferiority_matches_farrington_manning_as_gsdesign_computes_it():
    # gsDesign::nBinomial(p1, p2, alpha, beta, delta0 = -margin, sided = 1) / 2 (nBinomial returns both arms), run
    # in base R 4 from gsDesign's R/gsBinomial.R (difference scale):
    #   nBinomial(p1 = .7,  p2 = .7, alpha = .05,  beta = .2, delta0 = -.1)  / 2 = 259.1309875
    #   nBinomial(p1 = .65, p2 = .7, alpha = .05,  beta = .2, delta0 = -.15) / 2 = 268.0488574
    #   nBinomial(p1 = .5,  p2 = .5, alpha = .025, beta = .1, delta0 = -.1)  / 2 = 522.1913707
    #   nBinomial(p1 = .7,  p2 = .7, alpha = .05, delta0 = -.1, n = 400)        = 0.7053652288 (power at 200 per arm)
    assert trials_needed(0.7, 0.0, 0.8, 0.05, "greater", margin=0.1) == 260
    assert trials_needed(0.7, -0.05, 0.8, 0.05, "greater", margin=0.15) == 269
    assert trials_needed(0.5, 0.0, 0.9, 0.025, "greater", margin=0.1) == 523
    assert power_of(0.7, 0.0, 200, 0.05, "greater", margin=0.1) == pytest.approx(0.7053652288, abs=1e-9)


def test_the_null_rates_maximise_the_likelihood_restricted_to_the_margin():
    # statsmodels' score test (0.14–0.15) solves this cubic with a wrong coefficient (statsmodels#10269): its null
    # rates for 140/200 vs 140/200 at −0.1 are 0.6402/0.7402; the likelihood's maximum is at 0.6453/0.7453.
    arm = np.linspace(0.55, 0.75, 200_001)
    loglik = 140 * np.log(arm) + 60 * np.log(1 - arm) + 140 * np.log(arm + 0.1) + 60 * np.log(0.9 - arm)
    arm_null, base_null = fm_null_rates(0.7, 0.7, 0.1)
    assert arm_null == pytest.approx(arm[loglik.argmax()], abs=2e-6)
    assert base_null - arm_null == pytest.approx(0.1)


@pytest.mark.parametrize(("rate", "delta", "margin"), [(0.7, 0.0, 0.1), (0.5, 0.05, 0.1)])
def test_the_non_inferiority_plan_gives_the_reports_test_its_power(rate, delta, margin):
    """Simulate the planned trials and run `significance.non_inferiority` (the report's Farrington–Manning test)."""
    n = trials_needed(rate, delta, 0.8, 0.05, "greater", margin)
    rng = np.random.default_rng(7)
    pairs = np.stack([rng.binomial(n, rate + delta, 10_000), rng.binomial(n, rate, 10_000)], axis=1)
    distinct, inverse = np.unique(pairs, axis=0, return_inverse=True)  # ~1000 distinct tables: test each once
    held = np.array([non_inferiority(int(s1), n, int(s0), n, margin).p < 0.05 for s1, s0 in distinct])
    simulated = held[inverse.ravel()].mean()
    assert simulated == pytest.approx(power_of(rate, delta, n, 0.05, "greater", margin), abs=0.02)
    assert simulated >= 0.78


def _seed_table(rng, rho: float, cells: int = 24, seeds: int = 6, trials: int = 40) -> pd.DataFrame:
    """Per-seed counts of beta-binomial seeds with ICC ρ, cells at different success rates."""
    rows = []
    for c, rate in enumerate(np.linspace(0.25, 0.8, cells)):
        rates = simulate_seed_rates(rng, rate, rho, seeds, trials, 1)[0]
        rows += [
            {"arm": f"a{c % 2}", "embodiment": "e", "task": f"t{c // 2}", "seed": s, "successes": round(r * trials)}
            for s, r in enumerate(rates)
        ]
    return pd.DataFrame(rows).assign(trials=trials)


def test_icc_matches_r_aov_on_unbalanced_cells():
    # d <- data.frame(cell = rep(c("a","a","a","b","b","b","b"), times = c(5,4,6,3,5,4,6)),
    #                 seed = rep(c("1","2","3","1","2","3","4"), times = c(5,4,6,3,5,4,6)),
    #                 y = c(1,1,0,1,1, 0,0,1,0, 1,1,1,1,0,1, 0,1,0, 1,1,1,1,1, 0,0,0,1, 1,0,1,1,0,1))
    # summary(aov(y ~ cell + cell:seed, data = d)): cell:seed Df 5, Mean Sq 0.4955555556; Residuals Df 26,
    # Mean Sq 0.1974358974; n0 = Σ_cells (N − Σ n_i²/N) / 5 = 4.6177777778; ρ = (MSB − MSW)/(MSB + (n0 − 1)MSW)
    # = 0.2464135339
    counts = pd.DataFrame(
        {
            "arm": list("aaabbbb"),
            "seed": ["1", "2", "3", "1", "2", "3", "4"],
            "successes": [4, 1, 5, 1, 5, 1, 4],
            "trials": [5, 4, 6, 3, 5, 4, 6],
        }
    ).assign(embodiment="e", task="t")
    icc = seed_icc(counts)
    assert (icc.msb, icc.msw, icc.n0) == pytest.approx((0.4955555556, 0.1974358974, 4.6177777778), abs=1e-9)
    assert (icc.df_between, icc.df_within, icc.cells, icc.seeds) == (5, 26, 2, 7)
    assert icc.rho == pytest.approx(0.2464135339, abs=1e-9)


def test_icc_recovers_beta_binomial_seeds_and_its_interval_covers():
    rng = np.random.default_rng(3)
    estimates = [seed_icc(_seed_table(rng, 0.15)) for _ in range(100)]
    assert np.mean([e.raw for e in estimates]) == pytest.approx(0.15, abs=0.01)
    assert 0.88 <= np.mean([e.low <= 0.15 <= e.high for e in estimates]) <= 0.99  # a 95% interval


def test_icc_without_seed_variation_is_clamped_at_zero():
    estimates = [seed_icc(_seed_table(np.random.default_rng(s), 0.0)) for s in range(20)]
    assert any(e.raw < 0 for e in estimates)
    assert all(e.rho == max(e.raw, 0.0) and e.rho < 0.02 for e in estimates)


def test_icc_needs_two_seeds_in_a_cell():
    counts = pd.DataFrame({"arm": ["a", "b"], "embodiment": "e", "task": "t", "seed": "0", "successes": 3, "trials": 9})
    with pytest.raises(ValueError, match="2 or more seeds"):
        seed_icc(counts)


def test_seed_plan_matches_power_t_test():
    # sd <- sqrt(0.24 * (1 + 19 * 0.1) / 20)      # p = .6 and .4, ρ = .1, 20 trials per seed
    # power.t.test(n = 15, delta = .2, sd = sd, strict = TRUE)$power = 0.808976802
    # power.t.test(power = .8, delta = .2, sd = sd, strict = TRUE)$n = 14.6822599 → 15 seeds
    # sd3 <- sqrt(0.21 * (1 + 49 * 0.05) / 50)    # non-inferiority: p = .7, Δ = 0, margin .1, ρ = .05, m = 50
    # power.t.test(n = 6, delta = .1, sd = sd3, alternative = "one.sided")$power = 0.3807411345
    # power.t.test(power = .8, delta = .1, sd = sd3, alternative = "one.sided")$n = 18.63215412 → 19 seeds
    assert seed_power(0.6, -0.2, 0.1, 20, 15) == pytest.approx(0.808976802, abs=1e-8)
    assert seeds_needed(0.6, -0.2, 0.1, 20) == 15
    assert seed_power(0.7, 0.0, 0.05, 50, 6, alternative="greater", margin=0.1) == pytest.approx(0.3807411345, abs=1e-8)
    assert seeds_needed(0.7, 0.0, 0.05, 50, alternative="greater", margin=0.1) == 19


@pytest.mark.parametrize(
    ("rate", "delta", "rho", "m", "alternative"),
    [(0.6, -0.2, 0.1, 20, "two-sided"), (0.5, -0.25, 0.2, 50, "less"), (0.65, -0.2, 0.12, 10, "less")],
)
def test_the_seed_plan_reaches_its_power_in_simulation(rate, delta, rho, m, alternative):
    """Simulate the planned seeds × trials with beta-binomial seeds and run the planned t test on per-seed rates."""
    k = seeds_needed(rate, delta, rho, m, alternative=alternative)
    rng = np.random.default_rng(11)
    arm = simulate_seed_rates(rng, rate + delta, rho, k, m, 10_000)
    base = simulate_seed_rates(rng, rate, rho, k, m, 10_000)
    with np.errstate(all="ignore"):  # a simulated study with no variation at all gives NaN: not rejected
        p = stats.ttest_ind(arm, base, axis=1, alternative=alternative).pvalue
    simulated = np.mean(np.nan_to_num(p, nan=1.0) < 0.05)
    assert simulated == pytest.approx(seed_power(rate, delta, rho, m, k, alternative=alternative), abs=0.025)
    assert simulated >= 0.78


def test_more_trials_per_seed_cannot_beat_the_between_seed_floor():
    needed = [seeds_needed(0.6, -0.2, 0.1, m) for m in (10, 20, 50, 100, 200, 10_000)]
    floor = seeds_needed(0.6, -0.2, 0.1, None)
    assert needed == sorted(needed, reverse=True)
    assert floor == needed[-1] and floor >= 10
    # Without seed-to-seed variation, trials per seed stand in for seeds: 2 seeds of many trials suffice.
    assert seeds_needed(0.6, -0.2, 0.0, 1000) == 2


@pytest.mark.parametrize("rho", [0.0, 0.02, 0.1, 0.3])
@pytest.mark.parametrize(("rate", "delta", "alternative"), [(0.1, 0.3, "greater"), (0.6, -0.2, "two-sided")])
def test_more_trials_per_seed_never_need_more_seeds(rho, rate, delta, alternative):
    from ablate.stats.seed_power import seeds_needed

    plan = [seeds_needed(rate, delta, rho, m, alternative=alternative) for m in (5, 10, 20, 50, 100, 200, 1000)]
    floor = seeds_needed(rate, delta, rho, None, alternative=alternative)
    assert plan == sorted(plan, reverse=True) and plan[-1] >= floor
