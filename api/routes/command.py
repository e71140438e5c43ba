"""Text commands: what a person said ("a funky bassline in D minor, eight bars at 96"), parsed and run.

The grammar is docs/commands.md; the parser is ai.commands (deterministic, no network). The action
runs the work of its own endpoint (api.command_runner), so the result is that endpoint's answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ai.commands import ParsedCommand, parse_command
from api.client_watch import while_connected
from api.command_runner import CommandPlan, check_plan, plan_command, run_plan
from api.command_speech import read_as_said, speak, spoken_error
from api.deps import EngineDep, InputDep
from api.jobs.trigger import rendered_off_loop
from api.missing_upload import unread_upload
from api.params import RequestInput, body_errors, openapi_params, refuse_unread_files, remove_quietly, validate_params
from api.routes.mixing import RenderJson, render_json_answer
from api.schemas import CommandErrorBody, CommandParams, CommandRefusal, CommandResponse
from api.state import EngineState
from utils.errors import CommandNotUnderstood, EngineError, InvalidParameter

router = APIRouter(prefix="/api/v1", tags=["commands"])
TRANSPORT_ACTIONS = frozenset({"play", "stop"})
"""Actions forwarded to DAWG-CORE: sent even when the caller hangs up at once (a fire-and-forget 'play')."""
_FILES = {
    "file": "The recording a question is about ('what key is this'); the part may be named audio too.",
    "files": "Stems for mixing commands, one file per track.",
    "master": "A finished mix, for mastering advice.",
    "reference": "A reference track for mixing commands.",
    "primer": "The MIDI clip that 'continue this' continues.",
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": CommandRefusal,
        "description": "command_not_understood (with what was understood and the closest commands), or the "
        "action's own 422 (invalid_parameter, no_audio, undecodable_audio).",
    },
    501: {
        "model": CommandErrorBody,
        "description": "command_not_available: understood (record, add track, mute, export, create project), but "
        "no party implements it yet; the body names what is missing.",
    },
    502: {"model": CommandErrorBody, "description": "play/stop: DAWG-CORE answered, but not as its API."},
    503: {
        "model": CommandErrorBody,
        "description": "play/stop: DAWG-CORE is unreachable; generation: model unavailable.",
    },
    **{
        code: {**response, "model": CommandErrorBody}
        for code, response in body_errors("a project_id that leaves the projects directory").items()
    },
    404: {"model": CommandErrorBody},
}
"""Every error of /command carries ``speech`` beside the engine's error body (:func:`api.command_speech.spoken_error`)."""


@router.post(
    "/command",
    response_model=CommandResponse,
    responses=_RESPONSES,
    openapi_extra=openapi_params(CommandParams, files=_FILES),
    summary="Run a spoken/typed command: 'drums, hip hop, 90 bpm, two bars', 'what key is this', 'play'",
    description="Parses `text` (or `command`) into an action and parameters (grammar: docs/commands.md) and runs "
    "the action's endpoint, answering the action, the parsed parameters, the request it made, a sentence for a "
    "voice assistant and the endpoint's own result. play/stop go to DAWG-CORE. dry_run=true only parses "
    "and checks the parameters as the endpoint would.",
)
async def command(request: Request, engine: EngineDep, inp: InputDep) -> CommandResponse | Response:
    try:
        return await _command(request, engine, inp)
    except EngineError as exc:  # Jarvis says the answer's speech: a failure has one too
        exc.extra = {**exc.extra, "speech": spoken_error(exc)}
        raise


async def _command(request: Request, engine: EngineState, inp: RequestInput) -> CommandResponse | Response:
    params = validate_params(CommandParams, inp.values)
    # A file under a name no action reads is refused here; an action passes on only the files it reads.
    refuse_unread_files(inp, single=("file", "audio", "primer", "master", "reference"), many=("files",))
    text = params.text if params.text is not None else params.command
    if params.text is not None and params.command is not None and params.text.strip() != params.command.strip():
        # Two commands in one request: the text ran and the command was dropped without a word.
        raise InvalidParameter(
            "command", "text and command name the same thing and came with different words: send one"
        )
    if text is None or not text.strip():
        raise InvalidParameter("text", "say what to do, e.g. text='drums, hip hop, 90 bpm, two bars'")
    parsed = parse_command(text)
    if parsed.action is None:
        raise CommandNotUnderstood(
            parsed.reason or f"'{text.strip()}' is not a command the engine knows",
            extra={"understood": parsed.understood, "suggestions": parsed.suggestions, **_read_as(parsed.corrections)},
        )
    # Only what the caller sent: send_to_core's default False overwrote "... and send it to the DAW" said.
    passthrough = params.model_dump(
        include={"project_id", "seed", "model", "send_to_core", "primer"}, exclude_none=True, exclude_unset=True
    )
    plan = await plan_command(engine, parsed, inp, passthrough, need_uploads=not params.dry_run)
    _refuse_files_the_action_leaves(inp, plan)
    if params.dry_run:
        try:  # the refusals the run would answer without doing its work (a drum model loads off the event loop)
            await engine.run(check_plan, plan)
        except EngineError as exc:
            exc.extra = {"action": plan.action, "params": parsed.params, **_read_as(parsed.corrections), **exc.extra}
            raise
        return CommandResponse(
            status="parsed",
            text=text,
            action=plan.action,
            params=parsed.params,
            corrections=parsed.corrections,
            request=plan.describe(),
            speech=None,
        )
    try:
        running = run_plan(engine, plan)
        # Work whose caller hung up stops (api/client_watch.py); a transport call is sent whatever happens.
        result = await (running if plan.action in TRANSPORT_ACTIONS else while_connected(request, running))
    except EngineError as exc:  # the action's own error, with what the text was understood as
        exc.extra = {"action": plan.action, "params": parsed.params, **_read_as(parsed.corrections), **exc.extra}
        raise
    if isinstance(result, RenderJson):
        # A rendered mix: its base64 (tens of MB) is written into the answer a piece at a time, never parsed
        # or dumped as one string (each would hold the GIL, and so the event loop, for its whole length).
        try:
            body = result.body.model_dump(mode="json")
            text_answer = _answer(text, plan, parsed, body).model_dump_json(by_alias=True)
        except BaseException:
            remove_quietly(result.wav)
            raise
        return await render_json_answer(engine, text_answer, result)
    return await rendered_off_loop(CommandResponse, _answer(text, plan, parsed, result))


def _refuse_files_the_action_leaves(inp: RequestInput, plan: CommandPlan) -> None:
    """A file that the understood action does not read is a 422 naming it, never dropped: a recording
    sent with "drums, hip hop, two bars" was ignored and the drums were made as if it had not come."""
    passed = {id(upload) for uploads in plan.files.values() for upload in uploads}
    for name, uploads in inp.files.items():
        if any(id(upload) not in passed for upload in uploads):
            raise unread_upload(name, plan.action, plan.reads)  # the MCP tool and the CLI name their arguments


def _read_as(corrections: dict[str, str]) -> dict[str, Any]:
    """An error's extra: the typos read as key words, where there were any (its speech says them first)."""
    return {"corrections": corrections} if corrections else {}


def _answer(text: str, plan: CommandPlan, parsed: ParsedCommand, result: Any) -> CommandResponse:
    # The mixing routes answer an empty POST 200 "no_audio" (the web client's contract); "done" would say it ran.
    no_audio = (result.get("status") if isinstance(result, dict) else getattr(result, "status", None)) == "no_audio"
    return CommandResponse(
        status="no_audio" if no_audio else "done",
        text=text,
        action=plan.action,
        params=parsed.params,
        corrections=parsed.corrections,
        request=plan.describe(),
        speech=read_as_said(parsed.corrections) + speak(plan.action, parsed.params, result),
        result=result,
    )
