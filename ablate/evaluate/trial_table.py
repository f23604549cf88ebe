"""The trial table as evaluation writes it: its one home is `ablate.trials` (columns, reader, writer), which the
report, `ablate table` and `ablate blind` read without the training side; these names stay importable here."""

from __future__ import annotations

from ablate.layout import RUN_TRIALS, TRIALS_DIR
from ablate.trials import read_trials, success_by_arm, write_run_trials

__all__ = ["RUN_TRIALS", "TRIALS_DIR", "read_trials", "success_by_arm", "write_run_trials"]
