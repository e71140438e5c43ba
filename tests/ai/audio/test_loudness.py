"""Loudness, loudness range and true peak against BS.1770 / EBU reference signals."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from ai.audio import loudness as L


def sine(freq: float, *, sr: int, seconds: float, peak_dbfs: float = 0.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq * t + phase)).astype(np.float64)


def test_k_weighting_matches_bs1770_table_at_48k() -> None:
    sos = L.k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-9)
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(sos[1, :3], [1.0, -2.0, 1.0])
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_reference_tone(sr: int) -> None:
    tone = sine(997, sr=sr, seconds=5)
    # BS.1770: a 0 dBFS 997 Hz sine in one front channel reads -3.01 LUFS ...
    assert L.integrated_loudness(y=tone, sr=sr) == pytest.approx(-3.01, abs=0.05)
    # ... the same sine in both channels of a stereo signal reads 0 LUFS, and a stereo
    # -20 dBFS sine reads -20 LUFS (EBU Tech 3341's 1 kHz calibration).
    assert L.integrated_loudness(y=np.stack([tone, tone]), sr=sr) == pytest.approx(0.0, abs=0.05)
    quiet = sine(1000, sr=sr, seconds=5, peak_dbfs=-20)
    assert L.integrated_loudness(y=np.stack([quiet, quiet]), sr=sr) == pytest.approx(-20.0, abs=0.1)


def test_agrees_with_pyloudnorm_on_shaped_noise() -> None:
    rng = np.random.default_rng(3)
    sr = 44100
    noise = rng.standard_normal((2, sr * 12))
    b, a = scipy.signal.butter(2, [80, 3000], btype="band", fs=sr)
    shaped = scipy.signal.lfilter(b, a, noise, axis=-1)
    envelope = 0.05 + 0.3 * (np.sin(2 * np.pi * 0.2 * np.arange(shaped.shape[1]) / sr) > 0)
    y = shaped * envelope
    ours = L.integrated_loudness(y=y, sr=sr)
    reference = pyloudnorm.Meter(sr).integrated_loudness(y.T)
    # pyloudnorm normalises the K high-pass's numerator (0.047 dB lower than BS.1770's table).
    assert ours == pytest.approx(reference, abs=0.1)


def test_dc_alone_has_no_loudness_and_an_offset_adds_none() -> None:
    sr = 44100
    dc = np.full((2, sr * 10), 0.5, dtype=np.float32)
    # From silence, the K high-pass's step into the offset read -29 LUFS in the first 400 ms block.
    assert L.integrated_loudness(y=dc, sr=sr) is None
    assert float(L.momentary_loudness(y=dc, sr=sr).max()) < L.ABSOLUTE_GATE_LUFS
    tone = sine(1000, sr=sr, seconds=5, peak_dbfs=-20)
    plain = L.integrated_loudness(y=np.stack([tone, tone]), sr=sr)
    assert L.integrated_loudness(y=np.stack([tone, tone]) + 0.3, sr=sr) == pytest.approx(plain, abs=0.01)


def test_gating_ignores_silence_and_far_quieter_parts() -> None:
    sr = 48000
    loud = sine(1000, sr=sr, seconds=10, peak_dbfs=-20)
    stereo = np.stack([loud, loud])
    with_silence = np.concatenate([stereo, np.zeros_like(stereo)], axis=1)
    assert L.integrated_loudness(y=with_silence, sr=sr) == pytest.approx(-20.0, abs=0.1)
    # A part 30 dB quieter sits below the -10 LU relative gate and does not count.
    with_quiet = np.concatenate([stereo, stereo * 10 ** (-30 / 20)], axis=1)
    assert L.integrated_loudness(y=with_quiet, sr=sr) == pytest.approx(-20.0, abs=0.1)
    # A part 6 dB quieter is above the gate and lowers the result (energy mean of -20 and -26).
    with_softer = np.concatenate([stereo, stereo * 10 ** (-6 / 20)], axis=1)
    expected = 10 * math.log10((1 + 10 ** (-0.6)) / 2) - 20
    assert L.integrated_loudness(y=with_softer, sr=sr) == pytest.approx(expected, abs=0.1)


def test_undefined_cases_return_none() -> None:
    sr = 48000
    assert L.integrated_loudness(y=sine(1000, sr=sr, seconds=0.3), sr=sr) is None
    assert L.integrated_loudness(y=np.zeros((2, sr * 2)), sr=sr) is None
    assert L.integrated_loudness(y=sine(1000, sr=sr, seconds=0.5), sr=sr) == pytest.approx(-3.01, abs=0.1)
    stats = L.measure_loudness(y=np.zeros((2, sr)), sr=sr)
    assert stats.integrated_lufs is None
    assert stats.true_peak_dbtp is None and stats.sample_peak_dbfs is None and stats.crest_factor_db is None
    assert stats.short_term_max_lufs is None  # shorter than 3 s
    assert L.loudness_range(y=sine(1000, sr=sr, seconds=2), sr=sr) is None


def test_short_term_and_momentary_maxima_follow_the_loud_part() -> None:
    sr = 48000
    quiet = sine(1000, sr=sr, seconds=6, peak_dbfs=-30)
    loud = sine(1000, sr=sr, seconds=0.6, peak_dbfs=-10)
    y = np.concatenate([quiet, loud, quiet])
    stats = L.measure_loudness(y=np.stack([y, y]), sr=sr)
    assert stats.momentary_max_lufs == pytest.approx(-10.0, abs=0.2)
    # A 3 s window holds 0.6 s at -10 and 2.4 s at -30: 10 log10(0.2 + 0.8 * 0.01) - 10.
    assert stats.short_term_max_lufs == pytest.approx(10 * math.log10(0.2 + 0.8 * 0.01) - 10, abs=0.2)
    assert stats.integrated_lufs is not None and stats.integrated_lufs < -15


def test_loudness_range_ebu_3342_case() -> None:
    # EBU Tech 3342 test 1: 20 s of stereo 1 kHz at -20 dBFS then 20 s at -30 dBFS -> 10 +- 1 LU.
    sr = 48000
    y = np.concatenate([sine(1000, sr=sr, seconds=20, peak_dbfs=-20), sine(1000, sr=sr, seconds=20, peak_dbfs=-30)])
    assert L.loudness_range(y=np.stack([y, y]), sr=sr) == pytest.approx(10.0, abs=1.0)
    steady = sine(1000, sr=sr, seconds=20, peak_dbfs=-20)
    assert L.loudness_range(y=np.stack([steady, steady]), sr=sr) == pytest.approx(0.0, abs=0.1)


def test_true_peak_finds_inter_sample_peak() -> None:
    sr = 44100
    # fs/4 with a 45 degree phase: every sample sits at +-0.707, the waveform peaks at 1.0 between them.
    y = sine(sr / 4, sr=sr, seconds=1, phase=np.pi / 4)
    fade = np.minimum(1.0, np.minimum(np.arange(y.size), np.arange(y.size)[::-1]) / 2000)
    y = y * fade
    assert L.sample_peak_dbfs(y=y, sr=sr) == pytest.approx(-3.01, abs=0.01)
    assert L.true_peak_dbtp(y=y, sr=sr) == pytest.approx(0.0, abs=0.1)


def test_true_peak_search_equals_full_oversampling() -> None:
    rng = np.random.default_rng(7)
    sr = 48000
    y = rng.standard_normal((2, sr * 3)) * np.linspace(0.01, 0.3, sr * 3)
    y[1, 70000] = 1.2  # an isolated spike in one channel
    taps, _, _ = L._interpolator(4)
    full = max(np.abs(scipy.signal.upfirdn(taps, ch, up=4)).max() for ch in y)
    # BS.1770's interpolated positions all lie between the samples: the samples themselves count too (the spike).
    assert L.true_peak(y=y, sr=sr) == pytest.approx(max(full, np.abs(y).max()), rel=1e-6)
    assert L.true_peak(y=y, sr=sr) >= np.abs(y).max()


def test_true_peak_reads_bs1770_annex_2s_filter() -> None:
    """The standard's 4x phases, applied as lfilter does, give the reading (no other design: the Kaiser
    sinc used before read 0.17-0.4 dB under a BS.1770 meter on rendered masters)."""
    rng = np.random.default_rng(3)
    sr = 44100
    y = np.clip(rng.standard_normal((2, sr)) * 0.4, -1.0, 1.0)
    standard = max(np.abs(scipy.signal.lfilter(phase, [1.0], ch)).max() for ch in y for phase in L.BS1770_PHASES)
    assert L.true_peak(y=y, sr=sr) == pytest.approx(max(standard, np.abs(y).max()), rel=1e-6)


def test_sample_peak_rms_crest() -> None:
    sr = 48000
    y = sine(1000, sr=sr, seconds=1, peak_dbfs=-6)
    assert L.sample_peak_dbfs(y=y, sr=sr) == pytest.approx(-6.0, abs=0.01)
    assert L.rms_dbfs(y=y, sr=sr) == pytest.approx(-9.01, abs=0.01)
    assert L.crest_factor_db(y=y, sr=sr) == pytest.approx(3.01, abs=0.01)
    square = np.sign(y)
    assert L.crest_factor_db(y=square, sr=sr) == pytest.approx(0.0, abs=0.05)


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        L.integrated_loudness(y=np.zeros((2, 2, 100)), sr=48000)
    with pytest.raises(ValueError):
        L.integrated_loudness(y=np.zeros((2, 48000)), sr=0)
