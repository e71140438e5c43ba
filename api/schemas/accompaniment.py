"""Parameters and answer of /generate/accompaniment."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ai.generation.base import SEED_MAX
from api.schemas.common import CallerParams, valid_chords, valid_key
from api.schemas.generation import NoteOut
from utils.errors import InvalidParameter


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
