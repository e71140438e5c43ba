"""Collecting the audio a mixing request is about: project stems, uploaded stems, a master, a reference."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import unicodedata
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TypeVar

from starlette.datastructures import UploadFile

from ai import progress
from ai.analysis.pipeline import summarize_file
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import Audio, close_all, decode_stem
from ai.mixing.roles import resolve_roles
from ai.mixing.space import TEMPO_RANGE_BPM, tempo_in_range
from api.owned_results import copy_upload_owned, run_owning
from api.params import TOO_MANY_DIGITS, RequestInput, refuse_unread_files, remove_off_loop
from api.state import EngineState
from integration.projects import LatestStems, ProjectManifest, unread_alternatives, written_utc
from utils.errors import InvalidParameter, PayloadTooLarge, UndecodableAudio, UnsupportedMediaType

T = TypeVar("T")
IN_MEMORY_BYTES = 64 << 20
"""Decoded float32 samples a mixing request keeps in memory, all its stems together (three minutes
of 44.1 kHz stereo is 61 MiB); every stem beyond it is decoded into a stem file
(ai/audio/stem_file.py) and read back block by block, so a long stem costs blocks, not its size."""


@dataclass
class NamedAudio:
    name: str
    role: str
    audio: Audio


@dataclass
class MixAudio:
    """A mixing request's audio. Its stem files are deleted by :meth:`close` (the request's end)."""

    tracks: list[NamedAudio] = field(default_factory=list)
    master: Audio | None = None
    reference: Audio | None = None
    source: str = "none"  # project_stems | uploads | master | none
    tempo: float | None = None
    """The project manifest's tempo (BPM), when the stems come from a project."""
    project_id: str | None = None
    """The project the stems come from: the one named, or the one whose stems were written last."""
    project_name: str | None = None
    chosen: str | None = None
    """When the request named no project and carried no audio: which project was taken, and why."""
    left_out: list[str] = field(default_factory=list)
    """A project's stems left out because they could not be decoded, one sentence each."""
    tempo_note: str | None = None
    """Why the project manifest's tempo was not used (one no delay or release time can be set by)."""

    @property
    def message(self) -> str | None:
        """What the answer's ``message`` says: the project taken and why, the stems left out, a manifest tempo
        not used."""
        parts = ([self.chosen] if self.chosen else []) + self.left_out + ([self.tempo_note] if self.tempo_note else [])
        return "; ".join(parts) if parts else None

    def close(self) -> None:
        close_all([track.audio for track in self.tracks] + [self.master, self.reference])


def parse_roles(value: str | dict[str, str] | None) -> dict[str, str] | None:
    """``{"Kick": "kick"}`` or ``'{"Kick": "kick"}'`` or ``"Kick=kick, Bass DI=bass"`` -> dict."""
    if value is None or isinstance(value, dict):
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidParameter("roles", f"not a JSON object ({exc.msg})") from exc
        except ValueError as exc:  # an integer longer than Python converts (sys.get_int_max_str_digits())
            raise InvalidParameter("roles", TOO_MANY_DIGITS) from exc
        except RecursionError as exc:
            raise InvalidParameter("roles", "nested too deeply to be a JSON object of roles") from exc
        if not isinstance(parsed, dict):
            raise InvalidParameter("roles", "must be a JSON object of track name -> role")
        return {str(k): str(v) for k, v in parsed.items()}
    roles = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        track, sep, role = item.rpartition("=")  # a track name may hold '=': the role never does
        if not sep or not track.strip() or not role.strip():
            raise InvalidParameter(
                "roles",
                f"'{item}' is not of the form Track=role (for a track name holding ',', send roles as a JSON "
                'object: {"Kick, Snare": "drums"})',
            )
        roles[track.strip()] = role.strip()
    return roles


def _to_frames(
    items: list[tuple[str, Path]], max_duration_s: float, directory: Path | None, *, leave_out_unreadable: bool = False
) -> tuple[list[Audio | None], list[str]]:
    """Decode each file: into memory while the request's total stays within IN_MEMORY_BYTES, else
    into a stem file. On an error the stem files already made are deleted.

    ``leave_out_unreadable`` (a project's stems, which the caller did not send): a file that is no audio, cannot be
    decoded (a stem DAWG-CORE is still writing, a text file named .wav) or lasts longer than ``max_duration_s`` is
    left out, with a note naming it, instead of failing the request, unless every file is (its error then stands):
    one 31-minute stem made the whole project a 413. Returns each file's decoded audio (None for a file left out)
    and the notes."""
    decoded: list[Audio | None] = []
    notes: list[str] = []
    first_error: UnsupportedMediaType | UndecodableAudio | PayloadTooLarge | None = None
    budget = IN_MEMORY_BYTES
    try:
        for k, (name, path) in enumerate(items):
            try:
                with progress.section(k / len(items), (k + 1) / len(items), "decoding"):  # a job's share per file
                    audio = decode_stem(
                        path, name=name, max_duration_s=max_duration_s, directory=directory, in_memory_bytes=budget
                    )
            except (UnsupportedMediaType, UndecodableAudio, PayloadTooLarge) as exc:
                if not leave_out_unreadable:
                    raise
                first_error = first_error or exc
                notes.append(f"the stem {path.name!r} (track {name!r}) was left out: {exc.detail}")
                decoded.append(None)
                continue
            decoded.append(audio)
            if isinstance(audio, DecodedAudio):
                budget -= audio.samples.nbytes
    except BaseException:
        close_all([audio for audio in decoded if audio is not None])
        raise
    if first_error is not None and all(audio is None for audio in decoded):
        raise first_error
    return decoded, notes


def _decoded_only(items: list[tuple[str, Path]], max_duration_s: float, directory: Path | None) -> list[Audio]:
    """Every file decoded (:func:`_to_frames` without leaving any out: an undecodable upload is an error)."""
    return [audio for audio in _to_frames(items, max_duration_s, directory)[0] if audio is not None]


async def mix_stems(
    engine: EngineState, stems: dict[str, Path], roles: dict[str, str]
) -> tuple[list[NamedAudio], list[str]]:
    """A project's stems for a mixing request (:func:`_to_frames`; the caller closes them), and a note for
    each stem left out because it could not be decoded."""
    settings = engine.settings
    items = list(stems.items())
    decode = functools.partial(_to_frames, leave_out_unreadable=True)
    decoded, notes = await run_owning(
        engine,
        lambda made: close_all([audio for audio in made[0] if audio is not None]),
        decode,
        items,
        settings.max_audio_duration_s,
        settings.upload_dir,
    )
    tracks = [
        NamedAudio(name, roles[name], audio)
        for (name, _), audio in zip(items, decoded, strict=True)
        if audio is not None
    ]
    return tracks, notes


async def mix_uploads(engine: EngineState, named: list[tuple[str, UploadFile]]) -> list[Audio]:
    """Uploaded stems for a mixing request (:func:`_to_frames`; the caller closes them)."""
    settings = engine.settings
    async with _spooled(engine, named) as items:
        return await _owned(engine, _decoded_only, items, settings.max_audio_duration_s, settings.upload_dir)


async def _owned(engine: EngineState, fn: Callable[..., list[Audio]], *args: object) -> list[Audio]:
    """``engine.run(fn, *args)`` for work whose result owns stem files: closed if the request is
    cancelled while the worker still decodes (:func:`api.owned_results.run_owning`)."""
    return await run_owning(engine, close_all, fn, *args)


@contextlib.asynccontextmanager
async def _spooled(engine: EngineState, named: list[tuple[str, UploadFile]]) -> AsyncIterator[list[tuple[str, Path]]]:
    """Each upload streamed to a temporary file (checking the per-file limit as it goes) in the
    engine's worker threads, as (name, path); the files are deleted after. Peak memory is the
    decoded audio, never the encoded bytes as well."""
    spooled: list[Path] = []
    try:
        for _, upload in named:
            spooled.append(await copy_upload_owned(engine, upload))
        yield [(name, path) for (name, _), path in zip(named, spooled, strict=True)]
    finally:
        await remove_off_loop(*spooled)


async def run_on_upload(
    engine: EngineState,
    upload: UploadFile,
    work: Callable[[Path], T],
    *,
    discard: Callable[[T], object] | None = None,
) -> T:
    """Stream ``upload`` to a temporary file (checking the per-file limit as it goes) and run
    ``work(path)`` on it, both in the engine's worker threads; the file is deleted after. For work
    that reads the file block by block itself (the analysis), so the decoded audio is never whole.
    ``discard``: for a result that owns a file, called on it when the request is cancelled while
    ``work`` runs (:func:`api.owned_results.run_owning`)."""
    path = await copy_upload_owned(engine, upload)
    try:
        return await (engine.run(work, path) if discard is None else run_owning(engine, discard, work, path))
    finally:
        await remove_off_loop(path)


async def summarize_upload(engine: EngineState, upload: UploadFile) -> SignalSummary:
    """An uploaded recording read block by block into the analysis's one pass (its mono signal at the
    analysis rate, loudness, peaks): the decoded file is never held whole, and the temporary copy goes as
    soon as it is read. What /analyze/audio, /transcribe and /generate/accompaniment start from."""
    decode = functools.partial(
        summarize_file, name=upload.filename or "file", max_duration_s=engine.settings.max_audio_duration_s
    )
    return await run_on_upload(engine, upload, decode)


async def _project_stems(
    engine: EngineState,
    found: MixAudio,
    manifest: ProjectManifest,
    stems: dict[str, Path],
    overrides: dict[str, str] | None,
) -> None:
    found.project_id = manifest.project_id
    found.project_name = manifest.name
    # A manifest's tempo is any positive number; one the space advice cannot time its moves by (0.001 or
    # 100000 BPM) made every mixing route a 422 naming `tempo`, a parameter the caller had not sent.
    if tempo_in_range(manifest.tempo):
        found.tempo = manifest.tempo
    else:
        low, high = TEMPO_RANGE_BPM
        found.tempo_note = (
            f"the manifest's tempo ({manifest.tempo:g} BPM) is outside {low:g}-{high:g} BPM and was not used: "
            "the tempo is measured from the mix"
        )
    found.tracks, left_out = await mix_stems(engine, stems, resolve_roles(list(stems), overrides))
    found.left_out = [
        *left_out,
        *await engine.run(unread_alternatives, stems),
        *await engine.run(engine.projects.stems_not_read, manifest),
    ]
    found.source = "project_stems" if stems else "none"


def track_name(filename: str | None) -> str:
    """A stem's track name from its upload's file name: the name without extension, with control and
    format characters left out ('a\x01b', a right-to-left override: they went into every finding and
    level as typed, where a DAW's mixer shows them as boxes or turns the text round). '' when none is left."""
    stem = PurePath(filename or "").stem
    return "".join(c for c in stem if unicodedata.category(c) not in ("Cc", "Cf")).strip()


def chosen_project_note(latest: LatestStems) -> str:
    """What an answer says when it took the project whose stems were written last."""
    manifest = latest.manifest
    return (
        f"the request named no project and carried no audio: this is project {manifest.name!r} "
        f"(project_id {manifest.project_id!r}), whose stems were written last ({written_utc(latest.written)}); "
        "pass project_id for another project, or upload stems as multipart 'files'"
    )


@contextlib.asynccontextmanager
async def mix_audio(
    engine: EngineState, inp: RequestInput, project_id: str | None, roles_param: str | dict[str, str] | None
) -> AsyncIterator[MixAudio]:
    """:func:`gather_mix_audio` whose stem files are deleted when the block ends, on error too."""
    found = MixAudio()
    try:
        yield await gather_mix_audio(engine, inp, project_id, roles_param, into=found)
    finally:
        await asyncio.shield(asyncio.to_thread(found.close))  # deleting stem files: off the event loop


async def gather_mix_audio(
    engine: EngineState,
    inp: RequestInput,
    project_id: str | None,
    roles_param: str | dict[str, str] | None,
    *,
    into: MixAudio | None = None,
) -> MixAudio:
    """Decode the request's audio (into ``into`` as it goes, so its owner can close what was made
    when a later file fails). Uploaded stems (multipart ``files``) and a project's stems cannot be
    mixed in one request; ``master`` alone asks for mastering advice. A request with neither a project,
    stems nor a master takes the project whose stems were written last (``found.chosen`` says so)."""
    overrides = parse_roles(roles_param)
    refuse_unread_files(inp, single=("master", "reference"), many=("files", "file"))
    uploads = inp.files.get("files", []) + inp.files.get("file", [])
    found = MixAudio() if into is None else into
    if project_id and uploads:
        raise InvalidParameter("project_id", "send either project_id or uploaded files, not both")
    if project_id:
        manifest = await engine.run(engine.projects.get, project_id)
        stems = await engine.run(engine.projects.stems_of, manifest)
        await _project_stems(engine, found, manifest, stems, overrides)
    elif not uploads and inp.file("master") is None:
        latest = await engine.run(engine.projects.latest_with_stems)
        if latest is not None:
            await _project_stems(engine, found, latest.manifest, latest.stems, overrides)
            found.chosen = chosen_project_note(latest)
    elif uploads:
        named: list[tuple[str, UploadFile]] = []
        for upload in uploads:
            name = track_name(upload.filename) or f"track {len(named) + 1}"
            if any(name.lower() == other.lower() for other, _ in named):
                raise InvalidParameter("files", f"two uploaded stems are named '{name}'; track names must differ")
            named.append((name, upload))
        roles = resolve_roles([name for name, _ in named], overrides)
        decoded = await mix_uploads(engine, named)
        found.tracks = [NamedAudio(name, roles[name], audio) for (name, _), audio in zip(named, decoded, strict=True)]
        found.source = "uploads"
    for field_name in ("master", "reference"):
        field_upload = inp.file(field_name)
        if field_upload is not None:
            (audio,) = await mix_uploads(engine, [(field_upload.filename or field_name, field_upload)])
            setattr(found, field_name, audio)
    if found.master is not None and not found.tracks:
        found.source = "master"
    return found
