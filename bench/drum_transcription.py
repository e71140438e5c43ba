#!/usr/bin/env python3
"""Per-class onset F1 (mir_eval onset matching, 50 ms) of the drum transcription model on held-out renders.

The renders come from ``python -m training.drum_transcription --stage render``: MMA groove families
never trained on, drums through a soundfont (sf_GMbank) and a sampled kit (AVL Red Zeppelin) never
used in training, each clip written twice: the dry drum stem, and the stem mixed under the
groove's other parts (through sf_GMbank) and training/augment.py's production chain.

Each file is decoded and transcribed end to end (``transcribe_drums``); matches, references and
estimates are summed over the files of a group before F1 is taken (micro average). "hihat" counts
closed and open hats as one class, "toms" the three toms, as the issue's goal reads them; a hit
whose class the model confused counts as a miss and a false alarm.

--electronic scores the electronic held-out check instead: test grooves through sf_GMbank's
Electronic and TR 808 drum sets and two synthesized Hydrogen kits (``--stage render --splits test
--seed 19 --test-sessions 8 --test-sounds sf_GMbank@24,sf_GMbank@25,h2:HardElectro1,h2:ElectricEmpireKit
--data data/drum_transcription/electronic``; no training sound is one of them), then the hits the
model finds in a real techno loop and how many of its beats have a kick (training/drum_electronic.py).

--data may name a render folder (its test/ is read): the fresh test, two kits of Hydrogen's repository
that no training kit is (GMRockKit's samples are Debian's The Black Pearl 1.0's) (``--stage render --splits test
--seed 41 --test-sessions 8 --test-sounds h2:GMRockKit,h2:TR808EmulationKit --kits-dir
data/drum_kits_fresh --data data/drum_transcription/fresh_test``; see the model card).

Usage: bench/drum_transcription.py [--data data/drum_transcription/test] [--model models/drum_transcription.npz]
       bench/drum_transcription.py --electronic [--model ...]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mir_eval  # noqa: E402

from ai.audio.decode import decode_audio  # noqa: E402
from ai.transcription.drums import CLASSES, SHIPPED_MODEL, load, transcribe_drums  # noqa: E402
from training.drum_electronic import TECHNO_LOOP, loop_check  # noqa: E402

WINDOW_S = 0.05
ELECTRONIC_DATA = Path("data/drum_transcription/electronic/test")
PITCH_CLASS = {pitch: name for name, pitch in CLASSES}
MERGED = {"hihat_closed": "hihat", "hihat_open": "hihat", "tom_low": "toms", "tom_mid": "toms", "tom_high": "toms"}
REPORTED = ("kick", "snare", "hihat", "hihat_closed", "hihat_open", "toms", "crash", "ride")


def _groups(name: str) -> list[str]:
    return [name, MERGED[name]] if name in MERGED else [name]


def merge_close(times: list[float], gap: float = 0.03) -> np.ndarray:
    """Sorted times with those closer than ``gap`` to the previous kept one dropped (a closed and an
    open hat at one instant are one hi-hat hit)."""
    kept: list[float] = []
    for t in sorted(times):
        if not kept or t - kept[-1] >= gap:
            kept.append(t)
    return np.asarray(kept)


def counts(reference: list[float], estimated: list[float], *, merged: bool = False) -> np.ndarray:
    """[matches, n_reference, n_estimated] with mir_eval's one-to-one onset matching."""
    ref, est = np.sort(np.asarray(reference)), np.sort(np.asarray(estimated))
    if merged:
        ref, est = merge_close(reference), merge_close(estimated)
    matched = len(mir_eval.util.match_events(ref, est, WINDOW_S)) if ref.size and est.size else 0
    return np.asarray([matched, ref.size, est.size], dtype=np.int64)


def truth_folder(data: Path) -> Path:
    """The folder with truth.json: ``data`` itself, or the test/ that a render folder holds."""
    return data if (data / "truth.json").is_file() or not (data / "test" / "truth.json").is_file() else data / "test"


def f1(c: np.ndarray) -> float:
    return float(2 * c[0] / (c[1] + c[2])) if c[1] + c[2] else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="default: data/drum_transcription/test")
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL)
    parser.add_argument(
        "--electronic", action="store_true", help=f"the electronic check: {ELECTRONIC_DATA} and the techno loop"
    )
    args = parser.parse_args()
    if args.data is None:
        args.data = ELECTRONIC_DATA if args.electronic else Path("data/drum_transcription/test")
    args.data = truth_folder(args.data)
    net = load(args.model)
    truth = json.loads((args.data / "truth.json").read_text())
    table: dict[tuple[str, str], dict[str, np.ndarray]] = collections.defaultdict(
        lambda: collections.defaultdict(lambda: np.zeros(3, dtype=np.int64))
    )
    audio_s = compute_s = 0.0
    for item in truth:
        audio = decode_audio(args.data / "audio" / item["file"])
        start = time.perf_counter()
        hits = transcribe_drums(audio, net=net)
        compute_s += time.perf_counter() - start
        audio_s += audio.duration_s
        reference: dict[str, list[float]] = collections.defaultdict(list)
        estimated: dict[str, list[float]] = collections.defaultdict(list)
        for t, name in item["hits"]:
            for group in _groups(name):
                reference[group].append(float(t))
        for hit in hits:
            for group in _groups(PITCH_CLASS[hit.pitch]):
                estimated[group].append(hit.time)
        for key in ((item["kind"], item["drums"]), (item["kind"], "all"), ("all", "all")):
            for group in REPORTED:
                table[key][group] += counts(reference[group], estimated[group], merged=group in MERGED.values())
    print(
        f"drum transcription, onset F1 at {WINDOW_S * 1000:.0f} ms: {len(truth)} files, {audio_s / 60:.1f} min of audio"
    )
    print(f"transcribed in {compute_s:.1f} s ({compute_s / max(audio_s, 1e-9) * 60:.2f} s per minute of audio)")
    print(f"{'kind':6s} {'drums':20s} " + " ".join(f"{g:>12s}" for g in REPORTED))
    for (kind, drums), groups in sorted(table.items()):
        row = " ".join(f"{f1(groups[g]):7.3f} {groups[g][1]:4d}" for g in REPORTED)
        print(f"{kind:6s} {drums:20s} {row}")
    print("(each cell: F1 and the number of annotated hits)")
    if args.electronic:
        print(f"{TECHNO_LOOP.name}: {loop_check(TECHNO_LOOP, net=net).line()}")


if __name__ == "__main__":
    main()
