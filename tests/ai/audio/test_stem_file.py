"""Stem files: decoded audio kept on disk and read back by range or block, deleted on close and on error."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ai.audio.decode import DecodedAudio, decode_audio
from ai.audio.stem_file import StemFile, decode_stem, frame_blocks, read_frames, whole, write_stem_file
from utils.errors import UndecodableAudio

SR = 44100


def _wav(path: Path, y: np.ndarray, subtype: str = "FLOAT") -> Path:
    sf.write(path, y.T, SR, subtype=subtype)
    return path


def _signal(n: int, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (0.5 * rng.standard_normal((channels, n))).clip(-1, 1).astype(np.float32)


def _left(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("dawg-stem-*"))


def test_ranges_and_blocks_read_back_what_was_decoded(tmp_path: Path) -> None:
    y = _signal(300_001)
    source = _wav(tmp_path / "in.wav", y)
    expected = decode_audio(source).samples
    stem = decode_stem(source, name="in", max_duration_s=None, directory=tmp_path)
    assert isinstance(stem, StemFile)
    with stem:
        assert stem.shape == (2, 300_001) and stem.sample_rate == SR
        for start, stop in [(0, 1), (5, 70_000), (299_990, 300_001), (299_990, 400_000), (10, 10), (0, 300_001)]:
            part = stem.read(start, stop)
            assert part.dtype == np.float32 and part.flags.c_contiguous
            np.testing.assert_array_equal(part, expected[:, start:stop])
        blocks = list(stem.blocks(65_536))
        assert [b.shape[1] for b in blocks] == [65_536] * 4 + [300_001 - 4 * 65_536]
        np.testing.assert_array_equal(np.concatenate(blocks, axis=1), expected)
        np.testing.assert_array_equal(whole(stem), expected)
        # The helpers read an array and a stem file alike.
        np.testing.assert_array_equal(read_frames(stem, 100, 200), read_frames(expected, 100, 200))
        assert [b.shape for b in frame_blocks(stem, 100_000)] == [b.shape for b in frame_blocks(expected, 100_000)]
        path = stem.path
        assert path.parent == tmp_path and path.stat().st_size == 2 * 300_001 * 4
    assert not path.exists() and _left(tmp_path) == []
    stem.close()  # again: nothing
    with pytest.raises(ValueError, match="closed"):
        stem.read(0, 10)


def test_a_mono_16_bit_file_reads_as_its_decoded_values(tmp_path: Path) -> None:
    y = _signal(50_000, channels=1)
    source = _wav(tmp_path / "mono.wav", y, subtype="PCM_16")
    with decode_stem(source, name="mono", max_duration_s=None, directory=tmp_path) as stem:  # type: ignore[union-attr]
        assert isinstance(stem, StemFile) and stem.channels == 1
        np.testing.assert_array_equal(stem.read(0, 50_000), decode_audio(source).samples)


def test_small_files_stay_in_memory_within_the_budget(tmp_path: Path) -> None:
    source = _wav(tmp_path / "short.wav", _signal(1000))
    kept = decode_stem(source, name="short", max_duration_s=None, directory=tmp_path, in_memory_bytes=2 * 1000 * 4)
    assert isinstance(kept, DecodedAudio) and _left(tmp_path) == []
    spilled = decode_stem(source, name="short", max_duration_s=None, directory=tmp_path, in_memory_bytes=7999)
    assert isinstance(spilled, StemFile)
    spilled.close()


def test_a_file_that_fails_to_decode_leaves_no_stem_file(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    sf.write(buffer, _signal(600_000).T, SR, format="WAV", subtype="PCM_16")
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(buffer.getvalue()[:1_500_000])  # the header promises 2.4 MB of samples
    with pytest.raises(UndecodableAudio, match="truncated"):
        decode_stem(truncated, name="cut", max_duration_s=None, directory=tmp_path)
    assert _left(tmp_path) == []


def test_blocks_that_fail_midway_leave_no_stem_file(tmp_path: Path) -> None:
    def failing() -> Iterator[np.ndarray]:
        yield np.zeros((2, 10), dtype=np.float32)
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="broke"):
        write_stem_file(failing(), channels=2, sample_rate=SR, directory=tmp_path)
    with pytest.raises(ValueError, match="shape"):
        write_stem_file(iter([np.zeros((1, 10), dtype=np.float32)]), channels=2, sample_rate=SR, directory=tmp_path)
    assert _left(tmp_path) == []
