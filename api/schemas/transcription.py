"""Parameters and answer of /transcribe."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ai.transcription.pitched import DEFAULT_OPTIONS as PITCHED_DEFAULTS
from api.schemas.common import CallerParams
from utils.errors import InvalidParameter

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
        description="Why notes is empty: the analysis heard no periodic pulse and no pitched notes (noise, random "
        "clicks, much speech), so the "
        "notes a model read in it (white noise: a few pitched notes, dozens of drum hits in its steady hiss) are "
        "left out; random clicks keep their drum hits. Null otherwise. With format=midi: the X-Notes-Note header.",
    )
