"""Pans: a role's place, the side a track's name says, single side roles taking turns (ai.mixing.pans)."""

from __future__ import annotations

import pytest

from ai.mixing.pans import name_side, role_pans
from ai.mixing.targets import ROLE_PANS


@pytest.mark.parametrize(
    ("name", "side"),
    [
        ("OH L", -1),
        ("OH R", 1),
        ("Gtr_Lt", -1),
        ("Piano Left", -1),
        ("Room (R)", 1),
        ("L Gtr", -1),
        ("Guitar 2 R", 1),
        ("Keys_R2", 1),
        ("Lead", None),
        ("R&B Keys", None),
        ("Lr Mix", None),
        ("Kick In", None),
        ("Left Right", None),  # both: none
    ],
)
def test_a_side_is_a_word_of_its_own(name: str, side: int | None) -> None:
    assert name_side(name) == side


def test_a_split_stereo_pair_goes_hard_left_and_right() -> None:
    """Mono "OH L" and "OH R" were both centred: the overheads summed to mono."""
    assert role_pans(["overheads", "overheads", "kick"], ["OH L", "OH R", "Kick"]) == [-1.0, 1.0, 0.0]
    assert role_pans(["keys", "keys"], ["Piano_R", "Piano_L"]) == [1.0, -1.0]


def test_a_side_alone_is_taken_at_its_word() -> None:
    """ "Gtr R" went left when it was uploaded first (the role's spread ranks by upload order)."""
    pans = role_pans(["guitar", "guitar"], ["Gtr R", "Gtr L2"])  # not partners: "gtr" and "gtr 2"
    assert pans[0] > 0.5 - 1e-9 and pans[1] < -0.5 + 1e-9
    assert role_pans(["guitar"], ["Gtr R"]) == [pytest.approx(0.6)]  # the guitar's spread on its side


def test_single_side_roles_take_turns() -> None:
    """Hi-hat and keys were both at +0.3: nothing on the left in half the bench's songs."""
    pans = role_pans(["kick", "hihat", "keys", "bass"], ["Kick", "Hats", "Piano", "Bass"])
    assert pans == [0.0, ROLE_PANS["hihat"], -ROLE_PANS["keys"], 0.0]
    three = role_pans(["hihat", "keys", "guitar"], ["Hats", "Piano", "Guitar"])
    assert [p > 0 for p in three] == [True, False, True]


def test_without_names_roles_spread_as_before() -> None:
    pans = role_pans(["guitar", "guitar", "kick"])
    assert pans[0] == -pans[1] and pans[0] < 0 and pans[2] == 0.0
