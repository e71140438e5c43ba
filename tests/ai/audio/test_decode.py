"""Decoding every supported format, and the typed errors for bad input."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ai.audio.decode import audio_format_of, decode_audio
from ai.audio.wav_sizes import unsized_data_chunk
from utils.errors import PayloadTooLarge, UndecodableAudio, UnsupportedMediaType

SR = 44100


def _tone(seconds: float = 1.0, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    mono = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    return np.stack([mono * (1.0 - 0.3 * c) for c in range(channels)], axis=1).astype(np.float32)


def _encode(data: np.ndarray, fmt: str, subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, data, SR, format=fmt, subtype=subtype)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "subtype", "tolerance"),
    [
        ("WAV", "PCM_16", 1e-3),
        ("WAV", "FLOAT", 1e-6),
        ("FLAC", "PCM_24", 1e-4),
        ("AIFF", "PCM_16", 1e-3),
        ("OGG", "VORBIS", None),
        ("MP3", "MPEG_LAYER_III", None),
    ],
)
def test_every_supported_format_decodes(fmt: str, subtype: str, tolerance: float | None) -> None:
    source = _tone()
    audio = decode_audio(_encode(source, fmt, subtype), name=f"x.{fmt.lower()}")
    assert audio.sample_rate == SR and audio.channels == 2
    assert audio.samples.dtype == np.float32 and audio.samples.flags["C_CONTIGUOUS"]
    if tolerance is not None:
        assert audio.n_samples == len(source)
        assert np.max(np.abs(audio.samples.T - source)) < tolerance
    else:  # lossy: length within one codec frame padding, level and pitch preserved
        assert abs(audio.n_samples - len(source)) < 3000
        assert np.max(np.abs(audio.samples[0])) == pytest.approx(0.5, abs=0.05)
        spectrum = np.abs(np.fft.rfft(audio.samples[0, 4410 : 4410 + 8192]))
        assert abs(np.argmax(spectrum) * SR / 8192 - 440.0) < 10.0


def test_path_mono_and_multichannel(tmp_path: Path) -> None:
    for channels in (1, 6):
        path = tmp_path / f"c{channels}.wav"
        sf.write(str(path), _tone(0.5, channels), SR)
        audio = decode_audio(path)
        assert audio.channels == channels
        assert audio.mono().shape == (audio.n_samples,)
        assert audio.duration_s == pytest.approx(0.5)


def test_empty_file() -> None:
    with pytest.raises(UndecodableAudio, match="empty"):
        decode_audio(b"")


def test_text_renamed_wav_is_not_audio() -> None:
    with pytest.raises(UnsupportedMediaType):
        decode_audio(b"hello, this is a text file\n" * 20, name="notes.wav")


def test_truncated_wav_is_undecodable() -> None:
    data = _encode(_tone(), "WAV", "PCM_16")
    with pytest.raises(UndecodableAudio):
        decode_audio(data[:30])


@pytest.mark.parametrize("kept", [60, 1000])
def test_an_mp3_cut_within_its_first_frames_says_so(kept: int) -> None:
    # libsndfile answers "File does not exist or is not a regular file (possibly a pipe?)" for an upload that exists.
    data = _encode(_tone(), "MP3", "MPEG_LAYER_III")
    with pytest.raises(UndecodableAudio) as refused:
        decode_audio(data[:kept], name="idea.mp3")
    assert refused.value.detail == (
        "idea.mp3: the audio cannot be decoded (truncated or corrupt): it breaks off or is damaged within its first "
        "frames"
    )


def test_nan_samples_are_refused() -> None:
    source = _tone(0.2)
    source[100, 0] = np.nan
    with pytest.raises(UndecodableAudio, match="NaN"):
        decode_audio(_encode(source, "WAV", "FLOAT"))


def test_header_only_wav_has_no_samples() -> None:
    with pytest.raises(UndecodableAudio):
        decode_audio(_encode(np.zeros((0, 2), dtype=np.float32), "WAV", "PCM_16"))


def test_too_long_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        decode_audio(_encode(_tone(2.0), "WAV", "PCM_16"), max_duration_s=1.0)
    assert info.value.status_code == 413


def test_missing_path_is_undecodable(tmp_path: Path) -> None:
    with pytest.raises(UndecodableAudio):
        decode_audio(tmp_path / "nope.wav")


def test_long_file_decodes_across_blocks_identically_from_path_and_bytes(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    source = (0.3 * rng.standard_normal((SR * 7 + 123, 3))).astype(np.float32)  # > one 2**18-frame block
    path = tmp_path / "long.wav"
    sf.write(str(path), source, SR, subtype="FLOAT")
    from_path = decode_audio(path)
    from_bytes = decode_audio(path.read_bytes())
    assert from_path.samples.shape == (3, len(source))
    np.testing.assert_array_equal(from_path.samples, source.T)
    np.testing.assert_array_equal(from_bytes.samples, from_path.samples)


def test_text_file_given_as_path_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "readme.mp3"
    path.write_text("not audio at all\n" * 10)
    with pytest.raises(UnsupportedMediaType):
        decode_audio(path)


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "AIFF"])
def test_16_bit_pcm_reads_the_same_values_as_libsndfile(fmt: str) -> None:
    # Integers read and scaled by the engine must equal libsndfile's own float conversion, extremes
    # included, across the block boundary (the file is longer than one block).
    rng = np.random.default_rng(0)
    ints = rng.integers(-32768, 32768, size=(7 * SR, 2), dtype=np.int16)
    ints[:2] = [[-32768, 32767], [0, -1]]
    buffer = io.BytesIO()
    sf.write(buffer, ints, SR, format=fmt, subtype="PCM_16")
    data = buffer.getvalue()
    decoded = decode_audio(data)
    expected = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)[0].T
    assert decoded.samples.dtype == np.float32
    assert np.array_equal(decoded.samples, expected)
    assert decoded.samples[0, 0] == -1.0 and decoded.samples[1, 0] == np.float32(32767 / 32768)


def test_decoded_size_is_bounded_before_decoding() -> None:
    from ai.audio.decode import MAX_DECODED_BYTES

    buffer = io.BytesIO()
    sf.write(buffer, np.zeros((44_100, 6), dtype=np.float32), 44_100, format="FLAC")  # 1 s, 6 channels
    data = buffer.getvalue()
    assert decode_audio(data, name="surround.flac").samples.shape == (6, 44_100)
    with pytest.raises(PayloadTooLarge, match="6 channels of 44100 samples decode to 0.0 GB"):
        decode_audio(data, name="surround.flac", max_decoded_bytes=6 * 44_100 * 4 - 1)
    # 30 minutes of 48 kHz stereo fits the default budget; 30 minutes of 44.1 kHz 5.1 does not.
    assert 2 * 48_000 * 1800 * 4 <= MAX_DECODED_BYTES < 6 * 44_100 * 1790 * 4


def _wav(seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    sf.write(
        buffer,
        (np.random.default_rng(0).standard_normal(int(44_100 * seconds)) * 0.1).astype(np.float32),
        44_100,
        format="WAV",
        subtype="PCM_16",
    )
    return buffer.getvalue()


def test_truncated_files_are_refused_and_streamed_headers_are_not() -> None:
    whole = _wav()
    with pytest.raises(UndecodableAudio, match="truncated"):  # was decoded as half the audio, 200
        decode_audio(whole[: len(whole) // 2], name="cut.wav")
    mp3 = io.BytesIO()
    sf.write(mp3, np.zeros(44_100 * 2, dtype=np.float32), 44_100, format="MP3")
    with pytest.raises(UndecodableAudio, match="truncated"):
        decode_audio(mp3.getvalue()[: len(mp3.getvalue()) // 2], name="cut.mp3")
    streamed = bytearray(whole)  # a WAV written to a pipe: sizes left as placeholders
    streamed[4:8] = (0xFFFFFFFF).to_bytes(4, "little")
    streamed[40:44] = (0xFFFFFFFF).to_bytes(4, "little")
    assert decode_audio(bytes(streamed), name="piped.wav").samples.shape == (1, 44_100)


def test_a_wav_whose_recorder_stopped_before_writing_its_sizes_is_read_whole(tmp_path: Path) -> None:
    """A recorder killed mid-take leaves the data chunk's size (and the RIFF size) at 0 with the audio after it:
    libsndfile read 0 frames, and the upload was refused as holding no audio samples. Read from bytes or from a
    file, it is the audio that follows; a chunk with its size, and other files, are read as before."""
    whole = _wav()
    unsized = bytearray(whole)
    unsized[4:8] = bytes(4)
    unsized[40:44] = bytes(4)
    path = tmp_path / "take.wav"
    path.write_bytes(unsized)
    expected = decode_audio(whole, name="whole.wav").samples
    for source in (bytes(unsized), path):
        assert np.array_equal(decode_audio(source, name="take.wav").samples, expected)

    def read(data: bytes) -> Callable[[int, int], bytes]:
        return lambda offset, size: data[offset : offset + size]

    assert unsized_data_chunk(whole[:4096], len(whole), read(whole)) is None
    assert unsized_data_chunk(bytes(unsized)[:4096], len(unsized), read(bytes(unsized))) == {
        40: (len(whole) - 44).to_bytes(4, "little"),
        4: (len(whole) - 8).to_bytes(4, "little"),
    }
    # A writer that updates its sizes now and then, killed after an update: the header says 1,000 bytes of audio
    # and 88,200 follow. libsndfile read the 1,000 (500 samples) and dropped the rest without a word.
    short = bytearray(whole)
    short[40:44] = (1000).to_bytes(4, "little")
    assert np.array_equal(decode_audio(bytes(short), name="short.wav").samples, expected)
    # ... while a file whose audio is followed by another chunk (a DAW's LIST/INFO tags) keeps its sizes.
    info = b"INFOISFT" + (6).to_bytes(4, "little") + b"DAWG\x00\x00"
    tagged = bytearray(whole + b"LIST" + len(info).to_bytes(4, "little") + info)
    tagged[4:8] = (len(tagged) - 8).to_bytes(4, "little")
    assert unsized_data_chunk(bytes(tagged)[:4096], len(tagged), read(bytes(tagged))) is None
    assert np.array_equal(decode_audio(bytes(tagged), name="tagged.wav").samples, expected)
    empty = bytearray(unsized[:44])  # a take stopped before any audio: still no samples
    with pytest.raises(UndecodableAudio, match="no audio samples"):
        decode_audio(bytes(empty), name="empty.wav")


@pytest.mark.parametrize(
    ("fmt", "subtype", "name"),
    [
        ("WAV", "PCM_16", "WAV"),
        ("FLAC", "PCM_16", "FLAC"),
        ("AIFF", "PCM_16", "AIFF"),
        ("MP3", "MPEG_LAYER_III", "MP3"),
    ],
)
def test_audio_is_named_by_its_first_bytes(fmt: str, subtype: str, name: str) -> None:
    assert audio_format_of(_encode(_tone(0.2), fmt, subtype)[:64]) == name


def test_midi_and_text_are_not_audio() -> None:
    assert audio_format_of(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0") is None
    assert audio_format_of(b"just some text") is None
    assert audio_format_of(b"") is None
