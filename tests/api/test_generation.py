"""Generation endpoints through HTTP, with query, form and JSON input; MIDI decoded back."""

from __future__ import annotations

import base64
import gzip
import io
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from ai.music_theory import parse_key
from tests.api.conftest import engine_client, make_settings

ENDPOINTS = {
    "/api/v1/generate/midi?style=drums": "drums",
    "/api/v1/generate/bassline": "bass",
    "/api/v1/generate/melody": "melody",
}


def decode_midi(payload: dict) -> pretty_midi.PrettyMIDI:
    return pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(payload["midi_base64"])))


def post(client: TestClient, path: str, how: str, params: dict):
    if how == "query":
        return client.post(path, params=params)
    if how == "form":
        return client.post(path, data={k: str(v) for k, v in params.items()})
    return client.post(path, json=params)


@pytest.mark.parametrize("how", ["query", "form", "json"])
@pytest.mark.parametrize("path,part", ENDPOINTS.items())
def test_every_generation_endpoint_accepts_query_form_and_json(
    client: TestClient, path: str, part: str, how: str
) -> None:
    # E dorian shares only five pitch classes with C major, the default key: a generator that
    # ignored the key would play F or C natural.
    params = {"key": "E", "scale": "dorian", "bars": 2, "tempo": 100, "seed": 11}
    response = post(client, path, how, params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["style"] == part
    assert body["seed"] == 11 and body["bars"] == 2 and body["tempo"] == 100
    # A drum clip plays no key: the one asked for is not echoed as if it had been used.
    assert (body["key"], body["scale"]) == ((None, None) if part == "drums" else ("E", "dorian"))
    midi = decode_midi(body)
    (instrument,) = midi.instruments
    # The file carries the tempo, so that it lands on the grid of a 100 BPM project.
    assert list(midi.get_tempo_changes()[1]) == [pytest.approx(100.0)]
    assert instrument.is_drum == (part == "drums")
    bar = 4 * 60 / 100
    assert max(n.end for n in instrument.notes) <= 2 * bar + 1e-3
    assert body["duration_seconds"] == pytest.approx(2 * bar, abs=1e-3)
    assert len(body["notes"]) == len(instrument.notes)
    if part != "drums":
        allowed = parse_key("E", "dorian").pitch_classes
        assert [n.pitch for n in instrument.notes if n.pitch % 12 not in allowed] == []


@pytest.mark.parametrize("path", ["/api/v1/generate/melody", "/api/v1/generate/bassline"])
def test_the_key_is_what_sounds(client: TestClient, path: str) -> None:
    # E major shares only three pitch classes with C major (the default): a line that ignored the
    # key would sound C, D, F or G.
    body = client.post(path, params={"key": "E", "scale": "major", "bars": 4, "seed": 1}).json()
    allowed = parse_key("E", "major").pitch_classes
    assert len(body["notes"]) >= 8
    assert [n["pitch"] for n in body["notes"] if n["pitch"] % 12 not in allowed] == []


def test_same_parameters_from_query_form_and_json_give_the_same_midi(client: TestClient) -> None:
    params = {"key": "F#", "scale": "minor", "bars": 4, "seed": 5, "temperature": 1.3, "chords": "F#m D A E"}
    bodies = [post(client, "/api/v1/generate/bassline", how, params).json() for how in ("query", "form", "json")]
    assert bodies[0]["midi_base64"] == bodies[1]["midi_base64"] == bodies[2]["midi_base64"]
    assert bodies[0]["chords"] == ["F#m", "D", "A", "E"]


def test_seed_is_echoed_and_reproduces(client: TestClient) -> None:
    first = client.post("/api/v1/generate/melody?key=C&bars=4").json()
    again = client.post(f"/api/v1/generate/melody?key=C&bars=4&seed={first['seed']}").json()
    assert again["midi_base64"] == first["midi_base64"]


def test_format_midi_returns_the_file(client: TestClient) -> None:
    response = client.post("/api/v1/generate/midi?style=drums&bars=1&seed=3&format=midi")
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/midi"
    assert 'filename="dawg_drums_3.mid"' in response.headers["content-disposition"]
    midi = pretty_midi.PrettyMIDI(io.BytesIO(response.content))
    assert midi.instruments[0].is_drum


def test_choices_and_yes_no_are_read_as_people_type_them(client: TestClient) -> None:
    """'MIDI', ' wav' and ' true' were 422 while key, scale and style took any case and spacing."""
    form = {"style": "drums", "bars": "1", "seed": "3", "format": "MIDI ", "chromatic": " true"}
    response = client.post("/api/v1/generate/midi", data=form)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/midi", response.text[:300]
    response = client.post("/api/v1/generate/melody", json={"bars": 1, "seed": 3, "model": "theory", "preview": " WAV"})
    assert response.status_code == 200 and response.json()["preview_format"] == "wav", response.text[:300]
    assert client.post("/api/v1/generate/midi", data={"format": "midix"}).status_code == 422
    spaced = client.post("/api/v1/generate/melody", json={"bars": 1, "model": "theory", "time_signature": "3 / 4"})
    assert spaced.status_code == 200 and spaced.json()["time_signature"] == "3/4", spaced.text[:300]


def test_preview_is_the_clip_rendered(client: TestClient) -> None:
    body = client.post("/api/v1/generate/bassline", json={"key": "Am", "bars": 2, "seed": 5, "preview": "wav"}).json()
    assert body["preview_format"] == "wav"
    audio, sr = sf.read(io.BytesIO(base64.b64decode(body["preview_base64"])))
    assert sr == 44100 and audio.shape[1] == 2
    # The whole clip sounds (its last note ends before the file does), peaking at -1 dBFS.
    assert audio.shape[0] / sr >= body["duration_seconds"]
    assert abs(np.abs(audio).max() - 0.89) < 0.01
    sounding = np.abs(audio).max(axis=1) > 0.01
    assert sounding[: int(0.5 * sr)].any()
    plain = client.post("/api/v1/generate/bassline", json={"key": "Am", "bars": 2, "seed": 5}).json()
    assert plain["preview_base64"] is None and plain["midi_base64"] == body["midi_base64"]


def test_a_preview_of_a_clip_longer_than_ten_minutes_is_422(client: TestClient) -> None:
    """32 bars of 16/4 at 20 BPM (1,536 s) answered 362 MB of JSON, took 1.1 GB and stalled /health for 2 s."""
    params = {"tempo": 20, "bars": 32, "time_signature": "16/4", "model": "theory"}
    refused = client.post("/api/v1/generate/melody", json={**params, "preview": "wav"})
    assert refused.status_code == 422, refused.text[:300]
    assert refused.json()["detail"] == (
        "preview: the clip lasts 1536 s and a preview is rendered of at most 600 s of audio (ten minutes): "
        "ask preview=none"
    )
    assert client.post("/api/v1/generate/melody", json=params).status_code == 200


def test_a_preview_too_long_is_refused_before_any_clip_is_generated(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The length is known from the request: 8 variations of 32 bars of 16/4 at 20 BPM were all generated (33 s
    on a loaded machine) before the 422."""
    import api.routes.generation as generation

    def generated(*args: object, **kwargs: object) -> None:
        raise AssertionError("clips were generated for a preview that is refused")

    monkeypatch.setattr(generation, "_generate_variations", generated)
    params = {"tempo": 20, "bars": 32, "time_signature": "16/4", "variations": 8, "preview": "wav"}
    refused = client.post("/api/v1/generate/melody", json=params)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("preview: the clip lasts 1536 s")


def test_preview_with_a_midi_file_answer_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/generate/midi?style=drums&format=midi&preview=flac")
    assert response.status_code == 422 and "preview" in response.json()["detail"]
    assert client.post("/api/v1/generate/midi?style=drums&preview=mp3").status_code == 422


def test_a_preview_longer_than_the_audio_limit_is_422_before_it_is_rendered(tmp_path: Path) -> None:
    """A primer whose one note starts two minutes in made a preview of two minutes; one an hour in (40 bytes of
    MIDI) rendered 850 MB of WAV in 18 s, and a slow tempo event stretched it to years. Here the limit is 60 s."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    late = pretty_midi.Instrument(program=0)
    late.notes.append(pretty_midi.Note(velocity=90, pitch=72, start=120.0, end=120.5))
    pm.instruments.append(late)
    buffer = io.BytesIO()
    pm.write(buffer)
    primer = {"primer": ("late.mid", buffer.getvalue(), "audio/midi")}
    with engine_client(make_settings(tmp_path, max_audio_duration_s=60)) as small:
        refused = small.post("/api/v1/generate/melody", data={"bars": "1", "preview": "wav"}, files=primer)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid_parameter", refused.text[:300]
        detail = refused.json()["detail"]
        assert detail.startswith("preview: the clip lasts 124 s with its primer of 122 s"), detail
        assert "at most 60 s of audio (setting DAWG_AI_MAX_AUDIO_DURATION_S)" in detail
        # the continuation alone, or the clip without a preview, is fine
        alone = small.post(
            "/api/v1/generate/melody", data={"bars": "1", "preview": "wav", "include_primer": "false"}, files=primer
        )
        assert alone.status_code == 200 and alone.json()["preview_format"] == "wav", alone.text[:300]
        plain = small.post("/api/v1/generate/melody", data={"bars": "1"}, files=primer)  # primer to its bar line, a bar
        assert plain.status_code == 200 and plain.json()["duration_seconds"] == 124.0


def test_a_primer_repeated_in_every_variation_past_the_bound_is_422(client: TestClient) -> None:
    """Each variation repeats the primer (include_primer): 100,000 notes of it (0.8 MB of MIDI, a fifth of the
    4 MB a primer may be) in 8 variations took 53 s and answered 58 MB of JSON."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    busy = pretty_midi.Instrument(program=0)
    busy.notes.extend(
        pretty_midi.Note(velocity=80, pitch=60 + i % 12, start=i * 0.01, end=i * 0.01 + 0.008) for i in range(12_501)
    )
    pm.instruments.append(busy)
    buffer = io.BytesIO()
    pm.write(buffer)
    primer = {"primer": ("busy.mid", buffer.getvalue(), "audio/midi")}
    refused = client.post("/api/v1/generate/melody", data={"bars": "1", "variations": "8"}, files=primer)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_parameter", refused.text[:300]
    assert refused.json()["detail"].startswith(
        "primer: its 12501 notes would come back in each of 8 variation(s) (include_primer), 100008 notes; "
        "at most 100000"
    ), refused.json()["detail"]
    for fine in ({"variations": "8", "include_primer": "false"}, {"variations": "1"}):
        answer = client.post("/api/v1/generate/melody", data={"bars": "1", **fine}, files=primer)
        assert answer.status_code == 200, (fine, answer.text[:300])


def test_variations_are_distinct_clips(client: TestClient) -> None:
    body = client.post("/api/v1/generate/melody", json={"variations": 3, "seed": 100, "bars": 2}).json()
    assert len(body["variations"]) == 3
    assert len({clip["midi_base64"] for clip in body["variations"]}) == 3
    assert body["variations"][0]["midi_base64"] == body["midi_base64"]


def test_jarvis_funk_bassline_json(client: TestClient) -> None:
    response = client.post("/api/v1/generate/bassline", json={"key": "E", "scale": "minor", "bars": 4, "style": "funk"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["style"] == "bass" and body["genre"] == "funk"


def test_drum_style_as_style_on_generate_midi(client: TestClient) -> None:
    body = client.post("/api/v1/generate/midi?style=jazz&bars=2&seed=1").json()
    assert body["style"] == "drums" and body["genre"] == "jazz"


def test_every_drum_style_the_magenta_bundle_lists_is_accepted(client: TestClient) -> None:
    """The styles /api/v1/models lists for dawg_drums (its primer file) are engine styles, so no
    listed style is refused; a waltz comes in its own 3/4 unless the caller names a meter."""
    from ai.generation.drum_patterns import DRUM_STYLES
    from ai.generation.magenta_primers import STYLE_PRIMERS_FILE, load_style_primers
    from utils.settings import Settings

    listed = set(load_style_primers(Settings().models_dir / STYLE_PRIMERS_FILE))
    assert {"waltz", "disco", "country", "ballad", "march"} <= listed <= set(DRUM_STYLES)
    for style in sorted(listed):
        response = client.post("/api/v1/generate/midi", data={"style": style, "bars": "2", "seed": "1"})
        assert response.status_code == 200, (style, response.text)
    waltz = client.post("/api/v1/generate/midi", data={"style": "waltz", "bars": "2", "seed": "1"}).json()
    assert waltz["time_signature"] == "3/4"
    midi = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(waltz["midi_base64"])))
    assert (midi.time_signature_changes[0].numerator, midi.time_signature_changes[0].denominator) == (3, 4)
    named = client.post("/api/v1/generate/midi", data={"style": "waltz", "bars": "2", "time_signature": "6/8"})
    assert named.json()["time_signature"] == "6/8"
    rock = client.post("/api/v1/generate/midi", data={"style": "rock", "bars": "2"}).json()
    assert rock["time_signature"] == "4/4"
    assert waltz["meter_note"] is None and rock["meter_note"] is None


def test_a_style_played_in_another_meter_says_so(client: TestClient) -> None:
    """A waltz asked for in 4/4 played in 4/4 with nothing in the answer to say it was not in its 3/4."""
    data = {"style": "waltz", "bars": "2", "seed": "1", "time_signature": "4/4"}
    body = client.post("/api/v1/generate/midi", data=data).json()
    assert body["time_signature"] == "4/4"
    assert body["meter_note"] == "waltz is a 3/4 style and time_signature asks for 4/4: played in 4/4 bars"
    as_midi = client.post("/api/v1/generate/midi", data={**data, "format": "midi"})
    assert as_midi.headers["X-Meter-Note"] == body["meter_note"]
    bass = client.post("/api/v1/generate/bassline", data={**data, "time_signature": "6/8"}).json()
    assert bass["meter_note"] == "waltz is a 3/4 style and time_signature asks for 6/8: played in 6/8 bars"
    same = client.post("/api/v1/generate/midi", data={**data, "time_signature": "3/4"}).json()
    assert same["meter_note"] is None


def test_primer_upload_is_continued(client: TestClient) -> None:
    primer = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    for i, pitch in enumerate([60, 62, 64, 65]):
        inst.notes.append(pretty_midi.Note(90, pitch, i * 0.5, i * 0.5 + 0.45))
    primer.instruments.append(inst)
    buffer = io.BytesIO()
    primer.write(buffer)
    response = client.post(
        "/api/v1/generate/melody",
        data={"bars": "2", "seed": "4", "tempo": "120"},
        files={"primer": ("primer.mid", buffer.getvalue(), "audio/midi")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["primer_notes"] == 4
    notes = body["notes"]
    assert [n["pitch"] for n in notes[:4]] == [60, 62, 64, 65]
    # Continued after the one-bar primer, from it: the first bar takes up the primer's quarter-note
    # rhythm and starts near where the primer left off (F4).
    continuation = notes[4:]
    assert [round(n["start"] - 2.0, 3) for n in continuation if n["start"] < 4.0] == [0.0, 0.5, 1.0, 1.5]
    assert abs(continuation[0]["pitch"] - 65) <= 5
    assert body["duration_seconds"] == pytest.approx(2.0 + 2 * 2.0)
    # The clip is the primer's bar and the 2 asked for: bars alone placed a region a third short.
    assert (body["primer_bars"], body["bars"]) == (1, 2)
    # The continuation alone, from 0: what a DAW places after the clip it already has.
    alone = client.post(
        "/api/v1/generate/melody",
        data={"bars": "2", "seed": "4", "tempo": "120", "include_primer": "false"},
        files={"primer": ("primer.mid", buffer.getvalue(), "audio/midi")},
    ).json()
    assert alone["primer_notes"] == 0 and alone["duration_seconds"] == pytest.approx(4.0)
    assert alone["primer_bars"] == 0
    assert [(n["pitch"], round(n["start"] + 2.0, 4)) for n in alone["notes"]] == [
        (n["pitch"], round(n["start"], 4)) for n in continuation
    ]
    data = base64.b64decode(alone["midi_base64"])
    midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    assert min(n.start for n in midi.instruments[0].notes) < 0.01
    assert mido.MidiFile(file=io.BytesIO(data)).length == pytest.approx(4.0)  # ends on the bar line


def test_a_melody_primer_for_a_bassline_is_its_context_not_its_first_bars(client: TestClient) -> None:
    primer = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    for i, pitch in enumerate([64, 67, 72, 74, 72, 67, 64, 67]):
        inst.notes.append(pretty_midi.Note(90, pitch, i * 0.5, i * 0.5 + 0.45))
    primer.instruments.append(inst)
    buffer = io.BytesIO()
    primer.write(buffer)
    files = {"primer": ("melody.mid", buffer.getvalue(), "audio/midi")}
    body = client.post("/api/v1/generate/bassline", data={"bars": "2", "seed": "4"}, files=files).json()
    # The bass clip holds the bass line alone, from 0; asked for, the melody comes along as before.
    assert body["primer_notes"] == 0 and body["duration_seconds"] == pytest.approx(4.0)
    assert body["notes"] and all(n["pitch"] <= 55 for n in body["notes"]), body["notes"]
    asked = client.post(
        "/api/v1/generate/bassline", data={"bars": "2", "seed": "4", "include_primer": "true"}, files=files
    ).json()
    assert asked["primer_notes"] == 8 and [n["pitch"] for n in asked["notes"][:2]] == [64, 67]


@pytest.mark.parametrize(
    "query,parameter",
    [
        ("bars=-1", "bars"),
        ("bars=0", "bars"),
        ("bars=33", "bars"),
        ("scale=klingon", "scale"),
        ("key=H", "key"),
        ("key=Am&scale=major", "key"),
        ("tempo=abc", "tempo"),
        ("temperature=5", "temperature"),
        ("chords=Am%20Fx7", "chords"),
        ("time_signature=4", "time_signature"),
        ("variations=9", "variations"),
        ("style=polka", "style"),
        ("model=nonexistent", "model"),
        ("tempi=120", "tempi"),
        ("format=midi&variations=2", "format"),
    ],
)
def test_bad_parameters_are_clear_4xx(client: TestClient, query: str, parameter: str | None) -> None:
    response = client.post(f"/api/v1/generate/midi?{query}")
    body = response.json()
    if parameter == "model":  # an unknown name lists each model once
        names = body["detail"].split("use one of ")[1].split(", ")
        assert len(names) == len(set(names)) and "theory" in names
    if parameter is None:
        assert response.status_code == 503
        assert body["error"] == "model_unavailable" and "nonexistent" in body["detail"]
    else:
        assert response.status_code == 422, body
        assert body["error"] == "invalid_parameter"
        assert body["detail"].startswith(parameter)


def test_bad_primer_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/generate/melody", files={"primer": ("x.mid", b"not midi", "audio/midi")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("primer")


def _one_note_at(tick: int) -> bytes:
    track = mido.MidiTrack()
    track.append(mido.Message("note_on", note=60, velocity=90, time=tick))
    track.append(mido.Message("note_off", note=60, velocity=0, time=240))
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def test_a_primer_whose_note_lies_far_out_is_422_however_pretty_midi_is_set(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """37 bytes with one note at tick 2e8: with Magenta's note_seq imported (pretty_midi's tick guard lifted to
    1e10) it took 4.1 s and 4.6 GB to read; without it, it was "not a readable MIDI file"."""
    far = {"primer": ("far.mid", _one_note_at(200_000_000), "audio/midi")}
    for max_tick in (1e7, 1e10):  # pretty_midi's own guard, and note_seq's once Magenta is loaded
        monkeypatch.setattr(pretty_midi.pretty_midi, "MAX_TICK", max_tick)
        refused = client.post("/api/v1/generate/melody", files=far)
        assert refused.status_code == 422, refused.text[:300]
        assert refused.json()["detail"].startswith(
            "primer: its last event lies at tick 200,000,240 (416,667 quarter notes in); a primer may reach tick "
            "4,000,000 at most"
        ), refused.json()["detail"]
    near = {"primer": ("near.mid", _one_note_at(3_000_000), "audio/midi")}  # 1,500 bars in, under the bound
    answer = client.post("/api/v1/generate/melody", data={"bars": "1"}, files=near)
    assert answer.status_code == 200, answer.text[:300]


def _midi_of(*messages: mido.Message | mido.MetaMessage, ticks_per_beat: int = 480) -> bytes:
    """A one-track MIDI file of ``messages``."""
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(mido.MidiTrack(messages))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def test_a_primer_lasting_a_million_bars_at_one_tick_a_quarter_is_422(client: TestClient) -> None:
    """The tick bound does not bound the length: at one tick a quarter note, one note 3,999,999 ticks long (37
    bytes) lasts a million bars, and Magenta walked every step of them (no answer in 60 s)."""
    long = _midi_of(
        mido.Message("note_on", note=60, velocity=80, time=0),
        mido.Message("note_off", note=60, velocity=64, time=3_999_999),
        ticks_per_beat=1,
    )
    refused = client.post("/api/v1/generate/melody", files={"primer": ("long.mid", long, "audio/midi")})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_parameter", refused.text[:300]
    assert refused.json()["detail"] == (
        "primer: its melodic notes last 1,000,000 bars at the request's tempo and meter (2,000,000 s); a primer may "
        "last 2,048 bars at most (the models continue from its last bars)"
    )


def test_a_primer_whose_time_signature_is_no_meter_is_422_naming_the_primer(client: TestClient) -> None:
    """A 255/128 event was answered "time_signature: 255/128 is not a meter", a parameter the caller never sent."""
    odd = _midi_of(
        mido.MetaMessage("time_signature", numerator=255, denominator=128),
        mido.Message("note_on", note=60, velocity=80, time=0),
        mido.Message("note_off", note=60, velocity=64, time=480),
    )
    primer = {"primer": ("odd.mid", odd, "audio/midi")}
    refused = client.post("/api/v1/generate/melody", files=primer)
    assert refused.status_code == 422, refused.text[:300]
    assert refused.json()["detail"].startswith("primer: its time signature 255/128 is not a meter a clip can take")
    assert client.post("/api/v1/generate/melody", data={"time_signature": "4/4"}, files=primer).status_code == 200


def test_invalid_json_body_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/generate/melody", content=b"{bars: 4", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_parameter"


def test_explicit_magenta_without_bundles_is_503_naming_it(client: TestClient) -> None:
    response = client.post("/api/v1/generate/midi?style=drums&model=magenta")
    assert response.status_code == 503
    assert "magenta" in response.json()["detail"]


def test_auto_falls_back_to_theory_and_says_so(client: TestClient) -> None:
    body = client.post("/api/v1/generate/midi?style=drums&bars=1").json()
    assert body["model"] == "theory"
    assert "Magenta" in body["fallback_reason"]


def test_send_to_core_delivers_to_a_core_with_an_import_route(client: TestClient, core) -> None:
    body = client.post("/api/v1/generate/bassline?bars=1&seed=9&send_to_core=true").json()
    assert body["delivered"] is True, body["delivery_reason"]
    assert core.imports[-1] == base64.b64decode(body["midi_base64"])


def test_extended_altered_and_slash_chords_over_http(client: TestClient) -> None:
    """DAWG-CORE's form body with the chords a jazz or pop chart carries."""
    body = {"key": "C", "chords": "Am11 Bb7#9 C/E G13", "bars": "4", "seed": "5"}
    bass = client.post("/api/v1/generate/bassline", data=body)
    assert bass.status_code == 200, bass.text
    assert bass.json()["chords"] == ["Am11", "Bb7#9", "C/E", "G13"]
    midi = pretty_midi.PrettyMIDI(io.BytesIO(base64.b64decode(bass.json()["midi_base64"])))
    # The bar over C/E starts on its bass note E.
    bar = 60.0 / float(bass.json()["tempo"]) * 4
    third_bar = sorted(
        (n for n in midi.instruments[0].notes if 2 * bar - 0.01 <= n.start < 3 * bar), key=lambda n: n.start
    )
    assert third_bar and third_bar[0].pitch % 12 == 4
    refused = client.post("/api/v1/generate/melody", data={**body, "chords": "Am11 Cx7"})
    assert refused.status_code == 422 and "Cx7" in refused.json()["detail"]


@pytest.mark.parametrize("path", ["bassline", "melody"])
def test_chords_without_a_key_are_played_in_their_key(client: TestClient, path: str) -> None:
    """'over B7 E A' with no key: the part was snapped to C major and played C natural over B7 and A."""
    body = {"chords": "B7 E A E", "bars": "4", "seed": "3"}
    response = client.post(f"/api/v1/generate/{path}", data=body)
    assert response.status_code == 200, response.text
    assert (response.json()["key"], response.json()["scale"]) == ("E", "major")
    e_major = {4, 6, 8, 9, 11, 1, 3}
    pitches = [note["pitch"] % 12 for note in response.json()["notes"]]
    assert pitches and set(pitches) <= e_major


def test_a_two_chord_vamp_without_a_key_is_in_its_first_chord(client: TestClient) -> None:
    """'Am G Am G' was read as G major (the profiles favour a major tonic triad): a vamp is heard in its first chord."""
    body = {"chords": "Am G Am G", "bars": "4", "seed": "3"}
    response = client.post("/api/v1/generate/bassline", data=body)
    assert response.status_code == 200, response.text
    assert (response.json()["key"], response.json()["scale"]) == ("A", "minor")


@pytest.mark.parametrize(
    ("path", "meter", "bars", "tempo"), [("bassline", "4/4", 3, 100.0), ("melody", "3/4", 2, 90.0)]
)
def test_the_midi_file_ends_at_the_bar_line(client: TestClient, path: str, meter: str, bars: int, tempo: float) -> None:
    """A DAW reads the clip's length from the end-of-track event: it must fall on the bar line after
    the last bar even when that bar ends in a rest (a staccato or sparse last bar)."""

    body = {"key": "C", "bars": str(bars), "tempo": str(tempo), "time_signature": meter, "seed": "3", "density": "0"}
    data = base64.b64decode(client.post(f"/api/v1/generate/{path}", data=body).json()["midi_base64"])
    beats = int(meter.split("/")[0])
    expected = bars * beats * 60.0 / tempo
    assert mido.MidiFile(file=io.BytesIO(data)).length == pytest.approx(expected, abs=1e-3)
    last_note_end = pretty_midi.PrettyMIDI(io.BytesIO(data)).get_end_time()
    assert last_note_end <= expected + 1e-6


def _motif_file(pitches: list[int], *, tempo: float, beat: float = 1.0, key_number: int | None = None) -> bytes:
    """A one-note-per-beat motif at ``tempo`` (written in the file), optionally with a key signature."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(3, 4, 0.0))
    if key_number is not None:
        pm.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    inst = pretty_midi.Instrument(program=0)
    step = beat * 60.0 / tempo
    for i, pitch in enumerate(pitches):
        inst.notes.append(pretty_midi.Note(90, pitch, i * step, (i + 0.9) * step))
    pm.instruments.append(inst)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def test_a_primer_gives_its_tempo_meter_and_key_when_the_request_does_not(client: TestClient) -> None:
    """A D-major motif at 90 BPM in 3/4, sent with nothing else: the continuation is in D major,
    at 90 BPM, in 3/4, on the primer's grid (its notes start on the 90 BPM beat grid)."""
    d_major = [62, 66, 69, 71, 69, 66, 64, 61, 62]
    response = client.post(
        "/api/v1/generate/melody",
        data={"bars": "2", "seed": "2", "model": "theory"},
        files={"primer": ("motif.mid", _motif_file(d_major, tempo=90.0), "audio/midi")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["key"], body["scale"], body["tempo"], body["time_signature"]) == ("D", "major", 90.0, "3/4")
    continuation = body["notes"][len(d_major) :]
    assert {n["pitch"] % 12 for n in continuation} <= parse_key("D major").pitch_classes
    sixteenth = 60.0 / 90.0 / 4
    assert all(abs(n["start"] / sixteenth - round(n["start"] / sixteenth)) < 1e-3 for n in continuation)
    # What the request names wins over the primer; a key signature in the file is read as written.
    named = client.post(
        "/api/v1/generate/melody",
        data={"bars": "2", "seed": "2", "model": "theory", "key": "G", "tempo": "100", "time_signature": "4/4"},
        files={"primer": ("motif.mid", _motif_file(d_major, tempo=90.0), "audio/midi")},
    ).json()
    assert (named["key"], named["tempo"], named["time_signature"]) == ("G", 100.0, "4/4")
    signed = client.post(
        "/api/v1/generate/bassline",
        data={"bars": "2", "seed": "2", "model": "theory"},
        files={"primer": ("b.mid", _motif_file([45, 48, 52], tempo=140.0, key_number=21), "audio/midi")},
    ).json()
    assert (signed["key"], signed["scale"], signed["tempo"]) == ("A", "minor", 140.0)


@pytest.mark.parametrize(("primer_bpm", "played", "said"), [(600.0, 300.0, "600 BPM"), (10.0, 20.0, "10 BPM")])
def test_a_primer_tempo_outside_the_range_is_clipped_and_the_answer_says_so(
    client: TestClient, primer_bpm: float, played: float, said: str
) -> None:
    """A primer at 600 BPM continued at 300 (10 BPM at 20) with nothing in the answer to say its tempo was not used."""
    primer = ("motif.mid", _motif_file([60, 62, 64], tempo=primer_bpm), "audio/midi")
    data = {"bars": "1", "seed": "1", "model": "theory"}
    body = client.post("/api/v1/generate/melody", data=data, files={"primer": primer}).json()
    assert body["tempo"] == played
    assert body["tempo_note"] == (
        f"the primer's tempo, {said}, is outside 20-300 BPM: the clip plays at {played:g} BPM "
        "(send tempo to choose another)"
    )
    as_midi = client.post("/api/v1/generate/melody", data={**data, "format": "midi"}, files={"primer": primer})
    assert as_midi.headers["X-Tempo-Note"] == body["tempo_note"]
    # A tempo asked for, or a primer's tempo in range, needs no note.
    asked = client.post("/api/v1/generate/melody", data={**data, "tempo": "300"}, files={"primer": primer}).json()
    in_range = ("motif.mid", _motif_file([60, 62, 64], tempo=90.0), "audio/midi")
    kept = client.post("/api/v1/generate/melody", data=data, files={"primer": in_range}).json()
    assert asked["tempo_note"] is None and kept["tempo_note"] is None and kept["tempo"] == 90.0


def test_without_key_tempo_or_primer_the_defaults_stand(client: TestClient) -> None:
    body = client.post("/api/v1/generate/melody", data={"bars": "1", "seed": "1"}).json()
    assert (body["key"], body["scale"], body["tempo"], body["time_signature"]) == ("C", "major", 120.0, "4/4")


def test_variations_skip_near_duplicates_while_others_exist() -> None:
    """A clip that shares most notes with one already taken is passed over for a distinct one, and
    taken (least similar first) only when the tries run out."""
    import dataclasses

    from ai.generation.base import GeneratedClip, GenerationRequest, Generator, Note
    from api.routes.generation import _generate_variations, shared_notes

    def clip(pitches: list[int]) -> GeneratedClip:
        notes = [Note(p, 0.5 * i, 0.5 * i + 0.4, 90) for i, p in enumerate(pitches)]
        return GeneratedClip(notes=notes, part="melody", model="fake", tempo=120.0, duration_seconds=4.0)

    by_seed = {
        0: clip([60, 62, 64, 65, 67, 69, 71, 72]),
        1: clip([60, 62, 64, 65, 67, 69, 71, 74]),  # one note from seed 0: a near-duplicate
        2: clip([72, 71, 69, 67, 65, 64, 62, 60]),
        3: clip([60, 62, 64, 65, 67, 69, 72, 74]),  # two notes from seed 0
    }

    class Fake(Generator):
        name, parts = "fake", frozenset({"melody"})

        def generate(self, request: GenerationRequest) -> GeneratedClip:
            return by_seed[request.seed]

    base = GenerationRequest(
        part="melody", key=parse_key("C"), chords=(), tempo=120.0, bars=2, beats_per_bar=4, beat_unit=4,
        temperature=1.0, seed=0, density=0.5, swing=0.0, humanize=0.0, style=None, chromatic=False,
    )  # fmt: skip
    requests = [dataclasses.replace(base, seed=s) for s in range(4)]
    assert shared_notes(by_seed[0], by_seed[1]) == pytest.approx(7 / 8)
    assert [r.seed for r, _, _ in _generate_variations(Fake(), requests, 2)] == [0, 2]
    # Asked for four: seed 3 (6 of 8 notes shared, at the limit) is taken; seed 1 (7 of 8) only when
    # the tries have run out.
    assert [r.seed for r, _, _ in _generate_variations(Fake(), requests, 4)] == [0, 2, 3, 1]


def test_deeply_nested_json_and_booleans_for_numbers_are_422(client: TestClient) -> None:
    deep = '{"x": ' * 1000 + "1" + "}" * 1000  # a RecursionError and a 500 before
    response = client.post("/api/v1/generate/midi", content=deep, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "nested too deeply" in response.json()["detail"]
    for field in ("bars", "tempo", "seed", "density"):
        response = client.post("/api/v1/generate/midi", json={field: True})  # was read as 1
        assert response.status_code == 422 and field in response.json()["detail"], field
    assert client.post("/api/v1/generate/midi", data={"bars": "2"}).status_code == 200  # forms stay strings


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('{"key": "\\ud800"}', "key"),  # a lone surrogate: valid JSON, not text (a 500 when a message quoted it)
        ('{"scale": "C\\udfff"}', "scale"),
        ('{"chords": ["Am", "F\\ud83c"]}', "chords"),  # half of an emoji, in a list
        ('{"style": "\\udc00", "bars": 2}', "style"),
        ('{"\\ud800": 1}', "\\ud800"),  # in a parameter's name: named as ascii() writes it
    ],
)
def test_a_json_string_with_an_unpaired_surrogate_is_422(client: TestClient, body: str, named: str) -> None:
    response = client.post("/api/v1/generate/midi", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["detail"].startswith(f"{named}: holds an unpaired UTF-16 surrogate")
    # Both halves escaped are one character (an emoji): text, refused only as a style, and quoted back.
    paired = client.post(
        "/api/v1/generate/midi", content='{"style": "\\ud83c\\udfb8"}', headers={"content-type": "application/json"}
    )
    assert paired.status_code == 422 and "'\U0001f3b8' is neither a part" in paired.json()["detail"], paired.text


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("NaN", "not a number"),
        ("nan", "not a number"),
        ("inf", "not a finite number"),
        ("1e309", "not a finite number"),
    ],
)
def test_nan_and_infinities_are_not_a_number_not_out_of_range(client: TestClient, value: str, said: str) -> None:
    """'tempo: less than or equal to 300 (got 'NaN')' named a range NaN is not outside."""
    for name in ("tempo", "swing"):
        for request in ({"params": {name: value}}, {"data": {name: value}}):
            response = client.post("/api/v1/generate/midi", **request)  # type: ignore[arg-type]
            assert response.status_code == 422, response.text
            assert response.json()["detail"] == f"{name}: {said} (got {value!r})"
    body = '{"tempo": ' + ("NaN" if said == "not a number" else "Infinity") + "}"  # JSON as Python writes it
    response = client.post("/api/v1/generate/midi", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"].startswith(f"tempo: {said} (got "), response.text


@pytest.mark.parametrize("padding", [0, 70_000])  # parsed where it arrives, and in a thread (over 64 KB)
def test_a_json_integer_of_thousands_of_digits_is_422(client: TestClient, padding: int) -> None:
    """Python converts at most 4300 digits: the ValueError was a 500 (and the connection was dropped)."""
    body = '{"chords": "' + "C " * (padding // 2) + '", "bars": ' + "9" * 5000 + "}"
    response = client.post("/api/v1/generate/midi", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_parameter" and response.json()["detail"].startswith("body: ")
    assert len(response.text) < 300  # the digits are not echoed


def test_an_endless_chord_progression_is_refused_without_echoing_it(client: TestClient) -> None:
    for body in ({"chords": "C " * 500_000}, {"chords": ["C"] * 100}, {"chords": " ".join(["Am"] * 65)}):
        response = client.post("/api/v1/generate/midi", json=body)  # 1 MB took 5.5 s and echoed every chord
        assert response.status_code == 422 and "chords" in response.json()["detail"]
        assert len(response.text) < 600
    assert client.post("/api/v1/generate/bassline", json={"chords": " ".join(["Am", "F"] * 32)}).status_code == 200


def test_a_json_object_sent_as_a_form_is_read_as_json(client: TestClient) -> None:
    """`curl -d '{"key": "A", "scale": "minor"}'` sends the JSON with a form content type: the form parser
    made the whole object one parameter's name with an empty value, dropped as not given, and the request
    ran on its defaults (C major) with a 200."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    body = '{"key": "A", "scale": "minor", "chords": "Am F C G", "bars": 4}'
    answer = client.post("/api/v1/generate/bassline?seed=3", content=body, headers=form)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["key"], answer.json()["scale"], answer.json()["seed"]) == ("A", "minor", 3)
    assert answer.json()["chords"] == ["Am", "F", "C", "G"]
    # An '&' inside splits the object into fields: it cannot be read back, and the answer says how to send it.
    split = client.post("/api/v1/generate/bassline", content='{"style": "rock & roll"}', headers=form)
    assert split.status_code == 422 and "application/json" in split.json()["detail"], split.text
    not_an_object = client.post("/api/v1/generate/bassline", content='{"key": "A"', headers=form)
    assert not_an_object.status_code == 422 and "curl -d" in not_an_object.json()["detail"]
    assert client.post("/api/v1/generate/bassline", data={"key": "A", "bars": "1"}).status_code == 200  # a form


def test_a_compressed_body_is_415_naming_its_encoding(client: TestClient) -> None:
    """A gzipped JSON body was read as it came and answered 'not valid JSON'."""
    body = gzip.compress(b'{"key": "A", "bars": 1}')
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = client.post("/api/v1/generate/bassline", content=body, headers=headers)
    assert answer.status_code == 415, answer.text
    assert "Content-Encoding 'gzip'" in answer.json()["detail"]
    plain = client.post(
        "/api/v1/generate/bassline", json={"key": "A", "bars": 1}, headers={"Content-Encoding": "identity"}
    )
    assert plain.status_code == 200, plain.text


@pytest.mark.parametrize("query", ["style=drums", "style=funk", "style=drums&key=D&scale=minor&chords=Dm%20Bb"])
def test_a_drum_clip_answers_no_key_or_chords(client: TestClient, query: str) -> None:
    """It answered key "C" major and chords C Am F G (the defaults), though drums play neither."""
    body = client.post(f"/api/v1/generate/midi?{query}&bars=1&seed=1&variations=2").json()
    assert body["style"] == "drums"
    assert (body["key"], body["scale"], body["chords"]) == (None, None, None)


def test_a_recording_sent_as_primer_is_415_saying_so(client: TestClient) -> None:
    """`-F primer=@song.wav` was 422 "primer: not a readable MIDI file"; a recording is the wrong kind of file."""
    wav = io.BytesIO()
    sf.write(wav, np.zeros(22050, dtype=np.float32), 22050, format="WAV")
    uploaded = client.post("/api/v1/generate/melody", files={"primer": ("song.wav", wav.getvalue(), "audio/wav")})
    assert uploaded.status_code == 415, uploaded.text
    assert uploaded.json()["error"] == "unsupported_media_type"
    assert uploaded.json()["detail"].startswith("primer: must be a MIDI file; this is audio (WAV).")
    as_base64 = client.post("/api/v1/generate/bassline", json={"primer": base64.b64encode(wav.getvalue()).decode()})
    assert as_base64.status_code == 415, as_base64.text
    damaged = client.post("/api/v1/generate/melody", files={"primer": ("idea.mid", b"MThd broken", "audio/midi")})
    assert damaged.status_code == 422 and damaged.json()["detail"] == "primer: not a readable MIDI file"
    docs = client.get("/openapi.json").json()["paths"]["/api/v1/generate/melody"]["post"]["responses"]
    assert "primer that is audio" in docs["415"]["description"]


@pytest.mark.parametrize(("key", "scale"), [("D", "dorian"), ("A", "harmonic_minor"), ("E", "phrygian")])
def test_a_clip_sent_back_as_primer_keeps_its_mode(client: TestClient, key: str, scale: str) -> None:
    # The file carries a mode as its parent major's key signature (as scores write modes), which alone read D
    # dorian back as C major; the text event the engine writes beside it names the mode.
    made = client.post("/api/v1/generate/melody", json={"key": key, "scale": scale, "bars": 2, "model": "theory"})
    assert made.status_code == 200, made.text
    again = client.post(
        "/api/v1/generate/melody", json={"primer": made.json()["midi_base64"], "bars": 2, "model": "theory"}
    )
    assert again.status_code == 200, again.text
    assert (again.json()["key"], again.json()["scale"]) == (key, scale)


def test_a_swung_primer_is_continued_swung(client: TestClient) -> None:
    # A melody made with swing 0.7, sent back as its primer, was continued straight (swing 0.0).
    made = client.post(
        "/api/v1/generate/melody",
        json={"key": "C", "tempo": 100, "bars": 2, "swing": 0.7, "seed": 3, "model": "theory", "density": 0.9},
    )
    assert made.status_code == 200, made.text
    again = client.post(
        "/api/v1/generate/melody", json={"primer": made.json()["midi_base64"], "bars": 2, "model": "theory"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["swing"] == pytest.approx(0.7, abs=0.1)
    beat = 60.0 / 100
    new = [n["start"] for n in again.json()["notes"][again.json()["primer_notes"] :]]
    offbeats = [(t / beat) % 1 for t in new if 0.45 <= (t / beat) % 1 <= 0.72]
    assert offbeats and min(offbeats) > 0.55  # the continuation's off-beats swing too
    straight = client.post(
        "/api/v1/generate/melody",
        json={"primer": made.json()["midi_base64"], "bars": 2, "model": "theory", "swing": 0},
    )
    assert straight.json()["swing"] == 0  # a swing asked for wins


@pytest.mark.parametrize(
    ("genre", "style"), [("dubstep", "dubstep"), ("drill", "trap"), ("lo-fi", "hip-hop"), ("trance", "electronic")]
)
def test_a_genre_is_played_in_its_nearest_style(client: TestClient, genre: str, style: str) -> None:
    # style=dubstep was a 422 "unknown drum style": the answer's genre says which style played.
    response = client.post("/api/v1/generate/midi", json={"style": genre, "bars": 1, "model": "theory"})
    assert response.status_code == 200, response.text
    assert response.json()["genre"] == style


@pytest.mark.parametrize(
    ("style", "tempo", "backbeat_steps"),
    [
        ("trap", 140.0, {8}),  # half time: the clap on three
        ("dubstep", 140.0, {8}),
        ("drum-and-bass", 174.0, {4, 12}),
        ("breakbeat", 130.0, {4, 12}),
        ("uk-garage", 132.0, {4, 12}),
    ],
)
def test_a_genre_of_its_own_plays_its_backbeat_at_its_tempo(
    client: TestClient, style: str, tempo: float, backbeat_steps: set[int]
) -> None:
    """trap, dnb and dubstep were played as hip-hop or four-on-the-floor electronic at 120 BPM."""
    body = client.post(
        "/api/v1/generate/midi", data={"style": style, "bars": "4", "seed": "3", "model": "theory"}
    ).json()
    assert (body["genre"], body["tempo"]) == (style, tempo)
    sixteenth = 60.0 / tempo / 4
    loud = {38, 39, 40}  # snare, clap, electric snare
    steps = {round(n["start"] / sixteenth) % 16 for n in body["notes"] if n["pitch"] in loud and n["velocity"] >= 90}
    assert backbeat_steps <= steps, steps
    asked = client.post("/api/v1/generate/midi", data={"style": style, "bars": "1", "tempo": "100"}).json()
    assert asked["tempo"] == 100.0  # a tempo asked for wins


def test_reggaeton_plays_the_dembow(client: TestClient) -> None:
    body = client.post("/api/v1/generate/midi", data={"style": "reggaeton", "bars": "2", "seed": "1"}).json()
    assert body["tempo"] == 95.0
    sixteenth = 60.0 / 95.0 / 4
    first_bar = [(n["pitch"], round(n["start"] / sixteenth)) for n in body["notes"]]  # starts are rounded to 0.1 ms
    kicks = {step for pitch, step in first_bar if pitch == 36 and step < 16}
    snares = {step for pitch, step in first_bar if pitch == 38 and step < 16}
    assert kicks == {0, 4, 8, 12} and snares == {3, 6, 11, 14}
