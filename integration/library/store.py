"""The library database: its engine, its schema (created and versioned), the roots' path rules.

Default SQLite in ``<data_dir>/library.sqlite`` (WAL, so searches read while a scan writes); any
SQLAlchemy URL works (``postgresql+psycopg://...``). Migrations: ``create_all`` creates missing
tables and indexes, and the ``schema_version`` table records the version the file holds; a
database newer than this code is refused rather than misread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from integration.library.models import SCHEMA_VERSION, Base, LibraryFile, SchemaVersion
from utils.errors import EngineError, InvalidParameter, NotFound

logger = logging.getLogger(__name__)


class LibraryPathOutside(EngineError):
    """A scan folder outside every configured library root (or a root-escaping link)."""

    status_code = 400
    code = "path_outside_library"


class LibraryFolderNotFound(NotFound):
    code = "library_folder_not_found"


class LibraryFileNotFound(NotFound):
    code = "library_file_not_found"


class LibrarySchemaTooNew(EngineError):
    code = "library_schema_too_new"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait on the scan's commits
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; a crash loses no committed row in WAL
    cursor.close()


class LibraryStore:
    """The database and the roots. Created by the lifespan; :meth:`close` disposes of the engine."""

    def __init__(self, url: str, roots: list[Path]) -> None:
        self.url = url
        self.roots = [Path(root).expanduser().resolve() for root in roots]
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def migrate(self) -> int:
        """Bring the schema up to SCHEMA_VERSION (create_all: new tables and indexes); returns it."""
        Base.metadata.create_all(self.engine)
        with self.session() as session:
            row = session.get(SchemaVersion, 1)
            if row is None:
                session.add(SchemaVersion(id=1, version=SCHEMA_VERSION))
            elif row.version > SCHEMA_VERSION:
                raise LibrarySchemaTooNew(
                    f"the library database holds schema {row.version}; this engine knows up to {SCHEMA_VERSION}"
                )
            else:
                row.version = SCHEMA_VERSION  # 1 is the first version: nothing to alter yet
            session.commit()
        return SCHEMA_VERSION

    def schema_version(self) -> int:
        with self.session() as session:
            row = session.get(SchemaVersion, 1)
            return row.version if row is not None else 0

    # -- path rules (the projects directory's, per root) ---------------------------------------

    def resolve_folder(self, folder: str) -> tuple[Path, Path]:
        """(folder, its root), both resolved. A relative folder is taken inside the first root.

        400 ``path_outside_library`` when it resolves (links followed) outside every root, or no
        root is configured; 404 when it does not exist inside one; 422 for NUL or an empty folder."""
        if not folder or not folder.strip():
            raise InvalidParameter("folder", "name a folder inside a library root")
        if "\x00" in folder:
            raise InvalidParameter("folder", "may not contain NUL")
        if not self.roots:
            raise LibraryPathOutside("no library roots are configured (setting DAWG_AI_LIBRARY_ROOTS)")
        given = Path(folder).expanduser()
        candidate = given if given.is_absolute() else self.roots[0] / given
        resolved = candidate.resolve()
        root = next((r for r in self.roots if resolved == r or resolved.is_relative_to(r)), None)
        if root is None:
            raise LibraryPathOutside(f"folder {folder[:200]!r} is outside the library roots")
        if not resolved.is_dir():
            raise LibraryFolderNotFound(f"no folder {folder[:200]!r} in the library roots")
        return resolved, root

    def get(self, file_id: int) -> dict[str, Any]:
        with self.session() as session:
            row = session.get(LibraryFile, file_id)
            if row is None:
                raise LibraryFileNotFound(f"no library file with id {file_id}")
            return row.to_dict()

    def count(self) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(LibraryFile)) or 0


__all__ = [
    "LibraryFileNotFound",
    "LibraryFolderNotFound",
    "LibraryPathOutside",
    "LibrarySchemaTooNew",
    "LibraryStore",
]
