"""Grooves built in phrases: a two-bar pattern that holds, and the phrase's last bar as its fill.

Drummers play a pattern for a phrase of four bars and mark its end (MMA's human-written grooves
repeat their first bar's kick and snare in 43-100 % of bars; a backend that invents every bar anew does not loop).
:func:`loop_phrases` rebuilds a generated clip bar by bar from :func:`phrase_plan`: in every
four-bar phrase the first two generated bars, the first again, then the generator's own bar at the
phrase's end (its variation or fill, leading into the next phrase)::

    bars 1-8 play generated bars 1 2 1 4 1 2 1 8
    (or 1 1 1 4 1 1 1 8 when bar 2 changes bar 1's kick and snare: see :func:`loop_phrases`)

The backend's notes for the bars that are not played are dropped, except crash cymbals: they mark
where a phrase starts (after a fill), so each bar keeps its own. :func:`add_fills` puts the style's
fill (ai.generation.drum_patterns) at the end of each phrase of a groove whose generator knows no
fills (Magenta's drum model), with a crash on the next phrase's downbeat; :func:`land_fill_downbeats`
keeps the fill bar's own downbeat kick where the groove's bars have one. What varies from hit to hit
(velocities, timing) is added afterwards, so repeated bars are not copies in sound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.generation.base import Note

PHRASE_BARS = 4
CRASH_PITCHES = frozenset({49, 52, 55, 57})  # GM crash 1, Chinese, splash, crash 2
CRASH, KICK = 49, 36
SNARE_PITCHES = frozenset({37, 38, 40})  # side stick, acoustic and electric snare
CRASH_VELOCITY = 112  # as drum_patterns writes it after a fill
WRITTEN = 96  # drum_patterns' plain hit: its fills' velocities are relative to this


def phrase_plan(bars: int, phrase: int = PHRASE_BARS, *, two_bar: bool = True) -> list[int]:
    """For each bar of the clip, the generated bar it plays (0-based): a two-bar groove (bars 1
    and 2) or, without ``two_bar``, a one-bar groove (bar 1), and the phrase's own last bar."""
    plan = []
    for bar in range(bars):
        position = bar % phrase
        if position == phrase - 1 and phrase > 2:
            plan.append(bar)  # the phrase's end: the generator's own bar
        else:
            plan.append(position % 2 if two_bar else 0)
    return plan


KICK_SNARE_PITCHES = frozenset({35, 36, 37, 38, 40})


def _kick_snare(notes: Sequence[Note], *, start: float, bar_seconds: float) -> frozenset[tuple[int, int]]:
    """A bar's kick and snare hits as (pitch, 48th of the bar)."""
    return frozenset(
        (n.pitch, int(round((n.start - start) / bar_seconds * 48)))
        for n in notes
        if n.pitch in KICK_SNARE_PITCHES and start - 1e-6 <= n.start < start + bar_seconds - 1e-6
    )


def loop_phrases(
    notes: Sequence[Note],
    *,
    bar_seconds: float,
    offset: float,
    bars: int,
    own_pitches: frozenset[int] = CRASH_PITCHES,
    two_bar: bool | None = None,
) -> list[Note]:
    """``notes`` (``bars`` bars from ``offset`` seconds) rebuilt by :func:`phrase_plan`.

    The groove is two bars when ``two_bar`` says so or, by default, when the generated second bar
    keeps the first's kick and snare (its hats or percussion may vary); a second bar that changes
    them is a variation a drummer would not loop, and the groove is the first bar alone (MMA's
    drummers repeat their first bar in 64-97 % of bars, by style). Notes before ``offset`` (a
    primer) and notes of ``own_pitches`` stay where they are; a note belongs to the bar its start
    falls in (a hair before a bar line counts as that bar).
    """
    tolerance = 1e-6
    by_bar: dict[int, list[Note]] = {}
    kept = []
    for note in notes:
        if note.start < offset - tolerance or note.pitch in own_pitches:
            kept.append(note)
            continue
        bar = int((note.start - offset + tolerance) // bar_seconds)
        by_bar.setdefault(bar, []).append(note)
    if two_bar is None:
        two_bar = _kick_snare(notes, start=offset, bar_seconds=bar_seconds) == _kick_snare(
            notes, start=offset + bar_seconds, bar_seconds=bar_seconds
        )
    out = list(kept)
    for bar, source in enumerate(phrase_plan(bars, two_bar=two_bar)):
        shift = (bar - source) * bar_seconds
        out.extend(Note(n.pitch, n.start + shift, n.end + shift, n.velocity) for n in by_bar.get(source, []))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def fill_bars(bars: int) -> list[int]:
    """The bars (0-based) that end a phrase with the generator's own bar: where fills go."""
    return [
        bar for bar, source in enumerate(phrase_plan(bars)) if source == bar and bar % PHRASE_BARS == PHRASE_BARS - 1
    ]


def add_fills(
    notes: Sequence[Note],
    *,
    style: str | None,
    bars: int,
    bar_seconds: float,
    offset: float,
    pulses: Sequence[int],
    density: float,
    temperature: float,
    rng: np.random.Generator,
) -> list[Note]:
    """The style's fill in every phrase-end bar (:func:`fill_bars`) of a looped groove.

    From the fill's first 16th to the bar line the groove's notes give way to the fill (crashes
    apart); the next bar, when the clip has one, opens with a crash and a kick. The fill's written
    velocities (a crescendo around 96) are scaled to the groove's own snare loudness (its median),
    so a fill sits in the groove's dynamics whatever gave them.
    """
    from ai.generation.drum_patterns import normalise_drum_style, style_fill

    try:
        style = normalise_drum_style(style)
    except ValueError:  # a style only a bundle knows: the default kit's fill
        style = None
    out = list(notes)
    step = bar_seconds / sum(pulses)
    snares = [n.velocity for n in notes if n.pitch in SNARE_PITCHES and n.start >= offset - 1e-6]
    reference = float(np.median(snares)) if snares else float(np.median([n.velocity for n in notes] or [WRITTEN]))

    def scaled(velocity: int) -> int:
        return int(np.clip(round(velocity * reference / WRITTEN), 1, 127))

    for bar in fill_bars(bars):
        start_step, hits = style_fill(
            style, pulses=pulses, density=density, temperature=temperature, rng=rng, last=bar == bars - 1
        )
        bar_start = offset + bar * bar_seconds
        cut = bar_start + start_step * step - 1e-6
        out = [n for n in out if not (cut <= n.start < bar_start + bar_seconds - 1e-6) or n.pitch in CRASH_PITCHES]
        out += [
            Note(pitch, bar_start + s * step, bar_start + s * step + min(0.9 * step, 0.12), scaled(velocity))
            for pitch, s, velocity in hits
        ]
        if bar + 1 < bars:
            downbeat = bar_start + bar_seconds
            present = {n.pitch for n in out if abs(n.start - downbeat) < 1e-6}
            if not present & CRASH_PITCHES:
                out.append(Note(CRASH, downbeat, downbeat + 2 * step, scaled(CRASH_VELOCITY)))
            if KICK not in present:
                out.append(Note(KICK, downbeat, downbeat + min(0.9 * step, 0.12), scaled(CRASH_VELOCITY - 8)))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


KICK_PITCHES = frozenset({35, 36})


def land_fill_downbeats(notes: Sequence[Note], *, bars: int, bar_seconds: float, offset: float) -> list[Note]:
    """A kick on the downbeat of each fill bar (:func:`fill_bars`) that has none, where at least half of the
    clip's other bars kick on theirs: a fill leads into the next phrase, but its bar still lands its one as
    the groove does (the Magenta drum model's own bar at a phrase's end often has no kick there: every fill
    bar of its 5/4, 6/8 and 7/8 clips lacked one). A groove that leaves the one empty (reggae's one drop)
    keeps its fill bars so. The kick takes the median velocity of the groove's downbeat kicks."""
    tolerance = 1e-4

    def downbeat_kicks(bar: int) -> list[Note]:
        downbeat = offset + bar * bar_seconds
        return [n for n in notes if n.pitch in KICK_PITCHES and abs(n.start - downbeat) < tolerance]

    fills = fill_bars(bars)
    groove = [bar for bar in range(bars) if bar not in fills]
    landed = [kicks for bar in groove if (kicks := downbeat_kicks(bar))]
    if not groove or 2 * len(landed) < len(groove):
        return list(notes)
    velocity = int(np.median([kicks[0].velocity for kicks in landed]))
    length = min(0.12, bar_seconds / 16)
    out = list(notes)
    for bar in fills:
        if not downbeat_kicks(bar):
            downbeat = offset + bar * bar_seconds
            out.append(Note(KICK, downbeat, downbeat + length, velocity))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def keep_primer_groove(
    notes: Sequence[Note], primer: Sequence[Note], *, offset: float, bar_seconds: float
) -> list[Note]:
    """A drum continuation that keeps the primer's groove: its first two bars become the primer's
    last two (its last one twice when it has one), so :func:`loop_phrases` repeats the groove the
    caller gave and the generator's own bars come at the phrase ends. A primer shorter than a bar
    leaves the notes as they are."""
    full = int(offset / bar_seconds + 1e-6)
    if full < 1:
        return list(notes)
    sources = [max(0, full - 2), full - 1] if full >= 2 else [0, 0]
    taken = []
    for bar, source in enumerate(sources):
        begin = offset - (full - source) * bar_seconds
        shift = offset + bar * bar_seconds - begin
        taken += [
            Note(n.pitch, n.start + shift, n.end + shift, n.velocity)
            for n in primer
            if begin - 1e-6 <= n.start < begin + bar_seconds - 1e-6
        ]
    rest = [n for n in notes if not (offset - 1e-6 <= n.start < offset + 2 * bar_seconds - 1e-6)]
    return sorted(rest + taken, key=lambda n: (n.start, n.pitch))
