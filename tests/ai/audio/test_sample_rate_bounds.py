"""A header's sample rate outside what audio uses is a corrupt file (422), not a sliver of audio."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile as sf

from ai.audio.decode import decode_audio
from utils.errors import UndecodableAudio


def _wav_claiming(sample_rate: int) -> bytes:
    """A 1-s 44.1 kHz 16-bit WAV whose fmt chunk is then made to claim ``sample_rate``."""
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(44100, dtype=np.float32), 44100, format="WAV", subtype="PCM_16")
    raw = bytearray(buffer.getvalue())
    rate_at = raw.find(b"fmt ") + 8 + 4  # fmt body: format tag (2), channels (2), sample rate (4)
    raw[rate_at : rate_at + 4] = struct.pack("<I", sample_rate)
    return bytes(raw)


def test_a_ten_megahertz_header_is_corrupt() -> None:
    with pytest.raises(UndecodableAudio, match="10000000 Hz"):
        decode_audio(_wav_claiming(10_000_000), name="x.wav")


@pytest.mark.parametrize("sample_rate", [384_000, 768_000])
def test_the_highest_rates_in_use_decode(sample_rate: int) -> None:
    assert decode_audio(_wav_claiming(sample_rate)).sample_rate == sample_rate
