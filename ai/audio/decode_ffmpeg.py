"""Decoding, through PyAV's FFmpeg, the formats libsndfile does not read: M4A/MP4/MOV (AAC, ALAC),
WebM/Matroska (Opus, Vorbis), WMA (ASF), raw ADTS AAC (with or without an ID3v2 tag), AMR, and CAF or Ogg
holding a codec libsndfile has not got (AAC or ALAC in CAF, FLAC in Ogg).

Only a file whose first bytes name one of these containers gets here (ai/audio/decode.py picks it), and
FFmpeg is given the demuxer that magic number names, so it never probes arbitrary bytes. The checks every
decoded file gets (limits, truncation, NaN) are decode.py's; FFmpeg's own errors come out of here as
UndecodableAudio (422), except a packet the decoder refuses in an otherwise good stream: it is skipped,
as FFmpeg's command line does, and its time kept as silence (:func:`_fltp_frames`).
"""

from __future__ import annotations

import io
import logging
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

logger = logging.getLogger(__name__)

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
_LEADING_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip"})
"""The atoms a QuickTime file without an ``ftyp`` starts with (old .mov files, some cameras' and phones'
recorders): the index, the samples, or space left for either."""
_ATOM_TYPE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \xa9")
"""What an atom's four-letter type is written in (0xA9: the copyright sign of QuickTime's ``\xa9nam`` tags)."""
_SKIPPABLE_SHARE = 0.05
"""The share of a stream's packets the decoder may refuse, each skipped, before the stream is corrupt
(422): the truncation rule's 95 % (decode.py) counted in packets."""
_BAD_RUN = 8
"""Packets refused one after another that end the decoding at once: the stream has gone bad, not a packet."""


def demuxer_for(head: bytes, length: int | None = None) -> str | None:
    """FFmpeg's demuxer for a file that starts with ``head`` in a container libsndfile does not read; None
    for any other file. ``length``: the file's size in bytes, when known (a first atom must fit in it)."""
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS:
        return "mov"  # ISO base media (.m4a, .mp4, .mov, .3gp): one FFmpeg demuxer for all
    if _starts_with_quicktime_atom(head, length):
        return "mov"  # QuickTime without ftyp: a still image (HEIF, AVIF) always starts with one
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"  # EBML: .webm, .mka, .mkv
    if head[:8] == _ASF_GUID:
        return "asf"
    if _is_adts(head):
        return "aac"
    if head.startswith(b"#!AMR"):
        return "amr"  # narrow and wide band
    return None


def id3_tag_end(head: bytes) -> int | None:
    """Where the payload of a file that starts with an ID3v2 tag begins (10 header bytes, the syncsafe
    size, 10 more for a v2.4 footer); None when ``head`` does not start with one."""
    if len(head) < 10 or head[:3] != b"ID3" or head[3] not in (2, 3, 4) or head[4] == 0xFF:
        return None
    if any(byte & 0x80 for byte in head[6:10]):  # a syncsafe integer's bytes hold 7 bits each
        return None
    size = head[6] << 21 | head[7] << 14 | head[8] << 7 | head[9]
    footer = 10 if head[3] == 4 and head[5] & 0x10 else 0
    return 10 + size + footer


def demuxer_after_id3(payload: bytes) -> str | None:
    """FFmpeg's demuxer for the first bytes after an ID3v2 tag: "aac" for an ADTS frame (a podcast tool's or
    a recorder's .aac; FFmpeg skips the tag itself); None for anything else, an MP3 frame included, which
    stays libsndfile's. Zero bytes of padding a writer left past the tag's size are passed over."""
    payload = payload.lstrip(b"\x00")
    return "aac" if _is_adts(payload) else None


def _is_adts(head: bytes) -> bool:
    """ADTS: 12-bit sync and layer 00 (an MPEG audio frame, MP3's, never has layer 00)."""
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0


def _starts_with_quicktime_atom(head: bytes, length: int | None) -> bool:
    """Whether ``head`` opens with one of the atoms a QuickTime file without ``ftyp`` starts with, of a
    size that fits in the file, followed by what that atom is followed by: a first child atom inside a
    ``moov``; after a ``wide``, ``free`` or ``skip``, the next atom when it lies within ``head``."""
    kind = bytes(head[4:8])
    if len(head) < 16 or kind not in _LEADING_ATOMS:
        return False
    size, header = _atom_size(head, 0)
    if size < header or (length is not None and size > length):
        return False  # 0 (up to the end of the file) cannot be a playable file's first atom either
    if kind == b"moov":
        child, child_header = _atom_size(head, header)
        return _is_atom_type(head[header + 4 : header + 8]) and child_header <= child <= size - header
    if kind != b"mdat" and size + 8 <= len(head):
        following, following_header = _atom_size(head, size)
        return _is_atom_type(head[size + 4 : size + 8]) and (following == 0 or following >= following_header)
    return True


def _atom_size(head: bytes, at: int) -> tuple[int, int]:
    """The size of the atom at ``at`` and its header's (a size field of 1: a 64-bit size follows the type;
    0 when ``head`` ends before it)."""
    size = int.from_bytes(bytes(head[at : at + 4]), "big")
    if size != 1:
        return size, 8
    return (int.from_bytes(bytes(head[at + 8 : at + 16]), "big") if len(head) >= at + 16 else 0), 16


def _is_atom_type(kind: bytes) -> bool:
    return len(kind) == 4 and all(byte in _ATOM_TYPE_BYTES for byte in kind)


def fallback_demuxer_for(head: bytes) -> str | None:
    """FFmpeg's demuxer for a container libsndfile reads only some codecs of, to try when libsndfile
    refuses the file: CAF (AAC, or ALAC from other encoders than libsndfile's own) and Ogg holding neither
    Vorbis nor Opus (FLAC, Speex). None otherwise: libsndfile's verdict stands."""
    if head[:4] == b"caff":
        return "caf"
    if head[:4] == b"OggS" and b"\x01vorbis" not in head and b"OpusHead" not in head:
        return "ogg"  # the first page holds the codec's identification header
    return None


@dataclass
class SkippedPackets:
    """What the decoder refused of a stream so far (:func:`_fltp_frames`)."""

    packets: int = 0
    """Packets of the stream given to the decoder."""
    skipped: int = 0
    """Of them, those it refused, each replaced by a frame of silence."""
    reason: str = ""
    """FFmpeg's word for the first one refused."""


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
    damage: SkippedPackets
    """The packets decoded and those skipped so far (complete once ``blocks`` is exhausted)."""


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
        damage = SkippedPackets()
        frames = _fltp_frames(container, stream, name, damage)
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
            damage,
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


def _fltp_frames(
    container: av.container.InputContainer, stream: av.AudioStream, name: str, damage: SkippedPackets
) -> Iterator[av.AudioFrame]:
    """The stream's frames in planar float32, at the stream's own rate and channels (ALAC's integers and
    other sample formats converted by FFmpeg's resampler).

    A packet the decoder refuses (a few damaged bytes) is skipped, as FFmpeg's command line does, and
    counted in ``damage``; its place in time is kept with silence as long as the frame before (or after)
    it, so what follows stays where it was (a stem beside others). The stream is corrupt (422) when more
    than 5 % of its packets are refused, or as soon as 8 in a row are. The demuxer's errors (a cut or
    unreadable container) are not skipped: they end the decoding as before."""
    resampler = av.AudioResampler(format="fltp")  # keeps the rate and the layout (any number of channels)
    shape: tuple[str, int, int] | None = None
    gap, run, last = 0, 0, 0  # silent frames owed, refusals in a row, the last good frame's length
    for packet in container.demux(stream):
        flushing = packet.size == 0  # the demuxer's last packet of a stream, no data: drains the decoder
        damage.packets += 0 if flushing else 1
        try:
            decoded = stream.decode(packet)
        except av.FFmpegError as exc:
            if isinstance(exc, MemoryError):  # the machine's trouble, not the packet's
                raise
            if flushing:  # nothing of the file's own is lost: what the decoder still held is
                decoded = []
            else:
                damage.skipped, gap, run = damage.skipped + 1, gap + 1, run + 1
                damage.reason = damage.reason or exc.strerror or str(exc)
                if run >= _BAD_RUN:
                    raise _too_damaged(name, damage) from exc
                continue
        run = 0
        for frame in decoded:
            this = (frame.format.name, frame.layout.nb_channels, frame.sample_rate)
            if shape is None:
                shape = this
            elif this != shape:  # the resampler is set up by the first frame (and passes later ones through)
                raise UndecodableAudio(
                    f"{name}: the audio changes from {shape[1]} channels at {shape[2]} Hz ({shape[0]}) to "
                    f"{this[1]} channels at {this[2]} Hz ({this[0]}) part way through"
                )
            if gap:
                yield _silence(gap * (last or frame.samples), frame)
                gap = 0
            last = frame.samples
            yield from resampler.resample(frame)
    yield from resampler.resample(None)
    if damage.skipped > max(1.0, _SKIPPABLE_SHARE * damage.packets):
        raise _too_damaged(name, damage)
    if damage.skipped:
        logger.warning(
            "%s: skipped %d of %d packets the decoder refused (%s)", name, damage.skipped, damage.packets, damage.reason
        )
    # A refused last packet leaves its gap unfilled: nothing follows that its silence would keep in place.


def _silence(samples: int, like: av.AudioFrame) -> av.AudioFrame:
    """``samples`` frames of silence in planar float32 with ``like``'s rate and channel layout."""
    silence = av.AudioFrame.from_ndarray(
        np.zeros((like.layout.nb_channels, samples), dtype=np.float32), format="fltp", layout=like.layout.name
    )
    silence.sample_rate = like.sample_rate
    return silence


def _too_damaged(name: str, damage: SkippedPackets) -> UndecodableAudio:
    return UndecodableAudio(
        f"{name}: the audio cannot be decoded (truncated or corrupt): the decoder refused {damage.skipped} of "
        f"{damage.packets} packets ({damage.reason})"
    )


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
