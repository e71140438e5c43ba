"""An answer whose body is a file made for it (a rendered mix): sent from the file, then deleted."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from api.params import remove_off_loop, remove_quietly
from utils.scratch import scratch_space


class TemporaryFileResponse(FileResponse):
    """The file at ``path`` as the body (its size in Content-Length), deleted once it is sent. A job
    that keeps the answer takes the file over instead (api/jobs/manager.py), so a long render is
    never read into memory to be answered."""

    def __init__(self, path: Path, *, media_type: str, headers: dict[str, str]) -> None:
        super().__init__(
            path,
            media_type=media_type,
            headers=headers,
            stat_result=os.stat(path),
        )
        self.temporary_path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # sent, or the client went away mid-way: the file goes either way
            await remove_off_loop(self.temporary_path)


BASE64_READ = 3 << 20
"""Bytes read per piece of :func:`json_with_base64`: a multiple of 3, so the pieces' base64 joins into the whole file's."""


def json_with_base64(text: str, slot: str, source: Path, *, prefix: str, directory: Path | None = None) -> Path:
    """A JSON answer written into a new file in ``directory``: ``text`` with ``source``'s base64 where the
    string ``slot`` stands, read and encoded a piece at a time (a 30-minute WAV's base64 is ~420 MB; it is
    never whole in memory): the same bytes as ``text`` with the whole base64 put in. ``source`` is deleted,
    on an error too; the caller deletes the answer's file (TemporaryFileResponse)."""
    head, tail = text.split(slot)
    try:
        with (
            scratch_space(directory),
            tempfile.NamedTemporaryFile(prefix=prefix, suffix=".json", dir=directory, delete=False) as out,
        ):
            path = Path(out.name)
            try:
                out.write(head.encode("utf-8"))
                with source.open("rb") as audio:
                    while piece := audio.read(BASE64_READ):
                        out.write(base64.b64encode(piece))
                out.write(tail.encode("utf-8"))
            except BaseException:
                out.close()
                path.unlink(missing_ok=True)
                raise
        return path
    finally:
        remove_quietly(source)
