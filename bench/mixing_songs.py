#!/usr/bin/env python3
"""Multitrack test songs for the mixing bench: MMA accompaniments rendered stem by stem.

MMA (Musical MIDI Accompaniment) turns a chord chart and one of its human-written grooves into
a band arrangement (drums, bass, chords, arpeggios, ...). Each song's MIDI is split into stems:
every pitched instrument becomes one stem, named like a DAWG-CORE track after its General MIDI
program (Piano, Guitar 1, Bass, Strings, Synth Lead, ...); the drum channel is split by note into
Kick (GM 35-36), Snare (37-40), Hi-hats (42, 44, 46) and Drums (toms, cymbals, percussion).
Each stem is rendered alone with FluidSynth and the FluidR3 GM soundfont at the same gain, so
the stems keep MMA's own balance (its volume and pan controllers travel with each part), and
their sum is the song. Stems end where their last note rings out, so their lengths differ.

Output: <out>/<song>/<stem>.wav (44.1 kHz stereo, 16-bit; with --dry also <out>/<song>/dry/<stem>.wav,
rendered without FluidSynth's reverb and chorus; with --keep-midi also <out>/<song>/<stem>.mid) and <out>/songs.json with, per song,
the groove, tempo, bars and stems [{"name", "file", "role"}] (role from the GM program / drum
notes, independent of the name-based inference under test).

Training sets for the mixing models use other soundfonts (``--soundfont``: TimGM6mb, MuseScore
General Lite) and other seeds, so the bench songs (FluidR3, seeds 11, 29, 41) stay held out.

Usage: bench/mixing_songs.py [--out data/mixing] [--songs 16] [--bars 16] [--seed 11] [--soundfont F] [--dry]
       [--no-chorus] [--keep-midi]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pretty_midi

REPO = Path(__file__).resolve().parent.parent
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SAMPLE_RATE = 44100
GROOVES = [
    "50sRock", "60sRock", "8Beat", "BasicRock", "SoftRock", "PopBallad", "RockBallad", "BubbleRock",
    "BVFunk", "DSoul", "FolkRock", "JazzRock", "Blues", "Ska", "Twist", "Samba", "BossaNova", "Salsa",
    "CountrySwing", "Rhumba", "Trance", "LFusion", "Strut", "Zydeco",
]  # fmt: skip
NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
PROGRESSIONS = [
    [(0, ""), (9, "m"), (5, ""), (7, "")],
    [(0, ""), (7, ""), (9, "m"), (5, "")],
    [(2, "m7"), (7, "7"), (0, "M7"), (0, "M7")],
    [(0, "m"), (8, ""), (3, ""), (10, "")],
    [(0, "m"), (5, "m"), (7, "7"), (0, "m")],
]
DRUM_SPLIT = {"Kick": (35, 36), "Snare": (37, 38, 39, 40), "Hi-hats": (42, 44, 46)}
DRUM_ROLES = {"Kick": "kick", "Snare": "snare", "Hi-hats": "hihat", "Drums": "drums"}


def program_stem(program: int) -> tuple[str, str]:
    """(DAWG-style track name, role) for a General MIDI program."""
    family = program // 8
    table = {
        0: ("Piano", "keys"), 1: ("Keys", "keys"), 2: ("Organ", "keys"), 3: ("Guitar", "guitar"),
        4: ("Bass", "bass"), 5: ("Strings", "pad"), 6: ("Strings", "pad"), 7: ("Brass", "lead"),
        8: ("Sax", "lead"), 9: ("Flute", "lead"), 10: ("Synth Lead", "lead"), 11: ("Synth Pad", "pad"),
        12: ("FX", "fx"), 13: ("Other", "other"), 14: ("Drums", "drums"), 15: ("FX", "fx"),
    }  # fmt: skip
    return table[family]


def split_midi(pm: pretty_midi.PrettyMIDI) -> list[tuple[str, str, pretty_midi.PrettyMIDI]]:
    """One PrettyMIDI per stem (name, role, midi), keeping tempo and controllers."""
    parts: list[tuple[str, str, pretty_midi.Instrument]] = []
    for inst in pm.instruments:
        if not inst.notes:
            continue
        if inst.is_drum:
            rest = set(range(128)) - {n for notes in DRUM_SPLIT.values() for n in notes}
            for name, notes in [*DRUM_SPLIT.items(), ("Drums", tuple(rest))]:
                piece = copy.deepcopy(inst)
                piece.notes = [n for n in inst.notes if n.pitch in notes]
                if piece.notes:
                    parts.append((name, DRUM_ROLES[name], piece))
        else:
            name, role = program_stem(inst.program)
            parts.append((name, role, copy.deepcopy(inst)))
    # Merge drum pieces that came from several drum tracks; number repeated melodic names.
    merged: dict[str, tuple[str, list[pretty_midi.Instrument]]] = {}
    counts: dict[str, int] = {}
    for name, role, inst in parts:
        if inst.is_drum and name in merged:
            merged[name][1].append(inst)
            continue
        if not inst.is_drum:
            counts[name] = counts.get(name, 0) + 1
            if counts[name] > 1:
                name = f"{name} {counts[name]}"
        merged[name] = (role, [inst])
    out = []
    for name, (role, insts) in merged.items():
        stem = copy.deepcopy(pm)
        stem.instruments = insts
        out.append((name, role, stem))
    # "Guitar" plus "Guitar 2" reads better as "Guitar 1" / "Guitar 2".
    names = {n for n, _, _ in out}
    return [((f"{n} 1" if f"{n} 2" in names else n), r, m) for n, r, m in out]


def render(mid: Path, wav: Path, soundfont: str = SOUNDFONT, *, dry: bool = False, chorus: bool = True) -> None:
    """Render ``mid`` to ``wav``; ``dry``: without FluidSynth's reverb and chorus (-R 0 -C 0); ``chorus=False``:
    without its chorus only (its two outputs work against each other: a chorused guitar or string stem folds to
    mono 5-11 dB quieter, correlation -0.37 to -0.85, where its dry render reads +0.98 to +1.00)."""
    effects = ["-R", "0", "-C", "0"] if dry else ([] if chorus else ["-C", "0"])
    subprocess.run(
        [
            "fluidsynth",
            "-ni",
            *effects,
            "-g",
            "0.3",
            "-r",
            str(SAMPLE_RATE),
            "-O",
            "s16",
            "-F",
            str(wav),
            soundfont,
            str(mid),
        ],
        check=True,
        capture_output=True,
    )


def build_song(
    out: Path,
    index: int,
    rng: random.Random,
    bars: int,
    soundfont: str = SOUNDFONT,
    *,
    dry: bool = False,
    chorus: bool = True,
    keep_midi: bool = False,
) -> dict[str, Any] | None:
    groove = GROOVES[index % len(GROOVES)]
    bpm = rng.randint(80, 150)
    tonic = rng.randrange(12)
    progression = rng.choice(PROGRESSIONS)
    chords = [NAMES[(tonic + step) % 12] + quality for step, quality in progression] * (bars // 4)
    song = f"song{index:02d}"
    folder = out / song
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        mma_file = Path(tmp) / f"{song}.mma"
        mma_file.write_text(
            "\n".join([f"Tempo {bpm}", "Time 4", f"Groove {groove}"] + [f"{k + 1} {c}" for k, c in enumerate(chords)])
            + "\n"
        )
        done = subprocess.run(["mma", str(mma_file)], capture_output=True, text=True)
        mid = mma_file.with_suffix(".mid")
        if done.returncode or not mid.exists():
            print(f"mma failed for {groove}: {done.stdout[-200:]} {done.stderr[-200:]}", file=sys.stderr)
            return None
        pm = pretty_midi.PrettyMIDI(str(mid))
        stems = []
        for name, role, stem_midi in split_midi(pm):
            stem_mid = Path(tmp) / f"{name}.mid"
            stem_midi.write(str(stem_mid))
            wav = folder / f"{name}.wav"
            render(stem_mid, wav, soundfont, chorus=chorus)
            if keep_midi:  # the notes the stem plays (MMA randomises, so a rerun of the chart would not give them)
                (folder / f"{name}.mid").write_bytes(stem_mid.read_bytes())
            if dry:
                (folder / "dry").mkdir(exist_ok=True)
                render(stem_mid, folder / "dry" / wav.name, soundfont, dry=True)
            stems.append({"name": name, "file": f"{song}/{wav.name}", "role": role})
    return {
        "song": song,
        "groove": groove,
        "bpm": bpm,
        "bars": bars,
        "chords": chords,
        "soundfont": Path(soundfont).name,
        "stems": stems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "mixing")
    parser.add_argument("--songs", type=int, default=16)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--first", type=int, default=0, help="index of the first song (to add songs)")
    parser.add_argument("--soundfont", default=SOUNDFONT, help="SF2/SF3 file to render with (default: FluidR3 GM)")
    parser.add_argument("--dry", action="store_true", help="also render each stem without reverb/chorus to <song>/dry/")
    parser.add_argument("--no-chorus", action="store_true", help="render the stems without FluidSynth's chorus")
    parser.add_argument("--keep-midi", action="store_true", help="also write each stem's MIDI to <song>/<stem>.mid")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    index_file = args.out / "songs.json"
    songs = json.loads(index_file.read_text()) if index_file.exists() and args.first else []
    for index in range(args.first, args.first + args.songs):
        song = build_song(
            args.out,
            index,
            rng,
            args.bars,
            args.soundfont,
            dry=args.dry,
            chorus=not args.no_chorus,
            keep_midi=args.keep_midi,
        )
        if song:
            songs.append(song)
            print(song["song"], song["groove"], song["bpm"], [s["name"] for s in song["stems"]], flush=True)
    index_file.write_text(json.dumps(songs, indent=1))
    print(len(songs), "songs in", args.out)


if __name__ == "__main__":
    main()
