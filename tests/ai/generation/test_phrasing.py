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
    out = loop_phrases([*primer, *generated, crash], bar_seconds=BAR, offset=offset, bars=8, two_bar=True)
    assert out[0] == primer[0]
    played = [n.pitch - 36 for n in out if n.pitch not in (49,) and n.start >= offset]
    assert played == [0, 1, 0, 3, 0, 1, 0, 7]
    starts = [round(n.start - offset - 0.5, 6) for n in out if n.pitch != 49 and n.start >= offset]
    assert starts == [bar * BAR for bar in range(8)]
    assert [n for n in out if n.pitch == 49] == [crash]


def test_a_second_bar_that_changes_kick_and_snare_is_not_looped() -> None:
    assert phrase_plan(8, two_bar=False) == [0, 0, 0, 3, 0, 0, 0, 7]

    def bar(index: int, snare_at: float) -> list[Note]:
        start = index * BAR
        return [
            Note(36, start, start + 0.1, 100),
            Note(38, start + snare_at, start + snare_at + 0.1, 90),
            Note(42, start + 0.25 * index, start + 0.25 * index + 0.1, 60),
        ]

    same = bar(0, 1.0) + bar(1, 1.0) + bar(2, 0.5) + bar(3, 1.5)  # bar 2 varies only its hat
    assert [n.pitch for n in loop_phrases(same, bar_seconds=BAR, offset=0.0, bars=4) if n.pitch == 42] == [42] * 4
    played = loop_phrases(same, bar_seconds=BAR, offset=0.0, bars=4)
    assert [round(n.start % BAR, 3) for n in played if n.pitch == 42] == [0.0, 0.25, 0.0, 0.75]  # 1 2 1 4
    changed = bar(0, 1.0) + bar(1, 0.5) + bar(2, 0.5) + bar(3, 1.5)  # bar 2 moves the snare
    played = loop_phrases(changed, bar_seconds=BAR, offset=0.0, bars=4)
    assert [round(n.start % BAR, 3) for n in played if n.pitch == 38] == [1.0, 1.0, 1.0, 1.5]  # 1 1 1 4


def test_fills_end_each_phrase_in_the_grooves_dynamics() -> None:
    import numpy as np

    from ai.generation.phrasing import add_fills, fill_bars

    assert fill_bars(8) == [3, 7] and fill_bars(3) == [] and fill_bars(4) == [3]
    step = BAR / 16
    groove = [
        Note(42, (16 * bar + s) * step, (16 * bar + s) * step + 0.05, 60) for bar in range(8) for s in range(0, 16, 2)
    ]
    groove += [Note(38, (16 * bar + s) * step, (16 * bar + s) * step + 0.05, 48) for bar in range(8) for s in (4, 12)]
    out = add_fills(
        groove,
        style="rock",
        bars=8,
        bar_seconds=BAR,
        offset=0.0,
        pulses=(4, 4, 4, 4),
        density=0.5,
        temperature=1.0,
        rng=np.random.default_rng(0),
    )
    toms = {41, 43, 45, 47, 48, 50}
    tom_bars = {int(n.start // BAR) for n in out if n.pitch in toms}
    assert tom_bars <= {3, 7} and 3 in tom_bars
    last_beat_hats = [
        n for n in out if n.pitch == 42 and int(n.start // BAR) == 3 and n.start % BAR >= 12 * step - 1e-9
    ]
    assert not last_beat_hats  # the groove gives way to the fill
    crashes = [n for n in out if n.pitch == 49]
    assert [round(n.start, 6) for n in crashes] == [4 * BAR]  # into the second phrase; none after the clip
    fill = [n.velocity for n in out if n.pitch in toms]
    assert max(fill) <= 48 * 116 / 96 + 1  # scaled to the groove's snare (48), not the written 80-116


def test_a_drum_primers_last_bars_are_the_continuations_groove() -> None:
    from ai.generation.phrasing import keep_primer_groove

    primer = [Note(36, bar * BAR, bar * BAR + 0.1, 100) for bar in range(3)]  # three bars, kick on one
    primer += [Note(38, 2 * BAR + 1.0, 2 * BAR + 1.1, 90)]  # the last bar adds a snare
    offset = 3 * BAR
    generated = [Note(42, offset + bar * BAR + 0.5, offset + bar * BAR + 0.6, 70) for bar in range(4)]
    out = keep_primer_groove(generated, primer, offset=offset, bar_seconds=BAR)
    bar0 = [(n.pitch, round(n.start - offset, 6)) for n in out if offset <= n.start < offset + BAR]
    bar1 = [(n.pitch, round(n.start - offset - BAR, 6)) for n in out if offset + BAR <= n.start < offset + 2 * BAR]
    assert bar0 == [(36, 0.0)] and bar1 == [(36, 0.0), (38, 1.0)]  # the primer's bars 2 and 3
    assert [n for n in out if n.start >= offset + 2 * BAR] == generated[2:]
    assert keep_primer_groove(generated, primer[:1], offset=0.5, bar_seconds=BAR) == generated  # under a bar


def test_a_fill_bar_lands_its_downbeat_as_the_groove_does() -> None:
    """The Magenta drum model's own bar at a phrase's end often has no kick on the one, and the fill starts
    later in the bar: every fill bar of its 5/4, 6/8 and 7/8 clips started without its kick (session 29's QA;
    counted in session 30). A fill bar gets the groove's downbeat kick; a groove that leaves the one empty (a one
    drop) keeps it so."""
    from ai.generation.phrasing import land_fill_downbeats

    def clip(kick_on_one: bool) -> list[Note]:
        notes = [Note(38, bar * BAR + 1.0, bar * BAR + 1.1, 90) for bar in range(8)]
        notes += [
            Note(36, bar * BAR, bar * BAR + 0.1, 100 + bar) for bar in range(8) if kick_on_one and bar not in (3, 7)
        ]
        return notes

    out = land_fill_downbeats(clip(True), bars=8, bar_seconds=BAR, offset=0.0)
    kicked = sorted(round(n.start / BAR, 6) for n in out if n.pitch == 36)
    assert kicked == [float(bar) for bar in range(8)]
    assert {n.velocity for n in out if n.pitch == 36 and round(n.start / BAR) in (3, 7)} == {103}  # the groove's median
    one_drop = clip(False)
    assert land_fill_downbeats(one_drop, bars=8, bar_seconds=BAR, offset=0.0) == one_drop
    no_phrase_end = land_fill_downbeats(clip(True), bars=3, bar_seconds=BAR, offset=0.0)
    assert set(no_phrase_end) == set(clip(True))  # under four bars: no fill
