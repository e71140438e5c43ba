#!/usr/bin/env python3
"""Accompaniment bench: do generated drums and bass land on a recording's beats and play its chords?

Songs: MMA band arrangements, each written twice: at a steady tempo, and drifting (the tempo set
bar by bar along a ramp from the song's tempo to ``1 + drift`` times it, as a band that rushes).
The "recording" is the MIDI without its drums and bass, rendered with FluidSynth; the annotations
are exact, read from the MIDI: its beat times (pretty_midi, through the tempo changes) and the
chart's chord per bar. Seven sets, all but tune-strings disjoint:

- dev: the grooves, keys and progressions of bench/mixing_songs.py through FluidR3 GM (seed 5):
  the songs the accompaniment's settings were chosen on;
- held-out: 12 other 4/4 grooves (drawn once, ``random.Random(2026).sample``, from the 68 4/4
  grooves of MMA's standard library outside the dev list), other progressions, through TimGM6mb
  (seed 17): never looked at while tuning, scored to see how far the dev figures carry;
- tune: 12 soft-attack 4/4 grooves in neither list, picked by name (ballads, slow swing and jazz, a
  hymn, a beguine: pads, strings and brushed chords whose attacks rise slowly), other progressions,
  through MuseScore General Lite (no other set's soundfont; seed 23): the songs the refinement's
  handling of soft attacks was chosen on, so the held-out set stays unlooked at;
- tune-strings: the tune songs with every part played by GM String Ensemble 1 (48): only slow
  attacks (MuseScore's strings reach half their level ~100 ms after the note-on), the case a
  band groove rarely is on its own. Tuning data too;
- tune-drift: 12 more 4/4 grooves in none of the lists above, picked by name (latin, swing and jazz
  combos, slow country and spiritual: the kinds whose drifting renders lost the beat on held-out),
  other progressions, through the full MuseScore General (no other set's soundfont; seed 31): the
  songs the analysis's following of a drifting tempo was chosen on (score at --drift 0.12 and 0.20);
- tune-csound: 12 more 4/4 grooves in none of the lists above, drawn at random (``random.Random(29).sample``
  of the sorted 33 grooves left of the 93 stdlib files whose first ``Time`` is 4, metronomes left out,
  each file's groove of its own name), other progressions, through csound's GM bank sf_GMbank.sf2 (no
  other set's soundfont; seed 37): tuning data for session 29's diagnosis of the missed beats.
- held-out-2: 12 more 4/4 grooves in none of the lists above (``random.Random(43).sample`` of the 18 grooves
  left whose names MMA spells capitalised), the held-out set's progressions and soundfont (TimGM6mb: no
  setting was chosen on either), seed 43: built in session 37 after every setting of the accompaniment and the
  analysis, and scored once, a second look at how far the tuning carries.

Printed per song and variant: the share of annotated beats with a generated drum or bass onset
within 20 ms, the share of bars whose lowest bass note on the downbeat (within 20 ms) is the
chord's root, and in brackets the share of annotated beats the analysis itself found (one of its
beats within 70 ms: a song low there had no pulse for the accompaniment to follow); with
``--offsets`` also the median signed offset (ms, + late) from the true beats of the analysis's beats
and of the accompaniment's grid (the beats its notes are placed on), each over the true beats it has
a beat within 70 ms of, and their spread (the median absolute deviation around that offset), and how far the tempo
map (the grid's beat-by-beat tempo, as the MIDI file's set_tempo events say it) strays from the true tempo (95th
percentile and maximum %, :func:`tempo_map_spread`; also in each set's summary); then the
time for a 3-minute recording (an MMA song of 180 s through FluidR3): analysis + accompaniment of
drums, bass and pad, without and with the FLAC preview.

``--model``: the generators registered. ``auto`` (the default) registers them as the service does (the
theory backend and every Magenta bundle in models/; each part then takes the backend the service's
``model=auto`` picks); ``theory`` the theory backend alone (the figures before session 30 were this).

``--real DIR`` (may repeat): an annotated real dataset (data/real_extra, data/real: a ground_truth.json of items
with ``beats_s``, ``downbeats_s``, ``chords`` of Harte labels), scored with the same measures: each recording read
with the engine's loader (``decode_audio``, at its own rate and channels) and accompanied with drums and bass (seed 0);
beats from ``beats_s``; the bars from ``downbeats_s``, each bar's chord the annotated one sounding
``CHORD_AFTER_S`` after its downbeat (its root, the chord's first note however the annotation voices it; bars under
"N" are left out and counted); an item without beats has its roots scored where it has downbeats, one with neither is
skipped (counted). Beside the rendered sets' columns: the item's split (bench/real_split.py's crc32 rule, so a
tuning run can look at the "tune" part only), the share of the scored bars whose downbeat has one of the
accompaniment's bar lines within 70 ms (the bar phase) and whose accompaniment chord gives the bass the annotated root
(the chords read), and the roots share with the bass note within 70 ms of the downbeat instead of 20 (a grid off
the annotations by a tracker's window still plays the root there); a summary per split with means over items and pooled over beats / bars. Unlike renders, a real
mix keeps its own drums and bass (nothing can be muted), and its annotations are people's, not the MIDI's.
``--speed-file PATH`` times the accompaniment of that recording (decoded as the service decodes an upload) instead of
the MMA render.

Renders are cached under ``--cache`` (default bench/out/accompaniment_renders; a render depends only on
the groove, tempi, chords, soundfont and program, all in the file name's hash), so a second run
re-scores without MMA and FluidSynth.

Usage: bench/accompaniment.py [--sets dev,held-out,held-out-2,tune,tune-strings,tune-drift,tune-csound] [--songs 12] [--bars 16] [--drift 0.12]
       [--offsets] [--cache DIR] [--no-speed] [--model auto|theory] [--real DIR ...] [--speed-file PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mir_eval
import numpy as np
import pretty_midi
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.audio.decode import DecodedAudio, decode_audio  # noqa: E402
from ai.generation.accompaniment import AccompanimentOptions, NoBeatFound, accompany  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.magenta_backend import load_bundles  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from ai.music_theory import parse_chord  # noqa: E402
from bench.mixing_songs import GROOVES, NAMES, PROGRESSIONS, SOUNDFONT  # noqa: E402
from bench.real_split import RULE, split_of  # noqa: E402

SR = 22050
TOLERANCE_S = 0.020
TRACKED_S = 0.070
"""The analysis found a beat when one of its beats lies this close (the usual beat-tracking window)."""
CHORD_AFTER_S = 0.050
"""A real recording's bar is scored against the annotated chord sounding this long after its downbeat (a chord
annotated as changing a few ms late still counts for its bar; bench/accompaniment_real.py reads it so too)."""
HELD_OUT_GROOVES = [
    "Calypso", "Charleston", "FolkBallad", "Foxtrot", "JazzRhumba", "Jive", "Lullaby", "Mambo", "March",
    "R&B-Ballad", "SlowBroadway", "StringBallad",
]  # fmt: skip
HELD_OUT_PROGRESSIONS = [
    [(0, ""), (5, ""), (0, ""), (7, "")],
    [(0, "m"), (10, ""), (8, ""), (7, "")],
    [(0, ""), (4, "m"), (5, ""), (7, "7")],
    [(0, "m7"), (5, "m7"), (10, "7"), (3, "M7")],
    [(0, ""), (2, "m7"), (5, "M7"), (7, "")],
]
TUNE_GROOVES = [
    "Ballad", "PianoBallad", "GuitarBallad", "SlowJazz", "MellowJazz", "EasySwing", "NiteJazz", "SlowBolero",
    "SlowSpiritual", "Hymn", "Beguine", "Evansish",
]  # fmt: skip
TUNE_PROGRESSIONS = [
    [(0, "M7"), (9, "m7"), (2, "m7"), (7, "7")],
    [(0, ""), (5, ""), (7, ""), (5, "")],
    [(0, "m"), (3, ""), (10, ""), (7, "")],
    [(0, ""), (4, "m"), (9, "m"), (5, "")],
]
TUNE_DRIFT_GROOVES = [
    "Bolero", "ChaCha", "LightTango", "Son", "Swing", "JazzCombo", "PopSpiritual", "SlowCountry", "ModernJazz",
    "Broadway", "Tango", "JazzGuitar",
]  # fmt: skip
TUNE_DRIFT_PROGRESSIONS = [
    [(0, ""), (9, "m7"), (5, "M7"), (7, "7")],
    [(0, "m7"), (10, ""), (5, "m7"), (7, "")],
    [(0, ""), (3, ""), (5, ""), (0, "")],
    [(0, "M7"), (5, "M7"), (4, "m7"), (9, "m")],
]

TUNE_CSOUND_GROOVES = [
    "BigBand", "Polka", "GypsyJazz", "ShowTune", "Softshoe", "CountryBlues", "Ballad128", "FastSwing",
    "DescendingJazz", "Desert", "Dixie", "Arpeggio4",
]  # fmt: skip
"""random.Random(29).sample(pool, 12), pool: the sorted main grooves of /usr/share/mma/lib/stdlib's files whose first
``Time`` is 4 (metronomes left out), less the dev, held-out, tune and tune-drift grooves (33 left)."""
HELD_OUT_2_GROOVES = [
    "Blues128", "Folk", "BoggieWoggie", "DixieMarch", "BoneyM", "HillCountry", "Merengue", "WesternSwing",
    "ShuffleBoggie", "Spiritual", "BWMarch", "SlowBlues",
]  # fmt: skip
"""random.Random(43).sample(..., 13) of the 18 grooves of the tune-csound pool left after its 12 whose names are
capitalised (arpeggio44, folkyjazz, rb and rock-128 left out: their files' grooves are spelt otherwise), less the first
drawn, Ballad68, whose MIDI is in 6/8 (the bench's charts count 4/4 bars)."""
TUNE_CSOUND_PROGRESSIONS = [
    [(0, "7"), (5, "7"), (0, "7"), (7, "7")],
    [(0, "m"), (7, "7"), (0, "m"), (5, "m")],
    [(0, ""), (2, "m"), (7, "7"), (0, "")],
    [(0, "M7"), (4, "m7"), (9, "m7"), (2, "7")],
]


@dataclass(frozen=True)
class SongSet:
    grooves: list[str]
    progressions: list[list[tuple[int, str]]]
    soundfont: str
    seed: int
    program: int | None = None
    """Every part of the recording played by this GM program (the arrangement's own voices when None)."""


SETS = {
    "dev": SongSet(GROOVES, PROGRESSIONS, SOUNDFONT, 5),
    "held-out": SongSet(HELD_OUT_GROOVES, HELD_OUT_PROGRESSIONS, "/usr/share/sounds/sf2/TimGM6mb.sf2", 17),
    "tune": SongSet(TUNE_GROOVES, TUNE_PROGRESSIONS, "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", 23),
    "tune-strings": SongSet(
        TUNE_GROOVES, TUNE_PROGRESSIONS, "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3", 23, program=48
    ),
    "tune-drift": SongSet(
        TUNE_DRIFT_GROOVES, TUNE_DRIFT_PROGRESSIONS, "/usr/share/sounds/sf3/MuseScore_General.sf3", 31
    ),
    "tune-csound": SongSet(TUNE_CSOUND_GROOVES, TUNE_CSOUND_PROGRESSIONS, "/usr/share/sounds/sf2/sf_GMbank.sf2", 37),
    "held-out-2": SongSet(HELD_OUT_2_GROOVES, HELD_OUT_PROGRESSIONS, "/usr/share/sounds/sf2/TimGM6mb.sf2", 43),
}
CACHE = REPO / "bench" / "out" / "accompaniment_renders"


@dataclass(frozen=True)
class Scores:
    hit: float
    roots: float
    tracked: float
    analysis_offset: float  # ms, median signed offset of the analysis's beats from the true ones
    analysis_spread: float  # ms, median absolute deviation around it
    grid_offset: float  # ms, the same for the accompaniment's grid
    grid_spread: float
    tempo_p95: float  # %, the tempo map's 95th-percentile deviation from the true tempo (tempo_map_spread)
    tempo_max: float  # %, its largest deviation
    bars: int = 0  # bars scored for their root
    phase: float = float("nan")  # share of those bars' downbeats with one of the grid's bar lines within 70 ms
    read: float = float("nan")  # share whose accompaniment chord (its bass pitch class) is the expected root
    roots_near: float = float("nan")  # ``roots`` with the lowest bass note within 70 ms of the downbeat, not 20


def mma_song(groove: str, tempi: list[float], chords: list[str], out: Path, seed: int = 1) -> pretty_midi.PrettyMIDI:
    """MMA's arrangement of ``chords`` (one per bar) in ``groove``, bar k at ``tempi[k]`` (MMA's
    humanising randomness seeded, so the bench is reproducible)."""
    lines = [f"RndSeed {seed}", "Time 4", f"Groove {groove}"]
    for k, (tempo, chord) in enumerate(zip(tempi, chords, strict=True)):
        lines += [f"Tempo {tempo:.2f}", f"{k + 1} {chord}"]
    source = out.with_suffix(".mma")
    source.write_text("\n".join(lines) + "\n")
    done = subprocess.run(["mma", str(source)], capture_output=True, text=True)
    if done.returncode or not out.exists():
        raise RuntimeError(f"mma failed for {groove}: {done.stdout[-300:]} {done.stderr[-300:]}")
    return pretty_midi.PrettyMIDI(str(out))


def recording(
    pm: pretty_midi.PrettyMIDI, folder: Path, soundfont: str = SOUNDFONT, program: int | None = None
) -> np.ndarray:
    """The arrangement without drums and bass (GM programs 32-39), rendered mono at SR through ``soundfont``,
    every part played by ``program`` when one is given."""
    pm.instruments = [i for i in pm.instruments if not i.is_drum and not 32 <= i.program <= 39]
    for instrument in pm.instruments:
        instrument.program = instrument.program if program is None else program
    mid, wav = folder / "recording.mid", folder / "recording.wav"
    pm.write(str(mid))
    subprocess.run(
        ["fluidsynth", "-ni", "-g", "0.4", "-r", str(SR), "-O", "s16", "-F", str(wav), soundfont, str(mid)],
        check=True,
        capture_output=True,
    )
    y, _ = sf.read(wav, dtype="float32", always_2d=True)
    return np.ascontiguousarray(y.mean(axis=1))


def score(
    audio: DecodedAudio,
    beats: np.ndarray,
    downbeats: np.ndarray,
    roots: list[int | None],
    registry: GeneratorRegistry,
    seed: int,
) -> Scores:
    """Beats with a drum or bass onset within 20 ms, bars (``downbeats``, one expected bass pitch class each in
    ``roots``, None: not scored) whose lowest bass note on the downbeat is that pitch class, beats the analysis
    itself found within 70 ms (where this is low the accompaniment had no pulse to follow), and the signed offsets
    of the analysis's beats and of the accompaniment's grid. Raises NoBeatFound where the service would refuse.
    An empty ``beats`` scores the roots alone (the beat figures NaN)."""
    analysis = analyze(audio)
    found = np.asarray(analysis.beat_times)
    tracked = (
        float(np.mean([len(found) > 0 and np.min(np.abs(found - b)) <= TRACKED_S for b in beats]))
        if len(beats)
        else float("nan")
    )
    result = accompany(audio, analysis, registry, AccompanimentOptions(parts=("drums", "bass"), seed=seed))
    onsets = np.array(sorted({n.start for part in ("drums", "bass") for n in result.parts[part]}))
    hit = float(np.mean([np.min(np.abs(onsets - b)) <= TOLERANCE_S for b in beats])) if len(onsets) else 0.0
    hit = hit if len(beats) else float("nan")
    bass = result.parts["bass"]
    grid_bars = np.asarray(result.grid.time_at(result.grid.bar_starts.astype(np.float64)), dtype=np.float64)
    right = near = phase = read = scored = 0
    for downbeat, root in zip(downbeats, roots, strict=True):
        if root is None:
            continue
        scored += 1
        first = [n for n in bass if abs(n.start - downbeat) <= TOLERANCE_S]
        right += bool(first) and min(first, key=lambda n: n.pitch).pitch % 12 == root
        # within the beat-tracking window: a bass on the right root that a grid offset keeps out of the 20 ms
        close = [n for n in bass if abs(n.start - downbeat) <= TRACKED_S]
        near += bool(close) and min(close, key=lambda n: n.pitch).pitch % 12 == root
        phase += bool(len(grid_bars)) and float(np.min(np.abs(grid_bars - downbeat))) <= TRACKED_S
        # the accompaniment's chord of the bar sounding just after the downbeat: what its bass was given
        bar = int(np.searchsorted(grid_bars, downbeat + CHORD_AFTER_S, side="right")) - 1
        read += 0 <= bar < len(result.chords) and result.chords[bar].bass_pitch_class == root
    share = (lambda count: count / scored) if scored else (lambda count: float("nan"))
    a_offset, a_spread = signed_offset(found, beats) if len(beats) else (float("nan"), float("nan"))
    g_offset, g_spread = signed_offset(result.grid.times, beats) if len(beats) else (float("nan"), float("nan"))
    detected = result.grid.times[result.grid.first_beat : result.grid.first_beat + result.grid.detected]
    p95, most = tempo_map_spread(detected, beats) if len(beats) > 1 else (float("nan"), float("nan"))
    return Scores(
        hit, share(right), tracked, a_offset, a_spread, g_offset, g_spread, p95, most, scored, share(phase), share(read),
        share(near),
    )  # fmt: skip


LEVELS = (0.5, 2.0 / 3.0, 1.0, 1.5, 2.0)
"""Beat intervals of a grid at another metrical level than the annotation's, as a ratio to the true ones."""


def tempo_map_spread(times: np.ndarray, beats: np.ndarray) -> tuple[float, float]:
    """(95th percentile, maximum) in % of how far the tempo of each interval of the grid's ``times`` (the MIDI tempo
    map's beat by beat) strays from the true tempo there (``beats``' interval around the interval's middle), over
    the grid's intervals within the true beats' span; the true intervals are first scaled to the grid's metrical
    level (the nearest of LEVELS to the ratio of the median intervals: a level error is not a wobble). NaN where
    the grid has no interval there."""
    times, beats = np.asarray(times, dtype=np.float64), np.asarray(beats, dtype=np.float64)
    times = times[(times >= beats[0] - TRACKED_S) & (times <= beats[-1] + TRACKED_S)]
    if len(times) < 2:
        return float("nan"), float("nan")
    intervals, middles = np.diff(times), (times[:-1] + times[1:]) / 2.0
    true = np.interp(middles, (beats[:-1] + beats[1:]) / 2.0, np.diff(beats))
    ratio = float(np.median(intervals / true))
    level = min(LEVELS, key=lambda r: abs(np.log(ratio / r)))
    deviation = np.abs(true * level / intervals - 1.0) * 100.0  # tempo is 1 / interval
    return float(np.percentile(deviation, 95)), float(deviation.max())


def signed_offset(times: np.ndarray, beats: np.ndarray) -> tuple[float, float]:
    """(median, median absolute deviation) in ms of the signed offsets (+ late) of the nearest of ``times``
    to each true beat, over the beats with one within TRACKED_S; NaN where none has."""
    times = np.asarray(times, dtype=np.float64)
    if len(times) == 0:
        return float("nan"), float("nan")
    diffs = np.array([times[np.argmin(np.abs(times - b))] - b for b in beats])
    diffs = diffs[np.abs(diffs) <= TRACKED_S] * 1000.0
    if len(diffs) == 0:
        return float("nan"), float("nan")
    median = float(np.median(diffs))
    return median, float(np.median(np.abs(diffs - median)))


def chart(rng: random.Random, bars: int, progressions: list[list[tuple[int, str]]] = PROGRESSIONS) -> list[str]:
    tonic = rng.randrange(12)
    progression = rng.choice(progressions)
    return [NAMES[(tonic + step) % 12] + quality for step, quality in progression] * (bars // 4)


def cached_render(
    groove: str, tempi: list[float], chords: list[str], songs: SongSet, folder: Path, cache: Path | None
) -> tuple[np.ndarray, np.ndarray]:
    """(the recording, its first len(chords) bars' true beat times): from ``cache`` when rendered before."""
    key = json.dumps([groove, [round(t, 4) for t in tempi], chords, songs.soundfont, songs.program, SR])
    path = cache / f"{groove}-{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path) as saved:
            return saved["y"], saved["beats"]
    pm = mma_song(groove, tempi, chords, folder / "song.mid")
    beats = pm.get_beats()[: 4 * len(chords)]
    y = recording(pm, folder, songs.soundfont, songs.program)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, y=y, beats=beats)
    return y, beats


def score_set(name: str, songs: SongSet, args: argparse.Namespace, registry: GeneratorRegistry, folder: Path) -> None:
    """Print one set's per-song figures and its means."""
    rng = random.Random(songs.seed)
    rows: dict[str, list[Scores]] = {"steady": [], "drifting": []}
    cache = None if args.cache == "" else Path(args.cache)
    print(f"{name} set ({Path(songs.soundfont).stem})")
    header = "steady beats/roots (tracked)   drifting beats/roots (tracked)"
    if args.offsets:
        header += "   offsets ms (spread): steady analysis, grid; drifting analysis, grid"
    print(f"{'groove':14} {'bpm':>4}  {header}")
    for i in range(args.songs):
        groove, bpm = songs.grooves[(songs.seed + i) % len(songs.grooves)], rng.randint(80, 150)
        chords = chart(rng, args.bars, songs.progressions)
        for variant, end in (("steady", 1.0), ("drifting", 1.0 + args.drift)):
            tempi = list(np.linspace(bpm, bpm * end, args.bars))
            y, beats = cached_render(groove, tempi, chords, songs, folder, cache)
            roots: list[int | None] = [parse_chord(chord).bass_pitch_class for chord in chords]
            audio = DecodedAudio(y[np.newaxis], SR)
            rows[variant].append(score(audio, beats, beats[0::4][: len(chords)], roots, registry, seed=i))
        s, d = rows["steady"][-1], rows["drifting"][-1]
        line = (
            f"{groove:14} {bpm:4d}  {s.hit:6.3f} {s.roots:6.3f} ({s.tracked:5.3f})    "
            f"{d.hit:6.3f} {d.roots:6.3f} ({d.tracked:5.3f})"
        )
        if args.offsets:
            line += "   " + "  ".join(
                f"{v.analysis_offset:+5.1f} ({v.analysis_spread:4.1f}) {v.grid_offset:+5.1f} ({v.grid_spread:4.1f})"
                for v in (s, d)
            )
            line += "   tempo % p95/max: " + "  ".join(f"{v.tempo_p95:5.1f}/{v.tempo_max:5.1f}" for v in (s, d))
        print(line)
    for variant, values in rows.items():
        hits = np.array([v.hit for v in values])
        print(
            f"{name:8} {variant:9} beats with a drum/bass onset within 20 ms: {hits.mean():.3f} "
            f"(worst song {hits.min():.3f}); bars with the chord's root in the bass: "
            f"{np.mean([v.roots for v in values]):.3f}; "
            f"beats the analysis found within 70 ms: {np.mean([v.tracked for v in values]):.3f}; "
            f"tempo map off the true tempo, p95 / max %: mean {np.nanmean([v.tempo_p95 for v in values]):.1f} / "
            f"{np.nanmean([v.tempo_max for v in values]):.1f}, worst song {np.nanmax([v.tempo_p95 for v in values]):.1f}"
            f" / {np.nanmax([v.tempo_max for v in values]):.1f}"
        )


@dataclass(frozen=True)
class RealItem:
    """One annotated real recording, as the bench scores it."""

    file: str
    split: str  # bench/real_split.py's: "heldout" or "tune"
    beats: np.ndarray  # annotated beat times (s); empty where only downbeats are annotated
    downbeats: np.ndarray  # annotated downbeats (s): the bars scored for their root
    roots: list[int | None]  # each bar's annotated chord root (pitch class), None for "N" or no chord annotated
    no_chord: int  # bars under an annotated "N" (not scored)


def real_item(truth: dict[str, Any]) -> RealItem | None:
    """``truth`` (an item of a ground_truth.json: beats_s, downbeats_s, chords of Harte labels) as the bench scores
    it: each bar's chord is the annotated one sounding CHORD_AFTER_S after its downbeat; None where the item has
    neither beats nor downbeats (nothing to score)."""
    beats = np.asarray(truth.get("beats_s") or [], dtype=np.float64)
    downbeats = np.asarray(truth.get("downbeats_s") or [], dtype=np.float64)
    if not len(beats) and not len(downbeats):
        return None
    chords = truth.get("chords") or []
    roots: list[int | None] = []
    no_chord = 0
    for downbeat in downbeats:
        at = downbeat + CHORD_AFTER_S
        label = next((c["label"] for c in chords if c["start"] <= at < c["end"]), None)
        root = -1 if label is None else int(mir_eval.chord.encode(label)[0])
        no_chord += label is not None and root < 0
        roots.append(root if root >= 0 else None)
    return RealItem(truth["file"], split_of(truth["file"]), beats, downbeats, roots, no_chord)


def score_real(dataset: Path, args: argparse.Namespace, registry: GeneratorRegistry) -> None:
    """Print a real dataset's per-item figures (the rendered sets' columns, and the split, the bars scored, the
    share of them the accompaniment's bar lines fall on and whose chord it read right) and a summary per split."""
    truths = json.loads((dataset / "ground_truth.json").read_text())
    print(f"real set {dataset} (recordings with their own drums and bass; split: {RULE})")
    header = "beats/roots (tracked)  beats  bars (N)  on bar line  chord read  roots 70 ms"
    if args.offsets:
        header += "   offsets ms (spread): analysis, grid   tempo % p95/max"
    print(f"{'item':48} {'split':7}  {header}")
    rows: dict[str, list[tuple[RealItem, Scores]]] = {"tune": [], "heldout": []}
    skipped = []
    for truth in truths:
        item = real_item(truth)
        if item is None:
            skipped.append(truth["file"])
            continue
        audio = decode_audio(dataset / "audio" / item.file)  # the engine's loader, at the file's own rate
        try:
            values = score(audio, item.beats, item.downbeats, item.roots, registry, seed=0)
        except NoBeatFound as exc:
            print(f"{_label(item.file):48} {item.split:7}  no accompaniment: {exc}")
            nan = float("nan")
            values = Scores(0.0, 0.0, nan, nan, nan, nan, nan, nan, nan, sum(r is not None for r in item.roots))
        rows[item.split].append((item, values))
        line = (
            f"{_label(item.file):48} {item.split:7}  {values.hit:6.3f} {values.roots:6.3f} ({values.tracked:5.3f})  "
            f"{len(item.beats):5d}  {values.bars:4d} ({item.no_chord:2d})  {values.phase:11.3f}  {values.read:10.3f}  "
            f"{values.roots_near:11.3f}"
        )
        if args.offsets:
            line += (
                f"   {values.analysis_offset:+5.1f} ({values.analysis_spread:4.1f}) {values.grid_offset:+5.1f} "
                f"({values.grid_spread:4.1f})   {values.tempo_p95:5.1f}/{values.tempo_max:5.1f}"
            )
        print(line, flush=True)
    if skipped:
        print(f"skipped, neither beats nor downbeats annotated: {len(skipped)} items")
    for split, split_rows in rows.items():
        if split_rows:
            print(real_summary(f"{dataset.name} {split}", split_rows))
    if rows["tune"] and rows["heldout"]:
        print(real_summary(f"{dataset.name} all", rows["tune"] + rows["heldout"]))


def _label(file: str) -> str:
    """An item's file name in 48 characters: its end, where a song's title is."""
    stem = Path(file).stem
    return stem if len(stem) <= 48 else "..." + stem[-45:]


def real_summary(name: str, rows: list[tuple[RealItem, Scores]]) -> str:
    """One line: beat and root shares as means over items and pooled over beats / bars, the tracked share, the bar
    lines and chords read, the tempo map's spread."""
    beat_rows = [(item, v) for item, v in rows if len(item.beats)]
    root_rows = [(item, v) for item, v in rows if v.bars]
    n_beats = np.array([len(item.beats) for item, _ in beat_rows], dtype=np.float64)
    n_bars = np.array([v.bars for _, v in root_rows], dtype=np.float64)

    def mean_pooled(values: list[float], weights: np.ndarray) -> str:
        if not values:
            return "-"
        return f"{np.mean(values):.3f} (pooled {np.sum(weights * np.asarray(values)) / weights.sum():.3f})"

    hits = [v.hit for _, v in beat_rows]
    return (
        f"{name:18} {len(rows)} items ({len(beat_rows)} with {int(n_beats.sum())} beats, {len(root_rows)} with "
        f"{int(n_bars.sum())} bars under a chord, {sum(item.no_chord for item, _ in rows)} N bars left out); means over "
        f"items, pooled over beats / bars in brackets: beats with a drum/bass onset within 20 ms: "
        f"{mean_pooled(hits, n_beats)}{f' (worst item {min(hits):.3f})' if hits else ''}; "
        f"bars with the chord's root in the bass: {mean_pooled([v.roots for _, v in root_rows], n_bars)}; "
        f"beats the analysis found within 70 ms: {mean_pooled([v.tracked for _, v in beat_rows], n_beats)}; "
        f"bars on the accompaniment's bar lines: {mean_pooled([v.phase for _, v in root_rows], n_bars)}; "
        f"chords read right: {mean_pooled([v.read for _, v in root_rows], n_bars)}; "
        f"roots within 70 ms: {mean_pooled([v.roots_near for _, v in root_rows], n_bars)}; "
        f"tempo map off the true tempo, p95 / max %: mean {_nanmean([v.tempo_p95 for _, v in beat_rows]):.1f} / "
        f"{_nanmean([v.tempo_max for _, v in beat_rows]):.1f}"
    )


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sets",
        default="dev,held-out",
        help="comma-separated: dev, held-out, held-out-2, tune, tune-strings, tune-drift, tune-csound",
    )
    parser.add_argument("--songs", type=int, default=12)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--drift", type=float, default=0.12, help="tempo ramp of the drifting variant (0.12: +12%%)")
    parser.add_argument("--offsets", action="store_true", help="print each song's signed beat offsets too")
    parser.add_argument("--cache", default=str(CACHE), help="folder of cached renders ('': render every time)")
    parser.add_argument("--no-speed", action="store_true", help="skip the 3-minute timing")
    parser.add_argument(
        "--model",
        choices=("auto", "theory"),
        default="auto",
        help="auto: the generators the service registers (theory and the Magenta bundles); theory: that alone",
    )
    parser.add_argument(
        "--real",
        type=Path,
        action="append",
        default=[],
        help="an annotated real dataset (a folder with ground_truth.json and audio/), scored first; may repeat",
    )
    parser.add_argument(
        "--speed-file", type=Path, help="time the accompaniment of this recording instead of the 3-minute MMA render"
    )
    args = parser.parse_args()
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(load_dynamics(REPO / "models")))
    if args.model == "auto":
        loaded = load_bundles(REPO / "models", registry)
        print(f"generators: theory and {len(loaded)} Magenta bundles ({', '.join(g.name for g in loaded)})", flush=True)
    else:
        print("generators: theory alone", flush=True)
    for dataset in args.real:
        score_real(dataset, args, registry)
    with tempfile.TemporaryDirectory(prefix="accomp_bench_") as tmp:
        folder = Path(tmp)
        for name in filter(None, args.sets.split(",")):  # --sets "": the timing only
            score_set(name, SETS[name], args, registry, folder)
        if args.no_speed:
            return
        if args.speed_file is None:
            bpm = 120
            long_bars = 180 * bpm // 240 // 4 * 4  # whole 4-bar progressions
            pm = mma_song("8Beat", [float(bpm)] * long_bars, chart(random.Random(5), long_bars), folder / "long.mid")
            y = recording(pm, folder)
    decoding = ""
    if args.speed_file is not None:
        started = time.perf_counter()
        audio = decode_audio(args.speed_file)  # as the service decodes an upload (timed apart: renders have none)
        decoding = f"; decoding the file {time.perf_counter() - started:.2f} s more"
        print(f"timing {args.speed_file} ({audio.sample_rate} Hz, {audio.channels} channel(s))")
    else:
        audio = DecodedAudio(np.stack([y, y]), SR)
    analyze(audio)  # warm the numba kernels once, as the service does at start-up
    for preview in (None, "flac"):
        started, cpu = time.perf_counter(), _cpu_seconds()
        analysis = analyze(audio)
        accompany(audio, analysis, registry, AccompanimentOptions(parts=("drums", "bass", "pad"), preview=preview))
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(f"{audio.duration_s:.0f} s recording, drums+bass+pad ({args.model}), preview={preview}: {wall:.2f} s "
              f"(CPU {cpu:.2f} s with FluidSynth; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
              f"{decoding})")  # fmt: skip


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (FluidSynth): a figure the machine's load
    does not inflate."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
