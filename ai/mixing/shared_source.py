"""Tracks that share a source: two microphones on one source in opposite polarity or a few ms apart
(a comb filter), the same audio uploaded twice, and a bounce of the mix uploaded among its stems.

Every track is reduced once (:func:`reduce_track`): its mid signal low-passed at
:data:`LOW_BAND_HZ` and decimated by :data:`DECIMATION` (2756 Hz at 44.1 kHz: a 3-minute stem is
half a million samples), and which of its 50 ms blocks play. On those:

* polarity (:func:`shared_pairs`, :func:`polarity_of`): the normalised cross-correlation of each pair of tracks over
  lags of +-:data:`MAX_LAG_MS`, where both play. Two microphones on one source (Kick In and Kick
  Out, Snare Top and Bottom) correlate strongly at the lag of their path difference; a negative
  peak of at least :data:`POLARITY_CORRELATION` that outweighs the positive one by
  :data:`POLARITY_DOMINANCE` (a tonal part's correlation swings between + and - every half period:
  the sign of the larger swing is the answer) is a pair in opposite polarity. The track to flip is
  the quieter of the two in the shared band (the second microphone; a tie: the later track).
* comb filter (:func:`comb_of`, from the same correlation): a positive peak of at least
  :data:`COMB_CORRELATION` that outweighs the negative one by :data:`COMB_DOMINANCE`, at a lag of
  :data:`COMB_MIN_LAG_MS` or more, is one source picked up twice in the same polarity with a path
  difference: summed, the pair notches at odd multiples of 1 / (2 lag) (2 ms: 250, 750, 1250 Hz ...).
  Under COMB_MIN_LAG_MS the first notch lies above 2 kHz, outside the band the reduced signals
  see, and the lag is within a sample of them. The earlier track is the one to delay. How much the
  sum loses is measured, not modelled: the cross-spectrum of the pair in octaves of the shared band
  gives each octave's energy summed as it is and summed aligned, at any pair of gains
  (:meth:`CombPair.loss_db`; suggest() asks at the balanced levels).
* duplicates (:func:`left_out_tracks`): a track whose lag-0 correlation with an earlier one is
  above :data:`DUPLICATE_CORRELATION` (any positive gain), checked again at the full rate on the
  loudest second of each of a few stretches, is the same audio and is left out.
* bounces: a track that a mix of at least two other tracks at positive gains reproduces (the
  non-negative least-squares fit correlates :data:`BOUNCE_CORRELATION` or more with it; a name such
  as "Mix", "Master", "Bounce", "Stereo Out" lowers that to :data:`BOUNCE_HINTED_CORRELATION`) is
  left out. A stem is never the positive mix of the others plus a bounce: with a bounce among the
  stems, every stem is the bounce minus the rest, which needs negative gains.

The thresholds come from bench/shared_source.py (bench/README.md, Session 29): clean rendered sessions
(data/mixing_nochorus, mixing_fresh13_fluid, mixing_csound_nochorus) against pairs built from their
stems (a copy delayed 0-5 ms, at 0.3-1 x, with a little EQ and another stem's bleed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numba
import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.signal

from ai import pools
from ai.audio.stem_file import Frames, frame_blocks, frame_count, read_frames
from ai.mixing.findings import Suggestion

T = TypeVar("T")
R = TypeVar("R")

DECIMATION = 16
"""The reduced signal's rate is the track's over this (a box of 4, the low-pass, every 4th sample)."""
LOW_BAND_HZ = 900.0
"""The reduced signal's low-pass (6th-order Butterworth): the band two microphones on one source share."""
BLOCK_S = 0.05
"""Blocks in which a track plays or not."""
ACTIVE_DB = -40.0
"""A block plays when its energy is within this of the track's 95th-percentile block."""
MAX_LAG_MS = 10.0
"""Lags searched between two tracks (3.4 m of path difference)."""
MIN_OVERLAP_S = 1.0
"""Pairs that play together for less than this are not compared."""
POLARITY_CORRELATION = 0.3
"""A negative correlation peak at least this strong (where both play) ..."""
POLARITY_DOMINANCE = 1.1
"""... and this many times the strongest positive one within the lags is a pair in opposite polarity."""
ALIGN_MS = 0.5
"""A pair this far apart or more is also aligned (the flipped track moved by the lag)."""
COMB_CORRELATION = 0.5
"""A positive correlation peak at least this strong (where both play) ... (clean pairs of different instruments
peak at 0.37 at most, 0.19 at the 99th percentile: bench/shared_source.py --stats, bench/README.md)"""
COMB_DOMINANCE = 1.05
"""... and this many times the strongest negative one within the lags (a kick's or a bass's low band swings to
-0.85 half a period away from its +1 peak, and two mics of a 60 Hz kick 6-8 ms apart peak at 0.95 against
-0.9 there: the sign of the larger swing is the answer, as for polarity) ..."""
COMB_MIN_LAG_MS = 0.25
"""... at this lag or more is one source picked up twice in the same polarity: a comb filter. Under it the first
notch lies above 2 kHz and the rest above 6 kHz, outside the band the reduced signals see (they cannot say how
much it costs), and the lag is under one of their samples (0.36 ms at 44.1 kHz); pairs 0.3 ms apart are found."""
COMB_BANDS_HZ = (40.0, 80.0, 160.0, 320.0, 640.0, LOW_BAND_HZ)
"""Octaves of the shared band a comb's loss is measured in (the last one is cut at LOW_BAND_HZ)."""
COMB_BAND_FLOOR_DB = -20.0
"""An octave this far under the pair's strongest one (aligned) is not where the pair plays: its loss is not counted."""
COMB_MEDIUM_DB = 2.0
"""A comb whose worst octave loses this much at the balanced levels is a medium finding (a change an EQ move of
the tonal findings' size would be asked for) ..."""
COMB_HIGH_DB = 6.0
"""... and this much a high one (three quarters of the octave's power gone, as a high mono loss of a track's own
channels); under COMB_MEDIUM_DB it is low, with the move still given."""
DUPLICATE_CORRELATION = 0.99
"""Two tracks correlating more than this (lag 0, the reduced signals and the full-rate checks) are one audio."""
BOUNCE_CORRELATION = 0.95
"""A track that a positive mix of others reproduces this well is a bounce of them."""
BOUNCE_HINTED_CORRELATION = 0.9
"""The same, for a track whose name says mix or master."""
BOUNCE_PART_SHARE = 0.05
"""A track is part of a bounce when it carries this share of the fitted mix's energy; a bounce has two or more."""
BOUNCE_QUIET_SHARE = 0.001
"""A track carrying this share of a bounce's fitted energy, under BOUNCE_PART_SHARE, is named as a quieter part of it."""
BOUNCE_NAME = re.compile(r"\b(mix|master|bounce|stereo ?out|2[- ]?mix|mixdown|print)\b", re.IGNORECASE)
"""Names that hint at a bounce ("Mix", "Master", "2-Mix", "Stereo Out"); a hint, never proof."""
CHECK_STRETCHES = 4
"""Full-rate stretches (the loudest second of each quarter of the track) a duplicate is checked on."""


@dataclass(frozen=True)
class Reduced:
    """A track reduced for the cross-track checks.

    Attributes:
        signal: np.ndarray [shape=(n,), dtype=float64]: the mid signal, low-passed and decimated.
        rate: its sample rate (Hz).
        active: np.ndarray [shape=(blocks,), dtype=bool]: which BLOCK_S blocks play.
        block: samples of ``signal`` per block.
    """

    signal: np.ndarray
    rate: float
    active: np.ndarray
    block: int


@dataclass(frozen=True)
class PolarityPair:
    """Two tracks in opposite polarity: ``flipped`` is the one to flip, ``lag_ms`` how much later it
    plays than ``kept`` (negative: earlier), ``correlation`` the (negative) peak, ``summed_db`` what
    the pair's shared band loses summed as they are, against the louder of the two alone."""

    kept: str
    flipped: str
    correlation: float
    lag_ms: float
    summed_db: float

    @property
    def shift_ms(self) -> float:
        """How far the render moves the flipped track (negative: earlier) to line it up; 0 under ALIGN_MS."""
        return -self.lag_ms if abs(self.lag_ms) >= ALIGN_MS else 0.0


@dataclass(frozen=True)
class CombLoss:
    """What a comb pair's sum loses at given gains: ``band_db`` the whole shared band summed as it is
    against aligned (> 0: weaker as it is), ``worst_db`` the same in its worst octave ``worst_hz``
    (low, high), ``notch_db`` how deep the comb's notches are against its peaks at these levels
    (the ideal comb of two copies at the pair's energy ratio in the shared band)."""

    band_db: float
    worst_db: float
    worst_hz: tuple[float, float]
    notch_db: float


@dataclass(frozen=True)
class CombPair:
    """Two tracks on one source in the same polarity, ``lag_ms`` apart: ``late`` plays ``lag_ms`` after
    ``early`` (the one to delay), ``correlation`` the (positive) peak, ``sample_rate`` the session's.

    ``spectra``: np.ndarray [shape=(4, bins), dtype=complex128]: the frequencies (Hz, the reduced signals'
    bins), the early track's power, the late track's, and their cross-spectrum (conj(early) late), summed
    over the segments where both play: what the pair's sum gives at any gains and any shift."""

    early: str
    late: str
    correlation: float
    lag_ms: float
    sample_rate: int
    spectra: np.ndarray = field(compare=False, repr=False)

    @property
    def bands(self) -> np.ndarray:
        """np.ndarray [shape=(octaves, 6)]: per octave of the shared band (COMB_BANDS_HZ), its edges, the
        early track's energy, the late track's, and their cross term as they sit and aligned (the real part
        of the cross-spectrum, without and with the lag taken out of the late track)."""
        freqs = self.spectra[0].real
        cross = self.spectra[3]
        aligned = cross * np.exp(2j * np.pi * freqs * self.lag_ms / 1000)
        rows = []
        for low, high in zip(COMB_BANDS_HZ[:-1], COMB_BANDS_HZ[1:], strict=True):
            inside = (freqs >= low) & (freqs < high)
            powers = [float(self.spectra[k, inside].real.sum()) for k in (1, 2)]
            rows.append([low, high, *powers, float(cross[inside].real.sum()), float(aligned[inside].real.sum())])
        return np.asarray(rows, dtype=np.float64)

    @property
    def lag_samples(self) -> int:
        """The lag in samples at the session's rate: how far the render moves ``early``."""
        return int(round(self.lag_ms * self.sample_rate / 1000))

    @property
    def first_notch_hz(self) -> float:
        """The comb's first notch: half a period of it is the lag (then every 2x this, at its odd multiples)."""
        return 1000.0 / (2.0 * self.lag_ms)

    def swapped(self) -> CombPair:
        """The pair the other way round (a negative lag made positive)."""
        f, early, late, cross = self.spectra
        spectra = np.stack([f, late, early, np.conj(cross)])
        return CombPair(self.late, self.early, self.correlation, -self.lag_ms, self.sample_rate, spectra)

    def loss_db(self, early_gain_db: float = 0.0, late_gain_db: float = 0.0) -> CombLoss:
        """What the pair's sum loses against the pair aligned, with the two tracks at these gains."""
        g = 10 ** ((late_gain_db - early_gain_db) / 20)
        bands = self.bands
        _, _, ee, ll, as_is, aligned = bands.T
        summed = ee + g * g * ll + 2 * g * as_is
        lined_up = ee + g * g * ll + 2 * g * aligned
        counted = lined_up >= lined_up.max() * 10 ** (COMB_BAND_FLOOR_DB / 10)
        losses = 10 * np.log10(np.maximum(lined_up, 1e-30) / np.maximum(summed, 1e-30 + 1e-6 * lined_up))
        worst = int(np.argmax(np.where(counted, losses, -np.inf)))
        band = 10 * math.log10(max(float(lined_up.sum()), 1e-30) / max(float(summed.sum()), 1e-30))
        amplitude = g * math.sqrt(float(ll.sum()) / max(float(ee.sum()), 1e-30))
        notch = 20 * math.log10(max(abs(1 - amplitude), 0.01) / (1 + amplitude))
        return CombLoss(band, float(losses[worst]), (float(bands[worst, 0]), float(bands[worst, 1])), notch)


@dataclass(frozen=True)
class LeftOut:
    """A track left out of the balance and the render: ``kind`` "duplicate" (the same audio as
    ``of[0]``) or "bounce" (a mix of ``of``); ``correlation`` the evidence."""

    name: str
    kind: str
    of: tuple[str, ...]
    correlation: float
    quieter: tuple[str, ...] = ()
    """A bounce's other tracks, each under BOUNCE_PART_SHARE of it: a mix bus beside its 7 stems was "a bounce of
    Bass and Piano", its five quieter stems unnamed (QA pass 5b)."""

    @property
    def parts(self) -> str:
        """What a bounce is a mix of, as an answer says it."""
        if not self.quieter:
            return _names(self.of)
        return f"mostly {_names(self.of)}, with {len(self.quieter)} more: {_names(self.quieter)}"

    @property
    def reason(self) -> str:
        if self.kind == "duplicate":
            return f"the same audio as {self.of[0]} (correlation {self.correlation:.3f})"
        return f"a mix of the other tracks (a bounce of {self.parts}; correlation {self.correlation:.2f})"


@dataclass(frozen=True)
class SharedSources:
    """What :func:`shared_sources` found."""

    polarity: list[PolarityPair] = field(default_factory=list)
    left_out: dict[str, LeftOut] = field(default_factory=dict)
    comb: list[CombPair] = field(default_factory=list)

    @property
    def inverted(self) -> dict[str, float]:
        """Track name -> shift (ms) for each track to flip."""
        return {p.flipped: p.shift_ms for p in self.polarity}

    def shifts(self, sr: int) -> dict[str, int]:
        """Track name -> frames the render moves it later (earlier when negative) to line it up with the
        other microphone on its source: a flipped track by its pair's shift, a comb pair's earlier track by
        the lag. A balance or a sum that stands for the render's mix sums the tracks so."""
        moved = {p.flipped: int(round(p.shift_ms * sr / 1000)) for p in self.polarity if p.shift_ms}
        moved.update({p.early: p.lag_samples for p in self.comb})
        return moved

    @property
    def pairs(self) -> set[frozenset[str]]:
        """The polarity and comb pairs (one source: their masking of each other is no finding)."""
        return {frozenset((p.kept, p.flipped)) for p in self.polarity} | {
            frozenset((p.early, p.late)) for p in self.comb
        }

    def findings(self, gains_db: Mapping[str, float] | None = None) -> list[Suggestion]:
        """The findings: a comb pair's loss at ``gains_db`` (track name -> gain; suggest() gives the
        balanced levels), or with the tracks as they are."""
        gains = gains_db or {}
        return [
            *(_left_out_finding(t) for t in self.left_out.values()),
            *map(_polarity_finding, self.polarity),
            *(
                _comb_finding(p, gains.get(p.early, 0.0), gains.get(p.late, 0.0), gains_db is not None)
                for p in self.comb
            ),
        ]


def _names(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]


# ------------------------------------------------------------------------------ reduction
@numba.njit(cache=True, nogil=True)
def _box4(left: np.ndarray, right: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """The mid signal summed in fours (a box filter and a decimation by 4)."""
    m = left.shape[0] // 4
    out = np.empty(m, dtype=np.float64)
    for i in range(m):
        j = 4 * i
        out[i] = 0.125 * (left[j] + left[j + 1] + left[j + 2] + left[j + 3] + right[j] + right[j + 1])
        out[i] += 0.125 * (right[j + 2] + right[j + 3])
    return out


def reduce_track(samples: Frames, sr: int) -> Reduced:
    """The track's mid signal below LOW_BAND_HZ at ``sr / DECIMATION`` Hz, and which blocks play.

    ``samples``: np.ndarray [shape=(2, n)] or a stereo stem file, read a block at a time (blocks of
    a multiple of DECIMATION frames, so the decimation runs on unbroken).
    """
    boxed_rate = sr / 4
    sos = scipy.signal.butter(6, min(LOW_BAND_HZ, 0.3 * sr / DECIMATION), fs=boxed_rate, output="sos")
    state = np.zeros((sos.shape[0], 2))
    parts = []
    for frames in frame_blocks(samples, 1 << 18):
        boxed = _box4(np.ascontiguousarray(frames[0]), np.ascontiguousarray(frames[1]))
        if boxed.size == 0:  # a last block (or a stem) of 1-3 frames: sosfilt refuses an empty signal (a 500)
            continue
        filtered, state = scipy.signal.sosfilt(sos, boxed, zi=state)
        parts.append(filtered[::4])
    signal = np.concatenate(parts) if parts else np.zeros(0)
    rate = sr / DECIMATION
    block = max(1, int(round(BLOCK_S * rate)))
    blocks = len(signal) // block
    energy = np.square(signal[: blocks * block]).reshape(blocks, block).sum(axis=1)
    top = float(np.percentile(energy, 95)) if blocks else 0.0
    active = (energy > top * 10 ** (ACTIVE_DB / 10)) & (energy > block * 1e-10) if top > 0 else np.zeros(blocks, bool)
    return Reduced(signal, rate, active, block)


# ------------------------------------------------------------------------------- polarity
def correlation_over_lags(x: Reduced, y: Reduced, max_lag_ms: float = MAX_LAG_MS) -> tuple[np.ndarray, float] | None:
    """The normalised cross-correlation r(l) = sum x[n] y[n + l] / sqrt(sum x^2 sum y^2) over
    |l| <= max_lag_ms, where both play: (np.ndarray [shape=(2 L + 1,)], lags at index - L), and the
    energy ratio sum y^2 / sum x^2 there; None when they play together for under MIN_OVERLAP_S."""
    blocks = min(len(x.active), len(y.active))
    both = x.active[:blocks] & y.active[:blocks]
    if both.sum() * x.block < MIN_OVERLAP_S * x.rate:
        return None
    r, ea, eb = _pair_sums(x.signal, y.signal, both, x.block, int(round(max_lag_ms * x.rate / 1000)))
    if ea <= 0 or eb <= 0:
        return None
    return r / math.sqrt(ea * eb), eb / ea


@numba.njit(cache=True, nogil=True, fastmath=True)
def _pair_sums(
    x: np.ndarray, y: np.ndarray, both: np.ndarray, block: int, lags: int
) -> tuple[np.ndarray, float, float]:  # pragma: no cover (compiled)
    """(sum_i x[i] y[i + l] for l in -lags..lags, sum x^2, sum y^2) over the blocks where ``both``
    play (y counts only there too): one pass per run of such blocks and lag, no BLAS call per lag
    (whose threads cost more than the sums on a busy machine)."""
    n = min(x.shape[0], y.shape[0], both.shape[0] * block)
    masked = np.zeros(n)
    ea = 0.0
    eb = 0.0
    for b in range(both.shape[0]):
        if both[b]:
            for i in range(b * block, min((b + 1) * block, n)):
                masked[i] = y[i]
                ea += x[i] * x[i]
                eb += y[i] * y[i]
    out = np.zeros(2 * lags + 1)
    b = 0
    while b < both.shape[0]:
        if not both[b]:
            b += 1
            continue
        first = b
        while b < both.shape[0] and both[b]:
            b += 1
        lo, hi = first * block, min(b * block, n)
        for k in range(2 * lags + 1):
            lag = k - lags
            total = 0.0
            for i in range(max(lo, -lag), min(hi, n - lag)):
                total += x[i] * masked[i + lag]
            out[k] += total
    return out, ea, eb


def _peak_lag(r: np.ndarray, k: int) -> float:
    """The peak's position at index ``k``, refined by a parabola through its neighbours."""
    if 0 < k < len(r) - 1:
        denom = r[k - 1] - 2 * r[k] + r[k + 1]
        if denom != 0:
            return k + float(np.clip(0.5 * (r[k - 1] - r[k + 1]) / denom, -0.5, 0.5))
    return float(k)


def polarity_of(
    names: tuple[str, str], x: Reduced, y: Reduced, found: tuple[np.ndarray, float] | None = None
) -> PolarityPair | None:
    """The two tracks as a pair in opposite polarity, or None (see the module docstring). ``found``:
    their :func:`correlation_over_lags`, when it is already at hand."""
    found = correlation_over_lags(x, y) if found is None else found
    if found is None:
        return None
    r, ratio = found
    k = int(np.argmin(r))
    low, high = float(r[k]), float(max(r.max(), 0.0))
    if low > -POLARITY_CORRELATION or -low < POLARITY_DOMINANCE * high:
        return None
    centre = (len(r) - 1) // 2
    lag_ms = (_peak_lag(r, k) - centre) / x.rate * 1000
    zero = float(r[centre])
    # The pair's shared band summed at lag 0, against the louder alone (energies 1 and ratio).
    summed = max(1.0 + ratio + 2 * zero * math.sqrt(ratio), 1e-6) / max(1.0, ratio)
    first, second = names
    if ratio > 1.0:  # the first is the quieter: it is the one to flip, and its lag is the other way round
        return PolarityPair(second, first, low, -lag_ms, 10 * math.log10(summed))
    return PolarityPair(first, second, low, lag_ms, 10 * math.log10(summed))


def comb_of(
    names: tuple[str, str], x: Reduced, y: Reduced, sr: int, found: tuple[np.ndarray, float] | None = None
) -> CombPair | None:
    """The two tracks as one source picked up twice in the same polarity at least COMB_MIN_LAG_MS
    apart, or None (see the module docstring); ``sr``: the session's rate (the lag in samples)."""
    found = correlation_over_lags(x, y) if found is None else found
    if found is None:
        return None
    r = found[0]
    k = int(np.argmax(r))
    high, low = float(r[k]), float(max(-r.min(), 0.0))
    if high < COMB_CORRELATION or high < COMB_DOMINANCE * low:
        return None
    lag_ms = (_peak_lag(r, k) - (len(r) - 1) // 2) / x.rate * 1000
    if abs(lag_ms) < COMB_MIN_LAG_MS:
        return None
    pair = CombPair(names[0], names[1], high, lag_ms, sr, _comb_spectra(x, y))
    return pair.swapped() if lag_ms < 0 else pair  # the second plays first: it is the one to delay


COMB_SEGMENT = 256
"""Samples of the reduced signal per segment of the comb's cross-spectrum (about 11 Hz resolution at 44.1 kHz)."""


def _comb_spectra(x: Reduced, y: Reduced) -> np.ndarray:
    """CombPair.spectra of ``x`` (early) and ``y`` (late): Hann-windowed segments of COMB_SEGMENT samples,
    half overlapping, where both play (their signals zeroed elsewhere; the segments left all zero skipped)."""
    blocks = min(len(x.active), len(y.active))
    n = min(blocks * x.block, len(x.signal), len(y.signal))
    both = np.repeat(x.active[:blocks] & y.active[:blocks], x.block)[:n]
    segment = min(COMB_SEGMENT, n)
    hop = max(1, segment // 2)
    starts = np.arange(0, n - segment + 1, hop)
    starts = starts[both[starts] | both[starts + segment - 1]]
    window = scipy.signal.get_window("hann", segment)
    freqs = np.fft.rfftfreq(segment, 1 / x.rate)
    spectra = np.zeros((4, len(freqs)), dtype=np.complex128)
    spectra[0] = freqs
    for chunk in range(0, len(starts), 1024):  # a few MB at a time
        index = starts[chunk : chunk + 1024, None] + np.arange(segment)
        mask = both[index] * window
        xs, ys = np.fft.rfft(x.signal[index] * mask), np.fft.rfft(y.signal[index] * mask)
        spectra[1] += np.sum(np.abs(xs) ** 2, axis=0)
        spectra[2] += np.sum(np.abs(ys) ** 2, axis=0)
        spectra[3] += np.sum(np.conj(xs) * ys, axis=0)
    return spectra


def shared_pairs(
    names: Sequence[str], reduced: Sequence[Reduced], sr: int
) -> tuple[list[PolarityPair], list[CombPair]]:
    """Every pair of tracks in opposite polarity (a track is flipped once at most: the strongest pair),
    and every comb pair among the others (a track is moved once at most, and not one of a polarity pair:
    the render gives a track one polarity move)."""
    indices = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]

    def check(ij: tuple[int, int]) -> PolarityPair | CombPair | None:
        i, j = ij
        found = correlation_over_lags(reduced[i], reduced[j])
        pair = (names[i], names[j])
        return polarity_of(pair, reduced[i], reduced[j], found) or comb_of(pair, reduced[i], reduced[j], sr, found)

    checked = _map(check, indices)
    chosen: list[PolarityPair] = []
    flipped: set[str] = set()
    kept: set[str] = set()
    for pair in sorted((p for p in checked if isinstance(p, PolarityPair)), key=lambda p: p.correlation):
        if pair.flipped in flipped or pair.flipped in kept or pair.kept in flipped:
            continue
        chosen.append(pair)
        flipped.add(pair.flipped)
        kept.add(pair.kept)
    combs: list[CombPair] = []
    taken = flipped | kept
    moved: set[str] = set()
    anchors: set[str] = set()  # tracks another is lined up with: they stay where they are
    for comb in sorted((p for p in checked if isinstance(p, CombPair)), key=lambda p: -p.correlation):
        if {comb.early, comb.late} & taken or comb.early in moved | anchors or comb.late in moved:
            continue
        combs.append(comb)
        moved.add(comb.early)
        anchors.add(comb.late)
    return chosen, combs


# ---------------------------------------------------------------------- duplicates, bounces
def _full_rate_match(a: Frames, b: Frames, sr: int) -> float:
    """The lowest correlation of the two tracks' mid signals over the loudest second of each of
    CHECK_STRETCHES stretches of ``a`` (the full band, where the reduced signals see only the lows)."""
    n = min(frame_count(a), frame_count(b))
    lowest = 1.0
    for k in range(CHECK_STRETCHES):
        start, stop = n * k // CHECK_STRETCHES, n * (k + 1) // CHECK_STRETCHES
        part = read_frames(a, start, stop).mean(axis=0, dtype=np.float64)
        if len(part) < sr:
            continue
        step = sr // 10
        energy = np.square(part[: len(part) // step * step]).reshape(-1, step).sum(axis=1)
        at = start + min(int(np.argmax(energy)) * step, len(part) - sr)
        x = part[at - start : at - start + sr]
        y = read_frames(b, at, at + len(x)).mean(axis=0, dtype=np.float64)
        norm = math.sqrt(float(x @ x) * float(y @ y))
        if norm > 0:
            lowest = min(lowest, float(x @ y) / norm)
    return lowest


def _loud_seconds(x: Reduced, n: int, sr: int) -> list[int]:
    """The first frame (at ``sr``) of the loudest second of each of CHECK_STRETCHES stretches of a track's
    first ``n`` frames, from its reduced signal (the full-rate track is read there only)."""
    per_second = max(1, int(round(1.0 / BLOCK_S)))
    blocks = min(len(x.signal) // x.block, n // DECIMATION // x.block)
    energy = np.square(x.signal[: blocks * x.block]).reshape(blocks, x.block).sum(axis=1)
    starts = []
    for k in range(CHECK_STRETCHES):
        first, stop = blocks * k // CHECK_STRETCHES, blocks * (k + 1) // CHECK_STRETCHES
        if stop - first < per_second:
            continue
        window = np.convolve(energy[first:stop], np.ones(per_second), mode="valid")
        starts.append((first + int(np.argmax(window))) * x.block * DECIMATION)
    return starts


def full_rate_lag(early: Frames, late: Frames, sr: int, lag_ms: float, reduced: Reduced) -> float | None:
    """How much later ``late`` plays than ``early`` (ms), from ``lag_ms`` (the reduced signals' peak: within
    a reduced sample) to the full rate's precision: the peak of the cross-correlation of the mid signals
    within 2 DECIMATION samples of it, on the loudest second of each of CHECK_STRETCHES stretches of
    ``early`` (``reduced``: its reduced signal, which says where), refined by a parabola. Aligned to the
    reduced lag alone, a pair stayed up to 0.06 ms apart: a comb from 8 kHz up. (Searched over every lag,
    the full band of a few seconds of a tonal bass picked a peak a period away: the reduced signals over
    the whole track place it.) None when the two never play together there."""
    span = 2 * DECIMATION
    coarse = int(round(lag_ms * sr / 1000))
    n = min(frame_count(early), frame_count(late))
    total = np.zeros(2 * span + 1)
    for at in _loud_seconds(reduced, n, sr):
        lo = at + coarse - span
        if lo < 0 or lo + sr + 2 * span > n or at + sr > n:
            continue
        x = read_frames(early, at, at + sr).mean(axis=0, dtype=np.float64)
        y = read_frames(late, lo, lo + sr + 2 * span).mean(axis=0, dtype=np.float64)
        total += scipy.signal.correlate(y, x, mode="valid", method="fft")
    if total.max() <= 0:
        return None
    return (coarse - span + _peak_lag(total, int(np.argmax(total)))) / sr * 1000


def at_full_rate(comb: CombPair, early: Frames, late: Frames, reduced: Reduced) -> CombPair | None:
    """``comb`` with its lag from :func:`full_rate_lag` (``early``, ``late`` the two tracks at the session's
    rate, ``reduced`` the early one's reduced signal), or None when the pair is closer than COMB_MIN_LAG_MS
    there."""
    lag_ms = full_rate_lag(early, late, comb.sample_rate, comb.lag_ms, reduced)
    if lag_ms is None or abs(lag_ms) < COMB_MIN_LAG_MS:
        return None
    refined = replace(comb, lag_ms=lag_ms)
    return refined.swapped() if lag_ms < 0 else refined  # the full band says the other one plays first


def left_out_tracks(
    names: Sequence[str], reduced: Sequence[Reduced], samples: Sequence[Frames], sr: int
) -> dict[str, LeftOut]:
    """Duplicates of an earlier track, then bounces of the rest (see the module docstring)."""
    n = min((len(r.signal) for r in reduced), default=0)
    if len(names) < 2 or n == 0:
        return {}
    x = np.stack([r.signal[:n] for r in reduced])
    gram = x @ x.T
    energy = np.diag(gram).copy()
    out: dict[str, LeftOut] = {}
    for j in range(len(names)):
        for i in range(j):
            if names[i] in out or energy[i] <= 0 or energy[j] <= 0:
                continue
            r = gram[i, j] / math.sqrt(energy[i] * energy[j])
            if r > DUPLICATE_CORRELATION and _full_rate_match(samples[j], samples[i], sr) > DUPLICATE_CORRELATION:
                out[names[j]] = LeftOut(names[j], "duplicate", (names[i],), float(r))
                break
    for j in sorted(range(len(names)), key=lambda k: -energy[k]):
        others = [k for k in range(len(names)) if k != j and names[k] not in out and energy[k] > 0]
        if names[j] in out or len(others) < 2 or energy[j] <= 0:
            continue
        g = gram[np.ix_(others, others)]
        g = g + np.eye(len(others)) * 1e-9 * float(np.trace(g))
        lower = scipy.linalg.cholesky(g, lower=True)
        gains, _ = scipy.optimize.nnls(lower.T, scipy.linalg.solve_triangular(lower, gram[others, j], lower=True))
        fitted = float(gains @ gram[np.ix_(others, others)] @ gains)
        if fitted <= 0:
            continue
        r = float(gains @ gram[others, j]) / math.sqrt(fitted * energy[j])
        shares = gains**2 * energy[others] / float(np.sum(gains**2 * energy[others]))
        parts = [names[others[k]] for k in np.flatnonzero(shares >= BOUNCE_PART_SHARE)]
        quieter = [
            names[others[k]] for k in np.flatnonzero((shares >= BOUNCE_QUIET_SHARE) & (shares < BOUNCE_PART_SHARE))
        ]
        threshold = BOUNCE_HINTED_CORRELATION if BOUNCE_NAME.search(names[j]) else BOUNCE_CORRELATION
        if r >= threshold and len(parts) >= 2:
            out[names[j]] = LeftOut(names[j], "bounce", tuple(parts), r, tuple(quieter))
    return out


def shared_sources(names: Sequence[str], samples: Sequence[Frames], sr: int) -> SharedSources:
    """Polarity pairs, duplicates and bounces among the tracks (stereo arrays or stem files at ``sr``)."""
    if len(names) < 2:
        return SharedSources()
    reduced = _map(lambda s: reduce_track(s, sr), list(samples))
    left_out = left_out_tracks(names, reduced, samples, sr)
    kept = [k for k, name in enumerate(names) if name not in left_out]
    pairs, combs = shared_pairs([names[k] for k in kept], [reduced[k] for k in kept], sr)
    index = {name: k for k, name in enumerate(names)}
    refined = (at_full_rate(c, samples[index[c.early]], samples[index[c.late]], reduced[index[c.early]]) for c in combs)
    return SharedSources(pairs, left_out, [c for c in refined if c is not None])


def _map(function: Callable[[T], R], items: list[T]) -> list[R]:
    """``function`` over ``items`` on the shared per-track pool (ai.pools; the kernels release the GIL)."""
    if len(items) <= 1:
        return [function(item) for item in items]
    return list(pools.tracks().map(function, items))


# ------------------------------------------------------------------------------- findings
def _polarity_finding(p: PolarityPair) -> Suggestion:
    when = (
        f"{abs(p.lag_ms):.1f} ms {'after' if p.lag_ms > 0 else 'before'} {p.kept}"
        if abs(p.lag_ms) >= 0.05
        else f"in time with {p.kept}"
    )
    move = f"Flip the polarity of {p.flipped}"
    if p.shift_ms:
        move += f" and move it {abs(p.shift_ms):.1f} ms {'earlier' if p.shift_ms < 0 else 'later'} to line it up"
    return Suggestion(
        "phase",
        f"{p.kept} and {p.flipped} pick up one source in opposite polarity: {p.flipped} plays it {when}, "
        f"inverted (correlation {p.correlation:.2f} below 1 kHz where both play); summed as they are, that band "
        f"comes out {abs(p.summed_db):.1f} dB {'weaker' if p.summed_db < 0 else 'stronger'} than the louder one "
        "alone.",
        "high",
        p.flipped,
        f"{move}; the balance is set with it flipped.",
        float(min(0.95, 0.4 + 0.6 * -p.correlation)),
        {"pair": [p.kept, p.flipped], "correlation": p.correlation, "lag_ms": p.lag_ms, "summed_db": p.summed_db},
        {"kind": "polarity", "invert": True, "shift_ms": p.shift_ms},
        tracks=(p.kept, p.flipped),
    )


def _comb_finding(p: CombPair, early_gain_db: float, late_gain_db: float, balanced: bool) -> Suggestion:
    loss = p.loss_db(early_gain_db, late_gain_db)
    priority = "high" if loss.worst_db >= COMB_HIGH_DB else "medium" if loss.worst_db >= COMB_MEDIUM_DB else "low"
    levels = "at the balanced levels" if balanced else "as they are"
    low, high = loss.worst_hz
    samples = f"{p.lag_samples} samples at {p.sample_rate / 1000:g} kHz"
    return Suggestion(
        "phase",
        f"{p.early} and {p.late} pick up one source in the same polarity {p.lag_ms:.2f} ms apart ({samples}; "
        f"correlation {p.correlation:.2f} below 1 kHz where both play): {p.late} plays it later, and summed they "
        f"comb-filter, notches at {p.first_notch_hz:.0f} Hz and its odd multiples. Summed {levels}, the notches "
        f"are {abs(loss.notch_db):.0f} dB deep and the {low:.0f}-{high:.0f} Hz octave comes out "
        f"{abs(loss.worst_db):.1f} dB {'weaker' if loss.worst_db >= 0 else 'stronger'} than with the pair "
        f"aligned (everything below {LOW_BAND_HZ:.0f} Hz {abs(loss.band_db):.1f} dB "
        f"{'weaker' if loss.band_db >= 0 else 'stronger'}).",
        priority,
        p.early,
        f"Delay {p.early} by {p.lag_ms:.2f} ms ({samples}) to line it up with {p.late}.",
        float(min(0.95, 0.4 + 0.6 * p.correlation)),
        {
            "problem": "comb_filter",
            "pair": [p.early, p.late],
            "correlation": p.correlation,
            "lag_ms": p.lag_ms,
            "lag_samples": p.lag_samples,
            "sample_rate": p.sample_rate,
            "first_notch_hz": p.first_notch_hz,
            "notch_db": loss.notch_db,
            "worst_octave_hz": list(loss.worst_hz),
            "worst_octave_loss_db": loss.worst_db,
            "band_loss_db": loss.band_db,
            "levels": "balanced" if balanced else "as_is",
        },
        {"kind": "polarity", "invert": False, "shift_ms": p.lag_samples * 1000 / p.sample_rate},
        tracks=(p.early, p.late),
    )


def _left_out_finding(t: LeftOut) -> Suggestion:
    if t.kind == "duplicate":
        message = f"{t.name} is the same audio as {t.of[0]} (correlation {t.correlation:.3f}): left out of the mix."
        move = f"Remove {t.name}, or replace it with the take it was meant to be."
    else:
        message = (
            f"{t.name} is a mix of the other tracks (a bounce of {t.parts}; a mix of them at the best gains "
            f"correlates {t.correlation:.2f} with it): left out of the mix."
        )
        move = f"Remove {t.name} from the stems: summed with them, it plays every part twice."
    return Suggestion(
        t.kind,
        message,
        "high",
        t.name,
        move,
        0.9,
        {"of": list(t.of), "correlation": t.correlation},
        {"kind": "leave_out"},
        tracks=(t.name, *t.of),
    )


__all__ = ["CombLoss", "CombPair", "LeftOut", "PolarityPair", "SharedSources", "reduce_track", "shared_sources"]
