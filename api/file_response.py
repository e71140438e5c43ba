"""An answer whose body is a file made for it (a rendered mix): sent from the file, then deleted."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from api.params import remove_quietly


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
            remove_quietly(self.temporary_path)
