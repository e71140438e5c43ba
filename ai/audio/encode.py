"""Audio as a file: WAV or FLAC, 16 bit (TPDF dither, seeded: the same samples give the
same bytes) or 24 bit, written a block at a time from an array or a stem file (:func:`encode_audio`,
:func:`encode_audio_file`, :func:`encode_into`). The render's mix and the generators' previews are
delivered with it.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import IO

import numpy as np
import soundfile as sf

from ai.audio.stem_file import Frames, read_frames
from utils.errors import InvalidParameter
from utils.scratch import scratch_space

DITHER_SEED = 0
"""Seed of the 16-bit TPDF dither: the same stems give byte-identical files."""
ENCODE_BLOCK = 1 << 18
"""Frames encoded at a time (the dither and clipping are never made for the whole file at once)."""
FORMATS = ("wav", "flac")
"""Audio file formats :func:`encode_audio` writes."""
BIT_DEPTHS = {16: "PCM_16", 24: "PCM_24"}
"""Bit depth -> libsndfile subtype."""


def encode_audio(samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24) -> bytes:
    """The file bytes of np.ndarray [shape=(channels, n)] float samples (or a stem file) as WAV or
    FLAC, 16 or 24 bit.

    16-bit gets TPDF dither (two uniform values of one LSB each, seeded with DITHER_SEED so the same
    samples give the same bytes); samples are clipped to the fixed-point range.
    """
    buffer = io.BytesIO()
    encode_into(buffer, samples, sr, fmt=fmt, bit_depth=bit_depth)
    return buffer.getvalue()


def encode_audio_file(
    samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24, directory: Path | None = None
) -> Path:
    """:func:`encode_audio` written block by block into a new file in ``directory`` (the system's
    temporary folder when None), never whole in memory; the caller deletes it. Deleted here on an error."""
    with (
        scratch_space(directory),
        tempfile.NamedTemporaryFile(prefix="dawg-render-", suffix=f".{fmt}", dir=directory, delete=False) as handle,
    ):
        path = Path(handle.name)
        try:
            encode_into(handle, samples, sr, fmt=fmt, bit_depth=bit_depth)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    return path


def encode_into(target: IO[bytes], samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24) -> None:
    """:func:`encode_audio`'s file written into the open binary file ``target``."""
    if fmt not in FORMATS:
        raise InvalidParameter("format", f"use {' or '.join(FORMATS)}")
    if bit_depth not in BIT_DEPTHS:
        raise InvalidParameter("bit_depth", f"use {' or '.join(str(b) for b in BIT_DEPTHS)}")
    if isinstance(samples, np.ndarray):
        samples = np.asarray(samples, dtype=np.float32)
    channels, n = samples.shape
    top = 1.0 - 1.0 / 2 ** (bit_depth - 1)
    # The dither of the whole file is one generator's draws for every sample, then a second set:
    # two generators give them block by block (the second skips the first set's draws).
    first = np.random.default_rng(DITHER_SEED)
    second = np.random.default_rng(DITHER_SEED)
    if bit_depth == 16:
        for start in range(0, n, ENCODE_BLOCK):
            second.random((min(ENCODE_BLOCK, n - start), channels), dtype=np.float32)
    with sf.SoundFile(
        target, "w", samplerate=sr, channels=channels, format=fmt.upper(), subtype=BIT_DEPTHS[bit_depth]
    ) as out:
        for start in range(0, n, ENCODE_BLOCK):  # never a whole-file copy of the samples
            data = read_frames(samples, start, start + ENCODE_BLOCK).T
            if bit_depth == 16:
                lsb = np.float32(1.0 / 32768.0)
                dither = first.random(data.shape, dtype=np.float32)
                dither -= second.random(data.shape, dtype=np.float32)
                data = data + dither * lsb
            out.write(np.clip(data, -1.0, top))


__all__ = [
    "encode_audio",
    "encode_audio_file",
]
