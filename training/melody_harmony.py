"""Fit the melody harmoniser (ai/generation/melody_harmony.py) on the Nottingham Music Database.

The database (Eric Foxley's ~1,000 British and Irish folk tunes, cleaned by Jukedeck: GPL-3) comes as a
melody MIDI and a chord MIDI per tune. Extract it under data/ (never committed)::

    git --git-dir=/work/.mirror/jukedeck+nottingham-dataset/repo archive HEAD MIDI LICENSE.md \\
        | tar -x -C data/nottingham

Tunes are split by a fixed rule: ``crc32(file stem) % 3 == 0`` is held out (scored once, by
bench/melody_harmony.py); everything here is fitted on the rest (the tune split).

- Transitions: bar-to-bar chord changes of every tune-split chord track, each chord as (degree above the key
  signature's major tonic, class: major, minor, dominant 7th), add-one smoothed: key-independent, and the same
  for a tune and its relative minor (the key signature is what the MIDI files carry).
- Emissions: the mean constant-Q chroma of each bar of tune-split melodies rendered with FluidSynth (several
  soundfonts and lead instruments), rotated to the bar's true chord root, per chord class: what a chord's
  melody looks like in the chroma, the melody instruments' harmonics included.

Usage: python -m training.melody_harmony [--data data/nottingham] [--renders 200] [--out models/melody_harmony.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf

from ai.generation.bar_harmony import chroma_frames, span_chroma
from ai.generation.melody_harmony import CLASSES, class_of

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "nottingham"
RENDERS = REPO / "data" / "nottingham_renders"
SR = 22050
EXCERPT_S = 45.0
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/sf_GMbank.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
)
LEADS = (52, 53, 54, 73, 74, 78, 40, 65, 66, 71, 56, 80, 81)
"""GM programs of the melody: choir aahs, voice oohs, synth voice, flute, recorder, whistle, violin, alto and
tenor sax, clarinet, trumpet, square and saw leads."""
_TEMPLATES = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "m7": (0, 3, 7, 10),
    "maj7": (0, 4, 7, 11),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "sus4": (0, 5, 7),
    "dim7": (0, 3, 6, 9),
    "m7b5": (0, 3, 6, 10),
}


def is_held_out(name: str) -> bool:
    """The fixed split: a third of the tunes, by the CRC-32 of the file stem."""
    return zlib.crc32(name.encode()) % 3 == 0


@dataclass(frozen=True)
class Tune:
    name: str
    signature: int  # the key signature's major tonic (pitch class)
    bar_starts: np.ndarray  # seconds, the downbeats of the MIDI file
    chords: list[tuple[int, str] | None]  # (root, quality) sounding at each downbeat; None: no chord
    chord_times: list[tuple[float, float, int, str]]  # every chord: (start, end, root, quality)
    end: float


def chord_of(pitches: set[int]) -> tuple[int, str] | None:
    """(root, quality) of a set of MIDI pitches: the template that covers them best (ties: root = lowest note)."""
    pcs = {p % 12 for p in pitches}
    if not pcs:
        return None
    lowest = min(pitches) % 12
    best: tuple[float, int, str] | None = None
    for root in range(12):
        for quality, intervals in _TEMPLATES.items():
            tones = {(root + i) % 12 for i in intervals}
            score = len(pcs & tones) - len(pcs - tones) - 0.5 * len(tones - pcs) + 0.1 * (root == lowest)
            if best is None or score > best[0]:
                best = (score, root, quality)
    return None if best is None else (best[1], best[2])


def _pm(path: Path) -> pretty_midi.PrettyMIDI:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pretty_midi.PrettyMIDI(str(path))


def load_tune(name: str, data: Path = DATA, *, stretch: float = 1.0) -> Tune:
    """The tune's bars and chords; ``stretch``: every time multiplied by it (a tune re-timed as
    :func:`render_melody` plays it: 120 / the new quarter notes a minute)."""
    chords_pm = _pm(data / "MIDI" / "chords" / f"{name}.mid")
    if stretch != 1.0:
        _stretch(chords_pm, stretch)
    notes = sorted((n for i in chords_pm.instruments for n in i.notes), key=lambda n: n.start)
    groups: dict[float, tuple[float, set[int]]] = {}
    for n in notes:
        end, pitches = groups.get(round(n.start, 3), (n.end, set()))
        pitches.add(n.pitch)
        groups[round(n.start, 3)] = (max(end, n.end), pitches)
    chord_times = []
    for start, (end, pitches) in sorted(groups.items()):
        chord = chord_of(pitches)
        if chord is not None:
            chord_times.append((start, end, chord[0], chord[1]))
    downbeats = chords_pm.get_downbeats()
    signature = chords_pm.key_signature_changes[0].key_number % 12 if chords_pm.key_signature_changes else 0
    return Tune(
        name, signature, downbeats, [chord_at(chord_times, t) for t in downbeats], chord_times, chords_pm.get_end_time()
    )


def _stretch(pm: pretty_midi.PrettyMIDI, factor: float) -> None:
    """Every note and the tempo map of ``pm`` slower by ``factor`` (in place): times multiplied by it."""
    pm.adjust_times([0.0, pm.get_end_time()], [0.0, pm.get_end_time() * factor])


def chord_at(chord_times: list[tuple[float, float, int, str]], t: float) -> tuple[int, str] | None:
    """The chord sounding at ``t`` (seconds; 30 ms of slack before a chord's start)."""
    for start, end, root, quality in chord_times:
        if start - 0.03 <= t < end - 0.03:
            return root, quality
    return None


def tune_names(data: Path = DATA) -> list[str]:
    melodies = {p.stem for p in (data / "MIDI" / "melody").glob("*.mid")}
    return sorted(p.stem for p in (data / "MIDI" / "chords").glob("*.mid") if p.stem in melodies)


def sound_of(name: str) -> tuple[str, int]:
    """The soundfont and GM lead program a tune is rendered with (fixed by its name)."""
    h = zlib.crc32(f"sound:{name}".encode())
    return SOUNDFONTS[h % len(SOUNDFONTS)], LEADS[(h // len(SOUNDFONTS)) % len(LEADS)]


def fluidsynth_mono(pm: pretty_midi.PrettyMIDI, soundfont: str) -> np.ndarray:
    """``pm`` rendered by FluidSynth through ``soundfont`` at SR, mixed to mono [shape=(n,), float32]."""
    with tempfile.TemporaryDirectory(prefix="melody_render_") as tmp:
        mid, wav = Path(tmp) / "m.mid", Path(tmp) / "m.wav"
        pm.write(str(mid))
        command = ["fluidsynth", "-ni", "-g", "0.5", "-r", str(SR), "-F", str(wav), soundfont, str(mid)]
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        y, rate = sf.read(wav, dtype="float32", always_2d=True)
    if rate != SR:
        raise ValueError(f"fluidsynth wrote {rate} Hz, expected {SR}")
    mono: np.ndarray = y.mean(axis=1)
    return mono


def render_melody(
    name: str, data: Path = DATA, cache: Path = RENDERS, seconds: float = EXCERPT_S, *, stretch: float = 1.0
) -> np.ndarray:
    """The tune's melody (its first ``seconds``) rendered mono at SR through :func:`sound_of`; cached as FLAC.
    ``stretch``: the file's times multiplied by it first (1.0: the files' own 120 quarter notes a minute)."""
    soundfont, program = sound_of(name)
    retimed = "" if stretch == 1.0 else f"-x{stretch:.4f}"
    path = cache / f"{name}-{Path(soundfont).stem}-{program}{retimed}.flac"
    if path.exists():
        y, _ = sf.read(path, dtype="float32")
        return np.asarray(y)
    pm = _pm(data / "MIDI" / "melody" / f"{name}.mid")
    if stretch != 1.0:
        _stretch(pm, stretch)
    for instrument in pm.instruments:
        instrument.program = program
        instrument.notes = [n for n in instrument.notes if n.start < seconds]
        for n in instrument.notes:
            n.end = min(n.end, seconds)
    mono = np.ascontiguousarray(fluidsynth_mono(pm, soundfont)[: int(seconds * SR)])
    cache.mkdir(parents=True, exist_ok=True)
    sf.write(path, mono, SR, subtype="PCM_16")
    return mono


def state_of(chord: tuple[int, str], signature: int) -> int:
    """The harmoniser's state index of a (root, quality) chord in a tune whose key signature's major tonic is
    ``signature``."""
    root, quality = chord
    return ((root - signature) % 12) * len(CLASSES) + CLASSES.index(class_of(quality))


def fit_transitions(tunes: list[Tune]) -> tuple[np.ndarray, np.ndarray]:
    """(initial counts [states], transition counts [states, states]) over the bars of ``tunes``."""
    n = 12 * len(CLASSES)
    initial, moves = np.zeros(n), np.zeros((n, n))
    for tune in tunes:
        states = [None if c is None else state_of(c, tune.signature) for c in tune.chords]
        first = next((s for s in states if s is not None), None)
        if first is not None:
            initial[first] += 1
        for a, b in zip(states[:-1], states[1:], strict=True):
            if a is not None and b is not None:
                moves[a, b] += 1
    return initial, moves


def fit_emissions(tunes: list[Tune]) -> tuple[np.ndarray, np.ndarray]:
    """(profiles [classes, 12] summed chroma share per pitch class above the root, bars per class) from the
    rendered melodies of ``tunes`` on their true bars."""
    sums, counts = np.zeros((len(CLASSES), 12)), np.zeros(len(CLASSES))
    for tune in tunes:
        y = render_melody(tune.name)
        chroma = chroma_frames(y, SR)
        starts = [float(t) for t in tune.bar_starts if t < len(y) / SR]
        spans = list(zip(starts, starts[1:] + [min(tune.end, len(y) / SR)], strict=True))
        bars = span_chroma(chroma, spans)
        for row, chord in zip(bars, tune.chords, strict=False):
            total = float(row.sum())
            if chord is None or total <= 1e-9:
                continue
            k = CLASSES.index(class_of(chord[1]))
            sums[k] += np.roll(row / total, -chord[0])
            counts[k] += 1
    return sums, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--renders", type=int, default=200, help="tune-split melodies rendered for the emissions")
    parser.add_argument("--out", default=str(REPO / "models" / "melody_harmony.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = Path(args.data)
    names = [n for n in tune_names(data) if not is_held_out(n)]
    tunes = [load_tune(n, data) for n in names]
    initial, moves = fit_transitions(tunes)
    logger.info("%d tune-split tunes, %d bar-to-bar moves", len(tunes), int(moves.sum()))
    step = max(1, len(tunes) // args.renders)
    sums, counts = fit_emissions(tunes[::step][: args.renders])
    logger.info(
        "emissions from %d bars: %s", int(counts.sum()), dict(zip(CLASSES, counts.astype(int).tolist(), strict=True))
    )
    profiles = (sums + 1e-3) / (counts[:, None] + 12e-3)
    profiles /= profiles.sum(axis=1, keepdims=True)
    model = {
        "classes": list(CLASSES),
        "source": "Nottingham Music Database (Eric Foxley), cleaned by Jukedeck; GPL-3",
        "tunes": len(tunes),
        "emission_bars": int(counts.sum()),
        "initial_counts": initial.astype(int).tolist(),
        "transition_counts": moves.astype(int).tolist(),
        "profiles": np.round(profiles, 5).tolist(),
    }
    Path(args.out).write_text(json.dumps(model, separators=(",", ":")) + "\n")
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
