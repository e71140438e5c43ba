#!/usr/bin/env python3
"""Pitched transcription on real recordings with note annotations: the engine against basic-pitch.

The recordings are mirdata's test fixtures (short excerpts of real datasets, read from a fetched
mirror of mir-dataset-loaders/mirdata, /work/shared/eval/real/README.md): a MAESTRO Disklavier
excerpt, vocadito singing (two annotators, scored against each), Filosax saxophone, TONAS flamenco
singing and a Dagstuhl ChoirSet quartet (room microphone, the four voices' score representation).
The GuitarSet solo is read too but left out: its fixture audio is a placeholder (-90 dBFS, the
microphone and pickup files the same samples). They are written to data/real_notes/ (audio, and a notes JSON
per item with its source, dataset licence and how its notes were made): evaluation only, never
shipped, nothing of them in the repository.

Not used: fixtures whose notes a program made (medleydb_pitch's and iKala's pYIN notes, cante100's
automatic transcription, JTD's transcribed piano MIDI), DALI (karaoke notes aligned automatically),
PHENICX-Anechoic (its 1-s excerpts end before the first aligned note), single-note collections with
no onset times (TinySOL, good-sounds), synthesized ones (mdb_stem_synth, Slakh).

Scores: mir_eval.transcription, as bench/transcription.py: onset within 50 ms and the same pitch
(50 cents), offsets ignored; and, as a second column, onset and offset (mir_eval's default offset
tolerance: 20 % of the reference note's length, at least 50 ms). Per item, and the notes pooled over
the items. The annotations cover the whole recording and the fixtures a few seconds of it: notes
that start in the excerpt are kept, their ends cut at its end; notes (reference and estimated) that
start in its last 50 ms are left out of both sides (one onset tolerance: too little sound left).

Systems: ``basic-pitch``, ``basic_pitch.inference.predict(path)`` with all its defaults (the same
ONNX model as the engine: TensorFlow is kept out of this process); ``engine``, the engine's path
as shipped (soundfile + soxr to 22,050 Hz mono, ``DEFAULT_OPTIONS``' onset-peak decoding), as
bench/transcription.py runs it. The engine transcribes polyphonically: it has no monophonic mode, so
on the monophonic items (singing, saxophone) an extra simultaneous note is a false positive for it.

Usage: .venv/bin/python bench/transcription_real.py [--mirrors /work/.mirror] [--out data/real_notes]
       [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mir_eval
import numpy as np
import pretty_midi
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from transcription import Tally, engine_output  # noqa: E402  (first: keeps TensorFlow out, so basic-pitch runs ONNX)

from ai.transcription.pitched import BASIC_PITCH_OPTIONS, DEFAULT_OPTIONS, MELODY_OPTIONS, notes_from_output  # noqa: E402
from bench import note_annotations as na  # noqa: E402

MIRDATA = "mir-dataset-loaders+mirdata"
FIXTURES = "tests/resources/mir_datasets"
FIXTURE_REPO_LICENCE = "mirdata's repository: BSD-3-Clause"
ONSET_TOLERANCE = 0.05
SILENT_DB = -60.0  # a fixture whose audio peaks under this is a stand-in (GuitarSet's: -90 dBFS)
LOWEST_KEY, HIGHEST_KEY = 21, 108  # the piano's, basic-pitch's range


@dataclass(frozen=True)
class Source:
    name: str
    group: str
    audio: str  # under FIXTURES
    notes: tuple[str, ...]  # annotation files under FIXTURES, read with ``reader`` and pooled
    reader: str
    dataset: str
    licence: str
    annotation: str
    monophonic: bool


MAESTRO = "maestro/2018/MIDI-Unprocessed_Chamber3_MID--AUDIO_10_R3_2018_wav--1"
VOCADITO_LICENCE = "CC BY 4.0 (vocadito)"
FILOSAX_LICENCE = "Filosax licence: non-commercial research by the signing group only, no redistribution"
VOCADITO_A1, VOCADITO_A2 = "vocadito_1_A1", "vocadito_1_A2"
DCS = "dagstuhl_choirset/annotations_csv_scorerepresentation/DCS_LI_QuartetB_Take04_Stereo_STM"

SOURCES = [
    Source(
        "maestro_chamber3_10",
        "piano",
        f"{MAESTRO}.wav",
        (f"{MAESTRO}.midi",),
        "midi",
        "MAESTRO v2 (2018)",
        "CC BY-NC-SA 4.0 (MAESTRO)",
        "MIDI recorded by the Disklavier during the performance (~3 ms alignment); sustain pedal applied to the ends",
        monophonic=False,
    ),
    *(
        Source(
            f"vocadito_1_{who}",
            "singing",
            "vocadito/Audio/vocadito_1.wav",
            (f"vocadito/Annotations/Notes/vocadito_1_notes{who}.csv",),
            "vocadito",
            "vocadito",
            VOCADITO_LICENCE,
            f"notes by a trained musician (annotator {who[1]})",
            monophonic=True,
        )
        for who in ("A1", "A2")
    ),
    *(
        Source(
            f"filosax_p{player}_{piece}",
            "saxophone",
            f"filosax/Participant {player}/{piece}/Sax.wav",
            (f"filosax/Participant {player}/{piece}/annotations.json",),
            "filosax",
            "Filosax (lite)",
            FILOSAX_LICENCE,
            "the typeset score's notes with their times in the performance (a_start/a_end)",
            monophonic=True,
        )
        for player in (1, 2)
        for piece in ("01", "02")
    ),
    Source(
        "guitarset_03_BN3-119-G_solo",
        "guitar",
        "guitarset/audio_mono-mic/03_BN3-119-G_solo_mic.wav",
        ("guitarset/annotation/03_BN3-119-G_solo.jams",),
        "guitarset",
        "GuitarSet",
        "MIT (per mirdata's loader)",
        "notes per string from the hexaphonic pickup's separate strings (GuitarSet: automated note annotation)",
        monophonic=False,
    ),
    Source(
        "tonas_01-D_AMairena",
        "singing",
        "tonas/Deblas/01-D_AMairena.wav",
        ("tonas/Deblas/01-D_AMairena.notes.Corrected",),
        "tonas",
        "TONAS",
        "TONAS: internal non-commercial use only, no redistribution",
        "manual melodic transcription (COFLA team)",
        monophonic=True,
    ),
    Source(
        "dagstuhl_quartetB_take04_STM",
        "choir",
        "dagstuhl_choirset/audio_wav_22050_mono/DCS_LI_QuartetB_Take04_Stereo_STM.wav",
        tuple(f"{DCS}_{voice}.csv" for voice in "SATB"),
        "dagstuhl",
        "Dagstuhl ChoirSet",
        "CC BY 4.0",
        "the score's notes per voice, time-aligned to this performance (mirdata: 'time-aligned score representation')",
        monophonic=False,
    ),
]

READERS = {
    "vocadito": na.vocadito_notes,
    "tonas": na.tonas_notes,
    "guitarset": na.guitarset_notes,
    "filosax": na.filosax_notes,
    "dagstuhl": na.dagstuhl_score_notes,
}


def git_show(repo: Path, path: str) -> bytes:
    done = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, check=True)
    return done.stdout


def read_notes(repo: Path, source: Source, scratch: Path) -> list[na.Note]:
    notes: list[na.Note] = []
    for path in source.notes:
        data = git_show(repo, f"{FIXTURES}/{path}")
        if source.reader == "midi":
            midi_file = scratch / f"{source.name}.midi"
            midi_file.write_bytes(data)
            notes += na.midi_performance_notes(pretty_midi.PrettyMIDI(str(midi_file)))
            midi_file.unlink()
        else:
            notes += READERS[source.reader](data.decode("utf-8"))
    return notes


@dataclass(frozen=True)
class Item:
    source: Source
    wav: Path
    duration: float
    notes: list[na.Note]  # the annotation's notes that start in the excerpt, ends cut at its end


def extract(mirrors: Path, out: Path) -> list[Item]:
    """Each source's audio and its notes in the excerpt, written to ``out`` (a JSON per item)."""
    repo = mirrors / MIRDATA / "repo"
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for source in SOURCES:
        wav = out / f"{source.name}.wav"
        wav.write_bytes(git_show(repo, f"{FIXTURES}/{source.audio}"))
        samples, _ = sf.read(str(wav), dtype="float32")
        duration = sf.info(str(wav)).duration
        peak_db = 20 * np.log10(max(float(np.abs(samples).max(initial=0.0)), 1e-12))
        if peak_db < SILENT_DB:
            print(
                f"left out {source.name}: its fixture audio peaks at {peak_db:.0f} dBFS (a placeholder, no recording)"
            )
            wav.unlink()
            continue
        every = read_notes(repo, source, out)
        in_range = [n for n in every if LOWEST_KEY <= round(n.pitch) <= HIGHEST_KEY]
        notes = na.unisons_once(na.crop(in_range, duration, 0.0))
        record = {
            "name": source.name,
            "group": source.group,
            "audio": wav.name,
            "duration_s": round(duration, 3),
            "monophonic": source.monophonic,
            "dataset": source.dataset,
            "licence": f"{source.licence}; {FIXTURE_REPO_LICENCE}; evaluation only, never shipped",
            "annotation": source.annotation,
            "source": f"github:mir-dataset-loaders/mirdata@{commit.stdout.strip()}",
            "files": [f"{FIXTURES}/{source.audio}", *(f"{FIXTURES}/{p}" for p in source.notes)],
            "annotated_notes": len(every),
            "out_of_range_notes": len(every) - len(in_range),
            "notes": [[round(n.start, 6), round(n.end, 6), round(n.pitch, 4)] for n in notes],
        }
        (out / f"{source.name}.json").write_text(json.dumps(record, indent=1))
        items.append(Item(source, wav, duration, notes))
    (out / "index.json").write_text(json.dumps([item.source.name for item in items], indent=1))
    return items


POOLED_ROWS = ("all (A1)", "all (A2)", "monophonic (A1)", "polyphonic")


def pools_of(source: Source) -> list[str]:
    """The pooled rows an item counts in: vocadito's audio once per row, with one annotator or the other."""
    pools = []
    if source.name != VOCADITO_A2:
        pools += ["all (A1)", "monophonic (A1)" if source.monophonic else "polyphonic"]
    if source.name != VOCADITO_A1:
        pools.append("all (A2)")
    return pools


def as_arrays(notes: list[na.Note]) -> tuple[np.ndarray, np.ndarray]:
    intervals = np.array([[n.start, max(n.end, n.start + 1e-3)] for n in notes]).reshape(-1, 2)
    pitches = np.array([440.0 * 2 ** ((n.pitch - 69) / 12) for n in notes])
    return intervals, pitches


def matches(ref: list[na.Note], est: list[na.Note], *, offsets: bool) -> int:
    if not ref or not est:
        return 0
    (ri, rp), (ei, ep) = as_arrays(ref), as_arrays(est)
    offset_ratio = 0.2 if offsets else None  # 0.2: mir_eval's default
    return len(
        mir_eval.transcription.match_notes(ri, rp, ei, ep, onset_tolerance=ONSET_TOLERANCE, offset_ratio=offset_ratio)
    )


def transcriptions(wav: Path, basic_pitch_model: object) -> dict[str, list[na.Note]]:
    from basic_pitch.inference import predict

    _, _, events = predict(wav, basic_pitch_model)
    output = engine_output(wav)
    return {
        "basic-pitch": [na.Note(float(s), float(e), float(p)) for s, e, p, _, _ in events],
        "engine": [na.Note(n.start, n.end, float(n.pitch)) for n in notes_from_output(output, DEFAULT_OPTIONS)],
        "engine (bp thresholds)": [
            na.Note(n.start, n.end, float(n.pitch)) for n in notes_from_output(output, BASIC_PITCH_OPTIONS)
        ],
        "engine melody": [na.Note(n.start, n.end, float(n.pitch)) for n in notes_from_output(output, MELODY_OPTIONS)],
    }


SYSTEMS = ("basic-pitch", "engine", "engine (bp thresholds)", "engine melody")
SHOWN = ("basic-pitch", "engine", "engine melody")


def cell(t: Tally) -> str:
    return f"{t.f1:.3f} ({t.precision:.2f}/{t.recall:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--out", type=Path, default=REPO / "data" / "real_notes")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model

    assert ICASSP_2022_MODEL_PATH.suffix == ".onnx", ICASSP_2022_MODEL_PATH
    basic_pitch_model = Model(ICASSP_2022_MODEL_PATH)
    items = extract(args.mirrors, args.out)

    tallies: dict[str, dict[str, dict[str, Tally]]] = {}
    for item in items:
        ref = na.crop(item.notes, item.duration, ONSET_TOLERANCE)
        found = transcriptions(item.wav, basic_pitch_model)
        for system, notes in found.items():
            est = na.crop(notes, item.duration, ONSET_TOLERANCE)
            for mode in ("onset", "onset+offset"):
                counts = (matches(ref, est, offsets=mode == "onset+offset"), len(ref), len(est))
                for row in [item.source.name, *pools_of(item.source)]:
                    tallies.setdefault(row, {}).setdefault(system, {}).setdefault(mode, Tally()).add_counts(*counts)

    print(
        f"note F1 (precision/recall), mir_eval, onset within {ONSET_TOLERANCE * 1000:.0f} ms, offsets ignored; "
        "on+off: offset within 20 % of the note's length (50 ms at least) as well"
    )
    header = (
        f"{'item':<30} {'group':<10} {'s':>5} {'notes':>5}  "
        + "  ".join(f"{'onset ' + s:>22}" for s in SHOWN)
        + "  "
        + "  ".join(f"{'on+off ' + s:>18}" for s in SHOWN)
    )
    print(header)
    print("-" * len(header))
    by_name = {item.source.name: item for item in items}
    pooled = [row for row in POOLED_ROWS if row in tallies]
    for row in [*by_name, *pooled]:
        systems, shown = tallies[row], by_name.get(row)
        if row == pooled[0]:
            print("-" * len(header))
        group = (shown.source.group + ("*" if shown.source.monophonic else "")) if shown else ""
        seconds = f"{shown.duration:.1f}" if shown else ""
        onset = "  ".join(f"{cell(systems[s]['onset']):>22}" for s in SHOWN)
        both = "  ".join(f"{systems[s]['onset+offset'].f1:>18.3f}" for s in SHOWN)
        print(f"{row:<30} {group:<10} {seconds:>5} {systems[SHOWN[0]]['onset'].refs:>5}  {onset}  {both}")
    print(
        "* monophonic recording; 'engine' is the polyphonic decoding (instrument=pitched), where a second note at once "
        "is a false positive; 'engine melody' is instrument=melody (one line)"
    )
    differ = [
        row for row, s in tallies.items() if s["engine (bp thresholds)"]["onset"].hits != s["basic-pitch"]["onset"].hits
    ]
    print(
        "the engine's path with basic-pitch's thresholds against predict(): "
        + ("the same onset matches on every row" if not differ else "differs on " + ", ".join(differ))
    )
    if args.json:
        body = {
            row: {
                s: {m: {**t.__dict__, "f1": round(t.f1, 4)} for m, t in modes.items()} for s, modes in systems.items()
            }
            for row, systems in tallies.items()
        }
        args.json.write_text(json.dumps(body, indent=2))


if __name__ == "__main__":
    main()
