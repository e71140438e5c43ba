"""The plan of moves: which findings a render acts on, and the kinds of move asked for."""

from __future__ import annotations

import pytest

from ai.mixing.findings import MIX_BUS
from ai.mixing.render_plan import DEFAULT_APPLY, parse_apply, plan_moves
from tests.ai.mixing.signals import suggestion
from utils.errors import InvalidParameter


def test_plan_skips_advice_and_what_a_render_cannot_fix() -> None:
    hp = {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 80.0, "gain_db": 0.0, "q": 0.707}}
    cut = {"kind": "eq", "eq": {"type": "cut", "freq_hz": 100.0, "gain_db": -4.0, "q": 2.0}}
    deeper = {"kind": "eq", "eq": {"type": "cut", "freq_hz": 110.0, "gain_db": -6.0, "q": 2.0}}
    found = [
        suggestion("rumble", "Gtr", hp),
        suggestion("dc_offset", "Gtr", {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 20.0}}),
        suggestion("masking", "Bass", cut),
        suggestion("masking", "Bass", deeper),
        suggestion("masking", "Gtr", cut, info=True),
        suggestion("level", "Bass", {"kind": "gain", "gain_db": 5.0}),
        suggestion("clipping", "Gtr", {"kind": "gain", "gain_db": -3.0}),
        suggestion("headroom", None, {"kind": "gain", "gain_db": -2.0}, tracks=(MIX_BUS,)),
        suggestion("space", "Gtr", {"kind": "reverb", "reverb": {}}),
        suggestion("level", "Nobody", {"kind": "gain", "gain_db": 1.0}),
    ]
    plan = plan_moves(found, track_names=["Gtr", "Bass"], apply=DEFAULT_APPLY, mastering=False)
    # One high-pass per track, the higher one; two cuts a 1/6 octave apart are one move, the deeper.
    assert [m.params for m in plan.moves["Gtr"]] == [hp["eq"]]
    assert [m.params["gain_db"] for m in plan.moves["Bass"]] == [-6.0]
    assert plan.moves[MIX_BUS] == []
    reasons = {(s["type"], s["track"]): s["reason"] for s in plan.skipped}
    assert reasons[("masking", "Gtr")].startswith("advice")
    assert reasons[("level", "Bass")] == "covered by auto-level"
    assert reasons[("headroom", MIX_BUS)] == "covered by auto-level"
    assert "re-export" in reasons[("clipping", "Gtr")]
    assert "reverb" in reasons[("space", "Gtr")]
    assert "Nobody" in reasons[("level", "Nobody")]
    # Without auto-level the level and headroom gains are applied as they are.
    plan = plan_moves(found, track_names=["Gtr", "Bass"], apply=frozenset({"gain"}), mastering=False)
    assert [m.params for m in plan.moves["Bass"]] == [{"gain_db": 5.0}]
    assert [m.params for m in plan.moves[MIX_BUS]] == [{"gain_db": -2.0}]
    assert plan.moves["Gtr"] == []


def test_apply_kinds_are_parsed_and_checked() -> None:
    assert parse_apply("eq, compressor") == {"eq", "compressor"}
    assert parse_apply(None) == DEFAULT_APPLY == parse_apply("all")
    assert parse_apply("none") == frozenset()
    with pytest.raises(InvalidParameter) as info:
        parse_apply(["eq", "reverb"])
    assert info.value.parameter == "apply"


@pytest.mark.parametrize("value", ["all, eq", "eq,none", ["all", "gain"]])
def test_all_or_none_in_a_list_of_kinds_is_refused_in_words_that_hold(value: str | list[str]) -> None:
    """It was "unknown move kind 'all'; use all, none or ...": a kind the same sentence offers."""
    with pytest.raises(InvalidParameter) as info:
        parse_apply(value)
    assert info.value.parameter == "apply" and "stands alone, not in a list of move kinds" in info.value.detail
    assert "unknown" not in info.value.detail
