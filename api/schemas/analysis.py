"""The answer of /analyze."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
        description="0..1: how clearly the key stands out from the other 23 (0 without a key; at most 0.2 where "
        "one chord sounds throughout, a triad that lies in five keys, and notes say so)."
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
    tuning_cents: float | None = Field(
        None,
        description="The pitched content's tuning against A4 = 440 Hz, in cents (-50..50); 0 where nothing pitched "
        "sounds (noise, drums alone, speech).",
    )
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
