"""An answer whose body is a file made for it (a rendered mix): sent from the file, then deleted."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

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
            background=BackgroundTask(remove_quietly, path),
        )
        self.temporary_path = path
