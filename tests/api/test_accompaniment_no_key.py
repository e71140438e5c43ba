"""/generate/accompaniment over a recording with no key that the drums-only model does not call drums (a noise
beat, the model set aside: the key's own gate answers "no pitched content"), and a key given alone over a pitched
recording. QA pass 32: a drum render the key's gate answered so got "F mixolydian" and bars of Dm7 Abm7 Fmaj7 from
the chords fitted to its noise."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.analysis import pipeline
from ai.analysis.drums_only import NOTE
from tests.api.test_accompaniment import drifting_song
from tests.api.test_accompaniment_given_harmony import _accompany as accompany_in_harmony_tests
from tests.api.test_accompaniment_given_harmony import _bar_chords, _chords

SR = 44100


def noise_beat(seconds: float = 16.0, bpm: float = 110.0, seed: int = 0) -> bytes:
    """White-noise bursts on every beat, accented on the first of four: a pulse with no pitch in it."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SR))
    burst = np.exp(-np.arange(int(0.15 * SR)) / SR * 25)
    for b in range(int(seconds * bpm / 60)):
        i = int(b * 60 / bpm * SR)
        n = min(burst.size, out.size - i)
        out[i : i + n] += rng.standard_normal(n) * burst[:n] * (1.0 if b % 4 == 0 else 0.6)
    buffer = io.BytesIO()
    sf.write(buffer, (0.5 * out / np.abs(out).max()).astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _accompany(client: TestClient, audio: bytes, **data: str) -> dict:  # type: ignore[type-arg]
    return accompany_in_harmony_tests(client, audio, **{"parts": "bass,pad", **data})


def test_a_recording_with_no_key_gets_no_chords_from_it(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The drums-only model calls this beat drums; set aside, it stands for the drums it misses (QA's rock render).
    monkeypatch.setattr(pipeline, "only_drums", lambda spec: False)
    audio = noise_beat()
    analysed = client.post("/api/v1/analyze/audio", files={"file": ("beat.wav", audio, "audio/wav")}).json()
    assert analysed["key"] is None and "no pitched content: no key or chords" in analysed["notes"], analysed["notes"]
    assert NOTE not in analysed["notes"]  # not the drums-only model's call: the key's own gate
    assert analysed["chords"] == []  # no pitched sound, no chords

    plain = _accompany(client, audio)
    assert plain["harmony_source"] == "default" and plain["key"] == "C major", plain["harmony_source"]
    assert _bar_chords(plain)[:4] == _chords("C Am F G")
    assert plain["analysis"]["analysis_key"] is None
    assert plain["harmony_note"].startswith("the recording has no key (no pitched content: no key or chords)")
    assert "default" in plain["harmony_note"]

    keyed = _accompany(client, audio, key="F minor")
    assert keyed["harmony_source"] == "given" and keyed["key"] == "F minor"
    assert _bar_chords(keyed)[:4] == _chords("Fm Db Ab Eb")
    assert "the recording has no key" in keyed["harmony_note"]


def test_a_key_given_alone_over_a_pitched_recording_keeps_the_chords_heard(client: TestClient) -> None:
    # The band follows the song: a key's stock progression over other chords would clash with it.
    wav, _ = drifting_song()  # G C D Em heard
    heard = _accompany(client, wav)
    assert heard["harmony_source"] == "recording" and heard["harmony_note"] is None
    keyed = _accompany(client, wav, key="E minor")
    assert keyed["harmony_source"] == "recording" and keyed["key"] == "E minor"
    assert _bar_chords(keyed) == _bar_chords(heard)
    assert keyed["analysis"]["analysis_key"] == heard["analysis"]["analysis_key"]
    chorded = _accompany(client, wav, chords="Am D G C")
    assert chorded["harmony_note"] == (
        f"the parts play the chords given, as asked, instead of the recording's chords (in "
        f"{heard['analysis']['analysis_key']})"
    )
