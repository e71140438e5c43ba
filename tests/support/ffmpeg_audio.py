"""Audio files in the formats FFmpeg decodes for the engine (M4A, WebM, WMA, AMR, ...), made at test time
with PyAV's own encoders from a known signal."""

from __future__ import annotations

import io
import struct
import tempfile
from pathlib import Path

import av
import numpy as np

_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
AMR_NB_FILE = Path(__file__).parents[1] / "data" / "audio" / "sine_440hz_2s_amr_nb.amr"
"""``encode(sine(2.0, 8000, 1), 8000, container="amr", codec="amr_nb")`` as PyAV 18.1.0 wrote it: the wheels of 18.1.1
bundle FFmpeg without opencore's AMR-NB encoder (its decoder, which the engine uses, is still there)."""


def sine(seconds: float, sample_rate: int, channels: int = 2, hz: float = 440.0) -> np.ndarray:
    """np.ndarray [shape=(channels, n), dtype=float32]: a sine at 0.5, each further channel 30 % quieter."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    mono = 0.5 * np.sin(2 * np.pi * hz * t)
    return np.stack([mono * (1.0 - 0.3 * (c % 3)) for c in range(channels)]).astype(np.float32)


def encode(
    samples: np.ndarray,
    sample_rate: int,
    *,
    container: str,
    codec: str,
    bit_rate: int | None = None,
    video: bool = False,
    faststart: bool = False,
) -> bytes:
    """``samples`` (np.ndarray [shape=(channels, n)]) encoded with ``codec`` in FFmpeg's ``container``
    muxer (``ipod``: .m4a, ``mp4``, ``webm``, ``ogg``, ``asf``: .wma, ``amr``, ``adts``, ``caf``).
    ``video``: a tiny black video stream beside the audio; ``faststart``: the index (moov) before the
    samples, as streaming encoders write it (the muxer's default puts it at the end)."""
    if codec == "amr_nb" and not _can_encode(codec):
        assert samples.shape == (1, 16000) and sample_rate == 8000, "only the 2-s mono sine at 8 kHz is kept as a file"
        return AMR_NB_FILE.read_bytes()
    with tempfile.TemporaryDirectory() as folder:  # faststart rewrites the file: a real one, not a buffer
        target = Path(folder) / "out"
        options = {"movflags": "faststart"} if faststart else {}
        with av.open(str(target), "w", format=container, options=options) as out:
            stream = out.add_stream(codec, rate=sample_rate, layout=_LAYOUTS[samples.shape[0]])
            assert isinstance(stream, av.AudioStream)
            if bit_rate is not None:
                stream.bit_rate = bit_rate
            pictures = _video_stream(out) if video else None
            formats = stream.codec_context.codec.audio_formats
            resampler = av.AudioResampler(format=formats[0].name if formats else "fltp", rate=sample_rate)
            step = 1024
            for start in range(0, samples.shape[1], step):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(samples[:, start : start + step]),
                    format="fltp",
                    layout=_LAYOUTS[samples.shape[0]],
                )
                frame.sample_rate, frame.pts = sample_rate, start
                for converted in resampler.resample(frame):
                    out.mux(stream.encode(converted))
                if pictures is not None and start % (sample_rate // 25) < step:
                    out.mux(pictures.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), "rgb24")))
            for converted in resampler.resample(None):
                out.mux(stream.encode(converted))
            out.mux(stream.encode(None))
            if pictures is not None:
                out.mux(pictures.encode(None))
        return target.read_bytes()


def video_only(seconds: float) -> bytes:
    """An MP4 holding a video stream and no audio (a screen recording without sound)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        pictures = _video_stream(out)
        for _ in range(int(seconds * 25)):
            out.mux(pictures.encode(av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), "rgb24")))
        out.mux(pictures.encode(None))
    return buffer.getvalue()


def _video_stream(out: av.container.OutputContainer) -> av.VideoStream:
    pictures = out.add_stream("mpeg4", rate=25)
    assert isinstance(pictures, av.VideoStream)
    pictures.width, pictures.height, pictures.pix_fmt = 64, 48, "yuv420p"
    return pictures


def id3v2(payload: bytes = b"", *, padding: int = 0, footer: bool = False) -> bytes:
    """An ID3v2.4 tag (a title frame, ``padding`` zero bytes, a footer if asked) to put before a file."""
    title = b"440 Hz"
    body = b"TIT2" + _syncsafe(len(title) + 1) + b"\x00\x00" + b"\x03" + title + bytes(padding)
    flags = b"\x10" if footer else b"\x00"
    header = b"ID3\x04\x00" + flags + _syncsafe(len(body))
    return header + body + (b"3DI" + header[3:] if footer else b"") + payload


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


_PARENT_ATOMS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})


def starting_at(data: bytes, kind: bytes) -> bytes:
    """A QuickTime/MP4 file ``data`` without the atoms before its first ``kind`` atom (``ftyp``, and a
    ``wide`` or ``free`` after it): a file as old QuickTime and some recorders write it, starting with
    ``moov`` or ``mdat``. The chunk offsets of every track (``stco``, ``co64``) are moved with the data."""
    at = 0
    while data[at + 4 : at + 8] != kind:
        (size,) = struct.unpack(">I", data[at : at + 4])
        at += size
    rest = bytearray(data[at:])
    _shift_chunk_offsets(rest, 0, len(rest), -at)
    return bytes(rest)


def _shift_chunk_offsets(data: bytearray, start: int, end: int, by: int) -> None:
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind in _PARENT_ATOMS:
            _shift_chunk_offsets(data, at + 8, at + size, by)
        elif kind in (b"stco", b"co64"):
            (count,) = struct.unpack(">I", data[at + 12 : at + 16])
            width, pattern = (4, ">I") if kind == b"stco" else (8, ">Q")
            for entry in range(at + 16, at + 16 + count * width, width):
                (offset,) = struct.unpack(pattern, data[entry : entry + width])
                data[entry : entry + width] = struct.pack(pattern, offset + by)
        at += size


def packet_spans(data: bytes, demuxer: str) -> list[tuple[int, int]]:
    """(byte offset, size) in ``data`` of each packet of its first audio stream (PyAV's ``packet.pos``)."""
    with av.open(io.BytesIO(data), "r", format=demuxer) as container:
        stream = container.streams.audio[0]
        return [(packet.pos, packet.size) for packet in container.demux(stream) if packet.size]


def damage_packets(data: bytes, which: range, demuxer: str = "mov") -> bytes:
    """``data`` with 8 bytes in the middle of each of its audio packets ``which`` overwritten (the AAC decoder
    refuses most such packets, not all: damage it cannot tell from audio is decoded)."""
    damaged = bytearray(data)
    for pos, size in [span for i, span in enumerate(packet_spans(data, demuxer)) if i in which]:
        damaged[pos + size // 2 : pos + size // 2 + 8] = b"\xaa\x55" * 4
    return bytes(damaged)


def _can_encode(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True
