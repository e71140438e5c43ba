"""The library as the engine holds it: the database (opened at start-up when library roots are set,
else on first use, so an engine that never scans creates no file) and the runner scans analyse files on."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from integration.library.scan import DaskRunner, Runner, SequentialRunner
from integration.library.store import LibraryStore
from utils.settings import Settings

logger = logging.getLogger(__name__)


class Library:
    """Created by the lifespan; :meth:`close` (on shutdown) disposes of the database and Dask."""

    def __init__(self, url: str, roots: list[Path], runner: Runner) -> None:
        self.url = url
        self.roots = list(roots)
        self.runner = runner
        self._store: LibraryStore | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Library:
        runner: Runner
        if settings.library_scan_mode == "sequential":
            runner = SequentialRunner()
        else:
            runner = DaskRunner(settings.dask_scheduler, settings.dask_workers, processes=settings.dask_processes)
        return cls(settings.library_url, list(settings.library_roots), runner)

    def open(self) -> str | None:
        """Open the database now (upgraded to the newest revision); the revision it is at."""
        revision = self.store.revision()
        logger.info("library database %s at revision %s", self.url.split("://", 1)[0], revision)
        return revision

    @property
    def store(self) -> LibraryStore:
        """The database, created and migrated on first use (blocking: call it from a worker thread)."""
        with self._lock:
            if self._store is None:
                self._store = LibraryStore(self.url, self.roots)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
        if isinstance(self.runner, DaskRunner):
            self.runner.close()
