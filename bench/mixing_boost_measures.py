#!/usr/bin/env python3
"""Can any measure of a kick/bass pair tell a bass boosted at the kick's fundamental from a clean one?

The fault bench (bench/mixing_accuracy.py) boosts each bass of a song with a kick by 12 dB (bell,
Q 1) at the kick's fundamental and counts it found when a masking finding names the kick and that
bass. This script looks at the same pairs from the other side: for every kick/bass pair of the
given song sets it computes candidate measures on the clean pair (the song at auto-level's gains,
as in the bench) and on the boosted one, and prints, per measure, the range over the clean and over
the boosted pairs and the single threshold that best separates them (boosted pairs beyond it,
clean pairs beyond it). A measure that could carry the 95% goal would put at least 95% of the
boosted pairs beyond a threshold that leaves (nearly) every clean pair inside it.

Measures (fine bands of ai/mixing/measure.py, frames of its STFT):
  min SMR        the kick's SMR against the bass (its power over the bass's, in frames where the kick
                 is within 10 dB of its loudest and the bass within 20 dB of its loudest), the
                 lowest over the fine bands that hold at least 10% of the kick's energy: what
                 ai/mixing/masking.py judges (without its coverage rule);
  low-end SMR    the same over 30-125 Hz taken as one band (the kick's whole low end);
  bass tilt      the bass's energy at 30-100 Hz over its energy at 125-400 Hz (dB): its own
                 spectral shape, independent of the kick;
  low-end level  the bass's long-term energy at 30-125 Hz over the kick's (dB).

Usage: bench/mixing_boost_measures.py [--data DIR[:SONGS] ...]   (default: the three bench sets)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from mixing_accuracy import as_tracks, balanced, band_change, load_song, peaking, suggest_kick_peak  # noqa: E402

from ai.mixing.masking import ACTIVE_RANGE_DB, MASKER_ON_DB  # noqa: E402
from ai.mixing.measure import FINE_BAND_EDGES_HZ, prepare_tracks  # noqa: E402
from ai.mixing.roles import infer_role  # noqa: E402
from ai.mixing.suggest import analyse_all  # noqa: E402

DEFAULT_SETS = ("data/mixing:16", "data/mixing_seed29:24", "data/mixing_seed41:24")
lower_edges = np.array(FINE_BAND_EDGES_HZ)  # Hz, one per fine band


def bands(low_hz: float, high_hz: float) -> np.ndarray:
    """Indices of the fine bands whose lower edge lies in [low_hz, high_hz)."""
    return np.flatnonzero((lower_edges >= low_hz) & (lower_edges < high_hz))


def smr_db(kick: np.ndarray, bass: np.ndarray) -> float:
    """The kick's power over the bass's (dB) in frames where both sound (one band's frame powers),
    with the detector's own thresholds for "sounds"."""
    both = (kick >= kick.max() * 10 ** (-ACTIVE_RANGE_DB / 10)) & (bass >= bass.max() * 10 ** (-MASKER_ON_DB / 10))
    return float(10 * np.log10(max(kick[both].sum(), 1e-30) / max(bass[both].sum(), 1e-30)))


def measures(kick: np.ndarray, bass: np.ndarray) -> dict[str, float]:
    """The candidate measures of one pair, from fine-band frame powers [shape=(bands, frames)]."""
    n = min(kick.shape[1], bass.shape[1])
    kick, bass = kick[:, :n], bass[:, :n]
    kick_share = kick.sum(axis=1) / kick.sum()
    low = bands(30, 125)
    return {
        "min SMR (dB)": min(smr_db(kick[j], bass[j]) for j in np.flatnonzero(kick_share >= 0.1)),
        "low-end SMR (dB)": smr_db(kick[low].sum(axis=0), bass[low].sum(axis=0)),
        "bass tilt (dB)": float(10 * np.log10(bass[bands(30, 100)].sum() / bass[bands(125, 400)].sum())),
        "low-end level (dB)": float(10 * np.log10(bass[low].sum() / kick[low].sum())),
    }


def best_split(clean: np.ndarray, boosted: np.ndarray) -> tuple[float, str, int, int]:
    """(threshold, side, boosted pairs beyond it, clean pairs beyond it) maximising the difference."""
    best = (0.0, "<=", 0, 0)
    for t in np.unique(np.concatenate([clean, boosted])):
        for side, beyond in (("<=", lambda x, t=t: x <= t), (">=", lambda x, t=t: x >= t)):
            hit, false = int(beyond(boosted).sum()), int(beyond(clean).sum())
            if hit - false > best[2] - best[3]:
                best = (float(t), side, hit, false)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="*", default=list(DEFAULT_SETS), help="DIR[:SONGS] built by mixing_songs.py")
    args = parser.parse_args()
    clean: dict[str, list[float]] = {}
    boosted: dict[str, list[float]] = {}
    low_share: list[float] = []
    for spec in args.data:
        folder, _, count = spec.partition(":")
        root = REPO / folder if not Path(folder).is_absolute() else Path(folder)
        index = json.loads((root / "songs.json").read_text())[: int(count) if count else None]
        for song in index:
            stems = balanced(load_song(root, song))
            roles = {name: infer_role(name) for name in stems}
            kicks = [n for n in stems if roles[n] == "kick"]
            if not kicks:
                continue
            kick_f0 = suggest_kick_peak(stems[kicks[0]])
            basses = [n for n in stems if roles[n] == "bass"][:2]  # the bench boosts up to 2 basses
            if not basses:
                continue
            louder = {bass: peaking(stems[bass], kick_f0, 12.0, 1.0) for bass in basses}
            # One analysis per song: the kick, each bass, and each bass boosted.
            tracks = {kicks[0]: stems[kicks[0]], **{b: stems[b] for b in basses}}
            tracks |= {f"{b} (boosted)": louder[b] for b in basses}
            power = {a.measurement.name: a.spectra.fine_power for a in analyse_all(prepare_tracks(as_tracks(tracks)))}
            for bass in basses:
                share, _ = band_change(stems[bass], louder[bass], kick_f0)
                before = measures(power[kicks[0]], power[bass])
                after = measures(power[kicks[0]], power[f"{bass} (boosted)"])
                low_share.append(share)
                print(
                    f"{folder} {song['song']} {bass}: {100 * share:.1f}% at the kick's {kick_f0:.0f} Hz; "
                    + ", ".join(f"{k} {before[k]:+.1f} -> {after[k]:+.1f}" for k in before),
                    flush=True,
                )
                for k in before:
                    clean.setdefault(k, []).append(before[k])
                    boosted.setdefault(k, []).append(after[k])
    pairs = len(low_share)
    print(f"\n{pairs} kick/bass pairs, clean and with the bass boosted 12 dB (Q 1) at the kick's fundamental")
    for name in clean:
        c, b = np.array(clean[name]), np.array(boosted[name])
        t, side, hit, false = best_split(c, b)
        print(
            f"{name:<20} clean {c.min():+6.1f} to {c.max():+6.1f}   boosted {b.min():+6.1f} to {b.max():+6.1f}   "
            f"best single threshold {side} {t:+.1f}: boosted {hit}/{pairs}, clean {false}/{pairs}"
        )


if __name__ == "__main__":
    main()
