"""How wet a track is (reverb and delay): the free decays at its note ends, measured in half-octave bands.

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
* :func:`ai.mixing.space_model.reverb_db`: ``tail_db`` and ``decay_s`` in one number, the tail's energy.

The models that read these numbers are in :mod:`ai.mixing.space_model`, the advice in :mod:`ai.mixing.space`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numba
import numpy as np
import scipy.fft
import scipy.signal

from ai.audio.stem_file import Frames, StemFile, read_frames
from utils.errors import InvalidParameter

FRAME_S = 0.010
"""STFT hop (s): a dry release falls 20 dB within a few hops, a 0.5 s reverb takes 17."""
WINDOW_S = 0.023
"""STFT window (s, rounded to a power of two): 1024 samples at 44.1 kHz, short enough not to smear a dry release."""
MIN_SAMPLE_RATE_HZ = 8000
"""The lowest rate whose decays the bands can follow (a 4 kHz stem's band edges would pass its Nyquist)."""
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
MIN_PLACED_GAIN = 0.01
"""A channel a placement turned down under this (-40 dB) is not restored: the other is measured alone."""
MAX_BALANCE_DB = 20.0
"""A stereo track whose channels' energies lie further apart than this is measured as its louder channel alone:
the quieter carries little of the part (a pan of 0.9 or more), and balancing would lift its noise (a quiet
16-bit export's quantisation noise, 26 dB under the other channel on two training Drums stems) into a wide
"tail"."""
BALANCE_BLOCK = 1 << 16
"""Frames per read when the channels' energies are summed (a stem file is never read whole)."""
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
        # bins x frames: the kernel walks each bin's frames, which must lie side by side in memory (in
        # frames x bins every step jumped a row: this kernel took 1.28 s of CPU on 8 three-minute stems, now 0.55 s); the
        # windows are laid out as columns and transformed along them, the same values as rows' transforms
        # transposed, without the copy
        left, right = (
            scipy.fft.rfft(np.lib.stride_tricks.sliding_window_view(channel, n_fft)[::hop].T * window[:, None], axis=0)
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
        left, right: np.ndarray [shape=(n_bins, n_frames), complex64, C order]: the channels' spectra.
        bins: np.ndarray [shape=(n_bins,), int]: each bin's band (-1: in none).
        scale: a bin's power over the band's mean-square level (see :func:`_stft_setup`).
        first: the first frame to add (the frames before it and after the last one added only
            widen the phase average); frames ``first .. first + out.shape[2]`` are added.
        out: np.ndarray [shape=(4, n_bands, n_added)]: mid, side, coherent, total; added to in place.
    """
    n = left.shape[1]
    half = COHERENCE_FRAMES // 2
    real = np.empty(n)
    imag = np.empty(n)
    weight = np.empty(n)
    real_sum = np.zeros(n + 1)  # running sums: each frame's phasor average in O(1)
    imag_sum = np.zeros(n + 1)
    for k in range(left.shape[0]):
        band = bins[k]
        if band < 0:
            continue
        for t in range(n):
            cross = left[k, t] * np.conj(right[k, t])
            size = abs(cross)
            weight[t] = size
            real[t] = cross.real / size if size > 0 else 0.0
            imag[t] = cross.imag / size if size > 0 else 0.0
            real_sum[t + 1] = real_sum[t] + real[t]
            imag_sum[t + 1] = imag_sum[t] + imag[t]
        for j in range(out.shape[2]):
            t = first + j
            a = left[k, t]
            b = right[k, t]
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
        absent = np.zeros(0, dtype=np.float32)
        tail_frames += _decay_sums(
            level,
            peaks,
            length.astype(np.int64),
            mid_bands[b],
            absent if side_bands is None else side_bands[b],
            absent if coherence_bands is None else coherence_bands[0][b],
            absent if coherence_bands is None else coherence_bands[1][b],
            width,
            coherence,
        )
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


@numba.njit(cache=True, nogil=True)
def _decay_sums(
    level: np.ndarray,
    peaks: np.ndarray,
    length: np.ndarray,
    mid: np.ndarray,
    side: np.ndarray,
    coherent: np.ndarray,
    total: np.ndarray,
    width: np.ndarray,
    coherence: np.ndarray,
) -> float:
    """One band's decays (from each of ``peaks``, ``length`` frames): the frames TAIL_SHARE_DB or more under
    the note (returned), and added in place, where ``side`` (``coherent`` and ``total``) are given: the side and
    mid powers of the tail and note frames (``width``), the coherent and total weights of the deep (COHERENCE_DB)
    and note frames (``coherence``). One pass per decay, summed in float64 (a loop of eight numpy sums per decay
    took 0.5 s of suggest()'s 4.6 s of CPU on 8 three-minute stems)."""
    tail_frames = 0.0
    stereo = side.shape[0] > 0
    phase = coherent.shape[0] > 0
    for j in range(peaks.shape[0]):
        p = peaks[j]
        lowest = level[p]
        for t in range(p, p + length[j]):
            lowest = min(lowest, level[t])
            below = level[p] - lowest
            tail = below >= TAIL_SHARE_DB
            note = below <= NOTE_DB
            if tail:
                tail_frames += 1.0
            if stereo:
                if tail:
                    width[0] += side[t]
                    width[1] += mid[t]
                if note:
                    width[2] += side[t]
                    width[3] += mid[t]
            if phase:
                if below >= COHERENCE_DB:
                    coherence[0] += coherent[t]
                    coherence[1] += total[t]
                if note:
                    coherence[2] += coherent[t]
                    coherence[3] += total[t]
    return tail_frames


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


def channel_energies(read: Callable[[int, int], np.ndarray], n: int) -> np.ndarray:
    """Each channel's energy about its mean (a DC offset is no level) of a track of ``n`` frames whose frames
    ``start:stop`` are ``read(start, stop)``: np.ndarray [shape=(channels,), float64]."""
    sums = np.zeros(0)
    squares = np.zeros(0)
    for start in range(0, n, BALANCE_BLOCK):
        block = read(start, min(n, start + BALANCE_BLOCK))
        if not sums.size:
            sums, squares = np.zeros(block.shape[0]), np.zeros(block.shape[0])
        sums += block.sum(axis=1, dtype=np.float64)
        squares += [float(np.dot(channel, channel)) for channel in block]  # a block's float32 sums: ample here
    energies: np.ndarray = np.maximum(squares - sums**2 / max(n, 1), 0.0)
    return energies


def channel_balance(energies: np.ndarray) -> np.ndarray | None:
    """The (left, right) gains that a stereo track's channels (``energies``, :func:`channel_energies`) carry over
    equal energies, the same energy in all (a constant-power pan's gains): np.ndarray [shape=(2,)]; 1, 1 for a
    centred track; None when the channels lie MAX_BALANCE_DB or more apart (or one is silent).

    Dividing them out makes the measure pan-neutral: a stem exported after its pan (a mono piano panned
    0.3 left arrives with one channel 4 dB under the other) reads as the centred stem does, where the level
    difference alone read as width (its notes 15 dB wider, its tail no wider than them: "too dry").
    A part that is itself off-centre (GM kits pan their hi-hats 3-8 dB to one side, the reverb centred)
    is read as centred too, with its reverb off-centre: the norms are fitted on balanced stems.
    """
    left, right = float(energies[0]), float(energies[1])
    if left <= 0.0 or right <= 0.0 or abs(10.0 * math.log10(left / right)) >= MAX_BALANCE_DB:
        return None
    gains: np.ndarray = np.sqrt(energies / energies.mean())
    return gains


def measure_space(*, samples: Frames, sr: int, channel_gains: tuple[float, float] | None = None) -> SpaceMeasure:
    """How wet a track sounds: free decays at its note ends, in half-octave bands.

    Args:
        samples: np.ndarray [shape=(channels, n), float] or a stem file: the track (1 or 2
            channels; more are averaged to mono).
        sr: sample rate (Hz).
        channel_gains: the (left, right) gains a placement in the mix put on a stereo track (a
            render's pan), divided out before measuring; a channel placed under MIN_PLACED_GAIN leaves
            the other to be measured as a mono track. A pan no one tells of needs no telling: a stereo
            track's channels are then balanced to one energy (:func:`channel_balance`), which undoes any
            constant gain per channel (a pan is no reverb, but the level difference it puts between the
            channels read as width: a centred piano panned 0.3 left read its notes 15 dB wider, its tail
            no wider than them, and "too dry"; sessions 30 and 32). Channels MAX_BALANCE_DB or more apart
            leave the louder to be measured as a mono track.

    Returns:
        SpaceMeasure (see the module docstring for what each number means).

    Raises:
        InvalidParameter: not a (channels, n) array, or a rate under 8 kHz.
    """
    if len(samples.shape) != 2 or samples.shape[1] == 0:
        raise InvalidParameter("samples", "audio must have shape (channels, n) with n > 0")
    if sr < MIN_SAMPLE_RATE_HZ:
        raise InvalidParameter(
            "sample_rate", f"{sr} Hz is too low to measure reverb (at least {MIN_SAMPLE_RATE_HZ} Hz)"
        )
    x = samples if isinstance(samples, StemFile) else np.asarray(samples, dtype=np.float32)
    n = x.shape[1]

    # The signal is read a stretch at a time (a whole copy would be the track's size again).
    stereo = x.shape[0] == 2
    read: Callable[[int, int], np.ndarray] = lambda a, b: read_frames(x, a, b)  # noqa: E731
    if stereo and channel_gains is not None and tuple(channel_gains) != (1.0, 1.0):
        gains = np.asarray(channel_gains, dtype=np.float32)
        if float(gains.min()) < MIN_PLACED_GAIN:  # panned hard: the live channel, as a mono track
            live = int(np.argmax(gains))
            stereo, read = False, (lambda a, b: read_frames(x, a, b)[live : live + 1])
        else:
            inverse = (1.0 / gains)[:, None]
            read = lambda a, b: read_frames(x, a, b) * inverse  # noqa: E731
    if stereo:
        # A pan no one told of (a stem exported after it) is a constant gain per channel too, which balancing
        # the channels' energies undoes exactly.
        placed = read
        energies = channel_energies(placed, n)
        balance = channel_balance(energies)
        if balance is None:  # one channel carries next to nothing: the louder, as a mono track
            loud = int(np.argmax(energies))
            stereo, read = False, (lambda a, b: placed(a, b)[loud : loud + 1])
        elif not np.allclose(balance, 1.0, rtol=0.0, atol=1e-6):
            unbalance = (1.0 / balance).astype(np.float32)[:, None]
            read = lambda a, b: placed(a, b) * unbalance  # noqa: E731
    n_fft, hop = _stft_setup(sr)[:2]
    # A frame reads digital silence from the first window that holds only zeros, and the ones before
    # it part of them: a window's length in hops, and half the smoothing.
    reach = -(-n_fft // hop) + SMOOTH_FRAMES // 2
    if stereo:
        mid_bands, side_bands, coherent, total = _stereo_band_powers(read, n, sr)
        d = _collect(mid_bands, side_bands, (coherent, total), reach)
        del mid_bands, side_bands, coherent, total  # the decays hold what is needed
    else:
        d = _collect(_band_powers(lambda a, b: read(a, b).mean(axis=0), n, sr), None, None, reach)
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
