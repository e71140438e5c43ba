#!/usr/bin/env python3
"""``instrument=auto``: does it choose drums, melody (one line) or pitched (polyphonic) as a musician would?

Each recording goes through what ``/transcribe?instrument=auto`` does (``ai.transcription.auto_instrument``): the
analysis (drums alone?), then the polyphonic notes and their :func:`chord_share`. The measures are cached, then
the chord-share threshold is chosen on the tuning part and the confusion table printed for the held-out part.

Groups (truth in brackets):

- sung-like tunes: bench/melody_transcription.py's renders (data/melody_transcription; voice, flute, horns,
  synth leads, vibrato and scoops) [melody]; its ``tune`` split tunes, ``held-out`` scored;
- piano chorales: bench/transcription.py's (its tuning chorales through FluidR3 tune; the dev list's 12 through
  FluidR3, TimGM6mb and sf_GMbank are scored) [pitched];
- band stems: bench/transcription.py's MMA stems (its tuning songs tune, its 6 scored songs scored) [melody where
  the stem's MIDI has two notes together at another interval than a note's own sound under 5 % of its sounding
  time (bass lines, leads), else pitched];
- drum stems and their mixes with the band: training/drum_transcription.py's test renders (kits never trained on;
  ``--stage render --splits test``) [drums; the mixes pitched], all scored (nothing here is tuned on them);
- real: data/real_notes (vocadito singing, Filosax saxophone, TONAS flamenco singing [melody]; a MAESTRO piano
  excerpt, a Dagstuhl ChoirSet quartet [pitched]) and data/real's tiny items (librosa's trumpet, essentia's two
  tenor saxophones [melody]; BRID's percussion [drums]; madmom's sample, essentia's techno loop, the Beatles,
  Queen, a Gloria, a jazz trio, electronic clips [pitched]), all scored.

A piano chord part made one line loses notes, so the threshold is MARGIN of the lowest chord share of a chord part in
the tuning part, in hundredths (the script prints the lowest pitched tuning items: session 36 read them by hand, as
an FX stem's MIDI, one line as it sounds, counts as pitched by the rule above); a monophonic stem called pitched loses nothing (its ghost notes stay) and counts as
an error all the same.

Usage: bench/transcription_auto.py [--data /work/main/data] [--renders data] [--cache data/bench_auto.json]
"""

from __future__ import annotations

import sys

sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]  # bench.transcription's import rule

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pretty_midi  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from transcription import (  # noqa: E402
    SCORED_SOUNDFONTS,
    TUNING_SOUNDFONT,
    build_band_stems,
    build_chorales,
    evaluation_chorales,
    tuning_chorales,
    tuning_songs,
)

from ai.analysis import drums_only  # noqa: E402
from ai.analysis.pipeline import analyze_summary, summarize_file  # noqa: E402
from ai.transcription.auto_instrument import MAX_LINE_CHORD_SHARE, MIN_LINE_NOTES, chord_share  # noqa: E402
from ai.transcription.pitched import notes_and_line  # noqa: E402

LINE_SHARE = 0.05  # a band stem whose MIDI has two notes together under this share of its time is one line
CLASSES = ("drums", "melody", "pitched")


@dataclass(frozen=True)
class Item:
    group: str
    name: str
    path: Path
    truth: str
    part: str  # "tune" or "held-out"


def midi_truth(midi: Path) -> str:
    """melody where the stem's MIDI sounds two notes together at another interval than a note's own sound (the
    measure auto reads, on the notes as written) under LINE_SHARE of its sounding time, else pitched."""
    notes = [n for inst in pretty_midi.PrettyMIDI(str(midi)).instruments for n in inst.notes]
    return "melody" if chord_share(notes) < LINE_SHARE else "pitched"


MARGIN = 0.8
"""The threshold is at most this share of the lowest chord share of a pitched tuning item."""


def items(data: Path, renders: Path) -> list[Item]:
    found: list[Item] = []
    for part in ("tune", "held-out"):
        for path in sorted((data / "melody_transcription" / part).glob("*.flac")):
            found.append(Item("sung-like tunes", path.stem, path, "melody", part))
    out = renders / "bench_transcription"
    for it in build_chorales(tuning_chorales(8), [TUNING_SOUNDFONT], out / "tuning", "tuning"):
        found.append(Item("piano chorales", f"{it.name} {it.set_name}", it.wav, "pitched", "tune"))
    for it in build_chorales(evaluation_chorales()[:12], SCORED_SOUNDFONTS, out / "chorales", "chorales"):
        found.append(Item("piano chorales", f"{it.name} {it.set_name}", it.wav, "pitched", "held-out"))
    for it in tuning_songs(8, out / "tuning_band"):
        found.append(Item("band stems", it.name, it.wav, midi_truth(it.midi), "tune"))
    for it in build_band_stems(6, 8, out / "band"):
        found.append(Item("band stems", it.name, it.wav, midi_truth(it.midi), "held-out"))
    drum_test = renders / "drum_transcription" / "test" / "audio"
    for path in sorted(drum_test.glob("*.flac")):
        stem = path.stem.endswith("_stem")
        group = "drum stems" if stem else "drums under the band"
        found.append(Item(group, path.stem, path, "drums" if stem else "pitched", "held-out"))
    real_notes = {
        "vocadito_1_A1": "melody",  # vocadito_1_A2 is the same audio
        "filosax_p1_01": "melody",
        "filosax_p1_02": "melody",
        "filosax_p2_01": "melody",
        "filosax_p2_02": "melody",
        "tonas_01-D_AMairena": "melody",
        "maestro_chamber3_10": "pitched",
        "dagstuhl_quartetB_take04_STM": "pitched",
    }
    for name, truth in real_notes.items():
        found.append(Item("real", name, data / "real_notes" / f"{name}.wav", truth, "held-out"))
    real = {
        "tiny_librosa_trumpet.ogg": "melody",
        "essentia_sax_tenor_d_minor.wav": "melody",
        "essentia_sax_tenor_e_major.wav": "melody",
        "tiny_mirdata_brid_0001_M4-01-SA.wav": "drums",
        "tiny_madmom_sample.wav": "pitched",
        "essentia_techno_loop.mp3": "pitched",
        "tiny_mirdata_beatles_do_you_want_to_know_a_secret.wav": "pitched",
        "tiny_mirdata_queen_bohemian_rhapsody.flac": "pitched",
        "tiny_mirdata_tonality_classicaldb_gloria_D.wav": "pitched",
        "tiny_mirdata_jtd_barronk_allgodschildren.wav": "pitched",
        "tiny_mirdata_beatport_key_100066.mp3": "pitched",
        "tiny_mirdata_giantsteps_key_10089.mp3": "pitched",
        "tiny_mirdata_fma_keys_000010.mp3": "pitched",
    }
    for name, truth in real.items():
        found.append(Item("real", name, data / "real" / "audio" / name, truth, "held-out"))
    return [it for it in found if it.path.exists()]


def measure(item: Item) -> dict[str, float | bool | int]:
    """What instrument=auto reads of the item: the analysis's drums-alone call, the notes' chord share."""
    summary = summarize_file(item.path, name=item.path.name)
    analysis = analyze_summary(summary)
    drums = drums_only.said_of(analysis.notes)
    notes, line = notes_and_line(summary.y)
    return {"drums": drums, "chord_share": chord_share(notes), "notes": len(notes), "line_notes": len(line)}


def choose(m: dict[str, float | bool | int], threshold: float) -> str:
    if m["drums"]:
        return "drums"
    return "melody" if int(m["notes"]) >= MIN_LINE_NOTES and float(m["chord_share"]) <= threshold else "pitched"


def table(rows: list[tuple[Item, dict[str, float | bool | int]]], threshold: float, title: str) -> None:
    counts: dict[tuple[str, str], defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item, m in rows:
        counts[(item.group, item.truth)][choose(m, threshold)] += 1
    print(f"\n{title} (chord share <= {threshold:.3f} is one line)")
    print(f"  {'group [truth]':44s} {'n':>4s} {'drums':>6s} {'melody':>7s} {'pitched':>8s}  right")
    for (group, truth), got in sorted(counts.items()):
        n = sum(got.values())
        print(
            f"  {group + ' [' + truth + ']':44s} {n:4d} {got['drums']:6d} {got['melody']:7d} {got['pitched']:8d}  "
            f"{100 * got[truth] / n:5.1f} %"
        )
    by_group: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item, m in rows:
        by_group[item.group][0] += choose(m, threshold) == item.truth
        by_group[item.group][1] += 1
    print("  per group: " + ", ".join(f"{g} {100 * r / n:.1f} %" for g, (r, n) in sorted(by_group.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "data", help="melody_transcription, real, real_notes")
    parser.add_argument("--renders", type=Path, default=REPO / "data", help="bench_transcription, drum_transcription")
    parser.add_argument("--cache", type=Path, default=REPO / "data" / "bench_auto.json")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every item chosen wrongly")
    args = parser.parse_args()
    cache: dict[str, dict[str, float | bool | int]] = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    started = time.time()
    found = items(args.data, args.renders)
    print(f"{len(found)} items ({time.time() - started:.0f} s to find or render)")
    rows = []
    for k, item in enumerate(found, 1):
        key = str(item.path)
        if key not in cache:
            cache[key] = measure(item)
            if k % 20 == 0:
                args.cache.write_text(json.dumps(cache))
                print(f"  {k}/{len(found)} measured ({time.time() - started:.0f} s)", flush=True)
        rows.append((item, cache[key]))
    args.cache.write_text(json.dumps(cache))

    tune = [(i, m) for i, m in rows if i.part == "tune"]
    print("\ntuning part: chord share by truth (min / median / max)")
    for truth in ("melody", "pitched"):
        shares = [float(m["chord_share"]) for i, m in tune if i.truth == truth and not m["drums"]]
        if shares:
            print(f"  {truth:8s} n={len(shares):3d}  {min(shares):.3f} / {np.median(shares):.3f} / {max(shares):.3f}")
    lowest = sorted(
        (float(m["chord_share"]), i.name) for i, m in tune if i.truth == "pitched" and int(m["notes"]) >= MIN_LINE_NOTES
    )[:6]  # fewer notes are pitched whatever their share
    print("  lowest pitched tuning items: " + ", ".join(f"{name} {share:.3f}" for share, name in lowest))
    print(f"  shipped threshold {MAX_LINE_CHORD_SHARE} (MARGIN {MARGIN} of the lowest chord part's, in hundredths)")
    table(tune, MAX_LINE_CHORD_SHARE, "tuning part")
    held = [(i, m) for i, m in rows if i.part == "held-out"]
    table(held, MAX_LINE_CHORD_SHARE, "held-out part")
    if args.verbose:
        for item, m in held:
            got = choose(m, MAX_LINE_CHORD_SHARE)
            if got != item.truth:
                print(
                    f"  {item.group}: {item.name} [{item.truth}] -> {got} (chord share {float(m['chord_share']):.3f})"
                )


if __name__ == "__main__":
    main()
