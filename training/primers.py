"""Style primer libraries for serving: two-bar drum grooves and bass riffs from MMA *training* styles.

``python -m training.primers [OUT_JSON]`` (default models/drum_style_primers.json) writes::

    {"rock": [[{"pitch": 36, "start_beats": 0.0, "end_beats": 0.25, "velocity": 96}, ...], ...], ...}

Each clip is the first two bars of one groove's first rendering, quantised to sixteenths; beats are
quarter notes from the clip start, so a 4/4 clip spans 8 beats and a 3/4 clip (waltz) 6 beats.
Pitches are General MIDI drum notes as MMA plays them. Held-out styles are never used.

``python -m training.primers --bass [OUT_JSON]`` (default models/bass_style_primers.json) writes the
bass riffs the same way: ``{"funk": [{"chords": ["C", "Am"], "notes": [...], "beats_per_bar": 4}, ...]}``,
the first two bars of a groove's bass line in C major / A minor (as MMA played it over the
progression we gave it, transposed back) with the chord of each bar.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np

from training import mma_corpus

REPO = Path(__file__).resolve().parent.parent
PRIMER_BARS = 2
MAX_PER_STYLE = 8
MIN_TYPICAL = 3  # fewer typical clips than this: the style keeps its first clips, typical or not
VARIANT = re.compile(r"(sus|plus|intro|fill|horn|strings?|voice|piano|guitar|organ)", re.IGNORECASE)

STYLE_BEATS_PER_BAR = {"waltz": 3}  # every other style: 4/4 clips only
# Our style name -> MMA library styles (file stems). Held-out styles may appear: they are skipped.
STYLE_MAP: dict[str, tuple[str, ...]] = {
    "rock": (
        "basicrock",
        "50srock",
        "60srock",
        "softrock",
        "folkrock",
        "bubblerock",
        "strut",
        "8beat",
        "rockballad",
        "twist",
    ),
    "funk": ("bvfunk", "dsoul", "rb", "jazzrock"),
    "hip-hop": ("rb-ballad", "rb", "dsoul", "strut"),
    "jazz": (
        "jazzcombo",
        "swing",
        "bebop",
        "mellowjazz",
        "nitejazz",
        "modernjazz",
        "slowjazz",
        "jazzguitar",
        "evansish",
        "descendingjazz",
        "folkyjazz",
        "gypsyjazz",
    ),
    "latin": (
        "bossanova",
        "samba",
        "salsa",
        "mambo",
        "chacha",
        "rhumba",
        "jazzrhumba",
        "beguine",
        "merengue",
        "afro-cuban",
        "lfusion",
        "son",
        "tango",
    ),
    "electronic": ("trance", "boneym", "dsoul"),
    "reggae": ("ska", "calypso"),
    "blues": ("fastblues", "countryblues", "shuffleboggie", "blues", "slowblues", "boggiewoggie"),
    "swing": ("swing", "fastswing", "easyswing", "bigband", "westernswing", "countryswing"),
    "waltz": (
        "waltz",
        "fastwaltz",
        "frenchwaltz",
        "vienesewaltz",
        "broadwaywaltz",
        "rockwaltz",
        "countrywaltz",
        "jazzwaltz",
    ),
    "country": ("hillcountry", "bluegrass", "slowcountry", "countryswing", "westernswing", "zydeco"),
    "pop": ("popballad", "softrock", "8beat", "bubblerock", "boneym"),
    "ballad": ("ballad", "popballad", "pianoballad", "guitarballad", "stringballad", "folkballad"),
    "disco": ("boneym", "dsoul"),
    "march": ("march", "bwmarch", "dixiemarch"),
}


# The order in which styles claim an MMA style file for their primers: the narrow styles first, so
# that each file primes one engine style only (funk, hip-hop, disco and electronic shared R&B and
# disco-soul grooves, and their clips could not be told apart), and rock, the broadest, last.
# The velocity tables (training.groove_dynamics) still pool every mapped file.
PRIMER_CLAIM_ORDER = (
    "disco",
    "hip-hop",
    "electronic",
    "funk",
    "reggae",
    "latin",
    "jazz",
    "swing",
    "country",
    "blues",
    "waltz",
    "ballad",
    "pop",
    "march",
    "rock",
)


DrumClip = list[dict[str, float | int]]
"""A drum primer: mma_corpus.drum_bars's hits (pitch, start_beats, ...)."""


class BassNote(TypedDict):
    pitch: int
    start_beats: float
    end_beats: float
    velocity: int


class BassClip(TypedDict):
    """A bass primer: its bars' chords, its notes and the meter's beats per bar."""

    chords: list[str]
    notes: list[BassNote]
    beats_per_bar: int


def primer_sources() -> dict[str, tuple[str, ...]]:
    """Per style, the MMA style files its primers come from: STYLE_MAP's, each file given to the
    first style of PRIMER_CLAIM_ORDER that maps it."""
    claimed: set[str] = set()
    own: dict[str, tuple[str, ...]] = {}
    for style in PRIMER_CLAIM_ORDER:
        own[style] = tuple(m for m in STYLE_MAP[style] if m not in claimed)
        claimed.update(own[style])
    return {style: own[style] for style in STYLE_MAP}


def _fingerprint(clip: DrumClip) -> np.ndarray:
    """A two-bar drum clip's style fingerprint: per instrument group (kick, snare, hats, ride,
    toms, crash), how often each 16th of the bar is struck (as bench/groove_quality.py measures
    styles)."""
    from training.groove_dynamics import DRUM_GROUPS, drum_classes

    index = {name: g for g, members in enumerate(DRUM_GROUPS.values()) for name in members}
    group = {pitch: index[name] for pitch, name in drum_classes().items()}
    out = np.zeros((len(DRUM_GROUPS), 16))
    for hit in clip:
        g = group.get(int(hit["pitch"]))
        if g is not None:
            out[g, int(round(float(hit["start_beats"]) * 4)) % 16] += 1.0 / PRIMER_BARS
    return np.minimum(out, 1.0).ravel()


def typical(clips_by_style: dict[str, list[DrumClip]]) -> dict[str, list[bool]]:
    """Per style, whether each clip is nearer its own style's centroid than any other style's
    (styles in one meter compared with each other): a clip that sounds like another style would
    blur the style it primes (bench/groove_quality.py tells generated styles apart the same way)."""
    prints = {style: [_fingerprint(c) for c in clips] for style, clips in clips_by_style.items()}
    centroids = {style: np.mean(p, axis=0) for style, p in prints.items() if p}
    meter = {style: STYLE_BEATS_PER_BAR.get(style, 4) for style in clips_by_style}
    out: dict[str, list[bool]] = {}
    for style, fingerprints in prints.items():
        rivals = [s for s in centroids if meter[s] == meter[style]]
        out[style] = [min(rivals, key=lambda s: float(np.linalg.norm(f - centroids[s]))) == style for f in fingerprints]
    return out


def build_primers(
    renderings: list[mma_corpus.Rendering], *, max_per_style: int = MAX_PER_STYLE
) -> tuple[dict[str, list[DrumClip]], dict[str, list[str]]]:
    """Primer clips per style, and the ``style/groove`` each clip came from (same order).

    Base grooves come before their variants (Sus, Plus, Intro ...), one groove of each of the
    style's MMA files in turn (:func:`primer_sources`), identical patterns once; of those, the
    clips :func:`typical` of their style (all of them when fewer than MIN_TYPICAL are).
    """
    by_style: dict[str, list[mma_corpus.Rendering]] = {}
    for rendering in renderings:
        if not rendering.heldout and rendering.midi.endswith("_0.mid"):
            by_style.setdefault(rendering.style, []).append(rendering)
    every: dict[str, list[DrumClip]] = {}
    every_names: dict[str, list[str]] = {}
    for style, mma_styles in primer_sources().items():
        candidates = []
        for rank, mma_style in enumerate(mma_styles):
            ordered = sorted(
                by_style.get(mma_style, []), key=lambda r: (bool(VARIANT.search(r.groove)), r.groove.lower())
            )
            for position, rendering in enumerate(ordered):  # round robin over the MMA styles
                candidates.append((bool(VARIANT.search(rendering.groove)), position, rank, rendering))
        candidates.sort(key=lambda c: c[:3])
        seen: set[tuple[tuple[float, float], ...]] = set()
        for *_, rendering in candidates:
            if rendering.numerator != STYLE_BEATS_PER_BAR.get(style, 4):
                continue
            clip = mma_corpus.drum_bars(rendering, start_bar=0, num_bars=PRIMER_BARS)
            signature = tuple((h["pitch"], h["start_beats"]) for h in clip)
            if len(clip) < 4 or signature in seen:
                continue
            seen.add(signature)
            every.setdefault(style, []).append(clip)
            every_names.setdefault(style, []).append(
                f"{rendering.style}/{rendering.groove} ({rendering.numerator}/{rendering.denominator})"
            )
    keep = typical(every)
    primers: dict[str, list[DrumClip]] = {}
    sources: dict[str, list[str]] = {}
    for style, clips in every.items():
        chosen = [k for k in range(len(clips)) if keep[style][k]]
        if len(chosen) < MIN_TYPICAL:
            chosen = list(range(len(clips)))
        chosen = chosen[:max_per_style]
        primers[style] = [clips[k] for k in chosen]
        sources[style] = [every_names[style][k] for k in chosen]
    return primers, sources


def _bass_clip(rendering: mma_corpus.Rendering, *, num_bars: int = PRIMER_BARS) -> BassClip | None:
    """The first ``num_bars`` bars of a rendering's bass line in C major / A minor, quantised to
    16ths, with the chord of each bar: ``{"chords": [...], "notes": [{pitch, start_beats,
    end_beats, velocity}], "beats_per_bar": n}``; None when it plays fewer than 3 notes there."""
    beat = 60.0 / rendering.tempo
    bar_beats = rendering.numerator * 4.0 / rendering.denominator
    last = num_bars * bar_beats
    notes: list[BassNote] = []
    for note in mma_corpus.bass_lead_sheet(rendering).notes:
        start = round(note.start_time / beat * 4) / 4
        end = min(last, max(start + 0.25, round(note.end_time / beat * 4) / 4))
        if start < last:
            notes.append(
                {"pitch": int(note.pitch), "start_beats": start, "end_beats": end, "velocity": int(note.velocity)}
            )
    if len(notes) < 3:
        return None
    return {"chords": list(rendering.chords[:num_bars]), "notes": notes, "beats_per_bar": rendering.numerator}


def build_bass_primers(
    renderings: list[mma_corpus.Rendering], *, max_per_style: int = MAX_PER_STYLE
) -> tuple[dict[str, list[BassClip]], dict[str, list[str]]]:
    """Bass riffs per style (the first two bars of training grooves' bass lines, with their chords),
    chosen as :func:`build_primers` chooses drum clips but from every MMA file STYLE_MAP gives the
    style (held to one style each, the styles' onset histograms came out closer: L1 0.18 against 0.34), and
    each riff's ``style/groove (meter)``."""
    by_style: dict[str, list[mma_corpus.Rendering]] = {}
    for rendering in renderings:
        if not rendering.heldout and rendering.midi.endswith("_0.mid"):
            by_style.setdefault(rendering.style, []).append(rendering)
    primers: dict[str, list[BassClip]] = {}
    sources: dict[str, list[str]] = {}
    for style, mma_styles in STYLE_MAP.items():  # every mapped file: shared files gave the lines more style
        candidates = []
        for rank, mma_style in enumerate(mma_styles):
            ordered = sorted(
                by_style.get(mma_style, []), key=lambda r: (bool(VARIANT.search(r.groove)), r.groove.lower())
            )
            for position, rendering in enumerate(ordered):
                candidates.append((bool(VARIANT.search(rendering.groove)), position, rank, rendering))
        candidates.sort(key=lambda c: c[:3])
        seen: set[tuple[tuple[int, float], ...]] = set()
        for *_, rendering in candidates:
            if rendering.numerator != STYLE_BEATS_PER_BAR.get(style, 4):
                continue
            clip = _bass_clip(rendering)
            if clip is None:
                continue
            signature = tuple((n["pitch"], n["start_beats"]) for n in clip["notes"])
            if signature in seen:
                continue
            seen.add(signature)
            primers.setdefault(style, []).append(clip)
            sources.setdefault(style, []).append(
                f"{rendering.style}/{rendering.groove} ({rendering.numerator}/{rendering.denominator})"
            )
            if len(primers[style]) >= max_per_style:
                break
    return primers, sources


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export the drum-style primer library.")
    parser.add_argument("out", type=Path, nargs="?", default=REPO / "models" / "drum_style_primers.json")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "training")
    parser.add_argument(
        "--bass",
        action="store_true",
        help="export the bass riffs instead (default out: models/bass_style_primers.json)",
    )
    args = parser.parse_args(argv)
    renderings = mma_corpus.build_renderings(args.work / "mma", per_groove=1)  # only each groove's first is used
    primers: Mapping[str, Sequence[BassClip | DrumClip]]
    if args.bass:
        if args.out == parser.get_default("out"):
            args.out = REPO / "models" / "bass_style_primers.json"
        primers, sources = build_bass_primers(renderings)
    else:
        primers, sources = build_primers(renderings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(primers, separators=(",", ":")) + "\n")
    (args.out.with_suffix(".sources.json")).write_text(json.dumps(sources, indent=1) + "\n")
    for style, clips in primers.items():
        print(f"{style}: {len(clips)} clips from {', '.join(sources[style])}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
