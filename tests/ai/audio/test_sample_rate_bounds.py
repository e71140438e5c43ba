"""A header's sample rate outside what audio uses is a corrupt file (422), not a sliver of audio."""

from __future__ import annotations

import io
import struct
from pathlib import Path

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


@pytest.mark.parametrize(
    ("sample_rate", "said"),
    [(4_000_000_000, "4000000000 Hz, above any audio's"), (2**31, "2147483648 Hz, above"), (0, "rate of 0 Hz cannot")],
)
def test_a_rate_libsndfile_cannot_hold_gets_the_engines_own_words(tmp_path: Path, sample_rate: int, said: str) -> None:
    """libsndfile reads the field as a signed int: from 2**31 Hz (and at 0) it refuses the header itself with
    "SF_INFO struct incomplete", which told the caller nothing about the rate."""
    data = _wav_claiming(sample_rate)
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF" + data[4:12] + b"JUNK" + struct.pack("<I", 28) + b"\0" * 28 + data[12:])  # fmt later
    for source in (data, path):
        with pytest.raises(UndecodableAudio, match=said) as refused:
            decode_audio(source, name="x.wav")
        assert "SF_INFO" not in refused.value.detail
