"""The drummers' habits learned from MMA's training grooves (ai.generation.drum_habits): ghost
notes only as often as a style's drummers play them, the downbeat marked, the style's kick and
backbeat held, the shipped habits and their fit (training.groove_dynamics._habit_summary)."""

from __future__ import annotations

import numpy as np
import pytest

from ai.generation.base import Note
from ai.generation.drum_habits import DrumHabits, anchor_downbeats, hold_foundation, lift_ghosts, plays_ghosts
from ai.generation.dynamics import GrooveDynamics, load_dynamics
from ai.generation.feel import pulse_groups
from training.groove_dynamics import GHOST_RATIO, _habit_summary
from utils.settings import REPO_ROOT

KICK, SNARE, HAT, RIDE = 36, 38, 42, 51
CLASSES = {KICK: "kick", SNARE: "snare", HAT: "closed_hat", RIDE: "ride"}
SIXTEENTH = 0.125  # 120 bpm
NO_GHOSTS = DrumHabits(ghost_share=0.0, ghost_floor=0.67, downbeat_kick=0.62, downbeat_kick_snare=0.14)


@pytest.fixture(scope="module")
def shipped() -> GrooveDynamics:
    model = load_dynamics(REPO_ROOT / "models")
    assert model is not None
    return model


def _note(pitch: int, step: int, velocity: int, steps: int = 16, bar: int = 0) -> Note:
    t = (bar * steps + step) * SIXTEENTH
    return Note(pitch, t, t + 0.1, velocity)


def _lift(notes: list[Note], habits: DrumHabits, seed: int = 0) -> list[Note]:
    return lift_ghosts(notes, habits, classes=CLASSES, offset=0.0, rng=np.random.default_rng(seed))


def test_ghosts_are_raised_to_the_floor_of_their_own_drum() -> None:
    notes = [_note(SNARE, 4, 100), _note(SNARE, 7, 30), _note(HAT, 0, 60), _note(HAT, 2, 40), _note(99, 1, 5)]
    out = _lift(notes, NO_GHOSTS)
    assert [n.velocity for n in out] == [100, 67, 60, 41, 5]  # 0.67 x 100, 0.67 x 60; unknown pitch kept
    assert [(n.pitch, n.start) for n in out] == [(n.pitch, n.start) for n in notes]


def test_a_ghost_playing_style_keeps_its_ghosts_in_its_share_of_clips() -> None:
    notes = [_note(SNARE, 4, 100), _note(SNARE, 7, 30)]
    habits = DrumHabits(ghost_share=0.4, ghost_floor=0.67, downbeat_kick=0.5, downbeat_kick_snare=0.1)
    kept = [_lift(notes, habits, seed)[1].velocity == 30 for seed in range(400)]
    assert 0.3 < np.mean(kept) < 0.5
    assert _lift(notes, habits, 7) == _lift(notes, habits, 7)  # one draw per clip from the seed's generator


def test_a_primer_before_the_offset_is_left_alone() -> None:
    primer, clip = _note(SNARE, 7, 20), _note(SNARE, 4, 100, bar=1)
    out = lift_ghosts([primer, clip], NO_GHOSTS, classes=CLASSES, offset=2.0, rng=np.random.default_rng(0))
    assert out == [primer, clip]


def _anchor(notes: list[Note], habits: DrumHabits, meter: tuple[int, int] = (3, 4), bars: int = 2) -> list[Note]:
    pulses = pulse_groups(*meter)
    return anchor_downbeats(
        notes,
        habits,
        classes=CLASSES,
        bar_seconds=sum(pulses) * SIXTEENTH,
        pulses=pulses,
        offset=0.0,
        bars=bars,
        kick_velocity=70,
    )


def test_a_bar_without_its_one_gets_the_kick() -> None:
    # 3/4: hats on every beat, snares on beats two and three (pah-pah) but nothing more on the one.
    bar = [_note(HAT, s, 60, 12) for s in (0, 4, 8)] + [_note(SNARE, s, 80, 12) for s in (4, 8)]
    out = _anchor(bar, NO_GHOSTS, bars=1)
    kicks = [n for n in out if n.pitch == KICK]
    assert len(kicks) == 1 and kicks[0].start == 0.0 and kicks[0].velocity == 70  # no kick in the clip: the table's
    assert _anchor(bar + [_note(KICK, 0, 90, 12)], NO_GHOSTS, bars=1) == sorted(
        bar + [_note(KICK, 0, 90, 12)], key=lambda n: (n.start, n.pitch)
    )  # a strong one is left alone


def test_the_kick_takes_the_clips_kick_loudness_and_a_snare_on_the_one_gives_way() -> None:
    bar = [_note(SNARE, 0, 50, 12), _note(RIDE, 4, 90, 12), _note(RIDE, 8, 90, 12), _note(KICK, 6, 84, 12)]
    out = _anchor(bar, NO_GHOSTS, bars=1)
    on_one = [n for n in out if n.start == 0.0]
    assert [(n.pitch, n.velocity) for n in on_one] == [(KICK, 84)]  # waltz: kick and snare rarely paired on one
    paired = DrumHabits(ghost_share=0.0, ghost_floor=0.6, downbeat_kick=0.8, downbeat_kick_snare=0.6)
    assert {n.pitch for n in _anchor(bar, paired, bars=1) if n.start == 0.0} == {KICK, SNARE}


def test_styles_that_rarely_kick_on_the_one_are_left_alone_and_copies_are_judged_together() -> None:
    bar = [_note(RIDE, s, 90, 12) for s in (4, 8)]
    jazz = DrumHabits(ghost_share=0.1, ghost_floor=0.64, downbeat_kick=0.42, downbeat_kick_snare=0.2)
    assert _anchor(bar, jazz, bars=1) == bar
    # Two copies of one bar whose hit-to-hit spread puts one copy's one above its pulses and the
    # other's below: the mean decides for both.
    copies = [_note(HAT, 0, 95, 12), _note(HAT, 4, 80, 12), _note(HAT, 8, 80, 12)]
    copies += [_note(HAT, 0, 70, 12, 1), _note(HAT, 4, 80, 12, 1), _note(HAT, 8, 80, 12, 1)]
    assert _anchor(copies, NO_GHOSTS) == sorted(copies, key=lambda n: (n.start, n.pitch))


def test_shipped_habits_say_which_styles_ghost(shipped: GrooveDynamics) -> None:
    waltz, hiphop = shipped.habits("waltz", 3, 4), shipped.habits("hip-hop", 4, 4)
    assert waltz is not None and hiphop is not None
    assert waltz.ghost_share < 0.05 < 0.3 < hiphop.ghost_share
    assert waltz.downbeat_kick >= 0.5 and waltz.ghost_floor >= GHOST_RATIO
    assert shipped.habits("no-such-style", 4, 4) == shipped.habits("default", 4, 4)
    assert shipped.habits("rock", 7, 8) is None  # MMA plays no 7/8 groove
    assert 40 <= shipped.kick_velocity("waltz", 3, 4) <= 110


def test_habit_summary_of_grooves() -> None:
    grooves = [
        {"ghost": 1.0, "softest": 0.3, "bars": 8, "kick": 8, "both": 0, "snare_beats": [0, 8, 0, 8], "backbeat": 8},
        {"ghost": 0.0, "softest": 0.7, "bars": 8, "kick": 0, "both": 0, "snare_beats": [8, 8, 8, 8], "backbeat": 8},
        {"ghost": 0.0, "softest": 0.9, "bars": 8, "kick": 4, "both": 4, "snare_beats": [4, 0, 0, 0], "backbeat": 0},
        {"ghost": 0.0, "softest": 0.8, "bars": 8, "kick": 8, "both": 0, "snare_beats": [0, 8, 0, 4], "backbeat": 4},
    ]
    summary = _habit_summary(grooves)
    assert summary["ghost_share"] == 0.25
    assert 0.7 <= summary["ghost_floor"] < 0.75  # 10th percentile of 0.7, 0.8, 0.9
    assert summary["downbeat_kick"] == 0.625 and summary["downbeat_kick_snare"] == 0.125
    assert summary["snare_beats"] == [0.375, 0.75, 0.25, 0.625] and summary["backbeat"] == 0.625


FUNK = DrumHabits(0.29, 0.57, 0.509, 0.098, (0.562, 0.844, 0.598, 0.835), 0.763)  # the shipped funk habits
DISCO = DrumHabits(0.39, 0.69, 0.971, 0.192, (0.221, 1.0, 0.048, 0.981), 0.981)
COUNTRY = DrumHabits(0.09, 0.62, 0.233, 0.233, (0.695, 0.642, 0.674, 0.634), 0.625)


def _hold(notes: list[Note], habits: DrumHabits, bars: list[int]) -> list[Note]:
    return hold_foundation(
        notes,
        habits,
        classes=CLASSES,
        bar_seconds=16 * SIXTEENTH,
        pulses=pulse_groups(4, 4),
        offset=0.0,
        bars=bars,
        kick_velocity=70,
        snare_velocity=80,
    )


def test_a_groove_bar_without_the_styles_kick_and_backbeat_gets_them() -> None:
    # Bar 0 plays the march pulse (snare on every beat, no kick), bar 1 is the phrase's fill bar.
    bar0 = [_note(HAT, s, 60) for s in range(0, 16, 2)] + [_note(SNARE, s, 90) for s in (0, 4, 8)]
    bar1 = [_note(SNARE, s, 50, bar=1) for s in range(8, 16)] + [_note(KICK, 6, 100, bar=1)]
    out = _hold(bar0 + bar1, FUNK, bars=[0])
    added = sorted(set(out) - set(bar0 + bar1), key=lambda n: n.start)
    # the groove bars play no kick: the table's (70) on the one; the snare on beat 4 takes their
    # backbeat snare's loudness (90), not the fill's crescendo
    assert [(n.pitch, n.start, n.velocity) for n in added] == [(KICK, 0.0, 70), (SNARE, 12 * SIXTEENTH, 90)]
    # the model's own hits stay (funk's snare plays on 1 and 3 too), but the snare on the one gives
    # way to the added kick: MMA's funk drummers pair them there in 10 % of bars, kick there in 51 %
    assert set(out) - set(added) == set(bar0 + bar1) - {bar0[8]} and bar0[8] == _note(SNARE, 0, 90)
    assert _hold(bar0 + bar1, COUNTRY, bars=[0]) == bar0 + bar1  # MMA's country drummers mostly play no kick


def test_a_snare_on_a_beat_the_style_never_plays_it_on_is_dropped() -> None:
    bar = [_note(KICK, 0, 100)] + [_note(SNARE, s, 90) for s in (4, 8, 12)] + [_note(SNARE, 8, 90, bar=1)]
    out = _hold(bar, DISCO, bars=[0])
    assert [(n.pitch, n.start) for n in out if n.pitch == SNARE] == [
        (SNARE, 4 * SIXTEENTH),
        (SNARE, 12 * SIXTEENTH),
        (SNARE, 24 * SIXTEENTH),  # bar 1 is not a groove bar: left alone
    ]


def test_a_primers_ghosts_are_told_from_its_accents() -> None:
    assert plays_ghosts([_note(SNARE, 4, 110), _note(SNARE, 7, 35)], classes=CLASSES)
    assert not plays_ghosts([_note(SNARE, 4, 110), _note(SNARE, 7, 80), _note(HAT, 0, 40)], classes=CLASSES)


def test_shipped_foundation_habits(shipped: GrooveDynamics) -> None:
    """MMA's funk, hip-hop, disco and electronic drummers kick on the one and play the backbeat
    (training.groove_dynamics); its country drummers (bluegrass, hill country) mostly play no kick."""
    for style in ("funk", "hip-hop", "disco", "electronic"):
        habits = shipped.habits(style, 4, 4)
        assert habits is not None and habits.downbeat_kick >= 0.5 and habits.backbeat >= 0.75, style
    country = shipped.habits("country", 4, 4)
    assert country is not None and country.downbeat_kick < 0.5 and len(country.snare_beats) == 4
