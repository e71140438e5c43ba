"""The library database: its engine, its schema (Alembic migrations), the roots' path rules.

Default SQLite in ``<data_dir>/library.sqlite`` (WAL, so searches read while a scan writes); any
SQLAlchemy URL works (``postgresql+psycopg://...``). Opening a database upgrades it to the newest
revision in integration/library/migrations, in one transaction. A database made by the first
version (its own ``schema_version`` table, no ``alembic_version``) is taken as revision 0001 and
upgraded from there, rows kept; one at a revision this code does not know (a newer engine's) is
refused rather than misread.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from integration.library.models import LibraryFile
from utils.errors import EngineError, InvalidParameter, NotFound
from utils.paths import resolve_path

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_VERSION_REVISION = "0001"  # the schema the first version made with create_all and its schema_version table
MIGRATING = "dawg_library_migrating"  # execution option: this connection migrates (SQLite: BEGIN IMMEDIATE)
WRITING = "dawg_library_writing"  # execution option: this connection reads, then writes (SQLite: BEGIN IMMEDIATE)
MIGRATION_LOCK_KEY = 0x6461_7767_6C69_62  # PostgreSQL advisory lock of the library's migrations ("dawglib")


class LibraryPathOutside(EngineError):
    """A scan folder outside every configured library root (or a root-escaping link)."""

    status_code = 400
    code = "path_outside_library"


class LibraryFolderNotFound(NotFound):
    code = "library_folder_not_found"


class LibraryFileNotFound(NotFound):
    code = "library_file_not_found"


class LibraryDatabaseUnavailable(EngineError):
    """The configured database cannot be used: its driver is not installed, the URL is not one, or its
    SQLite file's folder cannot be made."""

    status_code = 503
    code = "library_database_unavailable"


class LibrarySchemaTooNew(EngineError):
    """The database is at a revision a newer engine made: this one cannot use it (not the caller's doing)."""

    status_code = 503
    code = "library_schema_too_new"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait on the scan's commits
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each checkpoint; a crash loses no committed row in WAL
    cursor.close()
    # Python's sqlite3 opens a transaction before INSERT/UPDATE/DELETE only, so a migration's CREATE
    # and DROP would each commit at once: leave transactions to SQLAlchemy (BEGIN in _sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    # A migration (or a scan's write) takes the write lock before it reads: a second engine or scan writing
    # the same file waits for it (the busy timeout), where a plain BEGIN fails at once with "database is
    # locked" as it turns its read into a write after another writer committed (WAL's busy snapshot).
    options = connection.get_execution_options()
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(MIGRATING) or options.get(WRITING) else "BEGIN")


def _lock_for_migration(connection: Connection) -> None:
    """Engines opening one database at once migrate it one after another (the later find it done)."""
    if connection.dialect.name == "postgresql":  # held until the migration's transaction ends
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def _alembic_config(connection: Connection) -> Config:
    """The migrations' config without an alembic.ini: their folder, and the connection to run on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///PATH`` URL names (None for another database or an in-memory one)."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix("sqlite:///"))


class LibraryStore:
    """The database and the roots. Created by the lifespan; :meth:`close` disposes of the engine."""

    def __init__(self, url: str, roots: list[Path]) -> None:
        self.url = url
        self.roots = [Path(root).expanduser().resolve() for root in roots]
        self.sqlite_file = sqlite_file(url)
        if self.sqlite_file is not None:
            folder = self.sqlite_file.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file where the folder should be, no permission: the machine's state
                raise LibraryDatabaseUnavailable(
                    f"the library database's folder {folder} cannot be made ({exc.strerror or exc}; setting "
                    "DAWG_AI_DATA_DIR or DAWG_AI_LIBRARY_DB_URL)"
                ) from exc
        try:
            self.engine: Engine = create_engine(url)
        except (ImportError, ArgumentError) as exc:  # NoSuchModuleError is an ArgumentError
            scheme = url.split("://", 1)[0]
            raise LibraryDatabaseUnavailable(
                f"the library database URL ({scheme}://...) cannot be used: {exc} (setting DAWG_AI_LIBRARY_DB_URL; "
                "PostgreSQL needs postgresql+psycopg://, whose driver requirements.txt installs)"
            ) from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer: Engine = self.engine.execution_options(**{WRITING: True})
        self.migrate()

    def close(self) -> None:
        self.engine.dispose()

    def file_gone(self) -> bool:
        """Whether the SQLite file was deleted under the open engine: its connections would go on writing
        to the unlinked file, and every row would be lost at the next start."""
        return self.sqlite_file is not None and not self.sqlite_file.exists()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session that reads rows and then changes them: on SQLite it holds the write lock from its
        first statement, so two scans (two jobs, or the service and ``dawg-ai library scan``) writing one
        database take turns instead of one failing with "database is locked"."""
        with self.sessions(bind=self._writer) as session:
            yield session

    def migrate(self) -> str | None:
        """Upgrade the database to the newest revision (see the module's docstring); returns it."""
        # Alembic only when a database is opened: its import (with Mako's and Pygments') costs an engine that
        # never opens the library, e.g. dawg-ai's one-shot commands, a quarter of a second.
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        with self.engine.connect().execution_options(**{MIGRATING: True}) as connection, connection.begin():
            _lock_for_migration(connection)  # every step or none, one engine at a time
            config = _alembic_config(connection)
            scripts = ScriptDirectory.from_config(config)
            current = MigrationContext.configure(connection).get_current_heads()
            for revision in current:
                try:
                    scripts.get_revision(revision)
                except CommandError as exc:
                    raise LibrarySchemaTooNew(
                        f"the library database is at revision {revision!r}, which this engine does not know "
                        f"(its newest is {scripts.get_current_head()!r}): a newer engine made it"
                    ) from exc
            if not current and inspect(connection).has_table("library_files"):
                logger.info("library: a database of the first version, taken as revision %s", FIRST_VERSION_REVISION)
                command.stamp(config, FIRST_VERSION_REVISION)
            command.upgrade(config, "head")
        return self.revision()

    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: not migrated)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    # -- path rules (the projects directory's, per root) ---------------------------------------

    def resolve_folder(self, folder: str) -> tuple[Path, Path]:
        """(folder, its root), both resolved. A relative folder is taken inside the first root.

        400 ``path_outside_library`` when it resolves (links followed) outside every root, or no
        root is configured; 404 when it does not exist inside one; 422 for NUL, an empty folder, a
        file, links in a loop or a name longer than the file system takes."""
        if not folder or not folder.strip():
            raise InvalidParameter("folder", "name a folder inside a library root")
        if "\x00" in folder:
            raise InvalidParameter("folder", "may not contain NUL")
        if not self.roots:
            raise LibraryPathOutside("no library roots are configured (setting DAWG_AI_LIBRARY_ROOTS)")
        try:
            given = Path(folder).expanduser()
        except RuntimeError as exc:  # '~someone' whose home directory is unknown
            raise LibraryFolderNotFound(f"no folder {folder[:200]!r}: {exc}") from exc
        candidate = given if given.is_absolute() else self.roots[0] / given
        try:
            resolved = resolve_path(candidate)
        except OSError as exc:  # a symbolic link loop (utils.paths)
            raise InvalidParameter(
                "folder", f"{folder[:200]!r} cannot be followed: its symbolic links lead round in a loop"
            ) from exc
        root = next((r for r in self.roots if resolved == r or resolved.is_relative_to(r)), None)
        if root is None:
            raise LibraryPathOutside(f"folder {folder[:200]!r} is outside the library roots")
        try:
            is_dir, exists = resolved.is_dir(), resolved.exists()
        except OSError as exc:  # a name longer than the file system takes (ENAMETOOLONG), a folder not readable
            raise InvalidParameter("folder", f"{folder[:200]!r} cannot be looked at: {exc.strerror or exc}") from exc
        if exists and not is_dir:
            raise InvalidParameter("folder", f"{folder[:200]!r} is a file, not a folder: name the folder that holds it")
        if not is_dir:  # a folder deleted since its scan: its files are dropped by a scan of a folder above it
            raise LibraryFolderNotFound(
                f"no folder {folder[:200]!r} in the library roots (if it was removed since it was scanned, scan the "
                "folder above it to drop its files from the library)"
            )
        return resolved, root

    def get(self, file_id: int) -> dict[str, Any]:
        # The id column is INTEGER: 64 bits on SQLite, 32 on PostgreSQL, which refuses a larger number
        # outright (an error, not "no row").
        largest = 2**63 - 1 if self.engine.dialect.name == "sqlite" else 2**31 - 1
        if not 1 <= file_id <= largest:
            raise LibraryFileNotFound(f"no library file with id {file_id}")
        with self.session() as session:
            row = session.get(LibraryFile, file_id)
            if row is None:
                raise LibraryFileNotFound(f"no library file with id {file_id}")
            return row.to_answer()

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
