"""The library database's Alembic migrations: a fresh database upgrades to head, a database made by
the first version (create_all and its schema_version table) upgrades with its rows kept, the models
agree with the migrated schema, and a newer engine's database is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect

from integration.library.models import Base
from integration.library.search import LibraryQuery, search
from integration.library.store import MIGRATIONS, LibrarySchemaTooNew, LibraryStore, _alembic_config

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
ROW = (
    "INSERT INTO library_files (path, root, size, mtime, sha256, status, duration, format, tempo, meter, "
    "\"key\", camelot, loudness_lufs, chords, analysed_at) VALUES (?, '/lib', 10, 1.5, 'ab', 'ok', 12.0, 'wav', "
    "?, '4/4', ?, ?, -12.0, '[\"Am\"]', '2026-01-02 03:04:05.000000')"
)


def _head() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _schema_differences(store: LibraryStore) -> list[object]:
    with store.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_a_fresh_database_upgrades_to_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'library.sqlite'}"
    store = LibraryStore(url, [tmp_path])
    assert store.revision() == _head() == "0002"
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version", "library_files"}
    assert _schema_differences(store) == []  # the models describe what the migrations made
    store.close()
    again = LibraryStore(url, [tmp_path])  # opening it again changes nothing
    assert again.revision() == _head() and again.count() == 0
    again.close()


def test_a_first_version_database_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "library.sqlite"
    with sqlite3.connect(db) as connection:
        connection.executescript(FIRST_VERSION_SQL)
        connection.execute(ROW, ("/lib/a_minor.wav", 120.0, "A minor", "8A"))
        connection.execute(ROW, ("/lib/c_major.wav", 60.0, "C major", "8B"))
    connection.close()

    store = LibraryStore(f"sqlite:///{db}", [tmp_path])
    assert store.revision() == _head()
    assert "schema_version" not in inspect(store.engine).get_table_names()  # alembic_version replaces it
    assert _schema_differences(store) == []
    assert store.count() == 2
    found = search(store, LibraryQuery(key="Am", tempo=120.0))
    assert [item["path"] for item in found["items"]] == ["/lib/a_minor.wav", "/lib/c_major.wav"]
    first = found["items"][0]
    assert (first["size"], first["mtime"], first["sha256"], first["chords"]) == (10, 1.5, "ab", '["Am"]')
    store.close()


def test_a_database_of_a_newer_engine_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'library.sqlite'}"
    LibraryStore(url, [tmp_path]).close()
    with sqlite3.connect(tmp_path / "library.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999'")
    connection.close()
    with pytest.raises(LibrarySchemaTooNew, match="0999"):
        LibraryStore(url, [tmp_path])


def test_every_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command

    store = LibraryStore(f"sqlite:///{tmp_path / 'library.sqlite'}", [tmp_path])
    with store.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    assert store.migrate() == _head()
    with store.engine.begin() as connection, pytest.raises(CommandError):
        command.upgrade(_alembic_config(connection), "0998")  # no such revision: Alembic's own refusal
    store.close()


def test_schema_changes_on_sqlite_are_transactional(tmp_path: Path) -> None:
    """A migration that fails part-way leaves nothing behind (Python's sqlite3 alone commits DDL at once)."""
    store = LibraryStore(f"sqlite:///{tmp_path / 'library.sqlite'}", [tmp_path])
    with pytest.raises(RuntimeError), store.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        connection.exec_driver_sql("DROP INDEX ix_library_files_key")
        raise RuntimeError("the next step failed")
    tables = inspect(store.engine)
    assert "half_done" not in tables.get_table_names()
    assert "ix_library_files_key" in {index["name"] for index in tables.get_indexes("library_files")}
    store.close()
