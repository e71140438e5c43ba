"""The key and the chord of every bar: heard in the recording, harmonising its melody, or given."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from ai.analysis.pipeline import AnalysisResult
from ai.generation.accompaniment.grid import BeatGrid
from ai.generation.accompaniment.options import AccompanimentOptions, parse_harmony
from ai.generation.bar_harmony import changes_at_half_bar, heard_chords, span_chroma
from ai.generation.melody_harmony import is_melody, load_model
from ai.generation.progression_key import key_of_progression
from ai.music_theory import Chord, ChordChart, Key, default_progression, parse_chart, parse_chord, parse_key

logger = logging.getLogger(__name__)


NO_KEY_DEFAULT = "C"
"""The key of the parts over a recording that has no key (drums alone, unpitched sound: the analysis answers none)
when the request names no key or chords (as the generation endpoints' default); its progression is
:func:`~ai.music_theory.default_progression`'s."""


def _parse_label(label: str) -> Chord | None:
    if not label or label == "N":
        return None
    try:
        return parse_chord(label)
    except ValueError:
        return None


def covering_chords(spans: Sequence[tuple[float, float]], chords: Sequence[dict[str, Any]]) -> list[Chord | None]:
    """For each (start, end) span in seconds, the detected chord (the analysis's segments) that covers most of
    it, or None where none does."""
    segments = [(float(c["start"]), float(c["end"]), _parse_label(str(c["label"]))) for c in chords]
    found: list[Chord | None] = []
    for a, b in spans:
        overlap: dict[str, tuple[float, Chord]] = {}
        for start, end, chord in segments:
            share = min(b, end) - max(a, start)
            if chord is not None and share > 0:
                held = overlap.get(chord.symbol, (0.0, chord))[0]
                overlap[chord.symbol] = (held + share, chord)
        found.append(max(overlap.values(), key=lambda item: item[0])[1] if overlap else None)
    return found


def bar_chords(grid: BeatGrid, chords: Sequence[dict[str, Any]], key: Key) -> list[Chord]:
    """The chord of every bar: the detected chord that covers most of it; a bar without one keeps the
    chord before it (the first chord found for bars before any), else the key's tonic triad."""
    found = covering_chords([grid.bar_span(bar) for bar in range(grid.bars)], chords)
    first = next((c for c in found if c is not None), None)
    if first is None:
        first = Chord(key.tonic, "m" if key.scale in ("minor", "dorian", "phrygian") else "")
    out: list[Chord] = []
    for chord in found:
        out.append(chord if chord is not None else (out[-1] if out else first))
    return out


def half_bar_chords(
    grid: BeatGrid, chroma: np.ndarray, detected: Sequence[dict[str, Any]], chords: Sequence[Chord]
) -> tuple[list[Chord], list[Chord | None]]:
    """(the chord each bar opens with, the chord it changes to at its middle or None where it holds one), given
    ``chords`` (one a bar, heard over the whole bar). Only full 4/4 bars split, where
    :func:`~ai.generation.bar_harmony.changes_at_half_bar` hears two chords clearly (a ii-V in one bar, a pop song's
    half-bar changes, a swing tune's two bars in one bar of a half-tempo grid); 3/4 and 6/8 bars keep one chord. A
    split bar changes to the chord heard over its second half and opens with its own chord, or, where that was the
    second half's, with the first half's (:func:`heard_chords` of the halves' chroma, the analysis's ``detected``
    segments lending quality and extensions as they do a bar's)."""
    first = list(chords)
    second: list[Chord | None] = [None] * len(chords)
    starts = grid.bar_starts
    full = [bar for bar in range(grid.bars) if starts[bar + 1] - starts[bar] == grid.beats_per_bar]
    if (grid.numerator, grid.denominator) != (4, 4) or not full:
        return first, second
    spans: list[tuple[float, float]] = []
    for bar in full:
        start, middle, end = (float(t) for t in grid.time_at(starts[bar] + np.array([0.0, 2.0, 4.0])))
        spans += [(start, middle), (middle, end)]
    halves = span_chroma(chroma, spans)
    changes, reopens = changes_at_half_bar(
        halves.reshape(len(full), 2, 12),
        [chords[bar] for bar in full],
        [chords[bar - 1] if bar > 0 else None for bar in full],
    )
    rows = [2 * i + half for i in np.flatnonzero(changes) for half in (0, 1)]
    if not rows:
        return first, second
    found = covering_chords([spans[r] for r in rows], detected)
    fallback = [f if f is not None else chords[full[r // 2]] for f, r in zip(found, rows, strict=True)]
    heard = heard_chords(halves[rows], fallback)
    for n, i in enumerate(np.flatnonzero(changes)):
        if reopens[i]:
            first[full[i]] = heard[2 * n]
        second[full[i]] = heard[2 * n + 1]
    return first, second


def key_of(analysis_key: str | None, chords: Sequence[Chord]) -> Key:
    """The analysis's key; without one, the key the bars' chords imply (as a generation request's), else C major."""
    if analysis_key:
        try:
            return parse_key(analysis_key)
        except ValueError:
            logger.warning("unreadable key %r from the analysis", analysis_key)
    return key_of_progression(chords) if chords else parse_key("C")


def harmony_source(harmony: str, chroma: np.ndarray) -> str:
    """Where the bar chords come from (``recording`` or ``melody``) for the option ``harmony`` (HARMONY_SOURCES)
    and the recording's chroma frames. ``auto`` keeps the recording's own chords when the melody harmony model
    did not load (logged there); ``melody`` then fails at the harmoniser (503)."""
    if harmony == "auto":
        return "melody" if is_melody(chroma) and load_model() is not None else "recording"
    return parse_harmony(harmony)


def _given_progression(
    options: AccompanimentOptions, given_key: Key | None, *, recording_has_key: bool
) -> tuple[str, ChordChart | None]:
    """(harmony source, the bars' chords: a chart whose bars may hold two) when the chords are not read from the
    recording; ("", None) when they are. The request's chords win. A recording with no key (the analysis answers none: drums alone, unpitched sound)
    has no chords to follow: the request's key's progression, else NO_KEY_DEFAULT's. A recording with a key keeps
    the chords heard in it whatever key is given (the key names the parts' key): a band follows the song's changes,
    and a key's stock progression over a song with other chords would clash with it."""
    if options.chords:
        return "given", parse_chart(options.chords)
    if not recording_has_key:
        if given_key is not None:
            return "given", ChordChart.of(default_progression(given_key))
        return "default", ChordChart.of(default_progression(parse_key(NO_KEY_DEFAULT)))
    return "", None


def harmony_note(source: str, analysis: AnalysisResult, key: Key, *, given_chords: bool) -> str | None:
    """The answer's word on where the chords came from when they are not the recording's own; None when they are."""
    if source not in ("given", "default"):
        return None
    played = "the chords given" if given_chords else f"{key.name}'s progression"
    if analysis.key is not None:
        return f"the parts play {played}, as asked, instead of the recording's chords (in {analysis.key})"
    why = next((note for note in analysis.notes if note.endswith(("no key", "no key or chords"))), None)
    heard = f" ({why})" if why else ""
    if source == "default":
        return f"the recording has no key{heard}: the parts play {played}, a default; give key or chords for another"
    return f"the recording has no key{heard}: the parts play {played}, as asked"
