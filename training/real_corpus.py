"""An annotated corpus that sounds like recordings: performed timing, many soundfonts, a production chain.

For the beat/downbeat activation network and the key profiles of issue 11 ("analysis that holds on
real recordings"). Every item is a ~30 s excerpt (a random 24-40 s window of a longer render) with
exact beat, downbeat, meter, tempo and key labels:

* songs: MMA grooves of training.tempo_corpus.training_grooves() (never a style file the evaluation
  uses), 4/4 at 60-190 BPM and 3/4 (a quarter of the songs) at 90-200 BPM, over a
  training/progressions.py progression in a random key; some rock/pop grooves play a minor rock
  progression (i-bVII-bVI-bVII, i-iv-v-i, ...) with their guitars switched to overdriven or
  distortion guitar (GM 29/30).
* chorales: Bach chorales of music21's corpus that build_dataset.py's evaluation does not use
  (4/4 and 3/4 ones), played by one of several ensembles, with bar lines from the score.

Timing is performed, not a grid: a smooth random walk of the log tempo (+-3-8 % over the excerpt),
in 20 % of the items a ritardando or accelerando of 5-15 %, a ritardando into each chorale fermata
and a held fermata; per-note gaussian jitter (sd 5-20 ms, per item), a constant offset per
instrument (+-15 ms) and velocity variation. Beats and downbeats are the warped grid, not the
jittered notes. Sound: one of four GM soundfonts per item; in some songs the kit (kick, snare,
toms, hats, cymbals) plays from an AVL drumkit (apt package avldrums.lv2-soundfont) when it is
installed; drums and the rest are rendered apart and mixed at a random balance. Then
training/augment.py's production chain (room, tilt, bus compression and limiter, noise, MP3) and a
random peak level. Every random choice is in the item's "augment" record and follows from --seed.

Output: OUT/audio/NNNN.flac (mono, 22050 Hz, 16 bit) and OUT/ground_truth.json, a list of
{"file", "source" ("mma:<Groove>" | "chorale:<bwv>"), "soundfont", "meter" ("4/4" | "3/4"),
"bpm" (median 60/IBI of the excerpt), "key" ("F# minor"), "beats_s", "downbeats_s",
"chords_per_bar" (MMA songs: the chord of the bar starting at each downbeat; null for chorales),
"duration_s", "augment"}. ``--keep-dry`` also writes the excerpt before the production chain to
OUT/dry/; ``--check N`` measures how far the labels of the first N items lie from detected onsets.

Usage: nice -n 10 .venv/bin/python -m training.real_corpus data/real_train [--songs 360] [--chorales 80]
                  [--seed 1] [--jobs 2] [--keep-dry]
       .venv/bin/python -m training.real_corpus data/real_train --check 3
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import re
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import numpy as np
import pretty_midi
import soundfile as sf

from training.augment import produce
from training.mma_corpus import MMA_BIN, MMA_LIB, _time_signature
from training.progressions import PROGRESSIONS, Progression, chord_names
from training.tempo_corpus import KEY_NAMES, _build_dataset, training_grooves

if TYPE_CHECKING:
    from music21.stream import Measure

logger = logging.getLogger(__name__)

SR = 22050
WINDOW_S = (24.0, 40.0)
PREROLL_S = 2.0  # rendered before the window so that reverb and held notes ring into it
SOUNDFONTS = {
    "FluidR3_GM": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "MuseScore_General_Lite": "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
    "sf_GMbank": "/usr/share/sounds/sf2/sf_GMbank.sf2",
}
# AVL drumkits (avldrums.lv2-soundfont): one preset (bank 0, program 0) with sounds on keys 36-61.
DRUM_KITS = {
    "AVL_Black_Pearl": "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
    "AVL_Red_Zeppelin": "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2",
}
# GM drum keys an acoustic kit has (kick, stick, snare, toms, hi-hats, cymbals); 35 plays as 36.
KIT_KEYS = frozenset({35, 36, 37, 38, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 57, 59})
P_KIT = 0.35
P_FLUID_FX = 0.5  # FluidSynth's own reverb and chorus on
DRUM_BALANCE_DB = (-6.0, 4.0)  # drums against MMA's own balance

MMA_BARS = 72  # enough for 8 bars of lead-in and a 40 s window at 200 BPM in 3/4, tempo drift included
MAX_START_BARS = 8
WALTZ_SHARE = 0.25
DISTORTED_SHARE = 0.15
ROCK_STYLE = re.compile(r"rock|8beat|pop", re.IGNORECASE)
SKIP_GROOVE = re.compile(r"intro|fill", re.IGNORECASE)
GUITARS = range(24, 32)
BASSES = range(32, 40)
ROCK_MINOR = (
    Progression("i-bVII-bVI-bVII", True, ((9, "m"), (7, ""), (5, ""), (7, ""))),
    Progression("i-iv-v-i", True, ((9, "m"), (2, "m"), (4, "m"), (9, "m"))),
    Progression("i-bVI-bIII-bVII", True, ((9, "m"), (5, ""), (0, ""), (7, ""))),
    Progression("i-i-bVI-bVII", True, ((9, "m"), (9, "m"), (5, ""), (7, ""))),
)
BPM_RANGE = {4: (60.0, 190.0), 3: (90.0, 200.0)}

CHORALE_BPM = (56.0, 108.0)
CHORALE_ENSEMBLES = {
    "piano": (0, 0, 0, 0),
    "church organ": (19, 19, 19, 19),
    "reed organ": (20, 20, 20, 20),
    "string quartet": (40, 40, 41, 42),
    "string ensemble": (48, 48, 48, 48),
    "choir": (52, 52, 52, 52),
    "woodwinds": (73, 68, 71, 70),
    "brass": (56, 60, 57, 58),
}
P_CHORALE_TRANSPOSE = 0.5

# timing
DRIFT = (0.03, 0.08)
P_RAMP = 0.2
RAMP = (0.05, 0.15)
JITTER_MS = (5.0, 20.0)
INSTRUMENT_OFFSET_MS = 15.0
VELOCITY_SD = (0.05, 0.2)  # of log velocity
FERMATA_HOLD = (0.2, 0.8)  # extra length of the fermata beat, relative


@dataclass(frozen=True)
class Job:
    index: int
    kind: str  # "mma" | "chorale"
    name: str  # groove or chorale
    seed: int
    out: str
    distorted: bool = False
    keep_dry: bool = False


@dataclass
class Part:
    """One instrument to perform: notes in beats (quarter notes) of the score."""

    program: int
    is_drum: bool
    notes: list[tuple[int, float, float, int]]  # pitch, start beat, end beat, velocity
    controls: list[tuple[int, float, int]]  # number, beat, value


Note = tuple[int, float, float, int]
"""pitch, on, off (beats or s), velocity"""
Control = tuple[int, float, int]
"""controller number, time (beats or s), value"""
Performed = tuple[Part, list[Note], list[Control]]
"""A part with its notes and controls performed, in s."""
Record = dict[str, Any]
"""One item's ground truth, as written to ground_truth.json."""
T = TypeVar("T")


class Timing(TypedDict):
    """The performance's timing draw (:func:`timing_params`)."""

    drift: float
    ramp: float
    jitter_ms: float
    velocity_sd: float


class ChoraleScore(TypedDict):
    """A chorale read by :func:`chorale_score`; positions in quarter notes."""

    numerator: int
    tonic: int
    mode: str
    key_source: str
    parts: list[list[Note]]
    fermatas: list[tuple[float, float]]
    beats: list[float]
    downbeats: list[float]
    end: float


# ----------------------------------------------------------------------------- planning


def groove_meters(lib_dir: Path = MMA_LIB) -> dict[str, int | None]:
    """Beats per bar of each MMA groove (lower-case name), from the last ``Time`` before its DefGroove;
    None where the style's ``TimeSig`` is not that many quarters (6/8 grooves played in ``Time 3``)."""
    meters: dict[str, int | None] = {}
    for path in sorted(lib_dir.glob("*.mma")):
        current, signature = None, None
        for line in path.read_text(encoding="latin-1").splitlines():
            if found := re.match(r"\s*time\s+(\d+)", line, re.IGNORECASE):
                current = int(found.group(1))
            elif found := re.match(r"\s*timesig\s+(\d+)[\s/]+(\d+)", line, re.IGNORECASE):
                signature = (int(found.group(1)), int(found.group(2)))
            elif (found := re.match(r"\s*defgroove\s+(\S+)", line, re.IGNORECASE)) and current:
                agrees = signature is None or signature == (current, 4)
                meters.setdefault(found.group(1).lower(), current if agrees else None)
    return meters


def evaluation_chorales() -> set[str]:
    """Chorales of the evaluation set, versions of one piece counted as the same (bwv248.64-s)."""
    return {name.split("-")[0] for name in _build_dataset().CHORALES}


def training_chorales() -> list[str]:
    from music21 import corpus

    used = evaluation_chorales()
    every = {p.name.removesuffix(".mxl") for p in corpus.getComposer("bach") if p.suffix == ".mxl"}
    return sorted(name for name in every if name.split("-")[0] not in used)


def _take(pool: list[T], n: int, rng: np.random.Generator) -> list[T]:
    """``n`` items of ``pool``: every item once (shuffled) before any repeats."""
    taken: list[T] = []
    while len(taken) < n and pool:
        order = [pool[i] for i in rng.permutation(len(pool))]
        taken += order[: n - len(taken)]
    return taken


def plan(out: Path, *, songs: int, chorales: int, seed: int, keep_dry: bool = False) -> list[Job]:
    """The jobs of a build: which groove or chorale each item is, and its seed."""
    rng = np.random.default_rng(seed)
    meters = groove_meters()
    grooves = [g for g in training_grooves() if not SKIP_GROOVE.search(g.name)]
    waltz = [g.name for g in grooves if meters.get(g.name.lower()) == 3]
    common = [g.name for g in grooves if meters.get(g.name.lower()) == 4]
    rock = [g.name for g in grooves if meters.get(g.name.lower()) == 4 and ROCK_STYLE.search(g.style)]
    n_waltz = round(WALTZ_SHARE * songs)
    n_rock = round(DISTORTED_SHARE * songs)
    picks = [(name, False) for name in _take(waltz, n_waltz, rng)]
    picks += [(name, True) for name in _take(rock, n_rock, rng)]
    picks += [(name, False) for name in _take(common, songs - len(picks), rng)]
    picks = [picks[i] for i in rng.permutation(len(picks))]
    jobs = [
        Job(i, "mma", name, int(rng.integers(1 << 31)), str(out), distorted, keep_dry)
        for i, (name, distorted) in enumerate(picks)
    ]
    pieces = _take(training_chorales(), chorales, rng) if chorales else []
    jobs += [
        Job(len(jobs) + i, "chorale", name, int(rng.integers(1 << 31)), str(out), False, keep_dry)
        for i, name in enumerate(pieces)
    ]
    return jobs


# ----------------------------------------------------------------------------- timing


def tempo_curve(
    n_beats: int,
    *,
    bpm: float,
    rng: np.random.Generator,
    span: tuple[int, int],
    drift: float,
    ramp: float = 0.0,
    stretch: np.ndarray | None = None,
) -> np.ndarray:
    """Times (s) of beats 0..n_beats [shape=(n_beats + 1,)] of a performance around ``bpm``.

    The log tempo is a smoothed random walk whose largest deviation over the beats ``span`` is
    ``log(1 + drift)``, plus a linear change of ``log(1 + ramp)`` across ``span`` (negative: a
    ritardando). ``stretch`` [shape=(n_beats,)] multiplies single beat lengths (fermatas).
    """
    lo, hi = max(0, span[0]), max(min(n_beats, span[1]), max(0, span[0]) + 2)
    walk = np.cumsum(rng.standard_normal(n_beats + 16))
    walk = np.convolve(walk, np.ones(8) / 8, mode="valid")[:n_beats]
    walk -= walk[lo:hi].mean()
    walk *= np.log1p(drift) / max(float(np.max(np.abs(walk[lo:hi]))), 1e-9)
    position = np.clip((np.arange(n_beats) - lo) / max(hi - lo - 1, 1), 0.0, 1.0)
    walk += np.log1p(ramp) * position
    ibi = 60.0 / bpm * np.exp(-walk)
    if stretch is not None:
        ibi = ibi * stretch
    return np.concatenate([[0.0], np.cumsum(ibi)])


def _warp(beats: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Seconds of (fractional) beat positions on the grid ``knots``; linear within a beat."""
    n = knots.size - 1
    last = knots[-1] - knots[-2]
    seconds: np.ndarray = np.where(
        beats <= n, np.interp(beats, np.arange(n + 1), knots), knots[-1] + (beats - n) * last
    )
    return seconds


def timing_params(rng: np.random.Generator) -> Timing:
    ramp = 0.0
    if rng.random() < P_RAMP:
        ramp = float(rng.uniform(*RAMP)) * (1 if rng.random() < 0.5 else -1)
    return {
        "drift": round(float(rng.uniform(*DRIFT)), 4),
        "ramp": round(ramp, 4),  # negative: ritardando
        "jitter_ms": round(float(rng.uniform(*JITTER_MS)), 2),
        "velocity_sd": round(float(rng.uniform(*VELOCITY_SD)), 3),
    }


def perform(
    parts: list[Part], knots: np.ndarray, *, start: float, end: float, timing: Timing, rng: np.random.Generator
) -> list[Performed]:
    """Notes (pitch, on s, off s, velocity) and controls of each part, performed and cut to
    [start, end) seconds of the warped grid, times relative to ``start``."""
    jitter = timing["jitter_ms"] / 1000.0
    performed: list[Performed] = []
    for part in parts:
        offset = rng.uniform(-INSTRUMENT_OFFSET_MS, INSTRUMENT_OFFSET_MS) / 1000.0
        if not part.notes:
            continue
        pitch, on, off, velocity = (np.array(column) for column in zip(*part.notes, strict=True))
        shift = offset + rng.normal(0.0, jitter, on.size)
        on_s = _warp(on, knots) + shift
        off_s = np.maximum(_warp(off, knots) + shift, on_s + 0.03)
        vel = np.clip(np.round(velocity * np.exp(rng.normal(0.0, timing["velocity_sd"], on.size))), 1, 127)
        keep = (on_s < end) & (off_s > start)
        notes = [
            (int(p), max(float(a) - start, 0.0), float(b) - start, int(v))
            for p, a, b, v in zip(pitch[keep], on_s[keep], off_s[keep], vel[keep], strict=True)
        ]
        controls: dict[tuple[int, float], int] = {}
        before: dict[int, int] = {}
        for number, beat, value in sorted(part.controls, key=lambda c: c[1]):
            at = float(_warp(np.array([beat]), knots)[0]) + offset
            if at < start:
                before[number] = value
            elif at < end:
                controls[(number, at - start)] = value
        events = [(number, 0.0, value) for number, value in before.items()]
        events += [(number, at, value) for (number, at), value in controls.items()]
        performed.append((part, notes, events))
    return performed


def _midi(tracks: list[tuple[int, bool, list[Note], list[Control]]]) -> pretty_midi.PrettyMIDI:
    """(program, is_drum, notes in s, controls in s) per track as a PrettyMIDI object."""
    pm = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=120.0)
    for program, is_drum, notes, controls in tracks:
        instrument = pretty_midi.Instrument(program=program, is_drum=is_drum)
        instrument.notes = [pretty_midi.Note(v, p, a, b) for p, a, b, v in notes]
        instrument.control_changes = [pretty_midi.ControlChange(n, v, t) for n, t, v in controls]
        pm.instruments.append(instrument)
    return pm


# ----------------------------------------------------------------------------- rendering


def fluidsynth(pm: pretty_midi.PrettyMIDI, soundfont: str, work: Path, name: str, *, fx: bool) -> np.ndarray:
    """Render ``pm`` with FluidSynth at SR; mono float samples."""
    midi, wav = work / f"{name}.mid", work / f"{name}.wav"
    pm.write(str(midi))
    command = ["fluidsynth", "-ni", "-g", "0.5", "-r", str(SR), "-o", "audio.file.format=float"]
    command += ["-R", "1" if fx else "0", "-C", "1" if fx else "0", "-F", str(wav), soundfont, str(midi)]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    if rate != SR:
        raise ValueError(f"fluidsynth wrote {rate} Hz, expected {SR}")
    mono: np.ndarray = audio.mean(axis=1)
    return mono


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    return np.pad(y, (0, max(0, n - y.size)))[:n]


def _rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64)) + 1e-20))


def render_mix(
    performed: list[Performed],
    *,
    n: int,
    soundfont: str,
    kit: str | None,
    fx: bool,
    work: Path,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, str | float]]:
    """Pitched parts and drums rendered apart and mixed; the kit part from ``kit`` if given."""
    pitched = [(p.program, False, notes, ctl) for p, notes, ctl in performed if not p.is_drum]
    drums = [note for p, notes, _ in performed if p.is_drum for note in notes]
    kit_notes = [(36 if k == 35 else k, a, b, v) for k, a, b, v in drums if kit is None or k in KIT_KEYS]
    other = [] if kit is None else [note for note in drums if note[0] not in KIT_KEYS]
    if other:
        pitched.append((0, True, other, []))
    y = _fit(fluidsynth(_midi(pitched), soundfont, work, "pitched", fx=fx), n)
    info: dict[str, str | float] = {}
    if kit_notes:
        gm = _fit(fluidsynth(_midi([(0, True, kit_notes, [])]), soundfont, work, "drums", fx=fx), n)
        balance = float(rng.uniform(*DRUM_BALANCE_DB))
        if kit is not None:
            # the AVL kit plays as an ordinary preset (bank 0, program 0), at the level of the GM kit
            avl = _fit(fluidsynth(_midi([(0, False, kit_notes, [])]), DRUM_KITS[kit], work, "kit", fx=fx), n)
            gm = avl * (_rms(gm) / _rms(avl))
            info["kit"] = kit
        y = y + gm * 10.0 ** (balance / 20.0)
        info["balance_db"] = round(balance, 2)
    return y, info


def _finish(job: Job, y: np.ndarray, *, pre: int, n_window: int, record: Record, rng: np.random.Generator) -> Record:
    """Production chain on the render (pre-roll included), cut to the window, written as FLAC."""
    y = y / max(float(np.max(np.abs(y))), 1e-9) * 0.9
    out = Path(job.out)
    stem = f"{job.index + 1:04d}"
    if job.keep_dry:
        (out / "dry").mkdir(parents=True, exist_ok=True)
        sf.write(str(out / "dry" / f"{stem}.flac"), y[pre : pre + n_window], SR, subtype="PCM_16")
    wet, applied = produce(y, sr=SR, rng=rng)
    wet = wet[pre : pre + n_window]
    peak = float(np.max(np.abs(wet)))
    if peak > 0.999:  # the window's peak may lie above the whole render's only through MP3 overshoot
        wet = wet * 0.999 / peak
    sf.write(str(out / "audio" / f"{stem}.flac"), wet, SR, subtype="PCM_16")
    record["augment"].update(applied)
    record["file"] = f"audio/{stem}.flac"
    record["duration_s"] = round(n_window / SR, 3)
    return record


def _labels(knots: np.ndarray, meter: int, start: float, end: float) -> tuple[list[float], list[float]]:
    """Beats and downbeats (s, relative to ``start``) of the grid inside [start, end); beat 0 is a downbeat."""
    beats = [float(t) - start for t in knots if start <= t < end]
    downbeats = [float(knots[k]) - start for k in range(0, knots.size, meter) if start <= knots[k] < end]
    return [round(b, 4) for b in beats], [round(d, 4) for d in downbeats]


def _bpm(beats: list[float]) -> float:
    return round(float(np.median(60.0 / np.diff(beats))), 2) if len(beats) > 2 else 0.0


def _choose_sound(rng: np.random.Generator, *, drums: bool) -> tuple[str, str | None, bool]:
    name = str(rng.choice(sorted(SOUNDFONTS)))
    kits = sorted(k for k, path in DRUM_KITS.items() if Path(path).exists())
    kit = str(rng.choice(kits)) if drums and kits and rng.random() < P_KIT else None
    return name, kit, bool(rng.random() < P_FLUID_FX)


def _mma_parts(midi: Path, *, distorted: bool, rng: np.random.Generator) -> tuple[list[Part], dict[str, int]]:
    """The MMA rendering as parts in beats; with ``distorted``, its guitars overdriven."""
    pm = pretty_midi.PrettyMIDI(str(midi))

    def beat(t: float) -> float:
        position: float = pm.time_to_tick(t) / pm.resolution  # pretty_midi is untyped
        return position

    parts = [
        Part(
            program=inst.program,
            is_drum=inst.is_drum,
            notes=[(n.pitch, beat(n.start), beat(n.end), n.velocity) for n in inst.notes],
            controls=[(c.number, beat(c.time), c.value) for c in inst.control_changes],
        )
        for inst in pm.instruments
    ]
    switched: dict[str, int] = {}
    if distorted:
        targets = [p for p in parts if not p.is_drum and p.program in GUITARS]
        if not targets:  # no guitar: the busiest chord instrument becomes one
            chordal = [
                p
                for p in parts
                if not p.is_drum and p.program not in BASSES and p.notes and np.median([n[0] for n in p.notes]) > 52
            ]
            targets = sorted(chordal, key=lambda p: len(p.notes))[-1:]
        for part in targets:
            program = int(rng.choice([29, 30]))
            switched[pretty_midi.program_to_instrument_name(part.program)] = program
            part.program = program
    return parts, switched


def render_song(job: Job, work: Path) -> Record | None:
    rng = np.random.default_rng(job.seed)
    progression = (
        ROCK_MINOR[rng.integers(len(ROCK_MINOR))] if job.distorted else PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    )
    transpose = int(rng.integers(12))
    chords = chord_names(progression, transpose=transpose, mma=True)
    bars = (chords * (MMA_BARS // len(chords) + 1))[:MMA_BARS]
    lines = [f"RndSeed {job.seed % 100000}", "Tempo 120", f"Groove {job.name}"]
    lines += [f"{bar + 1} {chord}" for bar, chord in enumerate(bars)]
    mma_file, midi = work / "song.mma", work / "song.mid"
    mma_file.write_text("\n".join(lines) + "\n")
    done = subprocess.run([MMA_BIN, str(mma_file), "-f", str(midi)], capture_output=True, text=True, timeout=120)
    if done.returncode or not midi.exists():
        logger.warning("mma failed for %s: %s", job.name, (done.stdout + done.stderr)[-300:])
        return None
    numerator, denominator = _time_signature(midi)
    if denominator != 4 or numerator not in BPM_RANGE:
        logger.warning("skipping %s: %d/%d", job.name, numerator, denominator)
        return None
    parts, switched = _mma_parts(midi, distorted=job.distorted, rng=rng)
    bpm = float(rng.uniform(*BPM_RANGE[numerator]))
    window = float(rng.uniform(*WINDOW_S))
    n_beats = MMA_BARS * numerator
    span = window * bpm / 60.0
    start_beat = float(rng.uniform(0.0, min(MAX_START_BARS * numerator, n_beats - 1.3 * span - 4)))
    timing = timing_params(rng)
    first = int(start_beat)
    knots = tempo_curve(
        n_beats, bpm=bpm, rng=rng, span=(first, first + int(span) + 1), drift=timing["drift"], ramp=timing["ramp"]
    )
    start = float(_warp(np.array([start_beat]), knots)[0])
    pre = min(PREROLL_S, start)
    if start + window > knots[-1]:
        raise ValueError(f"{job.name}: render too short for the window")
    soundfont, kit, fx = _choose_sound(rng, drums=True)
    performed = perform(parts, knots, start=start - pre, end=start + window, timing=timing, rng=rng)
    n_pre, n_window = round(pre * SR), round(window * SR)
    y, drums = render_mix(
        performed, n=n_pre + n_window, soundfont=SOUNDFONTS[soundfont], kit=kit, fx=fx, work=work, rng=rng
    )
    beats, downbeats = _labels(knots, numerator, start, start + window)
    bar_index = [k // numerator for k in range(0, n_beats + 1, numerator) if start <= knots[k] < start + window]
    tonic = ((9 if progression.minor else 0) + transpose) % 12
    record: Record = {
        "source": f"mma:{job.name}",
        "soundfont": soundfont,
        "meter": f"{numerator}/4",
        "bpm": _bpm(beats),
        "key": f"{KEY_NAMES[tonic]} {'minor' if progression.minor else 'major'}",
        "beats_s": beats,
        "downbeats_s": downbeats,
        "chords_per_bar": [bars[i] for i in bar_index if i < len(bars)],
        "augment": {
            "progression": progression.name,
            "base_bpm": round(bpm, 2),
            "timing": timing,
            "fluid_fx": fx,
            "drums": drums,
            **({"distortion": switched} if job.distorted else {}),
        },
    }
    return _finish(job, y, pre=n_pre, n_window=n_window, record=record, rng=rng)


def chorale_score(name: str) -> ChoraleScore | None:
    """Notes, bar lines, fermatas and key of a chorale, in quarter notes; None unless in 4/4 or 3/4."""
    from music21 import corpus, expressions, key, meter

    score = corpus.parse(f"bach/{name}")
    signatures = {ts.ratioString for ts in score.recurse().getElementsByClass(meter.TimeSignature)}
    if len(signatures) != 1 or next(iter(signatures)) not in ("4/4", "3/4"):
        return None
    numerator = int(next(iter(signatures))[0])
    keys = list(score.recurse().getElementsByClass(key.KeySignature))
    if not keys:
        return None
    if isinstance(keys[0], key.Key):
        tonic, mode, source = keys[0].tonic.pitchClass, keys[0].mode, "score"
    else:  # a bare signature: its major or relative minor, whichever the notes suggest
        guess = score.analyze("key")
        found = keys[0].asKey(guess.mode if guess.mode in ("major", "minor") else "major")
        tonic, mode, source = found.tonic.pitchClass, found.mode, "signature+analysis"
    parts: list[list[Note]] = []
    for part in score.parts:
        notes: list[Note] = []
        for item in part.stripTies().flatten().notes:
            length = float(item.quarterLength)
            if length > 0:
                notes += [(p.midi, float(item.offset), float(item.offset) + length, 80) for p in item.pitches]
        parts.append(notes)
    fermatas = [
        (float(n.offset), float(n.offset) + float(n.quarterLength))
        for n in score.parts[0].stripTies().flatten().notes
        if any(isinstance(e, expressions.Fermata) for e in n.expressions)
    ]
    beats, downbeats = _chorale_bars(list(score.parts[0].getElementsByClass("Measure")), numerator)
    return {
        "numerator": numerator,
        "tonic": tonic,
        "mode": mode,
        "key_source": source,
        "parts": parts,
        "fermatas": fermatas,
        "beats": beats,
        "downbeats": downbeats,
        "end": float(score.highestTime),
    }


def _chorale_bars(measures: list[Measure], numerator: int) -> tuple[list[float], list[float]]:
    """Beat and downbeat positions (quarters) from the measures. A short measure is a pickup when it
    opens the piece, completes the short measure before it, or leads into a full measure (a new
    section's upbeat); otherwise (the last measure, or one a pickup completes) it starts a bar."""
    lengths = [float(m.duration.quarterLength) for m in measures]
    beats: list[float] = []
    downbeats: list[float] = []
    previous_head = None
    for i, (measure, length) in enumerate(zip(measures, lengths, strict=True)):
        offset = float(measure.offset)
        full = length >= numerator - 1e-6
        completes = previous_head is not None and abs(previous_head + length - numerator) < 1e-6
        leads = i + 1 < len(measures) and lengths[i + 1] >= numerator - 1e-6
        if not full and (i == 0 or completes or leads):
            beats += [offset + length - k for k in range(int(np.floor(length + 1e-6)), 0, -1)]
            previous_head = None
        else:
            downbeats.append(offset)
            beats += [offset + k for k in range(int(np.ceil(length - 1e-6)))]
            previous_head = None if full else length
    return beats, downbeats


def render_chorale(job: Job, work: Path) -> Record | None:
    rng = np.random.default_rng(job.seed)
    piece = chorale_score(job.name)
    if piece is None or len(piece["beats"]) < 8:
        logger.warning("skipping chorale %s (meter or key)", job.name)
        return None
    ensemble = str(rng.choice(sorted(CHORALE_ENSEMBLES)))
    programs = CHORALE_ENSEMBLES[ensemble]
    transpose = int(rng.choice([-3, -2, -1, 1, 2, 3])) if rng.random() < P_CHORALE_TRANSPOSE else 0
    parts = [
        Part(
            program=programs[min(i, len(programs) - 1)],
            is_drum=False,
            notes=[(p + transpose, a, b, int(v * np.exp(rng.normal(0, 0.1)))) for p, a, b, v in notes],
            controls=[],
        )
        for i, notes in enumerate(piece["parts"])
    ]
    bpm = float(rng.uniform(*CHORALE_BPM))
    timing = timing_params(rng)
    n_beats = int(np.ceil(piece["end"])) + 2
    hold = float(rng.uniform(*FERMATA_HOLD))
    stretch = np.ones(n_beats)
    for on, off in piece["fermatas"]:
        first = int(np.floor(on))
        for k, share in ((first - 2, 0.25), (first - 1, 0.5)):
            if 0 <= k < n_beats:
                stretch[k] = max(stretch[k], 1.0 + hold * share)
        stretch[first : int(np.ceil(off))] = 1.0 + hold
    knots = tempo_curve(
        n_beats, bpm=bpm, rng=rng, span=(0, n_beats), drift=timing["drift"], ramp=timing["ramp"], stretch=stretch
    )
    total = float(_warp(np.array([piece["end"]]), knots)[0])
    window = float(rng.uniform(*WINDOW_S))
    if total < window + 0.5:
        window, start = total, 0.0
    else:
        start = float(rng.uniform(0.0, total - window))
    pre = min(PREROLL_S, start)
    soundfont, _, fx = _choose_sound(rng, drums=False)
    performed = perform(parts, knots, start=start - pre, end=start + window, timing=timing, rng=rng)
    n_pre, n_window = round(pre * SR), round(window * SR)
    y, _ = render_mix(
        performed, n=n_pre + n_window, soundfont=SOUNDFONTS[soundfont], kit=None, fx=fx, work=work, rng=rng
    )
    beat_s = _warp(np.array(piece["beats"]), knots)
    down_s = _warp(np.array(piece["downbeats"]), knots)
    in_window = [round(float(t) - start, 4) for t in beat_s if start <= t < start + window]
    tonic = (piece["tonic"] + transpose) % 12
    record: Record = {
        "source": f"chorale:{job.name}",
        "soundfont": soundfont,
        "meter": f"{piece['numerator']}/4",
        "bpm": _bpm(in_window),
        "key": f"{KEY_NAMES[tonic]} {piece['mode']}",
        "beats_s": in_window,
        "downbeats_s": [round(float(t) - start, 4) for t in down_s if start <= t < start + window],
        "chords_per_bar": None,
        "augment": {
            "ensemble": ensemble,
            "transpose": transpose,
            "key_source": piece["key_source"],
            "base_bpm": round(bpm, 2),
            "timing": {**timing, "fermata_hold": round(hold, 3), "fermatas": len(piece["fermatas"])},
            "fluid_fx": fx,
        },
    }
    return _finish(job, y, pre=n_pre, n_window=n_window, record=record, rng=rng)


def run_job(job: Job) -> Record | None:
    """Render one item into ``job.out``; its ground-truth record, or None if it cannot be made."""
    with tempfile.TemporaryDirectory(dir=job.out, prefix=".work") as tmp:
        try:
            if job.kind == "mma":
                return render_song(job, Path(tmp))
            return render_chorale(job, Path(tmp))
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError) as exc:
            logger.warning("item %d (%s) failed: %s", job.index, job.name, exc)
            return None


# ----------------------------------------------------------------------------- checks and summary


def beat_alignment(y: np.ndarray, beats: np.ndarray, *, sr: int = SR) -> dict[str, float]:
    """How annotated ``beats`` (s) sit on the onsets of ``y``.

    ``lag_ms``: the shift (-100..+100 ms, 5.8 ms steps) at which librosa's onset strength, averaged
    at the shifted beats, is highest (a detector's own latency included: compare with a render made
    on an exact grid); ``contrast``: that average over the envelope's mean; ``nearest_ms``: median
    distance from each beat to the nearest onset_detect onset.
    """
    import librosa

    hop = 128
    envelope = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    lags = np.arange(-17, 18)
    frames = np.round(beats * sr / hop).astype(int)
    scores = []
    for lag in lags:
        at = frames + lag
        at = at[(at >= 0) & (at < envelope.size)]
        scores.append(float(envelope[at].mean()) if at.size else 0.0)
    best = int(np.argmax(scores))
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=hop, units="time")
    nearest = [float(np.min(np.abs(onsets - b))) for b in beats] if onsets.size else [np.inf]
    return {
        "lag_ms": round(1000 * float(lags[best]) * hop / sr, 1),
        "contrast": round(scores[best] / max(float(envelope.mean()), 1e-9), 2),
        "nearest_ms": round(1000 * float(np.median(nearest)), 1),
    }


def check_labels(out: Path, n: int) -> list[dict[str, Any]]:
    """``beat_alignment`` of the first ``n`` items, on the dry render (if kept) and the final audio."""
    import librosa

    truth = json.loads((out / "ground_truth.json").read_text())
    rows: list[dict[str, Any]] = []
    for item in truth[:n]:
        row: dict[str, Any] = {"file": item["file"], "source": item["source"]}
        for kind, path in (("dry", out / "dry" / Path(item["file"]).name), ("final", out / item["file"])):
            if path.exists():
                y, _ = librosa.load(str(path), sr=SR)
                row[kind] = beat_alignment(y, np.array(item["beats_s"]))
        rows.append(row)
    return rows


def summarize(truth: list[Record]) -> dict[str, dict[str | bool, int]]:
    """Counts by meter, kind, mode, soundfont, drum kit and production stage."""
    counts: dict[str, collections.Counter[str | bool]] = collections.defaultdict(collections.Counter)
    for item in truth:
        aug = item["augment"]
        counts["kind"][item["source"].split(":")[0]] += 1
        counts["meter"][item["meter"]] += 1
        counts["mode"][item["key"].split()[-1]] += 1
        counts["soundfont"][item["soundfont"]] += 1
        counts["drum_kit"][aug.get("drums", {}).get("kit", "GM" if "drums" in aug else "none")] += 1
        counts["distortion"][bool(aug.get("distortion"))] += 1
        counts["ramp"][bool(aug["timing"]["ramp"])] += 1
        for stage in ("room", "tilt", "master", "noise", "mp3"):
            counts["stage"][stage] += stage in aug
        counts["fluid_fx"][aug["fluid_fx"]] += 1
    return {name: dict(counter) for name, counter in counts.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--songs", type=int, default=360)
    parser.add_argument("--chorales", type=int, default=80)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep-dry", action="store_true", help="also write the excerpt before production to OUT/dry")
    parser.add_argument("--check", type=int, default=0, metavar="N", help="only check the labels of N built items")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if args.check:
        for row in check_labels(args.out, args.check):
            print(json.dumps(row))
        return
    began = time.monotonic()
    (args.out / "audio").mkdir(parents=True, exist_ok=True)
    jobs = plan(args.out, songs=args.songs, chorales=args.chorales, seed=args.seed, keep_dry=args.keep_dry)
    truth: list[Record] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for done, record in enumerate(pool.map(run_job, jobs, chunksize=1), start=1):
            if record is not None:
                truth.append(record)
            if done % 20 == 0:
                logger.info("%d/%d items, %.0f s", done, len(jobs), time.monotonic() - began)
    (args.out / "ground_truth.json").write_text(json.dumps(truth, indent=1))
    print(f"{len(truth)} items of {len(jobs)} in {args.out} ({time.monotonic() - began:.0f} s)")
    print(json.dumps(summarize(truth), indent=1))


if __name__ == "__main__":
    main()
