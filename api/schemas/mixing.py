"""Parameters and answers of the mixing routes (suggest, auto-level, render), with the target and roles."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import MISSING, AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from ai.mixing.targets import resolve_target
from api.schemas.common import CallerParams

TargetNumber = Annotated[float, Field(allow_inf_nan=True)]
"""A target in LUFS as JSON sends it: JSON's NaN reaches resolve_target, which says "not a number" (refused
by the float type itself it was a 'valid string' error of the union's other half)."""


def _known_target(value: str | float | None) -> str | float | None:
    """A loudness target the mixing code can resolve (a name, or a LUFS number in range), checked with the
    other parameters: a request without audio, or one queued as a job, is refused (422) like any other, not
    answered 200 "no audio" or 202 and failed later."""
    if value is not None:
        resolve_target(value)  # InvalidParameter('target', ...) names the targets and the range
    return value


def _target_shape(value: object) -> object:
    """``target`` as a name or a number; anything else said in words (JSON's true read as "1 LUFS", a list
    as pydantic's 'target.str: Input should be a valid string')."""
    if isinstance(value, bool):
        raise ValueError("a target name such as 'streaming' or a number in LUFS such as -14, not true or false")
    if value is None or isinstance(value, str | int | float):
        return value
    raise ValueError("a target name such as 'streaming' or a number in LUFS such as -14")


TargetParam = Annotated[str | TargetNumber | None, BeforeValidator(_target_shape), AfterValidator(_known_target)]
"""The mixing and project routes' ``target``: a name or a LUFS number (as text from a query or form, a number
from JSON), checked by :func:`_known_target`."""


def _roles_shape(value: object) -> object:
    """``roles`` as text or a JSON object of role names; anything else said in words (pydantic's union read
    'roles.str: Input should be a valid string' for {"Kick": {"x": 1}})."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        for track, role in value.items():
            if not isinstance(role, str):
                raise ValueError(f'the role of {str(track)[:80]!r} must be a role name such as "bass"')
        return value
    raise ValueError('a JSON object {"track": "role"} or the text "Track=role, Track2=role"')


RolesParam = Annotated[str | dict[str, str] | None, BeforeValidator(_roles_shape)]
"""The mixing and project routes' ``roles`` (parsed by api.mix_input.parse_roles)."""
ROLES_DESCRIPTION = 'Override inferred roles: JSON object {"track": "role"} or "Track=role,Track2=role".'


class MixingParams(CallerParams):
    project_id: str | None = Field(
        None,
        description="Take the stems of this project (see the stems convention). Without it and without uploads, "
        "the project whose stems were written last is taken (the answer names it).",
    )
    target: TargetParam = Field(
        None,
        description="suggest and render: delivery loudness, streaming (-14 LUFS), apple (-16), podcast (-16), "
        "broadcast (-23), club (-9) or a LUFS number; default podcast for stems led by speech (speech tracks, no "
        "vocals), else streaming. auto_level: the summed mix's loudness, premaster (-18 LUFS, default) or a number.",
    )
    roles: RolesParam = Field(None, description=ROLES_DESCRIPTION)
    tempo: float | None = Field(
        None,
        ge=20,
        le=300,
        description="The song's tempo (quarter-note BPM) for delay and compressor release times; default: the "
        "project's manifest, else measured from the mix.",
    )


class SuggestionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="clipping, dc_offset, rumble, level, masking, tonal, dynamics, space, stereo (a track's own "
        "channels), phase (two tracks on one source in opposite polarity: action polarity, invert and shift_ms; or in "
        "the same polarity 0.25 ms or more apart, a comb filter: evidence problem comb_filter with lag_ms, lag_samples, "
        "first_notch_hz, notch_db and the worst octave's loss below 900 Hz at the balanced levels, action polarity "
        "with invert false and shift_ms delaying the earlier track), "
        "duplicate (the same audio as another track) or bounce (a mix of the others): both left out, action "
        "leave_out; silence, headroom, loudness, true_peak, reference."
    )
    message: str
    priority: str
    track: str | list[str] | None
    tracks: list[str] = Field(
        default_factory=list, description="Every track the finding is about (both of a pair); [] for the mix bus."
    )
    band: str | None = Field(
        None, description="The band of a masking or tone finding (sub, low, low-mid, mid, high-mid, presence, air)."
    )
    suggestion: str
    confidence: float
    evidence: dict[str, Any] = Field(default_factory=dict, description="The measures the finding rests on.")
    action: dict[str, Any] | None = Field(
        None,
        description="The move as data, by kind: gain, pan, eq (type, frequency, gain, Q), compressor (threshold, "
        "ratio, attack, release, makeup, and the check of applying it), automation (per section), reverb or delay "
        "send, limiter, polarity (invert, shift_ms), leave_out; null for advice with no move.",
    )
    info: bool = Field(False, description="Advice that is not a problem: the score and summary leave it out.")


StemsProjectId = Annotated[
    str | None,
    Field(
        description="The project whose stems were used: the one named, or (a request with no project_id and no "
        "audio, as DAWG-CORE's AI panel and the web client send) the project whose stems were written last."
    ),
]
StemsProjectName = Annotated[str | None, Field(description="That project's name in its manifest.")]


class MixAnswer(BaseModel):
    """What /mixing/suggest and /mixing/auto_level answer first: whether there was audio, and whose."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description='"success", or "no_audio" when the request carried no audio.')
    message: str | None = Field(
        None,
        description="With no_audio: how to provide audio; with a project taken for you: which and why; a "
        "project's stem that could not be decoded (a file still being written): which was left out, and why.",
    )
    project_id: StemsProjectId = None
    project_name: StemsProjectName = None


class MixingResponse(MixAnswer):
    """Mixing advice. With no audio (an empty POST): status "no_audio", a message saying how to send
    audio, overall_quality 0.0 (a number wherever it appears) with quality_summary saying nothing was scored,
    mix_quality_score null and no suggestions (200). With audio, `tracks` also lists each track's
    measurements (loudness, peaks, bands, stereo image, DC offset, clipping, silent share): clipped_samples
    counts clipped samples per channel sample over the channels the stem has (a stereo stem's two channels
    apart, a mono stem's samples once), clipped_share is it over the stem's channel samples (channels x
    frames); a value held longer than 50 ms (DC) is no clipping."""

    suggestions: list[SuggestionOut]
    mix_quality_score: float | None = Field(description="0-100; null without audio.")
    overall_quality: float = Field(
        ge=0.0,
        le=1.0,
        description="The score as a number in 0..1 (a client shows it as a percentage); always a number: 0.0 "
        "without audio, where status is no_audio and quality_summary says nothing was scored.",
    )
    quality_summary: str | None = Field(
        None, description="The score band and the most pressing finding, in words; without audio, that none was scored."
    )
    left_out: dict[str, str] = Field(
        default_factory=dict,
        description="Tracks left out of the balance, the masking and the sum, with why: the same audio as another "
        "track (type duplicate) or a mix of the others (type bounce).",
    )
    tracks: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Each track's measurements (see above), with its role and its dynamics and space measures.",
    )
    # The fields below come with audio only: a no_audio answer leaves them out (MISSING), as it always did.
    source: str | MISSING = Field(
        MISSING, description="uploads, project_stems or master (a finished mix alone); absent without audio."
    )
    mode: str | MISSING = Field(MISSING, description="stems, or master for a finished mix alone.")
    target: dict[str, Any] | MISSING = Field(
        MISSING, description="The loudness target: {name, lufs, ceiling_dbtp} (streaming -14 LUFS by default)."
    )
    tempo_bpm: float | None | MISSING = Field(
        MISSING, description="The tempo that set delay, pre-delay and release times; null when none was found."
    )
    tempo_source: str | None | MISSING = Field(
        MISSING, description="given (the request or the project's manifest) or analysis (measured from the mix)."
    )
    masking: list[dict[str, Any]] | MISSING = Field(
        MISSING, description="Band-by-band masking between tracks at the balanced levels."
    )
    mix: dict[str, Any] | MISSING = Field(
        MISSING,
        description="The sum as the faders are (integrated_lufs, true_peak_dbtp, headroom_db, short_term_max_lufs) "
        "and at the balanced levels (bands_relative_db, stereo_width, correlation, loudness_range_lu, dynamics, "
        "balanced_lufs, balanced_gains_db, balanced_pans).",
    )
    reference: dict[str, Any] | None | MISSING = Field(
        MISSING, description="The comparison with the uploaded reference; null without one."
    )
    notes: list[str] | MISSING = Field(MISSING, description="What was assumed or left out, in words.")


class LevelOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    gain_db: float = Field(description="The gain to apply: balance_db plus the mix's makeup_db.")
    pan: float
    balance_db: float | None = Field(
        None,
        description="The part of gain_db that balances this track against the others (from the median track, "
        "as /mixing/suggest's level findings measure).",
    )
    role: str | None = Field(None, description="The role the balance used (from the name, the audio or roles).")
    loudness_before_lufs: float | None = Field(None, description="The track as uploaded; null when silent.")
    loudness_after_lufs: float | None = Field(None, description="The track with gain_db applied.")
    target_relative_lu: float | None = Field(
        None, description="The track's loudness target against the lead element (its role's offset)."
    )
    invert_polarity: bool = Field(False, description="The gains assume this track flipped (see left_out and phase).")


class AutoLevelResponse(MixAnswer):
    """Gains and pans per track. With no audio: status "no_audio", the message, empty levels (200)."""

    levels: dict[str, LevelOut]
    gain_adjustments: dict[str, float]
    makeup_db: float | None = Field(
        None, description="The gain common to every track (their median) that sets the summed mix's loudness."
    )
    left_out: dict[str, str] = Field(
        default_factory=dict,
        description="Tracks with no level (not in levels), with why: the same audio as another track, or a mix of "
        "the others (a bounce). A track whose levels entry has invert_polarity true is balanced flipped.",
    )
    # With audio only, as on MixingResponse.
    source: str | MISSING = Field(MISSING, description="uploads or project_stems; absent without audio.")
    mix: dict[str, Any] | MISSING = Field(
        MISSING, description="The sum with these gains: {loudness_lufs, true_peak_dbtp, limited_by_ceiling}."
    )
    target: dict[str, Any] | MISSING = Field(
        MISSING, description="The level the sum is brought to: {name, lufs, ceiling_dbtp} (premaster -18 LUFS)."
    )
    balance_lu: dict[str, float] | MISSING = Field(
        MISSING, description="Per track, its loudness target against the lead element (its role's offset)."
    )
    notes: list[str] | MISSING = Field(MISSING, description="What was assumed or left out, in words.")


class RenderParams(MixingParams):
    """Parameters of /mixing/render: the mixing inputs plus what to render and how to deliver it."""

    format: Literal["wav", "flac", "json"] = Field(
        "wav",
        description="wav or flac: the file itself (headers X-Loudness-LUFS, X-True-Peak-dBTP, X-Findings-Gone, "
        "X-Findings-New, X-Tracks-Left-Out: duplicates and bounces not summed ...); "
        "json: the report of what was applied and the measurements after, with the audio as base64 WAV.",
    )
    bit_depth: int = Field(24, description="16 (TPDF-dithered) or 24 bit.")
    master: bool = Field(
        False,
        description="Aim the mix at the loudness target (target: streaming -14 LUFS by default) with a true-peak "
        "limiter (true peak <= -1 dBTP); false: the mix at auto-level's -18 LUFS pre-master level. A finished mix "
        "uploaded alone as the file 'master' (no stems) is always mastered.",
    )
    apply: str | list[str] | None = Field(
        None,
        description="Kinds of move to apply, comma-separated or a list: auto_level (gains and pans), gain, pan, eq, "
        "compressor, automation, stereo (a channel's polarity and width), polarity (a track flipped and/or moved "
        "in time to line up with another microphone on its source); all (default) or none. A duplicate or a bounce of the other "
        "stems is left out whatever is asked.",
    )

    @field_validator("bit_depth")
    @classmethod
    def _bit_depth(cls, value: int) -> int:
        if value not in (16, 24):
            raise ValueError("use 16 or 24")
        return value

    @field_validator("apply", mode="before")
    @classmethod
    def _apply(cls, value: Any) -> Any:
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ValueError("a list of move kinds (strings)")
        return value


class RenderResponse(BaseModel):
    """/mixing/render with format=json."""

    model_config = ConfigDict(extra="allow")

    status: Literal["success"] = "success"
    source: str = Field(description="uploads or project_stems.")
    project_id: StemsProjectId = None
    project_name: StemsProjectName = None
    message: str | None = Field(
        None,
        description="With a project taken for you: which and why; a project's stem that could not be decoded: "
        "which was left out, and why.",
    )
    audio_base64: str = Field(description="The rendered mix as a WAV file, base64-encoded.")
    audio_format: Literal["wav"] = "wav"
    bit_depth: int
    sample_rate: int
    duration_s: float
    applied: list[dict[str, Any]] = Field(description="Per track (and the mix bus): gain, pan and the moves applied.")
    skipped: list[dict[str, Any]] = Field(description="The findings' moves not applied, each with the reason.")
    left_out: list[dict[str, str]] = Field(
        default_factory=list,
        description="Tracks not in the mix, each {track, reason}: the same audio as another track, or a mix of "
        "the other tracks (a bounce).",
    )
    master: dict[str, Any] | None = Field(
        description="With master=true: gain, limiter, loudness, true peak, passes, within_tolerance."
    )
    measured_after: dict[str, Any] = Field(
        description="The rendered mix's loudness, true peak, range, crest; the acted-on findings gone and remaining; "
        "new: the problem findings after that no finding before had (what the render made; X-Findings-New)."
    )
    report: dict[str, Any] = Field(description="The mixing report the render acted on (as /mixing/suggest answers).")
    report_after: dict[str, Any] | None = Field(description="The same analysis of the rendered stems (and master).")
    notes: list[str] = Field(default_factory=list, description="What was assumed or left out, in words.")
