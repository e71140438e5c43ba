"""The formats libsndfile does not read, decoded by FFmpeg (ai/audio/decode_ffmpeg.py) through the same
open_audio/decode_audio with the same checks: formats, truncation, corruption, limits, non-audio."""

from __future__ import annotations

import contextvars
import io
import json
import random
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from ai import progress
from ai.audio import decode_ffmpeg
from ai.audio.decode import decode_audio, open_audio
from tests.support.ffmpeg_audio import damage_packets, encode, id3v2, sine, starting_at, video_only
from utils.errors import PayloadTooLarge, UndecodableAudio, UnsupportedMediaType

SR = 44100
CODEC_SLACK_S = 0.05  # priming and padding a lossy codec adds or leaves


def _dominant_hz(samples: np.ndarray, sample_rate: int) -> float:
    window = samples[len(samples) // 4 :][: 1 << 14]
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    return float(np.argmax(spectrum) * sample_rate / len(window))


@pytest.mark.parametrize(
    ("container", "codec", "sample_rate", "channels", "kwargs"),
    [
        ("ipod", "aac", SR, 2, {}),  # .m4a: voice memos, iTunes
        ("ipod", "alac", SR, 2, {}),  # .m4a, lossless
        ("mp4", "aac", SR, 2, {}),
        ("mp4", "aac", 48000, 2, {"video": True}),  # a phone video's soundtrack
        ("mov", "aac", 48000, 2, {}),
        ("webm", "libopus", 48000, 2, {}),  # a browser's MediaRecorder
        ("matroska", "libopus", 48000, 1, {}),  # .mka
        ("asf", "wmav2", SR, 2, {"bit_rate": 128_000}),  # .wma
        ("amr", "amr_nb", 8000, 1, {}),  # phone voice notes
        ("adts", "aac", SR, 2, {}),  # raw .aac
        ("caf", "alac", SR, 2, {}),  # libsndfile refuses FFmpeg's ALAC in CAF: the fallback
        ("ogg", "flac", SR, 2, {}),  # FLAC in Ogg: libsndfile refuses it, the fallback
        ("ipod", "aac", SR, 6, {}),  # 5.1
    ],
)
def test_every_ffmpeg_format_decodes(
    container: str, codec: str, sample_rate: int, channels: int, kwargs: dict[str, object], tmp_path: Path
) -> None:
    source = sine(2.0, sample_rate, channels)
    data = encode(source, sample_rate, container=container, codec=codec, **kwargs)  # type: ignore[arg-type]
    path = tmp_path / "clip"
    path.write_bytes(data)
    for audio in (decode_audio(data, name="clip"), decode_audio(path, name="clip")):
        assert audio.sample_rate == sample_rate and audio.channels == channels
        assert audio.samples.dtype == np.float32 and audio.samples.flags["C_CONTIGUOUS"]
        assert audio.duration_s == pytest.approx(2.0, abs=CODEC_SLACK_S)
        assert abs(_dominant_hz(audio.samples[0], sample_rate) - 440.0) < 5.0
        middle = audio.samples[0, audio.n_samples // 4 : audio.n_samples * 3 // 4]  # past the edges' transients
        assert np.max(np.abs(middle)) == pytest.approx(0.5, abs=0.05)
        if codec == "alac" or codec == "flac":  # lossless: the samples themselves (16-bit)
            assert np.max(np.abs(audio.samples - source[:, : audio.n_samples])) < 1e-4


def test_ogg_opus_stays_with_libsndfile() -> None:
    # libsndfile 1.2 reads Ogg Opus (WhatsApp and Telegram voice notes): FFmpeg is not asked.
    data = encode(sine(1.0, 48000), 48000, container="ogg", codec="libopus")
    assert decode_ffmpeg.demuxer_for(data[:64]) is None and decode_ffmpeg.fallback_demuxer_for(data[:64]) is None
    assert sf.info(io.BytesIO(data)).subtype == "OPUS"
    audio = decode_audio(data, name="note.opus")
    assert audio.sample_rate == 48000 and audio.duration_s == pytest.approx(1.0, abs=CODEC_SLACK_S)


def test_blocks_are_channel_first_and_cover_the_file_across_block_boundaries() -> None:
    seconds = 2 * decode_ffmpeg.BLOCK_FRAMES / SR + 1.0  # three blocks
    data = encode(sine(seconds, SR), SR, container="ipod", codec="alac")
    with open_audio(data, name="long.m4a") as stream:
        assert (stream.sample_rate, stream.channels) == (SR, 2)
        assert stream.frames >= int(seconds * SR)  # the container's length and a codec's padding: a buffer's size
        shapes = [block.shape for block in stream.blocks]
    assert [s[0] for s in shapes] == [2, 2, 2] and sum(s[1] for s in shapes) == int(seconds * SR)
    samples = decode_audio(data).samples  # read into the padded estimate, then shrunk in place
    assert samples.shape == (2, int(seconds * SR)) and samples.flags["C_CONTIGUOUS"]
    assert samples.base is None or samples.base.size == samples.size  # no second copy, no slack kept


def test_truncated_m4a_is_undecodable() -> None:
    whole = encode(sine(2.0, SR), SR, container="ipod", codec="aac")  # the index (moov) at the end
    for cut in (whole[: len(whole) // 2], whole[:1024]):
        with pytest.raises(UndecodableAudio, match="cannot be decoded"):
            decode_audio(cut, name="cut.m4a")


def test_truncated_faststart_m4a_is_undecodable() -> None:
    # The index comes first, so the samples it lists past the cut are missing: the decoder refuses the cut
    # packet and the demuxer finds no more (half: under 95 % of the 2 s), or nothing of the 2 s the index
    # announces is there (1 kB).
    whole = encode(sine(2.0, SR), SR, container="ipod", codec="aac", faststart=True)
    with pytest.raises(UndecodableAudio, match=r"truncated \(its container announces 2.00 s of aac audio, 0.9"):
        decode_audio(whole[: len(whole) // 2], name="cut.m4a")
    with pytest.raises(UndecodableAudio, match=r"truncated \(its container announces 2.00 s of aac audio"):
        decode_audio(whole[:1024], name="cut.m4a")


def test_truncated_webm_is_undecodable() -> None:
    whole = encode(sine(2.0, 48000), 48000, container="webm", codec="libopus")
    with pytest.raises(UndecodableAudio, match="truncated"):
        decode_audio(whole[: len(whole) // 2], name="cut.webm")


def test_a_webm_recorded_live_is_what_can_be_decoded_of_it() -> None:
    # A live WebM (MediaRecorder's) announces no duration: a cut one is the audio up to the cut, as a
    # streamed WAV with placeholder sizes is.
    whole = encode(sine(2.0, 48000), 48000, container="webm", codec="libopus")
    with open_audio(whole, name="rec.webm") as stream:
        assert stream.frames > 0
    streamed = _without_matroska_duration(whole)
    with open_audio(streamed, name="rec.webm") as stream:
        assert stream.frames == 0
    assert decode_audio(streamed[: len(streamed) // 2], name="rec.webm").duration_s == pytest.approx(1.0, abs=0.1)


def _without_matroska_duration(data: bytes) -> bytes:
    """``data`` with its Segment Info's Duration element (ID 0x4489) turned into a Void (0xEC) element of
    the same size: a WebM as a live recorder leaves it."""
    at = data.index(b"\x44\x89")
    size = data[at + 2] & 0x7F  # a one-byte size field: 0x88 -> 8 bytes of float
    void = b"\xec" + bytes([0x80 | (size + 1)])  # Void: ID, size covering the rest of the old element
    return data[:at] + void + bytes(size + 1) + data[at + 2 + 1 + size :]


def test_corrupt_m4a_is_422_not_415() -> None:
    rng = np.random.default_rng(3)
    junk = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    for head in (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00", b"\x1a\x45\xdf\xa3", b"\xff\xf1\x50\x80", b"#!AMR\n"):
        started = time.perf_counter()
        with pytest.raises(UndecodableAudio):
            decode_audio(head + junk, name="broken")
        assert time.perf_counter() - started < 2.0


def test_tags_that_are_not_utf8_do_not_stop_the_audio() -> None:
    """A tag's bytes are the writer's business (a fuzzed voice memo's stream tag was a 500)."""
    data = encode(sine(1.0, SR), SR, container="ipod", codec="aac")
    assert data.count(b"SoundHandler") == 1  # the audio track's handler name, a stream tag to FFmpeg
    decoded = decode_audio(data.replace(b"SoundHandler", b"\x84" * 12), name="memo.m4a")
    assert abs(decoded.duration_s - 1.0) < CODEC_SLACK_S and _dominant_hz(decoded.mono(), SR) == pytest.approx(
        440, abs=5
    )


def test_files_that_are_not_audio_are_415() -> None:
    rng = np.random.default_rng(4)
    random = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    assert decode_ffmpeg.demuxer_for(random[:64]) is None  # FFmpeg never probes it
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)  # an iPhone photo
    for data in (random, b"plain text, not audio\n" * 50, json.dumps({"a": [1, 2, 3]}).encode(), png, heic):
        started = time.perf_counter()
        with pytest.raises(UnsupportedMediaType, match="not an audio file; send WAV, AIFF, FLAC, MP3"):
            decode_audio(data, name="x.m4a")
        assert time.perf_counter() - started < 2.0


def test_a_video_without_sound_is_422() -> None:
    with pytest.raises(UndecodableAudio, match="no audio stream \\(a video without sound\\)"):
        decode_audio(video_only(1.0), name="screen.mp4")


def test_the_duration_limit_refuses_before_decoding() -> None:
    data = encode(sine(3.0, SR), SR, container="ipod", codec="aac")
    refused = pytest.raises(PayloadTooLarge, match="3 s of audio is longer than the limit of 2 s")
    with refused as info, open_audio(data, name="long.m4a", max_duration_s=2.0):
        pytest.fail("refused on opening, before a block is decoded")
    assert info.value.status_code == 413
    assert decode_audio(data, max_duration_s=3.05).duration_s == pytest.approx(3.0, abs=CODEC_SLACK_S)


def test_the_duration_limit_stops_a_stream_without_a_length_while_decoding() -> None:
    data = encode(sine(3.0, SR), SR, container="adts", codec="aac")  # raw AAC: no length in a header
    too_long = pytest.raises(PayloadTooLarge, match=r"over \d+ s of audio is longer than the limit of 2 s")
    with open_audio(data, name="long.aac", max_duration_s=2.0) as stream, too_long:
        for _ in stream.blocks:
            pass


def test_the_decoded_size_is_bounded_before_decoding() -> None:
    data = encode(sine(1.0, SR, channels=6), SR, container="ipod", codec="aac")
    with pytest.raises(PayloadTooLarge, match="6 channels of 44100 samples decode to"):
        decode_audio(data, name="surround.m4a", max_decoded_bytes=6 * SR * 4 - 1)


def test_nan_samples_are_refused() -> None:
    source = sine(0.5, SR)
    source[0, 1000] = np.nan
    data = encode(source, SR, container="mov", codec="pcm_f32le")  # float PCM in a QuickTime file
    with pytest.raises(UndecodableAudio, match="NaN"):
        decode_audio(data, name="x.mov")


def test_decoding_reports_progress_and_stops_when_cancelled() -> None:
    seconds = 3 * decode_ffmpeg.BLOCK_FRAMES / SR
    data = encode(sine(seconds, SR), SR, container="ipod", codec="alac")

    class Reporter:
        def __init__(self, cancel_after: int) -> None:
            self.fractions: list[float] = []
            self.cancel_after = cancel_after

        def update(self, fraction: float, stage: str | None) -> None:
            self.fractions.append(fraction)
            self.check()

        def check(self) -> None:
            if len(self.fractions) > self.cancel_after:
                raise progress.Cancelled("cancelled")

    watching = Reporter(cancel_after=100)
    context = contextvars.copy_context()
    context.run(progress.attach, watching)
    context.run(decode_audio, data)
    assert watching.fractions[0] == 0.0 and watching.fractions == sorted(watching.fractions)
    assert len(watching.fractions) >= 3 and watching.fractions[-1] > 0.6

    cancelled = Reporter(cancel_after=1)
    context = contextvars.copy_context()
    context.run(progress.attach, cancelled)
    with pytest.raises(progress.Cancelled):
        context.run(decode_audio, data)


def _fuzz(base: bytes, *, seed: int, rounds: int, head_share: float = 0.0) -> Counter[str]:
    """``base`` with bytes overwritten at random (``head_share`` of the rounds in its first 64 bytes, where the
    routing reads), some copies also cut, each decoded: how many decoded and how many were each 4xx. Any
    other exception fails the test."""
    rng = random.Random(seed)
    answers: Counter[str] = Counter()
    for _ in range(rounds):
        damaged = bytearray(base)
        for _ in range(rng.choice([1, 3, 20, 200])):
            span = min(len(damaged), 64) if rng.random() < head_share else len(damaged)
            damaged[rng.randrange(span)] = rng.getrandbits(8)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged))]
        try:
            decoded = decode_audio(bytes(damaged), name="damaged", max_duration_s=60)
            answers["decoded"] += 1
            assert decoded.samples.ndim == 2 and decoded.sample_rate > 0
        except (UndecodableAudio, UnsupportedMediaType, PayloadTooLarge) as exc:
            answers[str(exc.status_code)] += 1
    return answers


@pytest.mark.parametrize(
    ("container", "codec", "sample_rate", "kwargs"),
    [
        ("ipod", "aac", SR, {}),
        ("webm", "libopus", 48000, {}),
        ("asf", "wmav2", SR, {"bit_rate": 128_000}),
        ("mp4", "aac", 48000, {"video": True}),
    ],
)
def test_damaged_files_are_a_4xx_never_another_error(
    container: str, codec: str, sample_rate: int, kwargs: dict[str, Any]
) -> None:
    """Bytes overwritten at random, some files also cut: each decodes or is refused with a 4xx (a fuzz of
    this kind found a tag that was not UTF-8 and a WMA whose header gave a negative length: 500s)."""
    base = encode(sine(1.0, sample_rate), sample_rate, container=container, codec=codec, **kwargs)
    answers = _fuzz(base, seed=7, rounds=80)
    assert answers["422"] > 0, answers  # the damage is seen, not only decoded through


def test_a_header_with_a_negative_length_gives_none() -> None:
    stream = SimpleNamespace(duration=-5000, time_base=Fraction(1, 1000))
    container = SimpleNamespace(duration=None)
    assert decode_ffmpeg._duration_s(container, stream) is None  # type: ignore[arg-type]
    stream.duration = 2500
    assert decode_ffmpeg._duration_s(container, stream) == 2.5  # type: ignore[arg-type]


@pytest.mark.parametrize(("padding", "footer"), [(0, False), (100, True), (200_000, False)])
def test_aac_behind_an_id3_tag_goes_to_ffmpeg(padding: int, footer: bool, tmp_path: Path) -> None:
    """Raw AAC as some recorders and podcast tools write it, an ID3v2 tag first (a large one: cover art)."""
    data = id3v2(encode(sine(2.0, SR), SR, container="adts", codec="aac"), padding=padding, footer=footer)
    assert decode_ffmpeg.demuxer_for(data[:64]) is None  # the tag's first bytes alone say MP3 as often
    path = tmp_path / "episode.aac"
    path.write_bytes(data)
    for audio in (decode_audio(data, name="episode.aac"), decode_audio(path, name="episode.aac")):
        assert (audio.sample_rate, audio.channels) == (SR, 2)
        assert audio.duration_s == pytest.approx(2.0, abs=CODEC_SLACK_S)
        assert abs(_dominant_hz(audio.samples[0], SR) - 440.0) < 5.0


def test_mp3_behind_an_id3_tag_stays_with_libsndfile() -> None:
    buffer = io.BytesIO()
    sf.write(buffer, sine(1.0, SR).T, SR, format="MP3", subtype="MPEG_LAYER_III")
    plain = buffer.getvalue()
    tagged = id3v2(plain, padding=300)
    assert decode_ffmpeg.demuxer_for(tagged[:64]) is None
    assert decode_ffmpeg.demuxer_after_id3(tagged[decode_ffmpeg.id3_tag_end(tagged[:64]) or 0 :][:64]) is None
    assert sf.info(io.BytesIO(tagged)).format == "MP3"
    audio = decode_audio(tagged, name="song.mp3")
    assert np.array_equal(audio.samples, decode_audio(plain, name="song.mp3").samples)
    assert audio.sample_rate == SR and audio.duration_s == pytest.approx(1.0, abs=0.07)


def test_id3_tags_that_are_not_what_they_say() -> None:
    tag = id3v2(padding=20)
    assert decode_ffmpeg.id3_tag_end(tag) == len(tag)
    assert decode_ffmpeg.id3_tag_end(id3v2(footer=True)) == len(id3v2(footer=True))
    assert decode_ffmpeg.id3_tag_end(b"ID3\x04\x00\x00\x00\x00\x80\x00") is None  # not a syncsafe size
    assert decode_ffmpeg.id3_tag_end(b"ID3") is None
    rng = np.random.default_rng(5)
    junk = rng.integers(0, 256, 1 << 16, dtype=np.uint8).tobytes()
    for payload in (b"\xff\xf1" + junk, junk, b""):  # ADTS sync and junk, junk, nothing after the tag
        started = time.perf_counter()
        with pytest.raises(UndecodableAudio):  # an ID3 tag says audio: broken audio, as before
            decode_audio(id3v2(payload), name="x.aac")
        assert time.perf_counter() - started < 2.0


def _mov(container: str, faststart: bool) -> bytes:
    return encode(sine(2.0, 48000), 48000, container=container, codec="aac", faststart=faststart)


@pytest.mark.parametrize(
    ("first", "make"),
    [
        ("moov", lambda: starting_at(_mov("mov", True), b"moov")),  # old QuickTime: the index first
        ("mdat", lambda: starting_at(_mov("mov", False), b"mdat")),  # the samples first, the index last
        ("wide", lambda: starting_at(_mov("mov", False), b"wide")),  # QuickTime's room for a 64-bit mdat
        ("free", lambda: starting_at(_mov("ipod", False), b"free")),
        ("skip", lambda: starting_at(_mov("ipod", False), b"free").replace(b"free", b"skip", 1)),
    ],
)
def test_quicktime_without_ftyp_goes_to_ffmpeg(first: str, make: Any, tmp_path: Path) -> None:
    data = make()
    assert data[4:8] == first.encode() and b"ftyp" not in data[:64]
    assert decode_ffmpeg.demuxer_for(data[:64], len(data)) == "mov"
    path = tmp_path / "take.mov"
    path.write_bytes(data)
    for audio in (decode_audio(data, name="take.mov"), decode_audio(path, name="take.mov")):
        assert (audio.sample_rate, audio.channels) == (48000, 2)
        assert audio.duration_s == pytest.approx(2.0, abs=CODEC_SLACK_S)
        assert abs(_dominant_hz(audio.samples[0], 48000) - 440.0) < 5.0


def test_bytes_after_a_fake_atom_header_are_a_4xx() -> None:
    rng = np.random.default_rng(6)
    junk = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    for kind in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        for size in (8, 4096, len(junk), 1 << 30):  # 1 GiB: more than the file holds
            data = size.to_bytes(4, "big") + kind + junk
            started = time.perf_counter()
            with pytest.raises((UndecodableAudio, UnsupportedMediaType)):
                decode_audio(data, name="x.mov")
            assert time.perf_counter() - started < 2.0
    for not_a_movie in (
        b"Get free samples at our site!\n" * 40,  # 'free' where an atom's type would be: a size of 1.2 GB
        b"\x00\x00\x00\x00moov" + junk,  # a first atom 'to the end of the file' has no index after it
        b"\x00\x00\x00\x08wide\x00\x00\x00\x10\x00junk" + junk,  # what follows is no atom
        b"\x00\x00\x10\x00moov\x00\x00\x20\x00mvhd" + junk,  # a child larger than its moov
    ):
        assert decode_ffmpeg.demuxer_for(not_a_movie[:64], len(not_a_movie)) is None
        with pytest.raises(UnsupportedMediaType, match="not an audio file"):
            decode_audio(not_a_movie, name="x.mov")


def test_one_damaged_packet_is_skipped_and_its_time_kept(caplog: pytest.LogCaptureFixture) -> None:
    # FFmpeg's command line reports the packet and goes on; the whole file was a 422 here.
    clean = encode(sine(2.0, SR), SR, container="ipod", codec="aac")
    damaged = damage_packets(clean, range(40, 41))
    with decode_ffmpeg.open_container(damaged, "mov", name="memo.m4a") as audio:
        assert sum(block.shape[1] for block in audio.blocks) > 0
        assert (audio.damage.packets, audio.damage.skipped) == (88, 1)
    expected = decode_audio(clean, name="memo.m4a")
    with caplog.at_level("WARNING", logger="ai.audio.decode_ffmpeg"):
        decoded = decode_audio(damaged, name="memo.m4a")
    assert "memo.m4a: skipped 1 of 88 packets the decoder refused" in caplog.text
    assert decoded.n_samples == expected.n_samples and decoded.sample_rate == SR  # silence where the packet was
    frame = 1024  # AAC's; packet 40 is the 40th of audio (the first is the encoder's priming)
    assert np.array_equal(decoded.samples[:, : 39 * frame], expected.samples[:, : 39 * frame])
    assert not decoded.samples[:, 39 * frame : 40 * frame].any()
    # the next frame overlaps a stale one; from then on the audio is where it was, not a frame early
    assert np.max(np.abs(decoded.samples[:, 41 * frame :] - expected.samples[:, 41 * frame :])) < 0.01


@pytest.mark.parametrize(
    ("which", "fewest", "most"),
    [
        (range(10, 88, 2), 88, 88),  # every other one: no run of 8, all 88 packets read, then refused
        (range(10, 88), 18, 87),  # the stream goes bad from packet 10: refused once 8 are in a row
        (range(40, 52), 88, 88),  # a dozen in a row (over 5 % of the packets)
    ],
)
def test_a_stream_with_many_damaged_packets_is_422(which: range, fewest: int, most: int) -> None:
    damaged = damage_packets(encode(sine(2.0, SR), SR, container="ipod", codec="aac"), which)
    refused = pytest.raises(UndecodableAudio, match=r"\(truncated or corrupt\): the decoder refused \d+ of \d+ packets")
    with refused as info:
        decode_audio(damaged, name="memo.m4a")
    packets = int(str(info.value).split(" of ")[1].split()[0])
    assert fewest <= packets <= most


def test_the_limits_hold_while_damaged_packets_are_skipped() -> None:
    damaged = damage_packets(encode(sine(3.0, SR), SR, container="adts", codec="aac"), range(21, 22), "aac")
    with decode_ffmpeg.open_container(damaged, "aac", name="long.aac") as audio:
        assert sum(block.shape[1] for block in audio.blocks) > 0 and audio.damage.skipped == 1
    too_long = pytest.raises(PayloadTooLarge, match="longer than the limit of 2 s")
    with open_audio(damaged, name="long.aac", max_duration_s=2.0) as stream, too_long:
        for _ in stream.blocks:
            pass
    assert decode_audio(damaged, name="long.aac").duration_s == pytest.approx(3.0, abs=CODEC_SLACK_S)


@pytest.mark.parametrize(
    "make",
    [
        lambda: id3v2(encode(sine(1.0, SR), SR, container="adts", codec="aac"), padding=100),
        lambda: starting_at(_mov("mov", True), b"moov"),
        lambda: starting_at(_mov("mov", False), b"wide"),
    ],
    ids=["id3-aac", "moov-first", "wide-first"],
)
def test_damaged_files_of_the_new_routes_are_a_4xx_never_another_error(make: Any) -> None:
    """The fuzz above, on an ID3-tagged AAC and QuickTime files without ftyp (the header bytes the routing
    reads are damaged too)."""
    answers = _fuzz(make(), seed=8, rounds=60, head_share=0.2)
    assert answers["decoded"] > 0 and answers["422"] + answers["415"] > 0, answers
