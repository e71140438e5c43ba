"""Encoding the render to WAV and FLAC: round trip, bit depth and determinism."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from ai.audio.encode import encode_audio
from tests.ai.mixing.signals import SR, drums
from utils.errors import InvalidParameter


def test_encode_round_trip_and_determinism() -> None:
    y = drums(seconds=2.0) * np.float32(0.5)
    for fmt, depth, subtype, tolerance in (("wav", 24, "PCM_24", 2e-7), ("flac", 16, "PCM_16", 2.5 / 32768)):
        data = encode_audio(y, SR, fmt=fmt, bit_depth=depth)
        decoded, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        assert sr == SR and sf.info(io.BytesIO(data)).subtype == subtype
        assert np.max(np.abs(decoded.T - y)) <= tolerance
        assert encode_audio(y, SR, fmt=fmt, bit_depth=depth) == data
    with pytest.raises(InvalidParameter):
        encode_audio(y, SR, fmt="mp3")
