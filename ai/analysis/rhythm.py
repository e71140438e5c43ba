"""Tempo, beats, downbeats and meter from the shared analysis features.

Method (every step works on the frame-rate features computed once in
:mod:`ai.analysis.features`; nothing here takes a second STFT):

1. **Beat detection function.** Spectral flux of the log-compressed mel spectrogram (from the
   shared ``SharedFeatures.mel``; no max filter across bands, which would hide the onsets of
   sung and bowed notes), minus its 1-second moving average: sustained voices whose flux fluctuates
   without a pulse otherwise dominate the autocorrelation.
2. **Tempo.** The autocorrelation of the detection function is read through a harmonic comb
   (lags p, 2p, 3p, 4p: a true beat period repeats at every multiple); the squared comb times
   the period's own autocorrelation is weighted by a log-normal tempo prior. Sharpening the
   evidence this way lets a clear periodicity beat the prior's pull. The prior's mode follows
   how percussive the music is (how far onset spikes rise above the flux floor): ~130 BPM for
   drum-driven music, ~90 BPM for sustained voices, organ and strings, whose beat is slower.
3. **Beats.** Dynamic programming (Ellis 2007) over the detection function plus the (detrended)
   kick/bass onset envelope, counted twice because low onsets mark beats rather than
   off-beats: the best chain of onsets whose spacing stays close to the period, compiled with
   numba. Then a metrical-level check from the harmony: when chord changes strictly alternate
   between tracked beats (change, none, change ...), the tracked level is half or double the
   beat, and the one the tempo evidence prefers is taken (midpoints added, or every other beat
   on the phase where chords change). A phase check from the same evidence: when the strongest
   chord changes fall half-way between the tracked beats (in music whose harmony sounds most of
   the time), the tracker has locked onto off-beats and the grid moves by half a beat. The chain
   is then continued at the same period through held but onset-free stretches (final chords),
   and moved back to where the onsets begin (slow attacks: organ, strings peak tens of ms after
   the note starts). The tempo comes from a robust line fit of beat time against beat index,
   so it is not quantised to any grid.
   **Metrical level from the harmonic rhythm** (percussive music): chord segments of 1 to 12
   beats are fitted to the chroma at every phase (:func:`harmonic_contrast`: the variance the
   segment means explain, minus the same for the grid moved by half a segment, is largest for
   segments as long as the chords last). In band music the chords change with the bar: when
   8-beat segments clearly beat bars of 3-4 beats the tracker counted eighths (halve); when
   2-beat segments do, single beats do not dominate and the half-beat divides in two, it
   counted half notes (double).
   **Learned metrical level** (percussive music with harmony, in simple time): the grid the
   rules end with and its relatives (x2, /2, x3, /3, x3/2, x2/3, x4/3, x3/4) are scored by the
   boosted trees of models/metrical_level.json (:func:`level_candidates`, :func:`choose_level`,
   :mod:`ai.analysis.level_model`), fitted on MMA grooves and chorales the evaluation does not
   use; the best-scoring grid goes on. A final beat still slower than SLOW_TACTUS_BPM (50) is a bar
   or half bar counted as one beat and is divided as its busiest beats divide, in three or two
   (:func:`divide_slow_grid`).
4. **Meter and downbeats.** At beat level: how strongly the onset pattern of each beat, the
   chord changes and the bass/kick onsets repeat 3 vs 4 beats later decides beats per bar; the
   bar phase is the one at which chord changes (chroma novelty), bass/kick onsets and accents
   line up. Three beats per bar must beat four by a margin (4/4 is the commoner meter).
5. **Confidence.** Half the pulse's clarity and regularity, half :func:`metrical_consistency`
   (how well bars of 3-4 beats explain the chord changes): octave errors show in the latter.

Compound meter: when the onsets between beats fall on the beat's thirds (not its halves or
quarters), the beat divides in three (``beat_division`` 3); with chords changing every two such
beats the meter is 6/8 (the beat, and the tempo, is then the dotted quarter). A 3-beat bar whose
kick/bass pulse repeats every 1.5 beats (:func:`dotted_pulse`) is a 6/8 bar counted in eighth-note
pairs and is re-gridded on the dotted quarters. Four divided beats to the bar (12/8) stay "4/4"
with ``beat_division`` 3: the same beat grid, a triplet feel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numba
import numpy as np

from ai.analysis.beat_net import Activations, BeatNet, BeatNetEnsemble, beat_activations, shipped_beat_net
from ai.analysis.level_model import SHIPPED_MODEL, LevelModel, describe_level_model, level_rows, load_level_model

if TYPE_CHECKING:
    from ai.analysis.features import SharedFeatures

logger = logging.getLogger(__name__)

MIN_BPM = 40.0
MAX_BPM = 250.0
"""Range of beat-level tempi considered."""
PRIOR_BPM = 130.0
"""Mode of the log-normal tempo prior (beats per minute) for percussive music."""
SUSTAINED_PRIOR_BPM = 90.0
"""Mode of the prior for sustained music (choir, organ, strings), whose beat is slower."""
PERCUSSIVE_RATIO = (5.0, 20.0)
"""99th-percentile / median of the onset flux at which music counts as fully sustained / fully
percussive."""
PRIOR_OCTAVES = 0.7
"""Spread of the tempo prior, in octaves (one standard deviation of log2 tempo)."""
TIGHTNESS = 100.0
"""Weight of the squared log-ratio between an inter-beat interval and the period (Ellis)."""
LOW_WEIGHT = 2.0
"""Weight of the kick/bass onset envelope added to the detection function for beat tracking."""
OFFBEAT_RATIO = 1.5
"""The beats are moved by half a period when the strongest chord changes between them are this
many times stronger than those on them."""
TRIPLE_MARGIN = 0.5
"""How much more meter evidence three beats per bar needs than four (evidence: the sum of three
correlation contrasts, each in [-2, 2])."""
ALTERNATION_MIN = 0.3
"""Chord changes that alternate between tracked beats (lag-1 autocorrelation of the beat-level
chord change below -x and lag-2 above x) rule out the tracked level."""
LEVEL_FACTORS = (0.5, 2.0)
"""Tempo ratios to the tracked level considered instead when the harmonic rhythm alternates
(only these two: the other level must nest with the tracked beats)."""
PERCUSSIVE_MIN = 0.5
"""Music at least this percussive (drums, plucked and struck parts: band music) is read as such:
the harmonic-rhythm level check applies to it (its chords change with the bar; sustained choral
and organ music changes chord on every beat), its beats may divide in three, and its beats stay
on the detection function's peaks (the attack shift is for soft onsets only)."""
HARMONIC_LEVEL_RATIO = 1.5
"""Chord segments of 2 (or 8) beats must explain the chroma this many times better than bars of
3 or 4 beats before the tempo is doubled (or halved)."""
HARMONIC_BEAT_DOMINANCE = 2.0
"""...and single-beat segments must explain it less than this many times better than 2 beats."""
COMPOUND_RATIO = 3.0
"""Onsets on the beat's thirds must be this many times stronger than on its halves and quarters
for the beat to count as divided in three."""
COMPOUND_FLOOR = 0.05
"""...and at least this fraction of the onset strength on the beat (the busiest beats' mean: the
notes of a fill sound well under the accent on the beat)."""
DOTTED_MIN_ACF = 0.2
"""Autocorrelation the kick/bass pulse must reach at 1.5 beats to make a 3-beat bar a 6/8 bar."""
FINE_WINDOW = 0.06
DOWNBEAT_WEIGHT = 0.0
"""Weight of the learned downbeat activation in the bar-phase evidence (the chord changes weigh 2)."""
SLOW_TACTUS_BPM = 50.0
"""A final beat slower than this is divided (the slowest beats people tap sit around 50 BPM)."""
DOUBLE_MAX_BPM = 200.0
"""The harmonic check doubles no beat to above this tempo (faster beats are rare)."""
DETREND_SECONDS = 1.0
"""Window of the moving average subtracted from the detection function."""
MIN_SECONDS = 2.0
"""Input whose sounding span is shorter gets no tempo."""
HEAD_BEAT_FRAMES = 1.5
"""The grid is continued back to a beat up to this many frames (35 ms) before the first sounding frame."""
_SILENCE_DB = -60.0
"""Frames more than this far below the loudest frame count as silence."""
_SUSTAIN_DB = -20.0
"""The beat grid is continued through onset-free frames no further than this below the median
level of the music (a held chord, not its release)."""


@dataclass(frozen=True)
class RhythmResult:
    """What the rhythm analysis found.

    ``beat_times`` and ``downbeat_times`` are np.ndarray [shape=(n,)] in seconds. ``tempo`` is the
    beat-level tempo in BPM rounded to 0.1 (0.0 when no pulse was found, with
    ``tempo_confidence`` 0, empty beat arrays, ``time_signature`` None and ``beats_per_bar`` 0).
    ``beat_division`` is 3 when the beat divides in three (compound: 6/8, or a triplet feel), 2
    otherwise (0 with no pulse). In 6/8 the beat, and so ``tempo``, is the dotted quarter.
    """

    tempo: float
    tempo_confidence: float
    beat_times: np.ndarray = field(repr=False)
    downbeat_times: np.ndarray = field(repr=False)
    time_signature: str | None
    beats_per_bar: int
    beat_division: int = 2

    @classmethod
    def empty(cls) -> RhythmResult:
        return cls(0.0, 0.0, np.zeros(0), np.zeros(0), None, 0, 0)


# --------------------------------------------------------------------------------------------
# Detection function


def _spread(x: np.ndarray) -> float:
    """A robust scale of a non-negative envelope (its standard deviation, never 0)."""
    s = float(np.std(x))
    return s if s > 1e-12 else 1.0


def mel_flux(mel: np.ndarray, *, gamma: float = 1000.0) -> np.ndarray:
    """Spectral flux of the log-compressed mel spectrogram, without a max filter across bands.

    mel: np.ndarray [shape=(bands, n)] (the shared ``SharedFeatures.mel``) -> np.ndarray
    [shape=(n,)], >= 0.
    Unlike the shared ``onset_env`` (whose band max filter suppresses vibrato), this keeps the
    onsets of sung and bowed notes, whose pitch glides into place.
    """
    mel = np.asarray(mel, dtype=np.float32)
    ref = float(mel.max()) if mel.size else 0.0
    flux = np.zeros(mel.shape[1])
    if ref <= 0 or mel.shape[1] < 2:
        return flux
    log_mel = np.log1p((gamma / ref) * mel)
    diff = log_mel[:, 1:] - log_mel[:, :-1]
    np.maximum(diff, 0.0, out=diff)
    flux[1:] = diff.mean(axis=0)
    return flux


def beat_detection_function(flux: np.ndarray, *, width: int) -> np.ndarray:
    """The mel flux [shape=(n,)] scaled by its spread, minus its moving average over ``width``
    frames -> [shape=(n,)]."""
    return detrend(flux / _spread(flux), width)


def percussiveness(flux: np.ndarray) -> float:
    """0 (sustained: voices, organ, strings) .. 1 (percussive: drums, plucked, struck).

    From how far the onset spikes stand above the flux floor: the ratio of the 99th percentile of
    the mel flux [shape=(n,)] to its median, on a log scale between PERCUSSIVE_RATIO[0] and [1].
    """
    median = float(np.median(flux)) if flux.size else 0.0
    if median <= 0:
        return 1.0 if flux.size and float(flux.max()) > 0 else 0.0
    lo, hi = PERCUSSIVE_RATIO
    ratio = float(np.percentile(flux, 99)) / median
    return float(np.clip(np.log(ratio / lo) / np.log(hi / lo), 0.0, 1.0))


def prior_mode(percussive: float) -> float:
    """Mode of the tempo prior (BPM): SUSTAINED_PRIOR_BPM for sustained music, PRIOR_BPM for
    percussive music, log-interpolated between."""
    return float(SUSTAINED_PRIOR_BPM * (PRIOR_BPM / SUSTAINED_PRIOR_BPM) ** percussive)


def detrend(x: np.ndarray, width: int) -> np.ndarray:
    """``x`` minus its moving average over ``width`` frames (removes slow level changes: the
    noisy, fluctuating flux of sustained voices would otherwise dominate the autocorrelation)."""
    width = max(1, min(int(width), x.shape[0]))
    csum = np.concatenate([[0.0], np.cumsum(x)])
    half = width // 2
    lo = np.clip(np.arange(x.shape[0]) - half, 0, x.shape[0])
    hi = np.clip(np.arange(x.shape[0]) + width - half, 0, x.shape[0])
    result: np.ndarray = x - (csum[hi] - csum[lo]) / (hi - lo)
    return result


# --------------------------------------------------------------------------------------------
# Tempo


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased, normalised autocorrelation of ``x`` minus its mean, lags 0..max_lag."""
    x = x - x.mean()
    n = x.shape[0]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[: max_lag + 1]
    acf = acf / np.maximum(n - np.arange(max_lag + 1), 1)
    result: np.ndarray = acf / acf[0] if acf[0] > 0 else acf
    return result


def _peak_picked_acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """:func:`_autocorrelation` of ``x`` with each lag raised to the largest of its +-1 neighbours,
    so that a fractional period read by :func:`_interp` does not fall between samples."""
    acf = _autocorrelation(x, max_lag)
    peak = acf.copy()
    peak[1:] = np.maximum(peak[1:], acf[:-1])
    peak[:-1] = np.maximum(peak[:-1], acf[1:])
    return peak


def _interp(acf: np.ndarray, lags: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.interp(lags, np.arange(acf.shape[0]), acf, right=0.0)
    return result


def tempo_strength(odf: np.ndarray, *, frame_rate: float, bpms: np.ndarray, harmonics: int = 4) -> np.ndarray:
    """Periodicity evidence for each tempo in ``bpms``: mean autocorrelation at k * period.

    odf: np.ndarray [shape=(n,)] -> np.ndarray [shape=bpms.shape].
    """
    periods = 60.0 * frame_rate / bpms
    max_lag = int(min(odf.shape[0] - 1, np.ceil(periods.max() * harmonics) + 2))
    peak = _peak_picked_acf(odf, max_lag)
    strength = np.zeros_like(bpms)
    for k in range(1, harmonics + 1):
        strength += _interp(peak, k * periods)
    return strength / harmonics


def log_normal_prior(bpms: np.ndarray, *, mode: float = PRIOR_BPM, octaves: float = PRIOR_OCTAVES) -> np.ndarray:
    """exp(-0.5 * (log2(bpm / mode) / octaves)^2)."""
    return np.exp(-0.5 * (np.log2(bpms / mode) / octaves) ** 2)


# --------------------------------------------------------------------------------------------
# Beats


@numba.njit(cache=True)
def _dp_beats(score: np.ndarray, period: float, tightness: float) -> np.ndarray:  # pragma: no cover
    """Ellis's dynamic programming: frame indices of the best beat chain. score: [shape=(n,)]."""
    n = score.shape[0]
    cum = np.zeros(n)
    back = -np.ones(n, dtype=np.int64)
    lo = max(1, int(round(period * 0.5)))
    hi = int(round(period * 2.0))
    for t in range(n):
        best = 0.0
        arg = -1
        for lag in range(lo, hi + 1):
            s = t - lag
            if s < 0:
                break
            d = np.log(lag / period)
            v = cum[s] - tightness * d * d
            if v > best:
                best = v
                arg = s
        cum[t] = score[t] + best
        back[t] = arg
    # End: the last local maximum of the cumulative score that is high enough.
    maxima = np.zeros(n, dtype=np.bool_)
    for t in range(1, n - 1):
        maxima[t] = cum[t] > cum[t - 1] and cum[t] >= cum[t + 1]
    count = 0
    for t in range(n):
        if maxima[t]:
            count += 1
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    vals = np.zeros(count)
    j = 0
    for t in range(n):
        if maxima[t]:
            vals[j] = cum[t]
            j += 1
    thresh = 0.5 * np.median(vals)
    end = -1
    for t in range(n - 2, 0, -1):
        if maxima[t] and cum[t] >= thresh:
            end = t
            break
    if end < 0:
        return np.zeros(0, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    m = 0
    t = end
    while t >= 0:
        out[m] = t
        m += 1
        t = back[t]
    return out[:m][::-1].copy()


def _smooth_for_dp(odf: np.ndarray, period: float) -> np.ndarray:
    """The detection function convolved with a short Gaussian (std period/32) and scaled."""
    half = max(1, int(round(period / 2)))
    k = np.arange(-half, half + 1)
    win = np.exp(-0.5 * (k * 32.0 / period) ** 2)
    sm = np.convolve(odf, win, mode="same")
    return sm / _spread(sm)


def _sounding(rms: np.ndarray) -> np.ndarray:
    """Boolean [shape=(n,)]: frames within ``_SILENCE_DB`` of the loudest frame. rms: [shape=(n,)]."""
    energy = rms * rms
    peak = float(energy.max()) if energy.size else 0.0
    if peak <= 0:
        return np.zeros(energy.shape[0], dtype=bool)
    result: np.ndarray = energy > peak * 10.0 ** (_SILENCE_DB / 10.0)
    return result


def _sustained(rms: np.ndarray, sounding: np.ndarray) -> np.ndarray:
    """Boolean [shape=(n,)]: frames within ``_SUSTAIN_DB`` of the median level of the sounding
    frames (held notes, not the decay after the music stops)."""
    if not sounding.any():
        return sounding
    result: np.ndarray = rms > float(np.median(rms[sounding])) * 10.0 ** (_SUSTAIN_DB / 20.0)
    return result


def _fill_grid(beats: np.ndarray, sounding: np.ndarray, period: float) -> np.ndarray:
    """Extend the beat chain at the same period through sounding frames before/after it."""
    if beats.size == 0:
        return beats
    n = sounding.shape[0]
    where = np.flatnonzero(sounding)
    if where.size == 0:
        return beats[:0]
    first, last = int(where[0]), int(where[-1])
    local = float(np.median(np.diff(beats))) if beats.size > 2 else period
    # A beat that falls just before the first sounding frame still counts: music that starts on
    # the beat at sample 0 has its first onset inside frame 0, where a frame difference cannot
    # see it, and the beat a period before the chain's first one lands up to a frame short of 0.
    head = beats[0] - local * np.arange(1, int((beats[0] - first + HEAD_BEAT_FRAMES) / local) + 1)
    tail = beats[-1] + local * np.arange(1, int((last - beats[-1]) / local) + 1)
    out: np.ndarray = np.concatenate([head[::-1], beats.astype(np.float64), tail])
    out = out[(out >= first - HEAD_BEAT_FRAMES) & (out <= min(last, n - 1) + 0.5)]
    return out


def _refine_period(beat_frames: np.ndarray) -> tuple[float, float]:
    """Beat period (frames) from a robust line fit of beat frame against beat index.

    Returns (period, relative spread of the inter-beat intervals around it).
    """
    ibi = np.diff(beat_frames)
    med = float(np.median(ibi))
    # Index the beats by their position on the median grid (robust to a skipped beat).
    steps = np.maximum(1, np.round(ibi / med)).astype(np.int64)
    idx = np.concatenate([[0], np.cumsum(steps)]).astype(np.float64)
    keep = np.ones(beat_frames.shape[0], dtype=bool)
    for _ in range(3):
        slope, icpt = np.polyfit(idx[keep], beat_frames[keep], 1)
        resid = beat_frames - (slope * idx + icpt)
        mad = float(np.median(np.abs(resid[keep]))) + 1e-9
        keep = np.abs(resid) <= max(3.0 * 1.4826 * mad, 1.0)
        if keep.sum() < 4:
            break
    spread = float(np.std(ibi / steps) / med)
    return float(slope), spread


# --------------------------------------------------------------------------------------------
# Meter and downbeats

_SUBDIV = 12
"""Points per beat at which the onset pattern of a beat is sampled (covers 2, 3, 4 and 6 pulses)."""


def _sample(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.interp(pos, np.arange(x.shape[0]), x, left=0.0, right=0.0)
    return result


def _zscore(x: np.ndarray) -> np.ndarray:
    s = float(np.std(x))
    return (x - x.mean()) / s if s > 1e-12 else np.zeros_like(x)


def _beat_features(
    beats: np.ndarray,
    *,
    onset: np.ndarray,
    low: np.ndarray,
    chroma: np.ndarray,
    downbeat: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Beat-synchronous evidence for meter and downbeats (beats: fractional frame positions).

    Returns 'pattern' [shape=(B, 2*_SUBDIV)] (onset and low-band onset sampled across each beat),
    'harm' [shape=(B,)] (chroma change entering each beat), 'low' and 'accent' [shape=(B,)], and
    with the learned ``downbeat`` activation [shape=(n,)], 'down' [shape=(B,)] (its peak near each
    beat).
    """
    n_beats = beats.shape[0]
    period = float(np.median(np.diff(beats)))
    frac = np.arange(_SUBDIV) / _SUBDIV
    grid = beats[:, None] + frac[None, :] * period
    pattern = np.concatenate([_sample(onset, grid), _sample(low, grid)], axis=1)
    # Peak strength near each beat (+-1/8 beat).
    width = max(1, int(round(period / 8)))
    idx = np.clip(
        np.round(beats).astype(np.int64)[:, None] + np.arange(-width, width + 1)[None, :], 0, onset.shape[0] - 1
    )
    low_at = low[idx].max(axis=1)
    acc_at = onset[idx].max(axis=1)
    # Mean chroma over each beat span; change = 1 - cosine with the previous span.
    edges = np.clip(np.round(np.concatenate([beats, [beats[-1] + period]])).astype(np.int64), 0, chroma.shape[1])
    csum = np.concatenate([np.zeros((12, 1)), np.cumsum(chroma, axis=1, dtype=np.float64)], axis=1)
    spans = (csum[:, edges[1:]] - csum[:, edges[:-1]]).T  # (B, 12)
    norm = np.linalg.norm(spans, axis=1, keepdims=True)
    unit = spans / np.maximum(norm, 1e-9)
    harm = np.zeros(n_beats)
    harm[1:] = 1.0 - np.einsum("ij,ij->i", unit[1:], unit[:-1])
    feats = {"pattern": pattern, "harm": harm, "low": low_at, "accent": acc_at}
    if downbeat is not None:
        near = np.clip(np.round(beats).astype(np.int64)[:, None] + np.arange(-1, 2)[None, :], 0, downbeat.shape[0] - 1)
        feats["down"] = downbeat[near].max(axis=1)
    return feats


def _chroma_change_at(chroma: np.ndarray, positions: np.ndarray, half: float) -> np.ndarray:
    """Cosine distance between the summed chroma of the ``half`` frames before and after each of
    ``positions`` (fractional frames), weighted by how loud the quieter side is relative to the
    median side (a change into or out of near-silence is not a chord change).
    chroma: [shape=(12, n)] -> [shape=(len(positions),)]."""
    n = chroma.shape[1]
    csum = np.concatenate([np.zeros((12, 1)), np.cumsum(chroma, axis=1, dtype=np.float64)], axis=1)
    a = np.clip(np.round(positions - half).astype(np.int64), 0, n)
    m = np.clip(np.round(positions).astype(np.int64), 0, n)
    b = np.clip(np.round(positions + half).astype(np.int64), 0, n)
    before = (csum[:, m] - csum[:, a]).T
    after = (csum[:, b] - csum[:, m]).T
    nb, na = np.linalg.norm(before, axis=1), np.linalg.norm(after, axis=1)
    ok = (nb > 1e-12) & (na > 1e-12)
    out = np.zeros(positions.shape[0])
    out[ok] = 1.0 - np.einsum("ij,ij->i", before[ok], after[ok]) / (nb[ok] * na[ok])
    ref = float(np.median(np.concatenate([nb, na])))
    return out * np.clip(np.minimum(nb, na) / ref, 0.0, 1.0) if ref > 0 else out * 0.0


def _harmony_sustained(chroma: np.ndarray) -> bool:
    """True when at least half the frames carry chroma energy above a tenth of the loud frames'
    level (the 90th percentile): sustained harmony rather than isolated hits."""
    energy = chroma.sum(axis=0)
    loud = float(np.percentile(energy, 90)) if energy.size else 0.0
    return loud > 0 and float(np.mean(energy > 0.1 * loud)) >= 0.5


def _top_quartile(x: np.ndarray) -> float:
    """Mean of the largest quarter of ``x`` (0 for an empty array)."""
    if x.size == 0:
        return 0.0
    return float(np.mean(np.sort(x)[-max(1, x.size // 4) :]))


def _lag_similarity(rows: np.ndarray, lag: int) -> float:
    """Mean Pearson correlation between rows i and i+lag of a [B, d] matrix."""
    if rows.shape[0] <= lag + 1:
        return 0.0
    a = rows[:-lag] - rows[:-lag].mean(axis=1, keepdims=True)
    b = rows[lag:] - rows[lag:].mean(axis=1, keepdims=True)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    ok = den > 1e-12
    if not ok.any():
        return 0.0
    return float(np.mean(np.einsum("ij,ij->i", a[ok], b[ok]) / den[ok]))


def _series_lag_similarity(x: np.ndarray, lag: int) -> float:
    """Autocorrelation coefficient of a beat-level series at ``lag``."""
    if x.shape[0] <= lag + 2:
        return 0.0
    a, b = x[:-lag] - x.mean(), x[lag:] - x.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 1e-12 else 0.0


def meter_evidence(feats: dict[str, np.ndarray]) -> dict[int, float]:
    """Evidence for 3 and 4 beats per bar: similarity at lags M and 2M minus the mean over lags 1..8."""
    lags = range(1, 9)
    sims = {}
    for lag in lags:
        s = _lag_similarity(feats["pattern"], lag)
        s += _series_lag_similarity(feats["harm"], lag)
        s += _series_lag_similarity(feats["low"], lag)
        sims[lag] = s
    base = float(np.mean(list(sims.values())))
    return {m: 0.5 * (sims[m] + sims[2 * m]) - base for m in (3, 4)}


BUSY_SHARE = 0.25
"""Share of the beats, those with the most onset energy between beats, whose division
:func:`beat_division` reads."""


def _busiest(pattern: np.ndarray) -> np.ndarray:
    """The rows of ``pattern`` [shape=(B, _SUBDIV)] with the most onset energy between the beats
    (the top BUSY_SHARE, at least 4). Sustained chords and long notes do not show how a beat
    divides; the beats where the parts move do: a waltz felt in one bar-long pulse shows its three
    quarter notes only in the bars where the bass walks or the drums fill."""
    between = np.maximum(pattern[:, 1:], 0.0).sum(axis=1)
    keep = max(4, int(round(BUSY_SHARE * pattern.shape[0])))
    return pattern[np.argsort(between)[-keep:]]


def beat_division(feats: dict[str, np.ndarray]) -> int:
    """3 when the onsets between beats fall on the thirds of the beat, 2 otherwise.

    From the mean onset pattern of the busiest beats (:func:`_busiest`: the quarter of the beats
    with the most onset energy between beats; ``feats['pattern']``, onset strength at _SUBDIV
    points per beat, as returned by :func:`_beat_features`), relative to the median of all beats'
    patterns: the weaker of the two third-points must stand COMPOUND_RATIO times above the
    half-beat and the quarter-points (swing, whose off-beat sits on the second third only, stays
    duple) and above COMPOUND_FLOOR of the onset on the beat. Reading every beat instead (their
    median) misses music whose division shows only where the parts move: a fast waltz felt in one
    sustains its chord for the bar and plays the three quarter notes only in the bars where the
    bass walks or the drums fill.
    """
    pattern = feats["pattern"][:, :_SUBDIV]
    if pattern.shape[0] < 8:
        return 2
    baseline = float(np.median(pattern))
    profile = _busiest(pattern).mean(axis=0) - baseline
    third = min(profile[_SUBDIV // 3], profile[2 * _SUBDIV // 3])
    duple = max(profile[_SUBDIV // 2], profile[_SUBDIV // 4], profile[3 * _SUBDIV // 4], 0.0)
    if third > COMPOUND_RATIO * duple and third > COMPOUND_FLOOR * max(float(profile[0]), 1e-9):
        return 3
    return 2


def downbeat_phase(feats: dict[str, np.ndarray], beats_per_bar: int) -> tuple[int, np.ndarray]:
    """Bar phase (index of the first downbeat among the beats) and the score of each phase."""
    evidence = 2.0 * _zscore(feats["harm"]) + _zscore(feats["low"]) + 0.5 * _zscore(feats["accent"])
    if "down" in feats and beats_per_bar >= 3:
        evidence = evidence + DOWNBEAT_WEIGHT * _zscore(feats["down"])
    scores = np.array([evidence[p::beats_per_bar].mean() for p in range(beats_per_bar)])
    return int(np.argmax(scores)), scores


@dataclass(frozen=True)
class ChromaSums:
    """Running sums of the frame-normalised chroma, so that any segment's mean and variance cost
    O(1): ``csum`` [shape=(12, n + 1)] of the chroma, ``csq`` [shape=(n + 1,)] of its squares."""

    csum: np.ndarray
    csq: np.ndarray

    @classmethod
    def of(cls, chroma: np.ndarray) -> ChromaSums:
        """chroma: np.ndarray [shape=(12, n)]."""
        c = chroma.astype(np.float64)
        c = c / np.maximum(c.sum(axis=0, keepdims=True), 1e-12)
        zero = np.zeros((12, 1))
        return cls(
            np.concatenate([zero, np.cumsum(c, axis=1)], axis=1),
            np.concatenate([[0.0], np.cumsum((c * c).sum(axis=0))]),
        )

    @property
    def n(self) -> int:
        return int(self.csq.shape[0]) - 1


def harmonic_contrast(chroma: np.ndarray | ChromaSums, beats: np.ndarray, span: float) -> float:
    """How well chord segments ``span`` beats long explain the chroma, against the same segments
    moved by half their length.

    The beat grid ``beats`` (fractional frames, [shape=(B,)]) is cut every ``span`` beats
    (fractional spans interpolate between beats) at each phase (steps of half a beat); each cut
    gives the share of the chroma's variance [chroma: shape=(12, n), or its :class:`ChromaSums`]
    that segment means explain (R^2 of a piecewise-constant fit to the frame-normalised chroma).
    Returns the best phase's R^2 minus the R^2 of the grid moved by span / 2 (>= 0). When chords
    change every H seconds, the contrast is largest for segments H long: shorter segments fit as
    well at the shifted phase (both cut inside chords), longer ones fit no phase.
    """
    sums = chroma if isinstance(chroma, ChromaSums) else ChromaSums.of(chroma)
    if beats.shape[0] < 4 or span <= 0:
        return 0.0
    a, b = int(max(0, np.floor(beats[0]))), int(min(sums.n, np.ceil(beats[-1])))
    if b - a < 8:
        return 0.0
    n = b - a
    whole = sums.csum[:, b] - sums.csum[:, a]
    total = float(sums.csq[b] - sums.csq[a] - (whole * whole).sum() / n)
    if total <= 1e-12:
        return 0.0
    csum, csq = sums.csum[:, a : b + 1], sums.csq[a : b + 1]
    index = np.arange(beats.shape[0], dtype=np.float64)

    def explained(phase: float) -> float | None:
        pos = np.arange(phase, beats.shape[0] - 1, span)
        if pos.shape[0] < 2:
            return None
        cuts = np.clip(np.round(np.interp(pos, index, beats)).astype(np.int64) - a, 0, n)
        edges = np.concatenate([[0], cuts, [n]])
        # The cuts never decrease (beats and phases ascend): dropping repeats is np.unique, unsorted.
        edges = edges[np.concatenate([[True], edges[1:] != edges[:-1]])]
        length = np.diff(edges).astype(np.float64)
        seg = csum[:, edges[1:]] - csum[:, edges[:-1]]
        within = (csq[edges[1:]] - csq[edges[:-1]]) - (seg * seg).sum(axis=0) / length
        return 1.0 - float(within.sum()) / total

    fits = {ph: explained(ph) for ph in np.arange(0.0, span, min(0.5, span / 4.0))}
    scored = {ph: v for ph, v in fits.items() if v is not None}
    if not scored:
        return 0.0
    best = max(scored, key=scored.__getitem__)
    moved = explained(best + span / 2.0)
    return 0.0 if moved is None else max(0.0, scored[best] - moved)


HARMONIC_SPANS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
"""Chord-segment lengths (in beats) compared by :func:`harmonic_period`."""


def harmonic_period(chroma: np.ndarray | ChromaSums, beats: np.ndarray) -> dict[float, float]:
    """:func:`harmonic_contrast` for each of HARMONIC_SPANS (beats) on the beat grid ``beats``."""
    sums = chroma if isinstance(chroma, ChromaSums) else ChromaSums.of(chroma)
    return {k: harmonic_contrast(sums, beats, k) for k in HARMONIC_SPANS}


def duple_subdivision(odf: np.ndarray, period: float) -> bool:
    """True when the detection function [shape=(n,)] repeats more at a quarter of the beat
    ``period`` (frames) than at a third: the half-beat divides in two, as a beat does in duple
    music. (A compound pulse, two dotted quarters to a 3/4 bar, divides in three.)"""
    max_lag = int(np.ceil(period / 3.0)) + 2
    if odf.shape[0] <= max_lag + 1:
        return False
    peak = _peak_picked_acf(odf, max_lag)
    quarter, third = _interp(peak, np.array([period / 4.0, period / 3.0]))
    return bool(quarter > third)


def metrical_consistency(contrast: dict[float, float], *, bar_beats: tuple[float, ...] = (3.0, 4.0)) -> float:
    """0..1: how well bars of ``bar_beats`` beats explain the chord changes compared with the
    best segment length of 1.5 beats or more (``contrast`` from :func:`harmonic_period`); 0.5
    when the chroma shows no chord changes at all (drums alone: no evidence either way)."""
    longer = max(v for k, v in contrast.items() if k >= 1.5)
    if longer < 1e-3:
        return 0.5
    return float(min(1.0, max(contrast[k] for k in bar_beats) / longer))


def dotted_pulse(low_odf: np.ndarray, period: float) -> bool:
    """True when the kick/bass detection function [shape=(n,)] repeats more at 1.5 beat
    periods (``period`` in frames) than at one, and clearly (autocorrelation above
    DOTTED_MIN_ACF): the low pulse falls on dotted quarters (6/8), not on the beats."""
    max_lag = int(np.ceil(1.5 * period)) + 2
    if low_odf.shape[0] <= max_lag + 1:
        return False
    peak = _peak_picked_acf(low_odf, max_lag)
    one, dotted = _interp(peak, np.array([period, 1.5 * period]))
    return bool(dotted > one and dotted > DOTTED_MIN_ACF)


def harmonic_level(chroma: np.ndarray | ChromaSums, beats: np.ndarray, *, tempo: float, duple: bool) -> float:
    """Tempo factor (0.5, 1 or 2) that the harmonic rhythm asks of the beat grid ``beats``.

    In band music the chords change with the bar: every 3 or 4 beats. When chord segments of 8
    tracked beats explain the chroma clearly better (HARMONIC_LEVEL_RATIO) than segments of 3
    or 4, the tracker counts eighth notes: half the tempo. When segments of 2 beats do, and
    single-beat segments do not dominate (chorale-style harmony, a chord on every beat, is a
    beat-level rhythm), it counts half notes: double the tempo.
    """
    contrast = harmonic_period(chroma, beats)
    bar = max(contrast[3.0], contrast[4.0])
    bar_like = max((k for k in contrast if k >= 1.5), key=contrast.__getitem__)
    if bar <= 0:
        return 1.0
    if bar_like == 8.0 and contrast[8.0] >= HARMONIC_LEVEL_RATIO * bar and tempo / 2 >= MIN_BPM:
        return 0.5
    if (
        bar_like == 2.0
        and contrast[2.0] >= HARMONIC_LEVEL_RATIO * bar
        and contrast[1.0] < HARMONIC_BEAT_DOMINANCE * contrast[2.0]
        and duple
        and tempo * 2 <= DOUBLE_MAX_BPM
    ):
        return 2.0
    return 1.0


# --------------------------------------------------------------------------------------------
# Metrical level: a learned choice among the rules' level and its relatives


@dataclass(frozen=True)
class PulseEvidence:
    """The frame-rate evidence the beat level is chosen from.

    Envelopes are np.ndarray [shape=(n,)] at ``frame_rate``; ``chroma`` [shape=(12, n)]; tempo
    curves [shape=(T,)] over ``bpms``.
    """

    frame_rate: float
    odf: np.ndarray
    low_odf: np.ndarray
    beat_score: np.ndarray
    onset_n: np.ndarray
    low_n: np.ndarray
    chroma: np.ndarray
    chroma_sums: ChromaSums
    sustained: np.ndarray
    bpms: np.ndarray
    strength: np.ndarray
    single: np.ndarray
    low_strength: np.ndarray
    posterior: np.ndarray
    percussive: float
    downbeat: np.ndarray | None = None
    """The learned downbeat activation [shape=(n,)], or None on the flux-only path."""


@dataclass(frozen=True)
class LevelCandidate:
    """One beat level: its tempo factor against the rules' level, its grid and its features."""

    factor: float
    beats: np.ndarray = field(repr=False)
    period: float
    spread: float
    features: np.ndarray = field(repr=False)


LEVEL_CANDIDATES = (1.0 / 3.0, 0.5, 2.0 / 3.0, 0.75, 1.0, 4.0 / 3.0, 1.5, 2.0, 3.0)
"""Tempo factors the level model chooses among: the octave (x2, /2), triple (x3, /3: a waltz
counted in bars) and sesquialtera relatives (x3/2, x2/3, x4/3, x3/4) of the rules' beat."""
LEVEL_SPANS = (1.0, 2.0, 3.0, 4.0, 8.0)
"""Chord-segment lengths (candidate beats) whose harmonic contrast the model reads."""
LEVEL_FEATURES = (
    "prior",
    "log_tempo",
    "percussive_x_log_tempo",
    "comb",
    "acf",
    "low_comb",
    "onbeat",
    "low_onbeat",
    "bar_fit",
    "beat_fit",
    "bar_contrast",
    "meter",
    "regularity",
    "beat_score",
    "div2",
    "div3",
    "div4",
    "low_div2",
    "low_div3",
    "factor_log",
    "factor_octave",
    "factor_triple",
    "factor_sesqui",
    "factor_four_three",
    "beat_harmony_x_factor",
)
"""Names of the features of a candidate, in order (models/metrical_level.json is fitted on them)."""


def _nested(beats: np.ndarray, factor: float, phase_feats: dict[str, np.ndarray]) -> np.ndarray:
    """The grid at an integer multiple (2, 3) or fraction (1/2, 1/3) of ``beats``: the beats
    divided evenly, or every k-th beat on the phase where chords change and the bass falls."""
    if factor > 1:
        k = int(round(factor))
        steps = np.diff(beats)
        inner = [beats[:-1] + steps * (j / k) for j in range(1, k)]
        return np.sort(np.concatenate([beats, *inner]))
    k = int(round(1.0 / factor))
    return beats[downbeat_phase(phase_feats, k)[0] :: k]


def _onbeat_ratio(x: np.ndarray, beats: np.ndarray) -> float:
    """log of the mean of the positive part of ``x`` [shape=(n,)] at the beats over the mean
    half-way between them (how much more onset energy falls on the beats than between them)."""
    pos = np.maximum(x, 0.0)
    on = _sample(pos, beats)
    off = _sample(pos, beats[:-1] + 0.5 * np.diff(beats))
    return float(np.log((on.mean() + 1e-3) / (off.mean() + 1e-3)))


def _divisions(pattern: np.ndarray) -> tuple[float, float, float]:
    """How strongly the beats divide in 2, 3 and 4: log of the mean onset strength on the half,
    the thirds and the quarters of the beat over that on the beat (``pattern`` [shape=(B, _SUBDIV)]
    from :func:`_beat_features`, averaged over all beats)."""
    profile = np.maximum(pattern, 0.0).mean(axis=0)
    on = profile[0] + 1e-2
    half = profile[_SUBDIV // 2]
    third = 0.5 * (profile[_SUBDIV // 3] + profile[2 * _SUBDIV // 3])
    quarter = 0.5 * (profile[_SUBDIV // 4] + profile[3 * _SUBDIV // 4])
    in_two, in_three, in_four = (float(np.log((v + 1e-2) / on)) for v in (half, third, quarter))
    return in_two, in_three, in_four


def _candidate_features(
    evidence: PulseEvidence, beats: np.ndarray, period: float, spread: float, factor: float
) -> np.ndarray:
    """The LEVEL_FEATURES of one candidate grid (fractional frames) but the last -> np.ndarray
    [shape=(F - 1,)]; :func:`level_candidates` adds the last, which needs the rules' grid."""
    tempo = 60.0 * evidence.frame_rate / period
    log_bpms = np.log(evidence.bpms)

    def at(curve: np.ndarray) -> float:
        return float(np.interp(np.log(tempo), log_bpms, curve, left=0.0, right=0.0))

    log_tempo = float(np.log2(tempo / 120.0))
    prior = float(np.log2(tempo / prior_mode(evidence.percussive)) / PRIOR_OCTAVES) ** 2
    feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    contrast = {k: harmonic_contrast(evidence.chroma_sums, beats, k) for k in LEVEL_SPANS}
    longest = max(contrast.values())
    bar = max(contrast[3.0], contrast[4.0])
    meter = meter_evidence(feats)
    score = _smooth_for_dp(evidence.beat_score, period)
    log_factor = float(np.log2(factor))
    return np.array(
        [
            prior,
            log_tempo,
            evidence.percussive * log_tempo,
            at(evidence.strength),
            at(evidence.single),
            at(evidence.low_strength),
            _onbeat_ratio(evidence.odf, beats),
            _onbeat_ratio(evidence.low_odf, beats),
            bar / longest if longest > 1e-3 else 0.5,
            contrast[1.0] / longest if longest > 1e-3 else 0.5,
            bar,
            max(meter[3], meter[4]),
            float(np.exp(-((spread / 0.1) ** 2))),
            float(_sample(score, beats).mean()),
            *_divisions(feats["pattern"][:, :_SUBDIV]),
            *_divisions(feats["pattern"][:, _SUBDIV:])[:2],
            log_factor,
            float(abs(abs(log_factor) - 1.0) < 1e-6),
            float(abs(abs(log_factor) - np.log2(3.0)) < 1e-6),
            float(abs(abs(log_factor) - np.log2(1.5)) < 1e-6),
            float(abs(abs(log_factor) - np.log2(4.0 / 3.0)) < 1e-6),
        ]
    )


def level_candidates(evidence: PulseEvidence, beats: np.ndarray, period: float, spread: float) -> list[LevelCandidate]:
    """The rules' grid ``beats`` (fractional frames, period in frames) and its relatives at
    LEVEL_CANDIDATES within MIN_BPM..MAX_BPM, each with its features.

    Multiples and fractions by 2 and 3 nest with the grid; the others (x3/2, x2/3, x4/3, x3/4)
    do not, and are tracked afresh by the dynamic programme at their period.
    """
    tempo = 60.0 * evidence.frame_rate / period
    phase_feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    out = []
    for factor in LEVEL_CANDIDATES:
        if factor != 1.0 and not MIN_BPM <= tempo * factor <= MAX_BPM:
            continue
        if factor == 1.0:
            grid, p, sp = beats, period, spread
        elif factor in (2.0, 3.0, 0.5, 1.0 / 3.0):
            grid = _nested(beats, factor, phase_feats)
            if grid.shape[0] < 8:
                continue
            p, sp = _refine_period(grid)
        else:
            tracked = _track(evidence.beat_score, period / factor, evidence.sustained)
            if tracked is None or tracked[0].shape[0] < 8:
                continue
            grid, p, sp = tracked
        out.append((factor, grid, p, sp, _candidate_features(evidence, grid, p, sp, factor)))
    # How much the chords change on every one of the rules' beats (chorale-like harmony, where
    # the beat is the chord rate) times the candidate's move: lets the model tell a hymn's beat
    # from a band's eighths.
    beat_harmony = next(f for factor, *_, f in out if factor == 1.0)[LEVEL_FEATURES.index("beat_fit")]
    return [
        LevelCandidate(factor, grid, p, sp, np.append(f, beat_harmony * np.log2(factor)))
        for factor, grid, p, sp, f in out
    ]


def level_model_serves(evidence: PulseEvidence, beats: np.ndarray) -> bool:
    """Whether the level model may move this grid: percussive music with sustained harmony and
    at least 16 beats, like the band songs and piano chorales (4/4, 3/4) it was fitted on.
    Sustained voices, organ and strings, and drum loops and click tracks (no chords to read) keep
    the rules' level; so does 6/8 counted in eighth-note pairs, which estimate_rhythm regrids.

    A grid whose beats divide in three is served: it is as often a 4/4 groove tracked on dotted
    quarters (a clave or tresillo bass pulls the tracker there), which the model moves by 3/2,
    as a shuffle whose level is right, which it keeps (both kinds are in its training songs)."""
    if not (evidence.percussive >= PERCUSSIVE_MIN and beats.shape[0] >= 16 and _harmony_sustained(evidence.chroma)):
        return False
    feats = _beat_features(
        beats, onset=evidence.onset_n, low=evidence.low_n, chroma=evidence.chroma, downbeat=evidence.downbeat
    )
    # Three beats to the bar with the kick/bass on every 1.5 of them: 6/8 counted in eighth-note
    # pairs, which estimate_rhythm regrids on the dotted quarters.
    meter = meter_evidence(feats)
    period = float(np.median(np.diff(beats)))
    return not (meter[3] > meter[4] + TRIPLE_MARGIN and dotted_pulse(evidence.low_odf, period))


def shipped_level_model() -> LevelModel | None:
    """models/metrical_level.json, or None when it is missing or stale (logged once)."""
    return load_level_model(SHIPPED_MODEL, LEVEL_FEATURES)


def describe_shipped_level_model() -> dict[str, Any]:
    """models/metrical_level.json as /api/v1/models lists it (loaded, or the reason it is not)."""
    return describe_level_model(SHIPPED_MODEL, LEVEL_FEATURES)


def choose_level(candidates: list[LevelCandidate], model: LevelModel) -> LevelCandidate:
    """The candidate the model scores highest (the rules' own level, factor 1, is always among
    them and tells the model what kind of music this is)."""
    identity = next(i for i, c in enumerate(candidates) if c.factor == 1.0)
    scores = model.scores(level_rows(np.stack([c.features for c in candidates]), identity))
    return candidates[int(np.argmax(scores))]


# --------------------------------------------------------------------------------------------
# Entry point


def attack_shift(odf: np.ndarray, beats: np.ndarray, *, width: int = 5) -> float:
    """How far (frames, <= 0) the beats should move back to where the onsets begin.

    The detection function peaks where a note's energy rises fastest; a slow attack (organ,
    strings) reaches that point tens of milliseconds after the note starts. From the mean profile
    of ``odf`` [shape=(n,)] over +-``width`` frames around ``beats`` (fractional frames): the
    interpolated point where it first reaches half-way from the pre-onset floor to the peak,
    relative to the peak, plus half a frame (a rise within a frame is a sharp onset: no shift).
    """
    idx = np.round(beats).astype(np.int64)
    idx = idx[(idx - width >= 0) & (idx + width < odf.shape[0])]
    if idx.size < 4:
        return 0.0
    profile = odf[idx[:, None] + np.arange(-width, width + 1)[None, :]].mean(axis=0)
    peak = int(np.argmax(profile))
    floor = float(profile[: peak + 1].min())
    level = floor + 0.5 * (float(profile[peak]) - floor)
    j = peak
    while j > 0 and profile[j - 1] >= level:
        j -= 1
    cross = float(j)
    if j > 0 and profile[j] > profile[j - 1]:
        cross = j - 1 + (level - profile[j - 1]) / (profile[j] - profile[j - 1])
    return min(0.0, cross - peak + 0.5)


def _confidence(bpms: np.ndarray, posterior: np.ndarray, strength: np.ndarray, tempo: float, spread: float) -> float:
    """Tempo confidence in [0, 1]: pulse clarity (comb strength at the tempo) x beat regularity
    x how clearly the tempo beats its metrical relatives (x1/2, x2, x2/3, x3/2) on the posterior."""
    log_bpms = np.log(bpms)

    def at(curve: np.ndarray, bpm: float) -> float:
        return float(np.interp(np.log(bpm), log_bpms, curve, left=0.0, right=0.0))

    clarity = float(np.clip(at(strength, tempo), 0.0, 1.0))
    own = at(posterior, tempo)
    rival = max(at(posterior, tempo * f) for f in (0.5, 2.0, 2.0 / 3.0, 1.5))
    margin = float(np.clip(1.0 - rival / own, 0.0, 1.0)) if own > 0 else 0.0
    regularity = float(np.exp(-((spread / 0.1) ** 2)))
    return clarity * regularity * (0.5 + 0.5 * margin)


def _track(score: np.ndarray, period: float, sustained: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """Beats (fractional frames) at ``period`` through ``score``, the refined period and the
    relative spread of the intervals; None when fewer than 4 beats are found."""
    frames = _dp_beats(_smooth_for_dp(score, period), period, TIGHTNESS)
    if frames.shape[0] < 4:
        return None
    beats = frames.astype(np.float64)
    period, spread = _refine_period(beats)
    return _fill_grid(beats, sustained, period), period, spread


def track_pulse(
    features: SharedFeatures, activations: Activations | None = None
) -> tuple[PulseEvidence, np.ndarray, float, float] | None:
    """The beat grid the rules find, before the learned metrical-level choice.

    ``features``: a :class:`ai.analysis.features.SharedFeatures`; ``activations``: the beat network's
    output on them, whose beat activation then replaces the mel flux as the beat detection
    function, and whose downbeat activation joins the bar-phase evidence (None: flux only).
    Returns (evidence, beats [fractional frames, shape=(B,)], period in frames, relative spread of
    the intervals), or None when there is no pulse (too short, silent, or no periodicity).
    """
    onset = np.asarray(features.onset_env, dtype=np.float64)
    n = onset.shape[0]
    frame_rate = float(features.sr) / float(features.hop_length)
    if n < MIN_SECONDS * frame_rate or not np.isfinite(onset).all() or onset.max() <= 0:
        return None
    rms = np.asarray(features.rms, dtype=np.float64)
    sounding = _sounding(rms)
    where = np.flatnonzero(sounding)
    if where.size == 0 or where[-1] - where[0] < MIN_SECONDS * frame_rate:
        return None
    chroma = np.asarray(features.chroma, dtype=np.float64)
    chroma_sums = ChromaSums.of(chroma)
    low = np.maximum(np.asarray(features.low_onset_env, dtype=np.float64), 0.0)
    flux = mel_flux(features.mel)
    width = int(round(DETREND_SECONDS * frame_rate))
    odf = beat_detection_function(flux, width=width)
    # The tempo and the beat level are read from the flux (the learned activation's periodicity
    # doubled two slow piano chorales in 59 that the flux gets right); the beats are tracked on the
    # learned activation, which peaks on the beat itself in rooms, mastered mixes and soft attacks.
    learned = activations is not None and activations.beat.shape[0] == n
    track_odf = beat_detection_function(activations.beat, width=width) if learned and activations is not None else odf
    down = activations.downbeat if learned and activations is not None else None

    bpms = MIN_BPM * 2.0 ** (np.arange(int(np.log2(MAX_BPM / MIN_BPM) * 240) + 1) / 240.0)
    strength = tempo_strength(odf, frame_rate=frame_rate, bpms=bpms)
    single = tempo_strength(odf, frame_rate=frame_rate, bpms=bpms, harmonics=1)
    # Evidence: the harmonic comb (all metrical multiples of the period) squared, times the
    # period's own autocorrelation; then the prior.
    percussive = percussiveness(flux)
    prior = log_normal_prior(bpms, mode=prior_mode(percussive))
    posterior = np.maximum(strength, 0.0) ** 2 * np.maximum(single, 0.0) * prior
    if posterior.max() <= 0:
        return None
    best = int(np.argmax(posterior))
    if learned and FINE_WINDOW > 0:
        # The flux sets the level; the activation's own periodicity, near it, the exact period.
        near = np.abs(np.log(bpms / bpms[best])) <= np.log(1.0 + FINE_WINDOW)
        fine = tempo_strength(track_odf, frame_rate=frame_rate, bpms=bpms)
        fine = np.where(near, np.maximum(fine, 0.0), -1.0)
        if fine.max() > 0:
            best = int(np.argmax(fine))
    low_odf = detrend(low / _spread(low), int(round(DETREND_SECONDS * frame_rate)))
    beat_score = track_odf + LOW_WEIGHT * low_odf
    sustained = _sustained(rms, sounding)
    tracked = _track(beat_score, 60.0 * frame_rate / bpms[best], sustained)
    if tracked is None:
        return None
    beats, period, spread = tracked
    onset_n, low_n = onset / _spread(onset), low / _spread(low)
    feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)

    # Harmonic-rhythm check: chord changes that strictly alternate between tracked beats
    # (change, no change, change ...) mean the tracked level is half or double the beat.
    alternation = min(-_series_lag_similarity(feats["harm"], 1), _series_lag_similarity(feats["harm"], 2))
    if alternation > ALTERNATION_MIN and beats.shape[0] >= 8:
        tempo0 = 60.0 * frame_rate / period
        factors = [f for f in LEVEL_FACTORS if MIN_BPM <= tempo0 * f <= MAX_BPM]
        # The tracked level is ruled out; half or double, whichever the tempo evidence prefers.
        post = {f: float(np.interp(np.log(tempo0 * f), np.log(bpms), posterior)) for f in factors}
        if post:
            # Metrical levels nest: double = the beats plus their midpoints; half = every other
            # beat, on the phase where the chords change and the bass/kick and accents fall.
            if max(post, key=post.__getitem__) == 2.0:
                beats = np.sort(np.concatenate([beats, beats[:-1] + 0.5 * np.diff(beats)]))
            else:
                beats = beats[downbeat_phase(feats, 2)[0] :: 2]
            period, spread = _refine_period(beats)
            feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    # Phase check from the harmony: chords change on beats. When the strongest chord changes
    # fall half-way between the tracked beats, the tracker has locked onto the off-beats. Only
    # for music whose harmony sounds most of the time (not clicks or sparse percussion).
    half = 0.5 * period
    if (
        beats.shape[0] >= 5
        and _harmony_sustained(chroma)
        and _top_quartile(_chroma_change_at(chroma, beats[:-1] + half, half))
        > OFFBEAT_RATIO * _top_quartile(_chroma_change_at(chroma, beats, half))
    ):
        beats = _fill_grid(beats[:-1] + half, sustained, period)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    # Metrical level from the harmonic rhythm (drum-driven music: chords change with the bar).
    if percussive >= PERCUSSIVE_MIN and beats.shape[0] >= 16:
        duple = duple_subdivision(odf, period)
        level = harmonic_level(chroma_sums, beats, tempo=60.0 * frame_rate / period, duple=duple)
        if level == 0.5:
            beats = beats[downbeat_phase(feats, 2)[0] :: 2]
        elif level == 2.0:
            beats = np.sort(np.concatenate([beats, beats[:-1] + 0.5 * np.diff(beats)]))
        if level != 1.0:
            period, spread = _refine_period(beats)
    evidence = PulseEvidence(
        frame_rate=frame_rate,
        odf=odf,
        low_odf=low_odf,
        beat_score=beat_score,
        onset_n=onset_n,
        low_n=low_n,
        chroma=chroma,
        chroma_sums=chroma_sums,
        sustained=sustained,
        bpms=bpms,
        strength=strength,
        single=single,
        low_strength=tempo_strength(low_odf, frame_rate=frame_rate, bpms=bpms),
        posterior=posterior,
        percussive=percussive,
        downbeat=down,
    )
    return evidence, beats, period, spread


def divide_slow_grid(beats: np.ndarray, feats: dict[str, np.ndarray]) -> tuple[np.ndarray, float, float]:
    """A beat slower than SLOW_TACTUS_BPM is a bar or a half bar counted as one beat (a march or a
    ska tune read in whole notes, a waltz read at the bar, a chorale in half notes): divide it as
    its busiest beats divide, in three (:func:`beat_division`) or else in two. ``beats``
    (fractional frames) and its :func:`_beat_features` -> (beats, period, spread)."""
    factor = 3.0 if beat_division(feats) == 3 else 2.0
    divided = _nested(beats, factor, feats)
    period, spread = _refine_period(divided)
    return divided, period, spread


def estimate_rhythm(
    features: SharedFeatures,
    *,
    level_model: Literal["shipped"] | LevelModel | None = "shipped",
    beat_net: Literal["shipped"] | BeatNet | BeatNetEnsemble | None = "shipped",
) -> RhythmResult:
    """Tempo, beats, downbeats and meter of the analysed audio.

    ``features``: a :class:`ai.analysis.features.SharedFeatures`. ``level_model``: the metrical-level
    model that may move the rules' beat level (see :func:`choose_level`); "shipped" loads
    models/metrical_level.json, None keeps the rules' level. ``beat_net``: the beat and downbeat
    activation network (:mod:`ai.analysis.beat_net`); "shipped" loads models/beat_activation.npz,
    None tracks the mel flux alone.
    """
    net = shipped_beat_net() if beat_net == "shipped" else beat_net
    acts = beat_activations(features, net) if net is not None else None
    pulse = track_pulse(features, acts)
    if pulse is None:
        return RhythmResult.empty()
    evidence, beats, period, spread = pulse
    model = shipped_level_model() if level_model == "shipped" else level_model
    if model is not None and level_model_serves(evidence, beats):
        chosen = choose_level(level_candidates(evidence, beats, period, spread), model)
        beats, period, spread = chosen.beats, chosen.period, chosen.spread
    frame_rate, odf, low_odf, chroma = evidence.frame_rate, evidence.odf, evidence.low_odf, evidence.chroma
    onset_n, low_n, percussive = evidence.onset_n, evidence.low_n, evidence.percussive
    bpms, posterior, strength = evidence.bpms, evidence.posterior, evidence.strength
    down = evidence.downbeat
    feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    if 60.0 * frame_rate / period < SLOW_TACTUS_BPM and beats.shape[0] >= 8:
        beats, period, spread = divide_slow_grid(beats, feats)
        feats = _beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down)
    tempo = 60.0 * frame_rate / period
    if percussive < PERCUSSIVE_MIN and down is None:
        # Soft attacks only (the learned activation is trained to peak on the beat itself): on percussive music the profile's rise is the 93 ms frames seeing a
        # sharp hit coming, and moving back to it put the beats 11 ms early (training songs).
        beats = beats + attack_shift(odf, beats)

    meter = meter_evidence(feats)
    # Four beats per bar unless three is clearly better (4/4 is by far the commoner meter).
    beats_per_bar = 3 if meter[3] > meter[4] + TRIPLE_MARGIN else 4
    time_signature = f"{beats_per_bar}/4"
    # Soft attacks (voices, organ, bowed strings) blur what falls between the beats: only
    # percussive music is read for a division in three.
    division = beat_division(feats) if percussive >= PERCUSSIVE_MIN else 2
    phase, _ = downbeat_phase(feats, beats_per_bar)
    if beats_per_bar == 3 and percussive >= PERCUSSIVE_MIN and dotted_pulse(low_odf, period) and beats.shape[0] >= 8:
        # Three tracked beats per bar, but the kick/bass pulse every 1.5 of them: the tracker
        # counts eighth-note pairs of a 6/8 bar (two dotted-quarter beats). Regrid on the
        # dotted quarters, from the downbeat.
        start = phase % 1.5
        grid = np.arange(start, beats.shape[0] - 1 + 1e-9, 1.5)
        beats = np.interp(grid, np.arange(beats.shape[0], dtype=np.float64), beats)
        period *= 1.5
        tempo = 60.0 * frame_rate / period
        phase = int(round((phase - start) / 1.5))
        division = 3
        beats_per_bar, time_signature = 2, "6/8"
    contrast = harmonic_period(evidence.chroma_sums, beats)
    if time_signature != "6/8" and division == 3 and contrast[2.0] > max(contrast[3.0], contrast[4.0]):
        # Compound duple: beats divided in three, chords changing every two beats: 6/8. (Four
        # such beats to the bar, 12/8, stays 4/4 with beat_division 3: the same beat grid.)
        beats_per_bar, time_signature = 2, "6/8"
        phase, _ = downbeat_phase(_beat_features(beats, onset=onset_n, low=low_n, chroma=chroma, downbeat=down), 2)
    # The attack shift (or the grid's reach back) can put a beat on the first sample a fraction
    # of a frame before it.
    times = np.maximum(beats / frame_rate, 0.0)
    downbeats = times[phase::beats_per_bar]
    # Half from the pulse, half from whether the beats group into bars the way the chords do
    # (octave errors show there, not in the pulse's clarity).
    regularity = float(np.exp(-((spread / 0.1) ** 2)))
    confidence = 0.5 * _confidence(bpms, posterior, strength, tempo, spread) + 0.5 * regularity * (
        metrical_consistency(contrast, bar_beats=(2.0,) if time_signature == "6/8" else (3.0, 4.0))
    )
    return RhythmResult(
        tempo=round(tempo, 1),
        tempo_confidence=round(confidence, 3),
        beat_times=times,
        downbeat_times=downbeats,
        time_signature=time_signature,
        beats_per_bar=beats_per_bar,
        beat_division=division,
    )
