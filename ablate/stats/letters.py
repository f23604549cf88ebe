"""Compact letter display: letters per arm such that two arms share a letter exactly when their pair is not
significantly different.

Piepho's (2004) insert-and-absorb algorithm, step for step as R's `multcompView::multcompLetters` (0.1.8), so the
letters match R's for the same arm order and the same significant pairs: every significant pair, in the order
(1, 2), (1, 3), …, (2, 3), … of `arms`, splits each letter the two share into one without the first and one
without the second; letters whose arms are a subset of another letter's are absorbed. Letters are then sorted by
the first arm carrying them, so the first arm gets "a": callers order arms best first, as
`multcompLetters2/3/4` do (means sorted decreasing). Piepho HP (2004), An algorithm for a letter-based
representation of all-pairwise comparisons, J Comput Graph Stat 13(2):456–466."""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

METHOD = "Piepho (2004) insert-and-absorb, as R multcompView::multcompLetters"
LETTERS = [*string.ascii_lowercase, *string.ascii_uppercase, "."]  # R's default `Letters`


def compact_letters(arms: Sequence[str], significant: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Letters per arm, in the order of `arms` (best first gets "a"). `significant`: unordered pairs of arms that
    differ; every other pair shares at least one letter."""
    arms = list(arms)
    if len(set(arms)) != len(arms):
        raise ValueError(f"arms must be distinct, got {arms}")
    index = {a: i for i, a in enumerate(arms)}
    wanted = set()
    for a, b in significant:
        if a not in index or b not in index or a == b:
            raise ValueError(f"significant pair ({a!r}, {b!r}) is not a pair of distinct arms from {arms}")
        wanted.add(frozenset((index[a], index[b])))
    matrix = np.ones((len(arms), 1), dtype=bool)  # rows arms, columns letters
    for i, j in combinations(range(len(arms)), 2):  # R's lower-triangle order of the pairs
        if frozenset((i, j)) in wanted:
            matrix = _insert(matrix, i, j)
    if not wanted:  # R returns the single letter without sorting
        return dict.fromkeys(arms, LETTERS[0])
    matrix = _sort_columns(matrix)
    names = _letter_names(matrix.shape[1])
    return {a: "".join(n for n, keep in zip(names, matrix[r], strict=True) if keep) for r, a in enumerate(arms)}


def _insert(matrix: np.ndarray, i: int, j: int) -> np.ndarray:
    """Split every letter shared by arms i and j: the copy drops i, the original drops j."""
    shared = matrix[i] & matrix[j]
    if not shared.any():
        return matrix
    copy = matrix[:, shared].copy()
    copy[i] = False
    matrix = matrix.copy()
    matrix[j, shared] = False
    return _absorb(np.concatenate([matrix, copy], axis=1))


def _absorb(matrix: np.ndarray) -> np.ndarray:
    """Drop letters whose arms all carry another letter, first found first, as R's recursive `absorb`."""
    while True:
        dropped = False
        for i, j in combinations(range(matrix.shape[1]), 2):
            if matrix[matrix[:, j], i].all():
                drop = j
            elif matrix[matrix[:, i], j].all():
                drop = i
            else:
                continue
            matrix, dropped = np.delete(matrix, drop, axis=1), True
            break
        if not dropped:
            return matrix


def _first_rows(matrix: np.ndarray) -> np.ndarray:
    # R's which(x)[1] is NA for an empty column and order() puts NA last
    return np.where(matrix.any(axis=0), matrix.argmax(axis=0), matrix.shape[0])


def _sort_columns(matrix: np.ndarray) -> np.ndarray:
    """R's `sortCols`: letters by their first arm (stable), and letters starting at the same arm by the arms below,
    recursively — including R's way of re-sorting overlapping windows of two, so the letters match R's."""
    matrix = matrix[:, np.argsort(_first_rows(matrix), kind="stable")]
    first = _first_rows(matrix)
    for i in np.flatnonzero(np.diff(first) == 0):
        rows, cols = slice(first[i] + 1, None), slice(i, i + 2)
        matrix[rows, cols] = _sort_columns(matrix[rows, cols])
    return matrix


def _letter_names(count: int, names: list[str] = LETTERS) -> list[str]:
    """R's `makeLtrs`: a…z, A…Z, then ".a", ".b", … once the 52 single letters run out."""
    if count < len(names):
        return names[:count]
    last = names[-1]
    longer = [last + n for n in names[:-1]] + [last]
    return names[:-1] + _letter_names(count - len(names) + 1, longer)
