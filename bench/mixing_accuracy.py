#!/usr/bin/env python3
"""Mixing bench: auto-level gain invariance and balance, fault detection, speed, on MMA multitracks.

The songs are MMA accompaniments rendered stem by stem with FluidSynth (bench/mixing_songs.py
builds them under data/mixing; the speed song, 8 stems of about 3 minutes, under
data/mixing_speed). Figures printed:

1. Gain invariance: every stem gets a random gain in +-12 dB; auto-level runs again; the final
   level of each stem (input gain + auto-level gain) is compared with the unperturbed run.
2. Balance: the stems at auto-level's gains and pans are measured again; each role's loudness
   (the role's tracks summed) relative to the others is compared with the documented targets
   (ROLE_BALANCE_LU), and the summed mix's true peak with the -1 dBTP ceiling.
3. Fault detection. The clean starting point is each song at auto-level's gains (a balanced mix;
   the raw renders carry MMA's own, very different, balance). One fault at a time is injected
   into one stem, and suggest() runs on the whole song:
     rumble    a 40 Hz sine 12 dB under the stem's RMS, into a stem whose role ends above 40 Hz
               (guitar, keys, lead, pad, snare, hi-hat: a kick's or a bass's 40 Hz is music);
     clipping  the stem driven 6-12 dB into hard clipping at full scale;
     boost     the bass boosted 12 dB (bell, Q 1) at the kick's fundamental (songs with both);
     level     the stem made 15 dB louder;
     dc        a DC offset of 0.01 (-40 dBFS) added to the stem.
   Found = a finding of that type on that stem (for the boost: a masking finding naming the kick
   and the boosted bass, in the sub or low band). False findings = clean stems that get a finding
   of one of these five types. A diagnostic splits the boosts by how much of the bass's energy
   lay within a third of an octave of the kick's fundamental before the boost (a bass that plays
   nothing there has nothing for the boost to raise); the figure itself counts every boost.
4. Speed: suggest() and auto_level() on the 8 stems of about 3 minutes, decoded beforehand,
   after one warm-up run: median of 7 runs, wall time and CPU time (all threads), with the
   machine's load average (the wall time on a shared machine depends on it).

Usage: bench/mixing_accuracy.py [--songs N] [--seed S] [--no-speed] [--data data/mixing]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.signal

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio import loudness  # noqa: E402
from ai.audio.decode import DecodedAudio, decode_audio  # noqa: E402
from ai.mixing.auto_level import auto_level, pan_gains  # noqa: E402
from ai.mixing.measure import TrackInput  # noqa: E402
from ai.mixing.roles import infer_role  # noqa: E402
from ai.mixing.suggest import suggest  # noqa: E402
from ai.mixing.targets import ROLE_BALANCE_LU, ROLE_LOW_CUT_HZ  # noqa: E402

DATA = REPO / "data" / "mixing"
SPEED = REPO / "data" / "mixing_speed"
FAULT_TYPES = ("clipping", "dc_offset", "rumble", "level", "masking")
DC_BLOCK_HZ = 5.0
AUDIBLE_BOOST_SHARE = 0.01
"""The boost diagnostic's split: basses with at least this share of their energy at the kick's
fundamental (a boost there has something to raise) and the others."""


def load_song(root: Path, song: dict) -> dict[str, DecodedAudio]:
    return {stem["name"]: decode_audio(root / stem["file"], name=stem["name"]) for stem in song["stems"]}


def as_tracks(stems: dict[str, DecodedAudio]) -> list[TrackInput]:
    return [TrackInput(name, audio) for name, audio in stems.items()]


def scaled(audio: DecodedAudio, gain_db: float) -> DecodedAudio:
    return DecodedAudio((audio.samples * np.float32(10 ** (gain_db / 20))).astype(np.float32), audio.sample_rate)


def peaking(audio: DecodedAudio, freq: float, gain_db: float, q: float) -> DecodedAudio:
    """RBJ peaking-EQ biquad."""
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * freq / audio.sample_rate
    alpha = math.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a_gain, -2 * math.cos(w0), 1 - alpha * a_gain])
    a = np.array([1 + alpha / a_gain, -2 * math.cos(w0), 1 - alpha / a_gain])
    out = scipy.signal.lfilter(b / a[0], a / a[0], audio.samples, axis=-1)
    return DecodedAudio(out.astype(np.float32), audio.sample_rate)


def mix_of(stems: dict[str, DecodedAudio], gains: dict[str, float], pans: dict[str, float]) -> np.ndarray:
    n = max(a.n_samples for a in stems.values())
    out = np.zeros((2, n), dtype=np.float32)
    for name, audio in stems.items():
        left, right = pan_gains(pans.get(name, 0.0))
        g = 10 ** (gains[name] / 20)
        s = audio.samples if audio.channels == 2 else np.repeat(audio.samples[:1], 2, axis=0)
        out[0, : s.shape[1]] += s[0] * np.float32(g * left)
        out[1, : s.shape[1]] += s[1] * np.float32(g * right)
    return out


# ------------------------------------------------------------------------------------------------


def bench_auto_level(songs: list[tuple[dict, dict[str, DecodedAudio]]], rng: np.random.Generator) -> None:
    print("\n== Auto-level: gain invariance (random +-12 dB per stem) ==")
    diffs, rel_diffs = [], []
    balance_dev, peaks, mix_lufs = [], [], []
    for song, stems in songs:
        base = auto_level(as_tracks(stems))
        perturb = {name: float(rng.uniform(-12, 12)) for name in stems}
        moved = auto_level(as_tracks({n: scaled(a, perturb[n]) for n, a in stems.items()}))
        final = {n: perturb[n] + moved.levels[n].gain_db - base.levels[n].gain_db for n in stems}
        centre = statistics.median(final.values())
        diffs += [abs(v) for v in final.values()]
        rel_diffs += [abs(v - centre) for v in final.values()]

        # Balance: re-measure each role group at the auto-level gains and pans.
        gains = {n: base.levels[n].gain_db for n in stems}
        pans = {n: base.levels[n].pan for n in stems}
        by_role: dict[str, list[str]] = defaultdict(list)
        for n in stems:
            by_role[base.levels[n].role].append(n)
        offsets = {}
        for role, names in by_role.items():
            group = mix_of({n: stems[n] for n in names}, gains, pans)
            lufs = loudness.integrated_loudness(y=group, sr=stems[names[0]].sample_rate)
            if lufs is not None:
                offsets[role] = lufs - ROLE_BALANCE_LU[role]
        anchor = statistics.median(offsets.values())
        balance_dev += [abs(v - anchor) for v in offsets.values()]
        full = mix_of(stems, gains, pans)
        sr = next(iter(stems.values())).sample_rate
        peaks.append(loudness.true_peak_dbtp(y=full, sr=sr))
        mix_lufs.append(loudness.integrated_loudness(y=full, sr=sr))
        worst = max(abs(v - centre) for v in final.values())
        print(
            f"{song['song']} {song['groove']:<10} stems {len(stems)}  invariance worst {worst:.3f} dB  "
            f"role balance worst {max(abs(v - anchor) for v in offsets.values()):.2f} LU  "
            f"mix {mix_lufs[-1]:.2f} LUFS, TP {peaks[-1]:.2f} dBTP  limited={base.limited_by_ceiling}"
        )
    print(
        f"gain invariance: |final level change| median {statistics.median(diffs):.3f} dB, worst {max(diffs):.3f} dB "
        f"(relative to the song's median: median {statistics.median(rel_diffs):.3f}, worst {max(rel_diffs):.3f}) "
        f"over {len(diffs)} stems [goal: median <= 1, worst <= 2]"
    )
    print(
        f"balance: role loudness vs targets median {statistics.median(balance_dev):.2f} LU, worst "
        f"{max(balance_dev):.2f} LU over {len(balance_dev)} role groups [goal: within 1 LU]"
    )
    print(
        f"summed mix true peak: worst {max(peaks):.2f} dBTP (ceiling -1.0); loudness median "
        f"{statistics.median(mix_lufs):.2f} LUFS (pre-master target -18)"
    )


def dc_blocked(audio: DecodedAudio) -> DecodedAudio:
    """The stem through a DC blocker (2nd-order Butterworth high-pass at 5 Hz, zero phase).

    Some FluidR3 samples carry a real offset (song05's FX stem: mean 0.0093 at an RMS of 0.019;
    song11's bass: 0.0011); the clean reference must not contain the fault the bench injects.
    """
    sos = scipy.signal.butter(2, DC_BLOCK_HZ, btype="highpass", fs=audio.sample_rate, output="sos")
    return DecodedAudio(scipy.signal.sosfiltfilt(sos, audio.samples, axis=-1).astype(np.float32), audio.sample_rate)


def balanced(stems: dict[str, DecodedAudio]) -> dict[str, DecodedAudio]:
    """The clean starting point: every stem DC-blocked, then set to auto-level's gains."""
    stems = {n: dc_blocked(a) for n, a in stems.items()}
    levels = auto_level(as_tracks(stems)).levels
    return {n: scaled(a, levels[n].gain_db) for n, a in stems.items()}


def fault_findings(report, kinds=FAULT_TYPES) -> list:
    """Problem findings of the fault types; advice marked ``info`` (not a problem) is left out."""
    return [s for s in report.suggestions if s.type in kinds and not s.info]


def bench_faults(songs: list[tuple[dict, dict[str, DecodedAudio]]], rng: np.random.Generator, per_song: int) -> None:
    print("\n== Fault detection (one injected fault per run, clean start = balanced stems) ==")
    found: dict[str, list[bool]] = defaultdict(list)
    extra: dict[str, int] = defaultdict(int)
    clean_flagged = clean_flagged_serious = clean_total = clean_info = 0
    clean_details, info_details = [], []
    loud_masking: list[int] = []
    boost_moves: list[str] = []
    boost_bands: list[tuple[bool, float]] = []  # (found, share of the bass's energy at the kick's fundamental)
    misses = []
    for song, raw in songs:
        stems = balanced(raw)
        roles = {n: infer_role(n) for n in stems}
        clean = suggest(as_tracks(stems))
        flagged = {s.track for s in fault_findings(clean)} | {t for s in fault_findings(clean) for t in s.tracks}
        flagged &= set(stems)
        clean_flagged += len(flagged)
        serious = [s for s in fault_findings(clean) if s.priority != "low"]
        clean_flagged_serious += len(({s.track for s in serious} | {t for s in serious for t in s.tracks}) & set(stems))
        clean_total += len(stems)
        clean_details += [
            f"{song['song']}: {s.type} ({s.priority}) {s.track}: {s.message}" for s in fault_findings(clean)
        ]
        info = [s for s in clean.suggestions if s.type in FAULT_TYPES and s.info]
        clean_info += len(({s.track for s in info} | {t for s in info for t in s.tracks}) & set(stems))
        info_details += [f"{song['song']}: {s.type} (info) {s.track}: {s.message}" for s in info]

        names = list(stems)
        rumble_ok = [n for n in names if ROLE_LOW_CUT_HZ[roles[n]] >= 50]
        kicks = [n for n in names if roles[n] == "kick"]
        basses = [n for n in names if roles[n] == "bass"]
        cases: list[tuple[str, str]] = []
        for kind, pool in (("rumble", rumble_ok), ("clipping", names), ("level", names), ("dc_offset", names)):
            for name in rng.choice(pool, size=min(per_song, len(pool)), replace=False) if pool else []:
                cases.append((kind, str(name)))
        if kicks and basses:
            cases += [("boost", str(b)) for b in basses[:per_song]]
        for kind, name in cases:
            audio = stems[name]
            if kind == "rumble":
                rms = math.sqrt(float(np.mean(audio.samples.astype(np.float64) ** 2)))
                t = np.arange(audio.n_samples) / audio.sample_rate
                hum = (rms * 10 ** (-12 / 20) * math.sqrt(2) * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
                injected = DecodedAudio(audio.samples + hum, audio.sample_rate)
            elif kind == "clipping":
                peak = float(np.max(np.abs(audio.samples)))
                drive = 10 ** (rng.uniform(6, 12) / 20) / peak
                injected = DecodedAudio(np.clip(audio.samples * np.float32(drive), -1, 1), audio.sample_rate)
            elif kind == "level":
                injected = scaled(audio, 15.0)
            elif kind == "dc_offset":
                injected = DecodedAudio(audio.samples + np.float32(0.01), audio.sample_rate)
            else:  # boost
                kick_low = suggest_kick_peak(stems[kicks[0]])
                injected = peaking(audio, kick_low, 12.0, 1.0)
            report = suggest(as_tracks({**stems, name: injected}))
            if kind == "boost":
                hits = [
                    s
                    for s in report.suggestions
                    if s.type == "masking"
                    and name in s.tracks
                    and any(k in s.tracks for k in kicks)
                    and s.band in ("sub", "low")
                ]
                key = "boost (masking)"
                for s in hits[:1]:
                    boost_moves.append(
                        f"{song['song']} {name}: {s.band} {s.evidence['band_hz'][0]:.0f}-{s.evidence['band_hz'][1]:.0f} Hz, "
                        f"SMR {s.evidence['smr_db']:+.1f} dB, cut on {s.track} at {s.action['eq']['freq_hz']:.0f} Hz "
                        f"({s.action['eq']['gain_db']:+.0f} dB), {s.priority}"
                    )
            else:
                hits = [s for s in report.suggestions if s.type == kind and s.track == name]
                if kind == "level":
                    hits = [s for s in hits if s.evidence.get("deviation_db", 0) > 0]
                key = kind
            found[key].append(bool(hits))
            if kind == "boost":
                share, rise = band_change(audio, injected, kick_low)
                boost_bands.append((bool(hits), share))
            if not hits:
                detail = ""
                if kind == "boost":
                    detail = (
                        f": {100 * share:.1f}% of the bass's energy was within a third of an octave of the kick's "
                        f"{kick_low:.0f} Hz, the boost raised it there by {rise:.1f} dB"
                    )
                misses.append(f"{song['song']} {key} on {name} ({roles[name]}){detail}")
            # Findings of the five kinds on other stems than the injected one (and not in the clean run).
            others = {(s.type, s.track) for s in fault_findings(report) if name not in s.tracks and s.track != name} - {
                (s.type, s.track) for s in fault_findings(clean)
            }
            extra[key] += len(others)
            if kind == "level":
                loud_masking.append(sum(1 for s in fault_findings(report, ("masking",)) if name in s.tracks))
    for key, results in found.items():
        print(
            f"{key:<16} found {sum(results)}/{len(results)} = {100 * sum(results) / len(results):.1f}%   "
            f"new findings on other stems: {extra[key]}"
        )
    if loud_masking:
        print(
            f"  (the +15 dB stem also named by masking findings: {sum(1 for n in loud_masking if n)}/{len(loud_masking)} "
            f"runs, {sum(loud_masking)} findings in all)"
        )
    for line in boost_moves:
        print("  boost found:", line)
    audible = [hit for hit, share in boost_bands if share >= AUDIBLE_BOOST_SHARE]
    if boost_bands:
        # A diagnostic beside the figure above, not a change of it: a bass with (next to) nothing
        # at the kick's fundamental has nothing there for a boost to raise.
        print(
            f"  boosts on basses with >= {100 * AUDIBLE_BOOST_SHARE:.0f}% of their energy within a third of an octave "
            f"of the kick's fundamental: found {sum(audible)}/{len(audible)}; on the others: "
            f"{sum(hit for hit, share in boost_bands if share < AUDIBLE_BOOST_SHARE)}/{len(boost_bands) - len(audible)}"
        )
    for found_it in (True, False):
        shares = sorted(100 * share for hit, share in boost_bands if hit == found_it)
        if shares:
            print(
                f"  boosts {'found' if found_it else 'missed'}: share of the bass's energy within a third of an "
                f"octave of the kick's fundamental before the boost {shares[0]:.1f}-{shares[-1]:.1f}% "
                f"(median {statistics.median(shares):.1f}%, {len(shares)} cases)"
            )
    total = sum(len(r) for r in found.values())
    hit = sum(sum(r) for r in found.values())
    print(f"all faults       found {hit}/{total} = {100 * hit / max(total, 1):.1f}% [goal >= 95%]")
    print(
        f"clean stems with a fault-type finding: {clean_flagged}/{clean_total} = "
        f"{100 * clean_flagged / max(clean_total, 1):.1f}% [goal <= 5%]"
    )
    print(
        f"  ... counting only medium/high priority findings: {clean_flagged_serious}/{clean_total} = "
        f"{100 * clean_flagged_serious / max(clean_total, 1):.1f}%"
    )
    print(
        f"  ... clean stems named by an info-only finding (an overlap of parts of equal rank, not counted): "
        f"{clean_info}/{clean_total}"
    )
    for line in clean_details[:16]:
        print("  clean finding:", line)
    for line in info_details[:8]:
        print("  clean info:", line)
    for line in misses[:20]:
        print("  missed:", line)


def band_change(before: DecodedAudio, after: DecodedAudio, centre_hz: float) -> tuple[float, float]:
    """(share of ``before``'s energy within a third of an octave of ``centre_hz``, dB by which
    ``after`` is louder there): how much a boost at the kick's fundamental had to work on."""

    def spectrum(audio: DecodedAudio) -> tuple[np.ndarray, np.ndarray]:
        power = np.abs(np.fft.rfft(audio.samples.astype(np.float64), axis=-1)) ** 2
        return np.fft.rfftfreq(audio.n_samples, 1.0 / audio.sample_rate), power.sum(axis=0)

    freqs, p0 = spectrum(before)
    _, p1 = spectrum(after)
    band = (freqs >= centre_hz * 2 ** (-1 / 6)) & (freqs < centre_hz * 2 ** (1 / 6))
    e0, e1 = float(p0[band].sum()), float(p1[band].sum())
    return e0 / max(float(p0.sum()), 1e-30), 10 * math.log10(max(e1, 1e-30) / max(e0, 1e-30))


def suggest_kick_peak(audio: DecodedAudio) -> float:
    from ai.mixing.measure import measure_track

    m = measure_track(audio, name="Kick", role="kick")
    return m.low_peak_hz or 60.0


def bench_roles(index: list[dict]) -> None:
    total = right = 0
    wrong = []
    for song in index:
        for stem in song["stems"]:
            total += 1
            guess = infer_role(stem["name"])
            right += guess == stem["role"]
            if guess != stem["role"]:
                wrong.append(f"{stem['name']}: {guess} (program says {stem['role']})")
    print(f"\n== Role inference from stem names: {right}/{total} agree with the GM program / drum notes ==")
    for line in sorted(set(wrong)):
        print("  ", line)


def bench_speed(runs: int = 7, data: Path = SPEED) -> None:
    index_file = data / "songs.json"
    if not index_file.exists():
        print(
            "\n== Speed: skipped (build with bench/mixing_songs.py --out data/mixing_speed --first 3 --songs 1 --bars 96)"
        )
        return
    song = json.loads(index_file.read_text())[0]
    stems = load_song(data, song)
    names = list(stems)[:8]
    stems = {n: stems[n] for n in names}
    durations = [a.duration_s for a in stems.values()]
    tracks = as_tracks(stems)
    suggest(tracks)  # warm-up (numba kernels, caches)
    load_before = os.getloadavg()[0]
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        suggest(tracks)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    level_times = []
    for _ in range(runs):
        start = time.perf_counter()
        auto_level(tracks)
        level_times.append(time.perf_counter() - start)
    print(
        f"\n== Speed: {len(stems)} stems of {min(durations):.0f}-{max(durations):.0f} s "
        f"({stems[names[0]].sample_rate} Hz stereo), decoded beforehand, {os.cpu_count()} cores, "
        f"load average {load_before:.1f} before / {os.getloadavg()[0]:.1f} after =="
    )
    print(
        f"suggest():    median {statistics.median(times):.2f} s wall (runs {', '.join(f'{t:.2f}' for t in times)}) "
        f"[goal <= 2 s]; CPU time (all threads) median {statistics.median(cpu):.2f} s"
    )
    print(
        f"auto_level(): median {statistics.median(level_times):.2f} s (runs {', '.join(f'{t:.2f}' for t in level_times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--per-song", type=int, default=2, help="stems per song and fault type")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--only", choices=("all", "faults", "speed"), default="all")
    parser.add_argument("--data", type=Path, default=DATA, help="songs built by bench/mixing_songs.py --out")
    args = parser.parse_args()
    index_file = args.data / "songs.json"
    if not index_file.exists():
        sys.exit(f"{index_file} is missing: run bench/mixing_songs.py first")
    index = json.loads(index_file.read_text())[: args.songs]
    songs = [(song, load_song(args.data, song)) for song in index] if args.only != "speed" else []
    # One generator per part, so that a part run alone (--only) draws the same cases as in a full run.
    rng = np.random.default_rng([args.seed, 0])
    fault_rng = np.random.default_rng([args.seed, 1])
    print(f"{len(songs)} songs, {sum(len(s) for _, s in songs)} stems from {args.data}")
    if args.only == "all":
        bench_roles(index)
        bench_auto_level(songs, rng)
    if args.only in ("all", "faults"):
        bench_faults(songs, fault_rng, args.per_song)
    if not args.no_speed and args.only in ("all", "speed"):
        # --only speed --data DIR: DIR is the speed session (a worktree has no data/ of its own).
        bench_speed(data=args.data if args.only == "speed" else SPEED)


if __name__ == "__main__":
    main()
