"""The style primers a Magenta model is primed with: drum grooves (``drum_style_primers.json``) and
bass riffs with their chords (``bass_style_primers.json``), read from beside the bundles and filed
under the engine's drum style names. A percussionist's groove (hand drums, no kick or snare) primes no drum
model (:func:`kit_grooves`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STYLE_PRIMERS_FILE = "drum_style_primers.json"
BASS_PRIMERS_FILE = "bass_style_primers.json"


@dataclass(frozen=True)
class Groove:
    """A clip to prime a model with, dropped from the output: a drum groove, or a bass riff with
    its chords. Notes in beats from the clip's start."""

    notes: tuple[tuple[int, float, float, int], ...]  # (pitch, start_beats, end_beats, velocity)
    beats: float  # length in beats (whole bars)
    beats_per_bar: int | None = None
    style: str = ""  # the engine's style name it was filed under
    chords: tuple[str, ...] = ()  # a riff's chord per bar, in the model's key (C major / A minor)


def normalise_style(style: str) -> str:
    """A style name as the engine names drum styles (``drum_patterns.normalise_drum_style``);
    a name it does not know is only lower-cased and hyphenated."""
    from ai.generation.drum_patterns import normalise_drum_style

    try:
        return normalise_drum_style(style)
    except ValueError:
        return re.sub(r"[\s_]+", "-", style.strip().lower())


GROOVE_BARS = 2  # training/primers.py: every clip is the first two bars of a groove
_METER = re.compile(r"\((\d+)/(\d+)\)")


def _parse_groove(item: Any, source: str | None = None) -> Groove:
    """One clip: a list of ``{pitch, start_beats, end_beats, velocity}`` (beats are quarter notes),
    or an object with such ``notes`` and ``beats_per_bar``/``bars``/``beats``. The meter comes from
    the object, else from the clip's source line ("style/Groove (3/4)"), else 4/4."""
    meta: dict[str, Any] = item if isinstance(item, dict) else {}
    raw_notes = meta.get("notes") if meta else item
    if not isinstance(raw_notes, list) or not raw_notes:
        raise ValueError("a groove must be a non-empty list of notes")
    notes = []
    for note in raw_notes:
        pitch, start, end = int(note["pitch"]), float(note["start_beats"]), float(note["end_beats"])
        notes.append((pitch, start, max(end, start + 0.01), int(note.get("velocity", 100))))
    bpb: int | None = None
    beats: float | None = None
    if meta.get("beats_per_bar"):
        bpb = int(meta["beats_per_bar"])
    elif source and (match := _METER.search(source)):
        bpb = int(match.group(1))
        quarters_per_bar = bpb * 4.0 / int(match.group(2))
        beats = GROOVE_BARS * quarters_per_bar
    if meta.get("beats"):
        beats = float(meta["beats"])
    elif meta.get("bars"):
        beats = float(meta["bars"]) * (bpb or 4)
    if beats is None:
        bar = bpb or 4
        beats = float(max(1, math.ceil(max(n[2] for n in notes) / bar - 1e-6)) * bar)
    chords = tuple(str(c) for c in meta.get("chords", ()))
    return Groove(notes=tuple(sorted(notes, key=lambda n: (n[1], n[0]))), beats=beats, beats_per_bar=bpb, chords=chords)


# Percussion that Magenta's drum_kit encoding folds into the kit's three tom classes (note_seq's
# DEFAULT_DRUM_TYPE_PITCHES, less the kit's own toms 41-50): bongos, congas, woodblocks and the like.
TOM_CLASS_PERCUSSION = frozenset({29, 30, 60, 61, 62, 63, 64, 76, 77, 83, 84, 86, 87})
_KICK_OR_SNARE = frozenset({35, 36, 37, 38, 39, 40})


def kit_grooves(library: dict[str, tuple[Groove, ...]]) -> dict[str, tuple[Groove, ...]]:
    """The drum grooves a drummer plays: a groove of a percussionist's hand drums with no kick or snare (MMA's
    three Calypso grooves: congas and bongos alone, which the drum_kit encoding folds into the toms) is dropped,
    and so is a style left with none. Primed with Calypso, Magenta reggae seeds 0 and 1 played a low tom on the
    beats and nothing else for whole bars (session 38). A groove that layers congas over a kit keeps them:
    taking them out of every groove also took the toms off disco's eighths (8.25 -> 1.0 a groove bar) but halved
    the groove bars where its kick meets the snare (0.80 -> 0.42, MMA's 0.97) and made the styles less
    distinct (bench/groove_quality.py), so BoneyM's congas still play on disco's toms (bench/README.md)."""
    out: dict[str, tuple[Groove, ...]] = {}
    for style, grooves in library.items():
        kept = [
            groove
            for groove in grooves
            if not any(n[0] in TOM_CLASS_PERCUSSION for n in groove.notes)
            or any(n[0] in _KICK_OR_SNARE for n in groove.notes)
        ]
        if kept:
            out[style] = tuple(kept)
    return out


def load_style_primers(path: Path) -> dict[str, tuple[Groove, ...]]:
    """Read ``drum_style_primers.json``: ``{style: [clip, ...]}`` (see :func:`_parse_groove`) and,
    when present, ``<name>.sources.json`` beside it (``{style: ["mma/Groove (4/4)", ...]}``, same
    order) for each clip's meter. Style names are normalised as the engine's drum styles, and
    names that are one style there (swing -> jazz) pool their clips. Raises ValueError/OSError."""
    data = json.loads(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("styles"), dict):
        data = data["styles"]
    if not isinstance(data, dict):
        raise ValueError("expected an object of styles")
    sources: dict[str, list[str]] = {}
    sources_path = path.with_name(path.stem + ".sources.json")
    if sources_path.exists():
        loaded = json.loads(sources_path.read_text())
        sources = loaded if isinstance(loaded, dict) else {}
    styles: dict[str, tuple[Groove, ...]] = {}
    for style, grooves in data.items():
        if isinstance(grooves, dict):
            grooves = grooves.get("grooves", grooves.get("primers", []))
        names = sources.get(style) or []
        parsed = tuple(_parse_groove(g, names[i] if i < len(names) else None) for i, g in enumerate(grooves))
        if parsed:  # names the engine treats as one style (swing -> jazz) pool their grooves
            key = normalise_style(style)
            styles[key] = styles.get(key, ()) + tuple(dataclasses.replace(g, style=key) for g in parsed)
    return styles
