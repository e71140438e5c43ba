#!/usr/bin/env python3
"""Mixing bench: a track's role from its audio (the shipped role classifier) on held-out songs.

The songs are MMA accompaniments rendered stem by stem with FluidSynth and the FluidR3 GM
soundfont (bench/mixing_songs.py, seeds 11, 29 and 41: data/mixing, data/mixing_seed29,
data/mixing_seed41); the classifier was fitted on other renders (TimGM6mb and MuseScore General
Lite soundfonts, seeds 101 and 102: python -m training.role_classifier) and never saw these.
Each stem is classified whole, as the service classifies a track whose name says nothing; the
truth is songs.json's role (from the General MIDI program or drum notes; "other" counts as "fx",
the class the model merges it into). Printed per folder and
over all: the share of stems right, per role, the confusion table (rows: true role, columns:
predicted), what the service's rule gives (the prediction where its confidence reaches the
model's min_confidence, "other" below it), and the feature time of a 3-minute stem.

Usage: bench/mixing_roles.py [FOLDERS ...] [--model models/role_classifier.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.audio.decode import decode_audio  # noqa: E402
from ai.mixing.role_model import SHIPPED_MODEL, classify_role, load_role_model, role_features  # noqa: E402
from training.role_classifier import MERGED_ROLES, report  # noqa: E402

HELD_OUT = ("mixing", "mixing_seed29", "mixing_seed41")
"""The held-out folders under data/ (FluidR3 renders); those that exist are scored."""
SPEED_SECONDS = 180.0
"""Length of the stem timed (a held-out stem repeated to 3 minutes)."""


def classify_folder(folder: Path, model) -> tuple[list[str], list[str], list[float]]:
    """(true roles, predicted roles, confidences) of every stem in ``folder``."""
    truth, predicted, confidence = [], [], []
    for song in json.loads((folder / "songs.json").read_text()):
        for stem in song["stems"]:
            audio = decode_audio(folder / stem["file"], name=stem["name"])
            answer = classify_role(samples=audio.samples, sr=audio.sample_rate, model=model)
            truth.append(MERGED_ROLES.get(stem["role"], stem["role"]))
            predicted.append(answer.role)
            confidence.append(answer.confidence)
    return truth, predicted, confidence


def feature_time(folder: Path) -> float:
    """Median seconds of :func:`role_features` on a 3-minute stem (5 runs after a warm-up)."""
    song = json.loads((folder / "songs.json").read_text())[0]
    audio = decode_audio(folder / song["stems"][0]["file"])
    repeats = int(np.ceil(SPEED_SECONDS * audio.sample_rate / audio.samples.shape[1]))
    samples = np.tile(audio.samples, (1, repeats))[:, : int(SPEED_SECONDS * audio.sample_rate)]
    role_features(samples=samples, sr=audio.sample_rate)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        role_features(samples=samples, sr=audio.sample_rate)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="*")
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL)
    args = parser.parse_args()
    model = load_role_model(args.model)
    if model is None:
        sys.exit(f"no role classifier at {args.model}: run python -m training.role_classifier")
    folders = args.folders or [
        REPO / "data" / name for name in HELD_OUT if (REPO / "data" / name / "songs.json").exists()
    ]
    truth, predicted, confidence = [], [], []
    for folder in folders:
        t, p, c = classify_folder(folder, model)
        print(f"== {folder.name}: " + report(t, p, model.classes).split("\n")[0])
        truth += t
        predicted += p
        confidence += c
    print(f"== all {len(folders)} held-out folders ({', '.join(f.name for f in folders)}):")
    print(report(truth, predicted, model.classes))
    used = np.array(confidence) >= model.min_confidence
    right = np.array(truth) == np.array(predicted)
    print(
        f"service rule (role where confidence >= {model.min_confidence:.2f}, else 'other'): "
        f"{100 * used.mean():.1f}% of stems get a role, {100 * right[used].mean():.1f}% of those right; "
        f"{100 * (right & used).mean():.1f}% of all stems right, {100 * (~right & used).mean():.1f}% wrong, "
        f"{100 * (~used).mean():.1f}% left 'other'"
    )
    print(
        f"features of a {SPEED_SECONDS / 60:.0f}-minute stereo 44.1 kHz stem: {1000 * feature_time(folders[0]):.0f} ms "
        f"(median of 5; load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
