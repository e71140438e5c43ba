#!/usr/bin/env python3
"""Tracks that share a source (ai/mixing/shared_source.py): detection and false alarms.

Clean sessions: every song of the sets given (default data/mixing_nochorus, mixing_fresh13_fluid,
mixing_csound_nochorus: MMA songs rendered stem by stem, no two stems from one source), through
``shared_sources`` as suggest runs it: any polarity pair, duplicate or bounce there is a false alarm.

Built pairs (no real drum multitracks are at hand): per song and stem, a second "microphone" on it:
the stem at 0.3-1 x, through a random bell (+-4 dB, 100 Hz-4 kHz, Q 0.7-2) and with another stem's
bleed 20 dB under it, inverted 0-5 ms later (must be found, with the lag within 0.2 ms) and in the
same polarity 0.3-8 ms later (no polarity pair; a comb pair whose earlier track is the stem, its lag
within 0.1 ms of the delay, the comb gone once the stem is delayed by that lag as the render does).
Bounces: the stems summed at random gains (+-6 dB) and pans, half of them through a limiter
(pedalboard, -6 dB threshold); duplicates: a stem again at 0.5-1 x. Both added to the song: each
must be found, and nothing else left out. Any comb pair in a clean session is a false alarm.

The pair statistics (peak negative and positive correlations) are printed per class with --stats.

--balance: a bass DI and its amp (a bell, 0.8 x) 2, 5 and 8 ms later in each song's first 8 songs (the first set):
auto-level's balance with the pair summed lined up (as the render plays it) against the pair summed as it is
(`LevelItem.shift` 0): how much louder, against the other tracks, the render's lined-up bass group plays with the
unaligned balance's gains than with the lined-up balance's.

Usage: bench/shared_source.py [--data DIR ...] [--seed 29] [--stats] [--balance]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pedalboard
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.decode import DecodedAudio  # noqa: E402
from ai.mixing.auto_level import LevelItem, level_items, mix_loudness, pan_gains  # noqa: E402
from ai.mixing.channel_strip import Move, process_track  # noqa: E402
from ai.mixing.measure import TrackInput, prepare_tracks  # noqa: E402
from ai.mixing.shared_source import (  # noqa: E402
    COMB_HIGH_DB,
    COMB_MEDIUM_DB,
    COMB_MIN_LAG_MS,
    at_full_rate,
    comb_of,
    correlation_over_lags,
    polarity_of,
    reduce_track,
    shared_sources,
)
from ai.mixing.stem_measures import level_loudness  # noqa: E402

SETS = ("mixing_nochorus", "mixing_fresh13_fluid", "mixing_csound_nochorus")
COMB_DELAYS_MS = (0.3, 8.0)
"""Same-polarity pairs: a kick's inside and outside microphones (0.5-3 ms), a bass's DI and amp (1-8 ms)."""
COMB_LAG_TOLERANCE_MS = 0.1
"""A comb pair is found when its lag is within this of the delay built in (a notch at 5 kHz or higher left)."""


def load(path: Path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    x = x.T
    if x.shape[0] == 1:
        x = np.vstack([x, x])
    return np.ascontiguousarray(x[:2]), sr


def second_mic(
    stem: np.ndarray, bleed: np.ndarray, sr: int, rng: np.random.Generator, sign: float
) -> tuple[np.ndarray, float]:
    """The stem picked up again (see the module docstring): inverted 0-5 ms later, or in the same polarity
    COMB_DELAYS_MS later (one draw either way: the inverted pairs are those of Session 29)."""
    delay_ms = float(rng.uniform(0, 5) if sign < 0 else rng.uniform(*COMB_DELAYS_MS))
    d = int(round(delay_ms * sr / 1000))
    eq = pedalboard.PeakFilter(
        cutoff_frequency_hz=float(np.exp(rng.uniform(np.log(100), np.log(4000)))),
        gain_db=float(rng.uniform(-4, 4)),
        q=float(rng.uniform(0.7, 2)),
    )
    x = eq(stem, sr)
    out = np.zeros_like(stem)
    out[:, d:] = x[:, : stem.shape[1] - d]
    gain = float(rng.uniform(0.3, 1.0))
    n = min(stem.shape[1], bleed.shape[1])
    out *= sign * gain
    out[:, :n] += 0.1 * gain * bleed[:, :n]
    return out.astype(np.float32), d / sr * 1000


def _comb_stat(r: np.ndarray, rate: float) -> tuple[float, float, float]:
    """(positive peak, negative peak as a positive number, lag of the positive peak in ms) of a correlation."""
    k = int(np.argmax(r))
    return float(r[k]), float(max(-r.min(), 0.0)), (k - (len(r) - 1) // 2) / rate * 1000


def _priority(worst_db: float) -> str:
    return "high" if worst_db >= COMB_HIGH_DB else "medium" if worst_db >= COMB_MEDIUM_DB else "low"


def balance_of_lined_up_pairs(data: Path) -> None:
    """--balance (see the module docstring)."""
    errors = []
    for song in sorted(data.glob("song*"))[:8]:
        stems = {p.stem: load(p) for p in sorted(song.glob("*.wav"))}
        bass_name = next((k for k in stems if k.lower().startswith("bass")), None)
        if bass_name is None:
            continue
        bass, sr = stems.pop(bass_name)
        for delay_ms in (2.0, 5.0, 8.0):
            lag = int(round(delay_ms * sr / 1000))
            amp = np.float32(0.8) * pedalboard.PeakFilter(cutoff_frequency_hz=800, gain_db=3, q=1)(bass, sr)
            amp = np.concatenate([np.zeros((2, lag), np.float32), amp[:, :-lag]], axis=1)
            tracks = [TrackInput(k, DecodedAudio(v[0], v[1])) for k, v in stems.items()]
            tracks += [TrackInput("Bass DI", DecodedAudio(bass, sr)), TrackInput("Bass Amp", DecodedAudio(amp, sr))]
            prepared = prepare_tracks(tracks)
            found = shared_sources([p.name for p in prepared], [p.samples for p in prepared], sr)
            moved = found.shifts(sr)
            if "Bass DI" not in moved:
                print(f"{song.name} {delay_ms:.0f} ms: the pair was not found as a comb")
                continue
            items = [
                LevelItem(p.name, p.role, p.samples, level_loudness(p.samples, sr), False, moved.get(p.name, 0))
                for p in prepared
            ]
            group: dict[str, float] = {}
            for label, level_with in (("lined up", items), ("as is", [replace(i, shift=0) for i in items])):
                levels = level_items(level_with, sr).levels
                pair = [levels["Bass DI"], levels["Bass Amp"]]
                played = mix_loudness(
                    [bass, amp], [lv.gain_db for lv in pair], [lv.pan for lv in pair], sr, None, [moved["Bass DI"], 0]
                )
                others = [p for p in prepared if p.name not in ("Bass DI", "Bass Amp")]
                rest = mix_loudness(
                    [p.samples for p in others],
                    [levels[p.name].gain_db for p in others],
                    [levels[p.name].pan for p in others],
                    sr,
                )
                group[label] = float((played.integrated_lufs or 0.0) - (rest.integrated_lufs or 0.0))
            errors.append(group["as is"] - group["lined up"])
            print(
                f"{song.name} {delay_ms:.0f} ms: the render's bass group is {errors[-1]:+.2f} LU off the balance "
                "when the balance sums the pair as it is"
            )
    e = np.array(errors)
    print(
        f"pairs {len(e)}: the unaligned balance's error {e.min():+.2f} to {e.max():+.2f} LU, median {np.median(e):+.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, nargs="*", default=[REPO / "data" / s for s in SETS])
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--stats", action="store_true")
    parser.add_argument("--balance", action="store_true", help="the balance of a comb pair lined up or as it is")
    args = parser.parse_args()
    if args.balance:
        balance_of_lined_up_pairs(args.data[0])
        return
    rng = np.random.default_rng(args.seed)
    songs = [song for d in args.data for song in sorted(d.glob("song*")) if song.is_dir()]
    clean_sessions = clean_pairs = false_polarity = false_left_out = 0
    inverted = found = lag_ok = same = false_same = 0
    comb_found = comb_lag_ok = comb_gone = false_comb_clean = false_comb_inverted = 0
    comb_lag_errors: list[float] = []
    comb_priority = {"as_is": {"high": 0, "medium": 0, "low": 0}, "equal": {"high": 0, "medium": 0, "low": 0}}
    comb_stats: dict[str, list[tuple[float, float, float]]] = {"clean": [], "same": []}
    bounces = bounce_found = dups = dup_found = extra_left_out = 0
    stats: dict[str, list[tuple[float, float]]] = {"clean": [], "inverted": [], "same": []}
    seconds: list[float] = []
    for song in songs:
        files = sorted(song.glob("*.wav"))
        stems = [load(f)[0] for f in files]
        sr = load(files[0])[1]
        names = [f.stem for f in files]
        n = min(s.shape[1] for s in stems)
        stems = [np.ascontiguousarray(s[:, :n]) for s in stems]
        start = time.perf_counter()
        found_clean = shared_sources(names, stems, sr)
        seconds.append(time.perf_counter() - start)
        clean_sessions += 1
        clean_pairs += len(names) * (len(names) - 1) // 2
        false_polarity += len(found_clean.polarity)
        false_left_out += len(found_clean.left_out)
        for p in found_clean.polarity:
            print(f"  false polarity {song.parent.name}/{song.name}: {p}")
        for t in found_clean.left_out.values():
            print(f"  false left out {song.parent.name}/{song.name}: {t}")
        false_comb_clean += len(found_clean.comb)
        for c in found_clean.comb:
            print(f"  false comb {song.parent.name}/{song.name}: {c}")
        reduced = [reduce_track(s, sr) for s in stems]
        if args.stats:
            for i in range(len(stems)):
                for j in range(i + 1, len(stems)):
                    r = correlation_over_lags(reduced[i], reduced[j])
                    if r is not None:
                        stats["clean"].append((float(r[0].min()), float(r[0].max())))
                        comb_stats["clean"].append(_comb_stat(r[0], reduced[i].rate))
        for k, stem in enumerate(stems):
            bleed = stems[(k + 1) % len(stems)]
            for sign in (-1.0, 1.0):
                mic, delay = second_mic(stem, bleed, sr, rng, sign)
                rm = reduce_track(mic, sr)
                r = correlation_over_lags(reduced[k], rm)
                if r is None:
                    continue
                pair = polarity_of((names[k], names[k] + " 2"), reduced[k], rm, r)
                comb = comb_of((names[k], names[k] + " 2"), reduced[k], rm, sr, r)
                if comb is not None:  # its lag to the full rate, as shared_sources does
                    ordered = (stem, mic, reduced[k]) if comb.early == names[k] else (mic, stem, rm)
                    comb = at_full_rate(comb, *ordered)
                if args.stats:
                    stats["inverted" if sign < 0 else "same"].append((float(r[0].min()), float(r[0].max())))
                if sign < 0:
                    inverted += 1
                    if pair is not None:
                        found += 1
                        lag = pair.lag_ms if pair.flipped == names[k] + " 2" else -pair.lag_ms
                        lag_ok += abs(lag - delay) <= 0.2
                    else:
                        print(f"  missed inverted {song.parent.name}/{song.name} {names[k]} delay {delay:.1f} ms")
                    false_comb_inverted += comb is not None
                else:
                    same += 1
                    false_same += pair is not None
                    if args.stats:
                        comb_stats["same"].append(_comb_stat(r[0], reduced[k].rate))
                    if comb is None or comb.early != names[k]:
                        print(f"  missed comb {song.parent.name}/{song.name} {names[k]} delay {delay:.2f} ms: {comb}")
                        continue
                    comb_found += 1
                    comb_lag_errors.append(comb.lag_ms - delay)
                    comb_lag_ok += abs(comb.lag_ms - delay) <= COMB_LAG_TOLERANCE_MS
                    # The render's move: the earlier track delayed by the lag in samples; measured again, no comb.
                    shift = comb.lag_samples if comb.early == names[k] else -comb.lag_samples
                    moved = process_track(
                        stem, sr, [Move("polarity", {"invert": False, "shift_ms": shift * 1000 / sr}, {})]
                    )
                    again = shared_sources([names[k], names[k] + " 2"], [moved, mic], sr)
                    comb_gone += not again.comb and not again.polarity
                    if abs(comb.lag_ms - delay) > COMB_LAG_TOLERANCE_MS:
                        print(f"  comb lag off {song.parent.name}/{song.name} {names[k]} delay {delay:.2f}: {comb}")
                    _, _, ee, ll, _, _ = comb.bands.T
                    equal = 10 * np.log10(max(float(ll.sum()), 1e-30) / max(float(ee.sum()), 1e-30)) / 2
                    for label, late_db in (("as_is", 0.0), ("equal", -equal)):
                        comb_priority[label][_priority(comb.loss_db(0.0, late_db).worst_db)] += 1
        # a bounce and a duplicate added to the song
        gains = 10 ** (rng.uniform(-6, 6, len(stems)) / 20)
        mix = np.zeros_like(stems[0])
        for s, g in zip(stems, gains, strict=True):
            left, right = pan_gains(float(rng.uniform(-0.7, 0.7)))
            mix += s * np.array([[g * left], [g * right]], dtype=np.float32)
        if rng.random() < 0.5:
            mix = pedalboard.Pedalboard([pedalboard.Limiter(threshold_db=-6.0)])(mix / np.abs(mix).max(), sr)
        k = int(rng.integers(len(stems)))
        copy = stems[k] * np.float32(rng.uniform(0.5, 1.0))
        extra = shared_sources([*names, "Stereo Out", "Track 9"], [*stems, mix.astype(np.float32), copy], sr)
        bounces += 1
        dups += 1
        bounce_found += extra.left_out.get("Stereo Out", None) is not None
        if "Stereo Out" not in extra.left_out:
            print(f"  missed bounce {song.parent.name}/{song.name}")
        dup = extra.left_out.get("Track 9")
        dup_found += dup is not None and dup.kind == "duplicate" and dup.of == (names[k],)
        extra_left_out += len([t for t in extra.left_out if t not in ("Stereo Out", "Track 9")])
    print(
        f"polarity: inverted pairs found {found}/{inverted} ({found / max(inverted, 1):.1%}), lag within 0.2 ms "
        f"{lag_ok}/{found}; same-polarity pairs flagged {false_same}/{same}; clean sessions: {false_polarity} "
        f"polarity findings over {clean_pairs} pairs in {clean_sessions} sessions"
    )
    print(
        f"left out: bounces found {bounce_found}/{bounces}, duplicates found {dup_found}/{dups}, other tracks "
        f"left out with them {extra_left_out}; clean sessions: {false_left_out} tracks left out"
    )
    errors = np.abs(np.array(comb_lag_errors or [0.0]))
    print(
        f"comb: same-polarity pairs ({COMB_DELAYS_MS[0]}-{COMB_DELAYS_MS[1]} ms) found {comb_found}/{same} "
        f"({comb_found / max(same, 1):.1%}), lag within {COMB_LAG_TOLERANCE_MS} ms {comb_lag_ok}/{comb_found} (error "
        f"median / 95th / max {np.median(errors):.3f} / {np.percentile(errors, 95):.3f} / {errors.max():.3f} ms), "
        f"gone once the earlier track is delayed by it {comb_gone}/{comb_found}; "
        f"priority as they are {comb_priority['as_is']}, at equal shared-band energy {comb_priority['equal']}; "
        f"inverted pairs taken for comb pairs {false_comb_inverted}/{inverted}; clean sessions: {false_comb_clean} "
        f"comb findings over {clean_pairs} pairs"
    )
    print(f"time: shared_sources on a clean session median {np.median(seconds) * 1000:.0f} ms ({len(songs)} songs)")
    if args.stats:
        print("sweep (threshold, dominance): inverted found / same-polarity flagged / clean pairs flagged")
        for threshold in (0.2, 0.3, 0.4):
            cells = []
            for d in (1.0, 1.1, 1.2, 1.3, 1.5):
                hits = {
                    label: sum(1 for lo, hi in values if -lo >= threshold and -lo >= d * max(hi, 0.0))
                    for label, values in stats.items()
                }
                cells.append(f"{d}: {hits['inverted']}/{hits['same']}/{hits['clean']}")
            print(f"  {threshold}: " + "  ".join(cells))
        print(f"comb sweep (correlation, dominance; lag >= {COMB_MIN_LAG_MS} ms): same-polarity found / clean flagged")
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            cells = []
            for d in (1.0, 1.05, 1.1, 1.2, 1.3):
                hits = {
                    label: sum(
                        1 for hi, lo, lag in peaks if hi >= threshold and hi >= d * lo and abs(lag) >= COMB_MIN_LAG_MS
                    )
                    for label, peaks in comb_stats.items()
                }
                cells.append(f"{d}: {hits['same']}/{hits['clean']}")
            print(f"  {threshold}: " + "  ".join(cells))
        for label, comb_values in comb_stats.items():
            arr = np.array(comb_values)
            print(
                f"comb {label}: n {len(arr)}, max r percentiles 5/50/95/99/max "
                f"{np.percentile(arr[:, 0], [5, 50, 95, 99, 100]).round(2)}, max r / -min r percentiles 5/50/95/max "
                f"{np.percentile(arr[:, 0] / np.maximum(arr[:, 1], 1e-3), [5, 50, 95, 100]).round(2)}"
            )
        for label, values in stats.items():
            a = np.array(values)
            low, high = -a[:, 0], np.maximum(a[:, 1], 1e-3)
            print(
                f"{label}: n {len(a)}, -min r percentiles 5/50/95/max {np.percentile(low, [5, 50, 95, 100]).round(2)}, "
                f"ratio -min/max percentiles 5/50/95/max {np.percentile(low / high, [5, 50, 95, 100]).round(2)}"
            )


if __name__ == "__main__":
    main()
