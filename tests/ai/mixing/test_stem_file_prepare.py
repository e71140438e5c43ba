"""Stem files folded, resampled and classified block by block (ai/mixing/measure.py prepare_tracks,
ai/mixing/role_model.py role_features_from_blocks) give the bits the whole arrays give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import StemFile, frame_blocks, whole, write_stem_file
from ai.mixing import measure, role_model
from ai.mixing.measure import TrackInput, close_made, prepare_tracks
from ai.mixing.role_model import role_features


def _file(samples: np.ndarray, sr: int, directory: Path) -> StemFile:
    return write_stem_file(
        frame_blocks(samples, 40_000), channels=samples.shape[0], sample_rate=sr, directory=directory
    )


def _music(n: int, channels: int, seed: int) -> np.ndarray:
    """Decaying tone bursts over noise, different per channel."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 44100
    tone = np.sin(2 * np.pi * 220 * t) * np.exp(-(t % 0.25) * 12)
    return np.stack([tone * (0.5 + 0.1 * c) + 0.01 * rng.standard_normal(n) for c in range(channels)]).astype(
        np.float32
    )


@pytest.mark.parametrize("n", [1, 700, 65_537, 300_001])
@pytest.mark.parametrize(("channels", "sr"), [(1, 44100), (6, 44100), (2, 48000), (1, 22050)])
def test_a_stem_file_is_folded_and_resampled_into_the_samples_of_the_arrays_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int, channels: int, sr: int
) -> None:
    monkeypatch.setattr(measure, "ROLE_READ_BLOCK", 65_536)  # several blocks through one soxr stream
    samples = _music(n, channels, seed=n)
    other = _music(1000, 2, seed=1)  # two stems at 44.1 kHz set the common rate
    tracks = [TrackInput("Kick", DecodedAudio(other, 44100)), TrackInput("Snare", DecodedAudio(other, 44100))]
    (_, _, in_memory) = prepare_tracks([*tracks, TrackInput("Keys", DecodedAudio(samples, sr))])
    source = _file(samples, sr, tmp_path)
    prepared = prepare_tracks([*tracks, TrackInput("Keys", source)])
    from_file = prepared[2]
    assert from_file.made and isinstance(from_file.samples, StemFile)
    assert np.array_equal(whole(from_file.samples), whole(in_memory.samples))
    assert (from_file.notes, from_file.channels_in) == (in_memory.notes, in_memory.channels_in)
    close_made(prepared)
    source.close()
    assert list(tmp_path.iterdir()) == []  # the made file went with close_made


def test_a_stereo_stem_file_at_the_common_rate_is_used_as_it_is(tmp_path: Path) -> None:
    source = _file(_music(5000, 2, seed=3), 44100, tmp_path)
    (prepared,) = prepare_tracks([TrackInput("Keys", source)])
    assert prepared.samples is source and not prepared.made
    source.close()


@pytest.mark.parametrize("n", [600, 3000, 44_100 * 3])
def test_role_features_in_blocks_are_the_bits_of_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int
) -> None:
    samples = _music(n, 2, seed=n)
    monkeypatch.setattr(role_model, "FRAMES_AT_ONCE", 1 << 20)  # the whole STFT at once
    at_once = role_features(samples=samples, sr=44100)
    monkeypatch.setattr(role_model, "FRAMES_AT_ONCE", 7)
    in_blocks = role_features(samples=samples, sr=44100)
    with _file(samples, 44100, tmp_path) as source:
        from_file = role_features(samples=source, sr=44100)
        assert len(list(tmp_path.iterdir())) == 1  # the mono signal's file is gone already
    assert at_once is not None and in_blocks is not None and from_file is not None
    assert np.array_equal(in_blocks, at_once) and np.array_equal(from_file, at_once)
    with pytest.raises(ValueError, match="finite"):
        role_features(samples=np.full((2, n), np.nan, dtype=np.float32), sr=44100)


def test_a_float64_sum_in_pieces_is_numpys_sum_of_the_whole() -> None:
    rng = np.random.default_rng(0)
    values = np.exp(rng.normal(0, 8, 100_003)).astype(np.float32)  # a wide range: every order rounds apart
    for piece in (1, 977, 8192, 30_000):
        total = role_model._SumAsWhole()
        for start in range(0, values.size, piece):
            total.add(values[start : start + piece])
        assert total.result() == float(values.sum(dtype=np.float64))
