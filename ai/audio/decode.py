"""Decoding uploaded or stored audio into float32 sample arrays, with clear errors for bad input.

libsndfile reads WAV, AIFF, FLAC, MP3 and Ogg Vorbis/Opus; the containers it does not read (M4A, MP4,
MOV, WebM, WMA, raw AAC, ...) are decoded by FFmpeg (ai/audio/decode_ffmpeg.py), with the same checks and
errors. The first bytes decide which: an ID3v2 tag is looked past, to tell MP3 (libsndfile) from AAC."""

from __future__ import annotations

import functools
import io
import os
import re
import struct
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ai import progress
from ai.audio import decode_ffmpeg, polarity
from ai.audio.formats import SUPPORTED_FORMATS_TEXT
from ai.audio.wav_sizes import CHUNKS_HEAD_BYTES, SizedHeader, unsized_data_chunk
from utils.errors import PayloadTooLarge, UndecodableAudio, UnsupportedMediaType

MAX_DECODED_BYTES = 1 << 30
"""Decoded float32 samples one file may take (1 GiB: 30 minutes of 48 kHz stereo is 0.69 GB). A
537 kB FLAC of 30 minutes of 6-channel silence decodes to 1.9 GB: the duration limit alone does
not bound memory."""
MIN_SAMPLE_RATE = 4000  # Hz: below this a file cannot hold audio any measure here reads (telephone is 8000)
MAX_SAMPLE_RATE = 768_000  # Hz: the highest rate recorders and converters use; above it the header is corrupt


@dataclass(frozen=True)
class DecodedAudio:
    """Decoded audio. ``samples``: np.ndarray [shape=(channels, n), dtype=float32] in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    @functools.cached_property
    def channel_signs(self) -> polarity.Signs | None:
        """The polarity every mono mix of this audio sums its channels with (None: the plain mean;
        ai/audio/polarity.py), decided once over all of it."""
        n = self.n_samples
        blocks = (self.samples[:, i : i + polarity.BLOCK] for i in range(0, n, polarity.BLOCK))
        return polarity.signs_of(blocks, self.channels)

    def mono(self) -> np.ndarray:
        """np.ndarray [shape=(n,), dtype=float32]: the mean of the channels (a polarity-inverted one
        flipped: :attr:`channel_signs`)."""
        return polarity.mix_down(self.samples, self.channel_signs)


def _looks_like_audio(head: bytes) -> bool:
    """Magic numbers of the containers libsndfile reads (to tell 'not audio' from 'broken audio')."""
    return (
        (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"RF64"))
        or head[:4] in (b"RF64", b"fLaC", b"OggS", b"FORM", b"caff", b"ID3\x03", b"ID3\x04", b"ID3\x02")
        or head[:3] == b"ID3"
        or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0)  # MPEG frame sync
    )


_DEMUXER_FORMATS = {"mov": "MP4/M4A/MOV", "matroska": "WebM/MKV", "asf": "WMA", "aac": "AAC", "amr": "AMR"}


def audio_format_of(head: bytes) -> str | None:
    """The audio format a file that starts with ``head`` (its first 64 bytes or more) is, by its magic
    number, as a person names it ("WAV", "MP3"); None when it starts like none of the formats decoded here.
    For telling a recording sent where MIDI belongs from a damaged MIDI file."""
    demuxer = decode_ffmpeg.demuxer_for(head)
    if demuxer is not None:
        return _DEMUXER_FORMATS.get(demuxer, demuxer.upper())
    if not _looks_like_audio(head):
        return None
    named = {b"RIFF": "WAV", b"RF64": "WAV", b"fLaC": "FLAC", b"OggS": "Ogg", b"FORM": "AIFF", b"caff": "CAF"}
    return named.get(head[:4], "MP3")  # the rest _looks_like_audio knows: an ID3 tag or an MPEG frame


_BLOCK_FRAMES = 1 << 18
"""Frames decoded per block: the interleaved block buffer stays small (~2 MB for stereo) while the
output is filled channel-major, so a long file never exists twice in memory."""


_HEAD_BYTES = 64  # the magic numbers, and an Ogg file's codec identification in its first page
UNKNOWN_FRAMES = 2**62
_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
_PLACEHOLDER_SIZES = frozenset({0, 0xFFFFFFFF, 0x7FFFFFFF})  # what streaming writers leave in the header
_SHORT_STREAM = 0.95  # a compressed stream that yields less than this of the frames its header promised


def _cut_short(handle: sf.SoundFile, promised: int, read: int) -> str:
    """Why the file looks cut off, or "": a WAV/AIFF data chunk longer than the bytes that follow
    it (libsndfile reads what is there and says so in its log), or an MP3/FLAC/OGG stream that
    yields well under the frames its header promised. Streaming writers' placeholder sizes pass."""
    found = _DATA_CHUNK.search(handle.extra_info or "")
    if found:
        declared, present = int(found.group(1)), int(found.group(2))
        if declared not in _PLACEHOLDER_SIZES and declared > present:
            return f"its header announces {declared} bytes of audio, {present} are there"
        return ""
    if handle.format in ("MP3", "MPEG", "FLAC", "OGG") and promised and read < _SHORT_STREAM * promised:
        return f"its header announces {promised} frames, {read} could be read"
    return ""


def _decoded_bytes(channels: int, frames: int) -> int:
    return channels * frames * np.dtype(np.float32).itemsize


def _blocks(handle: sf.SoundFile, *, name: str, max_bytes: int) -> Iterator[np.ndarray]:
    """The frames of an open file, block by block: np.ndarray [shape=(channels, m), dtype=float32].

    16-bit PCM (most WAV, AIFF and FLAC files) is read as integers and scaled here: the same
    values as libsndfile's float conversion (x / 32768, exact in float32) in a fifth of the time.
    Refuses (413) a stream that grows past ``max_bytes`` (a header that under-counted) and (422)
    a block that holds NaN or infinity.
    """
    capacity = max(int(handle.frames), 0) if handle.frames < UNKNOWN_FRAMES else 0
    pcm16 = handle.subtype == "PCM_16"
    filled = 0
    while True:
        if capacity:  # a job's progress (ai/progress.py); a no-op otherwise
            progress.report(min(filled / capacity, 1.0))
        else:
            progress.check()
        block = handle.read(_BLOCK_FRAMES, dtype="int16" if pcm16 else "float32", always_2d=True)
        if len(block) == 0:
            return
        filled += len(block)
        if filled > capacity and _decoded_bytes(handle.channels, filled) > max_bytes:
            raise _too_big(name, handle.channels, filled, max_bytes, at_least=True)
        if pcm16:
            out = np.empty((handle.channels, len(block)), dtype=np.float32)
            np.multiply(block.T, np.float32(1.0 / 32768.0), out=out)
        else:
            out = np.ascontiguousarray(block.T)
            if not np.isfinite(out).all():
                raise UndecodableAudio(f"{name}: the audio holds NaN or infinite samples")
        yield out


def _read_channels_first(blocks: Iterator[np.ndarray], *, channels: int, frames: int) -> np.ndarray:
    """All ``blocks`` in one np.ndarray [shape=(channels, n), dtype=float32] (``frames``: the
    header's count, 0 when unknown; grown when the header under-counted, shrunk in place when it
    over-counted)."""
    out = np.empty((channels, frames), dtype=np.float32)
    filled = 0
    for block in blocks:
        if filled + block.shape[1] > out.shape[1]:  # the header under-counted (some compressed streams)
            out = _grown(out, filled, filled + block.shape[1])
        out[:, filled : filled + block.shape[1]] = block
        filled += block.shape[1]
    if filled < out.shape[1]:  # over-counted (FFmpeg's streams are announced with a codec's padding more)
        _move_to_front(out, filled)
        try:
            out.resize(channels * filled)  # in place: the file is never held twice
        except ValueError:  # refused while anything else refers to the memory (a debugger's frame)
            return out.reshape(-1)[: channels * filled].reshape(channels, filled).copy()
        out = out.reshape(channels, filled)
    return out


def _grown(out: np.ndarray, filled: int, needed: int) -> np.ndarray:
    grown = np.empty((out.shape[0], max(2 * out.shape[1], needed)), dtype=np.float32)
    grown[:, :filled] = out[:, :filled]
    return grown


def _move_to_front(out: np.ndarray, filled: int) -> None:
    """Lay ``out[:, :filled]`` out channel after channel at the start of ``out``'s memory."""
    channels, capacity = out.shape
    flat = out.reshape(-1)
    for channel in range(1, channels):  # each channel moves towards the front: numpy copies an overlap safely
        flat[channel * filled : (channel + 1) * filled] = flat[channel * capacity : channel * capacity + filled]


def _check_sample_rate(name: str, sample_rate: int) -> None:
    if sample_rate < MIN_SAMPLE_RATE:
        raise UndecodableAudio(
            f"{name}: a sample rate of {sample_rate} Hz cannot carry audio to analyse "
            f"(at least {MIN_SAMPLE_RATE} Hz; telephone audio is 8000 Hz)"
        )
    if sample_rate > MAX_SAMPLE_RATE:  # a damaged header: its audio would pass for a sliver of a second
        raise UndecodableAudio(
            f"{name}: its header gives a sample rate of {sample_rate} Hz, above any audio's "
            f"({MAX_SAMPLE_RATE} Hz at most): the file is corrupt"
        )


_WAV_HEADER_BYTES = 64 * 1024
"""How far into a WAV file its format chunk is looked for (behind JUNK, bext or LIST chunks)."""


def _wav_header_rate(source: bytes | Path) -> int | None:
    """The sample rate a RIFF/RIFX/RF64 WAVE file's format chunk gives, as written (unsigned 32 bits), or
    None for another kind of file or no format chunk near the start. libsndfile reads the field as a signed
    int, so a rate of 2**31 Hz or more (or 0) fails its own check with "SF_INFO struct incomplete": the
    engine says what is wrong instead (:func:`_check_sample_rate`)."""
    if isinstance(source, Path):
        try:
            with source.open("rb") as file:
                data = file.read(_WAV_HEADER_BYTES)
        except OSError:
            return None
    else:
        data = source[:_WAV_HEADER_BYTES]
    if data[:4] not in (b"RIFF", b"RIFX", b"RF64", b"BW64") or data[8:12] != b"WAVE":
        return None
    order = ">" if data[:4] == b"RIFX" else "<"
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at : at + 4], struct.unpack_from(f"{order}I", data, at + 4)[0]
        if chunk == b"fmt ":
            return int(struct.unpack_from(f"{order}I", data, at + 12)[0]) if at + 16 <= len(data) else None
        at += 8 + size + (size & 1)
    return None


def _too_big(name: str, channels: int, frames: int, max_bytes: int, *, at_least: bool = False) -> PayloadTooLarge:
    size = _decoded_bytes(channels, frames) / 1e9
    return PayloadTooLarge(
        f"{name}: {channels} channels of {frames} samples decode to {'over ' if at_least else ''}{size:.1f} GB; "
        f"at most {max_bytes / 1e9:.1f} GB a file (fewer channels, a lower sample rate or a shorter file)"
    )


@dataclass(frozen=True)
class AudioStream:
    """An open, checked audio file whose samples are read block by block (:func:`open_audio`)."""

    name: str
    sample_rate: int
    channels: int
    frames: int
    """The header's frame count; 0 when the stream does not say."""
    blocks: Iterator[np.ndarray]
    """np.ndarray [shape=(channels, m), dtype=float32] blocks in order, once. Errors while reading
    come out of it as the same typed errors as :func:`decode_audio`'s, and after the last block
    the file is checked for truncation, emptiness and the duration limit."""


@contextmanager
def open_audio(
    source: bytes | Path,
    *,
    name: str = "audio",
    max_duration_s: float | None = None,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> Iterator[AudioStream]:
    """Open ``source`` (file bytes or a path) for reading block by block, so that a caller that
    needs only something derived from the samples (a mono mix at another rate, block statistics)
    never holds the whole decoded file. Checks and errors are those of :func:`decode_audio`; the
    header's are raised here, the rest while the blocks are read.
    """
    with ExitStack() as opened:
        chunks, length = _read_at(source, 0, name=name, size=CHUNKS_HEAD_BYTES)  # a WAV's chunks before its audio
        head = chunks[:_HEAD_BYTES]
        opener: str | io.BytesIO | SizedHeader = str(source) if isinstance(source, Path) else io.BytesIO(source)
        if not head:
            raise UndecodableAudio(f"{name}: the file is empty")
        patches = unsized_data_chunk(chunks, length, lambda at, size: _read_at(source, at, name=name, size=size)[0])
        if patches is not None:  # a recorder stopped before it wrote the sizes: read the audio that follows
            try:
                raw = opened.enter_context(source.open("rb")) if isinstance(source, Path) else io.BytesIO(source)
            except OSError as exc:
                raise UndecodableAudio(f"{name}: cannot read file ({exc.strerror})") from exc
            opener = SizedHeader(raw, patches)
        yield from _open_stream(source, opener, head, length, name=name, limits=(max_duration_s, max_decoded_bytes))


def _open_stream(
    source: bytes | Path,
    opener: str | io.BytesIO | SizedHeader,
    head: bytes,
    length: int,
    *,
    name: str,
    limits: tuple[float | None, int],
) -> Iterator[AudioStream]:
    """:func:`open_audio`'s stream of ``source``, read through ``opener`` where libsndfile reads it."""
    max_duration_s, max_decoded_bytes = limits
    demuxer = decode_ffmpeg.demuxer_for(head, length)
    tag_end = decode_ffmpeg.id3_tag_end(head)
    if demuxer is None and tag_end is not None and tag_end < length:  # ID3 mostly means MP3, but not always
        demuxer = decode_ffmpeg.demuxer_after_id3(_read_at(source, tag_end, name=name)[0])
    if demuxer is None:
        try:
            with _libsndfile_errors(name, head):
                handle = sf.SoundFile(opener)
        except (UnsupportedMediaType, UndecodableAudio):
            demuxer = decode_ffmpeg.fallback_demuxer_for(head)  # a codec libsndfile lacks in a container it reads
            if demuxer is None:
                rate = _wav_header_rate(source)  # a rate libsndfile cannot hold: "SF_INFO struct incomplete"
                if rate is not None:
                    _check_sample_rate(name, rate)
                raise
    if demuxer is not None:
        with _ffmpeg_stream(source, demuxer, name=name, limits=(max_duration_s, max_decoded_bytes)) as stream:
            yield stream
        return
    with handle:
        sample_rate = int(handle.samplerate)
        _check_sample_rate(name, sample_rate)
        frames = handle.frames
        known = 0 < frames < UNKNOWN_FRAMES  # a FLAC stream of unknown length says 2**63 - 1
        if max_duration_s is not None and known and frames / sample_rate > max_duration_s:
            raise _too_long(name, frames / sample_rate, max_duration_s)
        if known and _decoded_bytes(handle.channels, frames) > max_decoded_bytes:
            raise _too_big(name, handle.channels, frames, max_decoded_bytes)

        def checked_blocks() -> Iterator[np.ndarray]:
            read = 0
            with _libsndfile_errors(name, head):
                for block in _blocks(handle, name=name, max_bytes=max_decoded_bytes):
                    read += block.shape[1]
                    yield block
                cut = _cut_short(handle, frames if known else 0, read)
            if cut:
                raise UndecodableAudio(f"{name}: the file is truncated ({cut})")
            if read == 0:
                raise UndecodableAudio(f"{name}: the file holds no audio samples")
            if max_duration_s is not None and read / sample_rate > max_duration_s:
                raise _too_long(name, read / sample_rate, max_duration_s)

        yield AudioStream(name, sample_rate, int(handle.channels), frames if known else 0, checked_blocks())


def _read_at(source: bytes | Path, offset: int, *, name: str, size: int = _HEAD_BYTES) -> tuple[bytes, int]:
    """The first ``size`` bytes of ``source`` from ``offset`` on (the magic numbers), and its length."""
    if not isinstance(source, Path):
        return source[offset : offset + size], len(source)
    try:
        with source.open("rb") as file:
            file.seek(offset)
            return file.read(size), os.fstat(file.fileno()).st_size
    except OSError as exc:
        raise UndecodableAudio(f"{name}: cannot read file ({exc.strerror})") from exc


@contextmanager
def _libsndfile_errors(name: str, head: bytes) -> Iterator[None]:
    """libsndfile's failures as 415 (not audio at all) or 422 (audio, but broken)."""
    try:
        yield
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        if not _looks_like_audio(head):
            raise UnsupportedMediaType(f"{name}: not an audio file; send {SUPPORTED_FORMATS_TEXT}") from exc
        reason = getattr(exc, "error_string", None) or str(exc)
        if getattr(exc, "code", None) == _SF_ERR_SYSTEM:  # an MP3 cut within its first frames, not a missing file
            reason = "it breaks off or is damaged within its first frames"
        raise UndecodableAudio(f"{name}: the audio cannot be decoded (truncated or corrupt): {reason}") from exc


_SF_ERR_SYSTEM = 7
"""libsndfile's code for "File does not exist or is not a regular file (possibly a pipe?)": what it answers for an
MP3 of a frame or two (the first 60-1,000 bytes of one), whose upload exists and is regular."""


def _too_long(name: str, seconds: float, max_duration_s: float, *, at_least: bool = False) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"{name}: {'over ' if at_least else ''}{seconds:.0f} s of audio is longer than the limit of "
        f"{max_duration_s:.0f} s (setting DAWG_AI_MAX_AUDIO_DURATION_S)"
    )


@contextmanager
def _ffmpeg_stream(
    source: bytes | Path, demuxer: str, *, name: str, limits: tuple[float | None, int]
) -> Iterator[AudioStream]:
    """:func:`open_audio` of a container libsndfile does not read, decoded by FFmpeg
    (ai/audio/decode_ffmpeg.py), with the checks the libsndfile path makes. ``limits``: the duration
    (None: no limit) and the decoded bytes.

    The container's duration stands for the header's frame count: the limits refuse it before decoding,
    and a stream that yields well under it is truncated (422). A stream whose container gives no
    duration (a WebM recorded live, raw ADTS AAC or AMR) is what can be decoded of it; the limits stop it
    as soon as it passes them."""
    max_duration_s, max_bytes = limits
    with decode_ffmpeg.open_container(source, demuxer, name=name) as audio:
        _check_sample_rate(name, audio.sample_rate)
        padding = round(decode_ffmpeg.CODEC_PADDING_S * audio.sample_rate)
        known_s = audio.duration_s
        if (
            max_duration_s is not None
            and known_s is not None
            and known_s - decode_ffmpeg.CODEC_PADDING_S > max_duration_s
        ):
            raise _too_long(name, known_s, max_duration_s)
        if _decoded_bytes(audio.channels, audio.frames) > max_bytes:
            raise _too_big(name, audio.channels, audio.frames, max_bytes)

        def checked_blocks() -> Iterator[np.ndarray]:
            read = 0
            for block in audio.blocks:
                read += block.shape[1]
                if _decoded_bytes(audio.channels, read) > max_bytes:
                    raise _too_big(name, audio.channels, read, max_bytes, at_least=True)
                if max_duration_s is not None and read / audio.sample_rate > max_duration_s:
                    raise _too_long(name, read / audio.sample_rate, max_duration_s, at_least=True)
                if not np.isfinite(block).all():
                    raise UndecodableAudio(f"{name}: the audio holds NaN or infinite samples")
                yield block
            if audio.frames and read < _SHORT_STREAM * audio.frames - padding:
                raise UndecodableAudio(
                    f"{name}: the file is truncated (its container announces {audio.duration_s:.2f} s of "
                    f"{audio.codec} audio, {read / audio.sample_rate:.2f} s could be decoded)"
                )
            if read == 0:
                raise UndecodableAudio(f"{name}: the file holds no audio samples")

        # an upper bound of the decoded length (priming and padding): a caller's buffer never has to grow
        estimate = audio.frames + padding if audio.frames else 0
        yield AudioStream(name, audio.sample_rate, audio.channels, estimate, checked_blocks())


def decode_audio(
    source: bytes | Path,
    *,
    name: str = "audio",
    max_duration_s: float | None = None,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> DecodedAudio:
    """Decode ``source`` (file bytes or a path) into a :class:`DecodedAudio`.

    A path is decoded from the file itself (not read into memory first), and decoding goes block
    by block into the channel-major result, so peak memory is about the decoded size.

    Raises UnsupportedMediaType (415) when it is not audio, UndecodableAudio (422) when it is
    empty, truncated, corrupt or holds NaN/inf samples, PayloadTooLarge (413) when it is longer
    than ``max_duration_s`` or would decode to more than ``max_decoded_bytes`` of float32 samples
    (checked on the header before decoding, and again while decoding a stream the header
    under-counts).
    """
    with open_audio(source, name=name, max_duration_s=max_duration_s, max_decoded_bytes=max_decoded_bytes) as stream:
        return read_stream(stream)


def read_stream(stream: AudioStream) -> DecodedAudio:
    """All of an open stream's blocks in one :class:`DecodedAudio`."""
    samples = _read_channels_first(stream.blocks, channels=stream.channels, frames=stream.frames)
    return DecodedAudio(np.ascontiguousarray(samples), stream.sample_rate)
