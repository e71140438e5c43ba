"""Whether a periodic pulse exists at all, before any tempo is read.

The tempo steps always find a best period, even in noise: white noise read 70.7 BPM at confidence
0.38, and the confidence of real music spans 0.13-0.79, so it cannot tell them apart. Here the
onset envelope's periodicity (its autocorrelation read through the harmonic comb of
:func:`ai.analysis.rhythm.tempo.tempo_strength`) is compared with that of surrogates of the same
envelope cut into blocks of ~93 ms and shuffled: the blocks keep each onset's shape and the
envelope's level distribution, the shuffle destroys any period (the shortest, at 250 BPM, spans 10
frames). Stationary noise and random (Poisson) clicks sit inside their surrogates' spread; a beat
stands tens of spreads above it. Rubato and sung music may not (a Beethoven symphony under three
conductors, Schumann's Traumerei: within 3 spreads), so :func:`ai.analysis.rhythm.core.estimate_rhythm`
asks for no pulse only where no notes sound either (:func:`ai.analysis.tonal.notes_sound`).
Measured on every file of the rendered and real sets against generated noise, clicks and drum loops
(bench/README.md, "Session 14: noise").
"""

from __future__ import annotations

import numpy as np

from ai.analysis.rhythm.common import MAX_BPM, MIN_BPM
from ai.analysis.rhythm.onsets import detrend

SURE_STRENGTH = 0.2
"""An envelope whose comb strength reaches this has a pulse without the surrogates (generated noise and
clicks of 2.5-120 s: at most 0.115; 349 of the 417 music files reach it): the test costs one
autocorrelation on most music."""
MIN_SIGNIFICANCE = 6.0
"""A pulse must stand this many surrogate standard deviations above the surrogates' mean comb
strength (generated noise and Poisson clicks: -2.0 to 3.2; noise-burst drum loops reach SURE_STRENGTH).
Music under it (32 of the 415 sounding files: rubato piano, chorales, sax, tiny clips; z -2.6 to 5.5)
all sounds notes."""
LOW_STRENGTH = 0.3
"""A kick under loud noise is a pulse the all-band envelope can miss (a 55 Hz sine-burst kick at 120 BPM
under band-noise stems: z 2.7 there): the kick/bass envelope counts when its comb strength alone reaches
this (that kick 0.54, noise-burst loops 0.66-0.79; generated noise at most 0.16, clicks 0.07, and a slow
sine sweep crossing the low band's bins 0.13 though its surrogates put it at z 9.6, so no surrogates)."""
SURROGATES = 32
BLOCK_FRAMES = 4
"""Surrogate count and block length (frames: 93 ms at 43 frames/s, the STFT window's span)."""
SURROGATE_BATCH = 4
"""Surrogates whose periodicity is computed at once (bounds the memory of a long envelope's transforms)."""
HARMONICS = 4
DETREND_SECONDS = 1.0


def _comb_strength(envelopes: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Largest comb strength over ``periods`` (frames) of each row of ``envelopes`` [shape=(r, n)].

    The autocorrelation is the biased one (divided by n, not n - lag), so that in a clip only a few
    periods long the lags near its length, read from a handful of frame pairs, do not count as
    periodicity (short noise read combs above 1 with the unbiased one)."""
    x = envelopes - envelopes.mean(axis=1, keepdims=True)
    n = x.shape[1]
    max_lag = min(n - 2, int(np.ceil(periods.max() * HARMONICS)) + 2)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(x, size, axis=1)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size, axis=1)[:, : max_lag + 2]
    acf /= np.maximum(acf[:, :1], 1e-12)
    peak = acf.copy()  # each lag raised to its neighbours, as tempo._peak_picked_acf
    peak[:, 1:] = np.maximum(peak[:, 1:], acf[:, :-1])
    peak[:, :-1] = np.maximum(peak[:, :-1], acf[:, 1:])
    total = np.zeros((x.shape[0], periods.shape[0]))
    for k in range(1, HARMONICS + 1):
        lag = np.minimum(k * periods, max_lag)
        low = np.floor(lag).astype(np.int64)
        frac = lag - low
        total += peak[:, low] * (1.0 - frac) + peak[:, low + 1] * frac
    result: np.ndarray = (total / HARMONICS).max(axis=1)
    return result


def _detrended(onset_env: np.ndarray, frame_rate: float) -> np.ndarray | None:
    """The envelope scaled by its spread, minus its 1-s moving average, cut to whole blocks (None: too
    short or flat to read)."""
    env = np.asarray(onset_env, dtype=np.float64)
    n = env.shape[0] // BLOCK_FRAMES * BLOCK_FRAMES
    spread = float(env.std()) if n else 0.0
    if n < 4 * BLOCK_FRAMES or spread <= 0:
        return None
    result: np.ndarray = detrend(env / spread, int(round(DETREND_SECONDS * frame_rate)))[:n]
    return result


def _periods(frame_rate: float) -> np.ndarray:
    result: np.ndarray = 60.0 * frame_rate / np.geomspace(MIN_BPM, MAX_BPM, 240)
    return result


def pulse_strength(onset_env: np.ndarray, frame_rate: float) -> float:
    """The largest comb strength of ``onset_env`` [shape=(n,)] over 40-250 BPM (0 when too short or flat)."""
    odf = _detrended(onset_env, frame_rate)
    return 0.0 if odf is None else float(_comb_strength(odf[None, :], _periods(frame_rate))[0])


def pulse_significance(onset_env: np.ndarray, frame_rate: float) -> float:
    """How far the periodicity of ``onset_env`` [shape=(n,)] stands above that of its block-shuffled
    surrogates, in their standard deviations (inf when the comb strength alone is SURE_STRENGTH or
    more; 0 for an envelope too short or flat to read). Deterministic (a fixed seed)."""
    odf = _detrended(onset_env, frame_rate)
    if odf is None:
        return 0.0
    periods = _periods(frame_rate)
    observed = float(_comb_strength(odf[None, :], periods)[0])
    if observed >= SURE_STRENGTH:
        return float("inf")
    blocks = odf.reshape(-1, BLOCK_FRAMES)
    rng = np.random.default_rng(0)
    # A few surrogates at a time: their padded transforms are 8 MB each for a 30-minute envelope.
    null = np.concatenate(
        [
            _comb_strength(np.stack([blocks[rng.permutation(blocks.shape[0])].ravel() for _ in range(count)]), periods)
            for count in _batches(SURROGATES, SURROGATE_BATCH)
        ]
    )
    return float((observed - null.mean()) / max(float(null.std()), 1e-12))


def _batches(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


def has_periodic_pulse(onset_env: np.ndarray, frame_rate: float) -> bool:
    """Whether ``onset_env`` holds a period that its shuffled surrogates do not (see module doc)."""
    return pulse_significance(onset_env, frame_rate) >= MIN_SIGNIFICANCE


def has_kick_pulse(low_onset_env: np.ndarray, frame_rate: float) -> bool:
    """Whether the kick/bass envelope ``low_onset_env`` [shape=(n,)] beats on its own (LOW_STRENGTH)."""
    return pulse_strength(low_onset_env, frame_rate) >= LOW_STRENGTH
