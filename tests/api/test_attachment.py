"""File answers named after an upload or a project: any name, never a failed answer."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from api.attachment import attachment
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import wav_bytes
from tests.api.test_transcription import song

UNICODE_STEM = "Ünïcödé 曲 🎵"


def utf8_name(disposition: str) -> str:
    """The RFC 6266 ``filename*`` of a Content-Disposition."""
    assert "filename*=UTF-8''" in disposition, disposition
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def test_an_ascii_name_is_sent_as_it_is() -> None:
    assert attachment("mix_master.wav") == 'attachment; filename="mix_master.wav"'


@pytest.mark.parametrize("name", [f"{UNICODE_STEM}.mid", 'a "quoted"; name.mid', "Müller_mix.wav"])
def test_any_name_makes_a_latin1_header_that_keeps_the_name(name: str) -> None:
    header = attachment(name)
    header.encode("ascii")  # what HTTP can carry, whatever the name
    assert utf8_name(header) == name
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and '"' not in fallback


def test_transcription_as_midi_of_an_upload_with_a_unicode_name(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        response = client.post(
            "/api/v1/transcribe",
            data={"format": "midi"},
            files={"file": (f"{UNICODE_STEM}.wav", wav_bytes(song()), "audio/wav")},
        )
    assert response.status_code == 200, response.text
    # the name as uploaded, spaces and emoji too (they were "Ünïcödé_曲___pitched.mid")
    assert utf8_name(response.headers["content-disposition"]) == f"{UNICODE_STEM}_pitched.mid"


def test_a_render_of_a_project_with_a_unicode_id(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    stems = settings.projects_dir / "曲" / "stems"
    stems.mkdir(parents=True)
    t = np.arange(44100 * 2) / 44100
    (stems / "Bass.wav").write_bytes(wav_bytes(0.3 * np.sin(2 * np.pi * 55 * t)))
    manifest = {"project_id": "曲", "name": "曲", "tempo": 120, "time_signature": "4/4", "tracks": [{"name": "Bass"}]}
    (settings.projects_dir / "qu.json").write_text(json.dumps(manifest), encoding="utf-8")
    with engine_client(settings) as client:
        response = client.post("/api/v1/mixing/render", data={"project_id": "曲", "format": "wav"})
    assert response.status_code == 200, response.text
    assert utf8_name(response.headers["content-disposition"]) == "曲_mix.wav"
    assert response.headers["x-project-id"] == "%E6%9B%B2"  # percent-encoded UTF-8


def test_a_file_stem_keeps_any_letter_and_drops_what_a_file_name_cannot_hold() -> None:
    from api.attachment import file_stem

    assert file_stem('a/b\\c:"d"?<e>|*') == "a_b_c__d___e___"
    assert file_stem("  Snäre 🥁  ") == "Snäre 🥁"


@pytest.mark.parametrize(
    ("name", "stem"), [(".wav", "wav"), ("..", ""), (" . .hidden take", "hidden take"), ("a.b", "a.b")]
)
def test_a_file_stem_never_starts_with_a_dot(name: str, stem: str) -> None:
    # A download named ".wav_pitched.mid" is a hidden file on a Mac or Linux (QA pass 5a).
    from api.attachment import file_stem

    assert file_stem(name) == stem


def test_transcription_of_an_upload_named_as_a_dot_file_downloads_as_a_visible_file(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        response = client.post(
            "/api/v1/transcribe", data={"format": "midi"}, files={"file": (".wav", wav_bytes(song()), "audio/wav")}
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="wav_pitched.mid"'
