"""Band-limited audio (8 kHz files, phone audio, voice memos) keeps the tempo level of the full band:
how percussive it is is read on the band both share (ai/analysis/rhythm/onsets.py)."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from scipy.signal import butter, sosfilt

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import SharedFeatures, compute_features, first_mel_band_from, mel_bands_below
from ai.analysis.pipeline import to_analysis_rate
from ai.analysis.rhythm import (
    BAND_LIMIT_HZ,
    BAND_LIMITED_RATIO,
    PERCUSSIVE_BAND_HZ,
    band_limited,
    estimate_rhythm,
    mel_flux,
    music_percussiveness,
    percussiveness,
)
from ai.audio.decode import DecodedAudio

SR = 44100


def hats_over_a_noise_bed(bpm: float = 150.0, *, seconds: float = 20.0) -> np.ndarray:
    """Hi-hat eighths (noise above 6 kHz) over a soft kick on every beat and a band of noise
    (200 Hz-3 kHz) that never stops: percussive above 4 kHz, nearly steady below it."""
    rng = np.random.default_rng(0)
    n = int(seconds * SR)
    beat = 60.0 / bpm
    y = 0.01 * sosfilt(butter(2, [200, 3000], "bandpass", fs=SR, output="sos"), rng.standard_normal(n))
    high = butter(4, 6000, "highpass", fs=SR, output="sos")
    t = np.arange(int(0.2 * SR)) / SR
    kick = 0.2 * np.sin(2 * np.pi * (55 + 50 * np.exp(-t * 25)) * t) * np.exp(-t * 12)
    h = np.arange(int(0.04 * SR)) / SR
    for b in range(int(seconds / beat)):
        i = int(b * beat * SR)
        y[i : i + kick.size] += kick[: n - i]
        for half in (0, 1):
            i = int((b + half / 2) * beat * SR)
            y[i : i + h.size] += (sosfilt(high, rng.standard_normal(h.size)) * np.exp(-h * 120))[: n - i]
    out: np.ndarray = (0.8 * y / np.abs(y).max()).astype(np.float32)
    return out


def features_at(y: np.ndarray, rate: int) -> SharedFeatures:
    """The analysis features of ``y`` (at SR) after a trip through ``rate`` Hz, as an 8 kHz file is."""
    if rate != SR:
        y = np.asarray(soxr.resample(y, SR, rate), dtype=np.float32)
    return compute_features(to_analysis_rate(DecodedAudio(y[np.newaxis, :], rate)), ANALYSIS_SR)


@pytest.fixture(scope="module")
def groove() -> np.ndarray:
    return hats_over_a_noise_bed()


def test_the_shared_band_ends_below_an_8k_files_nyquist() -> None:
    assert 0 < mel_bands_below(PERCUSSIVE_BAND_HZ) <= first_mel_band_from(BAND_LIMIT_HZ) < 64
    assert mel_bands_below(PERCUSSIVE_BAND_HZ) == 46  # bands up to 3.41 kHz: phone audio's 3.4 kHz


@pytest.mark.parametrize(("rate", "limited"), [(SR, False), (16000, False), (8000, True)])
def test_8k_audio_is_recognised_as_band_limited(groove: np.ndarray, rate: int, limited: bool) -> None:
    assert band_limited(features_at(groove, rate).mel) is limited


def test_full_band_audio_reads_as_before(groove: np.ndarray) -> None:
    features = features_at(groove, SR)
    flux = mel_flux(features.mel)
    assert music_percussiveness(features.mel, flux) == percussiveness(flux)


def test_an_8k_copy_is_read_below_the_shared_band(groove: np.ndarray) -> None:
    """The 8 kHz copy is read for percussiveness on the band it shares with the original (its flux over
    all bands read 0.26 here against the original's 0.85, which set the prior for the slower level)."""
    full, phone = features_at(groove, SR), features_at(groove, 8000)
    shared = mel_bands_below(PERCUSSIVE_BAND_HZ)
    read = music_percussiveness(phone.mel, mel_flux(phone.mel))
    assert read == pytest.approx(percussiveness(mel_flux(full.mel[:shared]), BAND_LIMITED_RATIO), abs=0.02)
    assert read > percussiveness(mel_flux(phone.mel)) + 0.03


def test_an_8k_copy_of_a_groove_keeps_its_tempo_level(groove: np.ndarray) -> None:
    """Before the shared band, the 8 kHz copy read 75 BPM against the original's 150."""
    full = estimate_rhythm(features_at(groove, SR)).tempo
    phone = estimate_rhythm(features_at(groove, 8000)).tempo
    assert full == pytest.approx(150.0, rel=0.04)
    assert phone == pytest.approx(full, rel=0.04)
