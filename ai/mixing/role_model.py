"""A track's role (kick, bass, keys, ...) from its audio, for tracks whose name says nothing.

:func:`ai.mixing.roles.infer_role` reads the role from the track's name; "Audio 3" or "Track 7"
give "other". Then the audio decides: :func:`role_features` describes the stem in 58
level-independent numbers (long-term spectrum shape and a cepstrum of it, spectral centroid and
flatness, attacks, decays, onset rate and how regular the onsets are, pitchedness, stereo width,
how much of the time it sounds and for how long at a stretch) and a small classifier scores them. The classifier is gradient boosting
(scikit-learn at training time only, ``python -m training.role_classifier``) fitted on MMA
grooves rendered stem by stem with two soundfonts (TimGM6mb, MuseScore General Lite); its trees
ship in models/role_classifier.json and are evaluated here with numpy by the metrical-level
model's evaluator (:class:`ai.analysis.level_model.LevelModel`, one per class). Its accuracy on
held-out songs rendered with a third soundfont (FluidR3) is in models/role_classifier.md.

Every feature is computed on one STFT of the mono downmix at ANALYSIS_RATE (up to 10 kHz),
whatever the input rate, and relative to the stem's own loud level, so that neither the gain nor
the sample rate of a stem changes its features (the stereo ones come from the two channels).
The stem is read READ_BLOCK frames at a time and the STFT taken FRAMES_AT_ONCE frames at a time in
two passes, keeping a few numbers per frame (:func:`role_features_from_blocks`): a 30-minute stem
costs blocks, not its size, and the features are the bits of the whole-signal computation.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft
import scipy.ndimage
import soxr

from ai.analysis.level_model import LevelModel, Tree
from ai.audio.stem_file import Frames, StemFile, frame_blocks, frame_count, read_frames, write_stem_file
from ai.mixing.roles import ROLES
from ai.model_files import model_path
from utils.errors import ModelUnavailable

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "role_classifier.json"
"""The model fitted by ``python -m training.role_classifier`` (card: models/role_classifier.md)."""

ANALYSIS_RATE = 22050
"""Features are measured on the mono downmix resampled to this rate (content above 10 kHz adds
little that tells roles apart; half of 44.1 kHz halves the cost)."""
N_FFT = 1024
"""STFT frame at ANALYSIS_RATE: 46 ms, short enough to see a drum hit's attack and decay."""
HOP = 512
"""STFT hop: 23 ms between frames."""
ACTIVE_RANGE_DB = 40.0
"""A frame is active (the stem sounds) when its power is within this of the stem's loud level
(the 95th percentile of its frame powers); the renders' reverb tails sit 40-60 dB down."""
BUSY_RANGE_DB = 20.0
"""A frame is busy (a note or hit is well under way) when within this of the loud level; runs of
busy frames measure how long the notes last."""
LEVEL_FLOOR_DB = -100.0
"""Relative levels (band shares, frame levels) are floored here, so silence gives finite features."""
SILENCE_DBFS = -90.0
"""A stem whose loud frames are quieter than this (mean square per sample, dBFS) is silent: it
has no role to hear (16-bit dither and rounding noise sit below -95 dBFS)."""
BAND_EDGES_HZ: tuple[float, ...] = (
    0, 60, 90, 125, 180, 250, 355, 500, 710, 1000, 1400, 2000, 2800, 4000, 5600, 8000, 10000,
)  # fmt: skip
"""Edges of the long-term spectrum's bands: about half an octave each above 60 Hz (the kick's
and the bass's fundamentals fall in the lowest four). The spectral features stop at the last
edge, below the resampler's transition band (soxr "HQ" is flat to 10.3 kHz at 22.05 kHz)."""
CHROMA_RANGE_HZ = (150.0, 5000.0)
"""Bins folded into the 12 pitch classes (below 150 Hz a 21.5 Hz bin spans more than a semitone)."""
PEAK_PROMINENCE = 3.0
"""A spectral peak (a partial) is a bin above both neighbours and this many times the mean power
of the PEAK_SPAN bins around it: a steady sine between two bins reaches 4 (its Hann main lobe
fills about 4 of the 9 bins), a white-noise bin exceeds 3 times the mean in 5 % of cases."""
PEAK_SPAN = 9
"""Bins averaged around a bin to judge its prominence (about 190 Hz)."""
PARTIAL_RANGE_DB = 20.0
"""Partials counted per frame (polyphony) are within this of the frame's strongest partial."""
FUNDAMENTAL_RANGE_DB = 10.0
"""The fundamental proxy of a frame is its lowest partial within this of its strongest one."""
FLUX_GAMMA = 1000.0
"""Log compression of the band powers before the spectral flux: log(1 + FLUX_GAMMA * P / P_loud),
P_loud the loud frame's power, so that the flux does not depend on the gain. The flux is taken on
the BAND_EDGES_HZ bands, not on single bins, whose random ups and downs in noise (hi-hats,
shakers) would read as onsets."""
FLATNESS_FLOOR_DB = -60.0
"""Bin and band powers are floored this far below the loud frame's mean bin (band) power before
the flatness and the cepstrum are taken: empty bins then read the same whatever a resampler or
dither left in them (at -70 dB a stem resampled from 48 kHz still moved the cepstrum by 1.4)."""
ONSET_SPREAD = 3
"""An onset is a flux peak that is the largest within this many frames either side (70 ms)."""
ONSET_RELATIVE = 0.2
"""... and at least this share of the stem's 99th-percentile flux."""
DECAY_FRAMES = (4, 13)
"""Level drops are measured this many frames after each busy level peak (93 ms and 300 ms)."""
ATTACK_BLOCK = 64
"""Samples (2.9 ms at ANALYSIS_RATE) per step of the fine amplitude envelope that times attacks."""
ATTACK_RANGE = (0.1, 0.9)
"""An attack's rise time runs from 10 % to 90 % of the way from the envelope's minimum before the
hit to its peak (a struck piano or drum: a few ms; a strum or a bowed or blown note: tens)."""
CEPSTRUM_BANDS = 24
"""Log-spaced bands (60 Hz to the last BAND_EDGES_HZ edge) whose log powers are turned into a
cepstrum per frame: the frame's spectral envelope, i.e. its timbre, in a few numbers."""
CEPSTRUM_MEANS = 8
"""Cepstral coefficients (from the first, the tilt; the zeroth is the level) averaged over the active frames."""
CEPSTRUM_STDS = 4
"""Cepstral coefficients whose spread over the active frames is kept (how the timbre moves)."""
PERIOD_RANGE_S = (0.1, 1.0)
"""Lags over which the onset flux's autocorrelation peak is taken: a steady eighth or sixteenth
pattern (hi-hats, shakers) repeats within this range at any tempo of 60-200 BPM."""
CHROMA_LAG = 4
"""Frames between the chroma vectors compared for pitch stability (93 ms)."""
READ_BLOCK = 1 << 21
"""Frames of the stem read at a time (16 MB of stereo float32). The stereo features' float32 dot
products are taken per read and summed, so a stem longer than one read (47.5 s at 44.1 kHz) moves
them by float32 rounding against one dot product over the whole stem."""
FRAMES_AT_ONCE = 2048
"""STFT frames per step of a pass over the mono signal (4 MB of power)."""

FEATURE_NAMES: tuple[str, ...] = (
    *(f"band_{int(lo)}_{int(hi)}_db" for lo, hi in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:], strict=True)),
    "centroid_mean_oct",
    "centroid_std_oct",
    "rolloff_mean_oct",
    "flatness_mean_db",
    "flatness_std_db",
    "spectrum_peak_oct",
    "spectrum_median_oct",
    "level_p50_db",
    "level_p10_db",
    "rise_p95_db",
    "rise_p50_db",
    "decay_short_db",
    "decay_long_db",
    "onset_rate_hz",
    "attack_log2_ms",
    "flux_crest_db",
    "tonal_share",
    "partials_median",
    "fundamental_median_oct",
    "fundamental_iqr_oct",
    "chroma_peak",
    "chroma_entropy",
    "chroma_stability",
    "longterm_chroma_peak",
    "stereo_width",
    "stereo_correlation",
    "active_share",
    "busy_share",
    "busy_run_log2_s",
    *(f"cepstrum_{k}_mean" for k in range(1, CEPSTRUM_MEANS + 1)),
    *(f"cepstrum_{k}_std" for k in range(1, CEPSTRUM_STDS + 1)),
    "onset_periodicity",
)
"""The columns of :func:`role_features`, in order. Frequencies are in octaves re 1 kHz
(log2(f / 1000)), levels in dB relative to the stem's loud level, shares in 0..1."""

_EPS = 1e-20


@dataclass(frozen=True)
class RolePrediction:
    """The classifier's answer for one stem.

    role: the most probable role (one of :data:`ai.mixing.roles.ROLES`); "other" for a silent stem.
    confidence: its probability (0-1); 0 for a silent stem.
    probabilities: every class's probability (they sum to 1; all 0 for a silent stem).
    """

    role: str
    confidence: float
    probabilities: dict[str, float]


@dataclass(frozen=True)
class RoleModel:
    """Multiclass gradient boosting: class k's score is ``prior[k]`` plus its forest's score
    (``learning_rate`` times the sum of its trees' values, scikit-learn's layout); the
    probabilities are the softmax of the scores.

    min_confidence: below this probability "other" should stand: the threshold that made right
    minus wrong predictions used largest in the training songs' soundfont cross-validation
    (models/role_classifier.md).
    """

    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    prior: np.ndarray
    forests: tuple[LevelModel, ...]
    min_confidence: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """rows: np.ndarray [shape=(n, F)] of :func:`role_features` -> np.ndarray [shape=(n, classes)]."""
        x = np.atleast_2d(np.asarray(rows, dtype=np.float32))
        scores = self.prior[None, :] + np.stack([forest.scores(x) for forest in self.forests], axis=1)
        scores -= scores.max(axis=1, keepdims=True)
        odds = np.exp(scores)
        result: np.ndarray = odds / odds.sum(axis=1, keepdims=True)
        return result

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data. Thresholds are written as the shortest decimal that reads
        back as the same float32 (the trees compare float32 features, as scikit-learn does), so
        the file is small and the splits exact."""

        def compact(tree: Tree) -> dict[str, Any]:
            data = tree.to_dict()
            data["threshold"] = [float(str(np.float32(v))) for v in tree.threshold]
            return data

        return {
            "feature_names": list(self.feature_names),
            "classes": list(self.classes),
            "prior": [float(v) for v in self.prior],
            "learning_rate": self.forests[0].learning_rate,
            "min_confidence": self.min_confidence,
            "trees": [[compact(tree) for tree in forest.trees] for forest in self.forests],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, expected: tuple[str, ...] = FEATURE_NAMES) -> RoleModel:
        """The model in ``data``; ValueError when its features are not ``expected`` or it is malformed."""
        names = tuple(data["feature_names"])
        if names != expected:
            differ = sorted(set(names) ^ set(expected)) or ["their order"]
            raise ValueError(
                f"model features do not match the code's ({len(names)} vs {len(expected)}; differ: {differ[:6]})"
            )
        classes = tuple(str(c) for c in data["classes"])
        unknown = sorted(set(classes) - set(ROLES))
        if unknown:
            raise ValueError(f"model classes {unknown} are not roles ({', '.join(ROLES)})")
        prior = np.asarray(data["prior"], dtype=np.float64)
        rate = float(data["learning_rate"])
        threshold = float(data["min_confidence"])
        forests_data = data["trees"]
        if len(classes) < 2 or prior.shape != (len(classes),) or len(forests_data) != len(classes):
            raise ValueError("the model needs a prior and a forest for each of at least two classes")
        if not (np.isfinite(prior).all() and np.isfinite(rate) and rate > 0 and 0.0 <= threshold <= 1.0):
            raise ValueError("prior, learning_rate and min_confidence must be finite (rate > 0, 0 <= min <= 1)")
        forests = []
        for forest in forests_data:
            trees = tuple(Tree.from_dict(t, columns=len(names)) for t in forest)
            if not trees:
                raise ValueError("a class has no trees")
            forests.append(LevelModel(names, rate, trees))
        return cls(names, classes, prior, tuple(forests), threshold)


def _stft_power(y: np.ndarray) -> np.ndarray:
    """np.ndarray [shape=(n,)] at ANALYSIS_RATE -> power np.ndarray [shape=(frames, N_FFT // 2 + 1)], float32."""
    if y.shape[0] < N_FFT:
        y = np.pad(y, (0, N_FFT - y.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(y.astype(np.float32, copy=False), N_FFT)[::HOP]
    windowed = frames * np.hanning(N_FFT).astype(np.float32)
    spectrum = scipy.fft.rfft(windowed, axis=1, overwrite_x=True)
    power: np.ndarray = np.square(spectrum.real)
    power += np.square(spectrum.imag)
    return power


def _octaves(freq_hz: np.ndarray | float) -> np.ndarray:
    """Frequency in octaves re 1 kHz (log2(f / 1000)); 0 Hz maps to the lowest bin's octave."""
    return np.log2(np.maximum(freq_hz, ANALYSIS_RATE / N_FFT) / 1000.0)


def _db(ratio: np.ndarray | float) -> np.ndarray:
    return np.maximum(10.0 * np.log10(np.maximum(ratio, _EPS)), LEVEL_FLOOR_DB)


def _runs(mask: np.ndarray) -> np.ndarray:
    """Lengths of the runs of True in a 1-D boolean array."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    return change[1::2] - change[0::2]


def _stereo_sums(x: np.ndarray) -> tuple[float, float, float]:
    """The sums of left*left, right*right and left*right of ``x`` [shape=(channels, m)] (the right
    is the left for mono)."""
    left = x[0]
    right = x[1] if x.shape[0] > 1 else x[0]
    # einsum's own loops, not BLAS: a threaded BLAS call costs more than it saves on a busy machine.
    ll, rr, lr = (float(np.einsum("i,i->", a, b)) for a, b in ((left, left), (right, right), (left, right)))
    return ll, rr, lr


def _stereo(ll: float, rr: float, lr: float, *, channels: int) -> tuple[float, float]:
    """(side share of the energy, inter-channel correlation) from :func:`_stereo_sums`; (0, 1) for
    mono. Raises ValueError when the samples are not finite."""
    if not np.isfinite(ll + rr + lr):
        raise ValueError("samples must be finite")
    if channels < 2 or ll + rr <= 0.0:
        return 0.0, 1.0
    side = max(ll + rr - 2.0 * lr, 0.0) / 4.0
    mid = (ll + rr + 2.0 * lr) / 4.0
    width = side / (side + mid) if side + mid > 0 else 0.0
    correlation = lr / np.sqrt(ll * rr) if ll > 0 and rr > 0 else 0.0
    return float(width), float(np.clip(correlation, -1.0, 1.0))


def _attack_ms(envelope: np.ndarray, onset_frames: np.ndarray) -> float:
    """Median rise time (ms, at least one envelope step) of the attacks at ``onset_frames``.

    envelope: :func:`_envelope` of the signal at ANALYSIS_RATE; onset_frames: STFT frames (HOP
    apart) where the flux peaks. Each attack is looked for from the frame before the onset frame to
    that frame's end.
    """
    step_ms = 1000.0 * ATTACK_BLOCK / ANALYSIS_RATE
    blocks = envelope.shape[0]
    if onset_frames.size == 0 or blocks < 2:
        return step_ms
    width = (N_FFT + HOP) // ATTACK_BLOCK
    first = np.clip((onset_frames - 1) * HOP // ATTACK_BLOCK, 0, max(blocks - width, 0))
    index = np.arange(min(width, blocks))
    windows = envelope[first[:, None] + index[None, :]]
    peak_at = windows.argmax(axis=1)
    peak = windows.max(axis=1)
    base = np.where(index[None, :] <= peak_at[:, None], windows, np.inf).min(axis=1)
    low = base + ATTACK_RANGE[0] * (peak - base)
    high = base + ATTACK_RANGE[1] * (peak - base)
    reach = np.argmax(windows >= high[:, None], axis=1)
    start = np.where((index[None, :] < reach[:, None]) & (windows <= low[:, None]), index[None, :], -1).max(axis=1)
    rise = (reach - np.maximum(start, 0)) * step_ms
    return float(max(np.median(rise[peak > base]), step_ms)) if np.any(peak > base) else step_ms


def _cepstrum(p: np.ndarray, freqs: np.ndarray, loud: float) -> np.ndarray:
    """Cepstra [shape=(frames, CEPSTRUM_BANDS)] of power spectra ``p`` [shape=(frames, bins)]: the
    DCT-II (orthonormal) of the log powers in CEPSTRUM_BANDS log-spaced bands, floored at
    FLATNESS_FLOOR_DB under the loud frame's mean band power."""
    edges = np.geomspace(BAND_EDGES_HZ[1], BAND_EDGES_HZ[-1], CEPSTRUM_BANDS + 1)[:-1]
    starts = np.unique(np.searchsorted(freqs, edges))
    bands = np.add.reduceat(p, starts, axis=1)
    floor = loud / starts.size * 10.0 ** (FLATNESS_FLOOR_DB / 10.0)
    result: np.ndarray = scipy.fft.dct(10.0 * np.log10(bands + floor), type=2, norm="ortho", axis=1, n=CEPSTRUM_BANDS)
    return result


def _periodicity(flux: np.ndarray) -> float:
    """Highest normalised autocorrelation of the onset flux [shape=(frames,)] at lags in PERIOD_RANGE_S."""
    lags = np.arange(int(PERIOD_RANGE_S[0] * ANALYSIS_RATE / HOP), int(PERIOD_RANGE_S[1] * ANALYSIS_RATE / HOP) + 1)
    x = flux - flux.mean()
    if x.shape[0] <= lags[-1] + 1:
        return 0.0
    spectrum = scipy.fft.rfft(x, n=2 * x.shape[0])
    acf = scipy.fft.irfft(np.abs(spectrum) ** 2)[: x.shape[0]]
    if acf[0] <= 0:
        return 0.0
    return float(np.max(acf[lags]) / acf[0])


def role_features(*, samples: Frames, sr: int) -> np.ndarray | None:
    """The stem's features (columns :data:`FEATURE_NAMES`), or None when the stem is silent.

    samples: np.ndarray [shape=(channels, n) or (n,)], float, or a stem file, at ``sr`` Hz (any
    rate; the first two channels are used for the stereo features, their mean for the rest). A stem
    file is read READ_BLOCK frames at a time and its 22.05 kHz mono signal kept in a stem file beside
    it (:func:`role_features_from_blocks`).
    Returns np.ndarray [shape=(len(FEATURE_NAMES),), dtype=float32]. Raises ValueError for an empty
    or non-finite signal or a rate below 8 kHz.
    """
    if isinstance(samples, StemFile):
        x: Frames = samples
        directory: Path | None = samples.path.parent
    else:
        x = np.asarray(samples, dtype=np.float32)
        x = x[None, :] if x.ndim == 1 else x
        directory = None
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"samples must have shape (channels, n) with n > 0, not {np.shape(samples)}")
    return role_features_from_blocks(frame_blocks(x, READ_BLOCK), sr=sr, directory=directory)


def role_features_from_blocks(
    blocks: Iterable[np.ndarray],
    *,
    sr: int,
    directory: Path | None = None,
    read_mono: Callable[[Frames], None] | None = None,
) -> np.ndarray | None:
    """:func:`role_features` of the stem that ``blocks`` (np.ndarray [shape=(channels, m)], float32,
    in order, READ_BLOCK frames each but the last) make up. Its mono signal at ANALYSIS_RATE is kept
    in a stem file in ``directory`` (deleted at the end) when one is given, else in memory; the
    features come from two passes over its STFT FRAMES_AT_ONCE frames at a time (the first finds
    the loud level every other feature is relative to), keeping only per-frame summaries, so they
    are the same bits as computing them on the whole signal at once. ``read_mono``, when given, is
    called with that mono signal (shape (1, n) at ANALYSIS_RATE) before it goes: another reading of
    the same stem (a voice in it, :mod:`ai.audio.voice`) without a second downmix."""
    if sr < 8000:
        raise ValueError(f"sample rate {sr} Hz is too low to classify a stem (8 kHz at least)")
    stereo = np.zeros(3)  # the sums of left*left, right*right, left*right
    channels = [0]

    def mono_blocks() -> Iterator[np.ndarray]:
        # One soxr stream: the same samples as resampling the whole downmix at once.
        stream = (
            None if sr == ANALYSIS_RATE else soxr.ResampleStream(sr, ANALYSIS_RATE, 1, dtype="float32", quality="HQ")
        )
        for block in blocks:
            x = np.asarray(block, dtype=np.float32)
            channels[0] = x.shape[0]
            stereo[:] += _stereo_sums(x)
            mono = (x[0] + x[1]) * np.float32(0.5) if x.shape[0] > 1 else x[0]
            yield (mono if stream is None else stream.resample_chunk(mono, last=False))[None, :]
        if stream is not None:
            yield stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)[None, :]

    if directory is not None:
        with write_stem_file(mono_blocks(), channels=1, sample_rate=ANALYSIS_RATE, directory=directory) as y:
            features = _checked_features(y, stereo, channels[0])
            if read_mono is not None:
                read_mono(y)
            return features
    parts = list(mono_blocks())
    mono = np.concatenate(parts, axis=1) if parts else np.zeros((1, 0), np.float32)
    features = _checked_features(mono, stereo, channels[0])
    if read_mono is not None:
        read_mono(mono)
    return features


def _checked_features(y: Frames, stereo: np.ndarray, channels: int) -> np.ndarray | None:
    if channels == 0:
        raise ValueError("samples must have shape (channels, n) with n > 0, not an empty signal")
    width, correlation = _stereo(*(float(v) for v in stereo), channels=channels)
    return _mono_features(y, width, correlation)


def _power_blocks(y: Frames, bins: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first frame, power np.ndarray [shape=(frames, bins)]) of the STFT of ``y`` (shape (1, n)),
    FRAMES_AT_ONCE frames at a time: the frames of :func:`_stft_power` on the whole signal."""
    n = frame_count(y)
    if n < N_FFT:
        yield 0, _stft_power(read_frames(y, 0, n)[0])[:, :bins]
        return
    frames = (n - N_FFT) // HOP + 1
    for first in range(0, frames, FRAMES_AT_ONCE):
        last = min(first + FRAMES_AT_ONCE, frames)
        yield first, _stft_power(read_frames(y, first * HOP, (last - 1) * HOP + N_FFT)[0])[:, :bins]


def _envelope(y: Frames) -> np.ndarray:
    """RMS of each whole ATTACK_BLOCK samples of ``y`` (shape (1, n)): the attacks' fine envelope."""
    end = frame_count(y) // ATTACK_BLOCK * ATTACK_BLOCK
    step = ATTACK_BLOCK * FRAMES_AT_ONCE * (HOP // ATTACK_BLOCK)
    parts = [np.zeros(0, dtype=np.float32)]
    for start in range(0, end, step):
        part = read_frames(y, start, min(start + step, end))[0]
        parts.append(np.sqrt(np.mean(np.square(part.reshape(-1, ATTACK_BLOCK)), axis=1)))
    return np.concatenate(parts)


class _SumAsWhole:
    """``values.sum(dtype=np.float64)`` of a float32 array given a piece at a time, to the bit: numpy
    casts such a sum a buffer (``np.getbufsize()`` values) at a time and adds each buffer's pairwise
    sum to the total."""

    def __init__(self) -> None:
        self.total = 0.0
        self._pending = np.zeros(0, dtype=np.float32)

    def add(self, values: np.ndarray) -> None:
        pending = np.concatenate([self._pending, values])
        size = np.getbufsize()
        full = pending.shape[0] // size * size
        for start in range(0, full, size):
            self.total += float(np.add.reduce(pending[start : start + size].astype(np.float64)))
        self._pending = pending[full:]

    def result(self) -> float:
        if self._pending.shape[0]:
            self.total += float(np.add.reduce(self._pending.astype(np.float64)))
            self._pending = self._pending[:0]
        return self.total


def _mono_features(y: Frames, width: float, correlation: float) -> np.ndarray | None:
    """The features of the stem whose mono signal at ANALYSIS_RATE is ``y`` (shape (1, n))."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    freqs = freqs[freqs < BAND_EDGES_HZ[-1]]
    nb = freqs.shape[0]
    # Pass 1: every frame's power, for the loud level.
    frame_power = np.concatenate([power.sum(axis=1, dtype=np.float64) for _, power in _power_blocks(y, nb)])
    sounding = frame_power[frame_power > 0]
    if sounding.size == 0:
        return None
    loud = float(np.percentile(sounding, 95))
    # Mean square per sample of a loud frame: Parseval over the Hann-windowed frame.
    window_energy = float(np.sum(np.hanning(N_FFT) ** 2))
    if 10.0 * np.log10(max(2.0 * loud / (N_FFT * window_energy), _EPS)) < SILENCE_DBFS:
        return None
    level = _db(frame_power / loud)
    active = level >= -ACTIVE_RANGE_DB
    busy = level >= -BUSY_RANGE_DB
    frame_s = HOP / ANALYSIS_RATE
    floor = loud / nb * 10.0 ** (FLATNESS_FLOOR_DB / 10.0)
    band_starts = np.searchsorted(freqs, BAND_EDGES_HZ[:-1])
    chroma_bins = np.flatnonzero((freqs >= CHROMA_RANGE_HZ[0]) & (freqs <= CHROMA_RANGE_HZ[1]))
    pitch_class = np.round(12.0 * np.log2(freqs[chroma_bins] / 440.0)).astype(np.int64) % 12
    fold = np.zeros((chroma_bins.size, 12), dtype=np.float32)
    fold[np.arange(chroma_bins.size), pitch_class] = 1.0

    # Pass 2: the frame-wise features, kept per frame (a few numbers each), and the running sums.
    longterm_sum = np.zeros(nb)
    lobe_power = _SumAsWhole()
    kept: dict[str, list[np.ndarray]] = {
        k: [] for k in ("compressed", "p_sum", "centroid", "rolloff", "flatness", "partials", "fundamental")
    }
    kept.update(chroma=[np.zeros((0, 12), np.float32)], cepstrum=[np.zeros((0, CEPSTRUM_BANDS), np.float32)])
    for first, power in _power_blocks(y, nb):
        kept["compressed"].append(np.log1p(np.add.reduceat(power, band_starts, axis=1) * np.float32(FLUX_GAMMA / loud)))
        p = power[active[first : first + power.shape[0]]]
        del power
        p_sum = p.sum(axis=1, dtype=np.float64)
        kept["p_sum"].append(p_sum)
        # numpy sums a float64 mean over axis 0 row after row: carrying the total keeps its order.
        longterm_sum = np.add.reduce(np.vstack([longterm_sum[None, :], p.astype(np.float64)]), axis=0)
        kept["centroid"].append(_octaves(np.einsum("tk,k->t", p, freqs.astype(np.float32)) / p_sum))
        rolloff_bin = np.argmax(np.cumsum(p, axis=1) >= 0.85 * p_sum[:, None], axis=1)
        kept["rolloff"].append(_octaves(freqs[rolloff_bin]))
        kept["flatness"].append(
            10.0 * (np.log10(p[:, 2:] + floor).mean(axis=1) - np.log10(p[:, 2:].mean(axis=1) + floor))
        )
        # Pitchedness: prominent spectral peaks (partials) and pitch-class concentration.
        local_mean = scipy.ndimage.uniform_filter1d(p, size=PEAK_SPAN, axis=1, mode="nearest")
        is_peak = np.zeros_like(p, dtype=bool)
        is_peak[:, 1:-1] = (
            (p[:, 1:-1] > p[:, :-2]) & (p[:, 1:-1] >= p[:, 2:]) & (p[:, 1:-1] > PEAK_PROMINENCE * local_mean[:, 1:-1])
        )
        del local_mean
        peak_power = np.where(is_peak, p, 0.0)
        # A partial's energy: its peak bin and the two next to it (most of a Hann window's main lobe).
        lobe = is_peak.copy()
        lobe[:, 1:] |= is_peak[:, :-1]
        lobe[:, :-1] |= is_peak[:, 1:]
        lobe_power.add(p[lobe])
        strongest = peak_power.max(axis=1)
        strong = peak_power >= strongest[:, None] * 10.0 ** (-PARTIAL_RANGE_DB / 10.0)
        strong &= is_peak
        kept["partials"].append(strong.sum(axis=1))
        fundamental_bin = np.argmax(
            is_peak & (peak_power >= strongest[:, None] * 10.0 ** (-FUNDAMENTAL_RANGE_DB / 10.0)), axis=1
        )
        kept["fundamental"].append(fundamental_bin[strongest > 0])
        kept["chroma"].append(np.einsum("tk,kc->tc", p[:, chroma_bins], fold))
        kept["cepstrum"].append(_cepstrum(p, freqs, loud))
    per_frame = {k: np.concatenate(v) for k, v in kept.items()}
    p_sum = per_frame["p_sum"]
    chroma = per_frame["chroma"]
    cepstrum = per_frame["cepstrum"]

    # Long-term spectrum shape.
    longterm = longterm_sum / np.count_nonzero(active)
    total = float(longterm.sum())
    band_index = np.searchsorted(np.asarray(BAND_EDGES_HZ[1:-1]), freqs, side="right")
    bands = _db(np.bincount(band_index, weights=longterm, minlength=len(BAND_EDGES_HZ) - 1) / total)
    cumulative = np.cumsum(longterm) / total
    spectrum_peak = _octaves(freqs[1 + int(np.argmax(longterm[1:]))])
    spectrum_median = _octaves(freqs[int(np.searchsorted(cumulative, 0.5))])
    centroid, rolloff, flatness = per_frame["centroid"], per_frame["rolloff"], per_frame["flatness"]

    # Level envelope: sustain, attacks and decays.
    active_level = level[active]
    rise = np.diff(level)[active[1:]]
    peaks = np.flatnonzero(
        busy[1:-1] & (level[1:-1] >= level[:-2]) & (level[1:-1] > level[2:]),
    )
    peaks += 1
    decays = []
    for lag in DECAY_FRAMES:
        ok = peaks[peaks + lag < level.shape[0]]
        decays.append(float(np.median(level[ok] - level[ok + lag])) if ok.size else 0.0)

    # Onsets from the log-compressed spectral flux.
    compressed = per_frame["compressed"]
    flux = np.concatenate(([0.0], np.maximum(np.diff(compressed, axis=0), 0.0).sum(axis=1)))
    local_max = scipy.ndimage.maximum_filter1d(flux, size=2 * ONSET_SPREAD + 1)
    top = float(np.percentile(flux, 99))
    onset_frames = np.flatnonzero((flux == local_max) & (flux >= ONSET_RELATIVE * top) & (flux > 0))
    onsets = onset_frames.size
    attack = _attack_ms(_envelope(y), onset_frames)
    active_flux = flux[active]
    flux_crest = float(_db(np.percentile(active_flux, 95) / max(float(np.median(active_flux)), _EPS)))

    tonal_share = float(lobe_power.result() / p_sum.sum())
    partials = per_frame["partials"]
    pitched_bins = per_frame["fundamental"]
    fundamentals = _octaves(freqs[pitched_bins]) if pitched_bins.size else np.zeros(1)

    chroma_sum = chroma.sum(axis=1)
    weights = chroma_sum / max(float(chroma_sum.sum()), _EPS)
    shares = chroma / np.maximum(chroma_sum[:, None], _EPS)
    chroma_peak = float(weights @ shares.max(axis=1))
    entropy = -(shares * np.log(np.maximum(shares, _EPS))).sum(axis=1) / np.log(12.0)
    chroma_entropy = float(weights @ entropy)
    norm = np.linalg.norm(chroma, axis=1)
    if chroma.shape[0] > CHROMA_LAG:
        cosine = (chroma[CHROMA_LAG:] * chroma[:-CHROMA_LAG]).sum(axis=1) / np.maximum(
            norm[CHROMA_LAG:] * norm[:-CHROMA_LAG], _EPS
        )
        chroma_stability = float(np.median(cosine))
    else:
        chroma_stability = 1.0
    longterm_chroma = longterm[chroma_bins] @ fold
    longterm_chroma_peak = float(longterm_chroma.max() / max(float(longterm_chroma.sum()), _EPS))

    runs = _runs(busy)
    periodicity = _periodicity(flux)
    features = [
        *bands,
        float(centroid.mean()),
        float(centroid.std()),
        float(rolloff.mean()),
        float(flatness.mean()),
        float(flatness.std()),
        float(spectrum_peak),
        float(spectrum_median),
        float(np.percentile(active_level, 50)),
        float(np.percentile(active_level, 10)),
        float(np.percentile(rise, 95)) if rise.size else 0.0,
        float(np.percentile(rise, 50)) if rise.size else 0.0,
        *decays,
        onsets / (np.count_nonzero(active) * frame_s),
        float(np.log2(attack)),
        flux_crest,
        tonal_share,
        float(np.median(partials)),
        float(np.median(fundamentals)),
        float(np.subtract(*np.percentile(fundamentals, [75, 25]))),
        chroma_peak,
        chroma_entropy,
        chroma_stability,
        longterm_chroma_peak,
        width,
        correlation,
        float(np.count_nonzero(active) / active.size),
        float(np.count_nonzero(busy) / busy.size),
        float(np.log2(max(float(runs.mean()) * frame_s, frame_s))) if runs.size else float(np.log2(frame_s)),
        *cepstrum[:, 1 : CEPSTRUM_MEANS + 1].mean(axis=0),
        *cepstrum[:, 1 : CEPSTRUM_STDS + 1].std(axis=0),
        periodicity,
    ]
    return np.asarray(features, dtype=np.float32)


@functools.cache
def _load(path: Path) -> tuple[RoleModel | None, str | None]:
    try:
        return RoleModel.from_dict(json.loads(path.read_text())), None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("role classifier not used (%s): %s", path, exc)
        return None, f"{type(exc).__name__}: {exc}"


def load_role_model(path: Path | None = None) -> RoleModel | None:
    """The model in ``path`` (JSON, default role_classifier.json in DAWG_AI_MODELS_DIR, else models/;
    read once, then cached), or None when it is missing, malformed or fitted on other features than
    :data:`FEATURE_NAMES`; the reason is logged once."""
    return _load(Path(path) if path else model_path(SHIPPED_MODEL))[0]


def describe_role_model(path: Path | None = None) -> dict[str, Any]:
    """What /api/v1/models and the status file can say of the model: the file used, loaded or why not."""
    path = Path(path) if path else model_path(SHIPPED_MODEL)
    model, error = _load(path)
    out = {
        "name": "role_classifier",
        "family": "mixing",
        "serves": "a track's role from its audio when its name says nothing",
        "path": str(path),
        "loaded": model is not None,
        "classes": list(model.classes) if model is not None else [],
    }
    if error is not None:
        out["error"] = error
    return out


def classify_role(*, samples: Frames, sr: int, model: RoleModel | None = None) -> RolePrediction:
    """The role that the stem sounds like.

    samples: np.ndarray [shape=(channels, n) or (n,)], float, or a stem file, at ``sr`` Hz. model: the classifier
    (default: the shipped one, see :func:`load_role_model`). A silent stem is "other" with
    confidence 0. Raises ModelUnavailable when no model is given and the shipped one cannot be
    loaded, ValueError for an empty or non-finite signal.
    """
    if model is None:
        model = load_role_model()
        if model is None:
            raise ModelUnavailable(f"role classifier not loaded: {_load(model_path(SHIPPED_MODEL))[1]}")
    return predict_role(role_features(samples=samples, sr=sr), model)


def predict_role(features: np.ndarray | None, model: RoleModel) -> RolePrediction:
    """The model's answer for :func:`role_features`' ``features`` (None: a silent stem, "other")."""
    if features is None:
        return RolePrediction("other", 0.0, {name: 0.0 for name in model.classes})
    probabilities = model.probabilities(features[None, :])[0]
    best = int(np.argmax(probabilities))
    return RolePrediction(
        role=model.classes[best],
        confidence=float(probabilities[best]),
        probabilities={name: float(v) for name, v in zip(model.classes, probabilities, strict=True)},
    )
