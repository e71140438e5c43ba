"""The one pass over the full-rate signal, and the analysis straight from a decoder."""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.pipeline import _resample, analyze, analyze_file
from ai.analysis.signal_pass import summarize
from ai.audio.decode import decode_audio
from ai.audio.loudness import measure_loudness
from utils.errors import PayloadTooLarge, UndecodableAudio


def _music(sr: int = 44100, seconds: float = 6.0) -> np.ndarray:
    """[shape=(2, n)] float32: a chord over eighth-note clicks, the right channel a little quieter."""
    t = np.arange(int(sr * seconds)) / sr
    y = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63))
    clicks = np.zeros_like(t)
    for start in np.arange(0.0, seconds, 0.25):
        i = int(start * sr)
        clicks[i : i + 300] += np.random.default_rng(int(start * 4)).standard_normal(min(300, len(t) - i)) * 0.1
    mono = (y + clicks).astype(np.float32)
    return np.stack([mono, 0.8 * mono])


@pytest.mark.parametrize(("sr", "block"), [(44100, 262144), (48000, 9999), (22050, 4096)])
def test_summary_matches_the_whole_signal(sr: int, block: int) -> None:
    samples = _music(sr)
    samples[0, 5000:5003] = 1.0  # three clipped samples
    summary = summarize(
        (samples[:, i : i + block] for i in range(0, samples.shape[1], block)), channels=2, sample_rate=sr
    )
    mono = samples.mean(axis=0, dtype=np.float32)
    assert np.array_equal(summary.y, _resample(mono, sr))  # one soxr stream == one call
    assert summary.y.size == pytest.approx(samples.shape[1] * ANALYSIS_SR / sr, abs=2)
    signs = np.signbit(mono)
    assert summary.zero_crossing_rate == np.count_nonzero(signs[1:] != signs[:-1]) / (mono.size - 1)
    assert summary.peak == float(np.abs(samples).max())
    assert summary.clipped == 3
    # The RMS sums the same per-stretch energies in another grouping: equal to the last bits.
    assert asdict(summary.loudness) == pytest.approx(asdict(measure_loudness(y=samples, sr=sr)), rel=1e-12)
    assert summary.n_samples == samples.shape[1] and summary.channels == 2


def _wav(samples: np.ndarray, sr: int = 44100) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples.T, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_analyze_file_equals_decode_then_analyze(tmp_path: Path) -> None:
    path = tmp_path / "music.wav"
    path.write_bytes(_wav(_music()))
    assert analyze_file(path) == analyze(decode_audio(path))


def test_analyze_file_keeps_the_decoders_errors() -> None:
    data = _wav(_music())
    with pytest.raises(UndecodableAudio, match="truncated"):
        analyze_file(data[: len(data) // 2], name="cut.wav")
    with pytest.raises(PayloadTooLarge, match="DAWG_AI_MAX_AUDIO_DURATION_S"):
        analyze_file(data, name="long.wav", max_duration_s=2.0)


def test_a_pass_whose_blocks_fail_leaves_no_meter_running(monkeypatch: pytest.MonkeyPatch) -> None:
    from ai.analysis import signal_pass

    started: list[signal_pass._MeterFeed] = []
    original = signal_pass._MeterFeed.__init__

    def remember(self: signal_pass._MeterFeed, meter: object) -> None:
        original(self, meter)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(signal_pass._MeterFeed, "__init__", remember)
    samples = _music()

    def failing() -> object:
        yield from (samples[:, i : i + 1000] for i in range(0, 40_000, 1000))
        raise UndecodableAudio("cut.wav: the file is truncated")

    with pytest.raises(UndecodableAudio, match="truncated"):
        summarize(failing(), channels=2, sample_rate=44100)  # type: ignore[arg-type]
    assert len(started) == 1 and started[0].result.done() and started[0].result.result() is None


def test_a_meter_that_fails_fails_the_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from ai.audio.loudness_meter import LoudnessMeter

    def broken(self: LoudnessMeter, block: np.ndarray) -> None:
        raise FloatingPointError("meter broke")

    monkeypatch.setattr(LoudnessMeter, "feed", broken)
    samples = _music(seconds=20.0)
    with pytest.raises(FloatingPointError, match="meter broke"):
        # 16 blocks may wait in the queue: the 17th put finds the meter stopped, or the summary's loudness
        # raises the meter's error when read
        summary = summarize(
            (samples[:, i : i + 500] for i in range(0, samples.shape[1], 500)), channels=2, sample_rate=44100
        )
        summary.loudness  # noqa: B018
