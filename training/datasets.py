"""Training and held-out NoteSequences for each model, from the MMA and music21 corpora."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from training import mma_corpus

if TYPE_CHECKING:
    from note_seq.protobuf.music_pb2 import NoteSequence

logger = logging.getLogger(__name__)

TINY_TRAIN_GROOVES = 3
TINY_TUNES = 12
SPLIT_SECONDS = 24.0
T = TypeVar("T")


@dataclass
class Corpus:
    """NoteSequences of one model's training and held-out splits, plus a one-line summary."""

    train: list[NoteSequence]
    heldout: list[NoteSequence]
    summary: str


def mma_renderings(work_dir: Path, *, tiny: bool, per_groove: int = 3) -> list[mma_corpus.Rendering]:
    """Renderings of all grooves (or, with ``tiny``, of 3 training grooves and 1 held-out one)."""
    grooves = mma_corpus.list_grooves()
    if not tiny:
        return mma_corpus.build_renderings(work_dir / "mma", per_groove=per_groove, grooves=grooves)
    renderings = mma_corpus.build_renderings(
        work_dir / "mma", per_groove=1, grooves=[g for g in grooves if not g.heldout][:TINY_TRAIN_GROOVES]
    )
    for groove in (g for g in grooves if g.heldout):  # the first held-out groove in a kept meter
        held = mma_corpus.build_renderings(work_dir / "mma", per_groove=1, grooves=[groove])
        if held:
            return renderings + held
    return renderings


def _summary(renderings: list[mma_corpus.Rendering], what: str) -> str:
    train = [r for r in renderings if not r.heldout]
    held = [r for r in renderings if r.heldout]
    styles = {r.style for r in train}
    return (
        f"{what}: {len(train)} renderings of {len({r.groove for r in train})} grooves in {len(styles)} MMA "
        f"styles for training; held out {len(held)} renderings of {len({r.groove for r in held})} grooves "
        f"in {len({r.style for r in held})} styles"
    )


def drums_corpus(work_dir: Path, *, tiny: bool = False) -> Corpus:
    renderings = mma_renderings(work_dir, tiny=tiny)
    return Corpus(
        train=[mma_corpus.drum_sequence(r) for r in renderings if not r.heldout],
        heldout=[mma_corpus.drum_sequence(r) for r in renderings if r.heldout],
        summary=_summary(renderings, "MMA drum channel"),
    )


def bass_corpus(work_dir: Path, *, tiny: bool = False) -> Corpus:
    renderings = mma_renderings(work_dir, tiny=tiny)
    return Corpus(
        train=[mma_corpus.bass_lead_sheet(r) for r in renderings if not r.heldout],
        heldout=[mma_corpus.bass_lead_sheet(r) for r in renderings if r.heldout],
        summary=_summary(renderings, "MMA bass tracks over the rendered chords"),
    )


def melody_corpus(work_dir: Path, *, tiny: bool = False) -> Corpus:
    from training import folk_corpus

    tunes = folk_corpus.load_melodies(work_dir / "music21", limit=TINY_TUNES if tiny else None)
    return Corpus(
        train=split_long([t.sequence for t in tunes if not t.heldout]),
        heldout=split_long([t.sequence for t in tunes if t.heldout]),
        summary=folk_corpus.summary(tunes),
    )


def split_long(sequences: list[NoteSequence], *, seconds: float = SPLIT_SECONDS) -> list[NoteSequence]:
    """Cut tunes into windows of ``seconds`` (48 quarters at 120 bpm: whole bars of 2/4, 3/4,
    4/4 and 6/8) so that Magenta's extractor, which truncates at max_steps, sees all of each tune."""
    from note_seq import sequences_lib

    pieces: list[NoteSequence] = []
    for sequence in sequences:
        pieces.extend(
            sequences_lib.split_note_sequence(sequence, seconds) if sequence.total_time > seconds else [sequence]
        )
    return pieces


def melody_improv_corpus(work_dir: Path, *, tiny: bool = False) -> Corpus:
    from training import folk_corpus

    tunes = folk_corpus.load_chorale_lead_sheets(work_dir / "music21", limit=TINY_TUNES if tiny else None)
    return Corpus(
        train=split_long([t.sequence for t in tunes if not t.heldout]),
        heldout=split_long([t.sequence for t in tunes if t.heldout]),
        summary=folk_corpus.summary(tunes),
    )


CORPORA = {"drums": drums_corpus, "bass": bass_corpus, "melody": melody_corpus, "melody_improv": melody_improv_corpus}


def iterate(sequences: list[T]) -> Iterator[T]:
    yield from sequences
