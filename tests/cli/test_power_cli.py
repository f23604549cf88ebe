"""`ablate power` as a researcher runs it: plans that respect the direction of Δ, non-inferiority at a margin,
seeds × trials per seed from a pilot, bad flags refused with exit 2 and no traceback, and no torch import."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ablate.stats.counts import Design, cells
from ablate.stats.seed_power import seed_icc, simulate_seed_rates
from tests.conftest import run_cli

PROBE = (
    "import sys\nfrom ablate.cli.main import main\ntry:\n    main()\nfinally:\n    assert 'torch' not in sys.modules"
)


def _power(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ablate.cli.main", "power", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _refused(out, flag: str) -> None:
    """Exit 2, one line naming the flag (or file), no traceback."""
    assert (out.returncode if isinstance(out, subprocess.CompletedProcess) else out.code) == 2
    assert f"error: {flag}:" in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_a_planned_decrease_fed_back_reports_at_least_the_wanted_power():
    plan = _power("--baseline-rate", 0.6, "--delta", -0.2, "--alternative", "less")
    n = int(re.match(r"(\d+) trials per arm and target for power 0.8", plan.stdout).group(1))
    back = _power("--baseline-rate", 0.6, "--delta", -0.2, "--alternative", "less", "--trials", n)
    assert float(re.match(r"power (\S+) with", back.stdout).group(1)) >= 0.8
    assert "one-sided (arm < baseline), α = 0.05" in back.stdout


def test_a_delta_against_the_one_sided_alternative_says_which_fits():
    out = _power("--baseline-rate", 0.6, "--delta", -0.2, "--alternative", "greater", "--trials", 77)
    _refused(out, "--alternative")
    assert "use --alternative less" in out.stderr


@pytest.mark.parametrize(("args", "flag"), [(["--power", "1.0"], "--power"), (["--trials", "0"], "--trials")])
def test_impossible_power_or_no_trials_is_bad_input(args, flag):
    _refused(_power("--baseline-rate", 0.6, "--delta", -0.2, *args), flag)


PLAN = "--baseline-rate 0.6 --delta -0.2 "


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (PLAN + "--power 0.04", "--power"),  # not above α = 0.05
        (PLAN + "--alpha 0", "--alpha"),
        (PLAN + "--alpha 1", "--alpha"),
        ("--baseline-rate 1.2 --delta -0.2", "--baseline-rate"),
        ("--baseline-rate 0.6 --delta 0.5", "--delta"),
        ("--baseline-rate 0.6 --delta 0", "--delta"),
        ("--baseline-rate 0.6", "--delta"),
        ("--delta -0.2", "--baseline-rate"),
        ("--baseline-rate 0.6 --margin 1.5", "--margin"),
        ("--baseline-rate 0.6 --margin 0.1 --delta -0.1", "--delta"),
        ("--baseline-rate 0.6 --margin 0.1 --alternative less", "--alternative"),
        (PLAN + "--alternative bigger", "--alternative"),
        (PLAN + "--icc 1", "--icc"),
        (PLAN + "--icc 0.1 --seeds 1", "--seeds"),
        (PLAN + "--icc 0.1 --trials-per-seed 0,20", "--trials-per-seed"),
        (PLAN + "--icc 0.1 --trials 50", "--trials"),
        (PLAN + "--baseline pi0", "--baseline"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(args, flag):
    _refused(run_cli("power", *args.split()), flag)


def test_non_inferiority_plan_names_its_test_and_feeds_back():
    # gsDesign::nBinomial(p1 = .7, p2 = .7, alpha = .05, beta = .2, delta0 = -.1) / 2 = 259.13 → 260 per arm
    out = run_cli("power", "--baseline-rate", "0.7", "--margin", "0.1", "--json")
    plan = json.loads(out.stdout)
    assert (plan["trials_per_arm"], plan["delta"], plan["alternative"]) == (260, 0.0, "greater")
    assert "Farrington–Manning" in plan["method"] and plan["sides"] == "one-sided (H1: Δ > −0.1)"
    back = run_cli("power", "--baseline-rate", "0.7", "--margin", "0.1", "--trials", "260")
    assert re.match(
        r"power 0\.80\d with 260 trials per arm and target to show non-inferiority at margin 0.1", back.stdout
    )
    assert "Farrington–Manning" in back.stdout and "α = 0.05" in back.stdout


def _pilot(tmp_path, rho: float, seeds: int = 4, seed: int = 0):
    """A per-trial pilot: arms `base` (0.6) and `new` (0.5), two tasks, beta-binomial seeds of 25 trials."""
    rng, rows = np.random.default_rng(seed), []
    for arm, rate in (("base", 0.6), ("new", 0.5)):
        for task in ("lift", "stack"):
            for s, r in enumerate(simulate_seed_rates(rng, rate, rho, seeds, 25, 1)[0]):
                hits = round(r * 25)
                rows += [
                    {"arm": arm, "seed": s, "embodiment": "panda", "task": task, "trial": t, "success": int(t < hits)}
                    for t in range(25)
                ]
    path = tmp_path / "pilot.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path, pd.DataFrame(rows)


def test_pilot_plan_takes_the_baseline_rate_and_icc_from_the_pilot_and_says_so(tmp_path):
    path, table = _pilot(tmp_path, rho=0.2)
    out = _power("--pilot", path, "--baseline", "base", "--delta", "-0.2", "--alternative", "less")
    assert out.returncode == 0, out.stderr
    base_rate = table.loc[table.arm == "base", "success"].mean()
    rho = seed_icc(cells(table, Design(column="arm"))).rho
    assert f"baseline rate {base_rate:.3f}: chosen from the pilot, arm base" in out.stdout
    assert f"ICC ρ = {rho:.3f}, 95% interval" in out.stdout and "4 (arm, target) cells, 16 seeds" in out.stdout
    assert "caution: few seeds" in out.stdout  # 4 seeds per cell
    assert re.search(r"base: \d\.\d{3} \(200 trials, 4 seeds", out.stdout)
    assert "one-sided (arm < baseline), α = 0.05" in out.stdout
    assert "Student two-sample t test on per-seed success rates" in out.stdout


def test_pilot_plan_json_shows_seeds_falling_to_the_between_seed_floor(tmp_path):
    path, _ = _pilot(tmp_path, rho=0.2)
    out = run_cli("power", "--pilot", path, "--delta", "-0.2", "--alternative", "less", "--json")
    plan = json.loads(out.stdout)
    assert plan["baseline_rate_source"] == "pilot, all arms pooled"
    rows, floor = plan["seed_plan"]["rows"], plan["seed_plan"]["floor"]
    assert [r["trials_per_seed"] for r in rows] == [10, 20, 50, 100, 200]
    seeds = [r["seeds_per_arm"] for r in rows]
    assert seeds == sorted(seeds, reverse=True) and seeds[-1] >= floor["seeds_per_arm"] > 2
    assert all(r["power_at_seeds"] >= 0.8 for r in [*rows, floor])
    assert all(r["seeds_per_arm_at_icc_high"] >= r["seeds_per_arm"] for r in rows)
    # ρ > 0: the seeds × trials cost more trials than the plan that ignores seeds.
    assert rows[0]["trials_per_arm"] > plan["trials_per_arm_ignoring_seeds"]


def test_a_pilot_without_seed_variation_is_clamped_and_said_so(tmp_path):
    path, _ = _pilot(tmp_path, rho=0.0, seeds=8, seed=2)
    out = run_cli("power", "--pilot", path, "--delta", "-0.2", "--baseline-rate", "0.6")
    assert "is negative (no seed-to-seed variation beyond binomial noise): clamped to 0" in out.stdout
    assert "chosen from the pilot" not in out.stdout  # --baseline-rate was given


def test_a_pilot_with_one_seed_per_cell_is_bad_input(tmp_path):
    path, _ = _pilot(tmp_path, rho=0.1, seeds=1)
    _refused(run_cli("power", "--pilot", path, "--delta", "-0.2"), str(path))


def test_power_of_a_seed_design_rises_with_trials_per_seed_up_to_the_floor():
    out = run_cli("power", "--baseline-rate", "0.6", "--delta", "-0.2", "--icc", "0.1", "--seeds", "5", "--json")
    plan = json.loads(out.stdout)["seed_plan"]
    powers = [r["power_at_seeds"] for r in [*plan["rows"], plan["floor"]]]
    assert powers == sorted(powers) and powers[-1] < 0.5  # 5 seeds never reach 0.8, whatever the trials


def test_power_does_not_import_torch(tmp_path):
    path, _ = _pilot(tmp_path, rho=0.1)
    for args in (["--baseline-rate", "0.6", "--delta", "-0.2"], ["--pilot", str(path), "--delta", "-0.2"]):
        out = subprocess.run([sys.executable, "-c", PROBE, "power", *args], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr


def test_the_pilot_baseline_can_be_named_as_a_factor_level(tmp_path):
    path, table = _pilot(tmp_path, rho=0.2)
    table.assign(mixture=table["arm"].map({"base": "target_only", "new": "pooled"})).to_csv(path, index=False)
    out = _power("--pilot", path, "--baseline", "mixture=target_only", "--delta", "-0.2", "--alternative", "less")
    assert out.returncode == 0, out.stderr
    assert "chosen from the pilot, arm base" in out.stdout
    wrong = _power("--pilot", path, "--baseline", "mixture=none", "--delta", "-0.2")
    assert wrong.returncode == 2 and "mixture=none names no arm" in wrong.stderr


def test_no_between_seed_variance_plans_the_floor_at_two_seeds_in_strict_json():
    out = _power("--baseline-rate", "0.5", "--delta", "0.2", "--icc", "0", "--json")
    assert out.returncode == 0, out.stderr
    floor = json.loads(out.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))["seed_plan"]["floor"]
    assert floor["seeds_per_arm"] == 2 and floor["power_at_seeds"] == 1.0
