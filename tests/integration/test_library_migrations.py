"""The library database's Alembic migrations: a fresh database upgrades to head, a database made by
the first version (create_all and its schema_version table) upgrades with its rows kept, the models
agree with the migrated schema, and a newer engine's database is refused. On SQLite, and on PostgreSQL
when DAWG_AI_TEST_POSTGRES_URL names a server (tests/support/databases.py)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text

from integration.library.models import Base
from integration.library.search import LibraryQuery, search
from integration.library.store import (
    FIRST_VERSION_REVISION,
    MIGRATIONS,
    LibrarySchemaTooNew,
    LibraryStore,
    _alembic_config,
)

# What the first version's create_all made on SQLite (read back from sqlite_master).
FIRST_VERSION_SQL = """
CREATE TABLE schema_version (id INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (id));
CREATE TABLE library_files (
    id INTEGER NOT NULL, path VARCHAR(4096) NOT NULL, root VARCHAR(4096) NOT NULL, size INTEGER NOT NULL,
    mtime FLOAT NOT NULL, sha256 VARCHAR(64), status VARCHAR(8) NOT NULL, error TEXT, duration FLOAT,
    format VARCHAR(16), sample_rate INTEGER, channels INTEGER, tempo FLOAT, meter VARCHAR(16),
    "key" VARCHAR(16), key_confidence FLOAT, camelot VARCHAR(3), loudness_lufs FLOAT, beats INTEGER,
    chords TEXT, analysed_at DATETIME NOT NULL, PRIMARY KEY (id), UNIQUE (path)
);
CREATE INDEX ix_library_files_camelot ON library_files (camelot);
CREATE INDEX ix_library_files_tempo ON library_files (tempo);
CREATE INDEX ix_library_files_key ON library_files ("key");
CREATE INDEX ix_library_files_root ON library_files (root);
INSERT INTO schema_version VALUES (1, 1);
"""
ROW = text(
    "INSERT INTO library_files (path, root, size, mtime, sha256, status, duration, format, tempo, meter, "
    "\"key\", camelot, loudness_lufs, chords, analysed_at) VALUES (:path, '/lib', 10, 1.5, 'ab', 'ok', 12.0, "
    "'wav', :tempo, '4/4', :key, :camelot, -12.0, '[\"Am\"]', '2026-01-02 03:04:05.000000')"
)


def _head() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _schema_differences(store: LibraryStore) -> list[object]:
    with store.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _make_first_version(url: str, tmp_path: Path) -> None:
    """The first version's schema, as it made it: on SQLite its very SQL; elsewhere revision 0001 (the
    same tables, made by SQLAlchemy for that database) without Alembic's table."""
    if url.startswith("sqlite:"):
        db = tmp_path / "data" / "library.sqlite"
        db.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(db) as connection:
            connection.executescript(FIRST_VERSION_SQL)
        connection.close()
        return
    from alembic import command

    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), FIRST_VERSION_REVISION)
        connection.execute(text("DROP TABLE alembic_version"))
    engine.dispose()


def test_a_fresh_database_upgrades_to_head(library_url: str, tmp_path: Path) -> None:
    url = library_url
    store = LibraryStore(url, [tmp_path])
    assert store.revision() == _head() == "0003"
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version", "library_files"}
    assert _schema_differences(store) == []  # the models describe what the migrations made
    store.close()
    again = LibraryStore(url, [tmp_path])  # opening it again changes nothing
    assert again.revision() == _head() and again.count() == 0
    again.close()


def test_a_first_version_database_keeps_its_rows(library_url: str, tmp_path: Path) -> None:
    _make_first_version(library_url, tmp_path)
    engine = create_engine(library_url)
    with engine.begin() as connection:
        connection.execute(ROW, {"path": "/lib/a_minor.wav", "tempo": 120.0, "key": "A minor", "camelot": "8A"})
        connection.execute(ROW, {"path": "/lib/c_major.wav", "tempo": 60.0, "key": "C major", "camelot": "8B"})
    engine.dispose()

    store = LibraryStore(library_url, [tmp_path])
    assert store.revision() == _head()
    assert "schema_version" not in inspect(store.engine).get_table_names()  # alembic_version replaces it
    assert _schema_differences(store) == []
    assert store.count() == 2
    found = search(store, LibraryQuery(key="Am", tempo=120.0))
    assert [item["path"] for item in found["items"]] == ["/lib/a_minor.wav", "/lib/c_major.wav"]
    first = found["items"][0]
    assert (first["size"], first["mtime"], first["sha256"], first["chords"]) == (10, 1.5, "ab", '["Am"]')
    store.close()


def test_a_database_of_a_newer_engine_is_refused(library_url: str, tmp_path: Path) -> None:
    store = LibraryStore(library_url, [tmp_path])
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    store.close()
    with pytest.raises(LibrarySchemaTooNew, match="0999"):
        LibraryStore(library_url, [tmp_path])


def test_every_revision_downgrades_and_upgrades_again(library_url: str, tmp_path: Path) -> None:
    from alembic import command

    store = LibraryStore(library_url, [tmp_path])
    with store.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    assert store.migrate() == _head()
    with store.engine.begin() as connection, pytest.raises(CommandError):
        command.upgrade(_alembic_config(connection), "0998")  # no such revision: Alembic's own refusal
    store.close()


def test_schema_changes_are_transactional(library_url: str, tmp_path: Path) -> None:
    """A migration that fails part-way leaves nothing behind (Python's sqlite3 alone commits DDL at once)."""
    store = LibraryStore(library_url, [tmp_path])
    with pytest.raises(RuntimeError), store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        connection.exec_driver_sql("DROP INDEX ix_library_files_key")
        raise RuntimeError("the next step failed")
    tables = inspect(store.engine)
    assert "half_done" not in tables.get_table_names()
    assert "ix_library_files_key" in {index["name"] for index in tables.get_indexes("library_files")}
    store.close()


OPEN_STORE = """
import sys
from pathlib import Path
from integration.library.store import LibraryStore
store = LibraryStore(sys.argv[1], [Path(sys.argv[2])])
print(store.revision())
store.close()
"""


def test_engines_opening_a_new_database_at_once_migrate_it_once(library_url: str, tmp_path: Path) -> None:
    """Engines sharing a server database start together: one migrates, the others wait for it and find
    it done (without a lock each would create the tables, and all but one fail). Separate processes,
    as engines are: Alembic's context is global to a process."""
    repo = Path(__file__).resolve().parents[2]
    engines = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_STORE, library_url, str(tmp_path)],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    answers = [engine.communicate(timeout=60) for engine in engines]
    assert [(engine.returncode, out.strip()) for engine, (out, _) in zip(engines, answers, strict=True)] == [
        (0, _head())
    ] * 3, [err[-2000:] for _, err in answers]
