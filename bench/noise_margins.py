#!/usr/bin/env python3
"""Margins of the no-pulse and no-notes rules (session 14, issue 11): how far every music file of the
rendered and real sets sits from generated noise, random clicks and noise-burst drum loops.

For every audio file of the sets (decoded, summarised and featured as /api/v1/analyze/audio does) and for
generated non-music (white, pink and brown noise at -60..-10 dBFS, 2.5-120 s, some with fades or a slow
swell; Poisson clicks of noise or a 1.5 kHz tone at 0.5-12 a second; a slow sine sweep alone and over a
hiss; noise-burst drum loops), prints per
set: the pulse significance (:func:`ai.analysis.rhythm.pulse_significance`, inf where the comb strength
alone reaches SURE_STRENGTH), the kick/bass envelope's comb strength (:func:`ai.analysis.rhythm.pulse.pulse_strength`),
how many files have neither pulse and, for those, the three
:func:`ai.analysis.tonal.notes_sound` measures (peakiness, third pitch class, sounding share), and the
peakiness range (:func:`ai.analysis.tonal.pitch_peakiness`, the key's own gate). Files the pipeline
answers as silent or whose attacks are under the steady-tone floor are counted apart.

Usage: bench/noise_margins.py [--sets data/eval,data/eval_seed11,...] [--no-generated] [-v]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ai.analysis.constants import ANALYSIS_SR  # noqa: E402
from ai.analysis.features import SharedFeatures, compute_features  # noqa: E402
from ai.analysis.pipeline import SILENCE_DBFS, summarize_audio  # noqa: E402
from ai.analysis.rhythm.core import MIN_ONSET_LEVEL  # noqa: E402
from ai.analysis.rhythm.pulse import LOW_STRENGTH, MIN_SIGNIFICANCE, pulse_significance, pulse_strength  # noqa: E402
from ai.analysis.tonal import (  # noqa: E402
    MIN_PEAKINESS,
    NOTES_SOUNDING_SHARE,
    NOTES_THIRD_PITCH_CLASS,
    KeyConfig,
    _compress,
    key_chroma,
    pitch_peakiness,
)
from ai.audio.decode import DecodedAudio, decode_audio  # noqa: E402
from tests.support.non_music import burst_loop, coloured_noise, poisson_clicks  # noqa: E402

SETS = "data/eval,data/eval_seed11,data/real/audio,data/key_dist,data/key_dist_seed11,data/bench_transcription"
AUDIO = (".wav", ".flac", ".mp3", ".ogg")
SR = 44100


def measures(features: SharedFeatures) -> dict[str, float]:
    """The rules' statistics of one clip (the same as the rules compute)."""
    config = KeyConfig()
    full, bass = key_chroma(features, config)
    heard = _compress(features.chroma, config.compression).sum(axis=1)
    thirds = [
        float(np.sort(d)[-3] / d.max()) if d.max() > 0 else 0.0 for d in (full + config.bass_weight * bass, heard)
    ]
    rms = np.asarray(features.rms, dtype=np.float64)
    share = float(np.mean(rms >= np.percentile(rms, 99) * 0.01)) if rms.max() > 0 else 0.0
    return {
        "z": pulse_significance(features.onset_env, features.frame_rate),
        "kick": pulse_strength(features.low_onset_env, features.frame_rate),
        "peakiness": pitch_peakiness(features),
        "third": min(thirds),
        "share": share,
        "steady": float(np.percentile(features.onset_env, 99) < MIN_ONSET_LEVEL),
    }


def _features(audio: DecodedAudio) -> SharedFeatures | None:
    summary = summarize_audio(audio)
    if summary.peak <= 10.0 ** (SILENCE_DBFS / 20.0):
        return None  # the pipeline answers "silent" before any rule
    return compute_features(summary.y, ANALYSIS_SR)


def generated() -> Iterator[tuple[str, str, np.ndarray]]:
    """(group, name, mono signal at SR) of the non-music the rules must refuse, and drum loops they keep."""
    rng = np.random.default_rng(14)
    for colour in ("white", "pink", "brown"):
        for db in (-60, -40, -20, -10):
            for seconds, fade in ((8.0, 0.0), (30.0, 3.0)):
                y = coloured_noise(rng, int(seconds * SR), colour, SR) * 10.0 ** (db / 20.0)
                ramp = np.minimum(1.0, np.minimum(np.arange(y.size), np.arange(y.size)[::-1]) / max(fade * SR, 1.0))
                yield "noise", f"{colour} {db} dB {seconds:.0f} s", y * (ramp if fade else 1.0)
        for seconds in (2.5, 4.0, 5.5):
            yield "noise", f"{colour} {seconds} s", 0.1 * coloured_noise(rng, int(seconds * SR), colour, SR)
    t = np.arange(40 * SR) / SR
    yield (
        "noise",
        "pink swell",
        0.1 * coloured_noise(rng, t.size, "pink", SR) * (0.55 + 0.45 * np.sin(2 * np.pi * t / 10)),
    )
    yield "noise", "white 120 s", 0.05 * coloured_noise(rng, 120 * SR, "white", SR)
    for rate in (0.5, 1.0, 2.0, 3.0, 5.0, 12.0):
        for tone in (False, True):
            yield (
                "clicks",
                f"poisson {rate}/s {'tone' if tone else 'noise'}",
                poisson_clicks(rng, 30.0, rate, SR, tone=tone),
            )
    t = np.arange(20 * SR) / SR
    sweep = 0.3 * np.sin(2 * np.pi * 100.0 * (np.exp(np.log(20.0) / 20.0 * t) - 1.0) / (np.log(20.0) / 20.0))
    yield "sweep", "sine sweep 100-2000 Hz, 20 s", sweep
    yield (
        "sweep",
        "the same over white noise at -50 dBFS",
        sweep + 10.0 ** (-50.0 / 20.0) * coloured_noise(rng, t.size, "white", SR),
    )
    for bpm, cut in ((90, 150), (100, 80), (110, 200), (120, 400), (128, 250), (140, 150), (85, 300)):
        yield "loop", f"noise-burst loop {bpm} BPM, kick under {cut} Hz", burst_loop(rng, 16.0, bpm, SR, kick_cut=cut)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=SETS, help="comma-separated folders (searched recursively)")
    parser.add_argument("--no-generated", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true", help="every file's figures")
    args = parser.parse_args()
    rows: list[tuple[str, str, dict[str, float] | None]] = []
    for folder in args.sets.split(","):
        files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in AUDIO)
        for path in files:
            features = _features(decode_audio(path, max_duration_s=1800))
            rows.append((f"music {folder}", str(path), None if features is None else measures(features)))
    if not args.no_generated:
        for group, name, y in generated():
            mono = y.astype(np.float32)
            features = _features(DecodedAudio(np.stack([mono, mono]), SR))
            rows.append((group, name, None if features is None else measures(features)))
    if args.verbose:
        for group, name, m in rows:
            figures = "silent" if m is None else " ".join(f"{k} {v:.3f}" for k, v in m.items())
            print(f"{group:28s} {name[-60:]:60s} {figures}")

    def fmt(v: float) -> str:
        return "inf" if math.isinf(v) else f"{v:.2f}"

    print(f"rules: a pulse is z >= {MIN_SIGNIFICANCE} or a kick/bass comb >= {LOW_STRENGTH}; without one, notes must")
    print(
        f"sound (peakiness >= {MIN_PEAKINESS}, third pitch class >= {NOTES_THIRD_PITCH_CLASS}, sounding share >= ",
        end="",
    )
    print(f"{NOTES_SOUNDING_SHARE}); a key needs peakiness >= {MIN_PEAKINESS}\n")
    print(
        "| set | files | silent / steady | pulse z min / max | kick comb max | no pulse | their peakiness / third /",
        end="",
    )
    print(" share (min) | peakiness min / max |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for group in dict.fromkeys(g for g, _, _ in rows):
        judged = [m for g, _, m in rows if g == group and m is not None and not m["steady"]]
        apart = [m for g, _, m in rows if g == group and (m is None or m["steady"])]
        silent = sum(m is None for m in apart)
        weak = [m for m in judged if m["z"] < MIN_SIGNIFICANCE and m["kick"] < LOW_STRENGTH]
        keys = ("peakiness", "third", "share")
        notes = "-" if not weak else " / ".join(f"{min(m[k] for m in weak):.3f}" for k in keys)
        zs = f"{fmt(min(m['z'] for m in judged))} / {fmt(max(m['z'] for m in judged))}" if judged else "-"
        kick = f"{max(m['kick'] for m in judged):.3f}" if judged else "-"
        pk = f"{min(m['peakiness'] for m in judged):.3f} / {max(m['peakiness'] for m in judged):.3f}" if judged else "-"
        print(f"| {group} | {len(judged) + len(apart)} | {silent} / {len(apart) - silent} | {zs} | {kick} ", end="")
        print(f"| {len(weak)} | {notes} | {pk} |")


if __name__ == "__main__":
    main()
