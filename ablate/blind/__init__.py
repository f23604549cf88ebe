"""Grouped Blind Ensemble (Rethinking VLA Model Scaling, arXiv 2602.09722): evaluate models on real robots without
the people running and scoring the trials knowing which model is which.

The protocol, as `ablate blind plan | status | lock | unblind` runs it:

1. `plan` splits the models at random into disjoint groups of 4–8 (sizes as even as possible around
   `--group-size`), gives every model an alias (a word drawn at random, unique in the plan while the words last)
   and writes, in the plan folder, an operator's run sheet (`run_sheet.csv`: group, order, alias, target, trial,
   trial id), a judge's outcome sheet (`outcomes.csv`: trial id, group, target and empty `success`, `progress`,
   `judge`) and `plan.json`. None holds a model name, path or anything that maps aliases to models. The mapping
   goes to a sealed key file outside the plan folder; its SHA-256 (the commitment) is printed and kept in
   `plan.json`.
2. The operator runs the trials by alias; the judge fills `outcomes.csv`. Meanwhile `status` shows, by alias only,
   which pairs are already settled on which target (a sequential test valid at any look; ablate/blind/interim.py).
3. `lock` validates the filled sheet and records, in `lock.json`, its SHA-256, the key commitment and the previous
   lock's hash, and a lock hash over them (ablate/blind/lock.py). The lock hash is printed: publish it beside the
   commitment. A re-lock (`--force`) chains the lock it replaces and prints a new hash.
4. `unblind --key [--commitment C --lock-commitment L]` checks the key against the commitment, the run sheet against
   the key, the outcome sheet against the lock and the lock chain, and the published hashes given; then writes the
   trial table (DESIGN.md) for `ablate report`, marked UNVERIFIED (stderr and `unblinded.json`) for each published
   hash not given.

Choices, and why:
- All randomness (groups, aliases, trial ids, run order) comes from one seed, so whoever holds it can rebuild the
  plan. The seed plus the model list *is* the assignment, so the seed is stored in the sealed key only, never in
  the plan folder; without `--seed` one is drawn from `secrets`.
- The key holds a 256-bit random nonce beside the mapping, so the commitment cannot be brute-forced from a guess
  of the mapping. The commitment is over the key file's exact bytes (canonical JSON), so one changed byte, or two
  swapped models, is refused at unblinding. The key also holds the run sheet's hash: the trial → alias link used
  at unblinding is the one that was planned.
- Run order: per group, target by target, the trials come in rounds; each round runs every alias once in a fresh
  random order. A model's trials are never a block, and slow drift (battery, lighting, wear) hits every model
  alike. Trial ids are random and the judge's sheet is sorted by them, so it shows neither alias nor run order.
- `trial` is 1-based on the operator's sheet (people count from 1) and 0-based in the trial table, as in the
  closed-loop evaluation. A model given as `NAME@SEED` becomes arm NAME, seed SEED; otherwise seed 0.
- Exit codes: 2 for bad input (flags, unreadable or malformed files, an incomplete sheet) and for a published hash
  that the folder does not match (`--commitment`, `--lock-commitment`: the file and both hashes are named); 1 when
  a check within the folder fails (`CheckFailed`: key ≠ plan.json's commitment, a sheet changed since it was
  planned or locked, a lock chain edited or cut, unblinding an unlocked sheet, re-locking a different sheet without
  `--force` or after unblinding). Either way nothing is written.

The checks within the folder guard against honest mistakes and casual edits, not against whoever can rewrite the
folder and the key together: every hash in them can be recomputed. Only hashes kept outside can: the commitment
printed at `plan` and the lock hash printed at `lock`, published (lab notebook, pre-registration) and passed to
`unblind --commitment --lock-commitment`. A lock hash covers the key commitment too, so a key swapped after the
lock fails either check.
"""

from __future__ import annotations


class CheckFailed(Exception):
    """An integrity check of the protocol failed (exit code 1): nothing is revealed."""
