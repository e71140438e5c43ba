#!/usr/bin/env python3
"""Render bench: the engine's moves applied and mastered, measured again, and how fast.

On songs the tuning never saw (data/mixing: MMA grooves rendered with FluidR3, seed 11) it prints:

1. Songs as rendered (MMA's own balance): each song rendered with every move (auto-level, EQ,
   compressor, pan, gain) and mastered to the target (streaming, -14 LUFS, -1 dBTP): render
   wall time, the master's integrated loudness against the target and its true peak (the
   engine's own BS.1770 measures), how many of the findings the render acted on are gone
   when ``suggest`` runs again on the rendered stems and master, and the problem findings the
   render made (``measured_after.new``: none of the song's problems before).
2. Injected faults: the same songs with four faults at once on four different stems, each a
   fault a render can fix: a 40 Hz rumble 6 dB under the stem's RMS (on a stem whose role ends
   above 40 Hz), a DC offset of 0.01, +8 dB (bell, Q 1.4) at 280 Hz on a keys or guitar stem
   (mud: found only when the tonal analysis is part of ``suggest``), and a stem 15 dB too loud.
   Per fault: found before on that stem, acted on by the render, gone after.
3. A session of 8 stems x 3 minutes (data/mixing_speed when it exists, else the held-out song with
   8 stems looped to 180 s), 44.1 kHz stereo, decoded beforehand: render wall time (suggest +
   processing + master + re-measure) as the median of ``--runs`` after one warm-up, the stages'
   times, CPU time, the machine's load average, and the master's loudness and true peak.

Usage: bench/mixing_render.py [--data data/mixing] [--songs N] [--target streaming] [--runs 3]
       [--only all|songs|faults|session]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pedalboard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.decode import DecodedAudio, decode_audio  # noqa: E402
from ai.mixing.measure import TrackInput  # noqa: E402
from ai.mixing.render import RenderResult, render_mix_report  # noqa: E402
from ai.mixing.suggest import suggest  # noqa: E402
from ai.mixing.targets import resolve_target  # noqa: E402

DATA = REPO / "data" / "mixing"
SPEED = REPO / "data" / "mixing_speed"
SESSION_SECONDS = 180.0
SESSION_STEMS = 8
RUMBLE_ROLES = ("guitar", "keys", "lead", "pad", "snare", "hihat")
"""Roles whose useful range ends above 40 Hz (ai.mixing.targets.ROLE_LOW_CUT_HZ): a 40 Hz tone there is rumble."""
MUD_ROLES = ("keys", "guitar")


def load_song(root: Path, song: dict) -> list[TrackInput]:
    return [
        TrackInput(stem["name"], decode_audio(root / stem["file"], name=stem["name"]), stem["role"])
        for stem in song["stems"]
    ]


def with_samples(track: TrackInput, samples: np.ndarray) -> TrackInput:
    return TrackInput(track.name, DecodedAudio(samples.astype(np.float32), track.audio.sample_rate), track.role)


def findings_on(report, track: str, kinds: tuple[str, ...], band: str | None = None) -> list:
    return [
        s
        for s in report.suggestions
        if not s.info and s.track == track and s.type in kinds and (band is None or s.band == band)
    ]


def summary_line(result: RenderResult, target_lufs: float) -> str:
    m = result.measured_after
    return (
        f"{m['integrated_lufs']:.2f} LUFS ({m['integrated_lufs'] - target_lufs:+.2f} LU), TP {m['true_peak_dbtp']:.2f} "
        f"dBTP, acted on {m['acted_on']}, gone {len(m['gone'])}, remaining {len(m['remaining'])}"
    )


# ------------------------------------------------------------------------------------------------


def bench_songs(songs: list[tuple[dict, list[TrackInput]]], target: str) -> None:
    resolved = resolve_target(target)
    print(
        f"\n== Songs as rendered, every move applied, mastered to {resolved.name} ({resolved.lufs:g} LUFS, -1 dBTP) =="
    )
    deviations, peaks, times = [], [], []
    gone_by_type: Counter[str] = Counter()
    remaining_by_type: Counter[str] = Counter()
    new_by_type: Counter[str] = Counter()
    for song, tracks in songs:
        start = time.perf_counter()
        result = render_mix_report(tracks=tracks, master_target=target)
        times.append(time.perf_counter() - start)
        m = result.measured_after
        deviations.append(m["integrated_lufs"] - resolved.lufs)
        peaks.append(m["true_peak_dbtp"])
        gone_by_type.update(g["type"] for g in m["gone"])
        remaining_by_type.update(r["type"] for r in m["remaining"])
        new_by_type.update(n["type"] for n in m.get("new", []))
        left = ", ".join(f"{r['type']}:{r['track']}" for r in m["remaining"])
        made = ", ".join(f"{n['type']}:{n['track']}" for n in m.get("new", []))
        print(
            f"{song['song']} {song['groove']:<10} {len(tracks)} stems {result.duration_s:5.1f} s  "
            f"{times[-1]:.2f} s  {summary_line(result, resolved.lufs)}  "
            f"score {m['mix_quality_score_before']} -> {m['mix_quality_score_after']}"
            + (f"  [left: {left}]" if left else "")
            + (f"  [new: {made}]" if made else "")
        )
    acted = sum(gone_by_type.values()) + sum(remaining_by_type.values())
    print(
        f"master loudness vs target: worst {max(deviations, key=abs):+.2f} LU, median "
        f"{statistics.median(deviations):+.3f} LU [goal: within 0.5]; true peak worst {max(peaks):.2f} dBTP "
        f"[goal <= -1.0]; render time median {statistics.median(times):.2f} s"
    )
    print(
        f"acted-on findings gone after the render: {sum(gone_by_type.values())}/{acted} "
        f"({100 * sum(gone_by_type.values()) / max(acted, 1):.1f}%); by type gone/acted: "
        + ", ".join(
            f"{kind} {gone_by_type[kind]}/{gone_by_type[kind] + remaining_by_type[kind]}"
            for kind in sorted(set(gone_by_type) | set(remaining_by_type))
        )
    )
    print(
        f"problem findings the render made (measured_after.new): {sum(new_by_type.values())} in {len(songs)} songs"
        + (" (" + ", ".join(f"{kind} {n}" for kind, n in sorted(new_by_type.items())) + ")" if new_by_type else "")
    )


def inject(tracks: list[TrackInput], rng: np.random.Generator) -> tuple[list[TrackInput], dict[str, str]]:
    """Four faults on four different stems (see the module docstring); returns the stems and stem -> fault."""
    out = list(tracks)
    faults: dict[str, str] = {}
    order = list(rng.permutation(len(tracks)))

    def pick(roles: tuple[str, ...] | None) -> int | None:
        for k in order:
            if tracks[k].name not in faults and (roles is None or tracks[k].role in roles):
                return int(k)
        return None

    plan = (("mud", MUD_ROLES), ("rumble", RUMBLE_ROLES), ("dc_offset", None), ("level", None))
    for fault, roles in plan:
        k = pick(roles)
        if k is None:
            continue
        samples = out[k].audio.samples.copy()
        sr = out[k].audio.sample_rate
        rms = float(np.sqrt(np.mean(samples**2)))
        if fault == "rumble":
            t = np.arange(samples.shape[1]) / sr
            samples += (0.5 * rms * np.sin(2 * np.pi * 40.0 * t)).astype(np.float32)
        elif fault == "dc_offset":
            samples += np.float32(0.01)
        elif fault == "mud":
            samples = pedalboard.PeakFilter(cutoff_frequency_hz=280.0, gain_db=8.0, q=1.4)(samples, sr)
        elif fault == "level":
            samples *= np.float32(10 ** (15 / 20))
        out[k] = with_samples(out[k], samples)
        faults[out[k].name] = fault
    return out, faults


FAULT_FINDINGS = {
    "rumble": (("rumble",), None),
    "dc_offset": (("dc_offset",), None),
    "mud": (("tonal",), "mud"),
    "level": (("level",), None),
}
"""Injected fault -> the finding types (and band) that report it."""


def bench_faults(songs: list[tuple[dict, list[TrackInput]]], target: str, seed: int) -> None:
    print(f"\n== Injected faults (4 per song, on 4 stems), every move applied, mastered to {target} ==")
    rng = np.random.default_rng(seed)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for song, tracks in songs:
        faulty, faults = inject(tracks, rng)
        before = suggest(faulty, target=target)
        result = render_mix_report(tracks=faulty, report=before, master_target=target)
        after = result.report_after
        parts = []
        for name, fault in faults.items():
            kinds, band = FAULT_FINDINGS[fault]
            found = findings_on(before, name, kinds, band)
            left = findings_on(after, name, kinds, band) if after is not None else found
            acted = any(
                move["for"].get("type") in kinds
                for entry in result.applied
                if entry["track"] == name
                for move in entry["moves"]
                if "for" in move
            ) or (fault == "level" and bool(found))
            counts[fault]["injected"] += 1
            counts[fault]["found"] += bool(found)
            counts[fault]["acted"] += bool(found) and acted
            counts[fault]["gone"] += bool(found) and acted and not left
            parts.append(
                f"{fault}@{name}: {'found' if found else 'missed'}"
                + (f", {'gone' if not left else 'LEFT'}" if found else "")
            )
        print(f"{song['song']} {song['groove']:<10} " + "; ".join(parts))
    for fault, c in counts.items():
        print(
            f"{fault:<9} injected {c['injected']:>2}  found before {c['found']:>2}  acted on {c['acted']:>2}  "
            f"gone after {c['gone']:>2} ({100 * c['gone'] / max(c['acted'], 1):.0f}% of those acted on)"
        )


def session_tracks(data: Path) -> tuple[list[TrackInput], str]:
    """8 stems of 3 minutes: data/mixing_speed's song, or the held-out song with 8 stems looped to 180 s."""
    if (SPEED / "songs.json").exists():
        song = json.loads((SPEED / "songs.json").read_text())[0]
        return load_song(SPEED, song)[:SESSION_STEMS], f"{SPEED.name}/{song['song']}"
    index = json.loads((data / "songs.json").read_text())
    song = next(s for s in index if len(s["stems"]) >= SESSION_STEMS)
    tracks = load_song(data, song)[:SESSION_STEMS]
    looped = []
    for track in tracks:
        sr = track.audio.sample_rate
        n = int(SESSION_SECONDS * sr)
        reps = int(np.ceil(n / track.audio.n_samples))
        looped.append(with_samples(track, np.tile(track.audio.samples, (1, reps))[:, :n]))
    return looped, f"{data.name}/{song['song']} looped to {SESSION_SECONDS:.0f} s"


def bench_session(data: Path, target: str, runs: int) -> None:
    tracks, label = session_tracks(data)
    resolved = resolve_target(target)
    durations = [t.audio.duration_s for t in tracks]
    render_mix_report(tracks=tracks, master_target=target)  # warm-up (numba kernels, caches)
    load_before = os.getloadavg()[0]
    times, cpu, results = [], [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        results.append(render_mix_report(tracks=tracks, master_target=target))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"\n== Session: {len(tracks)} stems of {min(durations):.0f}-{max(durations):.0f} s ({label}), "
        f"{tracks[0].audio.sample_rate} Hz stereo, decoded beforehand, {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before / {os.getloadavg()[0]:.1f} after =="
    )
    stages = {key: statistics.median(r.timings_s.get(key, 0.0) for r in results) for key in results[0].timings_s}
    print(
        f"render (suggest + processing + master + re-measure): median {statistics.median(times):.2f} s wall "
        f"(runs {', '.join(f'{t:.2f}' for t in times)}) [goal < 18 s, 10x real time]; CPU median "
        f"{statistics.median(cpu):.2f} s; stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items())
    )
    result = results[-1]
    print(f"master: {summary_line(result, resolved.lufs)}; limiter passes {result.master['passes']}")
    identical = all(np.array_equal(results[0].samples, r.samples) for r in results[1:])
    print(f"same stems, same samples across the {runs} runs: {identical}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="held-out songs built by bench/mixing_songs.py")
    parser.add_argument("--songs", type=int, default=16)
    parser.add_argument("--target", default="streaming")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--only", choices=("all", "songs", "faults", "session"), default="all")
    args = parser.parse_args()
    index_file = args.data / "songs.json"
    if not index_file.exists():
        sys.exit(f"{index_file} is missing: run bench/mixing_songs.py first")
    songs = []
    if args.only in ("all", "songs", "faults"):
        index = json.loads(index_file.read_text())[: args.songs]
        songs = [(song, load_song(args.data, song)) for song in index]
    if args.only in ("all", "songs"):
        bench_songs(songs, args.target)
    if args.only in ("all", "faults"):
        bench_faults(songs, args.target, args.seed)
    if args.only in ("all", "session"):
        bench_session(args.data, args.target, args.runs)


if __name__ == "__main__":
    main()
