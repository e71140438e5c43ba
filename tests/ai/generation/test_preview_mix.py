"""The preview mixed block by block from a stem file equals the whole-array preview, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

import mido
import numpy as np
import pytest

from ai.audio.decode import DecodedAudio
from ai.audio.encode import encode_audio
from ai.audio.stem_file import write_stem_file
from ai.generation import preview_mix
from ai.generation.accompaniment import mix_preview
from ai.generation.preview import render_midi

SR = 22050


def midi_file(seconds: float, *, drums: bool, program: int = 33) -> bytes:
    """A part of ``seconds``: a note every quarter second (drums on channel 10, else a bass line)."""
    track = mido.MidiTrack()
    channel = 9 if drums else 0
    if not drums:
        track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    beats = int(seconds * 4)  # 120 bpm at 480 ticks per beat: 240 ticks a quarter second
    for k in range(beats):
        note = (36, 38, 42)[k % 3] if drums else 40 + (k % 5)
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=100, time=0 if k == 0 else 120))
        track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=120))
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.append(track)
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def recording(seconds: float, channels: int, *, loud: float = 0.3) -> DecodedAudio:
    rng = np.random.default_rng(channels)
    t = np.arange(int(seconds * SR)) / SR
    rows = [
        loud * np.sin(2 * np.pi * (110.0 + 55.0 * c) * t) + 0.05 * rng.standard_normal(t.size) for c in range(channels)
    ]
    return DecodedAudio(np.stack(rows).astype(np.float32), SR)


@pytest.mark.parametrize(
    ("seconds", "channels", "part_seconds", "fmt", "loud", "level_db"),
    [
        (6.0, 2, 4.0, "wav", 0.3, -4.0),  # parts shorter than the recording
        (3.0, 1, 5.0, "flac", 0.3, -4.0),  # mono recording, parts longer (cut at its end)
        (4.0, 3, 4.0, "wav", 0.9, 10.0),  # three channels (the first two heard), the sum clips: scaled down
        (0.2, 2, 1.0, "wav", 0.3, -4.0),  # too short for a loudness: the parts as rendered
        (4.0, 6, 4.0, "flac", 0.3, -4.0),  # 5.1: downmixed (ITU-R BS.775) on both paths
    ],
)
def test_the_block_wise_preview_is_the_whole_preview(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seconds: float,
    channels: int,
    part_seconds: float,
    fmt: str,
    loud: float,
    level_db: float,
) -> None:
    audio = recording(seconds, channels, loud=loud)
    midis = [midi_file(part_seconds, drums=True), midi_file(part_seconds, drums=False)]
    expected = encode_audio(mix_preview(audio, render_midi(midis, SR), level_db=level_db), SR, fmt=fmt, bit_depth=16)
    monkeypatch.setattr(preview_mix, "BLOCK", 10_007)  # many blocks, none a multiple of a loudness step
    stem = write_stem_file(
        (audio.samples[:, i : i + 4096] for i in range(0, audio.samples.shape[1], 4096)),
        channels=channels,
        sample_rate=SR,
        directory=tmp_path,
    )
    with stem:
        path = preview_mix.preview_file(stem, midis, level_db=level_db, fmt=fmt, directory=tmp_path)
    assert path.read_bytes() == expected
    path.unlink()
    assert not list(tmp_path.iterdir())  # the renders, the mix's stem file and the recording's are gone


def test_a_5_1_recording_is_heard_in_its_preview_downmixed(tmp_path: Path) -> None:
    """The preview took a recording's first two channels: a 5.1 recording whose music sits in the centre (a film's
    dialogue, a song's lead) was left out of its own preview, which held the band alone."""
    t = np.arange(3 * SR) / SR
    centre = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    six = np.zeros((6, t.size), dtype=np.float32)
    six[2] = centre
    midis = [midi_file(3.0, drums=True)]
    whole = mix_preview(DecodedAudio(six, SR), render_midi(midis, SR), level_db=-30.0)
    for side in whole:  # the centre at -3 dB into each side, the band 30 LU under it; before, about 0
        heard = float(np.corrcoef(side, centre)[0, 1])
        assert heard > 0.99, heard
