"""Running a parsed text command: which endpoint's work it is, with which parameters and uploads.

A command runs exactly the work function of the endpoint it stands for (``generate_work``,
``analyze_audio_work``, ``suggest_work`` ...), on a request input built from the parse, so that
"a bassline in D minor, 8 bars" answers what ``POST /api/v1/generate/bassline?key=D&scale=minor&bars=8``
answers. Uploads of the command request travel with it: ``file`` (the audio to analyse), ``files``,
``master`` and ``reference`` (stems and mixes for mixing), ``primer`` (the clip to continue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from ai.commands import ACTIONS, ParsedCommand
from ai.generation.base import Part
from ai.generation.primer import parse_primer, primer_part
from ai.mixing.render_plan import parse_apply
from api.command_loudness import moved_target
from api.file_response import TemporaryFileResponse
from api.generation_input import primer_bytes
from api.missing_upload import missing_upload
from api.params import RequestInput, read_upload, remove_quietly, validate_params
from api.routes.accompaniment import accompaniment_work, check_accompaniment
from api.routes.analysis import analyze_audio_work
from api.routes.core import transport_work
from api.routes.generation import PRIMER_MAX_BYTES, check_generation, generate_work
from api.routes.mixing import RenderJson, auto_level_work, render_result, suggest_work
from api.routes.projects import analyze_project_work
from api.routes.transcription import check_transcription, transcribe_work
from api.schemas import (
    AccompanimentParams,
    AnalysisResponse,
    AutoLevelResponse,
    GenerationParams,
    MixingParams,
    MixingResponse,
    ProjectParams,
    RenderParams,
    TranscriptionParams,
)
from api.state import EngineState
from utils.errors import CommandNotAvailable

GENERATE_PATHS: dict[Part, str] = {
    "drums": "/api/v1/generate/midi",
    "bass": "/api/v1/generate/bassline",
    "melody": "/api/v1/generate/melody",
}
GENERATE_ACTIONS: dict[str, Part] = {"generate_drums": "drums", "generate_bass": "bass", "generate_melody": "melody"}
MIX_UPLOADS = ("files", "master", "reference")
RECORDING_UPLOADS = ("file", "audio")
"""The names a recording comes under (the analysis, transcription and accompaniment actions)."""
RECORDING_PATHS = {"transcribe": "/api/v1/transcribe", "accompany": "/api/v1/generate/accompaniment"}
MIX_PATHS = {
    "mixing_suggest": "/api/v1/mixing/suggest",
    "auto_level": "/api/v1/mixing/auto_level",
    "render_mix": "/api/v1/mixing/render",
}


@dataclass
class CommandPlan:
    """What a parsed command will run: the endpoint (for the answer), its parameters and uploads."""

    action: str
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[UploadFile]] = field(default_factory=dict)
    part: Part | None = None
    reads: tuple[str, ...] = ()
    """The file fields the action reads (a refusal of another file names them)."""

    def describe(self) -> dict[str, Any]:
        """The request as a caller could send it to the endpoint itself (upload names, not bytes)."""
        return {
            "endpoint": self.endpoint,
            "params": {k: v for k, v in self.values.items() if k != "primer"},
            "uploads": {name: [u.filename or name for u in uploads] for name, uploads in self.files.items()},
        }


def _uploads(inp: RequestInput, *names: str) -> dict[str, list[UploadFile]]:
    return {name: inp.files[name] for name in names if inp.files.get(name)}


async def plan_command(
    engine: EngineState,
    parsed: ParsedCommand,
    inp: RequestInput,
    passthrough: dict[str, Any],
    *,
    need_uploads: bool = True,
) -> CommandPlan:
    """The endpoint, parameters and uploads of ``parsed``; ``passthrough`` holds the command
    request's own parameters for the action (seed, model, project_id, primer...). Raises 422 when
    the action needs an upload that is missing (unless ``need_uploads`` is false: a dry run), 501
    for actions no party implements."""
    action = parsed.action
    assert action is not None  # refusals are answered before planning
    info = ACTIONS[action]
    params = dict(parsed.params)
    if info.runs_in == "unavailable":
        said = ", ".join(f"{k}={v}" for k, v in params.items())
        raise CommandNotAvailable(
            f"understood '{action}'{f' ({said})' if said else ''}, but {info.missing}",
            extra={"action": action, "params": params, "missing": info.missing},
        )
    recording = inp.file("file") or inp.file("audio")
    if action == "accompany" and recording is None and (inp.file("primer") or passthrough.get("primer")):
        # "a bass line for this" with a MIDI clip, not a recording: a part for the clip (as generation takes a primer)
        part = params.get("parts")
        if part in ("drums", "bass"):
            action = f"generate_{part}"
            params = {}
    if action in GENERATE_ACTIONS or action == "continue":
        return await _plan_generation(engine, action, params, inp, passthrough, need_uploads)
    if action == "analyze_audio":
        upload = inp.file("file") or inp.file("audio")
        if upload is None and need_uploads:
            raise missing_upload("file", "to answer about a recording")
        return CommandPlan(
            action, "/api/v1/analyze/audio", {}, {"file": [upload]} if upload else {}, reads=RECORDING_UPLOADS
        )
    if action in ("transcribe", "accompany"):
        upload = inp.file("file") or inp.file("audio")
        if upload is None and need_uploads:
            raise missing_upload("file", f"to {action} a recording")
        values = dict(params)
        if action == "accompany":
            values.update({k: v for k, v in passthrough.items() if k in ("seed", "model")})
            scale = values.pop("scale", None)  # the endpoint reads one key text: "F minor", "D dorian"
            if scale is not None:
                values["key"] = f"{values.get('key', 'C')} {scale}"
        files = {"file": [upload]} if upload else {}
        return CommandPlan(action, RECORDING_PATHS[action], values, files, reads=RECORDING_UPLOADS)
    if action in MIX_PATHS:
        values = {k: v for k, v in params.items() if k in ("target", "master")}
        if passthrough.get("project_id"):
            values["project_id"] = passthrough["project_id"]
        elif params.get("project_id"):  # said: "balance the levels of project Night Drive"
            values["project_id"] = await _said_project(engine, params["project_id"])
        if action == "render_mix":
            values["format"] = "json"  # the command answers JSON: the audio comes base64 inside it
            moved = moved_target(params)
            if moved is not None:  # a master is aimed at it; a plain render ignores it (the reply says so)
                values["target"] = moved.lufs
        return CommandPlan(action, MIX_PATHS[action], values, _uploads(inp, *MIX_UPLOADS), reads=MIX_UPLOADS)
    if action == "analyze_project":
        project_id = passthrough.get("project_id")
        if not project_id and params.get("project_id"):
            project_id = await _said_project(engine, params["project_id"])
        # Unnamed ("analyse my project"): the route takes the project worked on last and says which.
        return CommandPlan(action, "/api/v1/analyze/project", {"project_id": project_id} if project_id else {})
    if action in ("play", "stop"):
        return CommandPlan(action, f"/api/v1/core/transport/{action}")
    return CommandPlan(action, "(none)")  # help


async def _said_project(engine: EngineState, said: str) -> str:
    """The id of the project a text names by its name or id ('project Night Drive'); 404 lists the projects."""
    manifest = await engine.run(engine.projects.find_by_reference, said)
    return manifest.project_id


async def _plan_generation(
    engine: EngineState,
    action: str,
    params: dict[str, Any],
    inp: RequestInput,
    passthrough: dict[str, Any],
    need_uploads: bool,
) -> CommandPlan:
    values = {k: v for k, v in params.items() if k != "part"}
    values.update({k: v for k, v in passthrough.items() if k in ("seed", "model", "send_to_core", "primer")})
    files = _uploads(inp, "primer")
    if action == "continue":
        upload = inp.file("primer")
        uploaded = await read_upload(upload, max_upload_bytes=PRIMER_MAX_BYTES, why="a MIDI primer") if upload else None
        if upload is not None:
            await upload.seek(0)  # the generation reads it again
        data = primer_bytes(GenerationParams(primer=values.get("primer")), uploaded)
        if data is None and (need_uploads or not params.get("part")):
            raise missing_upload("primer", "to continue a clip")
        # Reading the primer's notes parses the MIDI file: in the worker pool, not on the event loop.
        said: Part | None = params.get("part")
        part: Part = said if said is not None else await engine.run(_part_of_primer, data or b"")
    else:
        part = GENERATE_ACTIONS[action]
    if part == "drums":
        values["style"] = values.get("style") or "drums"  # /generate/midi reads the part from style
    return CommandPlan(action, GENERATE_PATHS[part], values, files, part, reads=("primer",))


def _part_of_primer(data: bytes) -> Part:
    return primer_part(parse_primer(data))


def check_plan(plan: CommandPlan) -> None:
    """What the planned endpoint refuses before it does any work: its parameter model and the checks a job of it
    passes before it is queued. A dry run answers the 422 the run would ("drums at 999 bpm" was "parsed");
    what needs the work (an upload read, a model run, a project's stems found) is left to the run."""
    values = plan.values
    if plan.part is not None:
        params = validate_params(GenerationParams, values)
        check_generation(params, None if plan.part == "drums" else plan.part, primer=bool(plan.files.get("primer")))
    elif plan.action in ("mixing_suggest", "auto_level"):
        validate_params(MixingParams, values)
    elif plan.action == "render_mix":
        parse_apply(validate_params(RenderParams, values).apply)
    elif plan.action == "analyze_project":
        validate_params(ProjectParams, values)
    elif plan.action == "transcribe":
        check_transcription(validate_params(TranscriptionParams, values))
    elif plan.action == "accompany":
        check_accompaniment(validate_params(AccompanimentParams, values))


async def run_plan(engine: EngineState, plan: CommandPlan) -> Any:
    """Run the planned endpoint work and return its answer as JSON-ready data."""
    inp = RequestInput(values=dict(plan.values), files=plan.files)
    result: Any
    if plan.part is not None:
        result = await generate_work(engine, inp, None if plan.part == "drums" else plan.part)
    elif plan.action == "analyze_audio":  # through the routes' response models, as the routes answer
        result = AnalysisResponse.model_validate(await analyze_audio_work(engine, inp))
    elif plan.action == "transcribe":
        result = await transcribe_work(engine, inp)
    elif plan.action == "accompany":
        result = await accompaniment_work(engine, inp)
    elif plan.action == "mixing_suggest":
        result = MixingResponse.model_validate(await suggest_work(engine, inp))
    elif plan.action == "auto_level":
        result = AutoLevelResponse.model_validate(await auto_level_work(engine, inp))
    elif plan.action == "render_mix":  # the route says what to upload when nothing came
        result = await render_result(engine, inp)
    elif plan.action == "analyze_project":
        result = await analyze_project_work(engine, inp)
    elif plan.action in ("play", "stop"):
        result = await transport_work(engine, "play" if plan.action == "play" else "stop")
    else:
        result = {"commands": [{"action": name, **info.to_dict()} for name, info in ACTIONS.items()]}
    if isinstance(result, RenderJson):  # the mix's base64 goes into the command's answer as it is written
        return result
    if isinstance(result, Response):  # an answer the endpoint wrote to a file: read and parsed off the event loop
        return await engine.run(_as_json, result)
    return _as_json(result)


def _as_json(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, TemporaryFileResponse):  # render with format=json answers its JSON from a file
        try:
            return json.loads(result.temporary_path.read_bytes())
        finally:
            remove_quietly(result.temporary_path)
    if isinstance(result, Response):
        return json.loads(bytes(result.body))
    return result
