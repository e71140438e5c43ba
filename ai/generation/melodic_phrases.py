"""Melodies that breathe: two-bar phrases that end on a stable tone and a rest, leading tones that resolve.

Applied to the notes any backend made, before swing and humanisation:

* :func:`breathe`: the last pulse (a beat in 4/4 and 3/4, a dotted quarter in 6/8) of every
  two-bar phrase is silent: notes starting there are dropped, notes sounding into it are cut at
  its start. A singer breathes there; a line without it (Magenta's melodies rested 2 % of the time,
  and at temperature 0.3 held one note over two bars in 2 of 30 clips) never does.
* :func:`cadence`: the note that ends each phrase moves to the nearest tone of its bar's chord
  (among the scale's tones unless the request is chromatic), so phrases close on stable tones.
* :func:`phrase_dynamics`: velocities that follow the metre and the phrase's contour (louder on
  strong beats and toward the phrase's highest note) with a player's spread, for a backend whose
  velocities carry nothing else (Magenta's). A rule, not a fit: MMA has no lead lines and
  music21's corpora mark dynamics per passage, not per note.
* :func:`resolve_leading_tones`: a leading tone (the 7th degree a semitone under the tonic, in
  scales that have one) followed by a step or a small leap moves on to the tonic; a larger leap
  stays (a line may leave it on purpose), and so does a step into a bar whose chord alters the tonic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ai.generation.base import GenerationRequest, Note
from ai.generation.feel import metric_weight
from ai.music_theory import chord_scale

PHRASE_BARS = 2
MIN_SECONDS = 0.02  # a note cut shorter than this is dropped
RESOLVING_INTERVAL = 4  # semitones: a following note this close to a leading tone becomes the tonic


def phrase_ends(request: GenerationRequest, *, offset: float) -> list[float]:
    """The end time of each phrase: every two bars from ``offset``, and the clip's end."""
    return [
        offset + min(bar + PHRASE_BARS, request.bars) * request.bar_seconds
        for bar in range(0, request.bars, PHRASE_BARS)
    ]


def breathe(notes: Sequence[Note], request: GenerationRequest, *, offset: float, last_pulse: float) -> list[Note]:
    """Silence the last ``last_pulse`` seconds of every phrase (see the module doc)."""
    out = list(notes)
    for end in phrase_ends(request, offset=offset):
        start = end - last_pulse
        kept = []
        for n in out:
            if start - 1e-6 <= n.start < end - 1e-6:
                continue
            if n.start < start < n.end:
                if start - n.start < MIN_SECONDS:
                    continue
                n = Note(n.pitch, n.start, start, n.velocity)
            kept.append(n)
        out = kept
    return sorted(out, key=lambda n: (n.start, n.pitch))


def _nearest_tone(pitch: int, pitch_classes: set[int]) -> int:
    for distance in range(0, 7):
        for candidate in (pitch - distance, pitch + distance):
            if candidate % 12 in pitch_classes:
                return candidate
    return pitch


def cadence(notes: Sequence[Note], request: GenerationRequest, *, offset: float) -> list[Note]:
    """Move the last note of each phrase to the nearest tone of the chord sounding there, keeping the scale
    unless the request is chromatic (a chord with no tone in the scale leaves the note alone)."""
    out = sorted(notes, key=lambda n: (n.start, n.pitch))
    scale = set(request.key.pitch_classes)
    ends = phrase_ends(request, offset=offset)
    begin = offset
    for end in ends:
        inside = [i for i, n in enumerate(out) if begin - 1e-6 <= n.start < end - 1e-6]
        begin = end
        if not inside:
            continue
        last = inside[-1]
        note = out[last]
        tones = set(request.chord_at_time(note.start - offset).pitch_classes)
        if not request.chromatic:
            tones &= scale
        if tones and note.pitch % 12 not in tones:
            out[last] = Note(_nearest_tone(note.pitch, tones), note.start, note.end, note.velocity)
    return out


def resolve_leading_tones(notes: Sequence[Note], request: GenerationRequest, *, offset: float) -> list[Note]:
    """A leading tone followed by a note within ``RESOLVING_INTERVAL`` semitones goes to the tonic, unless
    the chord sounding under that note alters the tonic (under A7 in C major the line's C would clash with C#)."""
    leading = (request.key.tonic - 1) % 12
    if leading not in request.key.pitch_classes:  # natural minor, dorian ...: a subtonic, not a leading tone
        return list(notes)
    out = sorted(notes, key=lambda n: (n.start, -n.pitch))
    for i in range(len(out) - 1):
        here, after = out[i], out[i + 1]
        resolves = abs(after.pitch - here.pitch) <= RESOLVING_INTERVAL and after.start > here.start + 1e-6
        if here.pitch % 12 != leading or after.pitch % 12 == request.key.tonic or not resolves:
            continue
        if request.key.tonic in chord_scale(request.key, request.chord_at_time(after.start - offset)):
            out[i + 1] = Note(here.pitch + 1, after.start, after.end, after.velocity)
    return sorted(out, key=lambda n: (n.start, n.pitch))


def shape_melody(notes: Sequence[Note], request: GenerationRequest, *, offset: float, last_pulse: float) -> list[Note]:
    """A melody that starts at ``offset`` seconds: :func:`breathe`, :func:`resolve_leading_tones`,
    then :func:`cadence` on the phrase ends (so a half cadence on V may end on the leading tone)."""
    shaped = breathe(notes, request, offset=offset, last_pulse=last_pulse)
    shaped = resolve_leading_tones(shaped, request, offset=offset)
    return cadence(shaped, request, offset=offset)


VELOCITY_BASE = 70.0  # a weak 16th at the bottom of the phrase
VELOCITY_METRE = 22.0  # added at full metrical weight (a downbeat)
VELOCITY_CONTOUR = 10.0  # added at the phrase's highest note
VELOCITY_SPREAD = 4.0  # hit-to-hit standard deviation


def phrase_dynamics(
    notes: Sequence[Note], request: GenerationRequest, *, offset: float, rng: np.random.Generator
) -> list[Note]:
    """Velocities from the metre, the phrase's contour and a spread (see the module doc)."""
    out = []
    ends = phrase_ends(request, offset=offset)
    for note in notes:
        end = next((e for e in ends if note.start < e - 1e-6), ends[-1] if ends else note.end)
        begin = end - PHRASE_BARS * request.bar_seconds
        phrase = [n.pitch for n in notes if begin - 1e-6 <= n.start < end - 1e-6] or [note.pitch]
        low, high = min(phrase), max(phrase)
        height = (note.pitch - low) / (high - low) if high > low else 0.5
        weight = metric_weight(
            note.start, seconds_per_beat=request.seconds_per_beat, beats_per_bar=request.beats_per_bar, offset=offset
        )
        velocity = VELOCITY_BASE + VELOCITY_METRE * weight + VELOCITY_CONTOUR * height
        velocity += float(np.clip(rng.normal(0.0, VELOCITY_SPREAD), -2 * VELOCITY_SPREAD, 2 * VELOCITY_SPREAD))
        out.append(Note(note.pitch, note.start, note.end, int(np.clip(round(velocity), 1, 127))))
    return out
