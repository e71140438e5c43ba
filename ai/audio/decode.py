"""Decoding uploaded or stored audio into float32 sample arrays, with clear errors for bad input."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from utils.errors import PayloadTooLarge, UndecodableAudio, UnsupportedMediaType

SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
SUPPORTED_FORMATS_TEXT = "WAV, FLAC, OGG/Vorbis, MP3 or AIFF"


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

    def mono(self) -> np.ndarray:
        """np.ndarray [shape=(n,), dtype=float32]: the mean of the channels."""
        return self.samples.mean(axis=0, dtype=np.float32) if self.channels > 1 else self.samples[0]


def _looks_like_audio(head: bytes) -> bool:
    """Magic numbers of the containers libsndfile reads (to tell 'not audio' from 'broken audio')."""
    return (
        (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"RF64"))
        or head[:4] in (b"RF64", b"fLaC", b"OggS", b"FORM", b"ID3\x03", b"ID3\x04", b"ID3\x02")
        or head[:3] == b"ID3"
        or (len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0)  # MPEG frame sync
    )


def decode_audio(
    source: bytes | Path, *, name: str = "audio", max_duration_s: float | None = None
) -> DecodedAudio:
    """Decode ``source`` (file bytes or a path) into a :class:`DecodedAudio`.

    Raises UnsupportedMediaType (415) when it is not audio, UndecodableAudio (422) when it is
    empty, truncated, corrupt or holds NaN/inf samples, PayloadTooLarge (413) when it is longer
    than ``max_duration_s``.
    """
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise UndecodableAudio(f"{name}: cannot read file ({exc.strerror})") from exc
    else:
        data = source
    if not data:
        raise UndecodableAudio(f"{name}: the file is empty")
    try:
        with sf.SoundFile(io.BytesIO(data)) as handle:
            sample_rate = int(handle.samplerate)
            frames = handle.frames
            if max_duration_s is not None and frames > 0 and frames / sample_rate > max_duration_s:
                raise PayloadTooLarge(
                    f"{name}: {frames / sample_rate:.0f} s of audio is longer than the limit of "
                    f"{max_duration_s:.0f} s (setting DAWG_AI_MAX_AUDIO_DURATION_S)"
                )
            samples = handle.read(dtype="float32", always_2d=True).T
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        if not _looks_like_audio(data[:16]):
            raise UnsupportedMediaType(
                f"{name}: not an audio file; send {SUPPORTED_FORMATS_TEXT}"
            ) from exc
        reason = getattr(exc, "error_string", None) or str(exc)
        raise UndecodableAudio(f"{name}: the audio cannot be decoded (truncated or corrupt): {reason}") from exc
    if samples.shape[1] == 0:
        raise UndecodableAudio(f"{name}: the file holds no audio samples")
    if not np.isfinite(samples).all():
        raise UndecodableAudio(f"{name}: the audio holds NaN or infinite samples")
    return DecodedAudio(np.ascontiguousarray(samples), sample_rate)
