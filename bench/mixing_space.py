"""Space on held-out songs: a stem drowned in a long reverb, a stem rendered bone dry, clean stems.

For each song of the set (default data/mixing: FluidR3, never used for fitting), every stem in
turn is measured clean, drowned in a 3 s diffuse reverb at 50 % wet, and (lead, guitar and keys
stems) re-rendered bone dry; :func:`ai.mixing.space.space_findings` judges each with the shipped
norms. Printed: too wet found on the right track (medium/high), too dry found on the right track
(any priority but info), clean stems with medium/high (and low) space findings. A set rendered
with ``bench/mixing_songs.py --dry`` (data/mixing_dry) brings its own dry stems (<song>/dry/, the
same MIDI as the stems); otherwise the song is rebuilt and rendered dry here (cached in --work).

Usage: .venv/bin/python bench/mixing_space.py [--songs data/mixing] [--work data/space_bench] [--limit N]

The faults (also used by training/role_space.py on the training songs):

* :func:`drown` adds a long reverb: a convolution (pedalboard) with an exponentially decaying
  stereo noise impulse response (independent noise per channel: a diffuse, fully decorrelated
  tail) of a given RT60, mixed so that the reverb carries ``wet`` of the energy (0.5: the reverb
  is as loud as the dry sound, "50 % wet"). The stem is padded with 1.2 x RT60 of silence first so
  the tail rings out as a reverb on a mixer's return would.
* :func:`render_song_stems` rebuilds a song of bench/mixing_songs.py from its songs.json entry
  (groove, tempo, chords: the same MMA file, with a fixed ``RndSeed`` so it is reproducible; the
  original renders were not seeded, so notes' timing and velocity differ slightly) and renders
  its stems with FluidSynth, with the default reverb and chorus (as the song sets are) or bone dry
  (``-R 0 -C 0``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
import pretty_midi
import soundfile as sf

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ai.mixing.findings import Suggestion  # noqa: E402
from ai.mixing.space import space_findings  # noqa: E402
from ai.mixing.space_measure import measure_space  # noqa: E402
from ai.mixing.space_model import role_space  # noqa: E402
from bench.mixing_songs import SAMPLE_RATE, split_midi  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

SOUNDFONTS = {
    "FluidR3_GM.sf2": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "TimGM6mb.sf2": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "MuseScore_General_Lite.sf3": "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
}
"""Soundfonts by the name songs.json records."""
MMA_SEED = 1
"""RndSeed for the rebuilt songs (MMA randomises timing and velocity a little)."""


@lru_cache(maxsize=8)
def noise_ir(rt60_s: float, sr: int, seed: int = 0) -> np.ndarray:
    """Stereo impulse response: independent Gaussian noise per channel under an exponential decay of ``rt60_s``.

    Returns np.ndarray [shape=(2, 1.5 * rt60_s * sr), dtype=float32], each channel of unit energy.
    """
    rng = np.random.default_rng(seed)
    n = int(1.5 * rt60_s * sr)
    t = np.arange(n) / sr
    ir: np.ndarray = rng.standard_normal((2, n)) * np.exp(-3.0 * np.log(10.0) * t / rt60_s)
    ir /= np.sqrt(np.sum(ir**2, axis=1, keepdims=True))
    return ir.astype(np.float32)


def drown(samples: np.ndarray, sr: int, *, rt60_s: float = 3.0, wet: float = 0.5, seed: int = 0) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(2, n)]) with a diffuse reverb of ``rt60_s`` carrying ``wet`` of the energy.

    The reverb is pedalboard's Convolution with :func:`noise_ir`; pedalboard normalises an impulse
    response, so the wet signal is rescaled to what the unit-energy response gives (the reverb of
    steady noise is then as loud as the noise). Returns np.ndarray [shape=(2, n + 1.2 rt60 sr), float32].
    """
    ir = noise_ir(rt60_s, sr, seed)
    pad = int(1.2 * rt60_s * sr)
    x = np.concatenate([np.asarray(samples, dtype=np.float32), np.zeros((2, pad), np.float32)], axis=1)
    conv = pedalboard.Convolution(ir, mix=1.0, sample_rate=sr)
    impulse = np.zeros((2, ir.shape[1] + sr), np.float32)
    impulse[:, 0] = 1.0
    gain = 1.0 / np.sqrt(np.mean(np.sum(conv(impulse, sr) ** 2, axis=1)))
    conv.reset()
    reverb = conv(x, sr) * gain
    dry_gain, wet_gain = np.sqrt(1.0 - wet), np.sqrt(wet)
    drowned: np.ndarray = (dry_gain * x + wet_gain * reverb).astype(np.float32)
    return drowned


def song_midi(song: dict[str, Any]) -> pretty_midi.PrettyMIDI:
    """The MMA arrangement of a songs.json entry (see bench/mixing_songs.py), seeded with MMA_SEED."""
    lines = [f"RndSeed {MMA_SEED}", f"Tempo {song['bpm']}", "Time 4", f"Groove {song['groove']}"]
    lines += [f"{k + 1} {chord}" for k, chord in enumerate(song["chords"])]
    with tempfile.TemporaryDirectory() as tmp:
        mma_file = Path(tmp) / "song.mma"
        mma_file.write_text("\n".join(lines) + "\n")
        subprocess.run(["mma", str(mma_file)], check=True, capture_output=True)
        return pretty_midi.PrettyMIDI(str(mma_file.with_suffix(".mid")))


def render_song_stems(
    song: dict[str, Any],
    out: Path,
    *,
    dry: bool,
    names: set[str] | None = None,
    chorus: bool = True,
    reverb_send: int | None = None,
) -> dict[str, Path]:
    """Render a song's stems (all, or those in ``names``) into ``out``; {stem name: wav path}.

    ``dry``: FluidSynth's reverb and chorus off (``-R 0 -C 0``); otherwise its defaults, as the song
    sets are rendered, or with ``chorus=False`` its reverb alone (``-C 0``: what the reverb adds
    is then the render minus the dry one). ``reverb_send``: a reverb send (MIDI CC 91, 0-127) set at
    the start of every part, for instruments the soundfont gives none (MuseScore General Lite's
    pianos render bone dry with the defaults). Existing files are reused.
    """
    out.mkdir(parents=True, exist_ok=True)
    soundfont = SOUNDFONTS[song.get("soundfont", "FluidR3_GM.sf2")]
    wanted = {name: out / f"{name}.wav" for name in (names or {s["name"] for s in song["stems"]})}
    if all(path.exists() for path in wanted.values()):
        return wanted
    effects = ["-R", "0", "-C", "0"] if dry else ([] if chorus else ["-C", "0"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, _role, midi in split_midi(song_midi(song)):
            if name not in wanted or wanted[name].exists():
                continue
            mid = Path(tmp) / f"{name}.mid"
            if reverb_send is not None:
                for part in midi.instruments:
                    part.control_changes.insert(0, pretty_midi.ControlChange(91, reverb_send, 0.0))
            midi.write(str(mid))
            subprocess.run(
                ["fluidsynth", "-ni", *effects, "-g", "0.3", "-r", str(SAMPLE_RATE), "-O", "s16", "-F",
                 str(wanted[name]), soundfont, str(mid)],
                check=True,
                capture_output=True,
            )  # fmt: skip
    return {name: path for name, path in wanted.items() if path.exists()}


# --- The bench ------------------------------------------------------------------------------------

DRY_ROLES = ("lead", "guitar", "keys")
"""Roles whose stems are re-rendered bone dry for the too-dry class (parts normally given space)."""


def _load(path: Path) -> tuple[np.ndarray, int]:
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), sr


def _findings(name: str, role: str, samples: np.ndarray, sr: int, bpm: float) -> list[Suggestion]:
    measure = measure_space(samples=samples, sr=sr)
    return space_findings(name=name, role=role, measure=measure, tempo_bpm=bpm, norms=role_space(role))


def _problem(findings: list[Suggestion], problem: str, priorities: tuple[str, ...]) -> Suggestion | None:
    for f in findings:
        if f.type == "space" and f.evidence.get("problem") == problem and f.priority in priorities and not f.info:
            return f
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description="Space findings on held-out songs: too wet, too dry, clean stems.")
    parser.add_argument("--songs", type=Path, default=REPO / "data" / "mixing")
    parser.add_argument("--work", type=Path, default=REPO / "data" / "space_bench")
    parser.add_argument("--limit", type=int, default=0, help="only the first N songs (0: all)")
    args = parser.parse_args()
    songs = json.loads((args.songs / "songs.json").read_text())
    if args.limit:
        songs = songs[: args.limit]
    started = time.perf_counter()
    clean = {"stems": 0, "medium_high": 0, "low": 0}
    clean_by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wet = {"stems": 0, "found": 0, "high": 0}
    wet_cuts: list[float] = []
    dry = {"stems": 0, "found": 0, "medium": 0}
    dry_by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    false_alarms: list[str] = []
    for song in songs:
        bpm = float(song["bpm"])
        dry_paths: dict[str, Path] = {}
        wanted = {s["name"] for s in song["stems"] if s["role"] in DRY_ROLES}
        shipped = {n: args.songs / song["song"] / "dry" / f"{n}.wav" for n in wanted}
        if wanted and all(path.exists() for path in shipped.values()):
            dry_paths = shipped  # bench/mixing_songs.py --dry: the same MIDI rendered without effects
        elif wanted:
            dry_paths = render_song_stems(song, args.work / args.songs.name / song["song"], dry=True, names=wanted)
        for stem in song["stems"]:
            name, role = stem["name"], stem["role"]
            samples, sr = _load(args.songs / stem["file"])
            found = _findings(name, role, samples, sr, bpm)
            clean["stems"] += 1
            clean_by_role[role][0] += 1
            problem = [f for f in found if f.type == "space" and f.priority in ("medium", "high") and not f.info]
            if problem:
                clean["medium_high"] += 1
                clean_by_role[role][1] += 1
                false_alarms.append(f"{song['song']}/{name} ({role}): {problem[0].message}")
            elif any(f.type == "space" and not f.info for f in found):
                clean["low"] += 1
            drowned = drown(samples, sr, rt60_s=3.0, wet=0.5)
            found = _findings(name, role, drowned, sr, bpm)
            wet["stems"] += 1
            hit = _problem(found, "too_wet", ("medium", "high"))
            if hit is not None:
                wet["found"] += 1
                wet["high"] += hit.priority == "high"
                if hit.action is None:
                    raise ValueError(f"{song['song']}/{name}: a too-wet finding without its reverb move")
                wet_cuts.append(-float(hit.action["reverb"]["wet_change_db"]))
            else:
                misses.append(f"too wet missed: {song['song']}/{name} ({role})")
            if name in dry_paths:
                samples, sr = _load(dry_paths[name])
                found = _findings(name, role, samples, sr, bpm)
                dry["stems"] += 1
                dry_by_role[role][0] += 1
                hit = _problem(found, "too_dry", ("low", "medium", "high"))
                if hit is not None:
                    dry["found"] += 1
                    dry_by_role[role][1] += 1
                    dry["medium"] += hit.priority in ("medium", "high")
                else:
                    misses.append(f"too dry missed: {song['song']}/{name} ({role})")
        print(f"{song['song']} done", file=sys.stderr, flush=True)

    def pct(a: int, b: int) -> str:
        return f"{100.0 * a / b:.1f}% ({a}/{b})" if b else "n/a"

    print(f"songs: {args.songs} ({len(songs)}), {time.perf_counter() - started:.0f} s")
    print(f"too wet (3 s diffuse reverb, 50 % wet), found on the right track: {pct(wet['found'], wet['stems'])}")
    print(f"  of which high priority: {pct(wet['high'], wet['found'])}")
    if wet_cuts:
        print(
            f"  suggested wet-level cut: median {np.median(wet_cuts):.0f} dB (range {min(wet_cuts):.0f}-{max(wet_cuts):.0f})"
        )
    print(f"too dry (lead/guitar/keys rendered -R 0 -C 0), found on the right track: {pct(dry['found'], dry['stems'])}")
    print(f"  of which medium priority: {pct(dry['medium'], dry['found'])}")
    for role, (n, k) in sorted(dry_by_role.items()):
        print(f"    {role:7s} {pct(k, n)}")
    print(f"clean stems with medium/high space findings: {pct(clean['medium_high'], clean['stems'])}")
    print(f"clean stems with low space findings: {pct(clean['low'], clean['stems'])}")
    for role, (n, k) in sorted(clean_by_role.items()):
        if k:
            print(f"    {role:7s} {pct(k, n)}")
    for line in false_alarms + misses:
        print("  " + line)


if __name__ == "__main__":
    main()
