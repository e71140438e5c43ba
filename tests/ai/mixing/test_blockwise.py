"""Measures and processing made a block at a time give exactly what the whole-signal computation
gives (issue 14: bounded memory with byte-identical answers). The block sizes are shrunk so that
short test signals cross many block boundaries."""

from __future__ import annotations

import io

import numpy as np
import pedalboard
import pytest
import soundfile as sf

from ai.audio import encode, loudness
from ai.mixing import auto_level, board_blocks, channel_strip, dynamics_measure, low_end, mastering
from ai.mixing.measure import track_spectra
from ai.mixing.space_measure import measure_space
from ai.mixing.targets import resolve_target
from tests.ai.mixing.signals import SR, kick, stereo, tone


def _song(seconds: float = 4.0, seed: int = 3) -> np.ndarray:
    """A stereo part with hits, a bass line, noise and some clipping: np.ndarray [shape=(2, n)]."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    mono = (0.4 * np.sin(2 * np.pi * 55.0 * t) * (1 + np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    mono[: kick().size] += kick()[:n]
    mono += (0.05 * rng.standard_normal(n)).astype(np.float32)
    samples = stereo(mono, width_noise=0.2)
    samples[:, n // 3 : n // 3 + 50] = 1.0  # a clipped stretch
    return np.ascontiguousarray(samples, dtype=np.float32)


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(low_end, "BLOCK", 3001)
    monkeypatch.setattr(board_blocks, "BLOCK", 777)
    monkeypatch.setattr(auto_level, "MIX_BLOCK", 5003)
    monkeypatch.setattr(encode, "ENCODE_BLOCK", 999)
    monkeypatch.setattr(dynamics_measure, "FRAMES_AT_ONCE_SAMPLES", 4000)


def test_stereo_mid_measures_equal_those_of_the_mid_signal(small_blocks: None) -> None:
    samples = _song()
    mid = (samples[0] + samples[1]) * np.float32(0.5)
    whole, blocks = track_spectra(mid, SR), track_spectra(samples, SR)
    assert np.array_equal(whole.fine_power, blocks.fine_power)
    assert np.array_equal(whole.spectrum, blocks.spectrum)
    total = float(whole.spectrum.sum())
    for cutoff in (30.0, 80.0, 200.0):
        assert low_end.low_end(mid=samples, sr=SR, cutoff_hz=cutoff, total_power=total) == low_end.low_end(
            mid=mid, sr=SR, cutoff_hz=cutoff, total_power=total
        )
    short = samples[:, :100]
    assert np.array_equal(track_spectra(short, SR).spectrum, track_spectra((short[0] + short[1]) * 0.5, SR).spectrum)


def test_envelope_frames_in_batches_equal_one_pass(small_blocks: None) -> None:
    samples = _song()
    frame = int(round(dynamics_measure.ENVELOPE_FRAME_S * SR))
    n = samples.shape[1] // frame
    frames = samples[:, : n * frame].reshape(2, n, frame)
    peak, power = dynamics_measure._frames(samples, frame)
    assert np.array_equal(peak, np.abs(frames).max(axis=(0, 2)))
    assert np.array_equal(power, np.mean(np.square(frames, dtype=np.float64), axis=(0, 2)))
    assert measure_space(samples=samples, sr=SR).to_dict() == measure_space(samples=samples.copy(), sr=SR).to_dict()


def test_mix_loudness_equals_the_measures_of_the_rendered_mix(small_blocks: None) -> None:
    a, b = _song(seed=1), _song(3.0, seed=2) * np.float32(0.5)
    gains, pans = [-3.0, 2.0], [-0.4, 0.7]
    mix = auto_level.render_mix([a, b], gains, pans)
    stats = auto_level.mix_loudness([a, b], gains, pans, SR)
    assert stats.integrated_lufs == loudness.integrated_loudness(y=mix, sr=SR)
    assert stats.true_peak_dbtp == loudness.true_peak_dbtp(y=mix, sr=SR)


def test_chains_run_by_blocks_equal_one_call(small_blocks: None) -> None:
    samples = _song()
    plugins = channel_strip.eq_plugins({"type": "high_pass", "freq_hz": 80.0}, SR) + [
        pedalboard.PeakFilter(cutoff_frequency_hz=300.0, gain_db=-4.0, q=2.0),
        pedalboard.Compressor(threshold_db=-20.0, ratio=4.0, attack_ms=5.0, release_ms=80.0),
    ]
    whole = pedalboard.Pedalboard(plugins)(samples, SR)  # type: ignore[attr-defined]
    board = pedalboard.Pedalboard(plugins)  # type: ignore[attr-defined]
    assert np.array_equal(board_blocks.run_board(board, samples, SR), whole)
    in_place = samples.copy()
    assert board_blocks.run_board(board, in_place, SR, out=in_place) is in_place
    assert np.array_equal(in_place, whole)


def test_master_in_place_equals_a_new_master(small_blocks: None) -> None:
    spiky = (0.01 * np.random.default_rng(4).standard_normal((2, 4 * SR))).astype(np.float32)
    spiky[:, :: SR // 4] = 0.9  # clicks far above the loudness: the limiter works
    target = resolve_target("streaming")
    drives = []
    for mix in (_song() * np.float32(0.3), spiky):
        out, info = mastering.master_to_target(mix, SR, target=target)
        owned = mix.copy()
        again, info_again = mastering.master_to_target(owned, SR, target=target, in_place=True)
        assert again is owned and np.array_equal(again, out)
        assert info == info_again
        drives.append(info["drive_db"])
    assert drives[0] == 0.0 and drives[1] > 0  # both the gain alone and the limiter


def test_encoding_by_blocks_gives_the_whole_file_bytes(small_blocks: None) -> None:
    samples = _song(2.0) * np.float32(1.5)  # beyond full scale: clipped on the way
    for channels in (1, 2):
        x = np.ascontiguousarray(samples[:channels, :-1])  # an odd length
        for bit_depth, subtype in ((16, "PCM_16"), (24, "PCM_24")):
            data = x.T
            if bit_depth == 16:
                rng = np.random.default_rng(encode.DITHER_SEED)
                dither = rng.random(data.shape, dtype=np.float32)
                dither -= rng.random(data.shape, dtype=np.float32)
                data = data + dither * np.float32(1.0 / 32768.0)
            buffer = io.BytesIO()
            sf.write(buffer, np.clip(data, -1.0, 1.0 - 1.0 / 2 ** (bit_depth - 1)), SR, format="WAV", subtype=subtype)
            assert encode.encode_audio(x, SR, fmt="wav", bit_depth=bit_depth) == buffer.getvalue()


def test_tone_is_unchanged_by_an_empty_chain() -> None:
    samples = stereo(tone(440.0))
    assert channel_strip.process_track(samples, SR, [], in_place=True) is samples


def test_a_stereo_stem_of_two_frames_runs_through_a_chain() -> None:
    # A (2, 2) block: pedalboard could not tell its channels from its samples, and /mixing/render answered 500.
    samples = np.array([[0.5, -0.25], [0.1, 0.2]], dtype=np.float32)
    board = pedalboard.Pedalboard([pedalboard.Gain(gain_db=-6.0)])
    out = board_blocks.run_board(board, samples, SR)
    assert out.shape == (2, 2) and np.allclose(out, samples * 10 ** (-6.0 / 20), atol=1e-6)
