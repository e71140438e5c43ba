"""Base64 text as callers send it (api.base64_text): wrapped at 76 characters by ``base64`` and Python's
``encodebytes``, or a browser's data URL. Both were 422 "not valid base64" for a primer."""

from __future__ import annotations

import base64
import binascii
import io

import pretty_midi
import pytest
from fastapi.testclient import TestClient

from api.base64_text import decode_base64_text


def _primer() -> bytes:
    pm = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    piano = pretty_midi.Instrument(program=0, name="idea")
    for i, pitch in enumerate([62, 65, 69, 67, 65, 64, 62, 60] * 3):
        piano.notes.append(pretty_midi.Note(90, pitch, i * 0.3, i * 0.3 + 0.25))
    pm.instruments.append(piano)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def test_wrapped_lines_and_a_data_url_decode_and_other_text_does_not() -> None:
    data = _primer()
    assert len(base64.b64encode(data)) > 76  # so encodebytes wraps it
    assert decode_base64_text(base64.encodebytes(data).decode()) == data
    assert decode_base64_text("data:audio/midi;base64," + base64.b64encode(data).decode()) == data
    assert decode_base64_text("DATA:audio/x-midi;name=a.mid;base64," + base64.b64encode(data).decode()) == data
    plus = bytes([0xFB, 0xEF, 0xBE]) * 30  # "++++": what an unencoded form body turns into spaces
    assert decode_base64_text(base64.b64encode(plus).decode().replace("+", " ")) == plus
    for text in ("!!!", "data:audio/midi," + base64.b64encode(data).decode(), "Zm9v\u00e9"):
        with pytest.raises(ValueError):  # binascii.Error and UnicodeEncodeError are ValueErrors
            decode_base64_text(text)
    assert issubclass(binascii.Error, ValueError)


@pytest.mark.parametrize("wrap", ["encodebytes", "data url"])
def test_a_wrapped_or_data_url_primer_is_continued(client: TestClient, wrap: str) -> None:
    data = _primer()
    text = (
        base64.encodebytes(data).decode()
        if wrap == "encodebytes"
        else "data:audio/midi;base64," + base64.b64encode(data).decode("ascii")
    )
    response = client.post("/api/v1/generate/melody", data={"primer": text, "model": "theory", "seed": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["primer_notes"] == 24
