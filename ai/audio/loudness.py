"""Loudness and level measures: ITU-R BS.1770-4 loudness, EBU Tech 3342 loudness range, true peak.

Every function is pure and keyword-only and takes ``y``: np.ndarray [shape=(channels, n) or (n,)]
(a 1-D array is one channel) and ``sr`` (Hz).

Conventions
-----------
* A measure that is undefined returns ``None`` (never ``-inf``, which JSON cannot carry):
  integrated loudness of a signal shorter than one 400 ms gating block or whose every block is
  below the absolute gate (-70 LUFS, i.e. silence); short-term values of a signal shorter than
  3 s; peak, RMS and crest factor of an all-zero signal.
* Loudness follows BS.1770-4: K-weighting (a high shelf of about +4 dB above 1.5 kHz followed by a
  high-pass at about 38 Hz, designed for any sample rate from the analogue prototype that yields
  the standard's 48 kHz coefficients), mean square per channel over 400 ms blocks with 75 %
  overlap (a 100 ms hop), channel weights 1.0 for the front channels, 1.41 for the surrounds
  and 0 for the LFE, in the WAV (SMPTE) channel order of each common layout (_CHANNEL_WEIGHTS),
  ``-0.691 + 10 log10(sum)``, the absolute gate at -70 LUFS and the relative gate at -10 LU.
  The K-weighted signal is filtered once and cut into 100 ms sub-blocks; momentary (400 ms) and
  short-term (3 s) blocks are sums of consecutive sub-blocks. The tests check the values against
  the BS.1770 reference tone and against pyloudnorm's meter.
* The filters start as if the signal had held its first sample for ever (:func:`k_weighting_start`),
  not from silence: a signal that starts on a DC offset is no step into it. From zeros, a file of
  constant 0.5 (DC alone, nothing audible) read -29 LUFS, the high-pass's step response in its first
  400 ms block (pyloudnorm, which starts from zeros, gives the same). A signal that starts at zero,
  as recordings do, measures the same either way.
* True peak follows BS.1770-4 Annex 2: the signal is oversampled (4x below 96 kHz, 2x below
  192 kHz) with a windowed-sinc interpolator that keeps the original samples, so the true peak is
  never below the sample peak. Only the stretches that can hold the maximum are oversampled: the
  interpolated value of a stretch is bounded by the interpolator's absolute tap sum times the
  stretch's largest sample, and stretches whose bound is below the best value found are skipped
  (the result is the same as oversampling everything).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import numba
import numpy as np
import scipy.signal

logger = logging.getLogger(__name__)

ABSOLUTE_GATE_LUFS = -70.0
"""BS.1770 absolute gating threshold."""
RELATIVE_GATE_LU = -10.0
"""BS.1770 relative gating threshold (integrated loudness)."""
LRA_RELATIVE_GATE_LU = -20.0
"""EBU Tech 3342 relative gate for the loudness range."""
LRA_LOW_PERCENTILE = 10.0
LRA_HIGH_PERCENTILE = 95.0
MOMENTARY_S = 0.4
SHORT_TERM_S = 3.0
HOP_S = 0.1
"""Hop between loudness blocks (75 % overlap of the 400 ms momentary block)."""
LOUDNESS_OFFSET = -0.691
"""BS.1770's constant: a 997 Hz sine at 0 dBFS peak in one front channel reads -3.01 LUFS."""
_SURROUND = 1.41
_CHANNEL_WEIGHTS: dict[int, tuple[float, ...]] = {
    4: (1.0, 1.0, _SURROUND, _SURROUND),  # quad: L, R, Ls, Rs
    5: (1.0, 1.0, 1.0, _SURROUND, _SURROUND),  # 5.0: L, R, C, Ls, Rs
    6: (1.0, 1.0, 1.0, 0.0, _SURROUND, _SURROUND),  # 5.1: L, R, C, LFE, Ls, Rs
    8: (1.0, 1.0, 1.0, 0.0, _SURROUND, _SURROUND, _SURROUND, _SURROUND),  # 7.1: ... LFE, Lrs, Rrs, Lss, Rss
}
"""BS.1770 channel weights by channel count, in the order WAV files carry the common layouts
(front 1.0, surround 1.41, the LFE left out). Mono, stereo, L-R-C and other counts weigh 1.0 each."""

# Analogue prototypes of the two K-weighting stages (they reproduce BS.1770's 48 kHz table).
_SHELF_F0 = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_VB_EXPONENT = 0.4996667741545416
_HIGHPASS_F0 = 38.13547087602444
_HIGHPASS_Q = 0.5003270373238773

_TP_HALF_TAPS = 6
"""Input samples on each side used by the true-peak interpolator (48 taps at 4x: BS.1770-4 Annex 2's)."""
TP_BLOCK = 1024
"""Samples per stretch in the true-peak search (and of :func:`block_stats`'s maxima)."""
_TP_BLOCK = TP_BLOCK
_TP_FIRST = 8
"""Stretches examined one by one (most promising first) before the rest are done in runs."""


@dataclass(frozen=True)
class LoudnessStats:
    """Every level measure of one signal (``None`` where undefined, see the module docstring)."""

    integrated_lufs: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    rms_dbfs: float | None
    crest_factor_db: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {key: (None if value is None else round(value, 2)) for key, value in asdict(self).items()}


def _as_2d(y: np.ndarray, sr: float) -> np.ndarray:
    """Validate ``y`` and return it as np.ndarray [shape=(channels, n)]."""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"y must be a numpy array, not {type(y).__name__}")
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2:
        raise ValueError(f"y must have shape (channels, n) or (n,), got {y.shape}")
    if y.shape[0] < 1 or y.shape[0] > 64:
        raise ValueError(f"y must have between 1 and 64 channels (shape (channels, n)), got {y.shape}")
    if not sr or sr <= 0:
        raise ValueError(f"sample rate must be positive, got {sr}")
    return y


def amplitude_to_db(value: float) -> float | None:
    """20 log10(value), or None for a zero (or negative) amplitude."""
    return 20.0 * math.log10(value) if value > 0 else None


def power_to_lufs(power: float) -> float | None:
    """BS.1770 loudness of a weighted mean-square sum, or None for zero power."""
    return LOUDNESS_OFFSET + 10.0 * math.log10(power) if power > 0 else None


@lru_cache(maxsize=16)
def k_weighting_sos(sr: int) -> np.ndarray:
    """np.ndarray [shape=(2, 6)]: the two K-weighting biquads (high shelf, high-pass) at ``sr``."""
    k = math.tan(math.pi * _SHELF_F0 / sr)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**_SHELF_VB_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * _HIGHPASS_F0 / sr)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def k_weighting_start(first: np.ndarray, sr: int) -> np.ndarray:
    """The K-weighting filters' memory [shape=(channels, 4)] for a signal whose first sample per channel is
    ``first`` [shape=(channels,)]: the state they settle in on that value held (the shelf passes it, the
    high-pass outputs nothing), so a DC offset at the start is no step (see the module docstring)."""
    settled = scipy.signal.sosfilt_zi(k_weighting_sos(sr)).reshape(-1)
    state: np.ndarray = np.asarray(first, dtype=np.float64)[:, np.newaxis] * settled[np.newaxis, :]
    return state


def _channel_weights(n_channels: int) -> np.ndarray:
    return np.array(_CHANNEL_WEIGHTS.get(n_channels, (1.0,) * n_channels))


def _hop_samples(sr: float) -> int:
    return max(1, int(round(HOP_S * sr)))


def _k_energy_kernel(y: np.ndarray, sos: np.ndarray, hop: int, n_sub: int, state: np.ndarray) -> np.ndarray:
    """:func:`_k_energy_from` from the first sample of ``y``."""
    result: np.ndarray = _k_energy_from(y, 0, sos, hop, n_sub, state)
    return result


@numba.njit(cache=True, nogil=True)
def _k_energy_from(y: np.ndarray, start: int, sos: np.ndarray, hop: int, n_sub: int, state: np.ndarray) -> np.ndarray:
    """Energy of the K-weighted signal per channel and sub-block (two biquads, transposed direct form II),
    for ``n_sub`` sub-blocks of ``hop`` samples from sample ``start`` of ``y`` (an offset rather than a
    slice: a slice of a (channels, n) array is not contiguous, and copying it costs a pass).

    ``state`` [shape=(channels, 4)]: the filters' memory, read at the start and written back at the
    end, so a long signal can be weighted block by block (zeros: a signal that starts here)."""
    out = np.zeros((y.shape[0], n_sub))
    b00, b01, b02, a01, a02 = sos[0, 0], sos[0, 1], sos[0, 2], sos[0, 4], sos[0, 5]
    b10, b11, b12, a11, a12 = sos[1, 0], sos[1, 1], sos[1, 2], sos[1, 4], sos[1, 5]
    if y.shape[0] == 2:
        # Both channels in one loop: two independent dependency chains keep the CPU busy.
        p0, p1, p2, p3 = state[0, 0], state[0, 1], state[0, 2], state[0, 3]
        q0, q1, q2, q3 = state[1, 0], state[1, 1], state[1, 2], state[1, 3]
        for s in range(n_sub):
            acc_l = acc_r = 0.0
            for i in range(start + s * hop, start + (s + 1) * hop):
                xl = float(y[0, i])
                xr = float(y[1, i])
                ul = b00 * xl + p0
                ur = b00 * xr + q0
                p0 = b01 * xl - a01 * ul + p1
                q0 = b01 * xr - a01 * ur + q1
                p1 = b02 * xl - a02 * ul
                q1 = b02 * xr - a02 * ur
                vl = b10 * ul + p2
                vr = b10 * ur + q2
                p2 = b11 * ul - a11 * vl + p3
                q2 = b11 * ur - a11 * vr + q3
                p3 = b12 * ul - a12 * vl
                q3 = b12 * ur - a12 * vr
                acc_l += vl * vl
                acc_r += vr * vr
            out[0, s] = acc_l
            out[1, s] = acc_r
        state[0, 0], state[0, 1], state[0, 2], state[0, 3] = p0, p1, p2, p3
        state[1, 0], state[1, 1], state[1, 2], state[1, 3] = q0, q1, q2, q3
        return out
    for c in range(y.shape[0]):
        z0, z1, z2, z3 = state[c, 0], state[c, 1], state[c, 2], state[c, 3]
        for s in range(n_sub):
            acc = 0.0
            for i in range(start + s * hop, start + (s + 1) * hop):
                x = float(y[c, i])
                u = b00 * x + z0
                z0 = b01 * x - a01 * u + z1
                z1 = b02 * x - a02 * u
                v = b10 * u + z2
                z2 = b11 * u - a11 * v + z3
                z3 = b12 * u - a12 * v
                acc += v * v
            out[c, s] = acc
        state[c, 0], state[c, 1], state[c, 2], state[c, 3] = z0, z1, z2, z3
    return out


def sub_block_powers(*, y: np.ndarray, sr: float) -> np.ndarray:
    """Channel-weighted K-weighted energy of consecutive 100 ms sub-blocks.

    Returns np.ndarray [shape=(n_sub,), dtype=float64]: the sum over channels of
    ``G_c * sum(z_c ** 2)`` in each complete sub-block (not yet divided by the block length),
    where ``z_c`` is channel ``c`` through the K-weighting filter.
    """
    y = _as_2d(y, sr)
    hop = _hop_samples(sr)
    n_sub = y.shape[1] // hop
    if n_sub == 0:
        return np.zeros(0)
    samples = y if y.dtype in (np.float32, np.float64) else y.astype(np.float32)
    rate = int(round(sr))
    energy = _k_energy_kernel(samples, k_weighting_sos(rate), hop, n_sub, k_weighting_start(samples[:, 0], rate))
    result: np.ndarray = _channel_weights(y.shape[0]) @ energy
    return result


def _block_loudness(sub_energy: np.ndarray, *, sub_per_block: int, hop: int) -> np.ndarray:
    """Loudness (LUFS, -inf for silent blocks) of blocks of ``sub_per_block`` sub-blocks, 100 ms hop."""
    if sub_energy.size < sub_per_block:
        return np.zeros(0)
    csum = np.concatenate(([0.0], np.cumsum(sub_energy)))
    block_energy = csum[sub_per_block:] - csum[:-sub_per_block]
    power = np.maximum(block_energy, 0.0) / (sub_per_block * hop)
    with np.errstate(divide="ignore"):
        result: np.ndarray = LOUDNESS_OFFSET + 10.0 * np.log10(power)
        return result


def _gated_integrated(block_lufs: np.ndarray) -> float | None:
    """BS.1770 two-stage gating of momentary block loudness values."""
    above = block_lufs[block_lufs > ABSOLUTE_GATE_LUFS]
    if above.size == 0:
        return None
    mean_power = np.mean(10.0 ** ((above - LOUDNESS_OFFSET) / 10.0))
    relative_gate = LOUDNESS_OFFSET + 10.0 * math.log10(mean_power) + RELATIVE_GATE_LU
    kept = above[above > relative_gate]
    if kept.size == 0:
        return None
    return power_to_lufs(float(np.mean(10.0 ** ((kept - LOUDNESS_OFFSET) / 10.0))))


def _loudness_range(short_term_lufs: np.ndarray) -> float | None:
    """EBU Tech 3342 loudness range of short-term loudness values (LU)."""
    above = short_term_lufs[short_term_lufs > ABSOLUTE_GATE_LUFS]
    if above.size == 0:
        return None
    mean_power = np.mean(10.0 ** (above / 10.0))
    kept = above[above > 10.0 * math.log10(mean_power) + LRA_RELATIVE_GATE_LU]
    if kept.size == 0:
        return None
    low, high = np.percentile(kept, [LRA_LOW_PERCENTILE, LRA_HIGH_PERCENTILE])
    return float(high - low)


def momentary_loudness(*, y: np.ndarray, sr: float) -> np.ndarray:
    """Momentary loudness (400 ms blocks, 100 ms hop). np.ndarray [shape=(n_blocks,)], LUFS, -inf = silent."""
    return _block_loudness(sub_block_powers(y=y, sr=sr), sub_per_block=4, hop=_hop_samples(sr))


def short_term_loudness(*, y: np.ndarray | None = None, sr: float, sub_energy: np.ndarray | None = None) -> np.ndarray:
    """Short-term loudness (3 s blocks, 100 ms hop). np.ndarray [shape=(n_blocks,)], LUFS, -inf = silent.

    ``sub_energy``: :func:`sub_block_powers` of ``y`` when the caller has it (no second K-weighting;
    ``y`` is not needed then)."""
    if sub_energy is None:
        if y is None:
            raise ValueError("short_term_loudness needs y or its sub_energy")
        sub_energy = sub_block_powers(y=y, sr=sr)
    return _block_loudness(sub_energy, sub_per_block=30, hop=_hop_samples(sr))


def inaudible(duration_s: float, integrated_lufs: float | None) -> bool:
    """Whether audio of ``duration_s`` whose integrated loudness is ``integrated_lufs`` holds nothing to hear:
    long enough for one 400 ms block, and no block reaches the -70 LUFS absolute gate (silence, DC alone, noise
    far under hearing). Shorter audio cannot be told so: False."""
    return duration_s >= MOMENTARY_S and integrated_lufs is None


def integrated_loudness(*, y: np.ndarray, sr: float) -> float | None:
    """BS.1770-4 gated integrated loudness in LUFS; None if shorter than 400 ms or silent."""
    return _gated_integrated(momentary_loudness(y=y, sr=sr))


def loudness_range(*, y: np.ndarray, sr: float) -> float | None:
    """EBU Tech 3342 loudness range (LU); None if shorter than 3 s or silent."""
    return _loudness_range(short_term_loudness(y=y, sr=sr))


BS1770_PHASES = (
    (0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
     0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500),
    (-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
     0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375),
    (-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
     0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875),
    (-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
     0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750),
)  # fmt: skip
"""The four phases of ITU-R BS.1770-4 Annex 2's 48-tap 4x interpolator (each applied as ``y[n] = sum_k
h[k] x[n - k]``). A meter that reads the standard's filter reads what other BS.1770 meters read: the
Kaiser-windowed sinc used before read 0.17-0.4 dB under it on rendered masters (QA, session 29)."""


@lru_cache(maxsize=8)
def _interpolator(factor: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The true-peak interpolator for ``factor``x oversampling.

    Returns (taps, phases, bound): the full filter np.ndarray [shape=(2 * half * factor,)] for
    ``upfirdn``; its phases as a matrix np.ndarray [shape=(2 * half, phases), dtype=float32] where
    column p gives the value of an interpolated position from ``x[i - half + 1 : i + half + 1]``; and
    the largest absolute tap sum of a phase (the gain bound used to skip stretches). At 4x (rates under
    96 kHz) the filter is BS.1770-4 Annex 2's, whose four phases all lie between the samples; at 2x
    (96-192 kHz) a Kaiser-windowed sinc cut at the original Nyquist frequency, whose phase 0 is the
    identity and so left out. The true peak also counts the samples themselves (:func:`true_peak_search`).
    """
    half = _TP_HALF_TAPS
    if factor == 4:
        phases = np.array(BS1770_PHASES, dtype=np.float64).T[::-1]  # row j multiplies x[i - half + 1 + j]
        taps = np.array(BS1770_PHASES, dtype=np.float64).T.reshape(-1)  # taps[4k + p] = phase p's k-th
    else:
        taps = scipy.signal.firwin(2 * half * factor + 1, 1.0 / factor, window=("kaiser", 5.0)) * factor
        centre = half * factor
        rows = np.arange(2 * half)
        phases = np.stack([taps[centre + factor * (half - 1 - rows) + p] for p in range(1, factor)], axis=1)
    phases = np.ascontiguousarray(phases, dtype=np.float32)
    bound = float(np.abs(phases).sum(axis=0).max()) if factor > 1 else 1.0
    return taps, phases, max(bound, 1.0)


def true_peak_factor(sr: float) -> int:
    """Oversampling factor for true-peak measurement at ``sr`` (BS.1770-4 Annex 2)."""
    return 4 if sr < 96000 else 2 if sr < 192000 else 1


_TP_CHUNK = 2048
"""Samples interpolated per pass of the true-peak kernel (its buffers stay in the L1/L2 cache)."""


@numba.njit(cache=True, fastmath=True, nogil=True)
def _interpolated_max_kernel(x: np.ndarray, start: int, stop: int, phases: np.ndarray) -> float:
    """Largest |value| at the fractional phases between samples ``start`` and ``stop`` of ``x``.

    Works chunk by chunk over a zero-padded copy of the chunk's neighbourhood. Each phase's 12 taps
    are held in locals and each position's sum is written out whole, and the running maxima are kept
    per position: the compiler then keeps the sums in registers (2.5x faster than accumulating tap by
    tap over the chunk, session 30). The unrolled sum needs ``phases.shape[0] == 2 * _TP_HALF_TAPS == 12``.
    """
    taps = phases.shape[0]
    n_phases = phases.shape[1]
    n = x.shape[0]
    lead = taps // 2 - 1
    seg = np.zeros(_TP_CHUNK + taps, dtype=np.float32)
    sums = np.zeros(_TP_CHUNK, dtype=np.float32)
    top = np.zeros(_TP_CHUNK, dtype=np.float32)
    for first in range(start, stop, _TP_CHUNK):
        length = min(_TP_CHUNK, stop - first)
        # seg[k] = x[first - lead + k] (zero outside the signal), k < length + taps.
        for k in range(length + taps):
            i = first - lead + k
            seg[k] = x[i] if 0 <= i < n else np.float32(0.0)
        for p in range(n_phases):
            h0, h1, h2, h3 = phases[0, p], phases[1, p], phases[2, p], phases[3, p]
            h4, h5, h6, h7 = phases[4, p], phases[5, p], phases[6, p], phases[7, p]
            h8, h9, h10, h11 = phases[8, p], phases[9, p], phases[10, p], phases[11, p]
            for i in range(length):
                sums[i] = abs(
                    h0 * seg[i]
                    + h1 * seg[i + 1]
                    + h2 * seg[i + 2]
                    + h3 * seg[i + 3]
                    + h4 * seg[i + 4]
                    + h5 * seg[i + 5]
                    + h6 * seg[i + 6]
                    + h7 * seg[i + 7]
                    + h8 * seg[i + 8]
                    + h9 * seg[i + 9]
                    + h10 * seg[i + 10]
                    + h11 * seg[i + 11]
                )
            for i in range(length):
                top[i] = max(top[i], sums[i])
    best = np.float32(0.0)
    for i in range(_TP_CHUNK):
        if top[i] > best:
            best = top[i]
    return float(best)  # exact: float32 widened (numba hands a Python float back either way)


def _block_stats_carry(y: np.ndarray, block: int, energy: np.ndarray) -> np.ndarray:
    """:func:`_block_stats_from` over the whole of ``y``."""
    result: np.ndarray = _block_stats_from(y, 0, y.shape[1], block, energy)
    return result


@numba.njit(cache=True, fastmath=True, nogil=True)
def _block_stats_from(y: np.ndarray, start: int, stop: int, block: int, energy: np.ndarray) -> np.ndarray:
    """Per channel: the largest |sample| of each ``block``-sample stretch of samples ``start`` to ``stop``
    of ``y`` (returned; the last stretch may be shorter), and the sum of squares added to ``energy``
    [shape=(channels,), float64] in place, in order: a signal read in pieces (a stem file, a meter's
    blocks) sums exactly as in one piece.

    Branch-free reductions (fastmath lets them run on SIMD lanes); the energy is summed in float64
    per stretch.
    """
    channels = y.shape[0]
    n_blocks = (stop - start + block - 1) // block
    maxima = np.zeros((channels, n_blocks), dtype=np.float32)
    for c in range(channels):
        total = energy[c]
        for b in range(n_blocks):
            top = np.float32(0.0)
            part = 0.0
            for i in range(start + b * block, min(stop, start + (b + 1) * block)):
                v = y[c, i]
                top = max(top, abs(v))
                part += float(v) * float(v)
            maxima[c, b] = top
            total += part
        energy[c] = total
    return maxima


def _block_stats_kernel(y: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel: the largest |sample| of each ``block``-sample stretch, and the sum of squares."""
    energy = np.zeros(y.shape[0])
    return _block_stats_carry(y, block, energy), energy


def _as_float32(y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y, dtype=np.float32)


def block_stats(*, y: np.ndarray, sr: float) -> tuple[np.ndarray, np.ndarray]:
    """(block maxima np.ndarray [shape=(channels, n_blocks)], energy np.ndarray [shape=(channels,)]).

    Block maxima of |y| over stretches of the true-peak search's block length, and each
    channel's sum of squares; one pass shared by the sample peak, the RMS and the true peak.
    """
    y = _as_2d(y, sr)
    return _block_stats_kernel(_as_float32(y), _TP_BLOCK)


def true_peak(*, y: np.ndarray, sr: float, block_max: np.ndarray | None = None) -> float:
    """Largest absolute value of the oversampled signal (linear, >= the sample peak).

    ``block_max``: the first output of :func:`block_stats` for ``y`` when the caller has it.
    """
    y = _as_2d(y, sr)
    if y.shape[1] == 0:
        return 0.0
    samples = _as_float32(y)
    if block_max is None:
        block_max, _ = block_stats(y=samples, sr=sr)

    def stretch_max(channel: int, start: int, stop: int, phases: np.ndarray) -> float:
        return float(_interpolated_max_kernel(samples[channel], start, stop, phases))

    return true_peak_search(block_max=block_max, n=y.shape[1], sr=sr, stretch_max=stretch_max)


def interpolator_reach(start: int, stop: int) -> tuple[int, int]:
    """The samples the true-peak interpolator reads for the positions from ``start`` to ``stop``
    (a range that may reach outside the signal: zeros are read there)."""
    taps = 2 * _TP_HALF_TAPS  # the kernel's ``phases.shape[0]``
    lead = taps // 2 - 1
    return start - lead, stop - lead + taps


def true_peak_search(
    *, block_max: np.ndarray, n: int, sr: float, stretch_max: Callable[[int, int, int, np.ndarray], float]
) -> float:
    """:func:`true_peak` from the signal's :func:`block_stats` maxima and ``stretch_max(channel,
    start, stop, phases)``: the largest interpolated |value| between samples ``start`` and ``stop``
    of a channel (:func:`_interpolated_max_kernel`; a signal read in pieces answers it from a read
    of :func:`interpolator_reach`)."""
    absmax = float(block_max.max())
    factor = true_peak_factor(sr)
    if factor == 1 or absmax == 0.0:
        return absmax
    _, phases, bound_gain = _interpolator(factor)
    n_blocks = block_max.shape[1]
    # The interpolator reaches _TP_HALF_TAPS samples into the neighbouring blocks.
    neighbourhood = block_max.copy()
    neighbourhood[:, 1:] = np.maximum(neighbourhood[:, 1:], block_max[:, :-1])
    neighbourhood[:, :-1] = np.maximum(neighbourhood[:, :-1], block_max[:, 1:])
    bounds = neighbourhood * bound_gain
    best = absmax
    order = np.argsort(bounds, axis=None)[::-1]
    # The few most promising stretches first: they lift ``best`` close to the answer...
    for flat in order[:_TP_FIRST]:
        if bounds.flat[flat] <= best:
            return best
        channel, block = divmod(int(flat), n_blocks)
        start = block * _TP_BLOCK
        best = max(best, stretch_max(channel, start, min(start + _TP_BLOCK, n), phases))
    # ...then every stretch that can still beat it, in runs of neighbouring stretches.
    for channel in range(block_max.shape[0]):
        candidates = np.flatnonzero(bounds[channel] > best)
        if candidates.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(candidates) > 1)
        for run in np.split(candidates, breaks + 1):
            start, stop = int(run[0]) * _TP_BLOCK, min((int(run[-1]) + 1) * _TP_BLOCK, n)
            best = max(best, stretch_max(channel, start, stop, phases))
    return best


def true_peak_dbtp(*, y: np.ndarray, sr: float) -> float | None:
    """True peak in dBTP (BS.1770-4 Annex 2); None for an all-zero signal."""
    return amplitude_to_db(true_peak(y=y, sr=sr))


def sample_peak_dbfs(*, y: np.ndarray, sr: float) -> float | None:
    """Largest absolute sample in dBFS; None for an all-zero signal."""
    y = _as_2d(y, sr)
    return amplitude_to_db(float(np.max(np.abs(y)))) if y.size else None


def rms(*, y: np.ndarray, sr: float) -> float:
    """Root mean square over all channels and samples (linear)."""
    y = _as_2d(y, sr)
    if y.size == 0:
        return 0.0
    total = sum(float(np.dot(channel, channel)) for channel in y)
    return math.sqrt(total / y.size)


def rms_dbfs(*, y: np.ndarray, sr: float) -> float | None:
    """RMS in dBFS (a full-scale sine reads -3.01); None for an all-zero signal."""
    return amplitude_to_db(rms(y=y, sr=sr))


def crest_factor_db(*, y: np.ndarray, sr: float) -> float | None:
    """Sample peak over RMS in dB (a sine: 3.01 dB); None for an all-zero signal."""
    peak = sample_peak_dbfs(y=y, sr=sr)
    level = rms_dbfs(y=y, sr=sr)
    return None if peak is None or level is None else peak - level


def measure_loudness(
    *,
    y: np.ndarray,
    sr: float,
    sub_energy: np.ndarray | None = None,
    stats: tuple[np.ndarray, np.ndarray] | None = None,
) -> LoudnessStats:
    """Every measure of :class:`LoudnessStats` from one K-weighting pass and one peak/energy pass.

    ``sub_energy`` and ``stats``: the outputs of :func:`sub_block_powers` and :func:`block_stats`
    for ``y`` when the caller has them already.
    """
    y = _as_2d(y, sr)
    if sub_energy is None:
        sub_energy = sub_block_powers(y=y, sr=sr)
    block_max, energy = block_stats(y=y, sr=sr) if stats is None else stats
    peak_linear = true_peak(y=y, sr=sr, block_max=block_max) if y.size else 0.0
    return loudness_stats(
        sub_energy=sub_energy, stats=(block_max, energy), size=y.size, true_peak_linear=peak_linear, sr=sr
    )


def loudness_stats(
    *, sub_energy: np.ndarray, stats: tuple[np.ndarray, np.ndarray], size: int, true_peak_linear: float, sr: float
) -> LoudnessStats:
    """:func:`measure_loudness` from its passes' outputs: :func:`sub_block_powers`, :func:`block_stats`,
    the samples counted over all channels and the linear :func:`true_peak` (for a signal measured in
    pieces)."""
    hop = _hop_samples(sr)
    momentary = _block_loudness(sub_energy, sub_per_block=4, hop=hop)
    short_term = _block_loudness(sub_energy, sub_per_block=30, hop=hop)
    block_max, energy = stats
    peak = amplitude_to_db(float(block_max.max())) if block_max.size else None
    level = amplitude_to_db(math.sqrt(float(energy.sum()) / size)) if size else None

    def finite_max(values: np.ndarray) -> float | None:
        return float(values.max()) if values.size and np.isfinite(values.max()) else None

    return LoudnessStats(
        integrated_lufs=_gated_integrated(momentary),
        momentary_max_lufs=finite_max(momentary),
        short_term_max_lufs=finite_max(short_term),
        loudness_range_lu=_loudness_range(short_term),
        true_peak_dbtp=amplitude_to_db(true_peak_linear) if size else None,
        sample_peak_dbfs=peak,
        rms_dbfs=level,
        crest_factor_db=None if peak is None or level is None else peak - level,
    )
