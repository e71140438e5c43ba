"""One line (instrument=melody): the polyphonic decoder's notes of a voice or a horn made one note at a time."""

from __future__ import annotations

import itertools
import random

from ai.transcription.one_line import Event, LineOptions, one_line

FRAME = 0.0116  # about one model frame


def bends(seconds: float, value: int = 0) -> list[int]:
    return [value] * round(seconds / FRAME)


def test_a_note_ringing_into_the_next_ends_where_it_starts_its_bends_cut_too() -> None:
    first: Event = (0.0, 1.1, 60, 0.5, bends(1.1))
    second: Event = (1.0, 2.0, 62, 0.5, bends(1.0, 1))
    line = one_line([first, second], FRAME)
    assert [(s, e, p) for s, e, p, _, _ in line] == [(0.0, 1.0, 60), (1.0, 2.0, 62)]
    assert line[0][4] is not None and len(line[0][4]) == round(1.0 / FRAME)


def test_notes_starting_together_keep_the_stronger() -> None:
    octave: Event = (0.0, 1.0, 72, 0.3, None)
    sung: Event = (0.01, 1.0, 60, 0.6, None)
    assert [e[2] for e in one_line([octave, sung], FRAME)] == [60]
    assert [e[2] for e in one_line([(0.0, 1.0, 60, 0.6, None), (0.02, 0.9, 72, 0.3, None)], FRAME)] == [60]


def test_a_weaker_harmonic_or_vibrato_neighbour_inside_a_held_note_is_no_note() -> None:
    held: Event = (0.0, 2.0, 60, 0.6, None)
    for interval in (12, 19, 1, -1):
        inside: Event = (0.5, 0.8, 60 + interval, 0.3, None)
        assert [e[2] for e in one_line([held, inside], FRAME)] == [60], interval
    # another interval is the line's next note: the held note's decoded end rang past it
    nxt: Event = (0.5, 0.8, 65, 0.3, None)
    assert [(e[0], e[1], e[2]) for e in one_line([held, nxt], FRAME)] == [(0.0, 0.5, 60), (0.5, 0.8, 65)]
    # a stronger one at a related interval is a note too (a leap of a semitone)
    strong: Event = (0.5, 0.8, 61, 0.9, None)
    assert [e[2] for e in one_line([held, strong], FRAME)] == [60, 61]


def test_a_note_restarting_at_its_own_pitch_within_the_gap_continues() -> None:
    a: Event = (0.0, 0.5, 60, 0.5, bends(0.5, 1))
    restart: Event = (0.52, 1.0, 60, 0.4, bends(0.48, 2))
    [merged] = one_line([a, restart], FRAME)
    assert (merged[0], merged[1], merged[2]) == (0.0, 1.0, 60)
    assert merged[4] is not None and merged[4][0] == 1 and merged[4][-1] == 2
    assert abs(len(merged[4]) - round(1.0 / FRAME)) <= 1  # the gap filled with the last bend
    again: Event = (0.6, 1.0, 60, 0.4, None)  # 100 ms later: a note struck again
    assert len(one_line([a, again], FRAME)) == 2
    assert len(one_line([a, restart], FRAME, LineOptions(merge_gap_s=0.0))) == 2


def test_the_line_never_overlaps_and_keeps_every_onset_it_can() -> None:
    rng = random.Random(4)
    for _ in range(50):
        events: list[Event] = []
        for _ in range(rng.randint(1, 30)):
            start = rng.uniform(0.0, 10.0)
            events.append((start, start + rng.uniform(0.02, 2.0), rng.randint(40, 90), rng.uniform(0.1, 1.0), None))
        line = one_line(events, FRAME)
        assert line == sorted(line, key=lambda e: e[0])
        assert all(b[0] >= a[1] - 1e-9 for a, b in itertools.pairwise(line))
        assert all(e[1] > e[0] for e in line)
        assert {e[0] for e in line} <= {e[0] for e in events}
