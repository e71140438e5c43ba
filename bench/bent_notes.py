#!/usr/bin/env python3
"""Bent notes renumbered (``NoteOptions.bent_notes_renumbered``): note onset F1 with and without it.

A note whose contour sits half a semitone or more from its number, the same way, for more than half its
frames takes the neighbouring number and its bends are re-centred (:func:`ai.transcription.pitched.renumbered`),
the bends measured from the note in tune (``CONTOUR_BIN_OFFSET``: basic-pitch reads them one bin sharp).
This scores the engine's notes (``DEFAULT_OPTIONS``) with the renumbering off and on, from one model output
per file, on bench/transcription.py's sets (its tuning sets, then its held-out sets: Bach chorales through three
soundfonts and the band songs' pitched stems) and bench/transcription_real.py's real recordings (mirdata's
note-annotated fixtures). Per set: pooled note onset F1 (mir_eval, 50 ms, offsets ignored, pitch within 50
cents), the notes renumbered, and how many of those match a reference note before and after.

Usage: .venv/bin/python bench/bent_notes.py [--out data/bench_transcription] [--real-out data/real_notes]
       [--mirrors /work/.mirror]
(the sets are rendered there when missing, as bench/transcription.py and bench/transcription_real.py do).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import mir_eval
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import transcription as bt  # noqa: E402  (first: keeps TensorFlow out, so basic-pitch runs ONNX)
import transcription_real as real  # noqa: E402

from ai.transcription.pitched import DEFAULT_OPTIONS, load_model, notes_from_output  # noqa: E402
from bench import note_annotations as na  # noqa: E402

KEPT = dataclasses.replace(DEFAULT_OPTIONS, bent_notes_renumbered=False)
ONSET_TOLERANCE = bt.ONSET_TOLERANCE


@dataclasses.dataclass
class Row:
    """One set's counts: reference notes, then per option (kept, renumbered) the estimated and matched notes."""

    refs: int = 0
    ests: dict[str, int] = dataclasses.field(default_factory=lambda: {"kept": 0, "renumbered": 0})
    hits: dict[str, int] = dataclasses.field(default_factory=lambda: {"kept": 0, "renumbered": 0})
    moved: int = 0
    moved_hits_before: int = 0
    moved_hits_after: int = 0

    def f1(self, option: str) -> float:
        return bt.Tally(self.hits[option], self.refs, self.ests[option]).f1


def matched(ref: tuple[np.ndarray, np.ndarray], est: tuple[np.ndarray, np.ndarray]) -> set[int]:
    """Indices of the estimated notes that match a reference note."""
    if len(ref[1]) == 0 or len(est[1]) == 0:
        return set()
    pairs = mir_eval.transcription.match_notes(
        ref[0], ref[1], est[0], est[1], onset_tolerance=ONSET_TOLERANCE, offset_ratio=None
    )
    return {j for _, j in pairs}


def score(row: Row, ref: tuple[np.ndarray, np.ndarray], output: dict[str, np.ndarray], until: float = np.inf) -> None:
    """Add one file: its reference notes and the engine's notes of its model ``output`` (those starting before
    ``until`` s) with the renumbering off and on."""
    kept = [n for n in notes_from_output(output, KEPT) if n.start < until]
    moved = [n for n in notes_from_output(output, DEFAULT_OPTIONS) if n.start < until]
    assert [(n.start, n.end) for n in kept] == [(n.start, n.end) for n in moved]  # one note for one note
    row.refs += len(ref[1])
    before: set[int] = set()
    for option, notes in (("kept", kept), ("renumbered", moved)):
        hits = matched(ref, bt.estimate(bt.as_triples(notes)))
        row.ests[option] += len(notes)
        row.hits[option] += len(hits)
        if option == "kept":
            before = hits
        else:
            changed = [i for i, (a, b) in enumerate(zip(kept, moved, strict=True)) if a.pitch != b.pitch]
            row.moved += len(changed)
            row.moved_hits_before += sum(i in before for i in changed)
            row.moved_hits_after += sum(i in hits for i in changed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench_transcription")
    parser.add_argument("--real-out", type=Path, default=REPO / "data" / "real_notes")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    load_model()

    names = bt.tuning_chorales(8)
    more = bt.tuning_chorales(8, 24)[8:]
    sets = {
        "tuning: chorales FluidR3": bt.build_chorales(names, ["FluidR3"], args.out / "tuning", "t")
        + bt.build_chorales(more, ["FluidR3"], args.out / "tuning_more", "t"),
        "tuning: chorales MuseScore": bt.build_chorales(names + more, ["MuseScore"], args.out / "tuning_more", "t"),
        "tuning: band stems": bt.tuning_songs(8, args.out / "tuning_band"),
    }
    scored = bt.build_chorales(bt.evaluation_chorales()[:12], bt.SCORED_SOUNDFONTS, args.out / "chorales", "chorales")
    for font in bt.SCORED_SOUNDFONTS:
        sets[f"held out: chorales {font}"] = [item for item in scored if item.set_name == f"chorales {font}"]
    sets["held out: band stems FluidR3"] = bt.build_band_stems(6, 8, args.out / "band")

    rows: dict[str, Row] = {}
    for name, items in sets.items():
        row = rows.setdefault(name, Row())
        for item in items:
            score(row, bt.reference(item.midi), bt.engine_output(item.wav))
        print(f"scored {name} ({len(items)} files)", flush=True)
    for excerpt in real.extract(args.mirrors, args.real_out):
        if excerpt.source.name == real.VOCADITO_A2:  # vocadito once: its first annotator, as the A1 rows there
            continue
        # As bench/transcription_real.py: notes starting in the excerpt's last 50 ms left out on both sides.
        ref = real.as_arrays(na.crop(excerpt.notes, excerpt.duration, ONSET_TOLERANCE))
        group = "real: monophonic" if excerpt.source.monophonic else "real: polyphonic"
        score(
            rows.setdefault(group, Row()), ref, bt.engine_output(excerpt.wav), until=excerpt.duration - ONSET_TOLERANCE
        )

    header = f"{'set':<34} {'refs':>6} {'F1 kept':>8} {'F1 renumbered':>14} {'renumbered':>10} {'of them matched before -> after':>32}"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        print(
            f"{name:<34} {row.refs:>6} {row.f1('kept'):>8.3f} {row.f1('renumbered'):>14.3f} {row.moved:>10} "
            f"{row.moved_hits_before:>25} -> {row.moved_hits_after}"
        )


if __name__ == "__main__":
    main()
