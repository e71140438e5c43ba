#!/usr/bin/env python3
"""Tonal balance on held-out songs: injected EQ faults found, with the right numbers; clean stems left alone.

On every song of the held-out sets (bench/mixing_songs.py's FluidR3 renderings; the role curves in
models/role_spectra.json were learned on TimGM6mb and MuseScore General Lite renderings), each
eligible stem in turn gets one fault, applied with pedalboard to the stem as suggest() prepares it:

  mud    +8 dB bell (RBJ peaking, Q 1.0) at 280 Hz    on keys, guitar, pad        expect a cut of 8 dB near 280 Hz
  harsh  +8 dB bell, Q 1.0, at 3.5 kHz                 on lead, guitar, keys, vocals   expect a cut of 8 dB near 3.5 kHz
  dull   -10 dB high shelf (Q 0.707) at 6 kHz          on pitched stems with energy   expect a high-shelf boost of
                                                       above 6 kHz (DULL_MIN_DB)      10 dB near 6 kHz

and is measured as suggest() measures it (prepare_tracks + analyse_track) and judged by
ai.mixing.tonal.tonal_findings. Figures per fault:

  found (problem)   a tonal finding of priority medium or high on that track that moves the right
                    way (a cut for mud/harsh, a boost for dull) with its centre or corner within
                    an octave of the fault;
  found (any)       the same at any priority (a "low" note counts);
  numbers           a finding on that track (medium/high; and at any priority) with its frequency
                    within 1/3 octave and its gain within 3 dB of the expected move (for dull: a
                    high shelf);

and over the clean stems (no fault) and the clean mixes (sum of the stems, judged as "music" on
the mix bus): the share with a medium/high tonal finding, and with any.

The same three faults on the mix bus (applied to each song's clean mix, judged against the "music"
curve as suggest() judges the bus), and on a master matched to a reference: the faulted mix of each
song against the clean mix of the next song of its set (another groove, key and balance) through
ai.mixing.reference_match.reference_eq, as suggest() answers a reference upload. A matching move "finds" the
fault when it moves the right way within an octave of it, and has the numbers when it lies within
1/3 octave and 3 dB; the clean row counts the same moves between the two clean mixes (a move the
songs' difference alone calls for).

With --overlap it also prints how close each held-out stem is to its nearest training stem of the
same role (mean |difference| of the aligned tonal curves over the role's range), per training set:
how independent the held-out renderings are of the training ones.

Usage: bench/mixing_tonal.py [--data DIR ...] [--songs N] [--verbose] [--overlap]   (default: data/mixing)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pedalboard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.decode import decode_audio  # noqa: E402
from ai.mixing.auto_level import render_mix  # noqa: E402
from ai.mixing.eq_curves import GRID_HZ  # noqa: E402
from ai.mixing.findings import MIX_BUS, Suggestion  # noqa: E402
from ai.mixing.measure import PreparedTrack, TrackInput, TrackSpectra, analyse_track, prepare_tracks  # noqa: E402
from ai.mixing.reference_match import reference_eq  # noqa: E402
from ai.mixing.tonal import (  # noqa: E402
    RoleCurves,
    load_role_curves,
    move_deviation,
    tonal_curve,
    tonal_findings,
)

DEFAULT_SETS = ("data/mixing",)
PITCHED = ("guitar", "keys", "pad", "lead", "fx", "synth", "other", "vocals")
DULL_MIN_DB = -40.0
"""A stem has energy above 6 kHz when a third-octave band there holds at least 1/10000 of its
power (its tonal curve reaches -40 dB): a -10 dB shelf on less than that changes nothing audible."""
FREQ_TOLERANCE_OCT = 1.0 / 3.0
GAIN_TOLERANCE_DB = 3.0
REGION_OCT = 1.0
"""A finding "moves the right way in the right region" when its centre is within an octave."""


@dataclass(frozen=True)
class Fault:
    name: str
    roles: tuple[str, ...]
    kind: str  # "bell" or "high_shelf"
    freq_hz: float
    gain_db: float
    q: float

    def apply(self, samples: np.ndarray, sr: int) -> np.ndarray:
        plugin = (
            pedalboard.PeakFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)
            if self.kind == "bell"
            else pedalboard.HighShelfFilter(cutoff_frequency_hz=self.freq_hz, gain_db=self.gain_db, q=self.q)
        )
        return pedalboard.Pedalboard([plugin])(samples, sr)

    @property
    def expected_gain_db(self) -> float:
        return -self.gain_db


FAULTS = (
    Fault("mud", ("keys", "guitar", "pad"), "bell", 280.0, 8.0, 1.0),
    Fault("harsh", ("lead", "guitar", "keys", "vocals"), "bell", 3500.0, 8.0, 1.0),
    Fault("dull", PITCHED, "high_shelf", 6000.0, -10.0, 0.707),
)


@dataclass
class Tally:
    cases: list[dict] = field(default_factory=list)

    def share(self, key: str) -> str:
        if not self.cases:
            return "n/a"
        hits = sum(1 for c in self.cases if c[key])
        return f"{hits / len(self.cases):6.1%} ({hits}/{len(self.cases)})"


def _octaves(a: float, b: float) -> float:
    return abs(math.log2(a / b))


def right_way(eq: dict, fault: Fault) -> bool:
    """An EQ move ({"type", "freq_hz", "gain_db", ...}) that answers ``fault``: the right sign within an octave."""
    return bool(
        np.sign(eq["gain_db"]) == np.sign(fault.expected_gain_db)
        and _octaves(eq["freq_hz"], fault.freq_hz) <= REGION_OCT
    )


def has_numbers(eq: dict, fault: Fault) -> bool:
    """...and within 1/3 octave and 3 dB of the move that undoes it (a high shelf for a shelf fault)."""
    return bool(
        right_way(eq, fault)
        and _octaves(eq["freq_hz"], fault.freq_hz) <= FREQ_TOLERANCE_OCT
        and abs(eq["gain_db"] - fault.expected_gain_db) <= GAIN_TOLERANCE_DB
        and (fault.kind == "bell" or eq["type"] == "high_shelf")
    )


def judge(findings: list[Suggestion], fault: Fault) -> dict:
    """Whether ``findings`` (of the faulted track) answer ``fault``, and how well."""
    tonal = [s for s in findings if s.type == "tonal" and s.action and s.action.get("kind") == "eq"]
    answers = [s for s in tonal if right_way(s.action["eq"], fault)]
    exact = [s for s in answers if has_numbers(s.action["eq"], fault)]
    problem = [s for s in answers if s.priority in ("medium", "high")]
    best = max(answers, key=lambda s: (s.priority != "low", s.confidence), default=None)
    return {
        "found_problem": bool(problem),
        "found_any": bool(answers),
        "numbers_problem": any(s.priority in ("medium", "high") for s in exact),
        "numbers_any": bool(exact),
        "move": best.action["eq"] if best else None,
        "priority": best.priority if best else None,
    }


def judge_moves(moves: list[dict], fault: Fault) -> dict:
    """Whether a reference matching curve (``reference_eq``'s moves) answers ``fault``."""
    return {
        "found_any": any(right_way(m, fault) for m in moves),
        "numbers_any": any(has_numbers(m, fault) for m in moves),
    }


def eligible(fault: Fault, role: str, curve: np.ndarray) -> bool:
    if role not in fault.roles:
        return False
    if fault.name == "dull":
        high = curve[np.greater_equal(GRID_HZ, fault.freq_hz)]
        return bool(np.isfinite(high).any() and np.nanmax(high) >= DULL_MIN_DB)
    return True


def run(sets: list[Path], songs_per_set: int | None, verbose: bool) -> dict:
    curves = load_role_curves()
    tallies = {f.name: Tally() for f in FAULTS}
    clean_stems: list[dict] = []
    clean_mixes: list[dict] = []
    bus = {f.name: Tally() for f in FAULTS}
    matched = {f.name: Tally() for f in FAULTS}
    matched_clean = {f.name: Tally() for f in FAULTS}
    started = time.time()
    for root in sets:
        songs = json.loads((root / "songs.json").read_text())[:songs_per_set]
        mixes: list[tuple[str, PreparedTrack, TrackSpectra]] = []
        for song in songs:
            inputs = [
                TrackInput(s["name"], decode_audio(root / s["file"], name=s["name"]), s["role"]) for s in song["stems"]
            ]
            prepared = prepare_tracks(inputs)
            for track in prepared:
                analysis = analyse_track(track)
                if analysis.measurement.integrated_lufs is None:
                    continue
                spectra = analysis.spectra
                found = tonal_findings(
                    name=track.name, role=track.role, spectrum=spectra.spectrum, freqs=spectra.freqs, curves=curves
                )
                clean_stems.append(
                    {
                        "where": f"{root.name}/{song['song']}/{track.name}",
                        "role": track.role,
                        "problem": [s for s in found if s.priority in ("medium", "high")],
                        "any": found,
                    }
                )
                curve = tonal_curve(spectrum=spectra.spectrum, freqs=spectra.freqs)
                for fault in FAULTS:
                    if not eligible(fault, track.role, curve):
                        continue
                    faulted = PreparedTrack(
                        track.name, track.role, fault.apply(track.samples, track.sample_rate), track.sample_rate, 2
                    )
                    fs = analyse_track(faulted).spectra
                    after = tonal_findings(
                        name=track.name, role=track.role, spectrum=fs.spectrum, freqs=fs.freqs, curves=curves
                    )
                    role_curve = curves.for_role(track.role)
                    sizes = [
                        move_deviation(
                            curve=c, role_curve=role_curve, kind=fault.kind, freq_hz=fault.freq_hz, q=fault.q
                        )
                        if role_curve is not None
                        else float("nan")
                        for c in (curve, tonal_curve(spectrum=fs.spectrum, freqs=fs.freqs))
                    ]
                    case = judge(after, fault) | {
                        "where": f"{root.name}/{song['song']}/{track.name}",
                        "clean_deviation_db": sizes[0],
                        "faulted_deviation_db": sizes[1],
                    }
                    tallies[fault.name].cases.append(case)
            mix = PreparedTrack(
                "mix",
                "music",
                render_mix([p.samples for p in prepared], [0.0] * len(prepared)),
                prepared[0].sample_rate,
                2,
            )
            ms = analyse_track(mix).spectra
            found = tonal_findings(
                name="mix", role="music", spectrum=ms.spectrum, freqs=ms.freqs, curves=curves, track=MIX_BUS
            )
            clean_mixes.append(
                {
                    "where": f"{root.name}/{song['song']}",
                    "problem": [s for s in found if s.priority in ("medium", "high")],
                    "any": found,
                }
            )
            mixes.append((song["song"], mix, ms))
        _bus_and_reference(mixes, f"{root.name}", curves, bus, matched, matched_clean)

    def rate(items: list[dict], key: str) -> str:
        hits = sum(1 for c in items if c[key])
        return f"{hits / max(len(items), 1):6.1%} ({hits}/{len(items)})"

    # data/ may be a link out of the checkout (a git worktree): then the full path is shown.
    shown = ", ".join(str(s.relative_to(REPO)) if s.is_relative_to(REPO) else str(s) for s in sets)
    print(f"held-out sets: {shown}; {time.time() - started:.0f} s")
    print(f"role curves: {curves.source.get('folders')} ({curves.source.get('stems')} stems)")
    print()
    print(
        f"{'fault':6s} {'found (problem)':>20s} {'found (any)':>20s} {'numbers (problem)':>20s} {'numbers (any)':>20s}"
    )
    for fault in FAULTS:
        t = tallies[fault.name]
        print(
            f"{fault.name:6s} {t.share('found_problem'):>20s} {t.share('found_any'):>20s} "
            f"{t.share('numbers_problem'):>20s} {t.share('numbers_any'):>20s}"
        )
    every = [c for t in tallies.values() for c in t.cases]
    all_tally = Tally(every)
    print(
        f"{'all':6s} {all_tally.share('found_problem'):>20s} {all_tally.share('found_any'):>20s} "
        f"{all_tally.share('numbers_problem'):>20s} {all_tally.share('numbers_any'):>20s}"
    )
    print()
    print("mix bus (the fault on the whole mix, judged against the music curve):")
    for fault in FAULTS:
        t = bus[fault.name]
        print(
            f"{fault.name:6s} {t.share('found_problem'):>20s} {t.share('found_any'):>20s} "
            f"{t.share('numbers_problem'):>20s} {t.share('numbers_any'):>20s}"
        )
    print()
    print("master matched to a reference (the next song's clean mix): found (any move), numbers; clean: the same")
    print("moves between the two clean mixes")
    for fault in FAULTS:
        t, c = matched[fault.name], matched_clean[fault.name]
        print(
            f"{fault.name:6s} found {t.share('found_any'):>16s} numbers {t.share('numbers_any'):>16s}   "
            f"clean: found {c.share('found_any'):>16s} numbers {c.share('numbers_any'):>16s}"
        )
    print()
    print("the fault's own move fitted to the stem's (mix's) deviation from its role (music) curve (dB of excess;")
    print("dull: < 0), clean vs faulted, median [10th, 90th percentile]; the z-score divides by the spread there:")

    def spread(values: np.ndarray) -> str:
        p10, p50, p90 = np.nanpercentile(values, [10, 50, 90])
        return f"{p50:+6.1f} [{p10:+6.1f}, {p90:+6.1f}]"

    for label, table in (("stems", tallies), ("mix bus", bus)):
        for fault in FAULTS:
            cases = table[fault.name].cases
            if not cases:
                continue
            clean_dev = np.array([c["clean_deviation_db"] for c in cases])
            faulted_dev = np.array([c["faulted_deviation_db"] for c in cases])
            print(
                f"  {label:7s} {fault.name:6s} clean {spread(clean_dev)}   faulted {spread(faulted_dev)}   "
                f"(fault: {-fault.expected_gain_db:+.0f} dB)"
            )
    print()
    print(
        f"clean stems with a medium/high tonal finding: {rate(clean_stems, 'problem')}; with any: {rate(clean_stems, 'any')}"
    )
    print(
        f"clean mixes with a medium/high tonal finding: {rate(clean_mixes, 'problem')}; with any: {rate(clean_mixes, 'any')}"
    )
    if verbose:
        print()
        for fault in FAULTS:
            for c in tallies[fault.name].cases:
                print(f"  {fault.name:5s} {c['where']:40s} {c['priority'] or '-':6s} {c['move']}")
        for c in clean_stems + clean_mixes:
            for s in c["problem"]:
                print(f"  clean  {c['where']:40s} {s.priority:6s} {s.band:9s} {s.action['eq'] if s.action else None}")
    return {
        "faults": {f.name: tallies[f.name].cases for f in FAULTS},
        "clean_stems": len(clean_stems),
        "clean_problem": sum(1 for c in clean_stems if c["problem"]),
    }


def _bus_and_reference(
    mixes: list[tuple[str, PreparedTrack, TrackSpectra]],
    where: str,
    curves: RoleCurves,
    bus: dict[str, Tally],
    matched: dict[str, Tally],
    matched_clean: dict[str, Tally],
) -> None:
    """Each fault on each clean mix of one set: judged on the mix bus, and matched to the next song's clean mix."""
    music = curves.for_role("music")
    if music is None:
        raise SystemExit("the role curves have no 'music' curve: the mix bus cannot be judged")
    for i, (name, mix, clean) in enumerate(mixes):
        ref = mixes[(i + 1) % len(mixes)][2]
        clean_moves = reference_eq(ours=clean.spectrum, reference=ref.spectrum, freqs=ref.freqs)
        clean_curve = tonal_curve(spectrum=clean.spectrum, freqs=clean.freqs)
        for fault in FAULTS:
            faulted = PreparedTrack("mix", "music", fault.apply(mix.samples, mix.sample_rate), mix.sample_rate, 2)
            fs = analyse_track(faulted).spectra
            found = tonal_findings(
                name="mix", role="music", spectrum=fs.spectrum, freqs=fs.freqs, curves=curves, track=MIX_BUS
            )
            sizes = [
                move_deviation(curve=c, role_curve=music, kind=fault.kind, freq_hz=fault.freq_hz, q=fault.q)
                for c in (clean_curve, tonal_curve(spectrum=fs.spectrum, freqs=fs.freqs))
            ]
            bus[fault.name].cases.append(
                judge(found, fault)
                | {"where": f"{where}/{name}", "clean_deviation_db": sizes[0], "faulted_deviation_db": sizes[1]}
            )
            moves = reference_eq(ours=fs.spectrum, reference=ref.spectrum, freqs=ref.freqs)
            matched[fault.name].cases.append(judge_moves(moves, fault) | {"where": f"{where}/{name}", "moves": moves})
            matched_clean[fault.name].cases.append(judge_moves(clean_moves, fault) | {"where": f"{where}/{name}"})


def overlap(sets: list[Path]) -> None:
    """Nearest same-role training stem of every held-out stem, per training folder (see the docstring)."""
    from training.role_spectra import DEFAULT_FOLDERS, measure_folder

    cache = REPO / "data" / "cache" / "role_spectra"
    training = {Path(f).name: measure_folder(REPO / f, cache) for f in DEFAULT_FOLDERS}
    held = [s for root in sets for s in measure_folder(root, cache / "held_out") if s.role != "music"]

    def distance(a: np.ndarray, b: np.ndarray) -> float:
        both = np.isfinite(a) & np.isfinite(b) & (np.maximum(a, b) > np.nanmax(a) - 35.0)
        diff = (a - b)[both]
        return float(np.mean(np.abs(diff - np.median(diff)))) if diff.size else math.inf

    nearest = {
        name: np.array(
            [min((distance(h.curve, t.curve) for t in stems if t.role == h.role), default=math.inf) for h in held]
        )
        for name, stems in training.items()
    }
    names = list(nearest)
    closest = np.argmin(np.stack([nearest[n] for n in names]), axis=0)
    print()
    print(f"nearest same-role training stem of {len(held)} held-out stems (mean |curve difference|, dB):")
    for k, name in enumerate(names):
        finite = nearest[name][np.isfinite(nearest[name])]
        print(f"  {name:22s} median {np.median(finite):5.2f} dB; the nearest of all for {np.mean(closest == k):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="*", default=list(DEFAULT_SETS), help="held-out song folders")
    parser.add_argument("--songs", type=int, default=None, help="songs per set (default: all)")
    parser.add_argument("--verbose", action="store_true", help="list every case")
    parser.add_argument("--overlap", action="store_true", help="how close held-out stems are to training stems")
    args = parser.parse_args()
    sets = [(REPO / d).resolve() for d in args.data]
    run(sets, args.songs, args.verbose)
    if args.overlap:
        overlap(sets)


if __name__ == "__main__":
    main()
