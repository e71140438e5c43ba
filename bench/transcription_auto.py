#!/usr/bin/env python3
"""``instrument=auto``: does it choose drums, melody (one line) or pitched (polyphonic) as a musician would?

Each recording goes through what ``/transcribe?instrument=auto`` does (``ai.transcription.auto_instrument``): the
analysis (drums alone?), then the polyphonic notes' :func:`together_share` (notes that started together sounding
together) and :func:`three_share` (three notes at a time). The measures are cached, the thresholds are chosen on the
tuning part and the confusion table printed for both parts.

Groups (truth in brackets):

- sung-like tunes: bench/melody_transcription.py's renders (data/melody_transcription; voice, flute, horns,
  synth leads, vibrato and scoops) [melody]; its ``tune`` split tunes, ``held-out`` scored;
- piano chorales: bench/transcription.py's (its tuning chorales through FluidR3 tune; the dev list's 12 through
  FluidR3, TimGM6mb and sf_GMbank are scored) [pitched];
- band stems: bench/transcription.py's MMA stems (its tuning songs tune, its 6 scored songs scored) [melody where
  the stem's MIDI, read by the measures auto reads, has notes that started together sounding together and three
  notes together each under 5 % of its sounding time (bass lines, leads, a bass whose notes ring into the next),
  else pitched];
- drum stems and their mixes with the band: training/drum_transcription.py's test renders (kits never trained on;
  ``--stage render --splits test``) [drums; the mixes pitched], all scored (nothing here is tuned on them);
- real: data/real_notes (vocadito singing, Filosax saxophone, TONAS flamenco singing [melody]; a MAESTRO piano
  excerpt, a Dagstuhl ChoirSet quartet [pitched]) and data/real's tiny items (librosa's trumpet, essentia's two
  tenor saxophones [melody]; BRID's percussion [drums]; madmom's sample, essentia's techno loop, the Beatles,
  Queen, a Gloria, a jazz trio, electronic clips [pitched]), all scored.

A piano chord part made one line loses notes, so the thresholds (auto_instrument.MAX_TOGETHER_SHARE,
MAX_THREE_SHARE) sit between the tuning part's highest sung-like tune and its lowest chord parts, which the script
prints (session 36 read them by hand: a trance pad and an FX stem that basic-pitch hears as a line, 0.0 on both,
are made one line whatever the thresholds); a monophonic stem called pitched loses nothing (its ghost notes stay)
and counts as an error all the same.

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
from ai.transcription import drums  # noqa: E402
from ai.transcription.auto_instrument import (  # noqa: E402
    MAX_THREE_SHARE,
    MAX_TOGETHER_SHARE,
    MIN_LINE_NOTES,
    chord_share,
    three_share,
    together_share,
)
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
    """melody where the stem's MIDI (the measures auto reads, on the notes as written) has notes that started together
    sounding together, and three notes together, each under LINE_SHARE of its sounding time, else pitched. (Session
    36 read two notes together at all, chord_share: a PopBallad bass whose written notes ring 0.15-0.26 s into the
    next was pitched by it; every other stem is as it was.)"""
    notes = [n for inst in pretty_midi.PrettyMIDI(str(midi)).instruments for n in inst.notes]
    return "melody" if together_share(notes) < LINE_SHARE and three_share(notes) < LINE_SHARE else "pitched"


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
    return {
        "drums": drums,
        "chord_share": chord_share(notes),
        "together_share": together_share(notes),
        "three_share": three_share(notes),
        "notes": len(notes),
        "line_notes": len(line),
        "drum_hits": drum_hits(item.path) if not drums and not notes else 0,
    }


def drum_hits(path: Path) -> int:
    """The drum model's hits in a file where no pitched note was heard (auto then answers them)."""
    summary = summarize_file(path, name=path.name)
    return len(drums.hits_of(drums.drum_features(summary.y), signal=summary.y)) if np.any(summary.y) else 0


Thresholds = tuple[float, float]
"""(most together_share, most three_share) of one line."""
SHIPPED: Thresholds = (MAX_TOGETHER_SHARE, MAX_THREE_SHARE)


def choose(m: dict[str, float | bool | int], threshold: Thresholds) -> str:
    if m["drums"] or (int(m["notes"]) == 0 and int(m["drum_hits"]) > 0):
        return "drums"
    line = float(m["together_share"]) <= threshold[0] and float(m["three_share"]) <= threshold[1]
    return "melody" if int(m["notes"]) >= MIN_LINE_NOTES and line else "pitched"


def table(rows: list[tuple[Item, dict[str, float | bool | int]]], threshold: Thresholds, title: str) -> None:
    counts: dict[tuple[str, str], defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item, m in rows:
        counts[(item.group, item.truth)][choose(m, threshold)] += 1
    print(f"\n{title} (together share <= {threshold[0]:.3f} and three share <= {threshold[1]:.3f} is one line)")
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
        if "together_share" not in cache.get(key, {}):  # not measured, or before session 36's second measures
            cache[key] = measure(item)
        elif "drum_hits" not in cache[key]:  # measured before the no-note fallback to the drum model
            cache[key]["drum_hits"] = drum_hits(item.path) if not cache[key]["drums"] and not cache[key]["notes"] else 0
            if k % 20 == 0:
                args.cache.write_text(json.dumps(cache))
                print(f"  {k}/{len(found)} measured ({time.time() - started:.0f} s)", flush=True)
        rows.append((item, cache[key]))
    args.cache.write_text(json.dumps(cache))

    tune = [(i, m) for i, m in rows if i.part == "tune"]
    print("\ntuning part: measures by truth (min / median / max)")
    for measure_name in ("chord_share", "together_share", "three_share"):
        for truth in ("melody", "pitched"):
            shares = [float(m[measure_name]) for i, m in tune if i.truth == truth and not m["drums"]]
            if shares:
                print(
                    f"  {measure_name:15s} {truth:8s} n={len(shares):3d}  "
                    f"{min(shares):.3f} / {np.median(shares):.3f} / {max(shares):.3f}"
                )
    chords = [(i, m) for i, m in tune if i.truth == "pitched" and int(m["notes"]) >= MIN_LINE_NOTES]
    for measure_name, other, limit in (("together_share", "three_share", 1), ("three_share", "together_share", 0)):
        # the lowest chord parts by one measure among those the other measure alone would call one line
        lowest = sorted((float(m[measure_name]), i.name) for i, m in chords if float(m[other]) <= SHIPPED[limit])[:6]
        print(
            f"  lowest {measure_name} of chord parts with {other} <= {SHIPPED[limit]}: "
            + ", ".join(f"{name} {share:.3f}" for share, name in lowest)
        )
    print(f"  shipped thresholds: together share {MAX_TOGETHER_SHARE}, three share {MAX_THREE_SHARE}")
    table(tune, SHIPPED, "tuning part")
    held = [(i, m) for i, m in rows if i.part == "held-out"]
    table(held, SHIPPED, "held-out part")
    if args.verbose:
        for item, m in held:
            got = choose(m, SHIPPED)
            if got != item.truth:
                print(
                    f"  {item.group}: {item.name} [{item.truth}] -> {got} (together share "
                    f"{float(m['together_share']):.3f}, three share {float(m['three_share']):.3f}, chord share "
                    f"{float(m['chord_share']):.3f}, {m['notes']} notes)"
                )


if __name__ == "__main__":
    main()
