"""Melody corpora from music21's bundled corpus: folk tunes and Bach chorales.

* Folk tunes: the Essen folksong collection, O'Neill's 1850 and Ryan's Mammoth Collection (ABC).
  Each tune's melody, transposed by its key signature so that it has no sharps or flats: major
  tunes land in C major, minor (aeolian) tunes in A minor, modal tunes on the white keys.
* Chorales (for melody over chords): the soprano over the chordified four-part harmony, one chord
  symbol per beat where the harmony is a recognisable triad or seventh, transposed the same way.

Tunes are held out by the hash rule of training/split.py on ``"<corpus file>#<tune number>"``.
Converted NoteSequences are cached in a TFRecord under the work directory.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import note_seq
import numpy as np
from note_seq.protobuf import music_pb2

from training.split import is_heldout_tune
from training.tfsetup import setup_tensorflow

if TYPE_CHECKING:
    from music21.chord import Chord
    from music21.stream import Score

logger = logging.getLogger(__name__)

FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth")
# music21 parses ABC at ~0.3 s a tune on this machine, so the melody corpus is a fixed selection of
# about 3,500 tunes (all of O'Neill's, a third of Ryan's Mammoth, nine Essen files) instead of 12,000.
ESSEN_FILES = ("ballad10", "ballad60", "ballad70", "ballad80", "dva0", "erk5", "folkHaydn", "irl", "kinder0")
RYANS_EVERY = 3  # every third file of Ryan's Mammoth (one tune per file), in sorted order
QPM = 120.0
MIN_NOTES = 16


@dataclass(frozen=True)
class Tune:
    tune_id: str  # "<collection>/<file>#<number>"
    sequence: music_pb2.NoteSequence

    @property
    def heldout(self) -> bool:
        return is_heldout_tune(self.tune_id)


def corpus_root() -> Path:
    import music21

    return Path(os.path.dirname(music21.__file__)) / "corpus"


def folk_files() -> list[Path]:
    """The ABC files of the folk selection (see ESSEN_FILES, RYANS_EVERY), sorted."""
    root = corpus_root()
    files = sorted((root / "oneills1850").rglob("*.abc"))
    files += sorted(root / "essenFolksong" / f"{name}.abc" for name in ESSEN_FILES)
    files += sorted((root / "ryansMammoth").rglob("*.abc"))[::RYANS_EVERY]
    return [p for p in files if p.exists()]


# Krumhansl-Kessler key profiles (tonic first).
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(pitches: np.ndarray, durations: np.ndarray) -> tuple[int, bool]:
    """(tonic pitch class, is_minor) by correlating the duration-weighted pitch-class histogram
    with the Krumhansl-Kessler profiles in all 24 keys.

    pitches, durations : np.ndarray [shape=(n,)]
    """
    histogram = np.bincount(np.asarray(pitches, dtype=int) % 12, weights=durations, minlength=12)
    best = (-2.0, 0, False)
    for minor, profile in ((False, MAJOR_PROFILE), (True, MINOR_PROFILE)):
        for tonic in range(12):
            r = float(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1])
            if r > best[0]:
                best = (r, tonic, minor)
    return best[1], best[2]


def normalising_shift(tonic: int, minor: bool) -> int:
    """Semitones (−6..5) that move a key with ``tonic`` to C major (or A minor when ``minor``)."""
    shift = ((9 if minor else 0) - tonic) % 12
    return shift - 12 if shift > 5 else shift


def score_to_sequence(
    score: Score, *, tune_id: str, part_index: int = 0, shift: int | None = None
) -> music_pb2.NoteSequence | None:
    """One part of a music21 score as a key-normalised NoteSequence at 120 bpm (None if unusable).

    Ties are merged, chords reduced to their top note, grace notes dropped. ``shift`` (semitones)
    overrides the key estimated from the part itself.
    """
    from music21 import meter

    parts = list(score.parts) if score.parts else [score]
    if part_index >= len(parts):
        return None
    part = parts[part_index]
    times = list(score.recurse().getElementsByClass(meter.TimeSignature))
    ns = music_pb2.NoteSequence()
    ns.id = tune_id
    ns.ticks_per_quarter = note_seq.STANDARD_PPQ
    ns.tempos.add(time=0.0, qpm=QPM)
    if times:
        ns.time_signatures.add(time=0.0, numerator=times[0].numerator, denominator=times[0].denominator)
    beat = 60.0 / QPM
    notes = []
    for element in part.stripTies().flatten().notes:
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        # not isChord: a Note (music21's flag does not narrow its NotRest type)
        pitch = max(p.midi for p in element.pitches) if element.isChord else element.pitch.midi  # type: ignore[attr-defined]
        notes.append((int(pitch), float(element.offset) * beat, float(element.quarterLength) * beat))
    if len(notes) < MIN_NOTES:
        return None
    tonic, minor = estimate_key(np.array([n[0] for n in notes]), np.array([n[2] for n in notes]))
    if shift is None:
        shift = normalising_shift(tonic, minor)
    for pitch, start, length in notes:
        ns.notes.add(pitch=pitch + shift, start_time=start, end_time=start + length, velocity=90, instrument=0)
    ns.key_signatures.add(
        time=0.0,
        key=9 if minor else 0,
        mode=music_pb2.NoteSequence.KeySignature.MINOR if minor else music_pb2.NoteSequence.KeySignature.MAJOR,
    )
    ns.total_time = max(n.end_time for n in ns.notes)
    return ns


def _iter_folk_tunes(limit: int | None) -> Iterator[Tune]:
    from music21 import converter

    count = 0
    root = corpus_root()
    for path in folk_files():
        try:
            parsed = converter.parse(str(path))
        except Exception as exc:  # music21 raises many types on odd ABC; skip the file, log it
            logger.warning("music21 could not parse %s: %s", path, exc)
            continue
        scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
        logger.info("%s: %d tunes (%d so far)", path.name, len(scores), count)
        for index, score in enumerate(scores):
            number = score.metadata.number if score.metadata and score.metadata.number else index + 1
            tune_id = f"{path.relative_to(root)}#{number}"
            # converter.parse is typed Score | Part | Opus; these ABC files give an Opus (.scores) or a Score
            sequence = score_to_sequence(score, tune_id=tune_id)  # type: ignore[arg-type]
            if sequence is not None:
                yield Tune(tune_id=tune_id, sequence=sequence)
                count += 1
                if limit is not None and count >= limit:
                    return


def _cached(cache: Path, produce: Iterator[Tune]) -> list[Tune]:
    tf = setup_tensorflow()
    if cache.exists():
        tunes = []
        for record in tf.compat.v1.io.tf_record_iterator(str(cache)):
            sequence = music_pb2.NoteSequence.FromString(record)
            tunes.append(Tune(tune_id=sequence.id, sequence=sequence))
        return tunes
    cache.parent.mkdir(parents=True, exist_ok=True)
    tunes = list(produce)
    partial = cache.with_suffix(".partial")
    with tf.io.TFRecordWriter(str(partial)) as writer:
        for tune in tunes:
            writer.write(tune.sequence.SerializeToString())
    partial.replace(cache)
    return tunes


def load_melodies(work_dir: Path, *, limit: int | None = None) -> list[Tune]:
    """All folk tunes (first ``limit`` with ``limit``), key-normalised; cached in ``work_dir``."""
    name = "folk.tfrecord" if limit is None else f"folk_{limit}.tfrecord"
    return _cached(work_dir / name, _iter_folk_tunes(limit))


CHORD_QUALITIES = {"major": "", "minor": "m", "diminished": "dim", "augmented": "aug"}


def chord_symbol(chord: Chord, shift: int) -> str | None:
    """note_seq chord symbol of a music21 chord moved ``shift`` semitones, or None if unnamed.

    Triads by quality; a dominant seventh becomes ``X7``, a minor seventh ``Xm7``.
    """
    from training.progressions import NAMES

    try:
        root = chord.root()
    except Exception:  # music21 raises on empty or degenerate chords
        return None
    if root is None:
        return None
    name = NAMES[(root.pitchClass + shift) % 12]
    if chord.isDominantSeventh():
        return name + "7"
    if chord.isHalfDiminishedSeventh():
        return name + "m7b5"
    if chord.isDiminishedSeventh():
        return name + "dim7"
    quality = CHORD_QUALITIES.get(chord.quality)
    if quality is None:
        return None
    if quality == "m" and chord.seventh is not None:
        return name + "m7"
    return name + quality


def chorale_lead_sheet(score: Score, *, tune_id: str) -> music_pb2.NoteSequence | None:
    """Soprano of a chorale over its chordified harmony (one chord symbol per beat), in C/Am."""
    all_notes = [(p.midi, float(n.quarterLength)) for n in score.flatten().notes for p in n.pitches]
    if len(all_notes) < MIN_NOTES:
        return None
    tonic, minor = estimate_key(np.array([n[0] for n in all_notes]), np.array([n[1] for n in all_notes]))
    shift = normalising_shift(tonic, minor)
    sequence = score_to_sequence(score, tune_id=tune_id, part_index=0, shift=shift)
    if sequence is None:
        return None
    beat = 60.0 / QPM
    previous = None
    for chord in score.chordify().flatten().getElementsByClass("Chord"):  # type: ignore[no-untyped-call]  # music21
        if float(chord.offset) != int(chord.offset):  # passing sonorities between beats
            continue
        symbol = chord_symbol(chord, shift)
        if symbol is not None and symbol != previous:
            sequence.text_annotations.add(
                time=float(chord.offset) * beat,
                text=symbol,
                annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL,
            )
            previous = symbol
    return sequence if sequence.text_annotations else None


def _iter_chorales(limit: int | None) -> Iterator[Tune]:
    from music21 import corpus

    count = 0
    for path in sorted(corpus.getComposer("bach"), key=str):
        tune_id = "bach/" + Path(path).stem
        try:
            score = corpus.parse(str(path))
        except Exception as exc:  # music21 raises many types on odd files; skip, log it
            logger.warning("music21 could not parse %s: %s", path, exc)
            continue
        if len(score.parts) != 4:
            continue
        sequence = chorale_lead_sheet(score, tune_id=tune_id)
        if sequence is not None:
            yield Tune(tune_id=tune_id, sequence=sequence)
            count += 1
            if count % 50 == 0:
                logger.info("%d chorales", count)
            if limit is not None and count >= limit:
                return


def load_chorale_lead_sheets(work_dir: Path, *, limit: int | None = None) -> list[Tune]:
    """Bach chorale sopranos over chordified chords, in C/Am; cached in ``work_dir``."""
    name = "chorales.tfrecord" if limit is None else f"chorales_{limit}.tfrecord"
    return _cached(work_dir / name, _iter_chorales(limit))


def summary(tunes: list[Tune]) -> str:
    train = [t for t in tunes if not t.heldout]
    sources = sorted({t.tune_id.split("/")[0] for t in tunes})
    return (
        f"{len(train)} tunes for training and {len(tunes) - len(train)} held out, from music21's {', '.join(sources)}"
    )


def main() -> None:
    """Build the melody cache: ``python -m training.folk_corpus [WORK_DIR]``."""
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data" / "training"
    tunes = load_melodies(work / "music21")
    print(summary(tunes))
    chorales = load_chorale_lead_sheets(work / "music21")
    print(summary(chorales))


if __name__ == "__main__":
    main()
