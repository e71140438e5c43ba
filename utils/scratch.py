"""Where the engine writes its temporary files (settings.upload_dir, else the system's temporary folder),
and what a caller is told when it cannot: the folder is made when it is missing (a temporary-files cleaner
may remove an idle one under /tmp while the service runs), and the storage's failures (disk full, quota,
read-only, a folder that cannot be made) become :class:`~utils.errors.ScratchSpaceUnavailable` (507)
instead of an internal error."""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from utils.errors import ScratchSpaceUnavailable

STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR}
)
"""The failures of writing a temporary file that are the storage's: full, over quota, read-only, a file
too big for the file system, no permission, the folder gone or not a folder."""


@contextmanager
def scratch_space(directory: Path | None, *, make_folder: bool = True) -> Iterator[None]:
    """Around making and writing temporary files in ``directory`` (None: the system's temporary folder):
    the folder is made first when missing (``make_folder``; a block that only writes to a file it made
    passes False); a storage failure inside the block is re-raised as ScratchSpaceUnavailable (507) naming
    the folder and the system's reason. Other errors pass through: keep reading other files out of the
    block, or an unreadable source would be blamed on the scratch folder."""
    folder = directory if directory is not None else Path(tempfile.gettempdir())
    if directory is not None and make_folder:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable(folder, exc) from exc
    try:
        yield
    except OSError as exc:
        if exc.errno in STORAGE_ERRNOS:
            raise _unavailable(folder, exc) from exc
        raise


def _unavailable(folder: Path, exc: OSError) -> ScratchSpaceUnavailable:
    reason = exc.strerror or type(exc).__name__
    return ScratchSpaceUnavailable(
        f"the engine cannot write its temporary files in {folder} ({reason}): free space there or set "
        "DAWG_AI_UPLOAD_DIR to a folder with room"
    )
