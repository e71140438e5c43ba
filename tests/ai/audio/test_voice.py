"""A voice in a stem (ai/audio/voice.py): what the voice-activity network hears, and the roles it gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai.audio import voice
from ai.audio.decode import DecodedAudio
from ai.audio.voice import MAX_SEGMENTS, SEGMENT, VOICE_SHARE_MIN, VoiceReading, read_voice
from ai.mixing.measure import TrackInput, prepare_tracks
from tests.ai.mixing.signals import SR, band_noise, drums, low_notes, stereo, tone, voice_line


@pytest.mark.parametrize("seed", [0, 1])
def test_a_spoken_line_is_speech_and_a_sung_line_is_vocals(seed: int) -> None:
    spoken = read_voice(voice_line(sung=False, seed=seed)[None, :], SR)
    sung = read_voice(voice_line(sung=True, seed=seed)[None, :], SR)
    assert spoken is not None and sung is not None
    assert spoken.share >= 0.9 and sung.share >= 0.9
    assert (spoken.role, sung.role) == ("speech", "vocals"), (spoken, sung)
    assert spoken.held < 0.05 < 0.5 < sung.held


def _lead_line(seconds: float = 12.0) -> np.ndarray:
    """A sawtooth lead: the sung line's notes (300-500 ms on a scale from G3, vibrato), no formants, no hiss."""
    rng = np.random.default_rng(3)
    notes = []
    while sum(len(n) for n in notes) < seconds * SR:
        n = int(rng.uniform(0.3, 0.5) * SR)
        f0 = 196.0 * 2.0 ** (rng.integers(0, 8) / 12.0) * (1.0 + 0.01 * np.sin(2 * np.pi * 5.5 * np.arange(n) / SR))
        notes.append((2.0 * (np.cumsum(f0 / SR) % 1.0) - 1.0) * np.sin(np.pi * np.arange(n) / n) ** 0.5)
    return (0.2 * np.concatenate(notes)[: int(seconds * SR)]).astype(np.float32)


@pytest.mark.parametrize(
    "make",
    [
        lambda: tone(220.0, seconds=12.0),
        lambda: band_noise(800.0, 3500.0, seconds=12.0),
        lambda: drums(12.0),
        low_notes,
        lambda: _lead_line(),
    ],
    ids=["tone", "hiss", "drums", "bass notes", "synth lead"],
)
def test_what_is_not_a_voice_gets_no_voice_role(make) -> None:
    y = make()
    reading = read_voice(y if y.ndim == 2 else y[None, :], SR)
    assert reading is not None and reading.share < VOICE_SHARE_MIN and reading.role is None, reading


def test_silence_has_no_reading() -> None:
    assert read_voice(np.zeros((2, SR * 5), np.float32), SR) is None
    assert read_voice(np.zeros((1, 0), np.float32), SR) is None


def test_a_short_stem_is_heard_whole_and_a_long_one_in_spread_excerpts() -> None:
    short = voice_line(1.5, sung=False)
    reading = read_voice(short[None, :], SR)
    assert reading is not None and reading.seconds == pytest.approx(1.5) and reading.role == "speech"
    # A stem of 100 excerpts' length: MAX_SEGMENTS of them, from its first to its last.
    length = round(SEGMENT * SR / voice.SAMPLE_RATE)
    ramp = np.repeat(np.arange(100, dtype=np.float32) + 1.0, length)[None, :] / 1000.0
    excerpts = voice._excerpts(ramp, SR)
    assert excerpts.shape == (MAX_SEGMENTS, SEGMENT)
    levels = np.round(np.median(excerpts, axis=1) * 1000.0)
    assert levels[0] == 1.0 and levels[-1] == 100.0 and np.all(np.diff(levels) > 0)


def test_the_role_follows_the_share_and_the_held_notes() -> None:
    assert VoiceReading(share=0.59, held=0.9, seconds=10.0).role is None
    assert VoiceReading(share=0.6, held=0.0, seconds=10.0).role == "speech"
    assert VoiceReading(share=0.6, held=voice.SINGING_HELD_MIN, seconds=10.0).role == "vocals"
    assert "holding notes" in VoiceReading(share=0.8, held=0.5, seconds=10.0).describe()


def test_unnamed_voice_stems_get_vocals_and_speech_and_a_name_or_a_given_role_still_wins() -> None:
    tracks = [
        TrackInput("Audio 1", DecodedAudio(stereo(voice_line(sung=True)), SR)),
        TrackInput("Audio 2", DecodedAudio(stereo(voice_line(sung=False)), SR)),
        TrackInput("Guitar", DecodedAudio(stereo(voice_line(sung=True)), SR)),  # the name wins when it is clear
    ]
    sung, spoken, named = prepare_tracks(tracks)
    assert (sung.role, spoken.role, named.role) == ("vocals", "speech", "guitar")
    assert any("role 'vocals' heard from the audio (a voice in" in note for note in sung.notes), sung.notes
    assert any("speaking, no held notes" in note for note in spoken.notes), spoken.notes
    (given,) = prepare_tracks(tracks[1:2], roles={"Audio 2": "fx"})
    assert given.role == "fx"


def test_without_the_network_the_classifier_decides_and_the_models_list_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(voice, "_session", None)
    monkeypatch.setattr(voice, "_session_error", None)
    monkeypatch.setattr(voice, "model_file", lambda: tmp_path / "missing.onnx")
    assert read_voice(voice_line(sung=False)[None, :], SR) is None
    entry = voice.describe_voice_model()
    assert entry["available"] is False and "missing.onnx" in entry["error"]
    (track,) = prepare_tracks([TrackInput("Audio 1", DecodedAudio(stereo(voice_line(sung=False)), SR))])
    assert track.role not in ("speech", "vocals")  # the classifier's answer, or "other"


def test_the_shipped_network_is_found_and_described() -> None:
    entry = voice.describe_voice_model()
    assert entry["available"] is True and entry["path"].endswith("silero_vad.onnx") and "error" not in entry


def test_a_damaged_model_or_a_failed_run_leaves_the_classifier_to_decide(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """onnxruntime's errors (InvalidProtobuf, Fail, InvalidArgument) are no RuntimeError: a damaged model file
    raised through every unnamed stem's role (a 500) and was tried again on each request."""
    damaged = tmp_path / "silero_vad.onnx"
    damaged.write_bytes(b"not a model")
    monkeypatch.setattr(voice, "_session", None)
    monkeypatch.setattr(voice, "_session_error", None)
    monkeypatch.setattr(voice, "model_file", lambda: damaged)
    assert read_voice(voice_line(sung=False)[None, :], SR) is None
    assert "InvalidProtobuf" in voice.describe_voice_model()["error"]
    (track,) = prepare_tracks([TrackInput("Audio 1", DecodedAudio(stereo(voice_line(sung=False)), SR))])
    assert track.role not in ("speech", "vocals")

    from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

    class Failing:
        def run(self, *args: object) -> None:
            raise InvalidArgument("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Invalid input name: state")

    monkeypatch.setattr(voice, "_session", Failing())
    assert read_voice(voice_line(sung=False)[None, :], SR) is None


def test_audio_that_is_not_finite_has_no_reading() -> None:
    """One NaN made every level NaN: the share of voiced frames was NaN, never under the minimum, so the stem
    was "speech" (decoded files are refused before; arrays given to the library are not)."""
    y = voice_line(sung=False)[None, :].copy()
    y[0, 100] = np.nan
    assert read_voice(y, SR) is None
    tone_line = tone(220.0, seconds=6.0)[None, :].copy()
    tone_line[0, 5] = np.inf
    assert read_voice(tone_line, SR) is None


def test_speech_heard_not_named_says_how_to_mix_it_as_a_song_s_vocal() -> None:
    """A rapped verse over a beat sounds like speech to the network: a session it leads is mixed as spoken word
    (a podcast's target, the music a bed under it), so the heard track's note says how to have it mixed as a
    vocal. A track named as speech ("Host") needs no such note."""
    beat = stereo(low_notes())
    heard, bed = prepare_tracks(
        [
            TrackInput("Audio 1", DecodedAudio(stereo(voice_line(sung=False)), SR)),
            TrackInput("Beat", DecodedAudio(beat, SR)),
        ]
    )
    assert (heard.role, bed.role) == ("speech", "music")
    assert any("roles=Audio 1=vocals" in note for note in heard.notes), heard.notes
    named, _ = prepare_tracks(
        [
            TrackInput("Host", DecodedAudio(stereo(voice_line(sung=False)), SR)),
            TrackInput("Beat", DecodedAudio(beat, SR)),
        ]
    )
    assert not any("roles=" in note for note in named.notes)
