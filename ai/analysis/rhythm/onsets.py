"""The beat detection function: the spectral flux of the shared log-compressed mel spectrogram,
scaled and detrended (its 1-second moving average removed), and how percussive the music is,
which sets the mode of the tempo prior (step 1 of :mod:`ai.analysis.rhythm`)."""

from __future__ import annotations

import numpy as np

from ai.analysis.rhythm.common import PRIOR_BPM, _spread

SUSTAINED_PRIOR_BPM = 90.0
"""Mode of the prior for sustained music (choir, organ, strings), whose beat is slower."""
PERCUSSIVE_RATIO = (5.0, 20.0)
"""99th-percentile / median of the onset flux at which music counts as fully sustained / fully
percussive."""


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
