#!/usr/bin/env python3
"""Pitched transcription of sustained and slow-attack notes: strings, pads, organs and choir.

A diagnostic set, rendered here with FluidSynth through FluidR3 GM and MuseScore General Lite (labels
exact: the MIDI that was rendered), for each GM program of four families (strings 48-51, choir 52-54,
organs 16-20, pads 88-95): two held chords (2.5 s each, three or four notes) and a slow legato melody
(eight notes of 0.4-1.2 s). No file of it is in bench/transcription.py's scored sets: it may be tuned on.

Per family: the note count ratio (transcribed / true), note onset F1 (mir_eval.transcription, onset
within 50 ms, offsets ignored) and onset+offset F1 (mir_eval's default offset tolerance, 20 % of the
reference note's length, 50 ms at least), notes pooled over the family's files; for basic-pitch's own
note creation (``BASIC_PITCH_OPTIONS`` on the engine's path: predict() by construction) and the
engine as shipped (``DEFAULT_OPTIONS``). Offsets score low for every system: the renders keep
FluidSynth's reverb and each patch's release, which hold the note posterior past the MIDI note's end.

Usage: .venv/bin/python bench/transcription_sustained.py [--out data/bench_transcription_sustained]
"""

from __future__ import annotations

import sys

sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]  # as bench/transcription.py

import argparse  # noqa: E402
import random  # noqa: E402
from pathlib import Path  # noqa: E402

import mir_eval  # noqa: E402
import numpy as np  # noqa: E402
import pretty_midi  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from transcription import SOUNDFONTS, Item, Tally, engine_output, estimate, fluidsynth, reference  # noqa: E402

from ai.transcription.pitched import BASIC_PITCH_OPTIONS, DEFAULT_OPTIONS, NoteOptions, notes_from_output  # noqa: E402

FAMILIES = {
    "strings": (48, 49, 50, 51),
    "choir": (52, 53, 54),
    "organ": (16, 17, 18, 19, 20),
    "pad": (88, 89, 90, 91, 92, 93, 94, 95),
}
FONTS = ("FluidR3", "MuseScore")
ONSET_TOLERANCE = 0.05


def chords_midi(program: int, rng: random.Random, path: Path) -> None:
    """Two held chords of three or four notes (root position or inverted triads and sevenths, C3-C6)."""
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program)
    start = 0.5
    for _ in range(2):
        root = rng.randrange(48, 67)
        shape = rng.choice([(0, 4, 7), (0, 3, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 5, 9), (0, 4, 9)])
        for interval in shape:
            inst.notes.append(pretty_midi.Note(rng.randrange(70, 110), root + interval, start, start + 2.5))
        start += 2.5 + rng.choice([0.0, 0.3])
    pm.instruments.append(inst)
    pm.write(str(path))


def melody_midi(program: int, rng: random.Random, path: Path) -> None:
    """Eight notes of 0.4-1.2 s, legato or with short gaps, steps and leaps of up to a fifth (G3-G5)."""
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program)
    pitch, start = rng.randrange(60, 72), 0.5
    for _ in range(8):
        length = rng.uniform(0.4, 1.2)
        inst.notes.append(pretty_midi.Note(rng.randrange(70, 110), pitch, start, start + length))
        start += length + rng.choice([0.0, 0.0, 0.1])
        pitch = int(np.clip(pitch + rng.choice([-7, -5, -3, -2, -1, 1, 2, 3, 4, 5, 7]), 55, 79))
    pm.instruments.append(inst)
    pm.write(str(path))


def build(out: Path) -> dict[str, list[Item]]:
    """The set's files by family (rendered once; the MIDI is drawn from a seed per program)."""
    out.mkdir(parents=True, exist_ok=True)
    items: dict[str, list[Item]] = {}
    for family, programs in FAMILIES.items():
        for program in programs:
            for piece, make in (("chords", chords_midi), ("melody", melody_midi)):
                mid = out / f"{program:03d}-{piece}.mid"
                if not mid.exists():
                    make(program, random.Random(program * 10 + len(piece)), mid)
                for font in FONTS:
                    wav = out / f"{program:03d}-{piece}.{font}.wav"
                    if not wav.exists():
                        fluidsynth(mid, wav, SOUNDFONTS[font], dry=False)
                    items.setdefault(family, []).append(Item(family, f"{program:03d}-{piece}.{font}", wav, mid))
    return items


def score(
    pairs: list[tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]], options: NoteOptions
) -> dict[str, float]:
    """Pooled note count ratio, onset F1 and onset+offset F1 of the options' notes over the pairs."""
    onset, both = Tally(), Tally()
    for ref, output in pairs:
        est = estimate([(n.start, n.end, n.pitch) for n in notes_from_output(output, options)])
        for tally, ratio in ((onset, None), (both, 0.2)):
            matched = mir_eval.transcription.match_notes(
                ref[0], ref[1], est[0], est[1], onset_tolerance=ONSET_TOLERANCE, offset_ratio=ratio
            )
            tally.add_counts(len(matched), len(ref[1]), len(est[1]))
    return {"ratio": onset.ests / max(1, onset.refs), "onset": onset.f1, "on+off": both.f1, "notes": onset.refs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench_transcription_sustained")
    args = parser.parse_args()
    sets = build(args.out)
    outputs = {
        family: [(reference(item.midi), engine_output(item.wav)) for item in items] for family, items in sets.items()
    }
    systems = {"basic-pitch": BASIC_PITCH_OPTIONS, "engine": DEFAULT_OPTIONS}
    print("per family, notes pooled: count ratio (transcribed/true), onset F1, onset+offset F1")
    header = f"{'family':<9} {'files':>5} {'notes':>5} " + " ".join(f"{s + ' ratio/on/on+off':>30}" for s in systems)
    print(header)
    print("-" * len(header))
    every = [pair for pairs in outputs.values() for pair in pairs]
    for family, pairs in [*outputs.items(), ("all", every)]:
        cells = []
        for options in systems.values():
            s = score(pairs, options)
            cells.append(f"{s['ratio']:.2f} / {s['onset']:.3f} / {s['on+off']:.3f}")
        print(
            f"{family:<9} {len(pairs):>5} {int(score(pairs, DEFAULT_OPTIONS)['notes']):>5} "
            + " ".join(f"{c:>30}" for c in cells)
        )


if __name__ == "__main__":
    main()
