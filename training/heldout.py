"""Write the held-out split (never trained on) as MIDI, for bench/generation_quality.py.

``python -m training.heldout [OUT_DIR] [--work data/training] [--max-per-part N]`` writes (OUT_DIR
defaults to data/heldout/, gitignored)::

    OUT_DIR/drums/<style>__<groove>_<i>.mid   drum channel of held-out MMA styles (GM drums, ch. 10)
    OUT_DIR/bass/<style>__<groove>_<i>.mid    their bass line, in C major / A minor (program 33)
    OUT_DIR/melody/<collection>__<file>__<n>.mid  held-out folk tunes, in C major / A minor (120 bpm)
    OUT_DIR/index.json  [{"file": "drums/...mid", "part": "drums"|"bass"|"melody", "source": id,
                          "tempo": bpm, "time_signature": [num, den], "bars": n,
                          "key": "C major"|"A minor"|null, "chords_per_bar": [...]|null}]

Everything comes from the fixed hash rule of training/split.py, so the set is reproducible.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TypedDict

import note_seq
from note_seq.protobuf import music_pb2

from training import mma_corpus
from training.progressions import PROGRESSIONS

REPO = Path(__file__).resolve().parent.parent


class HeldoutEntry(TypedDict):
    """One written MIDI file as listed in index.json."""

    file: str
    part: str  # "drums" | "bass" | "melody"
    source: str
    tempo: float
    time_signature: list[int] | None
    bars: int | None
    key: str | None
    chords_per_bar: list[str] | None


def _write(sequence: music_pb2.NoteSequence, path: Path, *, program: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    midi = note_seq.note_sequence_to_pretty_midi(sequence)
    for instrument in midi.instruments:
        if program is not None and not instrument.is_drum:
            instrument.program = program
    midi.write(str(path))


def export_heldout(
    out_dir: Path,
    *,
    work_dir: Path,
    max_per_part: int | None = None,
    melodies: bool = True,
    renderings: list[mma_corpus.Rendering] | None = None,
) -> list[HeldoutEntry]:
    """Write the held-out drums, bass and melodies under ``out_dir``; returns the index entries.

    ``renderings`` defaults to the whole MMA corpus (rendered into ``work_dir`` when not cached);
    only held-out ones are written.
    """
    index: list[HeldoutEntry] = []
    if renderings is None:
        renderings = mma_corpus.build_renderings(work_dir / "mma", per_groove=3)
    renderings = [r for r in renderings if r.heldout]
    minor = {p.name: p.minor for p in PROGRESSIONS}
    for part in ("drums", "bass"):
        for rendering in renderings[:max_per_part]:
            stem = f"{rendering.style}__{Path(rendering.midi).stem}"
            if part == "drums":
                sequence = mma_corpus.drum_sequence(rendering)
            else:
                sequence = mma_corpus.bass_lead_sheet(rendering)
                del sequence.text_annotations[:]  # the chords go to index.json
            if not sequence.notes:
                continue
            _write(sequence, out_dir / part / f"{stem}.mid", program=33 if part == "bass" else None)
            index.append(
                {
                    "file": f"{part}/{stem}.mid",
                    "part": part,
                    "source": f"mma/{rendering.style}/{rendering.groove}",
                    "tempo": rendering.tempo,
                    "time_signature": [rendering.numerator, rendering.denominator],
                    "bars": rendering.bars,
                    "key": None if part == "drums" else ("A minor" if minor[rendering.progression] else "C major"),
                    "chords_per_bar": None if part == "drums" else list(rendering.chords),
                }
            )
    if melodies:
        from training import folk_corpus

        tunes = [t for t in folk_corpus.load_melodies(work_dir / "music21") if t.heldout]
        for tune in tunes[:max_per_part]:
            stem = tune.tune_id.replace("/", "__").replace("#", "__").replace(".abc", "")
            _write(tune.sequence, out_dir / "melody" / f"{stem}.mid", program=0)
            signature = tune.sequence.time_signatures[0] if tune.sequence.time_signatures else None
            mode = tune.sequence.key_signatures[0].mode if tune.sequence.key_signatures else 0
            index.append(
                {
                    "file": f"melody/{stem}.mid",
                    "part": "melody",
                    "source": tune.tune_id,
                    "tempo": folk_corpus.QPM,
                    "time_signature": [signature.numerator, signature.denominator] if signature else None,
                    "bars": None,
                    "key": "A minor" if mode else "C major",
                    "chords_per_bar": None,
                }
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return index


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the held-out split as MIDI.")
    parser.add_argument("out", type=Path, nargs="?", default=REPO / "data" / "heldout")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "training")
    parser.add_argument("--max-per-part", type=int, default=None)
    parser.add_argument("--no-melody", action="store_true", help="skip the music21 melodies (slow first run)")
    args = parser.parse_args(argv)
    index = export_heldout(args.out, work_dir=args.work, max_per_part=args.max_per_part, melodies=not args.no_melody)
    counts = {part: sum(1 for e in index if e["part"] == part) for part in ("drums", "bass", "melody")}
    print(f"wrote {len(index)} MIDI files to {args.out}: {counts}")


if __name__ == "__main__":
    main()
