"""Phrases (ai.generation.phrasing): which generated bar each bar plays, and the rebuilt clip."""

from __future__ import annotations

from ai.generation.base import Note
from ai.generation.phrasing import loop_phrases, phrase_plan

BAR = 2.0


def test_plan_holds_two_bars_and_ends_each_phrase_with_its_own() -> None:
    assert phrase_plan(8) == [0, 1, 0, 3, 0, 1, 0, 7]
    assert phrase_plan(1) == [0] and phrase_plan(2) == [0, 1] and phrase_plan(3) == [0, 1, 0]
    assert phrase_plan(6) == [0, 1, 0, 3, 0, 1]


def test_loop_rebuilds_bars_keeps_primer_and_crashes() -> None:
    primer = [Note(36, 0.1, 0.2, 90)]
    offset = 1.0  # the continuation starts after a one-second primer
    generated = [Note(36 + bar, offset + bar * BAR + 0.5, offset + bar * BAR + 0.6, 100) for bar in range(8)]
    crash = Note(49, offset + 4 * BAR, offset + 4 * BAR + 1.0, 110)  # after the first phrase's fill
    out = loop_phrases([*primer, *generated, crash], bar_seconds=BAR, offset=offset, bars=8)
    assert out[0] == primer[0]
    played = [n.pitch - 36 for n in out if n.pitch not in (49,) and n.start >= offset]
    assert played == [0, 1, 0, 3, 0, 1, 0, 7]
    starts = [round(n.start - offset - 0.5, 6) for n in out if n.pitch != 49 and n.start >= offset]
    assert starts == [bar * BAR for bar in range(8)]
    assert [n for n in out if n.pitch == 49] == [crash]
