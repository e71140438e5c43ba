#!/usr/bin/env python3
"""Melody transcription bench: a line played or sung as one, does ``instrument=melody`` transcribe it better than
the polyphonic decoder (``instrument=pitched``) and basic-pitch's own ``predict()``?

Tunes of the Nottingham Music Database (British and Irish folk tunes, cleaned by Jukedeck, GPL-3; extract it
first: training/melody_harmony.py's header), split by its fixed rule (``crc32(file stem) % 3 == 0`` held out):
the line's settings (:class:`~ai.transcription.one_line.LineOptions`) are chosen on tune-split tunes
(``--grid``), the held-out tunes are scored with them. Each melody (its first 30 s, re-timed to a tempo drawn
for it) is played as a person would play it, not as the file writes it: onsets off the grid by a few ms,
velocities that vary, legato notes that overlap the next by up to 40 ms or leave a gap, vibrato (4.5-6.5 Hz,
15-45 cents) on held notes and a scoop up into a third of the notes (pitch bends); rendered with FluidSynth
through the soundfont and lead program (voice, choir, flute, whistle, violin, saxophones, clarinet, trumpet,
synth leads) that training/melody_harmony.py's ``sound_of`` gives the tune. The reference is the performed
notes. Renders and the model's output are cached under ``--out``.

Scores: note onset F1 (mir_eval, 50 ms, offsets ignored) and onset+offset F1 (mir_eval's default offset
tolerance), pooled over the set; and the share of estimated notes that overlap another (a line has none).

Usage: bench/melody_transcription.py [--split tune|held-out] [--tunes 40] [--grid] [--out data/melody_transcription]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import sys
import warnings
from pathlib import Path

import mir_eval
import numpy as np
import pretty_midi
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.transcription.one_line import LineOptions  # noqa: E402
from ai.transcription.pitched import (  # noqa: E402
    BASIC_PITCH_OPTIONS,
    DEFAULT_OPTIONS,
    MELODY_OPTIONS,
    NoteOptions,
    TranscribedNote,
    notes_from_output,
)
from bench.transcription import ONSET_TOLERANCE, Tally, engine_output, estimate  # noqa: E402
from training.melody_harmony import DATA, SR, fluidsynth_mono, is_held_out, sound_of, tune_names  # noqa: E402

SECONDS = 30.0
BEND_RANGE_CENTS = 200.0  # General MIDI's default pitch-bend range: +-2 semitones


def _pm(path: Path) -> pretty_midi.PrettyMIDI:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pretty_midi.PrettyMIDI(str(path))


def _bend(cents: float) -> int:
    return int(np.clip(round(cents / BEND_RANGE_CENTS * 8191), -8192, 8191))


def perform(name: str, rng: random.Random) -> pretty_midi.PrettyMIDI:
    """The tune's melody as a person plays it (see the module's docstring), its first SECONDS."""
    source = _pm(DATA / "MIDI" / "melody" / f"{name}.mid")
    qpm = rng.uniform(80.0, 140.0)
    stretch = 120.0 / qpm  # the files play 120 quarter notes a minute
    notes = sorted((n for i in source.instruments for n in i.notes), key=lambda n: n.start)
    _, program = sound_of(name)
    out = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    line = pretty_midi.Instrument(program=program)
    performed: list[pretty_midi.Note] = []
    for i, note in enumerate(notes):
        start = max(0.0, note.start * stretch + rng.gauss(0.0, 0.012))
        written_end = note.end * stretch
        following = notes[i + 1].start * stretch if i + 1 < len(notes) else None
        if following is not None and following - written_end < 0.05:  # legato: overlap the next or leave a gap
            end = following + rng.uniform(-0.03, 0.04)
        else:
            end = written_end - rng.uniform(0.0, 0.05)
        if start >= SECONDS or end - start < 0.04:
            continue
        velocity = int(np.clip(note.velocity + rng.randint(-20, 20), 30, 127))
        performed.append(pretty_midi.Note(velocity, note.pitch, start, min(end, SECONDS)))
    for note in performed:
        line.pitch_bends.append(pretty_midi.PitchBend(0, note.start))
        if rng.random() < 1 / 3:  # a scoop up into the note
            depth, length = rng.uniform(50.0, 120.0), rng.uniform(0.06, 0.1)
            for t in np.arange(0.0, length, 0.01):
                line.pitch_bends.append(pretty_midi.PitchBend(_bend(-depth * (1 - t / length)), note.start + t))
            line.pitch_bends.append(pretty_midi.PitchBend(0, note.start + length))
        if note.end - note.start > 0.3:  # vibrato on a held note
            rate, depth = rng.uniform(4.5, 6.5), rng.uniform(15.0, 45.0)
            for t in np.arange(0.15, note.end - note.start, 0.01):
                cents = depth * np.sin(2 * np.pi * rate * (t - 0.15))
                line.pitch_bends.append(pretty_midi.PitchBend(_bend(cents), note.start + t))
    line.notes = performed
    line.pitch_bends.sort(key=lambda b: b.time)
    out.instruments.append(line)
    return out


def build(split: str, count: int, out: Path) -> list[tuple[Path, Path]]:
    """(audio, reference JSON) of ``count`` tunes of ``split``, rendered once and cached."""
    names = [n for n in tune_names() if is_held_out(n) == (split == "held-out")]
    chosen = random.Random(f"melody-transcription:{split}").sample(names, min(count, len(names)))
    items = []
    for name in sorted(chosen):
        wav, ref = out / split / f"{name}.flac", out / split / f"{name}.json"
        if not wav.exists():
            pm = perform(name, random.Random(f"perform:{name}"))
            soundfont, _ = sound_of(name)
            y = fluidsynth_mono(pm, soundfont)
            wav.parent.mkdir(parents=True, exist_ok=True)
            sf.write(wav, y[: int((SECONDS + 1.0) * SR)], SR, subtype="PCM_16")
            notes = [[n.start, n.end, n.pitch] for n in pm.instruments[0].notes]
            ref.write_text(json.dumps({"tune": name, "soundfont": soundfont, "notes": notes}))
        items.append((wav, ref))
    return items


def cached_output(wav: Path) -> dict[str, np.ndarray]:
    path = wav.with_suffix(".npz")
    if not path.exists():
        np.savez_compressed(path, **engine_output(wav))
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def overlapping(notes: list[TranscribedNote]) -> int:
    """Notes that overlap the next one (sorted by start): what a line never has."""
    ordered = sorted(notes, key=lambda n: n.start)
    return sum(1 for a, b in itertools.pairwise(ordered) if b.start < a.end - 1e-6)


def score(
    items: list[tuple[dict[str, np.ndarray], list[list[float]]]], options: NoteOptions
) -> tuple[Tally, Tally, int]:
    onsets, full, overlaps = Tally(), Tally(), 0
    for output, ref_notes in items:
        notes = notes_from_output(output, options)
        ref = estimate([(s, e, int(p)) for s, e, p in ref_notes])
        est = estimate([(n.start, n.end, n.pitch) for n in notes])
        on = mir_eval.transcription.match_notes(*ref, *est, onset_tolerance=ONSET_TOLERANCE, offset_ratio=None)
        both = mir_eval.transcription.match_notes(*ref, *est, onset_tolerance=ONSET_TOLERANCE)
        onsets.add_counts(len(on), len(ref[1]), len(est[1]))
        full.add_counts(len(both), len(ref[1]), len(est[1]))
        overlaps += overlapping(notes)
    return onsets, full, overlaps


def row(label: str, result: tuple[Tally, Tally, int]) -> str:
    onsets, full, overlaps = result
    return (
        f"{label:<44} {onsets.f1:6.3f} ({onsets.precision:.2f}/{onsets.recall:.2f})   {full.f1:6.3f}   "
        f"{overlaps / max(1, onsets.ests):6.1%} of {onsets.ests}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("tune", "held-out"), default="held-out")
    parser.add_argument("--tunes", type=int, default=40)
    parser.add_argument("--grid", action="store_true", help="score every LineOptions of the grid (tuning)")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "melody_transcription")
    args = parser.parse_args()
    items = [
        (cached_output(wav), json.loads(ref.read_text())["notes"])
        for wav, ref in build(args.split, args.tunes, args.out)
    ]
    print(f"{args.split}: {len(items)} tunes, {sum(len(r) for _, r in items)} notes")
    print(f"{'decoding':<44} onset F1 (P/R)        on+off F1  overlapping notes")
    print(row("basic-pitch predict()", score(items, BASIC_PITCH_OPTIONS)))
    print(row("engine, polyphonic (instrument=pitched)", score(items, DEFAULT_OPTIONS)))
    print(row("engine, one line (instrument=melody)", score(items, MELODY_OPTIONS)))
    if args.grid:
        related = LineOptions().inside_intervals
        for together, inside, intervals, merge, minimum in itertools.product(
            (0.02, 0.035, 0.06), (0.5, 1.0, 2.0), (None, related), (0.0, 0.03), (0.0, 0.05)
        ):
            line = LineOptions(together, inside, intervals, merge, minimum)
            said = "any" if intervals is None else "related"
            label = f"  together {together} inside {inside} {said} merge {merge} min {minimum}"
            print(row(label, score(items, dataclasses.replace(DEFAULT_OPTIONS, line=line))), flush=True)


if __name__ == "__main__":
    main()
