"""Collecting the audio a mixing request is about: project stems, uploaded stems, a master, a reference."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TypeVar

from starlette.datastructures import UploadFile

from ai import progress
from ai.analysis.pipeline import summarize_file
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio, decode_audio
from ai.mixing.roles import resolve_roles
from api.params import RequestInput, copy_upload, remove_quietly
from api.state import EngineState
from utils.errors import InvalidParameter

T = TypeVar("T")


@dataclass
class NamedAudio:
    name: str
    role: str
    audio: DecodedAudio


@dataclass
class MixAudio:
    tracks: list[NamedAudio] = field(default_factory=list)
    master: DecodedAudio | None = None
    reference: DecodedAudio | None = None
    source: str = "none"  # project_stems | uploads | master | none
    tempo: float | None = None
    """The project manifest's tempo (BPM), when the stems come from a project."""


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
        except RecursionError as exc:
            raise InvalidParameter("roles", "nested too deeply to be a JSON object of roles") from exc
        if not isinstance(parsed, dict):
            raise InvalidParameter("roles", "must be a JSON object of track name -> role")
        return {str(k): str(v) for k, v in parsed.items()}
    roles = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        track, sep, role = item.partition("=")
        if not sep or not track.strip() or not role.strip():
            raise InvalidParameter("roles", f"'{item}' is not of the form Track=role")
        roles[track.strip()] = role.strip()
    return roles


def _decode_all(items: list[tuple[str, bytes | Path]], max_duration_s: float) -> list[DecodedAudio]:
    decoded = []
    for k, (name, source) in enumerate(items):
        with progress.section(k / len(items), (k + 1) / len(items), "decoding"):  # a job's share per file
            decoded.append(decode_audio(source, name=name, max_duration_s=max_duration_s))
    return decoded


async def decode_stems(engine: EngineState, stems: dict[str, Path], roles: dict[str, str]) -> list[NamedAudio]:
    decoded = await engine.run(_decode_all, list(stems.items()), engine.settings.max_audio_duration_s)
    return [NamedAudio(name, roles[name], audio) for name, audio in zip(stems, decoded, strict=True)]


async def decode_uploads(engine: EngineState, named: list[tuple[str, UploadFile]]) -> list[DecodedAudio]:
    """Decode uploads: each is streamed to a temporary file (checking the per-file limit as it goes),
    decoded from that path, and the file deleted, in the engine's worker threads. Peak memory is
    the decoded audio, never the encoded bytes as well."""
    settings = engine.settings
    spooled: list[Path] = []
    try:
        for _, upload in named:
            copy = functools.partial(
                copy_upload, upload, max_upload_bytes=settings.max_upload_bytes, directory=settings.upload_dir
            )
            spooled.append(await engine.run(copy))
        items: list[tuple[str, bytes | Path]] = [(name, path) for (name, _), path in zip(named, spooled, strict=True)]
        return await engine.run(_decode_all, items, settings.max_audio_duration_s)
    finally:
        for path in spooled:
            remove_quietly(path)


async def run_on_upload(engine: EngineState, upload: UploadFile, work: Callable[[Path], T]) -> T:
    """Stream ``upload`` to a temporary file (checking the per-file limit as it goes) and run
    ``work(path)`` on it, both in the engine's worker threads; the file is deleted after. For work
    that reads the file block by block itself (the analysis), so the decoded audio is never whole."""
    settings = engine.settings
    copy = functools.partial(
        copy_upload, upload, max_upload_bytes=settings.max_upload_bytes, directory=settings.upload_dir
    )
    path = await engine.run(copy)
    try:
        return await engine.run(work, path)
    finally:
        remove_quietly(path)


async def summarize_upload(engine: EngineState, upload: UploadFile) -> SignalSummary:
    """An uploaded recording read block by block into the analysis's one pass (its mono signal at the
    analysis rate, loudness, peaks): the decoded file is never held whole, and the temporary copy goes as
    soon as it is read. What /analyze/audio, /transcribe and /generate/accompaniment start from."""
    decode = functools.partial(
        summarize_file, name=upload.filename or "file", max_duration_s=engine.settings.max_audio_duration_s
    )
    return await run_on_upload(engine, upload, decode)


async def gather_mix_audio(
    engine: EngineState, inp: RequestInput, project_id: str | None, roles_param: str | dict[str, str] | None
) -> MixAudio:
    """Decode the request's audio. Uploaded stems (multipart ``files``) and a project's stems
    cannot be mixed in one request; ``master`` alone asks for mastering advice."""
    overrides = parse_roles(roles_param)
    uploads = inp.files.get("files", []) + inp.files.get("file", [])
    found = MixAudio()
    if project_id and uploads:
        raise InvalidParameter("project_id", "send either project_id or uploaded files, not both")
    if project_id:
        manifest = await engine.run(engine.projects.get, project_id)
        found.tempo = manifest.tempo
        stems = await engine.run(engine.projects.find_stems, manifest.project_id)
        names = list(stems)
        found.tracks = await decode_stems(engine, stems, resolve_roles(names, overrides))
        found.source = "project_stems" if stems else "none"
    elif uploads:
        named: list[tuple[str, UploadFile]] = []
        for upload in uploads:
            name = PurePath(upload.filename or f"track {len(named) + 1}").stem or f"track {len(named) + 1}"
            if any(name.lower() == other.lower() for other, _ in named):
                raise InvalidParameter("files", f"two uploaded stems are named '{name}'; track names must differ")
            named.append((name, upload))
        decoded = await decode_uploads(engine, named)
        roles = resolve_roles([name for name, _ in named], overrides)
        found.tracks = [NamedAudio(name, roles[name], audio) for (name, _), audio in zip(named, decoded, strict=True)]
        found.source = "uploads"
    for field_name in ("master", "reference"):
        field_upload = inp.file(field_name)
        if field_upload is not None:
            (audio,) = await decode_uploads(engine, [(field_upload.filename or field_name, field_upload)])
            setattr(found, field_name, audio)
    if found.master is not None and not found.tracks:
        found.source = "master"
    return found
