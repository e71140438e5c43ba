"""The mono mixdown's polarity: an inverted channel is flipped, every other file keeps the plain mean bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.analysis.pipeline import _BLOCK_FRAMES, estimate_tempo, summarize_audio, to_analysis_rate
from ai.analysis.signal_pass import summarize
from ai.audio.decode import DecodedAudio
from ai.audio.polarity import flipped_note, mix_down, signs_of, summing_signs
from ai.audio.stem_file import write_stem_file
from ai.generation.accompaniment import mono_at
from tests.ai.analysis.synth import clicks, progression

SR = 22050


def _music(seconds: float = 8.0) -> np.ndarray:
    """[shape=(n,)] float32: chords over a click track at 120 BPM."""
    y, _, _ = progression(["C", "F", "G", "C"], bpm=120.0, repeats=1)
    y = y[: int(seconds * SR)]
    return (0.6 * y + 0.4 * clicks(120.0, y.size / SR)[: y.size]).astype(np.float32)


def _partner(m: np.ndarray, correlation: float, seed: int = 1) -> np.ndarray:
    """A channel of about ``m``'s power whose correlation with ``m`` is about ``correlation``: ``m`` plus white
    noise of its power (a chorus or a wide reverb, as far as the mix's power goes)."""
    noise = np.random.default_rng(seed).standard_normal(m.size).astype(np.float32)
    noise *= np.sqrt(np.mean(m.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))
    out: np.ndarray = (correlation * m + np.sqrt(1 - correlation**2) * noise).astype(np.float32)
    return out


def _decision(samples: np.ndarray) -> tuple[int, ...] | None:
    return signs_of([samples], samples.shape[0])


def test_an_inverted_channel_is_flipped() -> None:
    m = _music()
    assert _decision(np.stack([m, -m])) == (1, -1)
    assert _decision(np.stack([m, -0.7 * m])) == (1, -1)  # inverted and quieter
    assert _decision(np.stack([m, -m, m, -m])) == (1, -1, 1, -1)
    assert _decision(np.stack([m, m, -m])) is None  # keeps a third of the level (-9.5 dB): no cancelling
    assert _decision(np.stack([-m, m])) == (1, -1)  # the first channel keeps its sign


@pytest.mark.parametrize("correlation", [1.0, 0.5, 0.0, -0.4, -0.6])
def test_channels_that_do_not_cancel_keep_the_plain_mean(correlation: float) -> None:
    m = _music()
    samples = np.stack([m, _partner(m, correlation)])
    assert np.corrcoef(samples)[0, 1] == pytest.approx(correlation, abs=0.02)
    assert _decision(samples) is None
    audio = DecodedAudio(samples, SR)
    assert np.array_equal(audio.mono(), samples.mean(axis=0, dtype=np.float32))  # bit for bit, as before


def test_silence_and_one_channel_are_never_flipped() -> None:
    lsb = np.float32(1 / 32768)
    dither = np.where(np.arange(SR) % 2 == 0, lsb, -lsb).astype(np.float32)
    assert _decision(np.stack([dither, -dither])) is None  # 16-bit rounding noise is silence, not a fault
    assert _decision(np.zeros((2, SR), dtype=np.float32)) is None
    assert _decision(_music()[np.newaxis]) is None
    assert summing_signs(np.zeros((2, 2)), 0) is None


def test_the_flipped_mix_is_the_channels_summed_in_phase() -> None:
    m = _music()
    audio = DecodedAudio(np.stack([m, -m]), SR)
    assert audio.channel_signs == (1, -1)
    assert np.array_equal(audio.mono(), m)
    assert np.allclose(mix_down(np.stack([m, m, -m]), (1, 1, -1)), m, atol=1e-7)
    assert np.allclose(mono_at(audio), mono_at(DecodedAudio(m[np.newaxis], SR)), atol=1e-6)  # the accompaniment's
    assert flipped_note((1, -1)) == (
        "the channels cancel when summed (channel 2 is polarity-inverted): analysed with it flipped"
    )
    assert "channels 2, 3 are" in flipped_note((1, -1, -1))


def test_the_signal_pass_decides_once_for_the_whole_file() -> None:
    m = _music()
    samples = np.stack([m, -m])
    block = 4096
    samples[1, 20 * block : 21 * block] = m[20 * block : 21 * block]  # a block in phase: still one decision

    def blocks() -> list[np.ndarray]:
        return [samples[:, i : i + block] for i in range(0, samples.shape[1], block)]

    summary = summarize(blocks, channels=2, sample_rate=SR)
    assert summary.channel_signs == (1, -1)
    flipped = mix_down(samples, (1, -1))
    plain = summarize([flipped[np.newaxis]], channels=1, sample_rate=SR)
    assert np.array_equal(summary.y, plain.y)
    assert summary.zero_crossing_rate == plain.zero_crossing_rate
    # Blocks that can be read only once keep the plain mix (and say nothing).
    assert summarize(iter(blocks()), channels=2, sample_rate=SR).channel_signs is None


@pytest.mark.parametrize("correlation", [1.0, 0.0, -0.4])
def test_the_signal_pass_of_ordinary_stereo_is_unchanged(correlation: float) -> None:
    m = _music()
    samples = np.stack([m, _partner(m, correlation)])
    summary = summarize_audio(DecodedAudio(samples, SR))
    assert summary.channel_signs is None
    old = summarize([samples.mean(axis=0, dtype=np.float32)[np.newaxis]], channels=1, sample_rate=SR)
    assert np.array_equal(summary.y, old.y)


def test_a_long_stem_file_is_mixed_in_phase(tmp_path: Path) -> None:
    m = np.tile(_music(), 4)  # past one block: the block-wise mix
    assert m.size > _BLOCK_FRAMES
    samples = np.stack([m, -m])
    blocks = (samples[:, i : i + 50_000] for i in range(0, m.size, 50_000))
    with write_stem_file(blocks, channels=2, sample_rate=SR, directory=tmp_path) as stem:
        assert np.array_equal(to_analysis_rate(stem), to_analysis_rate(DecodedAudio(m[np.newaxis], SR)))
        assert estimate_tempo(stem) == pytest.approx(120.0, abs=1.0)
    assert estimate_tempo(DecodedAudio(samples, SR)) == pytest.approx(120.0, abs=1.0)
