#!/usr/bin/env python3
"""Accompaniment bench: do generated drums and bass land on a recording's beats and play its chords?

Songs: MMA band arrangements, each written twice: at a steady tempo, and drifting (the tempo set
bar by bar along a ramp from the song's tempo to ``1 + drift`` times it, as a band that rushes).
The "recording" is the MIDI without its drums and bass, rendered with FluidSynth; the annotations
are exact, read from the MIDI: its beat times (pretty_midi, through the tempo changes) and the
chart's chord per bar. Two disjoint sets:

- dev: the grooves, keys and progressions of bench/mixing_songs.py through FluidR3 GM (seed 5):
  the songs the accompaniment's settings were chosen on;
- held-out: 12 other 4/4 grooves (drawn once, ``random.Random(2026).sample``, from the 68 4/4
  grooves of MMA's standard library outside the dev list), other progressions, through TimGM6mb
  (seed 17): never looked at while tuning, scored to see how far the dev figures carry.

Printed per song and variant: the share of annotated beats with a generated drum or bass onset
within 20 ms, the share of bars whose lowest bass note on the downbeat (within 20 ms) is the
chord's root, and in brackets the share of annotated beats the analysis itself found (one of its
beats within 70 ms: a song low there had no pulse for the accompaniment to follow); then the
time for a 3-minute recording (an MMA song of 180 s through FluidR3): analysis + accompaniment of
drums, bass and pad, without and with the FLAC preview.

Usage: bench/accompaniment.py [--sets dev,held-out] [--songs 12] [--bars 16] [--drift 0.12] [--no-speed]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.analysis.pipeline import analyze  # noqa: E402
from ai.audio.decode import DecodedAudio  # noqa: E402
from ai.generation.accompaniment import AccompanimentOptions, accompany  # noqa: E402
from ai.generation.base import GeneratorRegistry  # noqa: E402
from ai.generation.dynamics import load_dynamics  # noqa: E402
from ai.generation.theory import TheoryGenerator  # noqa: E402
from ai.music_theory import parse_chord  # noqa: E402
from bench.mixing_songs import GROOVES, NAMES, PROGRESSIONS, SOUNDFONT  # noqa: E402

SR = 22050
TOLERANCE_S = 0.020
TRACKED_S = 0.070
"""The analysis found a beat when one of its beats lies this close (the usual beat-tracking window)."""
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


@dataclass(frozen=True)
class SongSet:
    grooves: list[str]
    progressions: list[list[tuple[int, str]]]
    soundfont: str
    seed: int


SETS = {
    "dev": SongSet(GROOVES, PROGRESSIONS, SOUNDFONT, 5),
    "held-out": SongSet(HELD_OUT_GROOVES, HELD_OUT_PROGRESSIONS, "/usr/share/sounds/sf2/TimGM6mb.sf2", 17),
}


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


def recording(pm: pretty_midi.PrettyMIDI, folder: Path, soundfont: str = SOUNDFONT) -> np.ndarray:
    """The arrangement without drums and bass (GM programs 32-39), rendered mono at SR through ``soundfont``."""
    pm.instruments = [i for i in pm.instruments if not i.is_drum and not 32 <= i.program <= 39]
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
    y: np.ndarray, beats: np.ndarray, chords: list[str], registry: GeneratorRegistry, seed: int
) -> tuple[float, float, float]:
    """(beats with a drum or bass onset within 20 ms, bars with the chord's root in the bass, beats the
    analysis itself found within 70 ms: where this is low the accompaniment had no pulse to follow)."""
    audio = DecodedAudio(y[np.newaxis], SR)
    analysis = analyze(audio)
    found = np.asarray(analysis.beat_times)
    tracked = float(np.mean([len(found) > 0 and np.min(np.abs(found - b)) <= TRACKED_S for b in beats]))
    result = accompany(audio, analysis, registry, AccompanimentOptions(parts=("drums", "bass"), seed=seed))
    onsets = np.array(sorted({n.start for part in ("drums", "bass") for n in result.parts[part]}))
    hit = float(np.mean([np.min(np.abs(onsets - b)) <= TOLERANCE_S for b in beats])) if len(onsets) else 0.0
    bass = result.parts["bass"]
    right = 0
    for k, chord in enumerate(chords):
        first = [n for n in bass if abs(n.start - beats[4 * k]) <= TOLERANCE_S]
        right += bool(first) and min(first, key=lambda n: n.pitch).pitch % 12 == parse_chord(chord).bass_pitch_class
    return hit, right / len(chords), tracked


def chart(rng: random.Random, bars: int, progressions: list[list[tuple[int, str]]] = PROGRESSIONS) -> list[str]:
    tonic = rng.randrange(12)
    progression = rng.choice(progressions)
    return [NAMES[(tonic + step) % 12] + quality for step, quality in progression] * (bars // 4)


def score_set(name: str, songs: SongSet, args: argparse.Namespace, registry: GeneratorRegistry, folder: Path) -> None:
    """Print one set's per-song figures and its means."""
    rng = random.Random(songs.seed)
    rows: dict[str, list[tuple[float, float, float]]] = {"steady": [], "drifting": []}
    print(f"{name} set ({Path(songs.soundfont).stem})")
    print(f"{'groove':14} {'bpm':>4}  steady beats/roots (tracked)   drifting beats/roots (tracked)")
    for i in range(args.songs):
        groove, bpm = songs.grooves[(songs.seed + i) % len(songs.grooves)], rng.randint(80, 150)
        chords = chart(rng, args.bars, songs.progressions)
        scores = []
        for variant, end in (("steady", 1.0), ("drifting", 1.0 + args.drift)):
            tempi = list(np.linspace(bpm, bpm * end, args.bars))
            pm = mma_song(groove, tempi, chords, folder / f"{variant}.mid")
            beats = pm.get_beats()[: 4 * args.bars]
            y = recording(pm, folder, songs.soundfont)
            scores.append(score(y, beats, chords, registry, seed=i))
            rows[variant].append(scores[-1])
        (s_hit, s_root, s_found), (d_hit, d_root, d_found) = scores
        print(
            f"{groove:14} {bpm:4d}  {s_hit:6.3f} {s_root:6.3f} ({s_found:5.3f})    "
            f"{d_hit:6.3f} {d_root:6.3f} ({d_found:5.3f})"
        )
    for variant, values in rows.items():
        arr = np.array(values)
        print(
            f"{name:8} {variant:9} beats with a drum/bass onset within 20 ms: {arr[:, 0].mean():.3f} "
            f"(worst song {arr[:, 0].min():.3f}); bars with the chord's root in the bass: {arr[:, 1].mean():.3f}; "
            f"beats the analysis found within 70 ms: {arr[:, 2].mean():.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="dev,held-out", help="comma-separated: dev, held-out")
    parser.add_argument("--songs", type=int, default=12)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--drift", type=float, default=0.12, help="tempo ramp of the drifting variant (0.12: +12%%)")
    parser.add_argument("--no-speed", action="store_true", help="skip the 3-minute timing")
    args = parser.parse_args()
    registry = GeneratorRegistry()
    registry.register(TheoryGenerator(load_dynamics(REPO / "models")))
    with tempfile.TemporaryDirectory(prefix="accomp_bench_") as tmp:
        folder = Path(tmp)
        for name in filter(None, args.sets.split(",")):  # --sets "": the timing only
            score_set(name, SETS[name], args, registry, folder)
        if args.no_speed:
            return
        bpm = 120
        long_bars = 180 * bpm // 240 // 4 * 4  # whole 4-bar progressions
        pm = mma_song("8Beat", [float(bpm)] * long_bars, chart(random.Random(5), long_bars), folder / "long.mid")
        y = recording(pm, folder)
    audio = DecodedAudio(np.stack([y, y]), SR)
    analyze(audio)  # warm the numba kernels once, as the service does at start-up
    for preview in (None, "flac"):
        started, cpu = time.perf_counter(), _cpu_seconds()
        analysis = analyze(audio)
        accompany(audio, analysis, registry, AccompanimentOptions(parts=("drums", "bass", "pad"), preview=preview))
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        print(f"{audio.duration_s:.0f} s recording, drums+bass+pad, preview={preview}: {wall:.2f} s "
              f"(CPU {cpu:.2f} s with FluidSynth; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (FluidSynth): a figure the machine's load
    does not inflate."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
