from ablate.budget.ledger import Ledger

PLANNED = [{"stage": "pre", "planned": 1600.0, "steps": 100}, {"stage": "post", "planned": 4800.0, "steps": 150}]


def test_consumption_ends_a_stage_at_its_planned_steps_and_audits_clean(tmp_path):
    ledger = Ledger.new("samples", 0.01, PLANNED)
    for _ in range(100):
        ledger.consume("pre", samples=16, by_embodiment={"Panda": 10, "UR5e": 6})
    assert ledger.stage_done("pre") and not ledger.stage_done("post")
    for _ in range(150):
        ledger.consume("post", samples=32)
    ledger.save(tmp_path)
    rows = Ledger.load(tmp_path).deviations()
    assert [(r["stage"], r["consumed"], r["ok"]) for r in rows] == [("pre", 1600, True), ("post", 4800, True)]
    assert rows[0]["by_embodiment"] == {"Panda": 1000, "UR5e": 600}


def test_an_unfinished_stage_deviates():
    ledger = Ledger.new("samples", 0.01, PLANNED)
    for _ in range(98):
        ledger.consume("pre", samples=16)
    rows = ledger.deviations()
    assert rows[0]["deviation"] == -0.02 and not rows[0]["ok"]
    assert rows[1]["consumed"] == 0 and not rows[1]["ok"]


def test_time_bound_stage_ends_when_its_hours_are_spent():
    ledger = Ledger.new("gpu_hours", 0.01, [{"stage": "main", "planned": 0.5, "steps": None}])
    ledger.consume("main", samples=8, gpu_seconds=1700)
    assert not ledger.stage_done("main")
    ledger.consume("main", samples=8, gpu_seconds=100)
    assert ledger.stage_done("main")
