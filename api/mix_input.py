"""Collecting the audio a mixing request is about: project stems, uploaded stems, a master, a reference."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ai.audio.decode import DecodedAudio, decode_audio
from ai.mixing.roles import resolve_roles
from api.params import RequestInput, read_upload
from api.state import EngineState
from utils.errors import InvalidParameter


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
    return [decode_audio(source, name=name, max_duration_s=max_duration_s) for name, source in items]


async def decode_stems(engine: EngineState, stems: dict[str, Path], roles: dict[str, str]) -> list[NamedAudio]:
    decoded = await engine.run(_decode_all, list(stems.items()), engine.settings.max_audio_duration_s)
    return [NamedAudio(name, roles[name], audio) for name, audio in zip(stems, decoded, strict=True)]


async def gather_mix_audio(
    engine: EngineState, inp: RequestInput, project_id: str | None, roles_param: str | dict[str, str] | None
) -> MixAudio:
    """Decode the request's audio. Uploaded stems (multipart ``files``) and a project's stems
    cannot be mixed in one request; ``master`` alone asks for mastering advice."""
    limit = engine.settings.max_upload_bytes
    overrides = parse_roles(roles_param)
    uploads = inp.files.get("files", []) + inp.files.get("file", [])
    found = MixAudio()
    if project_id and uploads:
        raise InvalidParameter("project_id", "send either project_id or uploaded files, not both")
    if project_id:
        manifest = await engine.run(engine.projects.get, project_id)
        stems = await engine.run(engine.projects.find_stems, manifest.project_id)
        names = list(stems)
        found.tracks = await decode_stems(engine, stems, resolve_roles(names, overrides))
        found.source = "project_stems" if stems else "none"
    elif uploads:
        items: list[tuple[str, bytes | Path]] = []
        for upload in uploads:
            name = PurePath(upload.filename or f"track {len(items) + 1}").stem or f"track {len(items) + 1}"
            if any(name.lower() == other.lower() for other, _ in items):
                raise InvalidParameter("files", f"two uploaded stems are named '{name}'; track names must differ")
            items.append((name, await read_upload(upload, max_upload_bytes=limit)))
        decoded = await engine.run(_decode_all, items, engine.settings.max_audio_duration_s)
        roles = resolve_roles([name for name, _ in items], overrides)
        found.tracks = [NamedAudio(name, roles[name], audio) for (name, _), audio in zip(items, decoded, strict=True)]
        found.source = "uploads"
    for field_name in ("master", "reference"):
        upload = inp.file(field_name)
        if upload is not None:
            data = await read_upload(upload, max_upload_bytes=limit)
            (audio,) = await engine.run(
                _decode_all, [(upload.filename or field_name, data)], engine.settings.max_audio_duration_s
            )
            setattr(found, field_name, audio)
    if found.master is not None and not found.tracks:
        found.source = "master"
    return found
