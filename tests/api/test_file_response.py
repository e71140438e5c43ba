"""A rendered file sent as the answer is deleted once sent, and also when the client goes away mid-way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from api.file_response import TemporaryFileResponse


def _send_to(messages: list[dict[str, Any]], *, fail_on_body: bool) -> Any:
    async def send(message: dict[str, Any]) -> None:
        if fail_on_body and message["type"] == "http.response.body":
            raise OSError("the client went away")
        messages.append(message)

    return send


async def _receive() -> dict[str, Any]:
    await asyncio.Event().wait()  # the client stays: no disconnect message
    return {"type": "http.disconnect"}


@pytest.mark.parametrize("fail", [False, True])
def test_the_file_goes_after_the_answer(tmp_path: Path, fail: bool) -> None:
    path = tmp_path / "mix.wav"
    path.write_bytes(b"RIFF" + bytes(1000))
    response = TemporaryFileResponse(path, media_type="audio/wav", headers={})
    messages: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "GET", "headers": [], "path": "/"}
    if fail:
        with pytest.raises(OSError):
            asyncio.run(response(scope, _receive, _send_to(messages, fail_on_body=True)))
    else:
        asyncio.run(response(scope, _receive, _send_to(messages, fail_on_body=False)))
        assert b"".join(m.get("body", b"") for m in messages).startswith(b"RIFF")
    assert not path.exists()
