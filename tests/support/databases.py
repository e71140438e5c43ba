"""The library's databases under test: SQLite always, PostgreSQL when DAWG_AI_TEST_POSTGRES_URL names
a server (scripts/ci_postgres.sh starts a throwaway one and sets it; .ci/run does so). Each test gets
an empty database of its own: a file in its temporary folder, or a database created on the server
for it and dropped after it.

Without the URL the PostgreSQL variants are skipped, unless DAWG_AI_POSTGRES_TESTS=required (set by
.ci/run), where they fail: CI must not pass by skipping them.

Registered in tests/conftest.py (pytest_plugins): tests ask for ``library_url`` (function scope) or
call :func:`library_database` for a wider scope.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

POSTGRES_URL_ENV = "DAWG_AI_TEST_POSTGRES_URL"
REQUIRED_ENV = "DAWG_AI_POSTGRES_TESTS"
KINDS = ("sqlite", "postgresql")


def postgres_server_url() -> str:
    """The server's URL (any database on it: the tests create their own), or skip (fail if required)."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if url:
        return url
    if os.environ.get(REQUIRED_ENV) == "required":
        raise RuntimeError(
            f"{REQUIRED_ENV}=required but {POSTGRES_URL_ENV} is not set (scripts/ci_postgres.sh sets it)"
        )
    pytest.skip(f"no PostgreSQL server: set {POSTGRES_URL_ENV} (scripts/ci_postgres.sh starts one)")


@contextmanager
def library_database(kind: str, tmp: Path) -> Iterator[str]:
    """The URL of an empty database of ``kind``; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'data' / 'library.sqlite'}"
        return
    server = make_url(postgres_server_url())
    name = f"dawg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")  # CREATE DATABASE runs outside a transaction
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:  # FORCE: a test that failed may have left a connection open
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=KINDS)
def library_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty library database's URL, once on SQLite and once on PostgreSQL."""
    with library_database(request.param, tmp_path) as url:
        yield url
