#!/usr/bin/env python3
"""Pitched transcription bench: note onset F1 of the engine against basic-pitch's own ``predict()``.

Sets (rendered here, labels exact: the MIDI that was rendered):

* chorales: Bach chorales of music21's corpus from the evaluation list of
  ../shared/eval/build_dataset.py (the dev set), on piano, rendered dry with FluidSynth through
  FluidR3 GM, TimGM6mb and sf_GMbank (one set per soundfont);
* band stems: MMA songs built as bench/mixing_songs.py builds them (its grooves, progressions,
  stem split and FluidSynth render through FluidR3, reverb and chorus on); every pitched stem
  (bass, piano, guitar, organ, strings ...) transcribed alone.

Scores: mir_eval.transcription, onset within 50 ms and the same pitch (to 50 cents), offsets
ignored; per set, the F1 of the notes pooled over its files, and the mean per-file F1.

Systems:

* ``basic-pitch``: ``basic_pitch.inference.predict(path)`` with all its defaults (librosa load,
  its own windowing, thresholds 0.5 / 0.3, 127.7 ms). TensorFlow is kept out of this process, so
  its default model is the ONNX file the engine runs: the same model through its own path.
* ``engine (bp thresholds)``: ``ai.transcription.pitched`` with basic-pitch's thresholds
  (``BASIC_PITCH_OPTIONS``; decoding with soundfile + soxr, its own batched windows): equal to
  basic-pitch by construction, up to resampling.
* ``engine``: the engine as shipped (``DEFAULT_OPTIONS``: note-creation thresholds chosen by the
  tuning step below, on a tuning set of *other* chorales, not in the evaluation list, rendered
  through FluidR3 only); reported on the sets above, never tuned on them. The bench re-runs the
  tuning and says if it no longer picks the shipped values.

Usage: .venv/bin/python bench/transcription.py [--chorales 12] [--tune-chorales 8] [--songs 6]
       [--bars 8] [--out data/bench_transcription] [--json results.json]
"""

from __future__ import annotations

import sys

# basic-pitch's package picks TensorFlow as its default backend when it can import it; kept out so
# that its default predict() runs the same ONNX model as the engine (and this bench starts fast).
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import mir_eval  # noqa: E402
import numpy as np  # noqa: E402
import pretty_midi  # noqa: E402
import soundfile as sf  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from ai.audio.decode import DecodedAudio  # noqa: E402
from ai.transcription.pitched import (  # noqa: E402
    BASIC_PITCH_OPTIONS,
    DEFAULT_OPTIONS,
    NoteOptions,
    TranscribedNote,
    load_model,
    model_output,
    notes_from_output,
    to_model_rate,
)

SF2 = Path("/usr/share/sounds/sf2")
SOUNDFONTS = {"FluidR3": SF2 / "FluidR3_GM.sf2", "TimGM6mb": SF2 / "TimGM6mb.sf2", "sf_GMbank": SF2 / "sf_GMbank.sf2"}
TUNING_SOUNDFONT = "FluidR3"
SR = 44100
ONSET_TOLERANCE = 0.05
# Note-creation settings tried on the tuning set (basic-pitch's defaults are 0.5 / 0.3 / 127.7 ms).
ONSET_THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)
FRAME_THRESHOLDS = (0.3, 0.4, 0.5)
MIN_NOTE_MS = (58.0, 127.7)


def evaluation_chorales() -> list[str]:
    sys.path.insert(0, str(REPO.parent / "shared" / "eval"))
    import build_dataset

    names: list[str] = list(build_dataset.CHORALES)
    return names


def tuning_chorales(n: int) -> list[str]:
    from music21 import corpus

    used = {name.split("-")[0] for name in evaluation_chorales()}
    every = sorted(p.name.removesuffix(".mxl") for p in corpus.getComposer("bach") if p.suffix == ".mxl")
    pool = [name for name in every if name.split("-")[0] not in used]
    return random.Random(5).sample(pool, n)


def fluidsynth(mid: Path, wav: Path, soundfont: Path, *, dry: bool) -> None:
    effects = ["-R", "0", "-C", "0"] if dry else []
    subprocess.run(
        ["fluidsynth", "-ni", *effects, "-g", "0.5", "-r", str(SR), "-F", str(wav), str(soundfont), str(mid)],
        check=True,
        capture_output=True,
        timeout=600,
    )


def chorale_midi(name: str, out: Path, rng: random.Random) -> Path | None:
    """The chorale on piano at a tempo of 58-102 BPM, as a MIDI file."""
    from music21 import corpus, instrument, tempo

    mid = out / f"{name}.mid"
    if mid.exists():
        return mid
    score = corpus.parse(f"bach/{name}")
    for part in score.parts:
        for old in part.recurse().getElementsByClass(instrument.Instrument):
            part.remove(old, recurse=True)
        part.insert(0, instrument.Piano())
        for mark in part.recurse().getElementsByClass(tempo.MetronomeMark):
            part.remove(mark, recurse=True)
    score.parts[0].insert(0, tempo.MetronomeMark(number=rng.choice(range(58, 103, 4))))
    score.write("midi", fp=str(mid))
    return mid


@dataclass
class Item:
    set_name: str
    name: str
    wav: Path
    midi: Path


def build_chorales(names: list[str], soundfonts: list[str], out: Path, set_prefix: str) -> list[Item]:
    items = []
    rng = random.Random(17)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        mid = chorale_midi(name, out, rng)
        if mid is None:
            continue
        for font in soundfonts:
            wav = out / f"{name}.{font}.wav"
            if not wav.exists():
                fluidsynth(mid, wav, SOUNDFONTS[font], dry=True)
            items.append(Item(f"{set_prefix} {font}", name, wav, mid))
    return items


def build_band_stems(n_songs: int, bars: int, out: Path) -> list[Item]:
    """Pitched stems of MMA songs, made as bench/mixing_songs.py makes them (seed 11: its bench songs)."""
    import mixing_songs as ms

    items = []
    rng = random.Random(11)
    for index in range(n_songs):
        groove = ms.GROOVES[index % len(ms.GROOVES)]
        bpm = rng.randint(80, 150)
        tonic = rng.randrange(12)
        progression = rng.choice(ms.PROGRESSIONS)
        chords = [ms.NAMES[(tonic + step) % 12] + quality for step, quality in progression] * max(1, bars // 4)
        song = f"song{index:02d}"
        folder = out / song
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            mma_file = Path(tmp) / f"{song}.mma"
            lines = [f"Tempo {bpm}", "Time 4", f"Groove {groove}"] + [f"{k + 1} {c}" for k, c in enumerate(chords)]
            mma_file.write_text("\n".join(lines) + "\n")
            done = subprocess.run(["mma", str(mma_file)], capture_output=True, text=True)
            mid = mma_file.with_suffix(".mid")
            if done.returncode or not mid.exists():
                print(f"mma failed for {groove}", file=sys.stderr)
                continue
            for name, role, stem in ms.split_midi(pretty_midi.PrettyMIDI(str(mid))):
                if role in ("drums", "kick", "snare", "hihat") or any(i.is_drum for i in stem.instruments):
                    continue
                if sum(len(i.notes) for i in stem.instruments) == 0:
                    continue
                stem_mid, wav = folder / f"{name}.mid", folder / f"{name}.wav"
                if not (stem_mid.exists() and wav.exists()):  # MMA randomises: a render keeps its own MIDI
                    stem.write(str(stem_mid))
                    ms.render(stem_mid, wav)
                items.append(Item("band stems FluidR3", f"{song}/{name} ({groove})", wav, stem_mid))
    return items


def reference(midi: Path) -> tuple[np.ndarray, np.ndarray]:
    """The rendered notes. Unisons (two voices striking the same pitch at the same time: 5 % of a
    chorale's notes) are one sound, so they count once (the longer); no transcription can tell them
    apart, and one-to-one matching would charge every system a miss for each."""
    pm = pretty_midi.PrettyMIDI(str(midi))
    longest: dict[tuple[int, int], pretty_midi.Note] = {}
    for inst in pm.instruments:
        for n in inst.notes:
            key = (n.pitch, round(n.start * 1000))
            if n.end > n.start and not inst.is_drum and (key not in longest or n.end > longest[key].end):
                longest[key] = n
    notes = list(longest.values())
    intervals = np.array([[n.start, n.end] for n in notes]).reshape(-1, 2)
    pitches = np.array([pretty_midi.note_number_to_hz(n.pitch) for n in notes])
    return intervals, pitches


def estimate(notes: list[tuple[float, float, int]]) -> tuple[np.ndarray, np.ndarray]:
    intervals = np.array([[s, max(e, s + 1e-3)] for s, e, _ in notes]).reshape(-1, 2)
    pitches = np.array([pretty_midi.note_number_to_hz(p) for _, _, p in notes])
    return intervals, pitches


@dataclass
class Counts:
    hits: int = 0
    refs: int = 0
    ests: int = 0
    per_file: list[float] = field(default_factory=list)

    def add(self, ref: tuple[np.ndarray, np.ndarray], est: tuple[np.ndarray, np.ndarray]) -> float:
        matched = mir_eval.transcription.match_notes(
            ref[0], ref[1], est[0], est[1], onset_tolerance=ONSET_TOLERANCE, offset_ratio=None
        )
        self.hits += len(matched)
        self.refs += len(ref[1])
        self.ests += len(est[1])
        precision = len(matched) / max(1, len(est[1]))
        recall = len(matched) / max(1, len(ref[1]))
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        self.per_file.append(f1)
        return f1

    @property
    def f1(self) -> float:
        precision, recall = self.hits / max(1, self.ests), self.hits / max(1, self.refs)
        return 2 * precision * recall / max(1e-9, precision + recall)

    @property
    def precision(self) -> float:
        return self.hits / max(1, self.ests)

    @property
    def recall(self) -> float:
        return self.hits / max(1, self.refs)


def engine_output(wav: Path) -> dict[str, np.ndarray]:
    samples, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    return model_output(to_model_rate(DecodedAudio(samples=samples.T.copy(), sample_rate=rate)))


def as_triples(notes: list[TranscribedNote]) -> list[tuple[float, float, int]]:
    return [(n.start, n.end, n.pitch) for n in notes]


def tune(items: list[Item]) -> tuple[NoteOptions, float]:
    """The note-creation settings with the best pooled onset F1 on the tuning items."""
    outputs = [(reference(item.midi), engine_output(item.wav)) for item in items]
    best: tuple[float, NoteOptions] = (-1.0, BASIC_PITCH_OPTIONS)
    for onset, frame, min_ms in itertools.product(ONSET_THRESHOLDS, FRAME_THRESHOLDS, MIN_NOTE_MS):
        options = NoteOptions(onset_threshold=onset, frame_threshold=frame, minimum_note_length_ms=min_ms)
        counts = Counts()
        for ref, output in outputs:
            counts.add(ref, estimate(as_triples(notes_from_output(output, options))))
        if counts.f1 > best[0]:
            best = (counts.f1, options)
    return best[1], best[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chorales", type=int, default=12, help="evaluation chorales (of the dev list's 60)")
    parser.add_argument("--tune-chorales", type=int, default=8, help="other chorales to tune thresholds on")
    parser.add_argument("--songs", type=int, default=6, help="MMA songs whose pitched stems are transcribed")
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench_transcription")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model, predict

    assert ICASSP_2022_MODEL_PATH.suffix == ".onnx", ICASSP_2022_MODEL_PATH
    load_model()
    basic_pitch_model = Model(ICASSP_2022_MODEL_PATH)  # loaded once; predict()'s default path otherwise

    started = time.time()
    tuning_items = build_chorales(
        tuning_chorales(args.tune_chorales), [TUNING_SOUNDFONT], args.out / "tuning", "tuning"
    )
    tuned, tuned_f1 = tune(tuning_items)
    print(
        f"tuning set ({len(tuning_items)} other chorales, {TUNING_SOUNDFONT}): best onset {tuned.onset_threshold}, "
        f"frame {tuned.frame_threshold}, min note {tuned.minimum_note_length_ms} ms (pooled F1 {tuned_f1:.3f})"
    )
    if tuned != DEFAULT_OPTIONS:
        print(f"NOTE: the tuning now picks {tuned}, the engine ships {DEFAULT_OPTIONS}")

    chorales = evaluation_chorales()[: args.chorales]
    items = build_chorales(chorales, list(SOUNDFONTS), args.out / "chorales", "chorales")
    items += build_band_stems(args.songs, args.bars, args.out / "band")
    print(f"built {len(items)} files in {time.time() - started:.0f} s")

    systems = ("basic-pitch", "engine (bp thresholds)", "engine")
    counts: dict[tuple[str, str], Counts] = {}
    timing = {name: 0.0 for name in systems}
    audio_s = 0.0
    for item in items:
        ref = reference(item.midi)
        audio_s += sf.info(str(item.wav)).duration
        t0 = time.perf_counter()
        _, _, events = predict(item.wav, basic_pitch_model)
        t1 = time.perf_counter()
        output = engine_output(item.wav)
        shipped_notes = notes_from_output(output, DEFAULT_OPTIONS)
        t2 = time.perf_counter()
        bp_notes = notes_from_output(output, BASIC_PITCH_OPTIONS)
        timing["basic-pitch"] += t1 - t0
        timing["engine"] += t2 - t1
        estimates = {
            "basic-pitch": [(float(s), float(e), int(p)) for s, e, p, _, _ in events],
            "engine (bp thresholds)": as_triples(bp_notes),
            "engine": as_triples(shipped_notes),
        }
        for system, notes in estimates.items():
            counts.setdefault((item.set_name, system), Counts()).add(ref, estimate(notes))

    print(f"\nnote onset F1 (mir_eval, {ONSET_TOLERANCE * 1000:.0f} ms, offsets ignored): pooled notes (mean per file)")
    header = f"{'set':<22} {'files':>5} " + " ".join(f"{s:>22}" for s in systems)
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for set_name in dict.fromkeys(item.set_name for item in items):
        files = len(counts[(set_name, systems[0])].per_file)
        cells = []
        for system in systems:
            c = counts[(set_name, system)]
            cells.append(f"{c.f1:.3f} ({np.mean(c.per_file):.3f})")
            results.setdefault(set_name, {})[system] = {
                "f1": round(c.f1, 4),
                "mean_file_f1": round(float(np.mean(c.per_file)), 4),
                "precision": round(c.precision, 4),
                "recall": round(c.recall, 4),
                "files": files,
            }
        print(f"{set_name:<22} {files:>5} " + " ".join(f"{cell:>22}" for cell in cells))
    print(
        f"\n{audio_s:.0f} s of audio: basic-pitch predict {timing['basic-pitch']:.1f} s, "
        f"engine {timing['engine']:.1f} s (model + notes)"
    )
    print(
        f"engine: onset {DEFAULT_OPTIONS.onset_threshold}, frame {DEFAULT_OPTIONS.frame_threshold}, "
        f"min note {DEFAULT_OPTIONS.minimum_note_length_ms} ms (chosen on other chorales through {TUNING_SOUNDFONT})"
    )
    if args.json:
        body = {"shipped": DEFAULT_OPTIONS.__dict__, "tuned_now": tuned.__dict__, "results": results}
        args.json.write_text(json.dumps(body, indent=2))


if __name__ == "__main__":
    main()
