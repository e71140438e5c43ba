"""How wet a track is (reverb and delay), and the reverb and delay advice for its role.

What is measured (:func:`measure_space`)
----------------------------------------
A reverb shows where a note ends: a dry note stops (its level falls as fast as the instrument's
release lets it, down to silence or the noise floor), a reverberant one falls fast only until it
meets the reverb's tail, then decays exponentially, slowly, and wider than the dry sound. A pad
that sustains is no wetter than a drum hit: only the falls are measured, never how long a note lasts.

The track is cut into half-octave bands (SPACE_BAND_EDGES_HZ) on a short STFT (about 23 ms windows,
10 ms hops) of its channels (mid and side powers, and their phase coherence); each band is followed
on its own, so a legato part whose notes overlap still shows free decays: when the harmony moves,
the old notes' partials fall in their bands while the new ones rise in others. In each band every
note peak (prominence PEAK_PROMINENCE_DB) starts a *free decay*: the level's running minimum from
the peak on, until the level rises again by RISE_DB (the next note in that band) or meets the band's
floor, or steady noise that steps into digital silence (both end it censored: a quiet 16-bit export
gained up ends its notes in quantisation noise and then in exact zeros, and that step is no fall of
the sound; NOISE_UNDER_NOTES_DB). A free decay is summed up by the times at which it first falls 1,
2, ... MAX_DEPTH_DB dB under the peak.

From all free decays of all bands:

* ``tail_db``: where the tail begins, in dB under the note's peak (a direct-to-reverberant
  proxy): the first KNEE_STEP_DB step slower than KNEE_STEP_S after the note has ended (its first
  faster step). A decay that ends before it slows is censored at its depth, so the value is a
  Kaplan-Meier median (a note cut by the next one says only that the tail, if any, is deeper);
  decays with no fast step (a held note cut by the next one) say nothing and are left out.
  ``None`` when most note ends fall through the measurable range without slowing: no tail (bone
  dry), or one deeper than MAX_DEPTH_DB.
* ``decay_s``: the tail's RT60-like decay time: 60 dB over the slope of a straight line through the
  tail's level (dB) from the knee to the decay's end (weighted median over decays; tails a line
  explains poorly, TAIL_MIN_R2, are held notes and left out); ``None`` with no tail.
* ``early_decay_s`` / ``fast_decay_s``: the note ends' fastest EARLY_DROP_DB fall starting within
  EARLY_SPAN_DB of the peak, as an RT60; Kaplan-Meier median / FAST_QUANTILE over decays (those
  that never fall that far before the next note are censored). A dry part's release, or the
  reverb's decay where a reverb covers the release: no note can end faster than its reverb.
* ``end_decay_s``: the RT60-equivalent of the decays that run down to the floor (the last note, a
  pause), timed from END_FROM_DB to END_TO_DB under the peak; None when none does.
* ``clear_share``: the share of note ends that fall CLEAR_DB under their peak before the next note
  in their band: how often the track clears between notes (a long reverb fills the gaps).
* ``tail_share``: the share of the time a band sounds that it spends in a tail (at least
  TAIL_SHARE_DB under the note's peak, in a free decay), pooled over bands.
* ``tail_width_db``: side-to-mid power ratio in the tails (frames at least TAIL_SHARE_DB under the
  peak) over that ratio in the notes (frames within NOTE_DB of the peak), in dB: a stereo reverb's
  tail is wider than the dry sound (FluidSynth's default reverb on mono kick, bass and lead samples: +5 to +16 dB);
  0 for a dry part; ``None`` for a mono track. ``note_width_db``: the notes' own side-to-mid ratio
  (dB, floored at -30): a loud reverb widens the notes too.
* ``deep_decay_s``: the RT60-equivalent of the decays' fall from DEEP_FROM_DB to DEEP_TO_DB under
  the peak (median): an instrument whose own release is as slow as a short reverb (a piano: its
  release reads as a tail) has died by then, and a reverb is what is left to fall.
* ``tail_coherence`` / ``note_coherence``: the channels' phase coherence in the deep tails
  (COHERENCE_DB under the peak) and in the notes: per STFT bin the unit phasor of L R* averaged
  over COHERENCE_FRAMES hops, its length weighted by |L R*| and pooled over the band. A stereo
  sample (two microphones on one string: a fixed filter between the channels) reads 1 however
  wide it is, a decorrelated reverb tail about 1/3; ``None`` for a mono track.
* :func:`reverb_db`: ``tail_db`` and ``decay_s`` in one number, the tail's energy.

What is judged (:func:`space_findings`)
---------------------------------------
Three small models fitted by ``training/role_space.py`` on the training songs only (card:
``models/role_space.md``) read the measure's FEATURES and their offsets from the role's clean
medians (:class:`RoleSpace`): the probability that the track is drowned in reverb (logistic
regression, clean / default / dry renders against the same stems under a 3 s or 1.5 s reverb at
50 % wet), the probability that it is bone dry (dry renders against default ones), and the
reverb's level against the dry sound (dB, ridge regression; the cut a too-wet finding suggests is
that level minus the role's normal one). The probability thresholds hold the clean training
stems' false alarms at 1 % (medium) and 0.25 % (high).

The advice: the reverb type by role (REVERB_TYPES), the send level and decay that rendered parts of
the role carry (the role's norms), a pre-delay of a short note value at the song's tempo
(:func:`pre_delay`), delay times synced to it (:func:`delay_times`), and what to cut when a track
is too wet (the wet level, the decay, the low end of the return, or ducking the return).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numba
import numpy as np
import scipy.fft
import scipy.signal

from ai.audio.stem_file import Frames, StemFile, read_frames
from ai.mixing.findings import Suggestion
from ai.mixing.targets import ROLE_LOW_CUT_HZ
from ai.model_files import model_path
from utils.errors import InvalidParameter

logger = logging.getLogger(__name__)

FRAME_S = 0.010
"""STFT hop (s): a dry release falls 20 dB within a few hops, a 0.5 s reverb takes 17."""
WINDOW_S = 0.023
"""STFT window (s, rounded to a power of two): 1024 samples at 44.1 kHz, short enough not to smear a dry release."""
SPACE_BAND_EDGES_HZ: tuple[float, ...] = tuple(62.5 * 2 ** (k / 2) for k in range(17))
"""Half-octave band edges, 62.5 Hz to 16 kHz: narrow enough that a legato part's moving notes leave free decays."""
BAND_MIN_SHARE = 0.01
"""Bands with less than this share of the loudest band's energy are left out (nothing to measure there)."""
SMOOTH_FRAMES = 3
"""Band powers are averaged over this many hops (30 ms), so a noisy tail's ripple does not end a decay."""
PEAK_PROMINENCE_DB = 10.0
"""A note peak stands at least this far above its surroundings in its band."""
PEAK_ABOVE_FLOOR_DB = 25.0
"""A note peak at least this far above the band's floor leaves a decay worth following."""
RISE_DB = 3.0
"""A free decay ends where the level rises this far above its running minimum (the next note)."""
FLOOR_PERCENTILE = 2.0
"""The band's floor: this percentile of its frame levels (silence, noise, or the quietest tail)."""
FLOOR_MARGIN_DB = 6.0
"""A decay is followed down to this far above the floor, where noise takes over."""
ABSOLUTE_FLOOR_DB = -110.0
"""Band levels (dB re full-scale power) below this are digital silence (exact zeros read -150 dB or
less: the rounding of the smoothing's FFT)."""
PLATEAU_FRAMES = 5
PLATEAU_DB = 3.0
NOISE_UNDER_NOTES_DB = 20.0
"""A band whose level stays within PLATEAU_DB over PLATEAU_FRAMES hops (50 ms), NOISE_UNDER_NOTES_DB or more
under its notes' median peak, before it meets digital silence sits in noise (a quiet export's): a decay
ends there, censored (:func:`_noise_into_silence`)."""
MAX_DEPTH_DB = 60
"""Depth (dB under the peak) down to which a decay's crossing times are kept."""
KNEE_STEP_DB = 5
"""The tail begins where a fall of this many dB ..."""
KNEE_STEP_S = 0.025
"""... takes at least this long (200 dB/s or slower, an RT60 of 0.3 s or more); a faster step is a note ending."""
TAIL_MIN_FRAMES = 5
"""A tail followed for fewer frames than this (50 ms) gives no decay time."""
TAIL_MIN_R2 = 0.5
"""A tail whose level a straight line (dB against time) explains less than this is not a free decay (a held note)."""
EARLY_SPAN_DB = 15
"""The early decay is the fastest fall that starts within this many dB of the peak ..."""
EARLY_DROP_DB = 10
"""... and spans this many dB."""
FAST_QUANTILE = 0.2
"""``fast_decay_s`` is the early fall of the fastest fifth of the note ends: a reverb bounds how fast any note can end."""
END_FROM_DB = 10
"""A decay down to the floor is timed from this depth ..."""
END_TO_DB = 30
"""... to this one (past a dry release, into a reverb's tail when there is one)."""
CLEAR_DB = 25
"""A note end 'clears' when it falls this far under its peak before the next note."""
TAIL_SHARE_DB = 10.0
"""Frames this far under the note's peak, in a free decay, are tail."""
NOTE_DB = 3.0
"""Frames within this of the note's peak are the note itself (for the width of the dry sound)."""
WIDTH_FLOOR = 1e-3
"""Side/mid power ratios are floored at -30 dB, so a dry mono part reads 0 dB instead of noise over nothing."""
MIN_DECAYS = 20
"""Fewer free decays than this leave the estimate unreliable (``reliable`` is False)."""
COHERENCE_FRAMES = 9
"""The channels' phase difference in a bin is averaged over this many hops (90 ms): it holds still in a
stereo sample (two microphones on one string) and wanders in a reverb's decorrelated tail."""
COHERENCE_DB = 30.0
"""Frames this far under the note's peak, in a free decay, are the deep tail whose coherence is read:
FluidSynth's short reverb only outlasts a piano's own release there."""
DEEP_FROM_DB = 30
"""The deep decay is timed from this depth under the peak ..."""
DEEP_TO_DB = 50
"""... to this one: past an instrument's release, where a reverb's slower tail is what is left."""


@dataclass(frozen=True)
class SpaceMeasure:
    """How wet a track sounds (see the module docstring for how each number is measured).

    Attributes:
        tail_db: depth under the note peaks where a slow tail begins (dB, > 0; a direct-to-
            reverberant proxy: small = wet); None when no tail shows within MAX_DEPTH_DB (dry).
        decay_s: RT60-like decay time of that tail (s); None with no tail (or one never seen to fall).
        early_decay_s: RT60-equivalent of the fastest fall at the note ends (s); None when no
            decay was found; math.inf when the notes' ends never fall EARLY_DROP_DB.
        clear_share: share of note ends that fall CLEAR_DB before the next note (0-1).
        tail_share: share of the sounding time spent in tails (0-1).
        tail_width_db: side/mid ratio of the tails over that of the notes (dB); None for mono.
        decays: free decays measured (all bands).
        reliable: enough decays (MIN_DECAYS) for the numbers to mean something.
        deep_decay_s: RT60-equivalent of the decays' fall from DEEP_FROM_DB to DEEP_TO_DB under
            the peak (median); None when no decay falls that far.
        tail_coherence: the channels' phase coherence (0-1) in the deep tails (COHERENCE_DB under
            the peak); None for mono or with no deep tail. note_coherence: the same in the notes.
    """

    tail_db: float | None
    decay_s: float | None
    early_decay_s: float | None
    fast_decay_s: float | None
    end_decay_s: float | None
    clear_share: float | None
    tail_share: float | None
    tail_width_db: float | None
    note_width_db: float | None
    decays: int
    reliable: bool
    deep_decay_s: float | None = None
    tail_coherence: float | None = None
    note_coherence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        def r(value: float | None, digits: int = 3) -> float | None:
            if value is None or not math.isfinite(value):
                return None
            return round(float(value), digits)

        return {
            "tail_db": r(self.tail_db, 1),
            "decay_s": r(self.decay_s, 2),
            "early_decay_s": r(self.early_decay_s, 2),
            "fast_decay_s": r(self.fast_decay_s, 2),
            "end_decay_s": r(self.end_decay_s, 2),
            "clear_share": r(self.clear_share),
            "tail_share": r(self.tail_share),
            "tail_width_db": r(self.tail_width_db, 1),
            "note_width_db": r(self.note_width_db, 1),
            "decays": self.decays,
            "reliable": self.reliable,
            "deep_decay_s": r(self.deep_decay_s, 2),
            "tail_coherence": r(self.tail_coherence),
            "note_coherence": r(self.note_coherence),
        }


@lru_cache(maxsize=8)
def _stft_setup(sr: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(n_fft, hop, window, band matrix [shape=(n_bins, n_bands)]) for ``sr``."""
    n_fft = 1 << int(round(math.log2(WINDOW_S * sr)))
    hop = max(1, int(round(FRAME_S * sr)))
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = [e for e in SPACE_BAND_EDGES_HZ if e < sr / 2]
    matrix = np.zeros((freqs.size, max(len(edges) - 1, 1)), dtype=np.float32)
    for b, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=False)):
        matrix[(freqs >= low) & (freqs < high), b] = 1.0
    # Scale so that a band's power is the mean-square level of the signal filtered to it.
    matrix *= 2.0 / (float(np.sum(window**2)) * n_fft)
    return n_fft, hop, window, matrix


def _band_powers(signal: Callable[[int, int], np.ndarray], n: int, sr: int) -> np.ndarray:
    """Band powers of a 1-D signal of ``n`` samples whose samples ``start:stop`` are
    ``signal(start, stop)`` (made a batch of frames at a time, never whole):
    np.ndarray [shape=(n_bands, n_frames), dtype=float32]."""
    n_fft, hop, window, matrix = _stft_setup(sr)
    if n < n_fft:
        padded = np.pad(signal(0, n), (0, n_fft - n))
        signal, n = (lambda start, stop: padded[start:stop]), n_fft
    n_frames = (n - n_fft) // hop + 1
    out = np.empty((matrix.shape[1], n_frames), dtype=np.float32)
    chunk = 2048
    for start in range(0, n_frames, chunk):
        stop = min(n_frames, start + chunk)
        stretch = signal(start * hop, (stop - 1) * hop + n_fft)
        frames = np.lib.stride_tricks.sliding_window_view(stretch, n_fft)[::hop]
        spec = scipy.fft.rfft(frames * window, axis=1)
        power = spec.real**2 + spec.imag**2
        out[:, start:stop] = (power @ matrix).T
    return _smoothed(out)


def _smoothed(bands: np.ndarray) -> np.ndarray:
    """Band powers averaged over SMOOTH_FRAMES hops (a noisy tail's ripple must not end a decay)."""
    if SMOOTH_FRAMES <= 1:
        return bands
    kernel = np.ones(SMOOTH_FRAMES, dtype=np.float32) / SMOOTH_FRAMES
    out: np.ndarray = scipy.signal.oaconvolve(bands, kernel[np.newaxis, :], mode="same", axes=1).astype(np.float32)
    np.maximum(out, 0.0, out=out)
    return out


def _stereo_band_powers(
    stereo: Callable[[int, int], np.ndarray], n: int, sr: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mid and side band powers of a stereo signal (``stereo(start, stop)``: its samples, shape
    (2, stop - start)), and the channels' phase coherence per band: (mid, side, coherent, total),
    each np.ndarray [shape=(n_bands, n_frames), dtype=float32].

    In every bin the unit phasor of the cross-spectrum L R* is averaged over COHERENCE_FRAMES hops;
    ``coherent`` sums that average's length weighted by |L R*| over the band's bins, ``total`` the
    weights, so coherent / total (over any frames) is 1 for channels a fixed filter apart and
    about 1/3 for independent noise.
    """
    n_fft, hop, window, matrix = _stft_setup(sr)
    if n < n_fft:
        padded = np.pad(stereo(0, n), ((0, 0), (0, n_fft - n)))
        stereo, n = (lambda start, stop: padded[:, start:stop]), n_fft
    n_frames = (n - n_fft) // hop + 1
    out = np.zeros((4, matrix.shape[1], n_frames), dtype=np.float32)
    bins = np.where(matrix.any(axis=1), np.argmax(matrix, axis=1), -1).astype(np.int64)
    half = COHERENCE_FRAMES // 2
    chunk = 1024
    for start in range(0, n_frames, chunk):
        stop = min(n_frames, start + chunk)
        # The phasor average reaches half a window past the chunk on each side.
        low, high = max(0, start - half), min(n_frames, stop + half)
        stretch = stereo(low * hop, (high - 1) * hop + n_fft)
        left, right = (
            scipy.fft.rfft(np.lib.stride_tricks.sliding_window_view(channel, n_fft)[::hop] * window, axis=1)
            for channel in stretch
        )
        _stereo_sums(left, right, bins, float(matrix.max()), start - low, out[:, :, start:stop])
    return _smoothed(out[0]), _smoothed(out[1]), out[2], out[3]


@numba.njit(cache=True, nogil=True)
def _stereo_sums(
    left: np.ndarray, right: np.ndarray, bins: np.ndarray, scale: float, first: int, out: np.ndarray
) -> None:
    """Add the frames' mid and side powers and phase coherence to their bands (see :func:`_stereo_band_powers`).

    Args:
        left, right: np.ndarray [shape=(n_frames, n_bins), complex64]: the channels' spectra.
        bins: np.ndarray [shape=(n_bins,), int]: each bin's band (-1: in none).
        scale: a bin's power over the band's mean-square level (see :func:`_stft_setup`).
        first: the first frame to add (the frames before it and after the last one added only
            widen the phase average); frames ``first .. first + out.shape[2]`` are added.
        out: np.ndarray [shape=(4, n_bands, n_added)]: mid, side, coherent, total; added to in place.
    """
    n = left.shape[0]
    half = COHERENCE_FRAMES // 2
    real = np.empty(n)
    imag = np.empty(n)
    weight = np.empty(n)
    real_sum = np.zeros(n + 1)  # running sums: each frame's phasor average in O(1)
    imag_sum = np.zeros(n + 1)
    for k in range(left.shape[1]):
        band = bins[k]
        if band < 0:
            continue
        for t in range(n):
            cross = left[t, k] * np.conj(right[t, k])
            size = abs(cross)
            weight[t] = size
            real[t] = cross.real / size if size > 0 else 0.0
            imag[t] = cross.imag / size if size > 0 else 0.0
            real_sum[t + 1] = real_sum[t] + real[t]
            imag_sum[t + 1] = imag_sum[t] + imag[t]
        for j in range(out.shape[2]):
            t = first + j
            a = left[t, k]
            b = right[t, k]
            both = a.real * a.real + a.imag * a.imag + b.real * b.real + b.imag * b.imag
            out[0, band, j] += scale * 0.25 * (both + 2.0 * real[t] * weight[t])  # |(L + R) / 2|^2
            out[1, band, j] += scale * 0.25 * (both - 2.0 * real[t] * weight[t])  # |(L - R) / 2|^2
            lo = max(0, t - half)
            hi = min(n, t + half + 1)
            re = real_sum[hi] - real_sum[lo]
            im = imag_sum[hi] - imag_sum[lo]
            out[2, band, j] += weight[t] * math.sqrt(re * re + im * im) / (hi - lo)
            out[3, band, j] += weight[t]


@numba.njit(cache=True, nogil=True)
def _follow_decays(
    level_db: np.ndarray, silent: np.ndarray, peaks: np.ndarray, floor_db: float, rise_db: float, max_depth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Follow the free decay from each peak of one band.

    Args:
        level_db: np.ndarray [shape=(n_frames,)]: the band's level (dB).
        silent: np.ndarray [shape=(n_frames,), bool]: where noise steps into digital silence
            (:func:`_noise_into_silence`). A decay that meets it ends at the frame before, censored
            as one that meets the floor: the step from a quiet export's noise into zeros is no fall
            of the sound.
        peaks: np.ndarray [shape=(n_peaks,), int]: frames of the note peaks.
        floor_db: a decay stops this low (the band's floor plus the margin).
        rise_db: a rise this far above the running minimum ends the decay (next note).
        max_depth: crossing times are kept for depths 1..max_depth dB.

    Returns:
        crossings: np.ndarray [shape=(n_peaks, max_depth + 1)]: frames (fractional) after the peak
            at which the running minimum first falls d dB under it (NaN where it does not).
        length: np.ndarray [shape=(n_peaks,)]: frames the decay lasts.
        depth: np.ndarray [shape=(n_peaks,)]: dB it falls in all.
        floored: np.ndarray [shape=(n_peaks,), bool]: it ended at the floor or where noise meets
            digital silence (censored, not at a next note).
    """
    n = level_db.shape[0]
    m = peaks.shape[0]
    crossings = np.full((m, max_depth + 1), np.nan)
    length = np.zeros(m)
    depth = np.zeros(m)
    floored = np.zeros(m, dtype=np.bool_)
    for j in range(m):
        p = peaks[j]
        top = level_db[p]
        run_min = top
        crossings[j, 0] = 0.0
        next_depth = 1
        k = p + 1
        while k < n:
            if silent[k]:
                floored[j] = True
                break
            v = level_db[k]
            if v > run_min + rise_db:
                break
            if v < run_min:
                previous = run_min
                run_min = v
                while next_depth <= max_depth and top - run_min >= next_depth:
                    target = top - next_depth
                    crossings[j, next_depth] = (k - 1 - p) + (previous - target) / (previous - run_min)
                    next_depth += 1
            k += 1
            if run_min <= floor_db:
                floored[j] = True
                break
        length[j] = k - p
        depth[j] = top - run_min
    return crossings, length, depth, floored


@numba.njit(cache=True, nogil=True)
def _tail_slopes(
    level_db: np.ndarray, starts: np.ndarray, stops: np.ndarray, floor_db: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares line through one band's level (dB) over each tail [start, stop).

    Frames from the first at or under ``floor_db`` on are left out. Returns (slope in dB per
    frame, frames used, R^2 of the line); slope and R^2 are NaN where fewer than 3 frames remain.
    """
    m = starts.shape[0]
    slope = np.full(m, np.nan)
    r2 = np.full(m, np.nan)
    used = np.zeros(m)
    for j in range(m):
        n = 0
        sx = 0.0
        sy = 0.0
        sxx = 0.0
        sxy = 0.0
        syy = 0.0
        for k in range(starts[j], stops[j]):
            v = level_db[k]
            if v <= floor_db:
                break
            x = float(k - starts[j])
            n += 1
            sx += x
            sy += v
            sxx += x * x
            sxy += x * v
            syy += v * v
        used[j] = n
        if n >= 3:
            vx = n * sxx - sx * sx
            vy = n * syy - sy * sy
            cov = n * sxy - sx * sy
            if vx > 0:
                slope[j] = cov / vx
                r2[j] = cov * cov / (vx * vy) if vy > 0 else 1.0
    return slope, used, r2


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Median of ``values`` with each counted ``weights`` times."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _km_median(times: np.ndarray, observed: np.ndarray, q: float = 0.5) -> float:
    """Kaplan-Meier ``q`` quantile (default the median) of right-censored times.

    math.inf when the survival curve never falls to 1 - q (too many censored); NaN with no times.
    """
    if times.size == 0:
        return math.nan
    order = np.lexsort((~observed, times))  # at equal times, events before censorings
    t = times[order]
    o = observed[order]
    at_risk = t.size - np.arange(t.size)
    survival = np.cumprod(np.where(o, 1.0 - 1.0 / at_risk, 1.0))
    below = np.flatnonzero(survival <= 1.0 - q + 1e-12)
    return float(t[below[0]]) if below.size else math.inf


@dataclass
class _Decays:
    """Free decays pooled over the bands (n decays)."""

    crossings: np.ndarray  # (n, MAX_DEPTH_DB + 1): frames after the peak at each depth
    length: np.ndarray  # (n,) frames
    depth: np.ndarray  # (n,) dB
    floored: np.ndarray  # (n,) bool: ended at the floor
    room: np.ndarray  # (n,) dB between the peak and where the floor stops a decay
    band: np.ndarray  # (n,) int: the band's row in ``levels``
    peak: np.ndarray  # (n,) int: frame of the peak
    levels: list[np.ndarray]  # per used band: level (dB) per frame
    floors: list[float]  # per used band: where a decay stops (dB)
    tail_frames: float
    sounding_frames: float
    width: np.ndarray  # (4,): side and mid power in the tails, side and mid power in the notes
    coherence: np.ndarray  # (4,): coherent and total weight in the deep tails, the same in the notes


def _noise_into_silence(level: np.ndarray, reach: int, noise_db: float) -> np.ndarray:
    """Where a band steps from steady noise into digital silence: np.ndarray [shape=(n_frames,), bool].

    ``level``: the band's level (dB, clamped at ABSOLUTE_FLOOR_DB: digital silence reads there).
    A quiet 16-bit export gained up ends its notes in quantisation noise and then in exact zeros;
    the ``reach`` frames before the zeros read part of them (their windows and smoothing), so the
    level falls there as if the sound stopped dry. Marked are those frames and the first silent one
    where the level before them was noise: within PLATEAU_DB over PLATEAU_FRAMES, and at or under
    ``noise_db``. A note held and cut into silence (a dry render's) sits far higher and is left as
    it is, as is one that falls straight into silence.
    """
    n = level.size
    silent = level <= ABSOLUTE_FLOOR_DB
    onsets = np.flatnonzero(silent[1:] & ~silent[:-1]) + 1
    before = onsets - reach - 1  # the last frame that reads none of the zeros
    ok = before - PLATEAU_FRAMES >= 0
    onsets, before = onsets[ok], before[ok]
    # All sound from PLATEAU_FRAMES before ``before`` to the onset, flat and low there.
    sounding = np.concatenate([[0], np.cumsum(~silent)])
    whole = sounding[onsets] - sounding[before - PLATEAU_FRAMES] == onsets - before + PLATEAU_FRAMES
    flat = np.abs(level[before - PLATEAU_FRAMES] - level[before]) < PLATEAU_DB
    noise = whole & flat & (level[before] <= noise_db)
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, before[noise] + 1, 1)
    np.add.at(marks, onsets[noise] + 1, -1)
    return np.cumsum(marks[:n]) > 0


def _collect(
    mid_bands: np.ndarray,
    side_bands: np.ndarray | None,
    coherence_bands: tuple[np.ndarray, np.ndarray] | None,
    silence_reach: int,
) -> _Decays:
    """Follow the free decays of every band that carries BAND_MIN_SHARE of the loudest band's energy
    (``side_bands`` and ``coherence_bands``, (coherent, total) of :func:`_stereo_band_powers`: None for mono;
    ``silence_reach``: frames before digital silence that read part of it, see :func:`_noise_into_silence`)."""
    energy = mid_bands.sum(axis=1)
    used = np.flatnonzero(energy >= BAND_MIN_SHARE * energy.max()) if energy.max() > 0 else np.zeros(0, int)
    parts: list[tuple[np.ndarray, ...]] = []
    levels: list[np.ndarray] = []
    floors: list[float] = []
    tail_frames = 0.0
    sounding_frames = 0.0
    width = np.zeros(4)
    coherence = np.zeros(4)
    for b in used:
        level = 10.0 * np.log10(mid_bands[b].astype(np.float64) + 1e-30)
        np.maximum(level, ABSOLUTE_FLOOR_DB, out=level)
        floor = max(float(np.percentile(level, FLOOR_PERCENTILE)), ABSOLUTE_FLOOR_DB) + FLOOR_MARGIN_DB
        peaks, _ = scipy.signal.find_peaks(level, prominence=PEAK_PROMINENCE_DB)
        peaks = peaks[level[peaks] >= floor - FLOOR_MARGIN_DB + PEAK_ABOVE_FLOOR_DB].astype(np.int64)
        sounding_frames += float(np.count_nonzero(level >= floor))
        if peaks.size == 0:
            continue
        silent = _noise_into_silence(level, silence_reach, float(np.median(level[peaks])) - NOISE_UNDER_NOTES_DB)
        crossings, length, depth, floored = _follow_decays(level, silent, peaks, floor, RISE_DB, MAX_DEPTH_DB)
        room = level[peaks] - floor
        parts.append((crossings, length, depth, floored, room, np.full(peaks.size, len(levels)), peaks))
        levels.append(level)
        floors.append(floor)
        # Tail and note frames of each decay (for the tail share and the stereo width).
        for j, p in enumerate(peaks):
            span = int(length[j])
            below = level[p] - np.minimum.accumulate(level[p : p + span])
            tail = below >= TAIL_SHARE_DB
            tail_frames += float(np.count_nonzero(tail))
            if side_bands is not None:
                note = below <= NOTE_DB
                mid = mid_bands[b, p : p + span]
                side = side_bands[b, p : p + span]
                width += (side[tail].sum(), mid[tail].sum(), side[note].sum(), mid[note].sum())
            if coherence_bands is not None:
                deep = below >= COHERENCE_DB
                coherent = coherence_bands[0][b, p : p + span]
                total = coherence_bands[1][b, p : p + span]
                coherence += (coherent[deep].sum(), total[deep].sum(), coherent[note].sum(), total[note].sum())
    if not parts:
        empty = np.zeros(0)
        none = np.zeros(0, dtype=np.int64)
        return _Decays(
            np.zeros((0, MAX_DEPTH_DB + 1)), empty, empty, empty.astype(bool), empty, none, none, [], [],
            tail_frames, sounding_frames, width, coherence,
        )  # fmt: skip
    crossings, length, depth, floored, room, band, peak = (np.concatenate(x) for x in zip(*parts, strict=True))
    return _Decays(
        crossings, length, depth, floored, room, band, peak, levels, floors, tail_frames, sounding_frames, width,
        coherence,
    )  # fmt: skip


KNEE_ROWS = 4096
"""Decays per batch of :func:`_knee` (its temporaries: about 2 MB each)."""


def _knee(d: _Decays, frame_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth (dB) where each decay slows to a reverb's pace after its note has ended.

    A note's end is its first fast step (KNEE_STEP_DB in less than KNEE_STEP_S); the knee is the
    first slow step after it. Returns (knee depth, seen, informative): a decay with no fast step
    (a sustained note cut by the next one, or a fall slow all the way) tells nothing and is not
    informative; one whose note ended but that never slowed is censored at its depth.
    """
    step_frames = KNEE_STEP_S / frame_s
    depths = np.arange(MAX_DEPTH_DB + 1 - KNEE_STEP_DB)
    n = d.crossings.shape[0]
    knee, seen, informative = np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    # Every step is row by row: the decays go KNEE_ROWS at a time (a long track has tens of
    # thousands, and each whole-table temporary would be tens of MB).
    for first in range(0, n, KNEE_ROWS):
        rows = slice(first, first + KNEE_ROWS)
        start = d.crossings[rows][:, depths]
        stop = d.crossings[rows][:, depths + KNEE_STEP_DB]
        pace = stop - start
        fast = pace < step_frames  # NaN compares False
        # A step not completed before the next note is slow if the decay lasted long enough after its
        # start; one cut by the floor says nothing (the floor, not a tail, stopped it).
        unfinished = np.isnan(stop) & ~np.isnan(start)
        floored = d.floored[rows][:, None]
        slow = np.where(unfinished, ((d.length[rows][:, None] - start) >= step_frames) & ~floored, pace >= step_frames)
        ended = np.cumsum(fast, axis=1) > 0
        after = slow & np.concatenate([np.zeros((ended.shape[0], 1), bool), ended[:, :-1]], axis=1)
        informative[rows] = fast.any(axis=1)
        seen[rows] = after.any(axis=1)
        knee[rows] = np.where(
            seen[rows], np.argmax(after, axis=1).astype(float), np.minimum(d.depth[rows], MAX_DEPTH_DB)
        )
    return knee, seen, informative


def measure_space(*, samples: Frames, sr: int) -> SpaceMeasure:
    """How wet a track sounds: free decays at its note ends, in half-octave bands.

    Args:
        samples: np.ndarray [shape=(channels, n), float] or a stem file: the track (1 or 2
            channels; more are averaged to mono).
        sr: sample rate (Hz).

    Returns:
        SpaceMeasure (see the module docstring for what each number means).

    Raises:
        InvalidParameter: not a (channels, n) array, or a rate under 8 kHz.
    """
    if len(samples.shape) != 2 or samples.shape[1] == 0:
        raise InvalidParameter("samples", "audio must have shape (channels, n) with n > 0")
    if sr < 8000:
        raise InvalidParameter("sample_rate", f"{sr} Hz is too low to measure reverb (at least 8000 Hz)")
    x = samples if isinstance(samples, StemFile) else np.asarray(samples, dtype=np.float32)
    n = x.shape[1]

    # The signal is read a stretch at a time (a whole copy would be the track's size again).
    stereo = x.shape[0] == 2
    n_fft, hop = _stft_setup(sr)[:2]
    # A frame reads digital silence from the first window that holds only zeros, and the ones before
    # it part of them: a window's length in hops, and half the smoothing.
    reach = -(-n_fft // hop) + SMOOTH_FRAMES // 2
    if stereo:
        mid_bands, side_bands, coherent, total = _stereo_band_powers(lambda a, b: read_frames(x, a, b), n, sr)
        d = _collect(mid_bands, side_bands, (coherent, total), reach)
        del mid_bands, side_bands, coherent, total  # the decays hold what is needed
    else:
        d = _collect(_band_powers(lambda a, b: read_frames(x, a, b).mean(axis=0), n, sr), None, None, reach)
    frame_s = hop / sr
    n = d.crossings.shape[0]
    if n == 0:
        return SpaceMeasure(None, None, None, None, None, None, None, None, None, 0, False, None, None, None)

    # Where the tail begins (Kaplan-Meier over decays, censored where a decay ended first).
    knee, seen, informative = _knee(d, frame_s)
    knee_median = _km_median(knee[informative], seen[informative])
    tail_db = knee_median if math.isfinite(knee_median) else None

    # The tail's pace: a straight line through its level (dB) from the knee to the decay's end.
    decay_s: float | None = None
    rows = np.flatnonzero(informative & seen)
    if tail_db is not None and rows.size:
        slopes = np.full(rows.size, np.nan)
        weights = np.zeros(rows.size)
        k = knee[rows].astype(int)
        first = d.peak[rows] + np.ceil(d.crossings[rows, k]).astype(np.int64)
        last = d.peak[rows] + d.length[rows].astype(np.int64)
        for band in np.unique(d.band[rows]):
            sel = np.flatnonzero(d.band[rows] == band)
            slope, used, r2 = _tail_slopes(d.levels[band], first[sel], last[sel], d.floors[band])
            slopes[sel] = np.where(r2 >= TAIL_MIN_R2, slope, np.nan)
            weights[sel] = used
        ok = np.isfinite(slopes) & (weights >= TAIL_MIN_FRAMES)
        if ok.any():
            pace = _weighted_median(-slopes[ok], weights[ok])  # dB per frame
            decay_s = 60.0 / pace * frame_s if pace > 0 else math.inf

    # The fastest early fall at the note ends.
    starts = d.crossings[:, : EARLY_SPAN_DB + 1]
    ends = d.crossings[:, EARLY_DROP_DB : EARLY_DROP_DB + EARLY_SPAN_DB + 1]
    fastest = np.nanmin(np.where(np.isnan(ends), np.inf, ends - starts), axis=1)
    observed = np.isfinite(fastest)
    usable = observed | ~d.floored
    times = np.where(observed, fastest, d.length) * frame_s
    early = _km_median(times[usable], observed[usable])
    early_decay_s = early * 60.0 / EARLY_DROP_DB if math.isfinite(early) else (math.inf if usable.any() else None)
    fast = _km_median(times[usable], observed[usable], FAST_QUANTILE)
    fast_decay_s = fast * 60.0 / EARLY_DROP_DB if math.isfinite(fast) else (math.inf if usable.any() else None)

    # Decays that run down to the floor (the last note, a pause): the pace from END_FROM_DB to END_TO_DB under the peak.
    full = d.floored & (d.room >= END_TO_DB) & ~np.isnan(d.crossings[:, END_TO_DB])
    end_decay_s = None
    if full.any():
        span = d.crossings[full, END_TO_DB] - d.crossings[full, END_FROM_DB]
        end_decay_s = float(np.median(span)) * frame_s * 60.0 / (END_TO_DB - END_FROM_DB)

    # Deeper still: past the release of most instruments, a reverb's tail is what is left to fall.
    deep = ~np.isnan(d.crossings[:, DEEP_TO_DB]) & ~np.isnan(d.crossings[:, DEEP_FROM_DB])
    deep_decay_s = None
    if deep.any():
        span = d.crossings[deep, DEEP_TO_DB] - d.crossings[deep, DEEP_FROM_DB]
        deep_decay_s = float(np.median(span)) * frame_s * 60.0 / (DEEP_TO_DB - DEEP_FROM_DB)
    tail_coherence = float(d.coherence[0] / d.coherence[1]) if d.coherence[1] > 0 else None
    note_coherence = float(d.coherence[2] / d.coherence[3]) if d.coherence[3] > 0 else None

    clear_room = d.room >= CLEAR_DB
    clear_share = float(np.mean(d.depth[clear_room] >= CLEAR_DB)) if clear_room.any() else None
    tail_share = d.tail_frames / d.sounding_frames if d.sounding_frames > 0 else None
    tail_width_db = note_width_db = None
    if stereo and d.width[3] > 0:
        note_ratio = d.width[2] / d.width[3]
        note_width_db = float(10.0 * np.log10(note_ratio + WIDTH_FLOOR))
        if d.width[1] > 0:
            tail_ratio = d.width[0] / d.width[1]
            tail_width_db = float(10.0 * np.log10((tail_ratio + WIDTH_FLOOR) / (note_ratio + WIDTH_FLOOR)))
    return SpaceMeasure(
        tail_db=tail_db,
        decay_s=decay_s,
        early_decay_s=early_decay_s,
        fast_decay_s=fast_decay_s,
        end_decay_s=end_decay_s,
        clear_share=clear_share,
        tail_share=tail_share,
        tail_width_db=tail_width_db,
        note_width_db=note_width_db,
        decays=n,
        reliable=n >= MIN_DECAYS,
        deep_decay_s=deep_decay_s,
        tail_coherence=tail_coherence,
        note_coherence=note_coherence,
    )


# --- Tempo: delay times and pre-delay -------------------------------------------------------------

NOTE_VALUES: tuple[tuple[str, float], ...] = (
    ("1/4", 1.0),
    ("1/8 dotted", 0.75),
    ("1/8", 0.5),
    ("1/8 triplet", 1.0 / 3.0),
    ("1/16", 0.25),
)
"""Delay note values and their length in quarter notes (the ones a delay plug-in's sync menu offers)."""
PRE_DELAY_RANGE_MS = (10.0, 40.0)
"""A reverb's pre-delay keeps the dry attack clear of the tail: 10-40 ms (longer reads as an echo)."""
PRE_DELAY_DEFAULT_MS = 20.0
"""Pre-delay when the tempo is unknown: the middle of PRE_DELAY_RANGE_MS in log terms."""


def _check_tempo(tempo_bpm: float) -> float:
    if isinstance(tempo_bpm, bool) or not math.isfinite(float(tempo_bpm)) or not 20.0 <= float(tempo_bpm) <= 400.0:
        raise InvalidParameter("tempo", f"tempo must be 20-400 BPM, got {tempo_bpm!r}")
    return float(tempo_bpm)


def delay_times(tempo_bpm: float) -> dict[str, float]:
    """Delay times synced to the tempo, in ms: {"1/4", "1/8 dotted", "1/8", "1/8 triplet", "1/16"}.

    ``tempo_bpm`` is the quarter-note tempo (20-400 BPM); a quarter note lasts 60000 / tempo ms.
    Raises InvalidParameter outside that range.
    """
    quarter_ms = 60000.0 / _check_tempo(tempo_bpm)
    return {name: quarter_ms * quarters for name, quarters in NOTE_VALUES}


def pre_delay(tempo_bpm: float | None) -> tuple[float, str]:
    """A reverb pre-delay (ms) and the note value it is: the longest of 1/32, 1/64, 1/128 note in PRE_DELAY_RANGE_MS.

    At 120 BPM a 1/64 note is 31 ms; at 70 BPM a 1/128 (27 ms); at 200 BPM a 1/32 (38 ms). With no
    tempo, PRE_DELAY_DEFAULT_MS and "free".
    """
    if tempo_bpm is None:
        return PRE_DELAY_DEFAULT_MS, "free"
    quarter_ms = 60000.0 / _check_tempo(tempo_bpm)
    low, high = PRE_DELAY_RANGE_MS
    for division in (8, 16, 32):  # 1/32, 1/64, 1/128 notes
        ms = quarter_ms / division
        if ms <= high:
            return (ms, f"1/{division * 4}") if ms >= low else (low, "free")
    return high, "free"


# --- Features for the wetness models ----------------------------------------------------------------

FEATURES: tuple[str, ...] = (
    "tail_level_db",
    "has_tail",
    "log2_decay_s",
    "log2_early_decay_s",
    "log2_fast_decay_s",
    "log2_end_decay_s",
    "clear_share",
    "tail_share",
    "note_width_db",
    "tail_width_db",
    "reverb_db",
    "log2_deep_decay_s",
    "tail_coherence",
    "coherence_drop",
)
"""What the wetness models read of a SpaceMeasure (see :func:`feature_vector`)."""
NO_TAIL_DECAY_S = 0.1
"""Decay time a track with no tail is given in the features (shorter than any reverb the renders show)."""
DECAY_RANGE_S = (0.02, 20.0)
"""Decay times are clipped to this range before their log is taken (inf: a fall that never happened)."""


def _log2_time(value: float | None, default: float) -> float:
    low, high = DECAY_RANGE_S
    v = default if value is None or (isinstance(value, float) and math.isnan(value)) else value
    return math.log2(min(max(v, low), high))


def reverb_db(measure: SpaceMeasure) -> float:
    """The tail's energy relative to one second of the notes' peak level (dB): a wet-to-dry proxy.

    An exponential tail starting ``tail_db`` under the peak and decaying in ``decay_s`` holds
    10^(-tail_db/10) x decay_s / 13.8 peak-power-seconds (13.8 = 6 ln 10), so the tail's level
    and its length both count: a send 6 dB louder adds 6 dB, a decay twice as long 3 dB. A track
    with no tail reads as if its tail began MAX_DEPTH_DB under the notes and lasted NO_TAIL_DECAY_S.
    """
    tail = measure.tail_db if measure.tail_db is not None else float(MAX_DEPTH_DB)
    decay = measure.decay_s if measure.decay_s is not None and measure.tail_db is not None else NO_TAIL_DECAY_S
    decay = min(max(decay, DECAY_RANGE_S[0]), DECAY_RANGE_S[1])
    return -tail + 10.0 * math.log10(decay / (6.0 * math.log(10.0)))


def feature_vector(measure: SpaceMeasure) -> np.ndarray:
    """The FEATURES of a measure: np.ndarray [shape=(len(FEATURES),), float64].

    Missing values are filled with what they mean: no tail = a tail MAX_DEPTH_DB down and
    NO_TAIL_DECAY_S long; no decay to the floor = the fast decay; a mono track = no side signal
    (-30 dB, the WIDTH_FLOOR) and tails no wider than the notes, channels fully coherent; no
    decay to DEEP_TO_DB = the decay to the floor.
    """
    has_tail = measure.tail_db is not None
    fast = _log2_time(measure.fast_decay_s, 0.05)
    end = _log2_time(measure.end_decay_s, 2.0**fast)
    tail_coherence = 1.0 if measure.tail_coherence is None else measure.tail_coherence
    note_coherence = 1.0 if measure.note_coherence is None else measure.note_coherence
    values = {
        "tail_level_db": -(measure.tail_db if measure.tail_db is not None else float(MAX_DEPTH_DB)),
        "has_tail": 1.0 if has_tail else 0.0,
        "log2_decay_s": _log2_time(measure.decay_s if has_tail else None, NO_TAIL_DECAY_S),
        "log2_early_decay_s": _log2_time(measure.early_decay_s, 0.05),
        "log2_fast_decay_s": fast,
        "log2_end_decay_s": end,
        "clear_share": 0.5 if measure.clear_share is None else measure.clear_share,
        "tail_share": 0.5 if measure.tail_share is None else measure.tail_share,
        "note_width_db": 10.0 * math.log10(WIDTH_FLOOR) if measure.note_width_db is None else measure.note_width_db,
        "tail_width_db": 0.0 if measure.tail_width_db is None else measure.tail_width_db,
        "reverb_db": reverb_db(measure),
        "log2_deep_decay_s": _log2_time(measure.deep_decay_s, 2.0**end),
        "tail_coherence": tail_coherence,
        "coherence_drop": note_coherence - tail_coherence,
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float64)


# --- Norms and models (models/role_space.json, fitted by training/role_space.py) ---------------------

SHIPPED_NORMS = Path(__file__).resolve().parents[2] / "models" / "role_space.json"
"""Where the fitted norms ship."""
ROLE_ALIASES: dict[str, str] = {
    "vocals": "lead",
    "speech": "lead",
    "overheads": "drums",
    "synth": "keys",
    "music": "all",
    "other": "all",
}
"""Roles the training songs do not have take the norms of the nearest role that they do (a voice is
treated as a lead line; "all" pools every role)."""
REVERB_TYPES: dict[str, str] = {
    "vocals": "plate",
    "lead": "plate",
    "snare": "plate",
    "speech": "room",
    "kick": "room",
    "hihat": "room",
    "drums": "room",
    "overheads": "room",
    "bass": "room",
    "guitar": "room",
    "keys": "hall",
    "synth": "hall",
    "pad": "hall",
    "fx": "hall",
    "music": "hall",
    "other": "room",
}
"""The reverb each role is usually given (the mix engineer's convention the issue asks for: a plate
for vocals, leads and the snare, a room for drums and close parts, a hall for pads, strings and keys)."""
DELAY_ROLES = frozenset({"vocals", "lead"})
"""Roles a dry part of which also gets a tempo-synced delay."""
DELAY_NOTE = "1/8 dotted"
"""The delay a dry lead or vocal is offered first (the others are listed with it)."""
DELAY_FEEDBACK = 0.25
"""Delay feedback suggested: each repeat 12 dB under the one before, two or three repeats heard."""
SPACE_SEND_DB = -27.0
"""A role whose normal reverb (RoleSpace.send_db) is quieter than this is kept dry: the training
renders give kick and bass -31 to -33 dB, every other role -25 dB or more."""
MIN_CUT_DB = 3.0
"""The smallest wet-level cut worth suggesting (a level change under 3 dB is hard to hear on a reverb)."""
WET_USUAL_SHARE = 0.2
"""A role whose clean training stems read too wet this often is usually wet (GM's FX programs): a wet one is low priority."""
DRY_USUAL_SHARE = 0.5
"""A role whose clean training stems read dry this often is usually dry: a dry one is information, not a problem."""
DRY_RARE_SHARE = 0.1
"""A role whose clean training stems read dry at most this often is normally given space: a clearly dry one is a problem."""


def _linear_parts(data: dict[str, Any]) -> dict[str, Any]:
    """The standardised linear model's arrays (mean, scale, coef) and intercept from the JSON norms."""
    return {
        "mean": np.asarray(data["mean"], dtype=np.float64),
        "scale": np.asarray(data["scale"], dtype=np.float64),
        "coef": np.asarray(data["coef"], dtype=np.float64),
        "intercept": float(data["intercept"]),
    }


@dataclass(frozen=True)
class WetnessModel:
    """Logistic regression on a track's features and their offsets from its role's medians.

    ``probability(x) = 1 / (1 + exp(-(coef . (x - mean) / scale + intercept)))`` with
    x = [feature_vector, feature_vector - role medians]. ``medium`` and ``high`` are the
    probability thresholds of a medium and a high finding (fitted to the false-alarm rate on the
    clean training stems); ``low`` that of a low one.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    low: float
    medium: float
    high: float

    def probability(self, x: np.ndarray) -> float:
        z = float(np.dot(self.coef, (x - self.mean) / self.scale) + self.intercept)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WetnessModel:
        return cls(
            **_linear_parts(data),
            low=float(data["thresholds"]["low"]),
            medium=float(data["thresholds"]["medium"]),
            high=float(data["thresholds"]["high"]),
        )


@dataclass(frozen=True)
class LevelModel:
    """Linear estimate of a track's reverb level: wet energy over dry energy (dB) from the model input.

    ``estimate(x) = coef . (x - mean) / scale + intercept``, fitted on training stems whose wet
    level is known (FluidSynth's default effects measured against a dry render; the drowned stems).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def estimate(self, x: np.ndarray) -> float:
        return float(np.dot(self.coef, (x - self.mean) / self.scale) + self.intercept)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LevelModel:
        return cls(**_linear_parts(data))


@dataclass(frozen=True)
class RoleSpace:
    """What a role's clean training stems read, and the models that judge a track of the role.

    Attributes:
        role: the role asked for.
        data_role: the role whose stems gave the norms (ROLE_ALIASES; "all" pools every role).
        stems: clean training stems behind the norms.
        medians: np.ndarray [shape=(len(FEATURES),)]: the clean stems' median features.
        percentiles: measure -> (5th, 50th, 95th percentile) over the clean stems, for the messages
            ("tail_db", "decay_s", "early_decay_s", "reverb_db").
        send_db: the role's normal reverb level: energy of what FluidSynth's default reverb and
            chorus add over the dry part's (dB, median of the training pairs); None without pairs.
        dry_share: share of the role's clean stems the dry model calls dry (at its low threshold).
        wet_share: share of the role's clean stems the wet model calls too wet (at its medium threshold).
        wet: the too-wet model.
        dry: the too-dry model.
        level: the reverb-level estimate (how many dB to cut).
    """

    role: str
    data_role: str
    stems: int
    medians: np.ndarray
    percentiles: dict[str, tuple[float, float, float]]
    send_db: float | None
    dry_share: float
    wet_share: float
    wet: WetnessModel
    dry: WetnessModel
    level: LevelModel

    def model_input(self, measure: SpaceMeasure) -> np.ndarray:
        """[feature_vector, feature_vector - medians]: np.ndarray [shape=(2 * len(FEATURES),)]."""
        x = feature_vector(measure)
        return np.concatenate([x, x - self.medians])


def parse_role_space(data: dict[str, Any]) -> dict[str, RoleSpace]:
    """Role -> RoleSpace from the JSON written by training/role_space.py (every role in ROLES gets one).

    Raises ValueError when the file's features differ from FEATURES.
    """
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError("role_space.json was fitted on other features; refit it with training/role_space.py")
    wet = WetnessModel.from_dict(data["wet_model"])
    dry = WetnessModel.from_dict(data["dry_model"])
    level = LevelModel.from_dict(data["level_model"])
    out: dict[str, RoleSpace] = {}
    for role in (*data["roles"].keys(), *ROLE_ALIASES.keys()):
        data_role = role if role in data["roles"] else ROLE_ALIASES.get(role, "all")
        entry = data["roles"][data_role]
        out[role] = RoleSpace(
            role=role,
            data_role=data_role,
            stems=int(entry["stems"]),
            medians=np.asarray(entry["medians"], dtype=np.float64),
            percentiles={k: (float(v[0]), float(v[1]), float(v[2])) for k, v in entry["percentiles"].items()},
            send_db=None if entry.get("send_db") is None else float(entry["send_db"]),
            dry_share=float(entry["dry_share"]),
            wet_share=float(entry["wet_share"]),
            wet=wet,
            dry=dry,
            level=level,
        )
    return out


@lru_cache(maxsize=4)
def load_role_space(path: str | None = None) -> dict[str, RoleSpace]:
    """The norms at ``path`` (default role_space.json in DAWG_AI_MODELS_DIR, else models/), read once.
    Raises FileNotFoundError / ValueError."""
    file = Path(path) if path else model_path(SHIPPED_NORMS)
    return parse_role_space(json.loads(file.read_text()))


def role_space(role: str, *, path: str | None = None) -> RoleSpace:
    """The norms that judge a track of ``role`` (an unknown role gets the pooled "all" norms)."""
    norms = load_role_space(path)
    return norms.get(role) or norms["all"]


# --- Findings -----------------------------------------------------------------------------------------


def _beats(seconds: float, tempo_bpm: float | None) -> str:
    if tempo_bpm is None:
        return ""
    return f" (about {seconds * tempo_bpm / 60.0:.1f} beats at {tempo_bpm:g} BPM)"


def _reverb_move(role: str, norms: RoleSpace, tempo_bpm: float | None) -> dict[str, Any]:
    """The reverb a role normally gets: type, send level, decay, pre-delay (and the note value it is)."""
    pre_ms, pre_note = pre_delay(tempo_bpm)
    decay = norms.percentiles["decay_s"][1]
    return {
        "type": REVERB_TYPES.get(role, "room"),
        "send_db": None if norms.send_db is None else round(norms.send_db, 1),
        "decay_s": round(decay, 2),
        "pre_delay_ms": round(pre_ms, 1),
        "pre_delay_note": pre_note,
        "high_pass_hz": ROLE_LOW_CUT_HZ.get(role, ROLE_LOW_CUT_HZ["other"]),
    }


def _evidence(measure: SpaceMeasure, norms: RoleSpace, problem: str, probability: float) -> dict[str, Any]:
    return {
        "problem": problem,
        "probability": round(probability, 3),
        **measure.to_dict(),
        "reverb_db": round(reverb_db(measure), 1),
        "norm": {
            "role": norms.data_role,
            "stems": norms.stems,
            **{f"{k}_p5_p50_p95": [round(v, 2) for v in values] for k, values in norms.percentiles.items()},
            "send_db": None if norms.send_db is None else round(norms.send_db, 1),
        },
    }


def _too_wet(
    name: str,
    role: str,
    measure: SpaceMeasure,
    tempo_bpm: float | None,
    norms: RoleSpace,
    probability: float,
    wet_db: float,
) -> Suggestion:
    tail_p5, tail_p50, _ = norms.percentiles["tail_db"]
    _, decay_p50, decay_p95 = norms.percentiles["decay_s"]
    tail = measure.tail_db if measure.tail_db is not None else tail_p50
    normal_db = norms.send_db if norms.send_db is not None else wet_db - MIN_CUT_DB
    cut_db = float(max(MIN_CUT_DB, round(wet_db - normal_db)))
    decay = measure.decay_s if measure.decay_s is not None and math.isfinite(measure.decay_s) else None
    shorter = decay is not None and decay > decay_p95
    move = _reverb_move(role, norms, tempo_bpm)
    reverb = {
        "wet_change_db": -cut_db,
        "decay_s": round(decay_p50, 2) if shorter else None,
        "high_pass_hz": move["high_pass_hz"],
        "duck": True,
        "duck_release_ms": round(delay_times(tempo_bpm)["1/8"], 0) if tempo_bpm else None,
    }
    what = f"its reverb tail starts {tail:.0f} dB under the notes (rendered {role} parts: {tail_p50:.0f} dB"
    what += f", {tail_p5:.0f} dB at the wettest 5 %)"
    if decay is not None:
        what += f" and decays in {decay:.1f} s (normal {decay_p50:.1f} s)"
    what += f"; the reverb reads about {wet_db:+.0f} dB against the dry sound, where rendered {role} parts carry"
    what += f" {normal_db:+.0f} dB"
    steps = [f"lower the reverb send or wet level by about {cut_db:.0f} dB"]
    if shorter:
        steps.append(f"shorten the decay to about {decay_p50:.1f} s{_beats(decay_p50, tempo_bpm)}")
    steps.append(f"high-pass the reverb return at {move['high_pass_hz']:g} Hz")
    steps.append("or duck the return under the dry track (a compressor on the reverb keyed from it)")
    usual = norms.wet_share >= WET_USUAL_SHARE
    priority = "low" if usual else ("high" if probability >= norms.wet.high else "medium")
    return Suggestion(
        type="space",
        message=f"{name} sounds too wet: {what}" + (" (much ambience is common for this role)" if usual else ""),
        priority=priority,
        track=name,
        suggestion="; ".join(steps[:-1]) + ", " + steps[-1],
        confidence=probability,
        evidence={**_evidence(measure, norms, "too_wet", probability), "wet_db": round(wet_db, 1)},
        action={"kind": "reverb", "reverb": reverb},
    )


def _too_dry(
    name: str, role: str, measure: SpaceMeasure, tempo_bpm: float | None, norms: RoleSpace, probability: float
) -> list[Suggestion]:
    move = _reverb_move(role, norms, tempo_bpm)
    given_space = norms.send_db is not None and norms.send_db >= SPACE_SEND_DB
    usual = norms.dry_share >= DRY_USUAL_SHARE or not given_space
    clear = probability >= norms.dry.medium and norms.dry_share <= DRY_RARE_SHARE
    priority = "medium" if clear else "low"
    heard = "no reverb tail" if measure.tail_db is None else f"a tail {measure.tail_db:.0f} dB under the notes"
    width = measure.tail_width_db
    if width is not None:
        heard += f", no wider than the notes ({width:+.0f} dB side)" if width < 3 else f" ({width:+.0f} dB wider)"
    send = f" at about {move['send_db']:.0f} dB (the level rendered {role} parts carry)" if move["send_db"] else ""
    pre = f"{move['pre_delay_ms']:.0f} ms pre-delay" + (
        f" (a {move['pre_delay_note']} note)" if move["pre_delay_note"] != "free" else ""
    )
    suggestion = (
        f"send it to a {move['type']} reverb{send}, decay about {move['decay_s']:.1f} s"
        f"{_beats(move['decay_s'], tempo_bpm)}, {pre}, return high-passed at {move['high_pass_hz']:g} Hz"
    )
    findings = [
        Suggestion(
            type="space",
            message=f"{name} sounds dry for a {role} part: {heard}"
            + (" (dry is common for this role)" if usual else ""),
            priority="low" if usual else priority,
            track=name,
            suggestion=suggestion,
            confidence=probability,
            evidence=_evidence(measure, norms, "too_dry", probability),
            action={"kind": "reverb", "reverb": move},
            info=usual,
        )
    ]
    if role in DELAY_ROLES and tempo_bpm is not None:
        times = delay_times(tempo_bpm)
        listed = ", ".join(f"{k} {v:.0f} ms" for k, v in times.items())
        findings.append(
            Suggestion(
                type="space",
                message=f"{name}: a tempo-synced delay gives a dry {role} space without washing it out",
                priority="low",
                track=name,
                suggestion=(
                    f"a {DELAY_NOTE} delay of {times[DELAY_NOTE]:.0f} ms at {tempo_bpm:g} BPM, feedback "
                    f"{DELAY_FEEDBACK:.0%}, low under the dry part ({listed})"
                ),
                confidence=probability,
                evidence={"problem": "too_dry", "tempo_bpm": tempo_bpm, "delay_times_ms": times},
                action={
                    "kind": "delay",
                    "delay": {
                        "note": DELAY_NOTE,
                        "time_ms": round(times[DELAY_NOTE], 1),
                        "feedback": DELAY_FEEDBACK,
                        "send_db": move["send_db"],
                        "times_ms": {k: round(v, 1) for k, v in times.items()},
                    },
                },
                info=True,
            )
        )
    return findings


def space_findings(
    *, name: str, role: str, measure: SpaceMeasure, tempo_bpm: float | None, norms: RoleSpace
) -> list[Suggestion]:
    """Too-wet and too-dry findings for one track, with the reverb (and delay) move that answers them.

    Args:
        name: the track's name (the findings' ``track``).
        role: its role (one of ai.mixing.roles.ROLES): picks the reverb type.
        measure: :func:`measure_space` of the track.
        tempo_bpm: the song's quarter-note tempo (analysis or manifest), for the pre-delay, decay in
            beats and delay times; None when unknown.
        norms: :func:`role_space` of the role.

    Returns:
        [] for a track whose space is normal for its role (or too few note ends to judge); one
        ``type="space"`` finding with evidence["problem"] "too_wet" (priority medium or high, a
        reverb action that cuts the wet level, shortens the decay, high-passes the return, ducks)
        or "too_dry" (priority medium when the role is normally given space and the part is clearly
        dry, low otherwise, info when dry is usual for the role; a reverb action with type, send
        level, decay and pre-delay), plus for a dry lead or vocal a tempo-synced delay (info).
    """
    if not measure.reliable:
        return []
    x = norms.model_input(measure)
    p_wet = norms.wet.probability(x)
    if p_wet >= norms.wet.medium:
        return [_too_wet(name, role, measure, tempo_bpm, norms, p_wet, norms.level.estimate(x))]
    p_dry = norms.dry.probability(x)
    if p_dry >= norms.dry.low and p_wet < norms.wet.low:
        return _too_dry(name, role, measure, tempo_bpm, norms, p_dry)
    return []
