"""The beat detection function: the spectral flux of the shared log-compressed mel spectrogram,
scaled and detrended (its 1-second moving average removed), and how percussive the music is,
which sets the mode of the tempo prior (step 1 of :mod:`ai.analysis.rhythm`)."""

from __future__ import annotations

import numpy as np

from ai.analysis.features import first_mel_band_from, mel_bands_below
from ai.analysis.rhythm.common import PRIOR_BPM, _spread

SUSTAINED_PRIOR_BPM = 90.0
"""Mode of the prior for sustained music (choir, organ, strings), whose beat is slower."""
PERCUSSIVE_RATIO = (5.0, 20.0)
"""99th-percentile / median of the onset flux at which music counts as fully sustained / fully
percussive."""
PERCUSSIVE_BAND_HZ = 3500.0
"""Band-limited audio (an 8 kHz file, phone audio, a voice memo: :func:`band_limited`) is read for how
percussive it is below this (the mel bands up to 3.4 kHz, which it shares with the full-band
recording). Its flux over all bands lacks the hi-hats and cymbals above 4 kHz: an 8 kHz copy of a
song read less percussive than the song (0.71 -> 0.33 on a render of data/real_train2@hold),
got another tempo prior, lost the metrical-level model (PERCUSSIVE_MIN) and another tempo level."""
BAND_LIMITED_RATIO = (4.3, 17.1)
"""PERCUSSIVE_RATIO for the flux below PERCUSSIVE_BAND_HZ: the 99th-percentile / median ratio of that
flux is on average 0.857 times the one over all bands (the mean log ratio over 182 tuning items,
rendered and real), so a band-limited copy reads, on average, as percussive as the full band."""
BAND_LIMIT_HZ = 4000.0
BAND_LIMITED_SHARE = 3e-4
"""Audio whose mel bands from BAND_LIMIT_HZ up hold less than this share of the mel magnitude is
band-limited. On the tuning items: 8 kHz copies at most 1.2e-4 (window leakage), the full-band
recordings at least 9.4e-4."""


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


def percussiveness(flux: np.ndarray, bounds: tuple[float, float] | None = None) -> float:
    """0 (sustained: voices, organ, strings) .. 1 (percussive: drums, plucked, struck).

    From how far the onset spikes stand above the flux floor: the ratio of the 99th percentile of
    the mel flux [shape=(n,)] to its median, on a log scale between ``bounds`` (PERCUSSIVE_RATIO
    unless given) [0] and [1].
    """
    median = float(np.median(flux)) if flux.size else 0.0
    if median <= 0:
        return 1.0 if flux.size and float(flux.max()) > 0 else 0.0
    lo, hi = PERCUSSIVE_RATIO if bounds is None else bounds
    ratio = float(np.percentile(flux, 99)) / median
    return float(np.clip(np.log(ratio / lo) / np.log(hi / lo), 0.0, 1.0))


def band_limited(mel: np.ndarray) -> bool:
    """Whether the audio of the shared mel spectrogram ``mel`` [shape=(N_MELS, n)] has (next to) nothing
    from BAND_LIMIT_HZ up (BAND_LIMITED_SHARE of its magnitude): 8 kHz audio, phone audio, a voice memo."""
    total = float(np.sum(mel, dtype=np.float64))
    high = float(np.sum(mel[first_mel_band_from(BAND_LIMIT_HZ) :], dtype=np.float64))
    return total > 0 and high < BAND_LIMITED_SHARE * total


def music_percussiveness(mel: np.ndarray, flux: np.ndarray) -> float:
    """:func:`percussiveness` of the music of the shared mel spectrogram ``mel`` [shape=(N_MELS, n)]
    whose flux over all bands is ``flux`` (:func:`mel_flux`); for band-limited audio
    (:func:`band_limited`), of its flux below PERCUSSIVE_BAND_HZ read against BAND_LIMITED_RATIO,
    what the full-band recording would read on average. Full-band audio reads as before."""
    if not band_limited(mel):
        return percussiveness(flux)
    return percussiveness(mel_flux(mel[: mel_bands_below(PERCUSSIVE_BAND_HZ)]), BAND_LIMITED_RATIO)


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
