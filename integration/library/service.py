"""The library as the engine holds it: the database (opened at start-up when library roots are set,
else on first use, so an engine that never scans creates no file) and the runner scans analyse files on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from utils.settings import Settings

if TYPE_CHECKING:
    from integration.library.scan import Runner
    from integration.library.store import LibraryStore

logger = logging.getLogger(__name__)


class Library:
    """Created by the lifespan; :meth:`close` (on shutdown) disposes of the database and Dask.

    The scan and store modules (SQLAlchemy, Alembic, Dask) are imported with the first library work, in
    a worker thread: an engine that never touches its library (dawg-ai's one-shot commands) does not pay
    for them at start-up.
    """

    def __init__(self, url: str, roots: list[Path], runner: Callable[[], Runner]) -> None:
        self.url = url
        self.roots = list(roots)
        self._make_runner = runner
        self._runner: Runner | None = None
        self._store: LibraryStore | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Library:
        def runner() -> Runner:
            from integration.library.scan import DaskRunner, SequentialRunner

            if settings.library_scan_mode == "sequential":
                return SequentialRunner()
            return DaskRunner(settings.dask_scheduler, settings.dask_workers, processes=settings.dask_processes)

        return cls(settings.library_url, list(settings.library_roots), runner)

    def open(self) -> str | None:
        """Open the database now (upgraded to the newest revision); the revision it is at."""
        revision = self.store.revision()
        logger.info("library database %s at revision %s", self.url.split("://", 1)[0], revision)
        return revision

    @property
    def runner(self) -> Runner:
        """What scans analyse files on (a Dask cluster is started by its first scan, not here)."""
        with self._lock:
            if self._runner is None:
                self._runner = self._make_runner()
            return self._runner

    @property
    def store(self) -> LibraryStore:
        """The database, created and migrated on first use (blocking: call it from a worker thread)."""
        from integration.library.store import LibraryStore

        with self._lock:
            if self._store is not None and self._store.file_gone():
                logger.warning(
                    "library: the database file %s was deleted while the engine ran; a new, empty one is made",
                    self._store.sqlite_file,
                )
                self._store.close()
                self._store = None
            if self._store is None:
                self._store = LibraryStore(self.url, self.roots)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            runner, self._runner = self._runner, None
        close_runner = getattr(runner, "close", None)  # a DaskRunner's client and cluster
        if close_runner is not None:
            close_runner()
