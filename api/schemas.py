"""Request parameters and response bodies of every route (shown in /docs)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ai.generation.base import SEED_MAX as SEED_MAX
from ai.mixing.targets import resolve_target
from ai.music_keys import normalise_key
from ai.music_theory import SCALES, normalise_scale, parse_chart, parse_key
from ai.transcription.pitched import DEFAULT_OPTIONS as PITCHED_DEFAULTS
from utils.errors import InvalidParameter

MAX_CHORDS = 64  # twice the longest clip: a progression longer than that is not one a clip can play
MAX_CHORDS_TEXT = 1024  # characters: 64 chords of the longest spellings with separators fit


class ErrorBody(BaseModel):
    error: str = Field(description="Machine-readable error code, e.g. invalid_parameter.")
    detail: str = Field(description="What is wrong, for a person.")


# ---------------------------------------------------------------- generation


class CallerParams(BaseModel):
    """Parameters a caller sends (query string, form or JSON): unknown names are refused, and so is
    JSON true/false for a number (pydantic reads it as 1/0: `{"bars": true}` was one bar), and NaN or an
    infinity ('NaN', 'inf', '1e309', JSON's NaN) for any number: "not a number", not a range it is outside."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_not_booleans(cls, values: Any) -> Any:
        if isinstance(values, dict):
            for name, field in cls.model_fields.items():
                kinds = get_args(field.annotation) or (field.annotation,)
                if isinstance(values.get(name), bool) and bool not in kinds and {int, float} & set(kinds):
                    raise InvalidParameter(name, "must be a number, not true or false")
        return values

    @model_validator(mode="before")
    @classmethod
    def _choices_as_typed(cls, values: Any) -> Any:
        """A choice ('MIDI', ' wav', 'Drums') or a yes/no (' true') as people type it: stripped, and a choice
        lower-cased, as key, scale and style already are (they were 422 unless typed exactly)."""
        if not isinstance(values, dict):
            return values
        read = dict(values)
        for name, field in cls.model_fields.items():
            said = field.alias or name
            value = read.get(said)
            if not isinstance(value, str):
                continue
            annotation = field.annotation
            kinds = (annotation,) if get_origin(annotation) is Literal else get_args(annotation) or (annotation,)
            choices = [c for kind in kinds if get_origin(kind) is Literal for c in get_args(kind)]
            if choices and all(isinstance(c, str) and c == c.lower() for c in choices):
                read[said] = value.strip().lower()
            elif bool in kinds:
                read[said] = value.strip()
        return read


def valid_key(value: str | None) -> str | None:
    """A key as a request gives it ("A minor", "F#", "D dorian"), stripped; ValueError when no key reads it."""
    if value is None:
        return None
    parse_key(value)
    return value.strip()


def valid_chords(value: str | list[str] | None) -> str | None:
    """A chord progression as a request gives it, as one text: a text ('Am F C G', one chord per bar; with bar lines
    a bar may hold two, 'Dm7 G7 | Cmaj7') or a list, one bar per item (['Dm7 G7', 'Cmaj7']). ValueError when a
    chord does not parse, a bar holds more than two or there are too many."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) > MAX_CHORDS:
        raise ValueError(f"{len(value)} bars of chords; at most {MAX_CHORDS} (repeating)")
    # A list is a chart, one bar per item: a bar line after a list of one too (['Dm7 G7'] was two bars).
    text = (" | ".join(value) + (" |" if len(value) == 1 else "")) if isinstance(value, list) else value
    if len(text) > MAX_CHORDS_TEXT:
        raise ValueError(f"{len(text)} characters; at most {MAX_CHORDS_TEXT} (one chord per bar, repeating)")
    if len(parse_chart(text).bars) > MAX_CHORDS:
        raise ValueError(f"more than {MAX_CHORDS} bars of chords (repeating)")
    return text


class GenerationParams(CallerParams):
    """Controls of every generation endpoint (query string, form body or JSON body)."""

    style: str | None = Field(
        None,
        description="On /generate/midi: the part (drums, bass, melody) or a drum style (then drums). "
        "On /generate/bassline and /generate/melody: the style of the feel (rock, funk, jazz ...).",
    )
    genre: str | None = Field(None, description="Drum/feel style (rock, funk, hip-hop, jazz, latin, electronic ...).")
    key: str | None = Field(
        None,
        description="Tonic, optionally with the mode: C, F#, Bb, Am, 'A minor', 'D dorian'. "
        "Default: the primer's key (its key signature, else read from its notes), else the key the chords "
        "imply (a scale that holds them: 'B7 E A' is E major, 'D C G D' D mixolydian, 'Am F C G' A minor), else C.",
    )
    scale: str | None = Field(
        None, description=f"Scale or mode: {', '.join(SCALES)}. Default: major, or the key's mode."
    )
    chords: str | list[str] | None = Field(
        None,
        description="Chord progression, one chord per bar, repeating: 'Am F C G'. With bar lines a bar may hold two "
        "chords, the second from the middle of the bar, its longer half first (beat 3 of 4/4, 3 of 3/4, 4 of 5/4, 4 of "
        "6/8, 5 of 7/8, 7 of 9/8): 'Dm7 G7 | Cmaj7', or with "
        "beat slashes and repeats 'Dm7 / G7 / | C / / / | %' (a bar with slashes counts the meter's beats: 4 in 4/4, "
        "3 in 3/4; 6/8 its 6 eighths or 2 dotted-quarter beats). A list "
        "is one bar per item: ['Dm7 G7', 'Cmaj7']. Default chosen per mode.",
    )
    tempo: float | None = Field(
        None,
        ge=20,
        le=300,
        description="Tempo in BPM (quarter notes per minute). Default: the primer's, else the style's own (trap and "
        "dubstep 140, drum-and-bass 174, reggaeton 95, afrobeats 105, breakbeat 130, uk-garage 132), else 120.",
    )
    bars: int = Field(4, ge=1, le=32, description="Length in bars.")
    time_signature: str | None = Field(
        None,
        description="Meter: 4/4, 3/4, 6/8, 2/4, 5/4, 7/8 ... Default: the primer's, else the drum style's own "
        "(waltz 3/4), else 4/4.",
    )
    temperature: float = Field(1.0, ge=0.1, le=2.0, description="Randomness: 0.1 conservative .. 2.0 adventurous.")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="Random seed; the response echoes the one used.")
    variations: int = Field(1, ge=1, le=8, description="Number of distinct clips to return.")
    density: float = Field(0.5, ge=0.0, le=1.0, description="Sparser (0) to busier (1).")
    swing: float = Field(0.0, ge=0.0, le=1.0, description="0 straight .. 1 full triplet swing.")
    humanize: float = Field(0.0, ge=0.0, le=1.0, description="Timing and velocity looseness, 0 .. 1.")
    microtiming: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Drums: 0 on the grid .. 1 the style's offsets learned from human drummers (laid-back "
        "snare, pushed hats) with their spread.",
    )
    chromatic: bool = Field(
        False,
        description="Allow notes outside the scale. Without it a chord's own tones still sound (Bb under C7/Bb or a "
        "borrowed Bb in C major) and no key tone it alters does (no C natural under A7), nor on a melody's beat the "
        "chord's other third (no B natural under a borrowed Ab in C major).",
    )
    model: str | None = Field(
        None,
        description="auto (default: Magenta, else theory), magenta, theory, or a bundle id (GET /api/v1/models "
        "lists them; an unknown name is 422, a bundle that failed to load 503).",
    )
    format: Literal["json", "midi"] = Field("json", description="json, or midi for the .mid file itself.")
    preview: Literal["none", "wav", "flac"] = Field(
        "none",
        description="With format=json: the first clip rendered with FluidSynth (GM soundfont, 44.1 kHz, peak "
        "-1 dBFS) as base64 WAV or FLAC in preview_base64, to listen to without a MIDI player; a clip longer "
        "than ten minutes gets none (422).",
    )
    send_to_core: bool = Field(False, description="Also POST the MIDI to DAWG-CORE's import route.")
    include_primer: bool | None = Field(
        None,
        description="With a primer: return the primer and its continuation as one clip (true), or the "
        "continuation alone, starting at 0 (false). Default: true when the primer plays the part asked for, "
        "false when it plays another (a melody primer for a bassline: the bass line alone, not the melody "
        "on the bass track).",
    )
    primer: str | None = Field(
        None, description="A MIDI clip to continue, base64-encoded (or upload it as the multipart field 'primer')."
    )

    @field_validator("key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        return valid_key(value)

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: str | None) -> str | None:
        return normalise_scale(value) if value else None

    @field_validator("chords")
    @classmethod
    def _chords(cls, value: str | list[str] | None) -> str | None:
        return valid_chords(value)

    @model_validator(mode="after")
    def _key_and_scale_agree(self) -> GenerationParams:
        try:
            parse_key(self.key or "C", self.scale)
        except ValueError as exc:
            raise InvalidParameter("key", str(exc)) from exc
        return self

    @field_validator("time_signature")
    @classmethod
    def _meter(cls, value: str | None) -> str | None:
        if value is None:
            return None
        top, sep, bottom = (part.strip() for part in value.partition("/"))  # '4 / 4' as the library search reads it
        if not sep or not top.isdigit() or not bottom.isdigit():
            raise ValueError("use the form N/D, e.g. 4/4, 3/4 or 6/8")
        if not 1 <= int(top) <= 16 or int(bottom) not in (2, 4, 8, 16):
            raise ValueError("numerator 1-16 and denominator 2, 4, 8 or 16")
        return f"{int(top)}/{int(bottom)}"


class NoteOut(BaseModel):
    pitch: int
    start: float = Field(description="Seconds from the clip start.")
    end: float
    velocity: int


class ClipOut(BaseModel):
    seed: int
    midi_base64: str
    notes: list[NoteOut]
    duration_seconds: float


class GenerationResponse(BaseModel):
    status: Literal["success"] = "success"
    style: str = Field(description="The part generated: drums, bass or melody.")
    genre: str | None
    model: str = Field(description="The backend that made the clip (a bundle id or 'theory').")
    fallback_reason: str | None = Field(None, description="Why the preferred model was not used, if it was not.")
    seed: int = Field(description="The seed actually used (of the first clip).")
    midi_base64: str
    notes: list[NoteOut]
    duration_seconds: float
    key: str | None = Field(description="The key's tonic (null for drums: a drum clip has no key).")
    scale: str | None = Field(description="The key's scale or mode (null for drums).")
    chords: list[str] | None = Field(
        description="The progression, one entry per bar, repeating: 'Dm7 G7' for a bar that changes chord at its "
        "middle (null for drums)."
    )
    tempo: float
    tempo_note: str | None = Field(
        None,
        description="Why tempo is not the primer's own, where the request names none: the primer's tempo lies "
        "outside 20-300 BPM and the clip plays at the nearest end; null otherwise.",
    )
    bars: int = Field(description="The bars generated: after the primer's primer_bars where the clip keeps it.")
    primer_bars: int = Field(
        0,
        description="Bars of the primer at the clip's start (0 without one, or with include_primer=false): the "
        "clip is primer_bars + bars long.",
    )
    time_signature: str
    meter_note: str | None = Field(
        None,
        description="Why the clip is not in its style's own meter, where they differ: 'waltz is a 3/4 style and "
        "time_signature asks for 4/4: played in 4/4 bars' (the meter asked for, or the primer's, decides); null "
        "otherwise.",
    )
    temperature: float
    density: float
    swing: float
    swing_played: float = Field(
        0.0,
        description="The swing the clip plays (0 straight .. 1 triplet): the swing asked for, else a primer's, else "
        "the style's own (jazz 0.67, a blues shuffle 1.0) as narrowed at fast tempos.",
    )
    humanize: float
    microtiming: float = 0.0
    chromatic: bool
    primer_notes: int = Field(
        0, description="Notes of the primer kept at the start of the clip (0 with include_primer=false)."
    )
    groove_style: str | None = Field(
        None,
        description="The style of the human-written groove (or bass riff) the Magenta model was primed with: "
        "without a style asked for, a groove of any style is drawn by seed, and this says which.",
    )
    variations: list[ClipOut] = Field(description="Every clip (the first is also given at the top level).")
    delivered: bool | None = Field(None, description="With send_to_core: whether DAWG-CORE accepted the MIDI.")
    delivery_reason: str | None = None
    preview_base64: str | None = Field(None, description="With preview=wav|flac: the first clip, rendered.")
    preview_format: str | None = None


# ---------------------------------------------------------------- accompaniment


class AccompanimentParams(CallerParams):
    """Controls of /generate/accompaniment (query string, form or JSON body; the audio is multipart 'file')."""

    EMPTY_REFUSED: ClassVar[frozenset[str]] = frozenset({"parts"})
    """An empty ``parts=`` names no part: a 422 listing them, not the default parts (api.params.validate_params)."""

    parts: str | list[str] = Field(
        "drums,bass", description="Parts to generate, comma-separated or a list: drums, bass, pad (or chords)."
    )
    style: str | None = Field(
        None,
        description="Drum/feel style (rock, funk, hip-hop, jazz, latin ...); without one, the Magenta parts play "
        "rock (a waltz in 3/4) and the theory backend its default groove.",
    )
    temperature: float = Field(1.0, ge=0.1, le=2.0, description="Randomness: 0.1 conservative .. 2.0 adventurous.")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="Random seed; the response echoes the one used.")
    density: float = Field(0.5, ge=0.0, le=1.0, description="Sparser (0) to busier (1).")
    swing: float = Field(0.0, ge=0.0, le=1.0, description="0 straight .. 1 full triplet swing.")
    humanize: float = Field(0.0, ge=0.0, le=1.0, description="Timing and velocity looseness, 0 .. 1.")
    microtiming: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="The drums: 0 on the beat grid .. 1 the style's offsets learned from human drummers, placed "
        "relative to the recording's own beats.",
    )
    model: str | None = Field(
        None,
        description="auto (default: Magenta, else theory), magenta, theory, or a bundle id (GET /api/v1/models "
        "lists them; an unknown name is 422, a bundle that failed to load 503).",
    )
    preview: Literal["none", "wav", "flac"] = Field(
        "none",
        description="An audio preview: the parts rendered with FluidSynth (GM soundfont) and mixed under the "
        "recording, as base64 WAV or FLAC in the JSON answer (format=json; with format=midi: 422).",
    )
    level_db: float = Field(
        -4.0,
        ge=-30.0,
        le=10.0,
        description="The preview's parts: loudness relative to the recording's, in dB. The mix is then scaled down "
        "to peak at -0.2 dBFS where it would peak above, so loud parts (drum hits peak high) can leave the whole "
        "preview, the recording in it too, quieter than soft ones.",
    )
    format: Literal["json", "midi"] = Field("json", description="json, or midi for the .mid file itself.")
    harmony: Literal["auto", "recording", "melody"] = Field(
        "auto",
        description="Where the bar chords come from: recording (the chords heard in it), melody (chords chosen to "
        "harmonise a melody alone: a sung, whistled or played line, whose notes name no chord), or auto (default: "
        "melody where the recording is one line alone, else recording). The answer's harmony_source says which.",
    )
    key: str | None = Field(
        None,
        max_length=32,
        description="The key the parts play in ('F minor', 'Am', 'D dorian'), instead of the key heard. Given alone "
        "(no chords, harmony auto) the bars play its progression (I-vi-IV-V in major, i-VI-III-VII in minor) instead "
        "of the chords heard. A recording with no key (drums alone, unpitched sound) without key or chords gets "
        "C major's I-vi-IV-V.",
    )
    chords: str | list[str] | None = Field(
        None,
        description="The chords to play, one per bar from the recording's first downbeat, repeating ('Fm Db Ab Eb'), "
        "instead of the chords heard (harmony must then be auto). With bar lines a bar may hold two, the second from "
        "its middle ('Dm7 G7 | Cmaj7'); a list is one bar per item. Without key, the key they imply. Beat slashes "
        "('C / / | F / / |') count the recording's beats: where they count another bar than the meter heard, the "
        "bars follow them (harmony_note says so); bars that count differently (3 and 4) are a 422.",
    )

    @field_validator("parts", mode="before")
    @classmethod
    def _parts(cls, value: Any) -> Any:
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ValueError("a list of part names (strings)")
        return value

    @field_validator("harmony", mode="before")
    @classmethod
    def _harmony(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value  # "Melody" as a person types it

    @field_validator("key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        return valid_key(value)

    @field_validator("chords")
    @classmethod
    def _chords(cls, value: str | list[str] | None) -> str | None:
        return valid_chords(value)

    @model_validator(mode="after")
    def _chords_or_harmony(self) -> AccompanimentParams:
        if self.chords is not None and self.harmony != "auto":
            raise InvalidParameter(
                "harmony", f"harmony={self.harmony} and chords disagree: give the chords or a harmony"
            )
        return self


class AccompanimentResponse(BaseModel):
    status: Literal["success"] = "success"
    filename: str | None = None
    seed: int = Field(description="The seed used: send it back to get the same MIDI.")
    parts: list[str]
    models: dict[str, str] = Field(description="Per part, the backend that made it (pad: 'chords').")
    styles: dict[str, str] = Field(
        description="Per generated part (drums, bass; the pad has none), the style it played: the request's style "
        "after alias mapping (house, techno: electronic; pop: default), else the backend's own (Magenta: rock, a waltz "
        "in 3/4; theory: default)."
    )
    fallback_reasons: dict[str, str] = Field(
        default_factory=dict,
        description="Per part, why the preferred model was not used, and where a style of its own meter (waltz: "
        "3/4) played in the recording's other meter: the recording's bars decide it ('; ' between reasons).",
    )
    midi_base64: str = Field(
        description="One Type-1 MIDI file: a tempo map with a tempo at every beat of the recording (import it at "
        "0 s and it lines up), then drums (channel 10), bass and pad tracks."
    )
    notes: dict[str, list[NoteOut]] = Field(description="Per part, the notes in seconds of the recording.")
    tempo: float = Field(
        description="The recording's tempo (quarter notes per minute), the one /analyze/audio reports for it; the "
        "MIDI file's tempo map follows every beat, and analysis.median_tempo is the median of those beats."
    )
    time_signature: str
    key: str
    bars: int
    harmony_source: Literal["recording", "melody", "given", "default"] = Field(
        "recording",
        description="Where the bar chords came from: recording (heard in it), melody (harmonising a melody alone), "
        "given (the request's chords; over a recording with no key, the request's key's progression: a recording "
        "with a key keeps its chords under a key given) or default (the recording has no key, e.g. drums alone, and "
        "no key or chords were given: C major, I-vi-IV-V).",
    )
    harmony_note: str | None = Field(
        None,
        description="Why the chords are not the recording's own, where they are not (given or default): e.g. "
        "'the recording has no key (...): the parts play C major's progression, a default; give key or chords for "
        "another'; and, where the chords' beat slashes count another bar than the one heard, the meter they set "
        "('the bars are 3/4, as the chords' slashes count the recording's beats (heard as 4/4)'). Null for recording "
        "and melody.",
    )
    analysis: dict[str, Any] = Field(
        description="What was followed: beat_times (refined onto the onsets), downbeats, meter, key (the parts' key; "
        "analysis_key: the analysis's own, null when the recording has none), harmony_note, bar_chords "
        "(the chord the parts play in each bar, read from that bar's own sound: it may name another chord than the "
        "analysis's chords there, e.g. the root a chord is heard over; a 4/4 bar heard to change chord at its middle "
        "also has changes: [{beat: 3, start, chord}], its chord then being the first half's), meter_changes (bars of "
        "another length in the song, as the MIDI file's time signatures), and the analysis's own beats and chords (as "
        "/analyze/audio reports them)."
    )
    preview_base64: str | None = Field(None, description="With preview=wav|flac: the parts mixed under the recording.")
    preview_format: str | None = None
    seconds: dict[str, float] = Field(default_factory=dict, description="Time taken per step.")


# ---------------------------------------------------------------- analysis


class ChordOut(BaseModel):
    start: float
    end: float
    label: str = Field(
        description='"Am", "G7", "Cmaj7", ... or "N" for no chord; roots named in the key\'s letters (Db, not C#, in F minor).'
    )


class SpectralFeatures(BaseModel):
    spectral_centroid_mean: float | None = Field(None, description="Hz.")
    spectral_rolloff_mean: float | None = Field(None, description="Hz (85 % of the energy below).")
    rms_mean: float | None = None
    zero_crossing_rate_mean: float | None = None


class AnalysisResponse(BaseModel):
    """Analysis of one audio file. A value that cannot be measured is null, and `notes` says why."""

    model_config = ConfigDict(extra="allow")

    filename: str | None = None
    duration: float = Field(description="Seconds.")
    sample_rate: int
    channels: int
    tempo: float | None = Field(description="BPM in quarter notes (as a DAW's tempo), to 0.1; null without a pulse.")
    beat_tempo: float | None = Field(None, description="Rate of the counted beat (the dotted quarter in 6/8).")
    tempo_confidence: float | None = None
    beats: int = Field(description="Number of beats.")
    beat_times: list[float] = Field(description="Seconds.")
    downbeat_times: list[float] | None = None
    time_signature: str | None = None
    key: str | None = Field(
        description='"F# minor", the tonic spelt with the smaller signature ("Db major", "G# minor"); '
        "null for silence or unpitched audio."
    )
    key_confidence: float | None = Field(
        description="0..1: how clearly the key stands out from the other 23 (0 without a key)."
    )
    key_score: float | None = Field(
        None,
        description="The key's correlation with its key profile (-1..1; 0 without a key): the scale of "
        "key_runner_up_score, not a confidence.",
    )
    key_runner_up: str | None = Field(None, description="The next most likely key.")
    key_runner_up_score: float | None = Field(
        None, description="The runner-up key's profile correlation (-1..1): compare it with key_score."
    )
    tuning_cents: float | None = None
    chords: list[ChordOut] = Field(
        default_factory=list, description="One chord per bar (or per beat without downbeats)."
    )
    loudness_lufs: float | None = Field(description="ITU-R BS.1770 integrated loudness.")
    true_peak_dbtp: float | None = None
    peak_dbfs: float | None
    loudness_range_lu: float | None = None
    short_term_loudness_max_lufs: float | None = None
    crest_factor_db: float | None = None
    clipped_fraction: float | None = None
    spectral_centroid_mean: float | None
    spectral_rolloff_mean: float | None
    rms_mean: float | None
    zero_crossing_rate_mean: float | None
    spectral_features: SpectralFeatures | None = Field(
        None, description="The four spectral means above as one object (what the web front end reads)."
    )
    beat_division: int = Field(
        2, description="3 when the beat divides in three (6/8, 12/8, a triplet feel), 2 otherwise; 0 without a pulse."
    )
    notes: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- transcription

QUANTIZE_STEPS = ("1/4", "1/8", "1/16", "1/32", "1/4t", "1/8t", "1/16t")
QUANTIZE_ON = "1/16"
"""The step ``quantize=true`` means."""


class TranscriptionParams(CallerParams):
    """Controls of /transcribe (query string, form fields beside the file, or JSON with async jobs)."""

    instrument: Literal["pitched", "melody", "drums", "auto"] = Field(
        "pitched",
        description="pitched: polyphonic notes with pitch bends (basic-pitch); melody: one note at a time, for a "
        "voice, a horn, a whistled or hummed idea (the same notes made one line: no harmonic or vibrato heard as a "
        "note of its own, each note ending where the next starts, bends on every note); drums: GM drum notes; "
        "auto: drums where the analysis hears drums and percussion alone (or no pitched note is heard and drum hits "
        "are), melody where the notes sound one at a "
        "time (a note ringing on into the next, as a sung line in a room, counts as one line), else pitched (the "
        "answer's instrument and instrument_note say which and why).",
    )
    quantize: str | None = Field(
        None,
        description=f"none (default: the notes' real times) or a step of the detected beat grid: "
        f"{', '.join(QUANTIZE_STEPS)} (t: triplet); true (or on, yes) is {QUANTIZE_ON}, a DAW's usual step.",
    )
    format: Literal["json", "midi"] = Field("json", description="json, or midi for the .mid file itself.")
    note_decoding: Literal["onset-peaks", "basic-pitch"] = Field(
        PITCHED_DEFAULTS.decoder,
        description="pitched: onset-peaks (notes read off the onset peaks, upper partials heard as notes dropped) "
        "or basic-pitch (its own note creation); the thresholds below apply to either.",
    )
    onset_threshold: float = Field(
        PITCHED_DEFAULTS.onset_threshold,
        ge=0.05,
        le=0.95,
        description="pitched: onset confidence a note needs (basic-pitch's own default: 0.5).",
    )
    frame_threshold: float = Field(
        PITCHED_DEFAULTS.frame_threshold,
        ge=0.05,
        le=0.95,
        description="pitched: frame confidence a note holds on (basic-pitch's own default: 0.3).",
    )
    minimum_note_length_ms: float = Field(
        PITCHED_DEFAULTS.minimum_note_length_ms,
        ge=10,
        le=2000,
        description="pitched: shorter notes are dropped (basic-pitch's own default: 127.7).",
    )
    minimum_frequency: float | None = Field(None, ge=20, le=5000, description="pitched: lowest note (Hz).")
    maximum_frequency: float | None = Field(None, ge=20, le=5000, description="pitched: highest note (Hz).")
    pitch_bends: bool = Field(True, description="pitched: estimate pitch bends (on notes that overlap no other).")

    @field_validator("quantize", mode="before")
    @classmethod
    def _quantize(cls, value: object) -> str | None:
        if isinstance(value, bool):  # JSON's true / false
            value = str(value)
        if value is None or (
            isinstance(value, str) and value.strip().lower() in ("", "none", "off", "false", "no", "0")
        ):
            return None
        if not isinstance(value, str):
            raise ValueError(f"none or one of {', '.join(QUANTIZE_STEPS)}")
        step = value.strip().lower()
        if step in ("true", "on", "yes", "1"):
            return QUANTIZE_ON
        if step not in QUANTIZE_STEPS:
            raise ValueError(f"none or one of {', '.join(QUANTIZE_STEPS)}")
        return step

    @model_validator(mode="after")
    def _frequencies(self) -> TranscriptionParams:
        low, high = self.minimum_frequency, self.maximum_frequency
        if low is not None and high is not None and low >= high:
            raise InvalidParameter("maximum_frequency", "must be above minimum_frequency")
        return self


class TranscribedNoteOut(BaseModel):
    pitch: int
    start: float = Field(description="Seconds.")
    end: float = Field(description="Seconds.")
    velocity: int
    pitch_bends: list[float] | None = Field(
        None, description="Bends in semitones, evenly spaced from start to end (absent: none)."
    )


class TranscriptionResponse(BaseModel):
    """Notes of one recording, the MIDI file (base64) and the beat grid its tempo map follows."""

    filename: str | None = None
    instrument: str = Field(description="pitched, melody or drums: the one asked, or the one instrument=auto chose.")
    instrument_note: str | None = Field(
        None,
        description="instrument=auto: what it chose and why ('auto: one note at a time (...): a melody, one line'); "
        "null when the instrument was named. With format=midi: the X-Instrument-Note header (and X-Instrument).",
    )
    model: str = Field(description="The transcription model used.")
    notes: list[TranscribedNoteOut]
    midi_base64: str = Field(description="Type-1 MIDI: a tempo change on every detected beat, then the notes.")
    tempo: float | None = Field(description="The recording's tempo (quarter-note BPM); null without a pulse.")
    time_signature: str | None = None
    key: str | None = Field(
        None,
        description="The recording's key as the analysis hears it ('Db major'), also the MIDI file's key "
        "signature; null (and the file has no key signature) for drums, for audio without a key, and where the "
        "notes sound fewer than three pitch classes (a drum recording's 0-1 pitched notes): key_note says why.",
    )
    key_note: str | None = Field(
        None,
        description="Why key is null, e.g. 'the recording has no key (only drums and percussion sound (no pitched "
        "notes): no key or chords): the file has no key signature'; null when key is given.",
    )
    beat_times: list[float] = Field(
        description="The beats (s) the tempo map and quantize follow: the analysis's, moved onto the recording's "
        "onsets and its tempo curve as the accompaniment's (on a steady render they hold the tempo, where the "
        "analysis's 23 ms frames made it swing a few BPM from beat to beat)."
    )
    downbeat_times: list[float] = Field(
        default_factory=list, description="The bar lines: the beats above nearest the analysis's downbeats."
    )
    analysis_beat_times: list[float] = Field(
        default_factory=list, description="The analysis's own beats (as /analyze/audio answers them)."
    )
    analysis_downbeat_times: list[float] = Field(default_factory=list, description="The analysis's own downbeats.")
    tempo_map_bpm: list[float] = Field(description="Tempo of each segment of the map (first: before the first beat).")
    quantize: str | None = Field(None, description="The grid step the notes were moved to, or null.")
    quantize_note: str | None = Field(
        None,
        description="Why quantize is null though one was asked: the recording has no beat grid (no tempo), so the "
        "notes keep their real times; null otherwise. With format=midi: the X-Quantize-Note header.",
    )
    bandwidth_note: str | None = Field(
        None,
        description="Drums from a file under 12 kHz: its band ends below where hi-hats and cymbals mostly sound, so "
        "many of their hits cannot be heard (an 8 kHz copy of a groove gave 6 hits of 61); null otherwise.",
    )
    notes_note: str | None = Field(
        None,
        description="Why notes is empty: the analysis heard noise (no periodic pulse and no pitched notes), so the "
        "notes a model read in it (white noise: a few pitched notes, dozens of drum hits in its steady hiss) are "
        "left out; random clicks keep their drum hits. Null otherwise. With format=midi: the X-Notes-Note header.",
    )


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


class ProjectParams(CallerParams):
    project_id: str | None = Field(
        None,
        description="The project's id as in its DAWG-CORE manifest. Without it, the project worked on last is "
        "taken (its manifest or stems written last; the answer's message names it).",
    )
    target: TargetParam = Field(None, description="Loudness target for findings (see mixing).")
    roles: RolesParam = Field(None, description=ROLES_DESCRIPTION)


class ProjectSummaryOut(BaseModel):
    project_id: str
    name: str
    tempo: float
    time_signature: str
    tracks: list[str]
    stems: list[str] = Field(description="Tracks with a rendered stem in <projects dir>/<project_id>/stems/.")


class UnreadManifestOut(BaseModel):
    file: str = Field(description="The file, relative to the projects directory.")
    reason: str = Field(description="Why it gives no project: 'tempo 'fast' is not a positive number', ...")


class ProjectListResponse(BaseModel):
    projects_dir: str
    projects: list[ProjectSummaryOut] = Field(description="Every valid manifest, by project id.")
    message: str | None = Field(
        None, description="Why there are none when the projects folder is missing, a file or unreadable; else null."
    )
    unread: list[UnreadManifestOut] = Field(
        default_factory=list,
        description="Files that start like a manifest but give no project (JSON that does not parse, a field "
        "DAWG-CORE writes missing or malformed, a project_id another manifest has), with the reason.",
    )


CLIPPING_FIELDS = (  # a track measurement's clipping figures (ai.mixing.measure.TrackMeasurement)
    "clipped_samples counts clipped samples per channel sample over the channels the stem has (a stereo "
    "stem's two channels apart, a mono stem's samples once), clipped_share is it over the stem's channel "
    "samples (channels x frames); a value held longer than 50 ms (DC) is no clipping."
)


class ProjectTrackOut(BaseModel):
    name: str
    role: str
    stem: str | None = Field(description="Path of the rendered stem, if present.")
    measurements: dict[str, Any] | None = Field(
        None,
        description=f"The track's measurements from the mixing analysis, as /mixing/suggest lists them: {CLIPPING_FIELDS}",
    )


class ProjectAnalysisResponse(BaseModel):
    project_id: str
    name: str
    tempo: float
    time_signature: str
    manifest: str
    stems_dir: str
    tracks: list[ProjectTrackOut]
    core: dict[str, Any] = Field(description="Live DAWG-CORE status, or why it is not available.")
    findings: list[dict[str, Any]]
    suggestions: list[dict[str, Any]] = Field(default_factory=list)
    message: str | None = Field(
        None,
        description="Set when the request named no project (which project this is and why it was taken) or "
        "when a stem could not be decoded (each stem left out, and why; the others are analysed).",
    )


# ---------------------------------------------------------------- mixing


class MixingParams(CallerParams):
    project_id: str | None = Field(
        None,
        description="Take the stems of this project (see the stems convention). Without it and without uploads, "
        "the project whose stems were written last is taken (the answer names it).",
    )
    target: TargetParam = Field(
        None,
        description="suggest: delivery loudness, streaming (-14 LUFS, default), apple (-16), broadcast (-23), "
        "club (-9) or a LUFS number. auto_level: the summed mix's loudness, premaster (-18 LUFS, default) or a number.",
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


# ---------------------------------------------------------------- library


class LibraryScanParams(CallerParams):
    folder: str = Field(
        min_length=1,
        max_length=4096,
        description="The folder to scan: inside a library root (DAWG_AI_LIBRARY_ROOTS), absolute or relative "
        "to the first root.",
    )


class LibraryScanResult(BaseModel):
    folder: str = Field(description="The folder scanned (resolved).")
    files: int = Field(description="Audio files found under it.")
    analysed: int = Field(description="Files analysed now (new or changed).")
    skipped: int = Field(description="Files whose size and mtime match their stored row: not read.")
    unchanged: int = Field(description="Files whose size or mtime changed but whose content (sha256) did not.")
    failed: int = Field(description="Files that could not be analysed (stored with the reason).")
    removed: int = Field(description="Stored rows of files no longer in the folder, deleted.")
    vanished: int = Field(
        0, description="Files deleted while the scan ran (listed, gone before they were read): no row is kept."
    )
    covered: int = Field(
        0,
        description="Files another scan running at the same time was already analysing (a subfolder's scan): "
        "that scan stores them; one cancelled before it reached them leaves them for the next scan.",
    )
    unreadable_names: int = Field(
        0,
        description="Audio files whose name is not UTF-8 (a sample pack unzipped from an old Windows archive): "
        "no row can hold their path, so they are left out and logged; renamed, they are scanned. Not in `files`.",
    )


class LibrarySearchParams(CallerParams):
    key: str | None = Field(None, max_length=32, description="A key ('A minor', 'Am', 'F#') or a Camelot code ('8A').")
    compatible: bool = Field(
        True, description="With key: also its relative and its neighbours on the circle of fifths (Camelot +-1)."
    )
    tempo: float | None = Field(None, gt=0, le=1000, description="Target tempo (BPM) rows are ordered by.")
    tempo_min: float | None = Field(None, ge=0, le=1000, description="Lowest tempo (BPM).")
    tempo_max: float | None = Field(None, gt=0, le=1000, description="Highest tempo (BPM).")
    half_double: bool = Field(True, description="Tempos also match at half and double time.")
    loudness_min: float | None = Field(None, ge=-200, le=20, description="Quietest integrated loudness (LUFS).")
    loudness_max: float | None = Field(None, ge=-200, le=20, description="Loudest integrated loudness (LUFS).")
    duration_min: float | None = Field(None, ge=0, description="Shortest duration (s).")
    duration_max: float | None = Field(None, ge=0, description="Longest duration (s).")
    meter: str | None = Field(None, max_length=8, description="Time signature, e.g. 4/4 or 6/8.")
    q: str | None = Field(None, max_length=200, description="Text the file's path contains (case-insensitive).")
    project_id: str | None = Field(
        None, description="Fits this project: its manifest's tempo (and meter) are the targets unless given."
    )
    include_errors: bool = Field(False, description="Also list files that could not be analysed.")
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    page_size: int = Field(50, ge=1, le=500, description="Rows per page.")

    @field_validator("key")
    @classmethod
    def _known_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_key(value)
        except ValueError as exc:
            raise InvalidParameter("key", str(exc)) from exc

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, value: str | None) -> str | None:
        # The forms generation takes ('4/4', '6 / 8'): 'banana' is a 422, not a search that finds nothing.
        return None if value is None else GenerationParams._meter(value.replace(" ", ""))

    @field_validator("q")
    @classmethod
    def _path_text(cls, value: str | None) -> str | None:
        # No path holds NUL: SQLite's LIKE stopped at it (q='\x00' matched every file), PostgreSQL refuses it.
        if value is not None and "\x00" in value:
            raise InvalidParameter("q", "may not contain NUL (no file path holds one)")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> LibrarySearchParams:
        for low, high in (
            ("tempo_min", "tempo_max"),
            ("loudness_min", "loudness_max"),
            ("duration_min", "duration_max"),
        ):
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                raise InvalidParameter(low, f"is above {high}")
        return self


class LibraryFileOut(BaseModel):
    id: int
    path: str
    root: str
    size: int
    mtime: float
    sha256: str | None
    status: Literal["ok", "error"]
    error: str | None = Field(description="Why the file could not be analysed (status error).")
    duration: float | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    tempo: float | None
    meter: str | None
    key: str | None
    key_confidence: float | None
    camelot: str | None
    loudness_lufs: float | None
    beats: int | None
    chords: list[str] | None = Field(description="Chord labels, the longest-held first.")
    analysed_at: datetime
    on_disk: bool = Field(
        True,
        description="Whether the file is still there now: false for a file deleted since its folder was "
        "scanned (its row goes at the next scan of the folder).",
    )
    key_match: Literal["exact", "relative", "neighbour"] | None = None
    tempo_factor: float | None = Field(None, description="1, 2 or 0.5: the tempo multiple nearest the target.")

    @field_validator("chords", mode="before")
    @classmethod
    def _chords_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class LibraryClip(BaseModel):
    """What the uploaded clip's analysis found: the targets of POST /api/v1/library/search."""

    filename: str | None
    duration: float
    tempo: float | None = Field(description="Quarter-note tempo (BPM); None without a pulse.")
    key: str | None = Field(description="None without pitched content.")
    key_confidence: float
    camelot: str | None
    meter: str | None


class LibrarySearchResponse(BaseModel):
    total: int = Field(description="Rows matching, over all pages.")
    page: int
    page_size: int
    pages: int
    key: str | None = Field(description="The key searched for, canonical.")
    camelot: str | None
    compatible_keys: list[str] | None = Field(description="The keys matched (with compatible=true).")
    tempo: float | None = Field(description="The target tempo rows are ordered by.")
    meter: str | None = Field(None, description="The meter filtered on (a project's, or as given).")
    items: list[LibraryFileOut] = Field(description="Closest first: key, then tempo distance, then path.")
    clip: LibraryClip | None = Field(None, description="The uploaded clip's analysis (POST only).")


# ---------------------------------------------------------------- system


# ---------------------------------------------------------------- text commands

MAX_COMMAND_CHARS = 500  # a spoken command is a sentence or two


class CommandParams(CallerParams):
    """A text command and what its action may need besides the words."""

    text: str | None = Field(
        None, max_length=MAX_COMMAND_CHARS, description="What was said: 'a funky bassline in D minor, 8 bars at 96'."
    )
    command: str | None = Field(
        None, max_length=MAX_COMMAND_CHARS, description="Same as text (the field name of Jarvis's command file)."
    )
    dry_run: bool = Field(
        False,
        description="Only parse and check: answer the action and parameters without running it, or the 422 the run "
        "would answer for parameters the endpoint refuses (tempo 999); uploads are not needed.",
    )
    project_id: str | None = Field(None, description="The project whose stems mixing and project commands use.")
    seed: int | None = Field(None, ge=0, le=SEED_MAX, description="Random seed for generation commands.")
    model: str | None = Field(None, description="Generation backend: auto, magenta, theory or a bundle id.")
    send_to_core: bool = Field(False, description="Generation commands: also hand the MIDI to DAWG-CORE.")
    primer: str | None = Field(
        None, description="The MIDI clip that 'continue this' continues, base64 (or upload it as 'primer')."
    )


CORRECTIONS_DESCRIPTION = (
    "Typed words read as the command's key words before the parse, as typed -> as read "
    "({'basline': 'bassline', 'bas line': 'bassline'}): a word one keystroke from an action or part word "
    "(docs/commands.md, 'Typos'); empty when none was."
)


class CommandResponse(BaseModel):
    status: Literal["done", "parsed", "no_audio"] = Field(
        description="done: the action ran; parsed: dry_run, nothing ran; no_audio: a mixing action found no "
        "tracks' audio to work on (no upload, no project with stems) and says in speech how to send it."
    )
    text: str = Field(description="The command as received.")
    action: str = Field(description="generate_drums, generate_bass, analyze_audio, play ... (docs/commands.md).")
    params: dict[str, Any] = Field(description="What the text said, in the endpoints' parameter forms.")
    corrections: dict[str, str] = Field(
        default_factory=dict,
        description=CORRECTIONS_DESCRIPTION,
    )
    request: dict[str, Any] = Field(description="The endpoint the action runs, its parameters and uploads.")
    speech: str | None = Field(
        description="One sentence about the result, for a voice assistant, after what a typo was read as "
        "(\"I read 'basline' as 'bassline'.\"); null on dry_run."
    )
    result: Any = Field(None, description="The endpoint's own answer (as that endpoint documents it).")


class CommandErrorBody(ErrorBody):
    speech: str = Field(description="The failure as a voice assistant can say it (no URL, no field names).")


class CommandRefusal(CommandErrorBody):
    understood: dict[str, Any] = Field(description="What was recognised in the text anyway.")
    suggestions: list[str] = Field(description="The closest commands the engine knows.")
    corrections: dict[str, str] = Field(default_factory=dict, description=CORRECTIONS_DESCRIPTION)


class TransportResponse(BaseModel):
    action: Literal["play", "stop"]
    status: str = Field(description="DAWG-CORE's own answer: 'playing' or 'stopped'.")
    core_url: str
    core: dict[str, Any] = Field(description="DAWG-CORE's whole answer.")


class HealthResponse(BaseModel):
    status: Literal["healthy"] = "healthy"
    version: str
    uptime_seconds: float
    ready: bool = Field(description="False while models load and code warms up after start.")
    warming_up: list[str]


class ServiceResponse(BaseModel):
    """GET /: what this service is and what it serves."""

    service: str = Field(description="'DAWG AI Engine'.")
    version: str
    docs: str = Field(description="Where the OpenAPI page is: /docs.")
    ui: str = Field(description="Where the browser page is: /ui.")
    endpoints: list[str] = Field(description="Every route served, as 'METHOD /path'.")
    ready: bool = Field(description="False while models load and code warms up after start.")


class StatusResponse(BaseModel):
    """GET /api/v1/status: the status file's document (DAWG-CORE's section 4), computed now, and where it is written."""

    instance: str = Field(description="'DAWG-AI'.")
    last_update: str = Field(description="When this document was built, UTC, ISO 8601 with a Z.")
    started_at: str = Field(description="When the engine started, UTC, ISO 8601 with a Z.")
    phase: Literal["starting", "warming up", "serving", "stopped"]
    current_task: str
    completed_tasks: list[str]
    api_endpoints_ready: list[str] = Field(description="Every route served, as 'METHOD /path'.")
    ai_models: list[dict[str, Any]] = Field(
        description="The generation backends: name, loaded, family, parts, and the error of one that failed."
    )
    dawg_core_connected: bool
    next_steps: list[str] = Field(description="What would make the engine whole: a core to start, a model to fix.")
    uptime_seconds: float
    request_counts: dict[str, Any] = Field(description="Requests handled: total, by_route, by_status.")
    status_file: str = Field(description="The file this document is written to every few minutes.")


class CoreStatusResponse(BaseModel):
    """GET /api/v1/core/status: DAWG-CORE's own answers, as it gave them."""

    core_url: str = Field(description="Where DAWG-CORE is reached (DAWG_AI_CORE_URL).")
    health: dict[str, Any] = Field(description="DAWG-CORE's GET /api/v1/health, as it answered.")
    project: dict[str, Any] = Field(
        description="DAWG-CORE's project status (GET /api/v1/project/status), as it answered."
    )


class ModelsResponse(BaseModel):
    models: list[dict[str, Any]]
    loading: bool
    default_for: dict[str, str | None] = Field(description="Backend chosen for each part when model=auto.")
    analysis: list[dict[str, Any]] = Field(
        description="Models the analysis uses (the metrical-level model): loaded, or the reason it is not."
    )
    mixing: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Models the mixing advice uses (the role classifier): loaded, or the reason it is not.",
    )
    transcription: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Models /api/v1/transcribe uses (pitched, drums): there, loaded (on first use), or why not.",
    )
    generation: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Models every generation backend uses (the learned drum and bass velocities): loaded, "
        "or the reason it is not.",
    )
