"""MIDI generation: drums, bass lines and melodies, as JSON (base64 MIDI + notes) or a .mid file."""

from __future__ import annotations

import base64
import dataclasses
import functools
import secrets
from typing import Any

from fastapi import APIRouter, Response

from ai import progress
from ai.generation.base import GeneratedClip, GenerationRequest, Generator, Part, bar_chart
from ai.generation.preview import clip_preview
from ai.generation.primer import PrimerFile, parse_primer, primer_part
from api.deps import EngineDep, InputDep
from api.generation_input import (
    ResolvedPart,
    build_request,
    check_chart_meter,
    meter_note,
    primer_bytes,
    primer_tempo_note,
    resolve_part,
)
from api.jobs.trigger import JOB_RESPONSES, JobModeDep
from api.params import RequestInput, body_errors, openapi_params, read_upload, refuse_unread_files, validate_params
from api.schemas import SEED_MAX, ClipOut, ErrorBody, GenerationParams, GenerationResponse, NoteOut
from api.state import EngineState
from utils.errors import InvalidParameter

router = APIRouter(prefix="/api/v1/generate", tags=["generation"])
ERRORS: dict[int | str, dict[str, Any]] = {
    **body_errors(),
    415: {
        "model": ErrorBody,
        "description": "unsupported_media_type: a primer that is audio, not MIDI (/api/v1/transcribe turns a "
        "recording into MIDI); a body type the engine does not read, or a compressed body (Content-Encoding).",
    },
    **{code: {"model": ErrorBody} for code in (422, 503)},
}
DOCS = openapi_params(GenerationParams, files={"primer": "A MIDI clip to continue."})
# Attempts per requested variation before giving up on finding distinct clips.
DISTINCT_TRIES = 4
MAX_SHARED_NOTES = 0.75
"""Variations must differ: a clip that shares more than this share of its notes (same pitch at the
same time) with one already taken waits; only when the tries run out are the least similar of
those taken. (Taking every clip whose MIDI differs left the theory drums' four variations sharing
85 % of their notes: one groove four times.)"""


def shared_notes(a: GeneratedClip, b: GeneratedClip) -> float:
    """The share of the smaller clip's notes that the other plays too (pitch and start, to 1 ms)."""
    notes_a = {(n.pitch, round(n.start, 3)) for n in a.notes}
    notes_b = {(n.pitch, round(n.start, 3)) for n in b.notes}
    return len(notes_a & notes_b) / max(1, min(len(notes_a), len(notes_b)))


def _generate_variations(
    generator: Generator, requests: list[GenerationRequest], wanted: int, include_primer: bool = True
) -> list[tuple[GenerationRequest, GeneratedClip, bytes]]:
    """Generate until ``wanted`` clips exist whose continuations share at most MAX_SHARED_NOTES of
    their notes with each other (seeds seed, seed+1, ...); then fill up with the least similar of
    the rest. Without ``include_primer`` the clips are the continuations alone."""
    generator.initialize()
    found: list[tuple[GenerationRequest, GeneratedClip, bytes]] = []
    waiting: list[tuple[GenerationRequest, GeneratedClip, bytes]] = []
    tails: dict[int, GeneratedClip] = {}  # id(clip) -> its continuation, which is what varies
    seen: set[bytes] = set()

    def shared(clip: GeneratedClip, taken: GeneratedClip) -> float:
        return shared_notes(tails[id(clip)], tails[id(taken)])

    for tried, request in enumerate(requests):
        # A job's progress (clips found, or tries used when they run out first); a cancelled job stops here.
        progress.report(
            max(len(found) / wanted, tried / len(requests)), f"generating clip {len(found) + 1} of {wanted}"
        )
        clip = generator.generate(request)
        tail = clip.continuation()
        if not include_primer:
            clip = tail
        tails[id(clip)] = tail
        midi = clip.to_midi_bytes()
        if midi in seen:
            continue
        seen.add(midi)
        if not found or max(shared(clip, taken) for _, taken, _ in found) <= MAX_SHARED_NOTES:
            found.append((request, clip, midi))
        else:
            waiting.append((request, clip, midi))
        if len(found) == wanted:
            return found
    while waiting and len(found) < wanted:
        best = min(waiting, key=lambda item: max(shared(item[1], taken) for _, taken, _ in found))
        waiting.remove(best)
        found.append(best)
    return found


PRIMER_MAX_BYTES = 4 * 1024 * 1024
"""A primer is a MIDI clip (kilobytes): read into memory, so capped far below the audio upload limit."""
MAX_ECHOED_PRIMER_NOTES = 100_000
"""Most primer notes one answer repeats. With include_primer every variation holds the primer, and each is
written as MIDI and as notes: 4 MB of primer holds 500,000 notes, and 100,000 of them in 8 variations took 53 s
and 58 MB of JSON. 100,000 in one clip take 10 s; without include_primer the primer is read, not repeated."""


def refuse_large_echo(primer_notes: int, variations: int, include_primer: bool) -> None:
    if include_primer and primer_notes * variations > MAX_ECHOED_PRIMER_NOTES:
        raise InvalidParameter(
            "primer",
            f"its {primer_notes} notes would come back in each of {variations} variation(s) (include_primer), "
            f"{primer_notes * variations} notes; at most {MAX_ECHOED_PRIMER_NOTES}: ask fewer variations or "
            "include_primer=false, or send the bars to continue",
        )


def refuse_midi_variations(params: GenerationParams) -> None:
    if params.format == "midi" and params.variations > 1:
        raise InvalidParameter("format", "format=midi returns one file; ask for variations=1 or format=json")
    if params.format == "midi" and params.preview != "none":
        raise InvalidParameter("preview", "format=midi returns the .mid file alone; ask for format=json with a preview")


PREVIEW_MAX_S = 600.0
"""The longest clip a preview is rendered of (ten minutes: 106 MB of WAV, 141 MB as the JSON's base64). 32 bars
of 4/4 at 20 BPM last 384 s; 32 bars of 16/4 at 20 BPM (1,536 s) made a 362 MB answer that took 1.1 GB and
stalled every other request for 2 s while it was encoded."""


def refuse_long_preview(clip_seconds: float, primer_seconds: float, max_audio_seconds: float) -> None:
    """A preview is audio: refused (422) for a clip of ``clip_seconds`` (``primer_seconds`` of them its primer's,
    0 without one) longer than PREVIEW_MAX_S or the longest audio the engine takes (``max_audio_seconds``),
    whichever is shorter. A primer's notes can pass them by hours (a 40-byte file whose one note starts an hour
    in rendered 850 MB; a slow tempo event took it to years)."""
    limit = min(PREVIEW_MAX_S, max_audio_seconds)
    if clip_seconds > limit:
        primer = f" with its primer of {primer_seconds:.0f} s," if primer_seconds > 0 else ""
        why = "setting DAWG_AI_MAX_AUDIO_DURATION_S" if max_audio_seconds < PREVIEW_MAX_S else "ten minutes"
        raise InvalidParameter(
            "preview",
            f"the clip lasts {clip_seconds:.0f} s{primer} and a preview is rendered of at most "
            f"{limit:.0f} s of audio ({why}): ask preview=none"
            + (", include_primer=false or a primer of the bars to continue" if primer_seconds > 0 else ""),
        )


def _groove_style(clip: GeneratedClip) -> str | None:
    style = clip.extra.get("style_primer")
    return style if isinstance(style, str) and style else None


def _plays_part(primer: PrimerFile | None, part: Part) -> bool:
    """Whether a primer plays ``part`` (include_primer's default): a melody primer for a bassline is the
    context of the bass line, not its first bars. A primer of drums and pitched notes together is not one
    part."""
    if primer is None:
        return True
    try:
        return primer_part(primer) == part
    except InvalidParameter:
        return False


def check_generation(params: GenerationParams, endpoint_part: Part | None, *, primer: bool) -> None:
    """What generate_work refuses without reading the primer (a job refuses it before it is queued; a command's
    dry run too); ``primer``: a primer file comes with the request (its meter may decide the bars')."""
    resolved = resolve_part(params, endpoint_part)
    refuse_midi_variations(params)
    check_chart_meter(params, resolved, primer=primer)


async def generate_work(
    engine: EngineState, inp: RequestInput, endpoint_part: Part | None
) -> Response | GenerationResponse:
    """One generation request (the routes below, text commands and jobs run this)."""
    params = validate_params(GenerationParams, inp.values)
    resolved = resolve_part(params, endpoint_part)
    refuse_unread_files(inp, single=("primer",))
    upload = inp.file("primer")
    limit = min(PRIMER_MAX_BYTES, engine.settings.max_upload_bytes)
    uploaded = await read_upload(upload, max_upload_bytes=limit, why="a MIDI primer") if upload else None
    data = primer_bytes(params, uploaded)
    refuse_midi_variations(params)
    # Read once, in the worker pool (a long primer takes seconds): every question about it is answered from this.
    primer = await engine.run_quick(parse_primer, data) if data is not None else None

    await engine.wait_for_models(params.model)
    first_seed = params.seed if params.seed is not None else secrets.randbelow(SEED_MAX + 1)
    base = await engine.run_quick(build_request, params, resolved, first_seed, primer)
    tempo_note = await engine.run_quick(primer_tempo_note, params, primer)  # walks its events: off the event loop
    style_meter_said = meter_note(params, base)
    generator, fallback_reason = engine.registry.select(
        resolved.part, params.model, chords_given=params.chords is not None, request=base
    )

    tries = params.variations * DISTINCT_TRIES if params.variations > 1 else 1
    requests = [dataclasses.replace(base, seed=(first_seed + i) % (SEED_MAX + 1)) for i in range(tries)]
    include = params.include_primer
    if include is None:
        include = await engine.run_quick(_plays_part, primer, resolved.part)  # walks its notes: off the event loop
    del primer  # its notes are in the request now; the file as read (tens of MB for a long one) is not held
    refuse_large_echo(len(base.primer), params.variations, include)
    if params.preview != "none":  # known from the request: 32 bars of 16/4 at 20 BPM in 8 variations took 33 s first
        primer_s = base.primer_seconds if include and base.primer else 0.0
        refuse_long_preview(primer_s + base.duration_seconds, primer_s, engine.settings.max_audio_duration_s)
    results = await engine.run_quick(_generate_variations, generator, requests, params.variations, include)
    _, first_clip, first_midi = results[0]

    if params.format == "midi":
        filename = f"dawg_{resolved.part}_{first_seed}.mid"
        headers = {
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Seed": str(first_seed),
            "X-Model": first_clip.model,
        }
        if tempo_note is not None:
            headers["X-Tempo-Note"] = tempo_note
        if style_meter_said is not None:
            headers["X-Meter-Note"] = style_meter_said
        return Response(content=first_midi, media_type="audio/midi", headers=headers)

    if params.preview != "none":
        primer_s = first_clip.primer_seconds if first_clip.primer_notes else 0.0
        refuse_long_preview(first_clip.duration_seconds, primer_s, engine.settings.max_audio_duration_s)
    preview = await engine.run_quick(clip_preview, first_midi, params.preview) if params.preview != "none" else None
    delivered: bool | None = None
    delivery_reason: str | None = None
    if params.send_to_core:
        delivery = await engine.core.import_midi(first_midi, name=f"dawg_{resolved.part}_{first_seed}.mid")
        delivered, delivery_reason = delivery.delivered, delivery.reason
    # Built in a worker thread: a long clip (or a long primer kept in it) is tens of thousands of notes,
    # 0.26 s of pydantic objects for a 60,000-note primer, which held the event loop (bench/loop_blocking.py).
    return await engine.run_quick(
        functools.partial(
            _generation_response,
            params,
            resolved,
            results,
            fallback_reason=fallback_reason,
            tempo_note=tempo_note,
            meter_note=style_meter_said,
            preview=preview,
            delivered=delivered,
            delivery_reason=delivery_reason,
        )
    )


def _clip_out(request: GenerationRequest, clip: GeneratedClip, midi: bytes) -> ClipOut:
    return ClipOut(
        seed=request.seed,
        midi_base64=base64.b64encode(midi).decode("ascii"),
        notes=[
            NoteOut(pitch=n.pitch, start=round(n.start, 4), end=round(n.end, 4), velocity=n.velocity)
            for n in sorted(clip.notes, key=lambda n: (n.start, n.pitch))
        ],
        duration_seconds=round(clip.duration_seconds, 4),
    )


def _generation_response(
    params: GenerationParams,
    resolved: ResolvedPart,
    results: list[tuple[GenerationRequest, GeneratedClip, bytes]],
    *,
    fallback_reason: str | None,
    tempo_note: str | None,
    meter_note: str | None,
    preview: bytes | None,
    delivered: bool | None,
    delivery_reason: str | None,
) -> GenerationResponse:
    """The JSON answer of one generation: every clip's notes and MIDI (blocking: run it in a worker thread)."""
    clips = [_clip_out(request, clip, midi) for request, clip, midi in results]
    first_request, first_clip, _ = results[0]
    pitched = resolved.part != "drums"  # drums play no key or chords: the defaults were echoed (C major, C Am F G)
    return GenerationResponse(
        style=resolved.part,
        genre=resolved.genre,
        model=first_clip.model,
        fallback_reason=fallback_reason,
        seed=first_request.seed,
        midi_base64=clips[0].midi_base64,
        notes=clips[0].notes,
        duration_seconds=clips[0].duration_seconds,
        key=first_request.key.spelled_tonic if pitched else None,
        scale=first_request.key.scale if pitched else None,
        chords=[bar_chart(first_request, bar) for bar in range(len(first_request.chords))] if pitched else None,
        tempo=first_request.tempo,
        tempo_note=tempo_note,
        bars=params.bars,
        # The clip is the primer (whole bars) and the bars asked for: a DAW placing "bars" bars cut it in half.
        primer_bars=round(first_clip.primer_seconds / first_request.bar_seconds),
        time_signature=f"{first_request.beats_per_bar}/{first_request.beat_unit}",
        meter_note=meter_note,
        temperature=params.temperature,
        density=params.density,
        swing=first_request.swing,  # a primer's swing where the request gave none
        swing_played=_swing_played(first_request, first_clip),
        humanize=params.humanize,
        microtiming=params.microtiming,
        chromatic=params.chromatic,
        primer_notes=first_clip.primer_notes,
        groove_style=_groove_style(first_clip),
        variations=clips,
        delivered=delivered,
        delivery_reason=delivery_reason,
        preview_base64=base64.b64encode(preview).decode("ascii") if preview is not None else None,
        preview_format=params.preview if preview is not None else None,
    )


def _swing_played(request: GenerationRequest, clip: GeneratedClip) -> float:
    """The swing the clip plays: the backend's (theory: ``swing``; Magenta: ``style_swing`` where the style's own
    replaced a request without one), else the request's."""
    for name in ("swing", "style_swing"):
        value = clip.extra.get(name)
        if isinstance(value, int | float):
            return round(float(value), 4)
    return request.swing


_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    **JOB_RESPONSES,
    200: {"content": {"audio/midi": {}}, "description": "JSON, or the MIDI file with format=midi"},
}


@router.post(
    "/midi",
    response_model=GenerationResponse,
    responses=_RESPONSES,
    openapi_extra=DOCS,
    summary="Generate drums, bass or melody (style=drums|bass|melody, or a drum style)",
)
async def generate_midi(engine: EngineDep, inp: InputDep, job: JobModeDep) -> Response | GenerationResponse:
    return await job.run_or_queue(
        engine,
        inp,
        functools.partial(generate_work, endpoint_part=None),
        params=GenerationParams,
        check=lambda params: check_generation(params, None, primer=inp.file("primer") is not None),
    )


@router.post(
    "/bassline",
    response_model=GenerationResponse,
    responses=_RESPONSES,
    openapi_extra=DOCS,
    summary="Generate a bass line that follows the chords",
)
async def generate_bassline(engine: EngineDep, inp: InputDep, job: JobModeDep) -> Response | GenerationResponse:
    return await job.run_or_queue(
        engine,
        inp,
        functools.partial(generate_work, endpoint_part="bass"),
        params=GenerationParams,
        check=lambda params: check_generation(params, "bass", primer=inp.file("primer") is not None),
    )


@router.post(
    "/melody",
    response_model=GenerationResponse,
    responses=_RESPONSES,
    openapi_extra=DOCS,
    summary="Generate a melody in the key and over the chords",
)
async def generate_melody(engine: EngineDep, inp: InputDep, job: JobModeDep) -> Response | GenerationResponse:
    return await job.run_or_queue(
        engine,
        inp,
        functools.partial(generate_work, endpoint_part="melody"),
        params=GenerationParams,
        check=lambda params: check_generation(params, "melody", primer=inp.file("primer") is not None),
    )
