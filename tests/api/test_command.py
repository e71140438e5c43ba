"""POST /api/v1/command over HTTP: the parse runs the same work as the action's own endpoint."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import Any

import pretty_midi
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.api.test_mixing import project_with_stems, stems, upload, wav
from tests.support.core_standin import run_core_standin


def clip_fields(body: dict[str, object]) -> tuple[object, object, object]:
    return body["midi_base64"], body["notes"], body["seed"]


def test_a_spoken_bassline_is_the_endpoints_bassline(client: TestClient) -> None:
    said = client.post(
        "/api/v1/command", json={"text": "give me a funky bassline in D minor, eight bars at 96", "seed": 7}
    )
    direct = client.post(
        "/api/v1/generate/bassline",
        json={"style": "funk", "key": "D", "scale": "minor", "bars": 8, "tempo": 96, "seed": 7},
    )
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["status"] == "done" and body["action"] == "generate_bass"
    assert body["params"] == {"style": "funk", "key": "D", "scale": "minor", "bars": 8, "tempo": 96}
    assert body["request"]["endpoint"] == "/api/v1/generate/bassline"
    assert clip_fields(body["result"]) == clip_fields(direct.json())
    assert body["result"]["tempo"] == 96 and body["result"]["bars"] == 8
    assert body["speech"] == "Here is a funk bass line in D minor, 8 bars of 4/4 at 96 BPM."


@pytest.mark.parametrize("chart", ["Dm7 / G7 / | C / / / | %", "Am | % | F | %", "C / / F / / | G / / / / /"])
def test_a_typed_chart_is_the_chart_sent_as_chords(client: TestClient, chart: str) -> None:
    """The command kept the bar lines but dropped the beat slashes and repeat signs: 'Dm7 / G7 / | C / / / | %'
    was 'Dm7 G7 | C', two bars, where the endpoint plays three; a 6/8 chart's counts went unchecked."""
    meter = "6/8" if "F / /" in chart else "4/4"
    said = client.post("/api/v1/command", json={"text": f"a bassline in {meter} over {chart}", "seed": 3})
    direct = client.post("/api/v1/generate/bassline", json={"chords": chart, "time_signature": meter, "seed": 3})
    assert said.status_code == direct.status_code == 200, said.text
    assert said.json()["params"]["chords"] == chart
    assert said.json()["result"]["chords"] == direct.json()["chords"]
    assert clip_fields(said.json()["result"]) == clip_fields(direct.json())
    plain = client.post("/api/v1/command", json={"text": "a bassline over Am / F / C / G", "dry_run": True})
    assert plain.json()["params"]["chords"] == "Am F C G"  # no bar line: a list, its slashes separators


def test_a_typed_chart_is_refused_as_the_endpoint_refuses_it(client: TestClient) -> None:
    """A bar whose slashes do not count the meter, or whose second chord is late: the endpoint's 422 naming the bar,
    for the run and the dry run (they were dropped, and the bar played as if written right)."""
    for text, bar in (
        ("a bassline in 3/4 over C / / / | G / /", "bar 1 ('C / / /') counts 4 beats with its slashes"),
        ("a bassline over C / / G | F", "bar 1 ('C / / G') changes chord on beat 4 of 4"),
    ):
        for dry_run in (False, True):
            said = client.post("/api/v1/command", json={"text": text, "dry_run": dry_run})
            assert said.status_code == 422, said.text
            assert said.json()["error"] == "invalid_parameter" and bar in said.json()["detail"]


def test_drums_from_a_form_body_and_from_the_query_string(client: TestClient) -> None:
    text = "drums, hip hop, 90 bpm, two bars"
    form = client.post("/api/v1/command", data={"text": text, "seed": "5"})
    query = client.post("/api/v1/command", params={"text": text, "seed": "5"})
    direct = client.post("/api/v1/generate/midi?style=hip-hop&tempo=90&bars=2&seed=5")
    assert form.status_code == 200 and query.status_code == 200, form.text
    assert form.json()["params"] == {"style": "hip-hop", "tempo": 90, "bars": 2}
    assert clip_fields(form.json()["result"]) == clip_fields(query.json()["result"]) == clip_fields(direct.json())


def test_jarvis_command_field_and_dry_run(client: TestClient) -> None:
    response = client.post(
        "/api/v1/command", json={"command": "make a melody in F sharp dorian over Am F C G", "dry_run": True}
    )
    body = response.json()
    assert response.status_code == 200 and body["status"] == "parsed"
    assert body["params"] == {"key": "F#", "scale": "dorian", "chords": "Am F C G"}
    assert body["request"]["endpoint"] == "/api/v1/generate/melody"
    assert body["result"] is None and body["speech"] is None


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        ({"text": "generate drums at 999 bpm"}, "tempo: Input should be less than or equal to 300 (got 999)"),
        ({"text": "a bassline for 0 bars"}, "bars: Input should be greater than or equal to 1 (got 0)"),
        ({"text": "a melody in 7/3"}, "time_signature: numerator 1-16 and denominator 2, 4, 8 or 16 (got '7/3')"),
        ({"text": "drums, 20 variations"}, "variations: Input should be less than or equal to 8 (got 20)"),
    ],
)
def test_a_dry_run_refuses_what_the_run_refuses(client: TestClient, values: dict[str, Any], detail: str) -> None:
    """dry_run answered "parsed" for "drums at 999 bpm", which the run refuses: a DAW checking a command before it
    runs it was told it would work. The endpoint's parameter checks (what a job of it passes before it is queued)
    now answer the dry run too, with the action understood; what needs the work (the upload) stays the run's."""
    dry = client.post("/api/v1/command", json={**values, "dry_run": True})
    run = client.post("/api/v1/command", json=values)
    assert dry.status_code == run.status_code == 422, (dry.text, run.text)
    assert dry.json()["detail"] == run.json()["detail"] == detail and dry.json()["error"] == "invalid_parameter"
    assert dry.json()["action"] == run.json()["action"] and dry.json()["speech"]
    unsent = client.post("/api/v1/command", json={"text": "what key is this", "dry_run": True})
    assert unsent.status_code == 200 and unsent.json()["status"] == "parsed"  # its file is the run's to read


def test_a_percentage_is_the_fraction_the_endpoint_takes(client: TestClient) -> None:
    """'hip hop drums 90 bpm with 20% swing' was a 422 ("I heard '20'"), 'drums with 60% swing' jazz at 60 BPM."""
    said = client.post("/api/v1/command", json={"text": "hip hop drums 90 bpm with 20% swing", "seed": 4})
    direct = client.post("/api/v1/generate/midi", json={"style": "hip-hop", "tempo": 90, "swing": 0.2, "seed": 4})
    assert said.status_code == direct.status_code == 200, said.text
    assert said.json()["params"] == {"style": "hip-hop", "tempo": 90, "swing": 0.2}
    assert said.json()["result"]["swing"] == 0.2 and said.json()["result"]["tempo"] == 90
    assert clip_fields(said.json()["result"]) == clip_fields(direct.json())
    for run_dry in (False, True):  # out of 0 .. 100 %: the endpoint's own 422, with its range
        over = client.post("/api/v1/command", json={"text": "drums with 150% swing", "dry_run": run_dry})
        assert over.status_code == 422 and over.json()["error"] == "invalid_parameter", over.text
        assert over.json()["detail"] == "swing: Input should be less than or equal to 1 (got 1.5)"
    unnamed = client.post("/api/v1/command", json={"text": "drums at 60%", "dry_run": True})
    assert unnamed.status_code == 422 and unnamed.json()["error"] == "command_not_understood"
    assert "'60%'" in unnamed.json()["detail"]


def test_text_and_command_with_different_words_is_422_and_the_same_words_run(client: TestClient) -> None:
    # {"text": "generate drums", "command": "generate bassline"} made drums and dropped the bassline unsaid.
    both = {"text": "generate drums", "command": "generate bassline", "dry_run": True}
    refused = client.post("/api/v1/command", json=both)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("command: text and command"), refused.text
    same = client.post(
        "/api/v1/command", json={"text": "generate drums", "command": " generate drums", "dry_run": True}
    )
    assert same.status_code == 200 and same.json()["action"] == "generate_drums"


@pytest.mark.parametrize("text", ["4x drums", "drums x4", "generate drums 4 times"])
def test_a_producers_4x_is_four_variations(client: TestClient, text: str) -> None:
    said = client.post("/api/v1/command", json={"text": text, "dry_run": True})  # was a 422 "I heard '4'"
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "generate_drums" and body["params"] == {"variations": 4}
    assert body["request"]["endpoint"] == "/api/v1/generate/midi"


def test_a_seed_said_reaches_the_endpoint_and_a_seed_sent_beside_wins(client: TestClient) -> None:
    said = client.post("/api/v1/command", json={"text": "bass seed 42, two bars"})
    direct = client.post("/api/v1/generate/bassline", json={"bars": 2, "seed": 42})
    assert said.status_code == 200, said.text
    assert said.json()["params"] == {"seed": 42, "bars": 2}
    assert said.json()["request"]["params"]["seed"] == 42
    assert clip_fields(said.json()["result"]) == clip_fields(direct.json())
    beside = client.post("/api/v1/command", json={"text": "bass seed 42, two bars", "seed": 5, "dry_run": True})
    assert beside.json()["request"]["params"]["seed"] == 5
    refused = client.post("/api/v1/command", json={"text": "bass seed minus 3"})
    assert refused.status_code == 422 and "'minus 3' as the seed" in refused.json()["detail"]


def test_what_key_is_this_answers_from_the_upload(client: TestClient) -> None:
    audio = wav_bytes(song_in_g_major())
    said = client.post(
        "/api/v1/command", data={"text": "what key is this?"}, files={"file": ("idea.wav", audio, "audio/wav")}
    )
    direct = client.post("/api/v1/analyze/audio", files={"file": ("idea.wav", audio, "audio/wav")})
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "analyze_audio" and body["params"] == {"question": "key"}
    assert body["result"] == direct.json()
    assert body["result"]["key"] == "G major"
    assert body["speech"] == "It's in G major."


def test_what_key_without_a_file_says_what_to_upload(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "what key is this"})
    assert response.status_code == 422
    assert "upload it as the multipart field 'file'" in response.json()["detail"]


def test_how_is_my_mix_with_stems(client: TestClient) -> None:
    files = upload(stems())
    said = client.post("/api/v1/command", data={"text": "how's my mix"}, files=files)
    direct = client.post("/api/v1/mixing/suggest", files=files)
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "mixing_suggest"
    assert body["result"] == direct.json()
    assert body["request"]["uploads"] == {"files": ["Kick.wav", "Bass.wav", "Vocals.wav"]}
    assert body["speech"].startswith(f"The mix scores {direct.json()['overall_quality'] * 100:.0f} percent.")


def test_master_it_for_spotify_with_a_finished_mix(client: TestClient) -> None:
    mix = sum(stems().values()) * 0.3
    said = client.post(
        "/api/v1/command", data={"text": "master it for Spotify"}, files={"master": ("song.wav", wav(mix), "audio/wav")}
    )
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "render_mix" and body["result"]["master"]["target"]["lufs"] == -14.0
    assert body["result"]["measured_after"]["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)


def test_render_without_audio_says_what_to_upload(client: TestClient) -> None:
    said = client.post("/api/v1/command", data={"text": "render the mix"})
    assert said.status_code == 422, said.text
    body = said.json()
    assert body["error"] == "no_audio" and body["action"] == "render_mix"
    assert "'files'" in body["detail"] and "'master'" in body["detail"] and "project_id" in body["detail"]


@pytest.mark.parametrize("text", ["how's my mix", "balance my levels"])
def test_mixing_without_audio_does_not_say_done(client: TestClient, text: str) -> None:
    """The mixing routes answer an empty POST 200 "no_audio" (the web client's contract); the command said
    status "done" around it, as if the mix had been looked at."""
    said = client.post("/api/v1/command", json={"command": text})
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["status"] == "no_audio" and body["result"]["status"] == "no_audio"
    assert body["speech"].startswith("I need the tracks' audio")


def bass_primer() -> bytes:
    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    bass = pretty_midi.Instrument(program=33)
    for i, pitch in enumerate([40, 40, 43, 45, 40, 47, 45, 43]):
        bass.notes.append(pretty_midi.Note(100, pitch, i * 0.6, i * 0.6 + 0.5))
    pm.instruments.append(bass)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def test_continue_this_hears_a_bass_primer(client: TestClient) -> None:
    primer = bass_primer()
    said = client.post(
        "/api/v1/command",
        data={"text": "continue this for eight bars", "seed": "3"},
        files={"primer": ("idea.mid", primer, "audio/midi")},
    )
    direct = client.post(
        "/api/v1/generate/bassline",
        data={"bars": "8", "seed": "3"},
        files={"primer": ("idea.mid", primer, "audio/midi")},
    )
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["action"] == "continue" and body["request"]["endpoint"] == "/api/v1/generate/bassline"
    assert clip_fields(body["result"]) == clip_fields(direct.json())
    # base64 primer works as well as the upload
    encoded = client.post(
        "/api/v1/command",
        json={"text": "continue this for eight bars", "seed": 3, "primer": base64.b64encode(primer).decode()},
    )
    assert clip_fields(encoded.json()["result"]) == clip_fields(direct.json())


def test_a_part_for_a_midi_clip_is_made_for_the_clip(client: TestClient) -> None:
    # "a bass line for this" is an accompaniment for a recording; for a MIDI clip sent as the primer, the bass line
    # made from the clip, as /generate/bassline makes it (the accompaniment takes no MIDI).
    primer = bass_primer()
    said = client.post(
        "/api/v1/command",
        data={"text": "give me a bass line for this", "seed": "3"},
        files={"primer": ("idea.mid", primer, "audio/midi")},
    )
    direct = client.post(
        "/api/v1/generate/bassline", data={"seed": "3"}, files={"primer": ("idea.mid", primer, "audio/midi")}
    )
    assert said.status_code == 200, said.text
    assert said.json()["action"] == "generate_bass"
    assert clip_fields(said.json()["result"]) == clip_fields(direct.json())


def test_continue_without_a_primer_is_422(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "keep going with this"})
    assert response.status_code == 422 and "primer" in response.json()["detail"]


def test_play_and_stop_reach_the_core(tmp_path: Path) -> None:
    with run_core_standin(mode="normal") as core, engine_client(make_settings(tmp_path, core_url=core.url)) as client:
        played = client.post("/api/v1/command", json={"text": "hit play"})
        dry = client.post("/api/v1/command", json={"text": "stop the song", "dry_run": True})
        stopped = client.post("/api/v1/command", json={"text": "stop the song"})
    assert played.status_code == 200 and played.json()["result"]["status"] == "playing"
    assert played.json()["speech"] == "DAWG-CORE is playing."
    assert dry.json()["status"] == "parsed"
    assert stopped.json()["result"]["status"] == "stopped"
    assert [r.path for r in core.received if r.method == "POST"] == ["/api/v1/transport/play", "/api/v1/transport/stop"]


def test_play_with_the_core_down_is_an_honest_503(client: TestClient, tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as down:
        response = down.post("/api/v1/command", json={"text": "play"})
    body = response.json()
    assert response.status_code == 503 and body["error"] == "core_unreachable"
    assert body["action"] == "play" and "is DAWG-CORE running?" in body["detail"]
    # What Jarvis says: no URL (the detail's address was read out aloud).
    assert body["speech"] == "DAWG-CORE isn't answering: is it running?"


def test_commands_nobody_implements_are_understood_but_501(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "mute track three"})
    body = response.json()
    assert response.status_code == 501 and body["error"] == "command_not_available"
    assert body["action"] == "mute_track" and body["params"] == {"track": 3}
    assert "no mute route" in body["missing"]
    assert body["speech"] == "I understood, but DAWG-CORE's REST API has no mute route."


def test_unknown_text_is_422_with_what_was_understood_and_suggestions(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "generate something in D minor"})
    body = response.json()
    assert response.status_code == 422 and body["error"] == "command_not_understood"
    assert body["understood"] == {"key": "D", "scale": "minor"}
    assert "make a bassline in D minor" in body["suggestions"]
    assert body["speech"] == body["detail"]  # the refusal is a sentence already


def test_a_typo_of_a_key_word_runs_and_the_answer_says_what_it_read(client: TestClient) -> None:
    """'genrate a basline' was refused ('That is not a command I know'): it is the bassline, and says so."""
    typed = client.post("/api/v1/command", json={"text": "genrate a basline in D minor", "seed": 7})
    spelled = client.post("/api/v1/command", json={"text": "generate a bassline in D minor", "seed": 7})
    assert typed.status_code == 200, typed.text
    body = typed.json()
    assert body["action"] == "generate_bass" and body["params"] == {"key": "D", "scale": "minor"}
    assert body["corrections"] == {"genrate": "generate", "basline": "bassline"}
    assert clip_fields(body["result"]) == clip_fields(spelled.json()["result"])
    assert body["speech"] == "I read 'genrate' as 'generate' and 'basline' as 'bassline'. " + spelled.json()["speech"]
    assert spelled.json()["corrections"] == {}
    dry = client.post("/api/v1/command", json={"text": "gimme drumz", "dry_run": True}).json()
    assert dry["action"] == "generate_drums" and dry["corrections"] == {"drumz": "drums"}
    refused = client.post("/api/v1/command", json={"text": "gimme drumz at 999 bpm"})  # the endpoint's own 422
    assert refused.status_code == 422 and refused.json()["corrections"] == {"drumz": "drums"}
    assert refused.json()["speech"].startswith("I read 'drumz' as 'drums'. ")


def test_a_typo_of_a_mood_or_a_number_word_is_read_and_said(client: TestClient) -> None:
    """QA pass 6: 'a drak bassline' was made in major, 'drums at one hundered and twenty' was refused ('I heard
    'twenty' but not what it is'), 'eigth bars' made the default length."""
    for text, params, corrections in (
        ("a drak bassline", {"scale": "minor"}, {"drak": "dark"}),
        ("a sda melody", {"scale": "minor"}, {"sda": "sad"}),
        (
            "drums at one hundered and twenty, eigth bars",
            {"tempo": 120, "bars": 8},
            {"hundered": "hundred", "eigth": "eight"},
        ),
    ):
        body = client.post("/api/v1/command", json={"text": text, "seed": 1}).json()
        assert (body.get("params"), body.get("corrections")) == (params, corrections), body
        said = " and ".join(f"'{typed}' as '{read}'" for typed, read in corrections.items())
        assert body["speech"].startswith(f"I read {said}. ")


def test_two_styles_for_one_part_are_asked_about(client: TestClient) -> None:
    """QA pass 6: 'rock and jazz drums' made rock drums, the jazz dropped without a word."""
    for dry_run in (False, True):
        response = client.post("/api/v1/command", json={"text": "rock and jazz drums", "dry_run": dry_run})
        body = response.json()
        assert response.status_code == 422 and body["error"] == "command_not_understood", body
        assert body["detail"] == "I heard two styles, rock and jazz: say which one you want."
    negated = client.post("/api/v1/command", json={"text": "rock, not jazz drums", "dry_run": True}).json()
    assert negated["params"] == {"style": "rock"}


def test_a_typo_read_in_a_refused_command_is_said_in_the_refusal(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "generate something in D mnior"})
    body = response.json()
    assert response.status_code == 422 and body["error"] == "command_not_understood"
    assert body["corrections"] == {"mnior": "minor"} and body["understood"] == {"key": "D", "scale": "minor"}
    assert body["speech"] == "I read 'mnior' as 'minor'. " + body["detail"]
    assert "corrections" not in client.post("/api/v1/command", json={"text": "bask in the glow"}).json()


def test_bad_input_is_422(client: TestClient) -> None:
    assert client.post("/api/v1/command").status_code == 422
    assert client.post("/api/v1/command", json={"text": "   "}).status_code == 422
    long = client.post("/api/v1/command", json={"text": "drums " * 200})
    assert long.status_code == 422 and long.json()["detail"].startswith("text:")
    assert client.post("/api/v1/command", json={"text": "drums", "bars": 4}).status_code == 422  # not a command field
    assert client.post("/api/v1/command", json={"text": "drums", "seed": True}).status_code == 422


def test_help_lists_every_action(client: TestClient) -> None:
    body = client.post("/api/v1/command", data={"text": "what can you do"}).json()
    actions = {entry["action"] for entry in body["result"]["commands"]}
    assert {"generate_drums", "analyze_audio", "play", "mute_track", "help"} <= actions


def test_transcribe_and_accompany_this_run_their_endpoints(client: TestClient) -> None:
    audio = wav_bytes(song_in_g_major())
    upload = {"file": ("idea.wav", audio, "audio/wav")}
    notes = client.post("/api/v1/command", data={"text": "turn this into midi"}, files=upload)
    direct_notes = client.post("/api/v1/transcribe", data={"instrument": "auto"}, files=upload)  # no instrument named
    assert notes.status_code == 200, notes.text
    assert notes.json()["action"] == "transcribe" and notes.json()["result"] == direct_notes.json()
    assert direct_notes.json()["instrument"] == "pitched"  # a band song: its chords kept
    assert notes.json()["speech"].startswith(
        f"It sounded like notes together, so I wrote down {len(direct_notes.json()['notes'])} notes"
    )
    band = client.post(
        "/api/v1/command", data={"text": "play along with this in a funk style", "seed": "9"}, files=upload
    )
    direct_band = client.post("/api/v1/generate/accompaniment", data={"style": "funk", "seed": "9"}, files=upload)
    assert band.status_code == 200, band.text
    assert band.json()["action"] == "accompany" and band.json()["params"] == {"style": "funk"}
    assert band.json()["result"]["midi_base64"] == direct_band.json()["midi_base64"]
    harmonised = client.post("/api/v1/command", data={"text": "harmonise my melody", "seed": "9"}, files=upload)
    assert harmonised.status_code == 200, harmonised.text
    assert harmonised.json()["params"] == {"harmony": "melody"}
    assert harmonised.json()["result"]["harmony_source"] == "melody"  # a band song, harmonised as asked
    assert harmonised.json()["speech"].startswith(
        "Here are drums and a bass line for your recording, harmonising its melody:"
    )
    assert "harmonising" not in band.json()["speech"]
    # One part asked for the recording is that part of its accompaniment (the file was refused, 422).
    bass = client.post("/api/v1/command", data={"text": "give me a bass line for this", "seed": "9"}, files=upload)
    assert bass.status_code == 200, bass.text
    assert bass.json()["action"] == "accompany" and bass.json()["result"]["parts"] == ["bass"]
    assert bass.json()["speech"].startswith("Here is a bass line for your recording:")
    missing = client.post("/api/v1/command", json={"text": "transcribe this"})
    assert missing.status_code == 422 and "'file'" in missing.json()["detail"]


# ---------------------------------------------------------------- nothing said is dropped unsaid (QA pass)


@pytest.mark.parametrize(
    ("text", "parameter", "says"),
    [
        ("generate drums at 999 bpm", "tempo", "less than or equal to 300"),
        ("generate drums for 0 bars", "bars", "greater than or equal to 1"),
        ("generate drums for 100 bars", "bars", "less than or equal to 32"),
        # a sign, a decimal point and a long meter were lost: 200s at 20 BPM, 5 variations, in 4/4
        ("generate drums at -20 bpm", "tempo", "greater than or equal to 20 (got -20)"),
        ("generate drums with -5 variations", "variations", "greater than or equal to 1 (got -5)"),
        ("generate drums for 3.5 bars", "bars", "3.5"),
        ("generate drums in 999/999", "time_signature", "999/999"),
    ],
)
def test_a_number_out_of_range_is_refused_not_replaced(
    client: TestClient, text: str, parameter: str, says: str
) -> None:
    response = client.post("/api/v1/command", json={"text": text, "seed": 1})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["action"] == "generate_drums"
    assert body["detail"].startswith(f"{parameter}: ") and says in body["detail"]
    assert body["speech"] == f"I couldn't do that: {body['detail'].rstrip('.')}."


def test_a_decimal_tempo_is_the_tempo_said(client: TestClient) -> None:
    """'at 140.25 bpm' was split at its point: a groove at 25 BPM, answered 200."""
    response = client.post("/api/v1/command", json={"text": "generate drums at 140.25 bpm", "seed": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["params"]["tempo"] == 140.25 and body["result"]["tempo"] == 140.25


def test_h_minor_is_b_minor(client: TestClient) -> None:
    said = client.post("/api/v1/command", json={"text": "generate a bassline in H minor", "seed": 2})
    assert said.status_code == 200, said.text
    assert said.json()["result"]["key"] == "B" and said.json()["result"]["scale"] == "minor"


def test_a_key_word_that_cannot_be_read_is_422_naming_it(client: TestClient) -> None:
    response = client.post("/api/v1/command", json={"text": "generate a bassline in X minor"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "command_not_understood" and "'X'" in body["detail"]


@pytest.mark.parametrize(("text", "said"), [("drums, 999", "999"), ("drums, nine hundred", "nine hundred")])
def test_a_number_without_a_unit_that_nothing_reads_is_422_naming_it(client: TestClient, text: str, said: str) -> None:
    response = client.post("/api/v1/command", data={"text": text})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "command_not_understood" and f"'{said}'" in body["detail"] and "bpm" in body["detail"]


def test_mix_these_with_stems_is_mixing_advice(client: TestClient) -> None:
    files = upload(stems())
    said = client.post("/api/v1/command", data={"text": "mix these"}, files=files)
    assert said.status_code == 200, said.text
    assert said.json()["action"] == "mixing_suggest"
    assert said.json()["result"] == client.post("/api/v1/mixing/suggest", files=files).json()


def test_master_it_louder_aims_above_the_default_and_says_so(client: TestClient) -> None:
    master = {"master": ("song.wav", wav(sum(stems().values()) * 0.3), "audio/wav")}
    louder = client.post("/api/v1/command", data={"text": "master it louder"}, files=master)
    quieter = client.post("/api/v1/command", data={"text": "master it quieter for Apple Music"}, files=master)
    assert louder.status_code == 200 and quieter.status_code == 200, louder.text + quieter.text
    assert louder.json()["result"]["master"]["target"]["lufs"] == -11.0  # streaming -14, one 3 dB step up
    assert louder.json()["result"]["measured_after"]["integrated_lufs"] == pytest.approx(-11.0, abs=0.5)
    assert "3 dB louder than the streaming target (-14 LUFS), at -11 LUFS" in louder.json()["speech"]
    assert quieter.json()["result"]["master"]["target"]["lufs"] == -19.0  # apple -16, one step down
    assert "3 dB quieter than the apple target" in quieter.json()["speech"]


def test_louder_on_a_plain_render_says_it_was_not_applied(client: TestClient) -> None:
    said = client.post("/api/v1/command", data={"text": "render the mix louder"}, files=upload(stems()))
    assert said.status_code == 200, said.text
    assert said.json()["result"]["master"] is None
    assert "'Louder' was not applied" in said.json()["speech"]


def test_a_missing_upload_names_its_field_for_other_surfaces(client: TestClient) -> None:
    body = client.post("/api/v1/command", json={"text": "continue this"}).json()
    assert body["upload"] == "primer" and body["purpose"] == "to continue a clip"
    assert body["detail"] == "primer: to continue a clip, upload it as the multipart field 'primer'"
    assert body["speech"] == "I need the MIDI clip for that: send it with your request."


def test_a_project_said_by_name_is_the_one_mixed(tmp_path: Path) -> None:
    """Jarvis hears names, not ids: 'project older song' is project 'older' ('Older Song'); unsaid, the
    project whose stems were written last; a name that is no project's is a 404 that lists them."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    project_with_stems(settings.projects_dir, "older", "Older Song", written=1_700_000_000)
    project_with_stems(settings.projects_dir, "newer", "Newer Song", written=1_800_000_000)
    for manifest in settings.projects_dir.glob("*.json"):  # saved before either project's stems
        os.utime(manifest, (1_600_000_000, 1_600_000_000))
    with engine_client(settings) as client:
        named = client.post("/api/v1/command", json={"text": "balance the levels of project older song please"})
        misheard = client.post("/api/v1/command", json={"text": "how does project olders song sound"})
        unsaid = client.post("/api/v1/command", json={"text": "how does my mix sound"})
        analysed = client.post("/api/v1/command", json={"text": "analyse project Older Song"})
        analysed_unsaid = client.post("/api/v1/command", json={"text": "Jarvis analyse my project"})
        unknown = client.post("/api/v1/command", json={"text": "render project memo tape"})
    assert named.status_code == 200, named.text
    assert named.json()["request"]["params"] == {"project_id": "older"}
    assert named.json()["result"]["project_id"] == "older" and named.json()["result"]["message"] is None
    assert named.json()["speech"].startswith("Biggest moves")  # named: no "In <project>:" needed
    assert misheard.json()["result"]["project_id"] == "older"
    assert unsaid.json()["result"]["project_id"] == "newer" and unsaid.json()["speech"].startswith("In Newer Song: ")
    assert analysed.status_code == 200 and analysed.json()["result"]["project_id"] == "older"
    assert analysed_unsaid.status_code == 200, analysed_unsaid.text  # the project worked on last, by its stems
    assert analysed_unsaid.json()["result"]["project_id"] == "newer"
    assert analysed_unsaid.json()["speech"].startswith("Project Newer Song: ")
    assert unknown.status_code == 404, unknown.text
    assert (
        "no project called 'memo tape'" in unknown.json()["detail"]
        and "'Newer Song' (newer)" in unknown.json()["detail"]
    )


def test_a_project_name_with_path_parts_is_looked_up_never_a_folder(tmp_path: Path) -> None:
    """'analyse project ../x' analysed the project worked on last ('../x' read as no name); now every name with
    path parts is a 404 naming it and listing the projects, a dry run too, though '../x' is a project folder
    beside the projects directory. A manifest's name with a '/' in it is still found by that name."""
    settings = make_settings(tmp_path)
    settings.projects_dir.mkdir(parents=True)
    project_with_stems(settings.projects_dir, "older", "A/B Test", written=1_700_000_000)
    project_with_stems(tmp_path, "x", "Outside", written=1_800_000_000)  # tmp_path/x: '../x' from the projects
    with engine_client(settings) as client:
        for text in ("analyse project ../x", 'analyse project "../x"', "balance the levels of project ../x"):
            for dry_run in (False, True):
                said = client.post("/api/v1/command", json={"text": text, "dry_run": dry_run})
                assert said.status_code == 404, (text, said.text)
                assert said.json()["error"] == "project_not_found"
                assert said.json()["detail"].startswith("no project called '../x' in ")
                assert said.json()["detail"].endswith("projects: 'A/B Test' (older)")
                assert said.json()["speech"] == "I can't find a project called ../x. Your projects: A/B Test."
                assert str(settings.projects_dir) not in said.json()["speech"]  # it read out the folder's path
        for text, name in (("analyse project /etc/passwd", "/etc/passwd"), ("analyse project ..", "..")):
            said = client.post("/api/v1/command", data={"text": text})
            assert said.status_code == 404 and f"no project called '{name}'" in said.json()["detail"], said.text
        named = client.post("/api/v1/command", json={"command": "analyse project a/b test"})
    assert named.status_code == 200, named.text
    assert named.json()["result"]["project_id"] == "older"


def test_a_rendered_mix_answers_as_the_render_route_does(client: TestClient) -> None:
    """The mix's base64 is written into the command's answer a piece at a time (never parsed as one string):
    the result is the route's own JSON answer, and text holding the old fixed slot string changes nothing."""
    files = upload(stems())
    direct = client.post("/api/v1/mixing/render", data={"format": "json"}, files=files)
    for text in ("render the mix", "render the mix @@audio_base64@@"):
        said = client.post("/api/v1/command", data={"text": text}, files=files)
        assert said.status_code == 200, said.text
        assert said.headers["content-type"].startswith("application/json")
        body = said.json()
        assert body["action"] == "render_mix" and body["text"] == text
        assert body["result"] == direct.json()
        assert body["speech"].startswith("The mix is rendered")


@pytest.mark.parametrize(
    "text", ["make a bass line in A minor and send it to the DAW", "send a bassline in A minor to the DAW"]
)
def test_a_clip_said_to_go_to_the_daw_is_sent(client: TestClient, text: str) -> None:
    """The parse said send_to_core true and the request carried the parameter's default, false: nothing was sent
    and the speech said nothing of it."""
    body = client.post("/api/v1/command", json={"text": text}).json()
    assert body["params"]["send_to_core"] is True and body["request"]["params"]["send_to_core"] is True
    assert body["result"]["delivered"] is True


def test_send_to_core_sent_beside_the_text_wins(client: TestClient) -> None:
    body = client.post(
        "/api/v1/command", json={"text": "a bass line and send it to the DAW", "send_to_core": False}
    ).json()
    assert body["request"]["params"]["send_to_core"] is False and body["result"]["delivered"] is None
