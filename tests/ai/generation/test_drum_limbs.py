"""One hi-hat and one timekeeper: what a drummer's kit can sound at once."""

from __future__ import annotations

import pytest

from ai.generation.base import GenerationRequest, Note
from ai.generation.drum_limbs import hat_open_and_closed, one_hi_hat, one_timekeeper, over_two_hands, two_hands
from ai.generation.theory import TheoryGenerator
from ai.music_theory import Key, default_progression

CLOSED, PEDAL, OPEN, KICK = 42, 44, 46, 36


def _together(notes: list[Note], tolerance: float = 0.03) -> int:
    """Open hats with a closed or pedal hat within ``tolerance`` seconds (swing and humanizing move hits apart)."""
    opens = [n.start for n in notes if n.pitch == OPEN]
    return sum(1 for t in opens if any(n.pitch in (CLOSED, PEDAL) and abs(n.start - t) <= tolerance for n in notes))


def test_one_timekeeper_drops_hats_under_the_ride() -> None:
    notes = [Note(51, 0.0, 0.1, 80), Note(42, 0.0, 0.1, 70), Note(42, 0.25, 0.35, 70), Note(36, 0.0, 0.1, 100)]
    assert one_timekeeper(notes) == [Note(51, 0.0, 0.1, 80), Note(42, 0.25, 0.35, 70), Note(36, 0.0, 0.1, 100)]
    assert one_timekeeper(notes[1:]) == notes[1:]  # no ride: nothing to choose


def test_hats_struck_together_close_on_the_beat_and_open_between_at_the_louder_velocity() -> None:
    bar = 2.0  # 4/4 at 120: beats every 0.5 s, eighths every 0.25 s
    notes = [
        Note(KICK, 0.0, 0.1, 100),
        Note(CLOSED, 0.0, 0.1, 60),  # on the beat: the closed hat stays, at the open one's 90
        Note(OPEN, 0.0, 0.2, 90),
        Note(CLOSED, 0.25, 0.35, 85),  # on the "and": the open hat stays, at the closed one's 85
        Note(OPEN, 0.25, 0.45, 70),
        Note(OPEN, 0.75, 0.9, 80),
        Note(PEDAL, 0.754, 0.8, 50),  # the foot can not close the hat the stick opens
        Note(OPEN, 2.5, 2.7, 70),  # bar 2's second beat, with stick and foot on the closed hat
        Note(CLOSED, 2.5, 2.6, 75),
        Note(PEDAL, 2.5, 2.6, 40),
    ]
    assert one_hi_hat(notes, pulses=(4, 4, 4, 4), bar_seconds=bar) == [
        Note(KICK, 0.0, 0.1, 100),
        Note(CLOSED, 0.0, 0.1, 90),
        Note(OPEN, 0.25, 0.45, 85),
        Note(OPEN, 0.75, 0.9, 80),
        Note(CLOSED, 2.5, 2.6, 75),
        Note(PEDAL, 2.5, 2.6, 40),
    ]
    assert hat_open_and_closed(notes) and not hat_open_and_closed(one_hi_hat(notes, pulses=(4,) * 4, bar_seconds=bar))
    # 6/8 pulses in dotted quarters: the third eighth (0.5 s at 120) lies between them, so the open hat stays
    six_eight = [
        Note(CLOSED, 0.5, 0.6, 70),
        Note(OPEN, 0.5, 0.7, 70),
        Note(CLOSED, 0.75, 0.8, 70),
        Note(OPEN, 0.75, 0.9, 70),
    ]
    assert one_hi_hat(six_eight, pulses=(6, 6), bar_seconds=1.5) == [
        Note(OPEN, 0.5, 0.7, 70),
        Note(CLOSED, 0.75, 0.8, 70),
    ]
    # after a 1-s primer the bar starts at 1.0: 1.25 is an "and"
    assert one_hi_hat(
        [Note(CLOSED, 1.25, 1.3, 70), Note(OPEN, 1.25, 1.4, 70)], pulses=(4,) * 4, bar_seconds=bar, offset=1.0
    ) == [Note(OPEN, 1.25, 1.4, 70)]
    alone = [Note(CLOSED, 0.0, 0.1, 90), Note(PEDAL, 0.0, 0.1, 60), Note(OPEN, 0.25, 0.4, 70)]
    assert one_hi_hat(alone, pulses=(4,) * 4, bar_seconds=bar) == alone and not hat_open_and_closed(alone)
    assert one_hi_hat([], pulses=(4,) * 4, bar_seconds=bar) == [] and not hat_open_and_closed(())


def _drums(style: str, seed: int, **kw: object) -> list[Note]:
    key = Key(0, "major")
    request = GenerationRequest(
        part="drums", key=key, chords=default_progression(key), style=style, bars=8, seed=seed, tempo=110.0, **kw
    )  # type: ignore[arg-type]
    return TheoryGenerator().generate(request).notes


@pytest.mark.parametrize("style", ["electronic", "reggae"])
def test_theory_drums_never_strike_an_open_and_a_closed_hat_together(style: str) -> None:
    """The electronic pattern's open hat and its closed eighths fell together on 115 of 230 hat hits (seeds 0-3),
    reggae's on 24: a synthesizer sounds only one of them. The patterns' open hats fall between the beats: kept."""
    for seed in range(4):
        notes = _drums(style, seed)
        assert _together(notes) == 0, (style, seed)
    assert sum(1 for seed in range(4) for n in _drums(style, seed) if n.pitch == OPEN) > 0


def test_a_callers_groove_that_strikes_both_hats_is_played_as_written() -> None:
    """A primer whose kit sounds an open and a closed hat together (a layered sample kit that does not choke) keeps
    them together in the continuation, as the theory drums keep a primer's groove."""
    beat = 60.0 / 110.0
    primer = tuple(
        note
        for b in range(8)
        for note in (
            Note(KICK, b * beat, b * beat + 0.1, 100),
            Note(CLOSED, (b + 0.5) * beat, (b + 0.5) * beat + 0.1, 80),
            Note(OPEN, (b + 0.5) * beat, (b + 0.5) * beat + 0.2, 80),
        )
    )
    notes = _drums("electronic", 1, primer=primer, primer_seconds=8 * beat)
    continuation = [n for n in notes if n.start >= 8 * beat - 1e-6]
    assert _together(continuation) > 0


SNARE, RIDE, CRASH, LOW_TOM, STICK = 38, 51, 49, 45, 37


def test_two_hands_play_what_three_pieces_at_once_asked_for() -> None:
    """A drummer riding the cymbal closes the hat with the foot; what is still over two hands gives way, the
    timekeeper first (the riding hand leaves it for the crash, the snare or a tom)."""
    notes = [
        Note(KICK, 0.0, 0.1, 100),
        Note(SNARE, 0.0, 0.1, 110),
        Note(CLOSED, 0.002, 0.1, 70),  # with the ride and the snare: the foot's
        Note(RIDE, 0.0, 0.1, 80),
        Note(CLOSED, 0.5, 0.6, 70),  # hat and ride alone: two hands, as written
        Note(RIDE, 0.5, 0.6, 80),
        Note(CRASH, 1.0, 1.5, 110),  # a phrase's downbeat: crash and snare, the hat left
        Note(SNARE, 1.0, 1.1, 100),
        Note(CLOSED, 1.0, 1.1, 70),
        Note(SNARE, 1.5, 1.6, 100),  # snare, tom and open hat: the hat gives way
        Note(LOW_TOM, 1.5, 1.6, 90),
        Note(OPEN, 1.5, 1.7, 80),
        Note(SNARE, 2.0, 2.1, 100),  # snare and side stick are one drum: two pieces with the hat
        Note(STICK, 2.0, 2.1, 60),
        Note(CLOSED, 2.0, 2.1, 70),
    ]
    assert over_two_hands(notes)
    played = two_hands(notes)
    assert played == [
        Note(KICK, 0.0, 0.1, 100),
        Note(SNARE, 0.0, 0.1, 110),
        Note(PEDAL, 0.002, 0.1, 70),
        Note(RIDE, 0.0, 0.1, 80),
        Note(CLOSED, 0.5, 0.6, 70),
        Note(RIDE, 0.5, 0.6, 80),
        Note(CRASH, 1.0, 1.5, 110),
        Note(SNARE, 1.0, 1.1, 100),
        Note(SNARE, 1.5, 1.6, 100),
        Note(LOW_TOM, 1.5, 1.6, 90),
        Note(SNARE, 2.0, 2.1, 100),
        Note(STICK, 2.0, 2.1, 60),
        Note(CLOSED, 2.0, 2.1, 70),
    ]
    assert not over_two_hands(played) and two_hands(played) == played
    # the foot already on the pedal hat: the stick's closed hat goes
    assert two_hands(
        [Note(SNARE, 0, 0.1, 100), Note(RIDE, 0, 0.1, 80), Note(CLOSED, 0, 0.1, 70), Note(PEDAL, 0, 0.1, 50)]
    ) == [
        Note(SNARE, 0, 0.1, 100),
        Note(RIDE, 0, 0.1, 80),
        Note(PEDAL, 0, 0.1, 50),
    ]
    assert two_hands([]) == [] and not over_two_hands(())
