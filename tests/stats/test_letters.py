"""The compact letter display against R's multcompView, and its defining property on random families."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ablate.stats.letters import compact_letters

# Recorded with R 4.2.2, multcompView 0.1.8: for n arms x1…xn and the significant pairs (i, j) below,
#   lv <- paste0("x", 1:n); m <- matrix(FALSE, n, n, dimnames = list(lv, lv))
#   for (ij in pairs) { m[ij[1], ij[2]] <- TRUE; m[ij[2], ij[1]] <- TRUE }
#   paste(multcompLetters(m)$Letters, collapse = " ")
R_EXAMPLES = [
    (6, "1-4,1-5,1-6,2-4,2-5,2-6,3-4,3-5,3-6", "a a a b b b"),  # two clear groups
    (5, "1-3,1-4,1-5,2-5", "a ab bc bc c"),  # a staircase of overlapping groups
    (4, "1-2,3-4", "ab cd ac bd"),  # crossing: no letter can hold three arms
    (6, "1-2,1-3,2-4,3-5,4-6,5-6,1-6", "a bc bd ad ac b"),  # a ring
    (7, "1-4,2-5,3-6,4-7,1-7,2-6", "abc ade abdefg dfh bcfghi chi egi"),
    (4, "2-4,3-4,1-3,1-4", "a ab b c"),
    (
        10,
        "1-7,6-8,5-10,4-7,2-9,4-6,3-4,2-5,3-8,4-5,7-8,6-7,4-8,6-10,2-4,5-7,1-4,3-9",
        "abcdefg acfh abfh i bde abd hj ceg degij cfghij",
    ),
    (8, "4-6,3-5,5-8,3-7,1-4,2-8,1-6,7-8,2-3,1-3,2-6,2-7,1-8,6-7,3-4,1-7,5-7,2-4,6-8,3-8", "a a b cde acf bf d e"),
    (
        11,
        "8-9,1-9,1-8,6-9,5-8,8-11,6-11,1-5,2-5,7-9,7-10,3-10,3-9,2-9,2-11,5-9,7-11,4-10,2-4,8-10,3-11,3-6,2-7,3-4,"
        "2-8,2-3,5-6,3-5,1-10,4-8,1-2,2-10,9-11,2-6,9-10,3-7,1-4,5-10,1-3,6-8,4-7,4-9,6-10",
        "ab c d ef eg af agh dh i j bej",
    ),
    (3, "", "a a a"),  # nothing significant: one letter for all
]


@pytest.mark.parametrize(("n", "pairs", "expected"), R_EXAMPLES)
def test_letters_match_r_multcompview(n, pairs, expected):
    arms = [f"x{i}" for i in range(1, n + 1)]
    significant = [tuple(f"x{k}" for k in p.split("-")) for p in pairs.split(",") if p]
    assert " ".join(compact_letters(arms, significant).values()) == expected


def test_letters_are_keyed_by_arm_and_the_first_arm_gets_a():
    letters = compact_letters(["joint_abs", "eef_abs", "eef_rel"], [("eef_rel", "joint_abs")])
    assert letters == {"joint_abs": "a", "eef_abs": "ab", "eef_rel": "b"}


def test_pairs_outside_the_arms_are_refused():
    with pytest.raises(ValueError, match="not a pair of distinct arms"):
        compact_letters(["a", "b"], [("a", "c")])


@st.composite
def families(draw):
    n = draw(st.integers(1, 8))
    arms = [f"arm{i}" for i in range(n)]
    every = list(combinations(arms, 2))
    significant = draw(st.lists(st.sampled_from(every), unique=True)) if every else []
    return arms, significant


@settings(max_examples=300, deadline=None)
@given(families())
def test_two_arms_share_a_letter_exactly_when_their_pair_is_not_significant(family):
    arms, significant = family
    letters = compact_letters(arms, [(b, a) for a, b in significant])  # either order names the same pair
    assert all(letters[a] for a in arms)
    assert "a" in letters[arms[0]]
    differ = {frozenset(p) for p in significant}
    for a, b in combinations(arms, 2):
        shares = bool(set(letters[a]) & set(letters[b]))
        assert shares == (frozenset((a, b)) not in differ), (a, b, letters)
