"""Audio to MIDI: notes (pitched, or drums with the drum model), the recording's beat grid, optional
quantisation to it, and a MIDI file whose tempo map follows the recording."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from ai.analysis.pipeline import analyze
from ai.audio.decode import DecodedAudio
from ai.transcription.pitched import DEFAULT_OPTIONS, MODEL_NAME, NoteOptions, transcribe_pitched
from ai.transcription.tempo_map import BeatGrid, MidiNote, beat_grid, midi_file, quantize_times
from utils.errors import ModelUnavailable

Instrument = Literal["pitched", "drums"]
DRUMS_MODULE = "ai.transcription.drums"
DRUM_MODEL_FILE = "models/drum_transcription (helper B's drum transcription model)"


@dataclass(frozen=True)
class Transcription:
    """What :func:`transcribe` found. ``notes``: at their real times, or on the grid with
    ``quantize``; ``midi``: the .mid file; ``beat_times``/``downbeat_times``: the grid used (s)."""

    instrument: Instrument
    notes: list[MidiNote]
    midi: bytes
    model: str
    tempo: float | None
    time_signature: str | None
    beat_times: list[float]
    downbeat_times: list[float]
    quantize: str | None
    grid: BeatGrid

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "model": self.model,
            "tempo": self.tempo,
            "time_signature": self.time_signature,
            "beat_times": self.beat_times,
            "downbeat_times": self.downbeat_times,
            "tempo_map_bpm": self.grid.bpm_at_beats(),
            "quantize": self.quantize,
            "notes": [
                {
                    "pitch": n.pitch,
                    "start": round(n.start, 4),
                    "end": round(n.end, 4),
                    "velocity": n.velocity,
                    **({"pitch_bends": [round(b, 3) for b in n.pitch_bends]} if n.pitch_bends else {}),
                }
                for n in self.notes
            ],
        }


def drum_transcriber() -> tuple[Callable[[DecodedAudio], Sequence[Any]], str]:
    """The drum model's ``transcribe_drums`` and the model's name; ModelUnavailable while it is absent."""
    try:
        module = importlib.import_module(DRUMS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DRUMS_MODULE:
            raise
        raise ModelUnavailable(f"drum transcription is not installed: {DRUM_MODEL_FILE} is missing") from exc
    function: Callable[[DecodedAudio], Sequence[Any]] = module.transcribe_drums
    return function, str(getattr(module, "MODEL_NAME", "dawg-drum-transcription"))


DRUM_NOTE_S = 0.1  # drum hits are onsets: written as 100 ms notes


def transcribe(
    audio: DecodedAudio,
    *,
    instrument: Instrument = "pitched",
    quantize: Fraction | None = None,
    quantize_text: str | None = None,
    options: NoteOptions = DEFAULT_OPTIONS,
) -> Transcription:
    """Transcribe decoded audio and write its MIDI file on the recording's beat grid.

    ``quantize``: a grid step as a fraction of a whole note (1/16), or None for the real times."""
    if instrument == "drums":
        drums, model = drum_transcriber()  # before the analysis: a missing model answers at once
        hits = drums(audio)
        notes = [MidiNote(h.pitch, float(h.time), float(h.time) + DRUM_NOTE_S, int(h.velocity)) for h in hits]
    else:
        notes = [
            MidiNote(n.pitch, n.start, n.end, n.velocity, n.pitch_bends) for n in transcribe_pitched(audio, options)
        ]
        model = MODEL_NAME
    analysis = analyze(audio)
    grid = beat_grid(analysis.beat_times, analysis.downbeat_times, analysis.time_signature, analysis.tempo)
    if quantize is not None and notes:
        starts, ends = quantize_times(
            grid, np.array([n.start for n in notes]), np.array([n.end for n in notes]), quantize
        )
        notes = [
            MidiNote(n.pitch, float(s), float(e), n.velocity, n.pitch_bends)
            for n, s, e in zip(notes, starts, ends, strict=True)
        ]
    notes.sort(key=lambda n: (n.start, n.pitch))
    midi = midi_file(notes, grid, drums=instrument == "drums", name=f"{instrument} transcription")
    return Transcription(
        instrument=instrument,
        notes=notes,
        midi=midi,
        model=model,
        tempo=analysis.tempo,
        time_signature=analysis.time_signature,
        beat_times=list(analysis.beat_times),
        downbeat_times=list(analysis.downbeat_times),
        quantize=quantize_text if quantize is not None else None,
        grid=grid,
    )
