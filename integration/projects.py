"""DAWG-CORE's shared projects directory: manifests and the engine's stems convention.

DAWG-CORE saves each project as a JSON manifest with no fixed file extension::

    {"project_id": "a1b2", "name": "Demo", "tempo": 120, "time_signature": "4/4",
     "tracks": ["Drums", "Bass", "Guitar", "Vocals"]}

:class:`ProjectStore` finds manifests in any file of the projects directory or of its subfolders
one level down (``<dir>/x.dawgproj``, ``<dir>/a1b2/project.json``, ...); files that are not
manifests are skipped, malformed manifests are skipped and logged.

Stems convention (the engine's own; the manifest carries no audio paths): a project's rendered
stems live in ``<projects dir>/<project_id>/stems/<track name>.<wav|flac|aiff|aif|m4a|ogg|opus|mp3>``. The
extension is matched case-insensitively and the file name is matched to the manifest's track
names case-insensitively (``drums.WAV`` is the stem of track ``Drums``); other audio files in that
folder are returned as extra stems under their own names. Symlinks that lead out of the stems
folder are ignored.

Project ids come from callers: an id that is empty, too long, holds a path separator, ``..``,
NUL or another control character, or whose path would resolve outside the projects directory is
refused with :class:`~utils.errors.InvalidProjectId` (400) before any file is touched.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import os
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ai.audio.formats import STEM_EXTENSIONS
from utils.errors import InvalidProjectId, ProjectNotFound
from utils.paths import resolve_path

logger = logging.getLogger(__name__)

MAX_PROJECT_ID_LENGTH = 128
MAX_MANIFEST_BYTES = 1024 * 1024  # a manifest is a few hundred bytes; bigger files are not read
CLOSE_NAME = 0.85
"""How alike (difflib's ratio) a said name and a project's name or id must be to be taken for it:
"night drives" (0.96) and "nite drive" (0.86) are "Night Drive"; "demo" is not "Demo 2" (0.8)."""
MAX_LISTED = 10  # projects named in a "no such project" answer
STEMS_FOLDER = "stems"
# Letters, digits, underscore (any script), then also dot, dash and space; no separators, no controls.
_PROJECT_ID_RE = re.compile(r"[^\W][\w.\- ]*")
_TIME_SIGNATURE_RE = re.compile(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*")
_SNIFF_BYTES = 512  # enough to see whether a file starts like a JSON object
_UTF8_BOM = b"\xef\xbb\xbf"
_MANIFEST_KEYS = ("project_id", "name", "tempo", "time_signature", "tracks")
_STEM_SUFFIXES = tuple(STEM_EXTENSIONS)
_SETTLED_NS = 2_000_000_000
"""How long ago a file must have been written for what it held to be kept (:class:`_FileRead`): a file written in
the same tick of a coarse file-system clock as an earlier read could change again without its time changing."""


@dataclass(frozen=True)
class ProjectManifest:
    """One project as DAWG-CORE saved it. ``path`` is the manifest file."""

    project_id: str
    name: str
    tempo: float  # BPM
    time_signature: str  # "4/4"
    tracks: list[str]
    path: Path

    @property
    def beats_per_bar(self) -> int:
        return int(self.time_signature.split("/")[0])

    @property
    def beat_unit(self) -> int:
        return int(self.time_signature.split("/")[1])

    def to_dict(self) -> dict[str, Any]:
        """The manifest's fields (as DAWG-CORE names them), without the file path."""
        return {
            "project_id": self.project_id,
            "name": self.name,
            "tempo": self.tempo,
            "time_signature": self.time_signature,
            "tracks": list(self.tracks),
        }


def validate_project_id(project_id: str) -> str:
    """Return ``project_id`` if it is a safe single path component, else raise InvalidProjectId."""
    if not isinstance(project_id, str) or not project_id:
        raise InvalidProjectId("project_id is empty")
    if len(project_id) > MAX_PROJECT_ID_LENGTH:
        raise InvalidProjectId(f"project_id is longer than {MAX_PROJECT_ID_LENGTH} characters")
    if "\x00" in project_id or "/" in project_id or "\\" in project_id or ".." in project_id:
        raise InvalidProjectId(f"project_id {project_id[:40]!r} may not contain '/', '\\', '..' or NUL")
    if project_id != project_id.strip() or not _PROJECT_ID_RE.fullmatch(project_id):
        raise InvalidProjectId(
            f"project_id {project_id[:40]!r} must start with a letter or digit and hold only letters, "
            "digits, '_', '-', '.' and inner spaces"
        )
    return project_id


@dataclass(frozen=True)
class _FileRead:
    """What one file of the projects folder held (:func:`_json_object`) when it had ``key``
    (:func:`_file_key`): a rescan reads again only the files whose key changed."""

    key: tuple[int, int, int, int, int]
    data: dict[str, Any] | None
    why: str | None


@dataclass(frozen=True)
class ManifestScan:
    """What one read of the projects directory found (:meth:`ProjectStore.scan`)."""

    projects: list[ProjectManifest]
    unread: list[tuple[str, str]]


class ProjectStore:
    """Read-only view of DAWG-CORE's projects directory (``projects_dir``; it may not exist yet)."""

    def __init__(self, projects_dir: Path) -> None:
        self.projects_dir = Path(projects_dir).expanduser()
        # What each file held, by path, while it stays the same file (inode) of the same size and times. Every
        # listing, "analyse my project" and mixing request without audio reads the folder; opening and parsing its
        # 10,000 files each time kept a worker thread and the GIL busy for a second, and /health waited.
        self._reads: dict[str, _FileRead] = {}
        self._reads_lock = threading.Lock()

    def folder_problem(self) -> str | None:
        """Why the projects directory can hold no projects, in words naming it (None when it is a folder the
        engine can list): a missing folder and one replaced by a file read as an empty folder, and only the
        log said why."""
        where = f"the projects folder {self.projects_dir}"
        try:
            with os.scandir(self.projects_dir) as entries:
                next(entries, None)
        except FileNotFoundError:
            return f"{where} does not exist (DAWG-CORE makes it when it saves a project; setting DAWG_AI_PROJECTS_DIR)"
        except NotADirectoryError:
            return f"{where} is a file, not a folder (setting DAWG_AI_PROJECTS_DIR)"
        except OSError as exc:
            return f"{where} cannot be read ({exc.strerror or exc}; setting DAWG_AI_PROJECTS_DIR)"
        return None

    # -- manifests --------------------------------------------------------------------------

    def list_projects(self) -> list[ProjectManifest]:
        """Every valid manifest, sorted by project id. A missing directory gives ``[]``.

        When two files claim the same ``project_id``, the first by path wins (and it is logged).
        """
        return self.scan().projects

    def unread_manifests(self) -> list[tuple[str, str]]:
        """(file, why) of each file that starts like a manifest but gives no project (:meth:`scan`)."""
        return self.scan().unread

    def scan(self) -> ManifestScan:
        """One read of the projects directory: every valid manifest, sorted by project id, and (file, why) of each
        file that starts like a manifest but gives no project: JSON that does not parse (a manifest DAWG-CORE is
        still writing), a field it writes missing or malformed, or a project_id an earlier file (by path) has.
        ``file`` is relative to the projects directory. Each one left out is logged."""
        found: dict[str, ProjectManifest] = {}
        unread: list[tuple[str, str]] = []
        for path, data, why in self._read_candidates():
            if not _utf8_name(path):  # no answer can carry the name (a JSON string is text): said, escaped
                unread.append((_printable(path.relative_to(self.projects_dir)), _NOT_UTF8))
                logger.warning("skipping project manifest %s: %s", _printable(path), _NOT_UTF8)
                continue
            manifest = None
            if data is not None:
                why = _manifest_problem(data)
                manifest = _manifest_of(data, path) if why is None else None
            if manifest is not None and manifest.project_id in found:
                first = found[manifest.project_id].path
                why = f"project_id {manifest.project_id!r} is also in {first.name}, which is used"
                logger.warning(
                    "project %r has two manifests, %s and %s; using the first", manifest.project_id, first, path
                )
            elif manifest is not None:
                found[manifest.project_id] = manifest
            elif why is not None:
                logger.warning("skipping project manifest %s: %s", path, why)
            if why is not None:
                unread.append((path.relative_to(self.projects_dir).as_posix(), why))
        return ManifestScan([found[key] for key in sorted(found)], unread)

    def get(self, project_id: str) -> ProjectManifest:
        """The manifest of ``project_id``: InvalidProjectId (400) for a bad id, ProjectNotFound (404)."""
        self._project_path(project_id)  # validates before any file is read
        projects = self.list_projects()
        for manifest in projects:
            if manifest.project_id == project_id:
                return manifest
        for (
            path,
            data,
            _,
        ) in self._read_candidates():  # a manifest of that id that was skipped: say why, not "no project"
            problem = _manifest_problem(data) if data is not None and data.get("project_id") == project_id else None
            if problem is not None:
                raise ProjectNotFound(
                    f"project {project_id!r} has a manifest that cannot be read ({path.name}: {problem}); "
                    "DAWG-CORE writes project_id, name, tempo, time_signature and tracks"
                )
        raise ProjectNotFound(
            f"no project with id {project_id!r} in {self.projects_dir}; projects: {_listed(projects)}"
        )

    def find_by_reference(self, reference: str) -> ProjectManifest:
        """The project a person named, by voice or in a sentence: its id or its name, in any case,
        possibly followed by other words ("Night Drive please"), or misheard by a letter or two.
        ProjectNotFound (404) lists the projects there are."""
        projects = self.list_projects()
        said = " ".join(reference.split())
        for manifest in projects:
            if manifest.project_id == said:
                return manifest
        by_words: dict[str, ProjectManifest] = {}
        for manifest in projects:  # a name never hides another project's id
            by_words.setdefault(" ".join(manifest.name.split()).casefold(), manifest)
        for manifest in projects:
            by_words[manifest.project_id.casefold()] = manifest
        words = said.casefold().split()
        for n in range(len(words), 0, -1):  # the longest run of leading words that names a project
            found = by_words.get(" ".join(words[:n]))
            if found is not None:
                return found
        close = difflib.get_close_matches(said.casefold(), list(by_words), n=1, cutoff=CLOSE_NAME)
        if close:
            return by_words[close[0]]
        raise ProjectNotFound(
            f"no project called {reference[:80]!r} in {self.projects_dir}; projects: {_listed(projects)}",
            said=said[:80],
            known=[manifest.name for manifest in projects[:MAX_LISTED]],
        )

    # -- stems ------------------------------------------------------------------------------

    def stems_dir(self, project_id: str) -> Path:
        """``<projects dir>/<project_id>/stems`` (the id is validated; the folder may not exist)."""
        return self._project_path(project_id) / STEMS_FOLDER

    def find_stems(self, project_id: str) -> dict[str, Path]:
        """Track name -> stem file of a project (ProjectNotFound for an unknown project): :meth:`stems_of` its
        manifest. A caller that holds the manifest already asks :meth:`stems_of`: each call here reads every
        manifest of the directory to find this one."""
        return self.stems_of(self.get(project_id))

    def latest_with_stems(self) -> LatestStems | None:
        """The project whose stems were written last (its newest stem file's modification time), or
        None when no project has stems: what a mixing request that names no project and carries no
        audio is about (DAWG-CORE's AI panel and the web client send such requests; the project a user
        just rendered stems of is the one they are working on)."""
        latest: LatestStems | None = None
        for manifest in self.list_projects():
            stems, written = self._stems_written(manifest)
            if written is not None and (latest is None or written > latest.written):
                latest = LatestStems(manifest, stems, written)
        return latest

    def latest_saved(self) -> LatestProject | None:
        """The project a person worked on last: the one whose manifest or stems were written last (the
        newest modification time of its manifest file and its stem files), or None when there is no
        project. What a project analysis that names no project is about (Jarvis: "analyse my project")."""
        latest: LatestProject | None = None
        for manifest in self.list_projects():
            written, what = _modified(manifest.path), "saved"
            stems_written = self._stems_written(manifest)[1]
            if stems_written is not None and (written is None or stems_written > written):
                written, what = stems_written, "stems written"
            if written is not None and (latest is None or written > latest.written):
                latest = LatestProject(manifest, written, what)
        return latest

    def _stems_written(self, manifest: ProjectManifest) -> tuple[dict[str, Path], float | None]:
        """A project's stems and when the newest of them was written (None: no stems)."""
        try:
            stems = self.stems_of(manifest)
        except InvalidProjectId:  # a manifest whose id cannot name a folder has no stems folder
            return {}, None
        times = [mtime for mtime in map(_modified, stems.values()) if mtime is not None]
        return stems, max(times) if times else None

    def stems_of(self, manifest: ProjectManifest, passed_over: dict[str, str] | None = None) -> dict[str, Path]:
        """Track name -> stem file of the project of ``manifest``.

        Tracks of the manifest come first, in manifest order, under the manifest's spelling;
        extra audio files follow, sorted, under their file names without extension. Tracks
        without a stem are absent. A missing stems folder gives ``{}``. ``passed_over`` (when given) gets, by
        name key (:func:`stem_key`), why each file of a stem's name and format is not read: a link that leads
        outside the folder or nowhere, a folder or a pipe named like a stem (without it a track whose stem is such
        a file was told "render it to <that path>").
        """
        skipped: dict[str, str] = {} if passed_over is None else passed_over
        project_id = manifest.project_id
        try:
            folder = self.stems_dir(project_id)
        except ProjectNotFound as exc:  # the project's folder leads round in a loop: it has no stems to read
            logger.warning("%s", exc)
            return {}
        if not folder.is_dir():
            return {}
        try:
            real_folder = resolve_path(folder, strict=True)
        except OSError as exc:
            logger.warning("cannot read stems folder %s: %s", folder, exc)
            return {}
        if not _is_inside(real_folder, resolve_path(self.projects_dir) / project_id):
            logger.warning("stems folder %s leads outside its project (%s); ignored", folder, real_folder)
            return {}

        by_stem: dict[str, list[Path]] = {}
        for item in sorted(_scan_dir(folder), key=lambda item: item.name):
            if item.name.startswith(".") or not item.name.lower().endswith(_STEM_SUFFIXES):
                continue
            entry = folder / item.name
            if entry.suffix.lower() not in STEM_EXTENSIONS or not entry.stem.strip():
                continue
            if not _utf8_name(entry):  # its track name could be in no answer: every mixing route was a 500
                logger.warning("stem %s left out: %s", _printable(entry), _NOT_UTF8)
                continue
            if item.is_symlink():  # only a link can lead elsewhere: resolving every stem was most of a listing's time
                try:
                    target = resolve_path(entry, strict=True)
                except OSError:
                    logger.warning("stem %s is a broken link or unreadable; ignored", entry)
                    skipped.setdefault(stem_key(entry.stem), f"{entry} is a broken link or cannot be read")
                    continue
                if not _is_inside(target, real_folder):
                    logger.warning("stem %s links outside the stems folder (%s); ignored", entry, target)
                    skipped.setdefault(
                        stem_key(entry.stem),
                        f"{entry} is a link to {target}, outside the stems folder, which is not read",
                    )
                    continue
            if not _is_file(item):
                skipped.setdefault(stem_key(entry.stem), f"{entry} is not a file (a folder or a pipe)")
                continue
            by_stem.setdefault(stem_key(entry.stem), []).append(entry)

        stems: dict[str, Path] = {}
        for track in manifest.tracks:
            candidates = by_stem.pop(stem_key(track), None)
            if candidates:
                stems[track] = _preferred(candidates)
        for key in sorted(by_stem):
            path = _preferred(by_stem[key])
            stems[path.stem] = path
        return stems

    def stems_not_read(self, manifest: ProjectManifest) -> list[str]:
        """What an answer says of the audio files in a project's stems folder that :meth:`stems_of` leaves out for
        their names, which are not UTF-8: '<id>/stems/Kick \\xe9.wav is not read: its name is not UTF-8 text (...)',
        the name escaped as the listing's ``unread`` writes it (only the log named them; the answer read as if the
        file were not there)."""
        try:
            folder = self.stems_dir(manifest.project_id)
        except (InvalidProjectId, ProjectNotFound):  # no stems folder to read (stems_of says why in the log)
            return []
        return [
            f"{_printable(Path(manifest.project_id, STEMS_FOLDER, item.name))} is not read: {_NOT_UTF8}"
            for item in sorted(_scan_dir(folder), key=lambda item: item.name)
            if not item.name.startswith(".")
            and item.name.lower().endswith(_STEM_SUFFIXES)
            and not _utf8_text(item.name)
            and _is_file(item)
        ]

    # -- internals --------------------------------------------------------------------------

    def _project_path(self, project_id: str) -> Path:
        """``<projects dir>/<project_id>``, after checking the id by pattern and by resolving it."""
        validate_project_id(project_id)
        try:
            root = resolve_path(self.projects_dir)
            candidate = resolve_path(root / project_id)
        except OSError as exc:  # a loop of symbolic links
            raise ProjectNotFound(
                f"project {project_id[:40]!r} cannot be read: its folder's symbolic links lead round in a loop"
            ) from exc
        if candidate.parent != root:
            raise InvalidProjectId(f"project_id {project_id[:40]!r} resolves outside the projects directory")
        return self.projects_dir / project_id

    def _read_candidates(self) -> list[tuple[Path, dict[str, Any] | None, str | None]]:
        """(file, data, why) of each file directly in the projects directory or one folder level down that may be a
        manifest: what :func:`_json_object` makes of it (or a name that is not UTF-8), sorted by path. A file is read
        again only when it changed since the last scan; the files gone since are forgotten. A file or folder that is
        a link leading outside the projects directory is left out (a manifest linked to ~/.ssh/config must not be
        read)."""
        found: list[tuple[Path, dict[str, Any] | None, str | None]] = []
        kept: dict[str, _FileRead] = {}
        now = time.time_ns()
        with self._reads_lock:
            known = self._reads
        for entry in self._candidates():
            key = _file_key(entry)
            read = known.get(entry.path)
            if key is None or read is None or read.key != key:
                data, why = _json_object(Path(entry.path))
                settled = key is not None and now - max(key[3], key[4]) > _SETTLED_NS
                read = _FileRead(key, data, why) if key is not None and settled else None
            else:
                data, why = read.data, read.why
            if read is not None:
                kept[entry.path] = read
            if data is not None or why is not None or not _utf8_text(entry.name):
                found.append((Path(entry.path), data, why))
        with self._reads_lock:
            self._reads = kept
        return found

    def _candidates(self) -> list[os.DirEntry[str]]:
        """The entries of the files :meth:`_read_candidates` reads, sorted by path. Only links are resolved: the real
        path of any other entry is its folder's and its name (resolving each of 10,000 files, a stat of every
        folder above it in Python, was most of a listing's time)."""
        try:
            root = resolve_path(self.projects_dir, strict=True)
        except OSError:
            return []

        # (in a linked folder, names below the projects directory, real path, entry)
        found: list[tuple[bool, tuple[str, ...], str, os.DirEntry[str]]] = []
        for entry in _scan_dir(self.projects_dir):
            if entry.name.startswith("."):
                continue
            real = _real_path(entry, os.path.join(root, entry.name), root)
            if real is None:
                continue
            if _is_file(entry):
                found.append((False, (entry.name,), real, entry))
            elif _is_dir(entry) and real != str(root):  # "loop -> .": every file twice
                linked = entry.is_symlink()
                for sub in _scan_dir(Path(entry.path)):
                    if sub.name.startswith(".") or not _is_file(sub):
                        continue
                    sub_real = _real_path(sub, os.path.join(real, sub.name), root)
                    if sub_real is not None:
                        found.append((linked, (entry.name, sub.name), sub_real, sub))
        found.sort(key=lambda item: (item[0], item[1]))
        # One file reached twice (a folder linked under another name) is read once, by its path without a link.
        by_target: dict[str, tuple[tuple[str, ...], os.DirEntry[str]]] = {}
        for _, names, real, entry in found:
            by_target.setdefault(real, (names, entry))
        return [entry for _, entry in sorted(by_target.values(), key=lambda item: item[0])]


@dataclass(frozen=True)
class LatestStems:
    """The project whose stems were written last, its stems and when (seconds since the epoch)."""

    manifest: ProjectManifest
    stems: dict[str, Path]
    written: float


@dataclass(frozen=True)
class LatestProject:
    """The project worked on last, when (seconds since the epoch) and what was written then: "saved"
    (its manifest) or "stems written"."""

    manifest: ProjectManifest
    written: float
    what: str


def written_utc(timestamp: float) -> str:
    """When a project file was written, as an answer says it: '2026-12-06 01:58 UTC'."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _listed(projects: list[ProjectManifest]) -> str:
    """The projects there are, for a "no such project" answer: 'Night Drive' (night), ..."""
    known = ", ".join(f"{m.name!r} ({m.project_id})" for m in projects[:MAX_LISTED]) or "none"
    return known + (f" and {len(projects) - MAX_LISTED} more" if len(projects) > MAX_LISTED else "")


def _modified(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:  # deleted since it was listed
        return None


_NOT_UTF8 = "its name is not UTF-8 text (as written by an old Windows archive): rename it to read it"


def _utf8_name(path: Path) -> bool:
    """Whether the file's name is text: a name in another encoding reaches Python with surrogate escapes."""
    return _utf8_text(path.name)


def _utf8_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: Path) -> str:
    """A path as an answer or a log can carry it: bytes that are not UTF-8 written as \\xff."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _scan_dir(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` (none when it is gone or cannot be read, logged), in no order."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except FileNotFoundError:
        return []
    except OSError as exc:
        logger.warning("cannot list %s: %s", folder, exc)
        return []


def _is_file(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a file or a link to one (Path.is_file's answer: False where it cannot be told)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _real_path(entry: os.DirEntry[str], plain: str, root: Path) -> str | None:
    """Where ``entry`` really is: ``plain`` (its folder's real path and its name) when it is no link, else its
    link's target, or None when that leads nowhere or outside ``root``."""
    if not entry.is_symlink():
        return plain
    try:
        target = resolve_path(Path(entry.path), strict=True)
    except OSError:
        return None
    return str(target) if _is_inside(target, root) else None


def _file_key(entry: os.DirEntry[str]) -> tuple[int, int, int, int, int] | None:
    """What changes when a file is written or replaced: its device and inode, size, and modification and change
    times (of a link's target); None when it cannot be read."""
    try:
        st = entry.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _list_dir(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        logger.warning("cannot list %s: %s", folder, exc)
        return []


def stem_key(name: str) -> str:
    """A track or stem name as matched: in any case, and in either Unicode form. macOS writes file names
    decomposed (NFD: "e" and a combining accent) where the manifest holds "Café Vocals" composed, so the
    stem was an extra track of a name that looks the same, and the manifest's track had no stem."""
    return unicodedata.normalize("NFC", name).casefold()


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def unread_alternatives(stems: dict[str, Path]) -> list[str]:
    """What an answer says of the other files of a stem's name beside the one read ("Kick: Kick.wav is read, not
    Kick.flac"): a folder with Kick.wav and Kick.flac, or Bass.wav and bass.wav, had one read without a word, and
    the one left may be the newer export. The order of preference is STEM_EXTENSIONS' (lossless first), then
    the name."""
    notes = []
    for track, chosen in stems.items():
        others = [
            entry.name
            for entry in _list_dir(chosen.parent)
            if entry != chosen
            and not entry.name.startswith(".")
            and entry.suffix.lower() in STEM_EXTENSIONS
            and stem_key(entry.stem) == stem_key(chosen.stem)
        ]
        if others:
            notes.append(
                f"{track}: {chosen.name} is read, not {', '.join(others)} (files of one track's name: a lossless "
                "format first; remove or rename the one that is not the track's)"
            )
    return notes


def _preferred(paths: list[Path]) -> Path:
    """Among files of the same track, the first by extension preference, then by name."""
    chosen = min(paths, key=lambda p: (STEM_EXTENSIONS.index(p.suffix.lower()), p.name))
    if len(paths) > 1:
        logger.info("several stems for %r: using %s", chosen.stem, chosen.name)
    return chosen


def _json_object(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(the JSON object in ``path`` when it may be a manifest, None) or (None, why a file that starts like JSON
    was not read); (None, None) for a file that is no manifest at all (audio, text, other JSON)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
            if head.removeprefix(_UTF8_BOM).lstrip()[:1] != b"{":
                return None, None  # not JSON (audio, text, ...): not a manifest, nothing to report
            if size > MAX_MANIFEST_BYTES:  # left out of every listing without a word when it names a manifest's key
                if not any(f'"{key}"'.encode() in head for key in ("project_id", "tracks")):
                    return None, None
                return None, f"{size} bytes, more than a manifest's {MAX_MANIFEST_BYTES // 1024} KiB: not read"
            raw = (head + handle.read(MAX_MANIFEST_BYTES)).removeprefix(_UTF8_BOM)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"not valid JSON ({exc})"
    except (ValueError, RecursionError) as exc:  # a number of over 4300 digits, or thousands of nested arrays:
        return None, f"JSON that is no manifest ({type(exc).__name__})"  # one such file made every project route a 500
    if not isinstance(data, dict) or not any(key in data for key in ("project_id", "tracks")):
        logger.debug("skipping %s: JSON but not a project manifest", path)
        return None, None
    return data, None


def _manifest_of(data: dict[str, Any], path: Path) -> ProjectManifest | None:
    """The manifest of a JSON object that :func:`_manifest_problem` passed."""
    signature = _TIME_SIGNATURE_RE.fullmatch(data["time_signature"])
    tempo = _manifest_tempo(data["tempo"])
    if signature is None or tempo is None:  # excluded by _manifest_problem; keeps the type checker informed
        return None
    numerator, denominator = (int(x) for x in signature.groups())
    tracks = [name for name in map(_track_name, data["tracks"]) if name is not None]  # all, per _manifest_problem
    return ProjectManifest(
        project_id=data["project_id"],
        name=data["name"],
        tempo=tempo,
        time_signature=f"{numerator}/{denominator}",
        tracks=tracks,
        path=path,
    )


def _track_name(track: Any) -> str | None:
    """A track's name: the string itself, or the ``name`` of a track object (a richer manifest)."""
    if isinstance(track, str):
        return track
    if isinstance(track, dict):
        name = track.get("name")
        if isinstance(name, str):
            return name
    return None


def _manifest_tempo(tempo: Any) -> float | None:
    """A manifest's tempo in BPM: a positive finite number, or one written as text ("128": the core sends its
    numbers as strings in form bodies, and a manifest so written was left out of every listing); None otherwise."""
    if isinstance(tempo, str):
        try:
            tempo = float(tempo.strip())
        except ValueError:
            return None
    if isinstance(tempo, bool) or not isinstance(tempo, (int, float)) or not math.isfinite(tempo) or tempo <= 0:
        return None
    return float(tempo)


def _manifest_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's fields, or None."""
    missing = [key for key in _MANIFEST_KEYS if key not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    project_id = data["project_id"]
    if not isinstance(project_id, str):
        return "project_id is not a string"
    try:
        validate_project_id(project_id)
    except InvalidProjectId as exc:
        return exc.detail
    if not isinstance(data["name"], str):
        return "name is not a string"
    tempo = data["tempo"]
    if _manifest_tempo(tempo) is None:
        return f"tempo {tempo!r} is not a positive number"
    signature = data["time_signature"]
    match = _TIME_SIGNATURE_RE.fullmatch(signature) if isinstance(signature, str) else None
    if match is None or int(match.group(1)) < 1 or int(match.group(2)) not in (1, 2, 4, 8, 16, 32):
        return f"time_signature {signature!r} is not like '4/4'"
    tracks = data["tracks"]
    if not isinstance(tracks, list) or not all(_track_name(t) is not None for t in tracks):
        return "tracks is not a list of names"
    return None


__all__ = [
    "MAX_PROJECT_ID_LENGTH",
    "STEM_EXTENSIONS",
    "unread_alternatives",
    "ProjectManifest",
    "ProjectStore",
    "stem_key",
    "validate_project_id",
]
