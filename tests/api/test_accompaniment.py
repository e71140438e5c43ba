"""/api/v1/generate/accompaniment through HTTP: a drifting recording with clicks and chords."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.model_files import use_folder
from ai.music_theory import parse_chord
from tests.api.conftest import engine_client, make_settings

SR = 22050
CHORDS = ("G", "C", "D", "Em")
FREQS = {"G": (196.0, 246.94, 293.66), "C": (261.63, 329.63, 392.0), "D": (293.66, 369.99, 440.0),
         "Em": (164.81, 196.0, 246.94)}  # fmt: skip


def drifting_song(
    bars: int = 12, bpm0: float = 100.0, bpm1: float = 118.0, lead: float = 0.3
) -> tuple[bytes, np.ndarray]:
    """Kicks on every beat (accented downbeats) over G C D Em, the tempo ramping from bpm0 to bpm1."""
    n_beats = bars * 4
    beats = lead + np.concatenate([[0.0], np.cumsum(60.0 / np.linspace(bpm0, bpm1, n_beats))])
    n = int((beats[-1] + 0.5) * SR)
    y = np.zeros(n)
    t = np.arange(int(0.12 * SR)) / SR
    kick = np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30)
    tt = np.arange(n) / SR
    for i, b in enumerate(beats[:-1]):
        s = int(b * SR)
        y[s : s + len(kick)] += (0.9 if i % 4 == 0 else 0.5) * kick[: n - s]
    for bar in range(bars):
        a, e = int(beats[bar * 4] * SR), int(beats[bar * 4 + 4] * SR)
        for f in FREQS[CHORDS[bar % 4]]:
            for h in range(1, 4):
                y[a:e] += 0.03 / h * np.sin(2 * np.pi * f * h * tt[a:e])
    buffer = io.BytesIO()
    sf.write(buffer, y.astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue(), beats[:-1]


@pytest.fixture(scope="module")
def song() -> tuple[bytes, np.ndarray]:
    return drifting_song()


def test_accompaniment_follows_a_drifting_recording(client: TestClient, song: tuple[bytes, np.ndarray]) -> None:
    wav, beats = song
    response = client.post(
        "/api/v1/generate/accompaniment",
        files={"file": ("song.wav", wav, "audio/wav")},
        data={"parts": "drums,bass,pad", "seed": "7", "preview": "flac", "model": "theory"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["seed"] == 7 and body["parts"] == ["drums", "bass", "pad"]
    assert body["time_signature"] == "4/4" and body["key"] in ("G major", "E minor")
    assert body["harmony_source"] == "recording"  # chords heard in it: harmony=auto keeps them
    # One tempo for the recording on every route: the analysis's (the grid's median beside it).
    assert body["tempo"] == body["analysis"]["tempo"] != body["analysis"]["median_tempo"]
    # Every beat of the recording has a generated drum or bass onset within 20 ms.
    onsets = np.array(sorted(n["start"] for part in ("drums", "bass") for n in body["notes"][part]))
    misses = [b for b in beats if np.min(np.abs(onsets - b)) > 0.020]
    assert len(misses) <= 0.05 * len(beats), misses
    # The bass roots follow the chords: its note on each bar's downbeat is the chord's root.
    bass = body["notes"]["bass"]
    right = 0
    for bar in range(len(beats) // 4):
        first = [n for n in bass if abs(n["start"] - beats[4 * bar]) < 0.03]
        right += bool(first) and first[0]["pitch"] % 12 == parse_chord(CHORDS[bar % 4]).root
    assert right >= 0.8 * (len(beats) // 4)
    # The MIDI's tempo map puts the notes where the JSON says (so a DAW lines it up with the audio).
    pm = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(body["midi_base64"])))
    assert [i.is_drum for i in pm.instruments] == [True, False, False]
    assert [i.program for i in pm.instruments[1:]] == [33, 89]
    midi_drums = sorted(n.start for n in pm.instruments[0].notes)
    json_drums = sorted(n["start"] for n in body["notes"]["drums"])
    assert np.allclose(midi_drums, json_drums, atol=2e-3)
    assert len(pm.get_tempo_changes()[0]) > 10
    assert pm.time_signature_changes[-1].time == pytest.approx(body["analysis"]["first_downbeat"], abs=2e-3)
    # The preview decodes: the recording's length, at its rate.
    audio, sr = sf.read(io.BytesIO(base64.b64decode(body["preview_base64"])))
    assert sr == SR and audio.shape[0] == pytest.approx(len(sf.read(io.BytesIO(wav))[0]), abs=1)
    assert 0.05 < np.abs(audio).max() <= 1.0


def test_format_midi_answers_the_file(client: TestClient, song: tuple[bytes, np.ndarray]) -> None:
    response = client.post(
        "/api/v1/generate/accompaniment?format=midi&seed=3&parts=bass",
        files={"file": ("song.wav", song[0], "audio/wav")},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/midi" and response.headers["x-seed"] == "3"
    pm = pretty_midi.PrettyMIDI(io.BytesIO(response.content))
    assert len(pm.instruments) == 1 and pm.instruments[0].program == 33


def test_bad_requests(client: TestClient, song: tuple[bytes, np.ndarray]) -> None:
    url = "/api/v1/generate/accompaniment"
    not_audio = client.post(url, files={"file": ("notes.wav", b"my song notes, not audio" * 10, "audio/wav")})
    assert not_audio.status_code == 415, not_audio.text
    empty = client.post(url, files={"file": ("empty.wav", b"", "audio/wav")})
    assert empty.status_code == 422 and empty.json()["error"] == "undecodable_audio"
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(SR * 3, dtype=np.float32), SR, format="WAV")
    silence = client.post(url, files={"file": ("silence.wav", buffer.getvalue(), "audio/wav")})
    assert silence.status_code == 422 and silence.json()["error"] == "no_beat", silence.text
    parts = client.post(url, files={"file": ("song.wav", song[0], "audio/wav")}, data={"parts": "guitar"})
    assert parts.status_code == 422 and "parts" in parts.json()["detail"]
    missing = client.post(url, data={"parts": "drums"})
    assert missing.status_code == 422 and "file" in missing.json()["detail"]


def test_as_a_job_gives_the_same_midi(client: TestClient, song: tuple[bytes, np.ndarray]) -> None:
    url = "/api/v1/generate/accompaniment?format=midi&seed=5&model=theory"
    sync = client.post(url, files={"file": ("song.wav", song[0], "audio/wav")})
    assert sync.status_code == 200, sync.text
    accepted = client.post(url + "&async=true", files={"file": ("song.wav", song[0], "audio/wav")})
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    deadline = time.monotonic() + 60
    while (status := client.get(job["status_url"]).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    assert status["state"] == "succeeded" and status["kind"] == "generate.accompaniment", status
    result = client.get(job["result_url"])
    assert result.status_code == 200 and result.content == sync.content


def test_a_missing_fluidsynth_is_an_honest_503_not_a_500(
    client: TestClient, song: tuple[bytes, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no fluidsynth program on it
    response = client.post(
        "/api/v1/generate/accompaniment",
        data={"preview": "wav", "seed": "1", "model": "theory"},
        files={"file": ("song.wav", song[0], "audio/wav")},
    )
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "renderer_unavailable" and "fluidsynth" in response.json()["detail"]
    without_preview = client.post(
        "/api/v1/generate/accompaniment", data={"seed": "1", "model": "theory"}, files={"file": ("song.wav", song[0])}
    )
    assert without_preview.status_code == 200


def test_microtiming_moves_the_drums_off_the_recordings_grid(
    client: TestClient, song: tuple[bytes, np.ndarray]
) -> None:
    url = "/api/v1/generate/accompaniment?format=midi&seed=4&parts=drums,bass&model=theory&style=funk"
    upload = {"file": ("song.wav", song[0], "audio/wav")}
    plain = client.post(url, files=upload)
    zero = client.post(url + "&microtiming=0", files=upload)
    full = client.post(url + "&microtiming=1", files=upload)
    assert plain.status_code == zero.status_code == full.status_code == 200, full.text
    assert zero.content == plain.content and full.content != plain.content

    def tracks(midi: bytes) -> dict[str, list[float]]:
        pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
        return {("drums" if i.is_drum else "bass"): sorted(n.start for n in i.notes) for i in pm.instruments}

    before, after = tracks(plain.content), tracks(full.content)
    assert after["bass"] == before["bass"]  # only the drums take the drummers' timing
    moved = [abs(a - b) for a, b in zip(after["drums"], before["drums"], strict=False)]
    assert len(after["drums"]) == len(before["drums"]) and max(moved) > 0.003
    bad = client.post(url + "&microtiming=2", files=upload)
    assert bad.status_code == 422 and "microtiming" in bad.json()["detail"]


def test_microtiming_without_its_table_is_an_honest_503(song: tuple[bytes, np.ndarray], tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "groove_timing.json").write_text("{not json")
    with engine_client(make_settings(tmp_path, models_dir=models)) as broken:
        url = "/api/v1/generate/accompaniment?format=midi&seed=4&microtiming=1"
        response = broken.post(url, files={"file": ("song.wav", song[0], "audio/wav")})
        assert response.status_code == 503 and response.json()["error"] == "model_unavailable", response.text
        bass_only = broken.post(url + "&parts=bass", files={"file": ("song.wav", song[0], "audio/wav")})
        assert bass_only.status_code == 200, bass_only.text


def test_the_route_answers_what_the_library_gives_for_the_decoded_file(
    client: TestClient, song: tuple[bytes, np.ndarray]
) -> None:
    """The route takes its cues (onset envelope, chroma) from the analysis's signal right after the STFT pass
    and lets the signal go; the answer must be the one accompany() gives on the decoded recording."""
    from ai.analysis.pipeline import analyze
    from ai.audio.decode import decode_audio
    from ai.generation.accompaniment import AccompanimentOptions, accompany

    response = client.post(
        "/api/v1/generate/accompaniment?format=midi&seed=5&parts=drums,bass,pad&model=theory",
        files={"file": ("song.wav", song[0], "audio/wav")},
    )
    assert response.status_code == 200, response.text
    audio = decode_audio(song[0], name="song.wav")
    registry = client.app.state.engine.registry  # type: ignore[attr-defined]
    options = AccompanimentOptions(parts=("drums", "bass", "pad"), seed=5, model="theory")
    expected = accompany(audio, analyze(audio), registry, options)
    assert response.content == expected.midi


MELODY = ((0, 4, 7, 4), (5, 9, 12, 9), (7, 11, 14, 11), (0, 4, 7, 12))
"""A line outlining C F G C, one note a beat (semitones above middle C)."""


def melody_recording(bars: int = 12, bpm: float = 100.0, lead: float = 0.25) -> tuple[bytes, np.ndarray]:
    """A plucked line alone (five partials, struck on every beat, the downbeat louder) over C F G C."""
    beat = 60.0 / bpm
    beats = lead + beat * np.arange(bars * 4)
    n = int((beats[-1] + beat + 0.5) * SR)
    y = np.zeros(n)
    t = np.arange(int(beat * SR)) / SR
    for i, start in enumerate(beats):
        f = 261.63 * 2 ** (MELODY[(i // 4) % 4][i % 4] / 12)
        note = sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6)) * np.exp(-t * 4)
        s = int(start * SR)
        y[s : s + len(note)] += (0.3 if i % 4 == 0 else 0.2) * note[: n - s]
    buffer = io.BytesIO()
    sf.write(buffer, y.astype(np.float32), SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue(), beats


def test_a_melody_alone_is_harmonised(client: TestClient) -> None:
    """harmony=auto takes a line alone for a melody and plays chords that harmonise it (C F G C: the bass on
    those roots); harmony=recording keeps the chords heard in it; a bad value is a 422 that names the field."""
    wav, beats = melody_recording()
    url = "/api/v1/generate/accompaniment?parts=bass,pad&seed=2&model=theory"
    body = client.post(url, files={"file": ("line.wav", wav, "audio/wav")}).json()
    assert body["harmony_source"] == "melody" and body["analysis"]["harmony_source"] == "melody", body
    # Each accompaniment bar's bass note on its downbeat is the root of the chord the line outlines over most of
    # that bar (the analysis may place the bars a beat or more off the line's own: what the bar holds counts).
    bass, right = body["notes"]["bass"], 0
    starts = [bar["start"] for bar in body["analysis"]["bar_chords"]]
    outlined = [(0, 5, 7, 0)[(i // 4) % 4] for i in range(len(beats))]
    scored = list(zip(starts[:-1], starts[1:], strict=True))
    for start, end in scored:
        held = [root for b, root in zip(beats, outlined, strict=True) if start - 0.05 <= b < end - 0.05]
        first = [n for n in bass if abs(n["start"] - start) < 0.03]
        right += bool(first) and min(n["pitch"] for n in first) % 12 == max(set(held), key=held.count)
    assert right >= 0.75 * len(scored), body["analysis"]["bar_chords"]
    heard = client.post(url, files={"file": ("line.wav", wav, "audio/wav")}, data={"harmony": "recording"})
    assert heard.status_code == 200 and heard.json()["harmony_source"] == "recording", heard.text
    forced = client.post(url + "&format=midi&harmony=Melody", files={"file": ("line.wav", wav, "audio/wav")})
    assert forced.status_code == 200 and forced.headers["x-harmony-source"] == "melody", forced.text
    bad = client.post(url + "&harmony=chords", files={"file": ("line.wav", wav, "audio/wav")})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_parameter", bad.text
    assert "harmony" in bad.json()["detail"]


def test_without_the_harmony_model_a_melody_keeps_its_heard_chords(tmp_path: Path) -> None:
    """A broken melody_harmony.json in the models folder: auto accompanies a line alone with the chords heard
    in it (and says so); harmony=melody is an honest 503, not a 500."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "melody_harmony.json").write_text("{not json")
    wav, _ = melody_recording(bars=8)
    with engine_client(make_settings(tmp_path, models_dir=models)) as broken:
        url = "/api/v1/generate/accompaniment?parts=bass&seed=2&model=theory"
        auto = broken.post(url, files={"file": ("line.wav", wav, "audio/wav")})
        assert auto.status_code == 200 and auto.json()["harmony_source"] == "recording", auto.text
        forced = broken.post(url + "&harmony=melody", files={"file": ("line.wav", wav, "audio/wav")})
        assert forced.status_code == 503 and forced.json()["error"] == "model_unavailable", forced.text
        listed = {m["name"]: m for m in broken.get("/api/v1/models").json()["generation"]}
        assert listed["melody_harmony"]["loaded"] is False
    use_folder(make_settings(tmp_path).models_dir)  # the lifespan set the broken folder: the default's again


def test_the_answer_says_the_style_each_part_played(client: TestClient, song: tuple[bytes, np.ndarray]) -> None:
    """After alias mapping (house is the electronic groove), or the backend's own when none is named: `style=house`
    answered with nothing that said 'electronic'."""
    url = "/api/v1/generate/accompaniment"
    house = client.post(
        url, files={"file": ("song.wav", song[0], "audio/wav")}, data={"style": "House", "model": "theory", "seed": "2"}
    )
    assert house.status_code == 200, house.text
    assert house.json()["styles"] == {"drums": "electronic", "bass": "electronic"}
    plain = client.post(
        f"{url}?format=midi&model=theory&seed=2&parts=drums,bass,pad",
        files={"file": ("song.wav", song[0], "audio/wav")},
    )
    assert plain.status_code == 200, plain.text
    assert plain.headers["x-styles"] == "drums=default,bass=default"  # the pad plays chords: no style
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AccompanimentResponse"]
    assert "styles" in schema["required"] and "style" in schema["properties"]["styles"]["description"]


def test_a_waltz_over_a_four_four_recording_is_played_in_its_bars_and_the_answer_says_so(
    client: TestClient, song: tuple[bytes, np.ndarray]
) -> None:
    """The theory backend played style=waltz (a 3/4 style) over a 4/4 song with `fallback_reasons: {}`; the recording's
    bars decide the meter, as time_signature does for /generate, and the reasons say so."""
    url = "/api/v1/generate/accompaniment"
    waltz = client.post(
        url, files={"file": ("song.wav", song[0], "audio/wav")}, data={"style": "waltz", "model": "theory", "seed": "2"}
    )
    assert waltz.status_code == 200, waltz.text
    body = waltz.json()
    said = "waltz is a 3/4 style and the recording is in 4/4: played in its 4/4 bars"
    assert body["time_signature"] == "4/4" and body["styles"] == {"drums": "waltz", "bass": "waltz"}
    assert body["fallback_reasons"] == {"drums": said, "bass": said}
    funk = client.post(
        url, files={"file": ("song.wav", song[0], "audio/wav")}, data={"style": "funk", "model": "theory", "seed": "2"}
    )
    assert funk.json()["fallback_reasons"] == {}  # a style of no meter of its own plays in any


def test_a_style_meter_mismatch_is_said_only_where_the_meters_differ() -> None:
    from ai.generation.accompaniment import build_grid
    from ai.generation.accompaniment.parts import meter_mismatch

    beats = np.arange(0.0, 12.0, 0.5)
    three = build_grid(beats, [0.0], "3/4", 12.0)
    four = build_grid(beats, [0.0], "4/4", 12.0)
    assert meter_mismatch("waltz", three) is None and meter_mismatch(None, four) is None
    assert meter_mismatch("Waltz", four) == "waltz is a 3/4 style and the recording is in 4/4: played in its 4/4 bars"
