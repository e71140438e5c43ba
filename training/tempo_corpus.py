"""Annotated audio for training the metrical-level model: MMA grooves the evaluation never uses.

Every groove of Debian's MMA library (training/mma_corpus.py lists them) whose style file defines
none of the grooves of the evaluation set (../shared/eval/build_dataset.py's GROOVES_4 and
GROOVES_3) is rendered once (3/4 grooves three times, so that they make about a fifth of the
songs, as in the evaluation): 16 bars over a chord progression in a random key, at a random tempo
in the evaluation set's ranges (66-172 BPM in 4/4, 90-180 in 3/4), with FluidSynth and the FluidR3
GM soundfont. Excluding whole style files keeps near relatives (``BluesSus`` of ``Blues``) out of
training, so the evaluation grooves stay unseen.

Output: ``<out>/songs/songNNN.wav`` and ``ground_truth.json`` in build_dataset.py's format (file,
groove, bpm, meter, key, chords_per_bar, beats_s, downbeats_s), so bench/rhythm_dev.py and
bench/analysis_accuracy.py read it as they read the evaluation set.

Bach chorales (``--chorales N``) teach the model the slow, chord-on-every-beat music of the
evaluation's other half: music21's chorales other than build_dataset.py's 60, rendered by its own
code into ``<out>/chorales/``.

Drumless songs (``--drumless-share S``, session 29): the accompaniment endpoint's usual input is a
part or a band without its rhythm section, so a share S of the songs (chosen by a generator of
their own, seeded from ``--seed``, so the other songs render exactly as without the option) is
rendered without the drum channel and the bass parts (GM programs 32-39, as
bench/accompaniment.py mutes them); their annotations are the MIDI's beats as for every song, and
``ground_truth.json`` marks them ``"drumless": true``. A song whose arrangement is nothing but
drums and bass is rendered whole.

Usage: .venv/bin/python -m training.tempo_corpus data/tempo_train [--seed 5] [--limit N] [--jobs 2]
       [--drumless-share 0.33]
       .venv/bin/python -m training.tempo_corpus data/tempo_train --chorales 150
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypedDict, cast

import pretty_midi

from training.mma_corpus import MMA_BIN, Groove, _time_signature, list_grooves
from training.progressions import PROGRESSIONS, chord_names

REPO = Path(__file__).resolve().parent.parent
BUILD_DATASET = REPO.parent / "shared" / "eval" / "build_dataset.py"
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
BARS = 16
WALTZ_RENDERS = 2
KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


class EvaluationSet(Protocol):
    """What training reads (and sets) of ../shared/eval/build_dataset.py, a script loaded from its path."""

    GROOVES_4: list[str]
    GROOVES_3: list[str]
    CHORALES: list[str]

    def build_chorales(self, out: Path, n: int, rng: random.Random) -> list[Any]: ...


class _SongTruth(TypedDict):
    """One rendered song's ground truth, in build_dataset.py's format."""

    file: str
    groove: str
    bpm: int
    meter: str
    key: str
    chords_per_bar: list[str]
    beats_s: list[float]
    downbeats_s: list[float]


class SongTruth(_SongTruth, total=False):
    drumless: bool  # rendered without drums and bass (only written when true)


BASS_PROGRAMS = range(32, 40)  # General MIDI's basses (acoustic to synth bass 2)


def is_drumless(index: int, share: float, seed: int) -> bool:
    """Whether song ``index`` is rendered without drums and bass: with probability ``share``, drawn
    from a generator of its own (seeded from ``seed`` and the index) so the songs' draws are untouched."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"drumless share {share} is not within 0-1")
    return share > 0.0 and random.Random(f"drumless:{seed}:{index}").random() < share


def strip_rhythm_section(pm: pretty_midi.PrettyMIDI) -> bool:
    """Remove the drum tracks and the bass parts (GM programs 32-39) from ``pm`` in place, unless
    nothing with a note would remain; returns whether they were removed."""
    kept = [i for i in pm.instruments if not i.is_drum and i.program not in BASS_PROGRAMS]
    if not any(i.notes for i in kept):
        return False
    pm.instruments = kept
    return True


def _build_dataset() -> EvaluationSet:
    """../shared/eval/build_dataset.py, which names the evaluation's grooves and chorales."""
    if not BUILD_DATASET.exists():
        raise SystemExit(f"{BUILD_DATASET} not found: it names the music to keep out of training")
    spec = importlib.util.spec_from_file_location("build_dataset", BUILD_DATASET)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{BUILD_DATASET} cannot be loaded as a module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast(EvaluationSet, module)  # a module loaded from a path is untyped: this is the part used


def evaluation_grooves() -> set[str]:
    """Lower-case names of the grooves the evaluation set is built from."""
    module = _build_dataset()
    return {g.lower() for g in [*module.GROOVES_4, *module.GROOVES_3]}


def build_chorales(out: Path, n: int, rng: random.Random) -> int:
    """Render ``n`` Bach chorales that the evaluation set does not use, with build_dataset.py's
    own renderer (same instruments and tempo range), into ``out``; returns how many were written."""
    from music21 import corpus

    module = _build_dataset()
    # Versions of one chorale (bwv248.64-s, bwv248.64-6) count as the same piece.
    used = {name.split("-")[0] for name in module.CHORALES}
    every = {p.name.removesuffix(".mxl") for p in corpus.getComposer("bach") if p.suffix == ".mxl"}
    names = sorted(name for name in every if name.split("-")[0] not in used)
    rng.shuffle(names)
    module.CHORALES = names[:n]
    return len(module.build_chorales(out, n, rng))


def training_grooves() -> list[Groove]:
    """Grooves of every MMA style file that defines no evaluation groove."""
    grooves = list_grooves()
    excluded = evaluation_grooves()
    excluded_styles = {g.style for g in grooves if g.name.lower() in excluded}
    return [g for g in grooves if g.style not in excluded_styles]


def render_song(job: tuple[int, str, int, Path, bool]) -> SongTruth | None:
    """Render one groove (job: index, groove name, seed, output folder, whether without drums and
    bass); its ground truth or None."""
    index, groove, seed, out, drumless = job
    rng = random.Random(seed)
    progression = rng.choice(PROGRESSIONS)
    transpose = rng.randrange(12)
    chords = chord_names(progression, transpose=transpose, mma=True)
    bars = (chords * (BARS // len(chords) + 1))[:BARS]
    stem = f"song{index:03d}"
    mma_file, midi, wav = out / f"{stem}.mma", out / f"{stem}.mid", out / f"{stem}.wav"
    # The meter is the groove's own: render once at a neutral tempo to read it, then at the chosen one.
    lines = [f"RndSeed {seed % 100000}", "Tempo 120", f"Groove {groove}"]
    lines += [f"{bar + 1} {chord}" for bar, chord in enumerate(bars)]
    mma_file.write_text("\n".join(lines) + "\n")
    done = subprocess.run([MMA_BIN, str(mma_file), "-f", str(midi)], capture_output=True, text=True, timeout=60)
    if done.returncode or not midi.exists():
        return None
    numerator, denominator = _time_signature(midi)
    if (numerator, denominator) not in ((4, 4), (3, 4)):
        midi.unlink()
        mma_file.unlink()
        return None
    bpm = rng.randint(90, 180) if numerator == 3 else rng.randint(66, 172)
    lines[1] = f"Tempo {bpm}"
    mma_file.write_text("\n".join(lines) + "\n")
    subprocess.run([MMA_BIN, str(mma_file), "-f", str(midi)], capture_output=True, check=True, timeout=60)
    if drumless:
        pm = pretty_midi.PrettyMIDI(str(midi))
        drumless = strip_rhythm_section(pm)
        if drumless:
            pm.write(str(midi))
    subprocess.run(
        ["fluidsynth", "-ni", "-g", "0.6", "-r", "44100", "-F", str(wav), SOUNDFONT, str(midi)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    beat = 60.0 / bpm
    tonic = ((9 if progression.minor else 0) + transpose) % 12  # progressions are written in C / Am
    truth: SongTruth = {
        "file": wav.name,
        "groove": groove,
        "bpm": bpm,
        "meter": f"{numerator}/4",
        "key": f"{KEY_NAMES[tonic]} {'minor' if progression.minor else 'major'}",
        "chords_per_bar": bars,
        "beats_s": [round(k * beat, 4) for k in range(BARS * numerator)],
        "downbeats_s": [round(k * numerator * beat, 4) for k in range(BARS)],
    }
    if drumless:
        truth["drumless"] = True
    return truth


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--chorales", type=int, default=0, help="also render N chorales (into OUT/chorales)")
    parser.add_argument(
        "--drumless-share", type=float, default=0.0, help="share of the songs rendered without drums and bass"
    )
    args = parser.parse_args(argv)
    if args.chorales:
        done = build_chorales(args.out / "chorales", args.chorales, random.Random(args.seed))
        print(f"{done} chorales in {args.out / 'chorales'}")
        return
    out = args.out / "songs"
    out.mkdir(parents=True, exist_ok=True)
    grooves = training_grooves()
    rng = random.Random(args.seed)
    rng.shuffle(grooves)
    grooves = grooves[: args.limit]
    share = args.drumless_share
    jobs = [(i, g.name, rng.randrange(1 << 30), out, is_drumless(i, share, args.seed)) for i, g in enumerate(grooves)]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        truth = [t for t in pool.map(render_song, jobs) if t is not None]
        # MMA's library is ~9% 3/4 grooves, the evaluation 20% waltzes: render every 3/4 groove
        # WALTZ_RENDERS more times (other keys, progressions, tempi) so the meters weigh alike.
        waltzes = [t["groove"] for t in truth if t["meter"] == "3/4"]
        more = [
            (len(jobs) + k, name, rng.randrange(1 << 30), out, is_drumless(len(jobs) + k, share, args.seed))
            for k, name in enumerate(name for name in waltzes for _ in range(WALTZ_RENDERS))
        ]
        truth += [t for t in pool.map(render_song, more) if t is not None]
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=1))
    styles = len({g.style for g in grooves})
    waltz = sum(t["meter"] == "3/4" for t in truth)
    drumless = sum(t.get("drumless", False) for t in truth)
    print(
        f"{len(truth)} songs ({waltz} in 3/4, {drumless} without drums and bass) "
        f"from {len(grooves)} grooves of {styles} styles in {out}"
    )


if __name__ == "__main__":
    main()
