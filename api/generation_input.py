"""Turning validated generation parameters into generator requests."""

from __future__ import annotations

import binascii
import dataclasses
from dataclasses import dataclass

from ai.generation.base import PARTS, GenerationRequest, Part
from ai.generation.drum_patterns import DRUM_STYLES, normalise_drum_style, style_meter
from ai.generation.drum_styles import style_meter_note, style_tempo
from ai.generation.primer import (
    PrimerContext,
    PrimerFile,
    primer_context,
    primer_tempo,
    read_primer,
    swing_of_notes,
)
from ai.generation.progression_key import key_of_progression
from ai.music_theory import ChordChart, Key, default_progression, normalise_scale, parse_chart, parse_key
from api.base64_text import decode_base64_text
from api.schemas import GenerationParams
from utils.errors import InvalidParameter

PART_ALIASES = {
    "drums": "drums",
    "drum": "drums",
    "beat": "drums",
    "bass": "bass",
    "bassline": "bass",
    "melody": "melody",
    "lead": "melody",
}


@dataclass(frozen=True)
class ResolvedPart:
    part: Part
    genre: str | None


def normalise_genre(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_drum_style(value)
    except ValueError as exc:
        raise InvalidParameter("style", str(exc)) from exc


def resolve_part(params: GenerationParams, endpoint_part: Part | None) -> ResolvedPart:
    """The part to generate and the feel style, from the endpoint and ``style``/``genre``."""
    genre = normalise_genre(params.genre) if params.genre else None
    if endpoint_part is not None:  # /generate/bassline, /generate/melody: style is the feel
        if params.style and PART_ALIASES.get(params.style.lower()) not in (None, endpoint_part):
            raise InvalidParameter(
                "style", f"this endpoint generates {endpoint_part}; '{params.style}' is another part"
            )
        if params.style and params.style.lower() not in PART_ALIASES:
            genre = genre or normalise_genre(params.style)
        return ResolvedPart(endpoint_part, genre)
    style = (params.style or "drums").strip().lower()
    if style in PART_ALIASES:
        return ResolvedPart(PART_ALIASES[style], genre)  # type: ignore[arg-type]
    try:
        return ResolvedPart("drums", genre or normalise_genre(style))
    except InvalidParameter:
        raise InvalidParameter(
            "style",
            f"'{params.style}' is neither a part ({', '.join(PARTS)}) nor a drum style ({', '.join(DRUM_STYLES)})",
        ) from None


def primer_bytes(params: GenerationParams, uploaded: bytes | None) -> bytes | None:
    if uploaded is not None:
        return uploaded
    if not params.primer:
        return None
    try:
        return decode_base64_text(params.primer)
    except (binascii.Error, ValueError) as exc:  # non-ASCII text is a UnicodeEncodeError: a ValueError
        raise InvalidParameter(
            "primer", "not valid base64 (or upload the MIDI file as the multipart field 'primer')"
        ) from exc


TEMPO_RANGE = (20.0, 300.0)
"""The tempi a request may ask for (GenerationParams.tempo); a primer's own tempo is clipped to them."""


def _clipped_tempo(bpm: float) -> float:
    return min(max(bpm, TEMPO_RANGE[0]), TEMPO_RANGE[1])


def meter_note(params: GenerationParams, request: GenerationRequest) -> str | None:
    """Why the clip is not in its style's own meter (a waltz asked in 4/4 played in 4/4 without a word): the meter
    asked for (time_signature) or the primer's decides; None where they agree or the style has none."""
    meter = f"{request.beats_per_bar}/{request.beat_unit}"
    source = "time_signature asks for" if params.time_signature else "the primer is in"
    return style_meter_note(request.style, meter, f"{source} {meter}: played in {meter} bars")


def primer_tempo_note(params: GenerationParams, primer: PrimerFile | None) -> str | None:
    """Why the clip is not at the primer's own tempo, where the request names none and the file's lies outside
    TEMPO_RANGE (a set_tempo of 1 us a beat continued at 300 BPM without a word); else None."""
    if params.tempo is not None or primer is None:
        return None
    stated = primer_tempo(primer)
    if stated is None or _clipped_tempo(stated) == stated:
        return None
    low, high = TEMPO_RANGE
    said = f"{stated:,.1f}".removesuffix(".0")  # 60,000,000 for 1 us a beat (not 6e+07), 3.6 for 16.7 s
    return (
        f"the primer's tempo, {said} BPM, is outside {low:g}-{high:g} BPM: the clip plays at "
        f"{_clipped_tempo(stated):g} BPM (send tempo to choose another)"
    )


def _primer_meter(meter: tuple[int, int]) -> str:
    """The primer's time signature as the request's meter (what time_signature takes), else a 422 naming the
    primer: a 255/128 event was answered "time_signature: 255/128 is not a meter", a parameter nobody sent."""
    top, bottom = meter
    if top < 1 or bottom not in (1, 2, 4, 8, 16):  # what a clip takes (GenerationRequest)
        raise InvalidParameter(
            "primer",
            f"its time signature {top}/{bottom} is not a meter a clip can take (a denominator of 1, 2, 4, 8 or "
            "16): send time_signature to say the meter",
        )
    return f"{top}/{bottom}"


def check_chart_meter(params: GenerationParams, resolved: ResolvedPart, *, primer: bool) -> None:
    """The chords' beat slashes against the bars' beats (:meth:`ChordChart.check_meter`), where the meter is known
    before a primer is read: time_signature given, or no primer (then the style's meter, else 4/4). What
    :func:`build_request` refuses, for a job before it is queued and a command's dry run."""
    if params.chords is None or (params.time_signature is None and (primer or params.primer is not None)):
        return
    chords_text = " | ".join(params.chords) if isinstance(params.chords, list) else params.chords
    top, bottom = (int(x) for x in (params.time_signature or style_meter(resolved.genre) or "4/4").split("/"))
    _check_chart_meter(parse_chart(chords_text), top, bottom, chords_text)


def _check_chart_meter(chart: ChordChart, top: int, bottom: int, chords_text: str) -> None:
    try:
        chart.check_meter(top, bottom)
    except ValueError as exc:  # worded as the schema's other chart errors
        raise InvalidParameter("chords", f"{exc} (got {chords_text[:200]!r})") from exc


def build_request(
    params: GenerationParams, resolved: ResolvedPart, seed: int, primer: PrimerFile | None
) -> GenerationRequest:
    # What the request leaves out, the primer says: its tempo, meter and key.
    context = primer_context(primer) if primer is not None else PrimerContext(None, None, None)
    # The schema's validator has already joined a list of chords into one string, a bar an item.
    chords_text = " | ".join(params.chords) if isinstance(params.chords, list) else params.chords
    chart = parse_chart(chords_text) if chords_text else None
    given_chords = chart.bars if chart is not None else None
    if params.key is not None:
        key = parse_key(params.key, params.scale)
    elif context.key is not None:
        key = Key(context.key.tonic, normalise_scale(params.scale) if params.scale else context.key.scale)
    elif chart is not None:  # "over B7 E A": their key, not C major (C over B7 is a wrong note)
        key = key_of_progression(chart.chords, params.scale).spelled_like(chart.chords)
    else:
        key = parse_key("C", params.scale)
    chords = given_chords if given_chords is not None else default_progression(key)
    meter = params.time_signature or (_primer_meter(context.meter) if context.meter else None)
    top, bottom = (int(x) for x in (meter or style_meter(resolved.genre) or "4/4").split("/"))
    if chart is not None and chords_text:  # a primer's meter too ('C / / /' over a 3/4 clip)
        _check_chart_meter(chart, top, bottom, chords_text)
    # primer_tempo_note says when a primer's tempo is clipped; a style of its own tempo (trap 140) plays at it.
    tempo = params.tempo or (_clipped_tempo(context.tempo) if context.tempo else style_tempo(resolved.genre) or 120.0)
    request = GenerationRequest(
        part=resolved.part,
        key=key,
        chords=chords,
        tempo=tempo,
        bars=params.bars,
        beats_per_bar=top,
        beat_unit=bottom,
        temperature=params.temperature,
        seed=seed,
        density=params.density,
        swing=params.swing,
        humanize=params.humanize,
        microtiming=params.microtiming,
        style=resolved.genre,
        chromatic=params.chromatic,
        half_bar_chords=chart.changes if chart is not None and chart.splits else (),
    )
    if primer is not None:
        notes, seconds = read_primer(primer, part=resolved.part, bar_seconds=request.bar_seconds)
        request = dataclasses.replace(request, primer=notes, primer_seconds=seconds)
        # Its swing too, where the request says none (a drum primer's groove is kept whole, feel and all).
        felt = swing_of_notes(notes, request.seconds_per_beat) if resolved.part != "drums" else None
        if "swing" not in params.model_fields_set and felt is not None:
            request = dataclasses.replace(request, swing=felt)
    return request
