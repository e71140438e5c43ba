"""Decoding, through PyAV's FFmpeg, the formats libsndfile does not read: M4A/MP4/MOV (AAC, ALAC),
WebM/Matroska (Opus, Vorbis), WMA (ASF), raw ADTS AAC, AMR, and CAF or Ogg holding a codec libsndfile
has not got (AAC or ALAC in CAF, FLAC in Ogg).

Only a file whose first bytes name one of these containers gets here (ai/audio/decode.py picks it), and
FFmpeg is given the demuxer that magic number names, so it never probes arbitrary bytes. The checks every
decoded file gets (limits, truncation, NaN) are decode.py's; FFmpeg's own errors come out of here as
UndecodableAudio (422).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import numpy as np

from ai import progress
from utils.errors import UndecodableAudio

BLOCK_FRAMES = 1 << 18
"""Frames per block handed on, as the libsndfile path's (decode.py): FFmpeg's own frames are ~1024."""
CODEC_PADDING_S = 0.1
"""How far a lossy stream's decoded length may fall from its container's duration without being cut:
encoder priming and the last frame's padding (AAC 2048 + 1024 frames, Opus 80 ms of pre-roll, WMA's)."""

_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"})
"""ISO base media brands of still images (an iPhone photo is `ftypheic`): not audio, so 415 as before."""
_ASF_GUID = bytes.fromhex("3026b2758e66cf11")  # the ASF header object's GUID: .wma, .wmv
_ESTIMATED_LENGTH = frozenset({"aac", "amr"})
"""Raw streams without a header: FFmpeg's duration for them is an estimate from the bitrate."""


def demuxer_for(head: bytes) -> str | None:
    """FFmpeg's demuxer for a file that starts with ``head`` in a container libsndfile does not read; None
    for any other file."""
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mov"  # ISO base media (.m4a, .mp4, .mov, .3gp): one FFmpeg demuxer for all
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # EBML: .webm, .mka, .mkv
    if head[:8] == _ASF_GUID:
        return "asf"
    if len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0:
        return "aac"  # ADTS: 12-bit sync and layer 00 (an MPEG audio frame, MP3's, never has layer 00)
    if head.startswith(b"#!AMR"):
        return "amr"  # narrow and wide band
    return None


def fallback_demuxer_for(head: bytes) -> str | None:
    """FFmpeg's demuxer for a container libsndfile reads only some codecs of, to try when libsndfile
    refuses the file: CAF (AAC, or ALAC from other encoders than libsndfile's own) and Ogg holding neither
    Vorbis nor Opus (FLAC, Speex). None otherwise: libsndfile's verdict stands."""
    if head[:4] == b"caff":
        return "caf"
    if head[:4] == b"OggS" and b"\x01vorbis" not in head and b"OpusHead" not in head:
        return "ogg"  # the first page holds the codec's identification header
    return None


@dataclass(frozen=True)
class FfmpegAudio:
    """The first audio stream of an open container, as its decoder gives it."""

    sample_rate: int
    channels: int
    codec: str
    duration_s: float | None
    """The container's duration; None when it gives none (a WebM recorded live) or only estimates it."""
    frames: int
    """Frames the container's duration holds at ``sample_rate``; 0 when it gives none."""
    blocks: Iterator[np.ndarray]
    """np.ndarray [shape=(channels, m), dtype=float32] blocks of up to about BLOCK_FRAMES, in order, once."""


@contextmanager
def open_container(source: bytes | Path, demuxer: str, *, name: str) -> Iterator[FfmpegAudio]:
    """Open ``source`` (file bytes or a path) with FFmpeg's ``demuxer`` and decode its first audio stream.
    Its first frame is decoded here, so the rate and channel count are the decoder's (HE-AAC's header
    gives half the rate). Raises UndecodableAudio (422) for a file that FFmpeg cannot read or that holds
    no audio stream; the blocks raise it for a stream that turns out corrupt."""
    with _ffmpeg_errors(name):
        container = av.open(
            str(source) if isinstance(source, Path) else io.BytesIO(source),
            "r",
            format=demuxer,
            metadata_errors="replace",  # tags are never read: a tag that is not UTF-8 was a 500 (UnicodeDecodeError)
        )
    with container:
        if not container.streams.audio:
            video = " (a video without sound)" if container.streams.video else ""
            raise UndecodableAudio(f"{name}: the file holds no audio stream{video}")
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # FFmpeg knows the codec's name but has no decoder for it
            raise UndecodableAudio(f"{name}: its audio codec cannot be decoded here")
        frames = _fltp_frames(container, stream, name)
        with _ffmpeg_errors(name):
            first = next(frames, None)
        if first is None:  # no frame at all: decode.py calls it truncated or empty
            sample_rate, channels = int(stream.codec_context.sample_rate), int(stream.codec_context.channels)
        else:
            sample_rate, channels = int(first.sample_rate), int(first.layout.nb_channels)
        duration_s = None if demuxer in _ESTIMATED_LENGTH else _duration_s(container, stream)
        promised = round(duration_s * sample_rate) if duration_s else 0
        yield FfmpegAudio(
            sample_rate,
            channels,
            stream.codec_context.name,
            duration_s,
            promised,
            _blocks(first, frames, capacity=promised, name=name),
        )


def _duration_s(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    """The stream's duration (else the container's: Matroska gives the segment's only); None when neither
    gives a length above 0 (a damaged header may say -3 hours)."""
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def _fltp_frames(container: av.container.InputContainer, stream: av.AudioStream, name: str) -> Iterator[av.AudioFrame]:
    """The stream's frames in planar float32, at the stream's own rate and channels (ALAC's integers and
    other sample formats converted by FFmpeg's resampler)."""
    resampler = av.AudioResampler(format="fltp")  # keeps the rate and the layout (any number of channels)
    shape: tuple[str, int, int] | None = None
    for frame in container.decode(stream):
        this = (frame.format.name, frame.layout.nb_channels, frame.sample_rate)
        if shape is None:
            shape = this
        elif this != shape:  # the resampler is set up by the first frame (and passes later ones through)
            raise UndecodableAudio(
                f"{name}: the audio changes from {shape[1]} channels at {shape[2]} Hz ({shape[0]}) to "
                f"{this[1]} channels at {this[2]} Hz ({this[0]}) part way through"
            )
        yield from resampler.resample(frame)
    yield from resampler.resample(None)


def _blocks(
    first: av.AudioFrame | None, frames: Iterator[av.AudioFrame], *, capacity: int, name: str
) -> Iterator[np.ndarray]:
    """``first`` and the rest of ``frames`` gathered into np.ndarray [shape=(channels, m), dtype=float32]
    blocks of about BLOCK_FRAMES, with a job's progress (ai/progress.py) reported per block as the
    libsndfile path does."""
    pending: list[np.ndarray] = [] if first is None else [first.to_ndarray()]
    held = sum(part.shape[1] for part in pending)
    filled = 0
    with _ffmpeg_errors(name):
        while True:
            if capacity:
                progress.report(min(filled / capacity, 1.0))
            else:
                progress.check()
            for frame in frames:
                pending.append(frame.to_ndarray())
                held += pending[-1].shape[1]
                if held >= BLOCK_FRAMES:
                    break
            if not pending:
                return
            block = pending[0] if len(pending) == 1 else np.concatenate(pending, axis=1)
            pending, filled, held = [], filled + held, 0
            yield block


@contextmanager
def _ffmpeg_errors(name: str) -> Iterator[None]:
    """FFmpeg's failures as 422: only files that start like audio containers are given to it."""
    try:
        yield
    except av.FFmpegError as exc:
        reason = exc.strerror or str(exc)
        raise UndecodableAudio(f"{name}: the audio cannot be decoded (truncated or corrupt): {reason}") from exc
