"""Drums and percussion alone: audio that has no key or chords, however a key profile fits it.

A drum loop's kick, toms and ringing snare make peaks in the semitone spectrum, and its chroma fits
some key (24 of 24 drum stems of held-out kits got one, "F# major" at confidence 0.2-0.4, with
chords). What pitched music has and drums lack is read from the tuned semitone spectrum
(``SharedFeatures.semitone_spec``), whose peaks (a pitch rising above its two neighbours, in log
magnitude) are compared:

- ``inharmonic_comb``: how often peaks sit 8, 13 and 17 semitones apart (the partials of a membrane
  lie at inharmonic ratios), against themselves, over the whole clip;
- ``harmonic_lead_p90``: per frame, the comb at 12, 19 and 24 semitones (a note's 2nd, 3rd and 4th
  harmonics) less the inharmonic one; its 90th percentile over the loud frames (a bass note between
  two hits is enough);
- ``held_harmonic_lead_p90``: the same, where it holds for HOLD_FRAMES (a note, not a hit);
- ``held_pitch_class_entropy``: the pitch classes of the peaks that hold for HELD_FRAMES above E2,
  as an entropy in bits: a kit's toms and kick ring at a few fixed pitches, a line moves through a
  scale (this keeps sine-like lines, a whistle or an 808 bass, whose harmonic comb is empty);
- ``sustain``: the share of the C3-C7 energy still there HOLD_FRAMES later at the same pitch;
- ``held_low_pitch_entropy`` (session 33): the entropy in bits of the pitches below E4 at which a peak holds for
  LOW_HELD_FRAMES (~230 ms): a bass line holds notes on the pitches of its chords, a kit's kick and toms ring
  shorter and in place (a bass 12 dB under a kit: median 3.4 bits, the drum buses alone 0.8), so the drums of a
  kit the fitting never heard can count for drums without a faint bass line under them doing so too;
- ``harmonic_share`` and ``low_harmonic_share``: a harmonic/percussive split of the spectrum (median
  filters along time and along pitch, as librosa's HPSS does on an STFT): the share of the energy that
  lies in horizontal lines, over all pitches and below G#3. A kick's or tom's ring is short and a snare's
  or cymbal's noise is broad, where notes hold a pitch (session 24: these two took the held-out drum clips
  called drums alone from 157 to 209 of 324, no pitched item called drums).

A logistic regression over these (models/drums_only.json, fitted by ``python -m training.drums_only``
on renders; models/drums_only.md) scores a clip; above the model's threshold it is drums alone. The
threshold sits above every pitched training item (mixes, pitched stems, a bass 6 dB under the drums,
sine and triangle lines alone and under drums): it gives up drums that look pitched rather than
take the key away from music. The features are computed a block of frames at a time (a 30-minute
file holds ~77,000 frames; whole-array temporaries would take a few hundred MB).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import median_filter

from ai.analysis.constants import MIDI_MIN
from ai.model_files import LoadedOnce, model_path

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "drums_only.json"
NOTE = "only drums and percussion sound (no pitched notes): no key or chords"
"""The analysis's note for such a clip (:func:`said_of`)."""


def said_of(notes: Sequence[str]) -> bool:
    """Whether an analysis's ``notes`` say that it heard drums and percussion alone."""
    return NOTE in notes


FEATURE_NAMES = (
    "inharmonic_comb",
    "harmonic_lead_p90",
    "held_harmonic_lead_p90",
    "held_pitch_class_entropy",
    "sustain",
    "held_low_pitch_entropy",
    "harmonic_share",
    "low_harmonic_share",
)
PEAK_FEATURES = 6
"""The first six features come from the spectrum's peaks; the two shares from median filters, which cost
~60 ms for 3 minutes and are computed only when they could make the clip drums (:func:`only_drums`)."""
TERM_NAMES = (
    FEATURE_NAMES[:PEAK_FEATURES]
    + tuple(f"{a}*{b}" for i, a in enumerate(FEATURE_NAMES[:PEAK_FEATURES]) for b in FEATURE_NAMES[i:PEAK_FEATURES])
    + FEATURE_NAMES[PEAK_FEATURES:]
)
"""The regression's inputs (session 32): the peak features, their squares and pairwise products, then the two shares.
A line over the features alone left most of the engine's own grooves with a key (a TimGM6mb kit's held peaks spread
over many pitch classes, as a scale's do; models/drums_only.md); the products let a measure count for drums in one
region of another's range and not in the rest. The shares stay linear, so :meth:`DrumsOnlyModel.best_case` still
bounds the score before they are computed."""
PEAK_TERMS = len(TERM_NAMES) - (len(FEATURE_NAMES) - PEAK_FEATURES)


def peak_terms(peaks: np.ndarray) -> np.ndarray:
    """The first PEAK_TERMS of TERM_NAMES from the PEAK_FEATURES [shape=(PEAK_TERMS,)]."""
    products = [peaks[i] * peaks[j] for i in range(PEAK_FEATURES) for j in range(i, PEAK_FEATURES)]
    return np.concatenate([peaks, np.asarray(products, dtype=np.float64)])


def model_terms(features: np.ndarray) -> np.ndarray:
    """TERM_NAMES from FEATURE_NAMES' values [shape=(len(TERM_NAMES),)]."""
    return np.concatenate([peak_terms(features[:PEAK_FEATURES]), features[PEAK_FEATURES:]])


HARMONIC_OFFSETS = (12, 19, 24)
"""Semitones from a note to its 2nd, 3rd and 4th harmonics."""
INHARMONIC_OFFSETS = (8, 13, 17)
"""Semitones between a drum membrane's first modes (ratios ~1.59, ~2.14, ~2.65 of its fundamental)."""
FLOOR = 1e-9
"""A pitch's log magnitude is taken over FLOOR x the clip's largest value (digital silence next to a sine)."""
LOUD_DB = -30.0
"""Frames within this of the loudest frame (summed semitone spectrum) are read."""
HOLD_FRAMES = 4
"""Frames (~93 ms) a frame's harmonic lead and a pitch's energy must last to count as held."""
HELD_FRAMES = 6
"""Frames (~140 ms) a peak must last for the pitch-class entropy."""
HELD_MIN_MIDI = 40
"""Held peaks are read from E2 up (a kick's fundamental lies below)."""
HELD_MIN_EXCESS = 1.5
"""A held peak rises at least this (natural log) above its neighbours for all HELD_FRAMES."""
LOW_HELD_FRAMES = 10
"""Frames (~230 ms) a low peak must last for ``held_low_pitch_entropy``: a bass note, not a kick's or tom's ring."""
LOW_HELD_MAX_MIDI = 64
"""``held_low_pitch_entropy`` reads the pitches below this (E4)."""
SUSTAIN_MIDI = (48, 96)
"""Pitches (C3-C7) the sustain is read over."""
SPLIT_WIDTH = 9
"""Frames (~0.2 s) and semitones of the median filters of the harmonic/percussive split."""
LOW_SHARE_MIDI = 56
"""The low share reads the pitches below this (G#3): kicks, toms, bass notes."""
BLOCK_FRAMES = 4096
"""Frames computed at once (plus the look-ahead the held measures need)."""
_LOOKAHEAD = max(HOLD_FRAMES, HELD_FRAMES - 1, LOW_HELD_FRAMES - 1)


def _excess(block: np.ndarray, floor: float) -> np.ndarray:
    """How far each pitch rises above the mean of its two neighbours (log magnitude), >= 0; 0 at the edges."""
    level = np.log(block + floor)
    out = np.zeros_like(level)
    out[1:-1] = np.maximum(level[1:-1] - 0.5 * (level[:-2] + level[2:]), 0.0)
    return out


def _comb(excess: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
    """Per frame: the sum over pitches and ``offsets`` of excess[p] * excess[p + offset]."""
    out = np.zeros(excess.shape[1])
    for o in offsets:
        out += (excess[:-o] * excess[o:]).sum(axis=0)
    return out


def _held(excess: np.ndarray, own: int, frames: int) -> np.ndarray:
    """Each pitch's weakest excess over ``frames`` frames from each of the first ``own`` frames [shape=(rows, own)];
    0 where the block (clip) ends before them."""
    held = excess[:, :own].copy()
    for j in range(1, frames):
        shifted = np.zeros_like(held)
        width = max(0, min(own, excess.shape[1] - j))
        shifted[:, :width] = excess[:, j : j + width]
        held = np.minimum(held, shifted)
    return held


def drum_features(semitone_spec: np.ndarray) -> np.ndarray:
    """The model's inputs (FEATURE_NAMES order) from a semitone spectrum [shape=(pitches, frames)], row 0 at
    MIDI_MIN. float64 [shape=(len(FEATURE_NAMES),)]; the same values for any BLOCK_FRAMES."""
    return np.concatenate([peak_features(semitone_spec), harmonic_shares(semitone_spec)])


def harmonic_shares(semitone_spec: np.ndarray) -> np.ndarray:
    """``harmonic_share`` and ``low_harmonic_share`` [shape=(2,)]: the energy share of the harmonic part of a
    harmonic/percussive split (median filters SPLIT_WIDTH long along time and along pitch, soft masks
    H^2 / (H^2 + P^2)), over all pitches and below LOW_SHARE_MIDI. 0 for a silent clip."""
    spec = np.asarray(semitone_spec)
    n = spec.shape[1]
    low_rows = LOW_SHARE_MIDI - MIDI_MIN
    reach = SPLIT_WIDTH // 2
    energy = harmonic = low_energy = low_harmonic = 0.0
    for start in range(0, n, BLOCK_FRAMES):
        stop = min(n, start + BLOCK_FRAMES)
        lo, hi = max(0, start - reach), min(n, stop + reach)  # the time filter's context across blocks
        block = spec[:, lo:hi].astype(np.float32)
        along_time = median_filter(block, size=(1, SPLIT_WIDTH), mode="nearest")[:, start - lo : stop - lo]
        own = block[:, start - lo : stop - lo]
        along_pitch = median_filter(own, size=(SPLIT_WIDTH, 1), mode="nearest")
        h2, p2, e = along_time.astype(np.float64) ** 2, along_pitch.astype(np.float64) ** 2, own.astype(np.float64) ** 2
        weighted = np.divide(h2, h2 + p2, out=np.zeros_like(h2), where=h2 + p2 > 0) * e
        energy += float(e.sum())
        harmonic += float(weighted.sum())
        low_energy += float(e[:low_rows].sum())
        low_harmonic += float(weighted[:low_rows].sum())
    return np.array([harmonic / energy if energy > 0 else 0.0, low_harmonic / low_energy if low_energy > 0 else 0.0])


def peak_features(semitone_spec: np.ndarray) -> np.ndarray:
    """The first PEAK_FEATURES of FEATURE_NAMES, read off the spectrum's peaks [shape=(PEAK_FEATURES,)]."""
    spec = np.asarray(semitone_spec)
    n = spec.shape[1]
    top = float(spec.max()) if spec.size else 0.0
    if top <= 0 or n == 0:
        return np.array([0.0, 0.0, 0.0, float(np.log2(12)), 0.0, 0.0])
    floor = FLOOR * top
    frame_energy = spec.sum(axis=0, dtype=np.float64)
    loud = frame_energy >= frame_energy.max() * 10 ** (LOUD_DB / 20)
    lead = np.zeros(n)
    has_peaks = np.zeros(n, dtype=bool)
    held_top = np.zeros(n)
    held_row = np.zeros(n, dtype=np.int64)
    inharmonic = power = 0.0
    kept = sustained = 0.0
    lo, hi = SUSTAIN_MIDI[0] - MIDI_MIN, SUSTAIN_MIDI[1] - MIDI_MIN
    first_held = HELD_MIN_MIDI - MIDI_MIN
    low_rows = LOW_HELD_MAX_MIDI - MIDI_MIN
    low_counts = np.zeros(low_rows)
    for start in range(0, n, BLOCK_FRAMES):
        stop = min(n, start + BLOCK_FRAMES)
        ahead = min(n, stop + _LOOKAHEAD)
        block = spec[:, start:ahead].astype(np.float64)
        excess = _excess(block, floor)
        own = slice(0, stop - start)
        harmonic = _comb(excess[:, own], HARMONIC_OFFSETS)
        membrane = _comb(excess[:, own], INHARMONIC_OFFSETS)
        squares = 3.0 * (excess[:, own] ** 2).sum(axis=0)
        inharmonic += float(membrane.sum())
        power += float(squares.sum())
        has_peaks[start:stop] = squares > 0
        lead[start:stop] = np.where(squares > 0, (harmonic - membrane) / np.maximum(squares, 1e-300), 0.0)
        # a pitch's energy HOLD_FRAMES later (frames past the clip's end hold nothing)
        band = block[lo - 1 : hi + 2]
        later = np.zeros_like(band[:, own])
        reach = band.shape[1] - HOLD_FRAMES
        if reach > 0:
            later[:, : min(reach, stop - start)] = band[:, HOLD_FRAMES : HOLD_FRAMES + min(reach, stop - start)]
        kept += float(band[:, own].sum())
        sustained += float(np.minimum(band[:, own], later).sum())
        # the weakest of each pitch's excess over HELD_FRAMES frames, its strongest pitch per frame
        held = _held(excess[first_held:], stop - start, HELD_FRAMES)
        held_top[start:stop] = held.max(axis=0)
        held_row[start:stop] = held.argmax(axis=0)
        # how many frames each low pitch holds a peak for LOW_HELD_FRAMES (a bass line moves, a kit rings in place)
        low_held = _held(excess[:low_rows], stop - start, LOW_HELD_FRAMES)
        low_counts += (low_held > HELD_MIN_EXCESS).sum(axis=1)
    held_top[max(0, n - HELD_FRAMES) :] = 0.0  # too near the end to hold
    read = loud & has_peaks
    if int(read.sum()) < 4:
        lead_p90 = held_lead_p90 = 0.0
    else:
        lead_p90 = float(np.percentile(lead[read], 90))
        steady = np.minimum(lead[:-HOLD_FRAMES], lead[HOLD_FRAMES:])[read[:-HOLD_FRAMES] & read[HOLD_FRAMES:]]
        held_lead_p90 = float(np.percentile(steady, 90)) if steady.size else 0.0
    chosen = loud & (held_top > HELD_MIN_EXCESS)
    classes = np.bincount((held_row[chosen] + HELD_MIN_MIDI) % 12, weights=held_top[chosen], minlength=12)
    return np.array(
        [
            inharmonic / power if power > 0 else 0.0,
            lead_p90,
            held_lead_p90,
            _entropy_bits(classes) if classes.sum() > 0 else float(np.log2(12)),  # none held: as spread as can be
            sustained / kept if kept > 0 else 0.0,
            _entropy_bits(low_counts),
        ]
    )


def _entropy_bits(counts: np.ndarray) -> float:
    """The entropy in bits of the distribution ``counts`` make; 0 when they are all 0."""
    total = float(counts.sum())
    if total <= 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum()) + 0.0


@dataclass(frozen=True)
class DrumsOnlyModel:
    """A logistic regression over standardised TERM_NAMES; drums alone when the score exceeds ``threshold``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float

    def score(self, features: np.ndarray) -> float:
        """The score of a clip's FEATURE_NAMES values."""
        return float(((model_terms(features) - self.mean) / self.scale) @ self.weights + self.bias)

    def best_case(self, peaks: np.ndarray) -> float:
        """The highest score a clip with these PEAK_FEATURES can reach, whatever its shares (each in [0, 1])."""
        known = float(
            ((peak_terms(peaks) - self.mean[:PEAK_TERMS]) / self.scale[:PEAK_TERMS]) @ self.weights[:PEAK_TERMS]
        )
        ends = (np.array([[0.0], [1.0]]) - self.mean[PEAK_TERMS:]) / self.scale[PEAK_TERMS:]
        return known + float((ends * self.weights[PEAK_TERMS:]).max(axis=0).sum()) + self.bias

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURE_NAMES),
            "terms": list(TERM_NAMES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrumsOnlyModel:
        """The model in ``data``; ValueError when its features or terms are not the code's or a number is malformed
        (a file of session 24's, a line over the features alone, has no terms; one of session 32's lacks
        held_low_pitch_entropy)."""
        if tuple(data["features"]) != FEATURE_NAMES:
            raise ValueError(f"model features {data['features']} do not match the code's {FEATURE_NAMES}")
        if tuple(data.get("terms", ())) != TERM_NAMES:
            raise ValueError(f"model terms {data.get('terms')} do not match the code's {TERM_NAMES}")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(TERM_NAMES),) or not np.isfinite(a).all() for a in arrays):
            raise ValueError("mean, scale and weights must be finite, one per term")
        if not (arrays[1] > 0).all():
            raise ValueError("scales must be positive")
        bias, threshold = float(data["bias"]), float(data["threshold"])
        if not (np.isfinite(bias) and np.isfinite(threshold)):
            raise ValueError("bias and threshold must be finite")
        return cls(arrays[0], arrays[1], arrays[2], bias, threshold)


_models = LoadedOnce("drums-only model", lambda path: DrumsOnlyModel.from_dict(json.loads(path.read_text())))


def load_model(path: Path | None = None) -> DrumsOnlyModel | None:
    """The model at ``path`` (default: the models folder's file, else the shipped one), read once; None (logged)
    when it is missing or malformed: every clip then counts as possibly pitched, as before the model."""
    found = _models.get(path if path is not None else model_path(SHIPPED_MODEL))
    return found if isinstance(found, DrumsOnlyModel) else None


def describe_model() -> dict[str, Any]:
    """drums_only.json as /api/v1/models and the status file list it (the file used; loaded, or why not)."""
    listing = {
        "name": "drums_only",
        "family": "analysis",
        "serves": "no key or chords for drums and percussion alone in /api/v1/analyze/audio",
    }
    return _models.describe(model_path(SHIPPED_MODEL), listing, lambda model: {"threshold": model.threshold})


def only_drums(semitone_spec: np.ndarray, model: DrumsOnlyModel | None = None) -> bool:
    """Whether the clip is drums and percussion alone (no key or chords to read)."""
    model = model if model is not None else load_model()
    if model is None:
        return False
    peaks = peak_features(semitone_spec)
    if model.best_case(peaks) <= model.threshold:  # music: its peaks alone settle it, no median filters
        return False
    return model.score(np.concatenate([peaks, harmonic_shares(semitone_spec)])) > model.threshold
