"""Parameters and answer of the MIDI generation routes (/generate/drums, /bass, /melody, ...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ai.generation.base import SEED_MAX
from ai.music_theory import SCALES, normalise_scale, parse_key
from api.schemas.common import CallerParams, valid_chords, valid_key
from utils.errors import InvalidParameter


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
