#!/usr/bin/env python3
"""Dynamics bench: over-compression and uncontrolled dynamics injected into held-out multitracks.

The songs are MMA accompaniments rendered stem by stem (bench/mixing_songs.py; the held-out sets
use FluidR3 GM, which the norms in models/role_dynamics.json never saw). Tracks are judged as
suggest() judges them: each stem with its true role, the sum of the song's drum stems (kick,
snare, hi-hats, drums) as a drum bus (role "drums") and the sum of all stems as the mix bus
(role "music"), at the tempo of the song's chart (as a project's manifest gives it).

Faults, one at a time (seeded):

* over-compression, on every drum stem, on the drum bus and on the mix bus: pedalboard's
  Compressor with a ratio of 10-20:1, attack 0.1-1 ms, release 30-100 ms and the threshold that
  takes the track's crest factor down by 6-8 dB (found by bisection), then makeup gain back to
  the track's own peak level.
* uncontrolled dynamics, on every lead, bass and keys stem: volume changes over consecutive
  sections of 2-8 s (uniform), alternately up and down by 7-10 dB (uniform), with 20 ms ramps:
  a loudness range of about 20 LU.

Figures printed:

1. found on the right track: an over_compressed / uncontrolled dynamics finding (any priority) on
   the injected track (each track is judged on its own, so the song's other tracks keep their
   clean findings, counted in 3);
2. for the uncontrolled faults, the suggested move (compressor or volume automation, whichever
   the finding gives), applied again here with apply_compressor / apply_automation (pedalboard
   for the compressor) and measured: the share that moves the loudness range at least 60 % of the
   way to the role's target; and the same for the compressor alone (suggest_compressor, whatever
   the finding chose);
3. clean tracks with a medium/high dynamics finding (every stem, drum bus and mix bus, untouched).

Usage: bench/mixing_dynamics.py [--data data/mixing] [--songs N] [--seed 12]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio import loudness  # noqa: E402
from ai.audio.decode import decode_audio  # noqa: E402
from ai.mixing.auto_level import render_mix  # noqa: E402
from ai.mixing.dynamics import dynamics_findings  # noqa: E402
from ai.mixing.dynamics_advice import CHECK_FRACTION, suggest_compressor  # noqa: E402
from ai.mixing.dynamics_measure import measure_dynamics  # noqa: E402
from ai.mixing.dynamics_norms import RoleDynamics, default_role_dynamics  # noqa: E402
from ai.mixing.dynamics_processing import apply_automation, apply_compressor  # noqa: E402
from ai.mixing.findings import MIX_BUS, Suggestion  # noqa: E402

DATA = REPO / "data" / "mixing"
DRUM_ROLES = ("kick", "snare", "hihat", "drums")
"""Stems that make the drum bus, and the stems over-compression is injected into."""
SWING_ROLES = ("lead", "bass", "keys")
"""Stems uncontrolled dynamics are injected into."""
DRUM_BUS = "Drum bus"
CREST_DROP_DB = (6.0, 8.0)
"""Crest-factor loss of an injected over-compression (issue 12: a drum bus squashed from 22 to 15 dB)."""
SQUASH_RATIO = (10.0, 20.0)
SQUASH_ATTACK_MS = (0.1, 1.0)
SQUASH_RELEASE_MS = (30.0, 100.0)
SWING_DB = (7.0, 10.0)
"""Size of an injected swing's section gains (dB), alternately up and down: a range of about 20 LU."""
SWING_SECTION_S = (2.0, 8.0)
SWING_RAMP_S = 0.02


def song_tracks(folder: Path, song: dict[str, Any]) -> tuple[list[tuple[str, str, np.ndarray]], int]:
    """[(name, role, samples (2, n))] of a song's stems, its drum bus and its mix bus; and the rate."""
    tracks = []
    sr = 0
    for stem in song["stems"]:
        audio = decode_audio(folder / stem["file"], name=stem["name"])
        samples = audio.samples if audio.samples.shape[0] == 2 else np.repeat(audio.samples[:1], 2, axis=0)
        tracks.append((stem["name"], stem["role"], np.ascontiguousarray(samples, dtype=np.float32)))
        sr = audio.sample_rate
    drums = [t[2] for t in tracks if t[1] in DRUM_ROLES]
    if len(drums) >= 2:
        tracks.append((DRUM_BUS, "drums", render_mix(drums, [0.0] * len(drums))))
    tracks.append(
        (MIX_BUS, "music", render_mix([t[2] for t in tracks if t[0] != DRUM_BUS], [0.0] * len(song["stems"])))
    )
    return tracks, sr


def _squash(
    samples: np.ndarray, sr: int, threshold_db: float, ratio: float, attack: float, release: float
) -> np.ndarray:
    board = pedalboard.Pedalboard(
        [pedalboard.Compressor(threshold_db=threshold_db, ratio=ratio, attack_ms=attack, release_ms=release)]
    )
    out = board(samples, sr)
    peak = float(np.abs(out).max())
    return (out * (float(np.abs(samples).max()) / peak)).astype(np.float32) if peak > 0 else out


def over_compress(samples: np.ndarray, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float]]:
    """``samples`` squashed by a fast, high-ratio compressor whose threshold takes CREST_DROP_DB off
    the crest factor (bisection on the threshold), made up to the original peak."""
    drop = float(rng.uniform(*CREST_DROP_DB))
    ratio = float(rng.uniform(*SQUASH_RATIO))
    attack = float(rng.uniform(*SQUASH_ATTACK_MS))
    release = float(rng.uniform(*SQUASH_RELEASE_MS))
    crest = loudness.crest_factor_db(y=samples, sr=sr) or 0.0
    peak_db = loudness.sample_peak_dbfs(y=samples, sr=sr) or 0.0
    low, high = peak_db - 60.0, peak_db
    for _ in range(12):
        mid = (low + high) / 2
        lost = crest - (loudness.crest_factor_db(y=_squash(samples, sr, mid, ratio, attack, release), sr=sr) or 0.0)
        if lost > drop:
            low = mid
        else:
            high = mid
    threshold = (low + high) / 2
    out = _squash(samples, sr, threshold, ratio, attack, release)
    lost = crest - (loudness.crest_factor_db(y=out, sr=sr) or 0.0)
    return out, {
        "threshold_db": threshold,
        "ratio": ratio,
        "attack_ms": attack,
        "release_ms": release,
        "crest_lost_db": lost,
    }


def swing(samples: np.ndarray, sr: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict[str, float]]]:
    """``samples`` with volume changes over consecutive SWING_SECTION_S sections: SWING_DB, alternately
    up and down (the first direction at random)."""
    n = samples.shape[1]
    sections = []
    start = 0.0
    sign = float(rng.choice([-1.0, 1.0]))
    while start < n / sr:
        end = min(n / sr, start + float(rng.uniform(*SWING_SECTION_S)))
        sections.append({"start_s": start, "end_s": end, "gain_db": sign * float(rng.uniform(*SWING_DB))})
        sign = -sign
        start = end
    times, gains = [0.0], [sections[0]["gain_db"]]
    for previous, section in zip(sections, sections[1:], strict=False):
        times += [section["start_s"] - SWING_RAMP_S / 2, section["start_s"] + SWING_RAMP_S / 2]
        gains += [previous["gain_db"], section["gain_db"]]
    times.append(n / sr)
    gains.append(sections[-1]["gain_db"])
    curve = 10 ** (np.interp(np.arange(n) / sr, times, gains) / 20)
    return (samples * curve.astype(np.float32)).astype(np.float32), sections


def findings_of(
    name: str, role: str, samples: np.ndarray, sr: int, bpm: float | None, norms: RoleDynamics
) -> list[Suggestion]:
    measure = measure_dynamics(samples=samples, sr=sr)
    return dynamics_findings(name=name, role=role, measure=measure, samples=samples, sr=sr, tempo_bpm=bpm, norms=norms)


def problems(findings: list[Suggestion], problem: str | None = None, *, serious: bool = False) -> list[Suggestion]:
    return [
        f
        for f in findings
        if f.type == "dynamics"
        and (problem is None or f.evidence.get("problem") == problem)
        and (not serious or f.priority in ("high", "medium"))
    ]


def moved(samples: np.ndarray, sr: int, action: dict[str, Any], before: float, target: float) -> float:
    """Share of the way to ``target`` that ``action`` (applied here) moves the loudness range."""
    if action["kind"] == "automation":
        out = apply_automation(samples=samples, sr=sr, sections=action["sections"])
    else:
        out = apply_compressor(samples=samples, sr=sr, compressor=action["compressor"])
    after = loudness.loudness_range(y=out, sr=sr)
    return (before - after) / (before - target) if after is not None and before > target else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--songs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    norms = default_role_dynamics()
    songs = json.loads((args.data / "songs.json").read_text())[: args.songs]
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    clean_flags: dict[str, list[bool]] = defaultdict(list)
    clean_flagged: list[str] = []
    stem_flags: list[bool] = []
    squash_found: dict[str, list[bool]] = defaultdict(list)
    squash_lost: list[float] = []
    squash_reached: list[bool] = []
    swing_found: dict[str, list[bool]] = defaultdict(list)
    swing_lra: list[float] = []
    action_ok: list[bool] = []
    action_kinds: dict[str, int] = defaultdict(int)
    compressor_ok: list[bool] = []
    compressor_moved: list[float] = []
    for song in songs:
        tracks, sr = song_tracks(args.data, song)
        bpm = float(song["bpm"])
        for name, role, samples in tracks:
            found = findings_of(name, role, samples, sr, bpm, norms)
            flagged = bool(problems(found, serious=True))
            clean_flags[role].append(flagged)
            if name not in (DRUM_BUS, MIX_BUS):
                stem_flags.append(flagged)
            if flagged:
                clean_flagged.append(
                    f"{song['song']}/{name} ({role}): " + "; ".join(f.message for f in problems(found))
                )
        for name, role, samples in tracks:
            if role in DRUM_ROLES or role == "music":
                squashed, info = over_compress(samples, sr, rng)
                squash_lost.append(info["crest_lost_db"])
                found = findings_of(name, role, squashed, sr, bpm, norms)
                kind = "mix bus" if role == "music" else "drum bus" if name == DRUM_BUS else role
                squash_found[kind].append(bool(problems(found, "over_compressed")))
                if info["crest_lost_db"] >= CREST_DROP_DB[0] - 1.0:
                    squash_reached.append(squash_found[kind][-1])
            if role in SWING_ROLES:
                swung, _ = swing(samples, sr, rng)
                measure = measure_dynamics(samples=swung, sr=sr)
                swing_lra.append(measure.lra_lu or 0.0)
                found = problems(
                    dynamics_findings(
                        name=name, role=role, measure=measure, samples=swung, sr=sr, tempo_bpm=bpm, norms=norms
                    ),
                    "uncontrolled",
                )
                swing_found[role].append(bool(found))
                target = norms.norm(role).measures["lra_lu"].median
                if found:
                    action = found[0].action
                    if action is None:
                        raise ValueError(f"{name}: an uncontrolled-dynamics finding without its compressor move")
                    action_kinds[action["kind"]] += 1
                    action_ok.append(moved(swung, sr, action, measure.lra_lu or 0.0, target) >= CHECK_FRACTION)
                advice = suggest_compressor(
                    samples=swung, sr=sr, measure=measure, target_lra_lu=target, tempo_bpm=bpm, norms=norms
                )
                share = moved(
                    swung, sr, {"kind": "compressor", "compressor": advice.compressor}, measure.lra_lu or 0.0, target
                )
                compressor_moved.append(share)
                compressor_ok.append(share >= CHECK_FRACTION)

    def pct(values: list[bool]) -> str:
        return f"{100.0 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})" if values else "   n/a"

    print(f"held-out songs: {len(songs)} from {args.data} (seed {args.seed}), {time.perf_counter() - started:.0f} s")
    print(
        f"\nover-compression injected: crest factor lowered by {statistics.median(squash_lost):.1f} dB (median; "
        f"{min(squash_lost):.1f}-{max(squash_lost):.1f})"
    )
    every = [v for values in squash_found.values() for v in values]
    print(f"  found on the right track: {pct(every)}")
    print(
        f"    where the injection took {CREST_DROP_DB[0] - 1.0:g} dB or more off the crest factor: {pct(squash_reached)}"
    )
    for kind, values in sorted(squash_found.items()):
        print(f"    {kind:9s} {pct(values)}")
    print(
        f"\nuncontrolled dynamics injected: loudness range {statistics.median(swing_lra):.1f} LU (median; "
        f"{min(swing_lra):.1f}-{max(swing_lra):.1f})"
    )
    every = [v for values in swing_found.values() for v in values]
    print(f"  found on the right track: {pct(every)}")
    for role, values in sorted(swing_found.items()):
        print(f"    {role:9s} {pct(values)}")
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(action_kinds.items()))
    print(
        f"  suggested move ({kinds}) applied here moves LRA >= {CHECK_FRACTION:.0%} of the way to the target: "
        f"{pct(action_ok)}"
    )
    print(
        f"  suggested compressor alone (suggest_compressor) applied with pedalboard, >= {CHECK_FRACTION:.0%}: "
        f"{pct(compressor_ok)}; median share of the way {statistics.median(compressor_moved):.2f}"
    )
    print(f"\nclean tracks with a medium/high dynamics finding: {pct([v for vs in clean_flags.values() for v in vs])}")
    print(f"  stems only (not the drum and mix buses): {pct(stem_flags)}")
    for role, values in sorted(clean_flags.items()):
        print(f"    {role:9s} {pct(values)}")
    for line in clean_flagged:
        print(f"    flagged: {line}")


if __name__ == "__main__":
    main()
