"""Shared analysis features: one STFT, one onset envelope, one chroma, computed once per signal.

Every estimator (rhythm, key, chords, the seed's spectral means) reads a :class:`SharedFeatures`
instead of recomputing its own representation. The input is mono float32 audio already resampled
to :data:`ai.analysis.constants.ANALYSIS_SR`; nothing here decodes or resamples.

Pitch representations come from spectral peaks: every local maximum of the magnitude spectrum
between PITCH_FMIN and PITCH_FMAX is refined by parabolic interpolation of the log magnitude,
which gives its frequency to a fraction of a bin. The peaks give the tuning (a weighted circular
mean of their deviation from 12-TET) and then a tuned semitone spectrum; the chromas are folded
from it. This keeps bass notes sharp even though a 2048-point frame has 10.8 Hz bins.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import scipy.fft

from ai import pools, progress
from ai.analysis.constants import (
    BASS_MIDI_MAX,
    HOP,
    LOW_ONSET_FMAX,
    MEL_FMAX,
    MEL_FMIN,
    MIDI_MIN,
    N_FFT,
    N_MELS,
    N_SEMITONES,
    PITCH_FMAX,
    PITCH_FMIN,
)
from ai.audio.frame_file import FrameFile
from ai.audio.stem_file import StemFile

logger = logging.getLogger(__name__)

_BLOCK_FRAMES = 1024
"""Frames transformed per FFT call: bounds the windowed frames, the complex spectrum and its magnitude
(8 MB each here, two blocks in flight: a 30-minute file peaked 35 MB lower than with 2048 frames, at
the same CPU time)."""
_LOG_GAMMA = 100.0
"""Compression of the onset spectrogram: log(1 + gamma * X / max X)."""
_SEMITONE_REACH_HZ = 4200.0
"""Peaks above this never enter a pitch representation: the semitone spectrum's top row (MIDI 107) takes
peaks under MIDI 108 (4186 Hz) at any tuning in [-50, 50) cents, and the tuning reads 100 Hz - 2 kHz."""
_PEAK_FLOOR_DB = 50.0
"""Spectral peaks more than this many dB below their frame's strongest peak are ignored."""
_GLOBAL_FLOOR_DB = 80.0
"""...and so are peaks this far below the loudest bin of the whole signal (noise, silence)."""
ROLLOFF_FRACTION = 0.85
"""The spectral roll-off is where this share of a frame's magnitude lies below."""


@dataclass(frozen=True)
class SharedFeatures:
    """Representations shared by every analysis estimator (all frame-rate arrays share one grid).

    Attributes:
        n_samples: length of the mono signal at ``sr`` (the signal itself is not kept: see
            :class:`SpectralPass`).
        sr: sample rate in Hz (normally ANALYSIS_SR).
        hop_length: hop in samples between frames (HOP).
        n_fft: frame length in samples (N_FFT).
        mel: np.ndarray [shape=(N_MELS, n_frames), dtype=float32]: linear mel magnitudes
            (Slaney, area-normalised, MEL_FMIN..MEL_FMAX) of the magnitude STFT (Hann window,
            frames centred on multiples of ``hop_length``: :func:`stft_magnitude`), which is
            computed a block of frames at a time and never kept whole; the one mel projection
            that both onset envelopes (``onset_env`` here, the beat detection function in
            :mod:`ai.analysis.rhythm`) are computed from.
        freqs: np.ndarray [shape=(1 + n_fft // 2,)]: centre frequency (Hz) of each STFT bin.
        frame_times: np.ndarray [shape=(n_frames,)]: time (s) of each frame's centre.
        onset_env: np.ndarray [shape=(n_frames,), dtype=float32]: spectral flux of the
            log-compressed mel spectrogram (N_MELS bands, max-filtered across bands against
            vibrato), half-wave rectified, mean over bands. >= 0; onset_env[0] == 0.
        low_onset_env: np.ndarray [shape=(n_frames,), dtype=float32]: the same flux over the STFT
            bins from 30 Hz to LOW_ONSET_FMAX (kick drum and bass onsets). >= 0.
        chroma: np.ndarray [shape=(12, n_frames), dtype=float32]: tuned chroma, row 0 = C, folded
            from ``semitone_spec`` (linear magnitude, NOT normalised: silent frames are all 0).
        bass_chroma: np.ndarray [shape=(12, n_frames), dtype=float32]: the same, from pitches
            up to BASS_MIDI_MAX (G3) only.
        semitone_spec: np.ndarray [shape=(N_SEMITONES, n_frames), dtype=float32]: tuned
            semitone spectrum, row i = MIDI pitch MIDI_MIN + i; summed peak magnitudes.
        tuning_cents: deviation of the reference from A4 = 440 Hz in cents, in [-50, 50).
        rms: np.ndarray [shape=(n_frames,), dtype=float32]: RMS of each frame (Parseval on the
            magnitude STFT, corrected for the window so a full-scale sine reads ~0.707).
        spectral_centroid: np.ndarray [shape=(n_frames,), dtype=float64]: each frame's spectral
            centroid (Hz; 0 for a silent frame).
        spectral_rolloff: np.ndarray [shape=(n_frames,), dtype=float64]: each frame's 85 %
            roll-off frequency (Hz; 0 for a silent frame).
    """

    n_samples: int
    sr: int
    hop_length: int
    n_fft: int
    mel: np.ndarray
    freqs: np.ndarray
    frame_times: np.ndarray
    onset_env: np.ndarray
    low_onset_env: np.ndarray
    chroma: np.ndarray
    bass_chroma: np.ndarray
    semitone_spec: np.ndarray
    tuning_cents: float
    rms: np.ndarray
    spectral_centroid: np.ndarray
    spectral_rolloff: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.frame_times.shape[0])

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self.sr / self.hop_length

    @property
    def duration(self) -> float:
        """Duration of the signal in seconds."""
        return self.n_samples / self.sr


@lru_cache(maxsize=4)
def _window(n_fft: int) -> np.ndarray:
    n = np.arange(n_fft)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / n_fft)).astype(np.float32)  # periodic Hann


@lru_cache(maxsize=4)
def _mel_bands(sr: int, n_fft: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Slaney-style, area-normalised mel filterbank (librosa; N_MELS bands, MEL_FMIN..MEL_FMAX)
    in banded form: each band's first bin [N_MELS], end bin [N_MELS] and its weights concatenated
    (float32). Each band covers a few contiguous bins, so a banded sum beats a (sparse) matmul."""
    import librosa  # imported here: librosa's import is slow and only this needs it

    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=N_MELS, fmin=MEL_FMIN, fmax=MEL_FMAX)
    lo = np.zeros(len(basis), dtype=np.int64)
    hi = np.zeros(len(basis), dtype=np.int64)
    weights = []
    for i, row in enumerate(basis):
        nz = np.flatnonzero(row)
        if nz.size:
            lo[i], hi[i] = nz[0], nz[-1] + 1
            weights.append(row[lo[i] : hi[i]])
    flat = np.concatenate(weights) if weights else np.zeros(0)
    return lo, hi, flat.astype(np.float32)


@lru_cache(maxsize=1)
def _mel_band_edges() -> np.ndarray:
    """The N_MELS + 2 edge frequencies (Hz) of the shared mel projection: band i spans edges i .. i + 2."""
    import librosa  # imported here, as for _mel_bands

    edges: np.ndarray = librosa.mel_frequencies(N_MELS + 2, fmin=MEL_FMIN, fmax=MEL_FMAX)  # Slaney, as _mel_bands
    return edges


def mel_bands_below(hz: float) -> int:
    """How many of the shared mel bands (from the lowest) end at or below ``hz``: ``SharedFeatures.mel[:k]``
    is what a signal with nothing above ``hz`` and the full-band one share."""
    return int(np.searchsorted(_mel_band_edges()[2:], hz, side="right"))


def first_mel_band_from(hz: float) -> int:
    """The first of the shared mel bands that starts at or above ``hz``: ``SharedFeatures.mel[k:]`` holds
    nothing of a signal band-limited below ``hz``."""
    return int(np.searchsorted(_mel_band_edges()[:-2], hz, side="left"))


@numba.njit(cache=True, fastmath=True, nogil=True)
def _banded_project(
    mag: np.ndarray, lo: np.ndarray, hi: np.ndarray, weights: np.ndarray
) -> np.ndarray:  # pragma: no cover (compiled)
    """out[b, t] = sum_k weights_b[k] * mag[lo[b] + k, t]; one pass over the frames."""
    n_bands, n = lo.shape[0], mag.shape[1]
    out = np.zeros((n_bands, n), dtype=np.float32)
    for t in range(n):
        off = 0
        for b in range(n_bands):
            acc = np.float32(0.0)
            for k in range(lo[b], hi[b]):
                acc += weights[off + k - lo[b]] * mag[k, t]
            out[b, t] = acc
            off += hi[b] - lo[b]
    return out


def mel_spectrogram(stft_mag: np.ndarray, *, sr: int, n_fft: int) -> np.ndarray:
    """Mel magnitudes [shape=(N_MELS, n), float32] from ``stft_mag`` [shape=(1 + n_fft // 2, n)],
    without copying the (large) spectrogram whatever its memory order."""
    lo, hi, weights = _mel_bands(sr, n_fft)
    mag = stft_mag if stft_mag.dtype == np.float32 else stft_mag.astype(np.float32)
    return _banded_project(mag, lo, hi, weights)


def stft_blocks(
    y: np.ndarray | StemFile, *, n_fft: int = N_FFT, hop_length: int = HOP
) -> Iterator[tuple[int, np.ndarray]]:
    """The magnitude STFT of ``y`` [shape=(n,)] (see :func:`stft_magnitude`) a block of frames at a
    time: (first frame, np.ndarray [shape=(frames, 1 + n_fft // 2), dtype=float32]) in order.

    Each block is cut from its own zero-padded stretch of ``y``, so neither a padded copy of the
    signal nor a large windowed-frame buffer exists for long signals. ``y`` may be a one-channel
    stem file (ai/audio/stem_file.py), read a stretch at a time.
    """
    if not isinstance(y, StemFile):
        y = np.asarray(y, dtype=np.float32)
    pad = n_fft // 2
    n = y.n_samples if isinstance(y, StemFile) else len(y)
    n_frames = 1 + n // hop_length
    window = _window(n_fft)
    for start in range(0, n_frames, _BLOCK_FRAMES):
        progress.report(start / n_frames)  # a job's progress (ai/progress.py); a no-op otherwise
        count = min(_BLOCK_FRAMES, n_frames - start)
        # Samples start * hop - pad .. of y (zero outside it) hold this block's frames.
        first = start * hop_length - pad
        stretch = np.zeros((count - 1) * hop_length + n_fft, dtype=np.float32)
        lo, hi = max(first, 0), min(first + len(stretch), n)
        if hi > lo:
            stretch[lo - first : hi - first] = y.read(lo, hi)[0] if isinstance(y, StemFile) else y[lo:hi]
        frames = np.lib.stride_tricks.sliding_window_view(stretch, n_fft)[::hop_length]
        spec = scipy.fft.rfft(frames * window, axis=1, workers=-1)
        yield start, np.abs(spec)


def stft_magnitude(y: np.ndarray, *, n_fft: int = N_FFT, hop_length: int = HOP) -> np.ndarray:
    """Magnitude STFT of ``y`` [shape=(n,)] -> [shape=(1 + n_fft // 2, 1 + n // hop_length)].

    Hann window, frames centred on multiples of ``hop_length`` (zero padding at both ends),
    computed block by block (:func:`stft_blocks`).
    """
    n_frames = 1 + len(y) // hop_length
    out = np.empty((n_frames, 1 + n_fft // 2), dtype=np.float32)  # frames x bins, C order
    for start, block in stft_blocks(y, n_fft=n_fft, hop_length=hop_length):
        out[start : start + len(block)] = block
    return out.T  # bins x frames (a Fortran-ordered view)


@numba.njit(cache=True, nogil=True)
def _centroid_rolloff(
    mag_t: np.ndarray, freqs: np.ndarray, fraction: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Per-frame spectral centroid and roll-off of ``mag_t`` [shape=(frames, bins)] (0 when silent)."""
    n_frames, n_bins = mag_t.shape
    centroid = np.zeros(n_frames)
    rolloff = np.zeros(n_frames)
    for t in range(n_frames):
        total = 0.0
        weighted = 0.0
        for k in range(n_bins):
            v = mag_t[t, k]
            total += v
            weighted += v * freqs[k]
        if total <= 0.0:
            continue
        centroid[t] = weighted / total
        threshold = fraction * total
        running = 0.0
        rolloff[t] = freqs[n_bins - 1]
        for k in range(n_bins):
            running += mag_t[t, k]
            if running >= threshold:
                rolloff[t] = freqs[k]
                break
    return centroid, rolloff


_FLUX_BLOCK = 8192
"""Frames per block of the onset envelopes: their log spectrum and differences exist a block at a
time (a 30-minute file's 64 mel bands are 20 MB per array; whole, the log, the max-filtered copy and
the difference were 80 MB at once). Each frame's value is its own column's, so blocks change nothing."""


def _log_flux(spec: np.ndarray, *, max_filter: bool) -> np.ndarray:
    """Half-wave rectified frame difference of the log-compressed ``spec`` [shape=(bands, frames)]
    (log1p of gamma times the spectrum over its maximum; zeros when it is all zero), band mean."""
    n = spec.shape[1]
    flux = np.zeros(n, dtype=np.float32)
    ref = float(spec.max()) if spec.size else 0.0
    if n < 2 or spec.shape[0] == 0 or ref <= 0:
        return flux
    starts = list(range(0, n - 1, _FLUX_BLOCK))
    if len(starts) > 1 and n - 1 - starts[-1] == 1:
        # numpy averages a lone column pairwise, every wider block row by row as the whole array is:
        # the last difference joins the block before it.
        starts.pop()
    for k, start in enumerate(starts):  # the block's differences end at frames start+1 .. stop
        stop = starts[k + 1] if k + 1 < len(starts) else n - 1
        log_spec = np.log1p((_LOG_GAMMA / ref) * spec[:, start : stop + 1]).astype(np.float32, copy=False)
        reference = log_spec[:, :-1]
        if max_filter and log_spec.shape[0] >= 3:
            reference = reference.copy()
            np.maximum(reference[1:], log_spec[:-1, :-1], out=reference[1:])
            np.maximum(reference[:-1], log_spec[1:, :-1], out=reference[:-1])
        diff = log_spec[:, 1:] - reference
        np.maximum(diff, 0.0, out=diff)
        flux[start + 1 : stop + 1] = diff.mean(axis=0)
    return flux


@numba.njit(cache=True, nogil=True)
def _peaks_kernel(
    mag_t: np.ndarray, lo: int, hi: int, rel_floor: float, abs_floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover (compiled)
    """Local maxima of each row of ``mag_t`` between bins ``lo`` and ``hi`` (exclusive) above
    max(row max * rel_floor, abs_floor), refined by parabolic interpolation of the log magnitude.
    Returns (frame index, fractional bin, interpolated magnitude, the peak bin's magnitude), one
    entry per peak."""
    n_frames = mag_t.shape[0]
    counts = np.zeros(n_frames, dtype=np.int64)
    floors = np.zeros(n_frames, dtype=np.float64)
    for t in range(n_frames):
        frame_max = 0.0
        for k in range(lo, hi):
            if mag_t[t, k] > frame_max:
                frame_max = mag_t[t, k]
        floor = max(frame_max * rel_floor, abs_floor)
        floors[t] = floor
        c = 0
        for k in range(lo, hi):
            v = mag_t[t, k]
            if v > floor and v > mag_t[t, k - 1] and v >= mag_t[t, k + 1]:
                c += 1
        counts[t] = c
    total = counts.sum()
    t_idx = np.empty(total, dtype=np.int64)
    position = np.empty(total, dtype=np.float64)
    amp = np.empty(total, dtype=np.float64)
    level = np.empty(total, dtype=np.float64)
    i = 0
    eps = 1e-12
    for t in range(n_frames):
        floor = floors[t]
        for k in range(lo, hi):
            v = mag_t[t, k]
            if v > floor and v > mag_t[t, k - 1] and v >= mag_t[t, k + 1]:
                a = np.log(mag_t[t, k - 1] + eps)
                b = np.log(v + eps)
                c = np.log(mag_t[t, k + 1] + eps)
                denom = a - 2.0 * b + c
                offset = 0.5 * (a - c) / denom if abs(denom) > 1e-9 else 0.0
                offset = min(0.5, max(-0.5, offset))
                t_idx[i] = t
                position[i] = k + offset
                amp[i] = np.exp(b - 0.25 * (a - c) * offset)
                level[i] = v
                i += 1
    return t_idx, position, amp, level


_RawPart = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""A block's peaks as found: frame index (int32), fractional bin, magnitude, level (float32)."""
_SPILL_PEAKS = 1 << 21
"""Peaks held in memory (32 MB; 3 minutes of a dense mix has ~1 M) before all go to a frame file, read back a
block at a time: a dense 30-minute recording's 6-7 M peaks would sit beside the analysis signal."""


@dataclass(frozen=True)
class PeakPart:
    """One block's spectral peaks, compact (a dense recording has ~100 peaks a frame, 7.8 M at 30
    minutes): frame index (int32), fractional bin and magnitude (float32)."""

    t_idx: np.ndarray
    position: np.ndarray
    amp: np.ndarray
    bin_hz: float

    def frequencies(self) -> np.ndarray:
        """The peaks' frequencies in Hz (float64)."""
        freq: np.ndarray = self.position.astype(np.float64) * self.bin_hz
        return freq

    def expanded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frame index, frequency in Hz, linear peak magnitude) in float64."""
        return self.t_idx, self.frequencies(), self.amp.astype(np.float64)


class _SpectralPeaks:
    """Interpolated spectral peaks between PITCH_FMIN and PITCH_FMAX of a magnitude spectrogram fed
    a block of frames at a time, ignoring peaks _PEAK_FLOOR_DB below their frame's maximum or
    _GLOBAL_FLOOR_DB below the loudest bin of the whole signal.

    That loudest bin is known only at the end, so the floor is applied in two steps: each block
    keeps the peaks above the floor of the loudest bin seen so far (never above the final floor:
    no peak of the answer is dropped), and :meth:`result` drops those under the final one.
    """

    def __init__(self, freqs: np.ndarray) -> None:
        self.bin_hz = float(freqs[1] - freqs[0])
        self.lo = max(1, int(np.floor(PITCH_FMIN / self.bin_hz)))
        self.hi = min(freqs.size - 1, int(np.ceil(PITCH_FMAX / self.bin_hz)) + 1)
        self.global_max = 0.0
        self._parts: list[_RawPart | range] = []  # arrays, or the rows of the frame file holding them
        self._held = 0  # peaks in memory
        self._file: FrameFile | None = None
        self._lock = threading.Lock()  # the tuning may be read on one thread while the pitch side takes them
        self._taken = False

    def _floor(self) -> float:
        floor: float = self.global_max * 10.0 ** (-_GLOBAL_FLOOR_DB / 20.0)
        return floor

    def feed(self, start: int, mag_t: np.ndarray) -> None:
        """The peaks of ``mag_t`` [shape=(frames, bins)], whose first frame is frame ``start``."""
        if not mag_t.size or self.hi <= self.lo:
            return
        self.global_max = max(self.global_max, float(mag_t[:, self.lo : self.hi].max()))
        if self.global_max <= 0.0:
            return
        t_idx, position, amp, level = _peaks_kernel(
            mag_t, self.lo, self.hi, 10.0 ** (-_PEAK_FLOOR_DB / 20.0), self._floor()
        )
        # Peaks above the top semitone's reach never count (the frame's floor above was still set over
        # the whole range), and the rest are kept compact: a dense recording has ~100 peaks a frame, 7.8 M
        # at 30 minutes. A peak's level is a value of the float32 spectrogram: float32 holds it exactly.
        used = position * self.bin_hz <= _SEMITONE_REACH_HZ
        t_idx, position, amp, level = t_idx[used], position[used], amp[used], level[used]
        self._store(
            (
                (t_idx + start).astype(np.int32),
                position.astype(np.float32),
                amp.astype(np.float32),
                level.astype(np.float32),
            )
        )

    def _store(self, part: _RawPart) -> None:
        """Keep a block's peaks: in memory up to _SPILL_PEAKS in all, then every block in a frame file."""
        if self._file is None and self._held + len(part[0]) > _SPILL_PEAKS:
            self._file = FrameFile(4)
            weakref.finalize(self, self._file.close)  # deleted even if the peaks are never taken
            self._parts = [self._write(held) if isinstance(held, tuple) else held for held in self._parts]
            self._held = 0
        if self._file is not None:
            self._parts.append(self._write(part))
        else:
            self._parts.append(part)
            self._held += len(part[0])

    def _write(self, part: _RawPart) -> range:
        assert self._file is not None
        t_idx, position, amp, level = part
        if len(t_idx) and int(t_idx[-1]) >= 1 << 24:  # float32 holds frame numbers exactly below 2^24
            raise ValueError("the spectral peaks of more than 2^24 frames cannot be kept")
        first = self._file.n_rows
        self._file.append(np.stack([t_idx.astype(np.float32), position, amp, level], axis=1))
        return range(first, self._file.n_rows)

    def _arrays(self, part: _RawPart | range) -> _RawPart:
        if isinstance(part, tuple):
            return part
        assert self._file is not None
        rows = self._file.rows(part.start, part.stop)
        return rows[:, 0].astype(np.int32), rows[:, 1], rows[:, 2], rows[:, 3]

    def take(self) -> list[PeakPart]:
        """:meth:`kept_parts`, each block's part let go as it is filtered (the pitch side's last look at them)."""
        with self._lock:
            if self._taken:
                raise RuntimeError("the spectral peaks were taken by the pitch side already")
            parts, self._parts, self._taken = self._parts, [], True
            floor = self._floor()
            kept = []
            while parts:
                kept.append(self._kept(self._arrays(parts.pop(0)), floor))
            if self._file is not None:
                self._file.close()
            return kept

    def tuning(self) -> float:
        """:func:`estimate_tuning` of the peaks (before :meth:`take`), each block filtered as it is read
        (the kept peaks are never all copied beside the blocks)."""
        with self._lock:
            if self._taken:
                raise RuntimeError("the spectral peaks were taken by the pitch side already")
            if self.global_max <= 0.0:
                return 0.0
            floor = self._floor()
            return _tuning_of(lambda: (self._kept(self._arrays(part), floor) for part in self._parts))

    def kept_parts(self) -> list[PeakPart]:
        """The peaks above the final floor, block by block (a block's peaks belong to its frames alone):
        their expansions concatenated are :meth:`result`."""
        if self._taken:
            raise RuntimeError("the spectral peaks were taken by the pitch side already")
        if self.global_max <= 0.0:
            return []
        floor = self._floor()
        return [self._kept(self._arrays(part), floor) for part in self._parts]

    def _kept(self, part: _RawPart, floor: float) -> PeakPart:
        t_idx, position, amp, level = part
        keep = level > floor
        return PeakPart(t_idx[keep], position[keep], amp[keep], self.bin_hz)

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frame index, frequency in Hz, linear peak magnitude), one entry per peak, in frame order
        (made anew at each call: a caller's copy is let go with it)."""
        if self._taken:
            raise RuntimeError("the spectral peaks were taken by the pitch side already")
        parts = self.kept_parts()
        if not parts:
            empty = np.zeros(0)
            return empty.astype(np.int64), empty, empty
        expanded = [part.expanded() for part in parts]
        t_idx, freq, amp = (np.concatenate([part[k] for part in expanded]) for k in range(3))
        return t_idx.astype(np.int64), freq, amp


def estimate_tuning(freq: np.ndarray, amp: np.ndarray) -> float:
    """Tuning (cents from A440, in [-50, 50)) of spectral peaks ``freq`` (Hz) with weights ``amp``.

    Weighted circular mean of each peak's deviation from the nearest 12-TET pitch; peaks between
    100 Hz and 2 kHz only (well resolved, mostly fundamentals and low partials). 0 if no peaks.
    """
    return _cents_of(np.sum(_tuning_terms(freq, amp)))


def _in_tuning_band(freq: np.ndarray) -> np.ndarray:
    """The peaks :func:`estimate_tuning` reads: 100 Hz - 2 kHz (well resolved, mostly fundamentals)."""
    return (freq >= 100.0) & (freq <= 2000.0)


def _tuning_terms(freq: np.ndarray, amp: np.ndarray) -> np.ndarray:
    """Each in-band peak's weighted unit vector at its deviation from the nearest 12-TET pitch."""
    keep = _in_tuning_band(freq)
    midi = 69.0 + 12.0 * np.log2(freq[keep] / 440.0)
    angle = 2.0 * np.pi * (midi - np.round(midi))
    terms: np.ndarray = np.sqrt(amp[keep]) * np.exp(1j * angle)
    return terms


def _cents_of(vector: complex) -> float:
    """The tuning of the peaks' summed vector, in [-50, 50) cents (0 when they cancel or there are none)."""
    if abs(vector) < 1e-12:
        return 0.0
    cents = float(np.angle(vector) / (2.0 * np.pi) * 100.0)
    return -50.0 if cents >= 50.0 else cents


def estimate_tuning_parts(parts: list[PeakPart]) -> float:
    """:func:`estimate_tuning` of the peaks given block by block, the same number: each peak's term is
    computed alone, into one array summed as :func:`estimate_tuning` sums it, without the whole peak list's
    intermediate arrays."""
    return _tuning_of(lambda: iter(parts))


def _tuning_of(parts: Callable[[], Iterator[PeakPart]]) -> float:
    """:func:`estimate_tuning_parts` of the blocks ``parts()`` yields (called twice: a count, then the terms)."""
    counts = [int(np.count_nonzero(_in_tuning_band(part.frequencies()))) for part in parts()]
    terms = np.empty(sum(counts), dtype=np.complex128)
    at = 0
    for part, count in zip(parts(), counts, strict=True):
        _, freq, amp = part.expanded()
        terms[at : at + count] = _tuning_terms(freq, amp)
        at += count
    return _cents_of(np.sum(terms))


_SEMITONE_ROWS = 16
"""Semitone rows summed at once by :func:`_semitone_spectrum`."""


def _semitone_spectrum(
    t_idx: np.ndarray, freq: np.ndarray, amp: np.ndarray, n_frames: int, tuning_cents: float
) -> np.ndarray:
    """Sum peak magnitudes into tuned semitone bins -> [shape=(N_SEMITONES, n_frames)]."""
    spec = np.zeros((N_SEMITONES, n_frames), dtype=np.float32)
    _add_semitones(spec, t_idx, freq, amp, tuning_cents)
    return spec


def _add_semitones(spec: np.ndarray, t_idx: np.ndarray, freq: np.ndarray, amp: np.ndarray, tuning_cents: float) -> None:
    """Write the peaks' summed magnitudes into ``spec``'s tuned semitone bins of the frames they cover
    (zeros before: each bin is set, not added to)."""
    if len(freq) == 0:
        return
    first_frame = int(t_idx[0])  # the peaks come in frame order
    width = int(t_idx[-1]) - first_frame + 1
    local = t_idx.astype(np.int64) - first_frame
    midi = 69.0 + 12.0 * np.log2(freq / 440.0) - tuning_cents / 100.0
    row = np.round(midi).astype(np.int64) - MIDI_MIN
    del midi
    # A few rows at a time: each bin's float64 sum takes its peaks in the same order as one bincount
    # over every row would, and the float64 block is 10 MB at 30 minutes instead of 52 MB.
    for first in range(0, N_SEMITONES, _SEMITONE_ROWS):
        last = min(N_SEMITONES, first + _SEMITONE_ROWS)
        keep = (row >= first) & (row < last)
        flat = (row[keep] - first) * width + local[keep]
        block = np.bincount(flat, weights=amp[keep], minlength=(last - first) * width)
        spec[first:last, first_frame : first_frame + width] = block.reshape(last - first, width)


def fold_chroma(semitone_spec: np.ndarray, *, midi_min: int = MIDI_MIN) -> np.ndarray:
    """Fold a semitone spectrum [shape=(p, frames)] starting at ``midi_min`` into [shape=(12, frames)], row 0 = C."""
    n_pitches, n_frames = semitone_spec.shape
    chroma = np.zeros((12, n_frames), dtype=np.float32)
    for i in range(n_pitches):
        chroma[(midi_min + i) % 12] += semitone_spec[i]
    return chroma


def _pitch_features(peaks: _SpectralPeaks, n_frames: int) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Interpolated peaks -> tuning -> tuned semitone spectrum -> chromas: (tuning in cents,
    semitone spectrum, chroma, bass chroma). The peaks stay in their blocks: each block's peaks fill
    only its own frames' bins, so the spectrum summed block by block is the one of all peaks at once."""
    parts = peaks.take()
    tuning = estimate_tuning_parts(parts)
    semitone_spec = np.zeros((N_SEMITONES, n_frames), dtype=np.float32)
    while parts:
        t_idx, peak_freq, peak_amp = parts.pop(0).expanded()
        _add_semitones(semitone_spec, t_idx, peak_freq, peak_amp, tuning)
    bass_rows = BASS_MIDI_MAX - MIDI_MIN + 1
    return tuning, semitone_spec, fold_chroma(semitone_spec), fold_chroma(semitone_spec[:bass_rows])


@dataclass(frozen=True)
class SpectralPass:
    """What the one pass over the STFT leaves: every frame-wise array the features take from the
    spectrum, and the spectral peaks for the pitch side. The signal is not needed after it, so a
    caller that owns the signal can let it go before the onset and pitch stages allocate theirs
    (a 30-minute file's signal is 159 MB: :func:`ai.analysis.pipeline.analyze_summary`)."""

    n_samples: int
    sr: int
    freqs: np.ndarray
    mel: np.ndarray
    low: np.ndarray
    power: np.ndarray
    centroid: np.ndarray
    rolloff: np.ndarray
    peaks: _SpectralPeaks

    @property
    def n_frames(self) -> int:
        return int(self.mel.shape[1])

    def tuning_cents(self) -> float:
        """The tuning :func:`finish_features` will report (the same peaks, the same estimate), known
        while the signal is still at hand."""
        return self.peaks.tuning()


def compute_features(y: np.ndarray, sr: int) -> SharedFeatures:
    """Compute the shared representations of mono ``y`` [shape=(n,), float32] at rate ``sr``.

    ``y`` must be one-dimensional and finite (the pipeline guarantees both); an empty signal gives
    a single all-zero frame. Raises ValueError otherwise.
    """
    return finish_features(spectral_pass(y, sr))


def spectral_pass(y: np.ndarray | StemFile, sr: int) -> SpectralPass:
    """The STFT of ``y`` a block of frames at a time, reduced to what :func:`finish_features` needs
    (see :func:`compute_features` for ``y``'s requirements; a one-channel stem file is read a
    stretch at a time)."""
    if isinstance(y, StemFile):
        if y.channels != 1:
            raise ValueError(f"compute_features needs mono audio, got {y.channels} channels")
        finite = all(np.isfinite(block).all() for block in y.blocks())
        n = y.n_samples
    else:
        y = np.asarray(y, dtype=np.float32)
        if y.ndim != 1:
            raise ValueError(f"compute_features needs mono audio, got shape {y.shape}")
        finite = bool(np.all(np.isfinite(y)))
        n = len(y)
    if sr <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    if not finite:
        raise ValueError("audio holds NaN or infinite samples")

    n_frames = 1 + n // HOP
    freqs = np.linspace(0.0, sr / 2.0, 1 + N_FFT // 2)
    low_bins = (freqs >= 30.0) & (freqs <= LOW_ONSET_FMAX)
    mel = np.empty((N_MELS, n_frames), dtype=np.float32)  # shared with the rhythm
    low = np.empty((int(low_bins.sum()), n_frames), dtype=np.float32)
    power = np.empty(n_frames)
    centroid = np.empty(n_frames)
    rolloff = np.empty(n_frames)
    peaks = _SpectralPeaks(freqs)

    # One pass over the STFT a block of frames at a time (a 30-minute file's whole STFT would be
    # 318 MB): each frame-wise representation is taken from the block, the pitch peaks on the side
    # thread while this one does the rest.
    finding: Future[None] | None = None
    with progress.section(0.0, 0.8, "spectrogram"):  # shares of a long file's time
        for start, mag_t in stft_blocks(y, n_fft=N_FFT, hop_length=HOP):  # (frames, bins), C order
            stop = start + len(mag_t)
            if finding is not None:
                finding.result()
            finding = pools.side().submit(peaks.feed, start, mag_t)
            mag = mag_t.T  # (bins, frames), F order
            mel[:, start:stop] = mel_spectrogram(mag, sr=sr, n_fft=N_FFT)
            low[:, start:stop] = mag[low_bins]
            # Frame RMS by Parseval (one-sided spectrum: DC and Nyquist counted once).
            block_power = np.einsum("tk,tk->t", mag_t, mag_t, dtype=np.float64) * 2.0
            block_power -= mag_t[:, 0].astype(np.float64) ** 2 + mag_t[:, -1].astype(np.float64) ** 2
            power[start:stop] = block_power
            centroid[start:stop], rolloff[start:stop] = _centroid_rolloff(mag_t, freqs, ROLLOFF_FRACTION)
        if finding is not None:
            finding.result()
    return SpectralPass(n, int(sr), freqs, mel, low, power, centroid, rolloff, peaks)


def finish_features(spectral: SpectralPass) -> SharedFeatures:
    """The onset envelopes, the frame RMS and (on the side thread) the pitch representations."""
    n_frames = spectral.n_frames
    sr = spectral.sr
    mel, low = spectral.mel, spectral.low
    # The pitch side runs on a second thread while this one computes the onset side.
    pitch = pools.side().submit(_pitch_features, spectral.peaks, n_frames)

    # Onset envelopes: log-compressed mel flux (all bands) and low-band flux (kick, bass).
    progress.report(0.8, "onsets")
    onset_env = _log_flux(mel, max_filter=True)
    low_onset_env = _log_flux(low, max_filter=False)

    window = _window(N_FFT)
    rms = np.sqrt(np.maximum(spectral.power, 0.0) / (N_FFT * float(np.sum(window.astype(np.float64) ** 2))))
    progress.report(0.9, "pitch")
    tuning, semitone_spec, chroma, bass_chroma = pitch.result()

    return SharedFeatures(
        n_samples=spectral.n_samples,
        sr=sr,
        hop_length=HOP,
        n_fft=N_FFT,
        mel=mel,
        freqs=spectral.freqs,
        frame_times=np.arange(n_frames) * (HOP / sr),
        onset_env=onset_env,
        low_onset_env=low_onset_env,
        chroma=chroma,
        bass_chroma=bass_chroma,
        semitone_spec=semitone_spec,
        tuning_cents=float(tuning),
        rms=rms.astype(np.float32),
        spectral_centroid=spectral.centroid,
        spectral_rolloff=spectral.rolloff,
    )
