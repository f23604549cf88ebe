"""Derived seeds: one scheme for every random stream a run draws (data order, flow noise, evaluation scenes,
offline batches, the regression job's batches), so that a stream depends only on the run's seed and a name.

Different streams never share a seed, and the same (seed, name…) gives the same stream in every arm: the
paired design. Lowest layer: imports nothing of ablate's.

Three older streams keep their own numpy `SeedSequence` salts, because their values are in recorded data and
published results: the mixture sampler (`data.mixture`, salt 0xAB1A7E), the dropout draws (`data.loader`,
salt 0xD50) and the testbed's recorded episodes (`testbed.record`, seed x 100000 + attempt). Re-seeding them
would change every dataset and result made so far.
"""

from __future__ import annotations

import hashlib


def derived_seed(*parts: object) -> int:
    """A 63-bit seed from the run seed and the stream's name parts, e.g. `derived_seed(seed, "noise", stage)`."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") % 2**63


def episode_seed(*parts: object) -> int:
    """A seed simulators accept (31 bits): the closed-loop episode of a (run seed, target, trial)."""
    return derived_seed(*parts) % 2**31
