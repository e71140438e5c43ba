"""The audio library: a database of analysed files under configured roots (scans and searches)."""

from integration.library.models import LibraryFile
from integration.library.scan import DaskRunner, Runner, ScanResult, SequentialRunner, scan_folder
from integration.library.search import LibraryQuery, search
from integration.library.service import Library
from integration.library.store import LibraryStore

__all__ = [
    "DaskRunner",
    "Library",
    "LibraryFile",
    "LibraryQuery",
    "LibraryStore",
    "Runner",
    "ScanResult",
    "SequentialRunner",
    "scan_folder",
    "search",
]
