"""Audio to MIDI: notes (pitched, or drums with the drum model), the recording's beat grid, optional
quantisation to it, and a MIDI file whose tempo map follows the recording.

The grid is the accompaniment's: the analysis's beats (on its 23 ms frame grid, with a beat tracker's
jitter) moved onto the recording's onsets and fitted to its tempo curve
(:func:`ai.generation.beat_following.followed_beats`). On the raw beats a steady 142 BPM render's map swung
136-152 BPM from beat to beat and quantised notes landed up to 28 ms off the true grid."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ai.analysis import drums_only
from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.pipeline import AnalysisResult, analyze_summary, heard_as_noise, summarize_audio, warm_up_music
from ai.analysis.rhythm.core import NOISE
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio
from ai.generation.beat_following import REFINE_SR, followed_beats, onset_cues
from ai.heap import release_free_memory
from ai.lead_in import snapped_beats
from ai.music_theory import parse_key
from ai.transcription.auto_instrument import (
    ChosenInstrument,
    InstrumentChoice,
    drums_choice,
    drums_for_no_notes,
    pitched_or_line,
)
from ai.transcription.one_line import DEFAULT_LINE
from ai.transcription.pitched import (
    DEFAULT_OPTIONS,
    MODEL_NAME,
    SAMPLE_RATE,
    NoteOptions,
    TranscribedNote,
    notes_and_line,
    pitched_notes,
)
from ai.transcription.tempo_map import (
    BeatGrid,
    MidiNote,
    beat_grid,
    bent_alone,
    midi_file,
    quantize_times,
    struck_once,
)
from utils.errors import ModelUnavailable

logger = logging.getLogger(__name__)

Instrument = Literal["pitched", "melody", "drums", "auto"]
"""pitched: polyphonic notes; melody: the same made one line (:mod:`~ai.transcription.one_line`); drums; auto: the
one of those three that fits the recording (:mod:`~ai.transcription.auto_instrument`)."""


@dataclass(frozen=True)
class Transcription:
    """What :func:`transcribe` found. ``notes``: at their real times, or on the grid with
    ``quantize``; ``midi``: the .mid file; ``beat_times``/``downbeat_times``: the grid used (s)."""

    instrument: ChosenInstrument  # with instrument=auto, the one chosen
    notes: list[MidiNote]
    midi: bytes
    model: str
    tempo: float | None
    time_signature: str | None
    key: str | None  # the recording's key as the analysis heard it, also the file's key signature (see _file_key)
    key_note: str | None  # why ``key`` is None: the file then has no key signature
    beat_times: list[float]
    downbeat_times: list[float]
    quantize: str | None
    quantize_note: str | None  # why ``quantize`` is None though one was asked (no beat grid to put notes on)
    bandwidth_note: str | None  # drums from a file whose rate cuts off where hi-hats and cymbals sound
    notes_note: str | None  # why ``notes`` is empty though the model read notes in the recording (noise)
    grid: BeatGrid
    analysis_beat_times: list[float]
    analysis_downbeat_times: list[float]
    instrument_note: str | None = None  # instrument=auto: what it chose and why

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "instrument_note": self.instrument_note,
            "model": self.model,
            "tempo": self.tempo,
            "time_signature": self.time_signature,
            "key": self.key,
            "key_note": self.key_note,
            "beat_times": self.beat_times,
            "downbeat_times": self.downbeat_times,
            "analysis_beat_times": self.analysis_beat_times,
            "analysis_downbeat_times": self.analysis_downbeat_times,
            "tempo_map_bpm": self.grid.bpm_at_beats(),
            "quantize": self.quantize,
            "quantize_note": self.quantize_note,
            "bandwidth_note": self.bandwidth_note,
            "notes_note": self.notes_note,
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
    """The drum model's ``transcribe_drums`` and the model's name, its network loaded (ModelUnavailable,
    503, when models/drum_transcription.npz is missing or broken). Imported here, not at the top, so
    that pitched transcription never loads the drum code."""
    from ai.transcription import drums

    drums.shipped_drum_net()
    return drums.transcribe_drums, drums.MODEL_NAME


if ANALYSIS_SR != REFINE_SR:  # the beats are followed on the analysis's mono signal as it is
    raise ImportError(f"the analysis rate {ANALYSIS_SR} Hz is not the beat refinement's {REFINE_SR} Hz")
if ANALYSIS_SR != SAMPLE_RATE:  # transcribe_summary feeds the analysis's mono signal to the models as it is
    raise ImportError(f"the analysis rate {ANALYSIS_SR} Hz is not the transcription models' {SAMPLE_RATE} Hz")

DRUM_NOTE_S = 0.1  # drum hits are onsets: written as 100 ms notes
DRUM_FULL_BAND_RATE = 12_000
"""Drum audio at a lower sample rate holds nothing above 6 kHz, where hi-hats and cymbals mostly sound: an 8 kHz
copy of a groove gave 6 hits where the full band gave 61 (QA pass, session 32), and the answer said nothing."""


def bandwidth_note(instrument: ChosenInstrument, sample_rate: int) -> str | None:
    """Why a drum transcription of a file at ``sample_rate`` Hz finds fewer hits than the drums played, or None."""
    if instrument != "drums" or sample_rate >= DRUM_FULL_BAND_RATE:
        return None
    return (
        f"the file's sample rate ({sample_rate} Hz) holds nothing above {sample_rate / 2000:g} kHz, where hi-hats and "
        "cymbals mostly sound: many of their hits cannot be heard in it (a recording at 44.1 or 48 kHz keeps them)"
    )


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
        drum_transcriber()  # before the analysis: a missing model answers at once
    return transcribe_summary(
        summarize_audio(audio), instrument=instrument, quantize=quantize, quantize_text=quantize_text, options=options
    )


def transcribe_summary(
    summary: SignalSummary,
    *,
    instrument: Instrument = "pitched",
    quantize: Fraction | None = None,
    quantize_text: str | None = None,
    options: NoteOptions = DEFAULT_OPTIONS,
) -> Transcription:
    """:func:`transcribe` of a signal summarised by the analysis's one pass (``summarize_file`` reads
    a file block by block into it, never holding the decoded file). Both models read the summary's mono
    signal: it is at their 22,050 Hz, the same samples as resampling the whole mono mix."""
    choice: InstrumentChoice | None = None
    if instrument == "auto":
        # The analysis first: whether drums alone sound decides which model reads the signal, which waits on disk
        # meanwhile (held in memory beside the analysis, it took a 30-minute file's peak from 254 to 321 MB).
        analysis, cues = _analysis_and_cues(summary, spill=True)
        release_free_memory()  # the analysis's working arrays, before the model's (ai/heap.py)
        if drums_only.said_of(analysis.notes):
            choice = drums_choice()
            notes, steady = _drum_notes(summary)
        else:
            # Noise holds no pitched note (the model reads a few in it): no line or chords to choose between.
            polyphonic, line = ([], []) if heard_as_noise(analysis.notes) else notes_and_line(summary.y, options)
            choice = pitched_or_line(polyphonic)
            notes, steady = _midi_notes(line if choice.instrument == "melody" else polyphonic), False
            if not polyphonic:  # no pitched note: a drum loop the drums-only model missed gets its hits
                try:
                    hits, steady = _drum_notes(summary)
                except ModelUnavailable:  # the drum model not installed: the (empty) pitched answer stands
                    hits = []
                if hits and not (steady and heard_as_noise(analysis.notes)):
                    choice, notes = drums_for_no_notes(len(hits)), hits
        summary.release_signal()
        chosen: ChosenInstrument = choice.instrument
    elif instrument == "drums":
        # The hits are found before the analysis: the network runs on stretches of its input
        # (drums.CHUNK_FRAMES), so the signal (159 MB at 30 minutes), the input (58 MB) and a stretch's
        # hidden states are all it holds, and the analysis then holds only the hits.
        notes, steady = _drum_notes(summary)
        analysis, cues = _analysis_and_cues(summary)
        chosen = "drums"
    else:
        if instrument == "melody" and options.line is None:
            options = dataclasses.replace(options, line=DEFAULT_LINE)
        notes, steady = _midi_notes(pitched_notes(summary.y, options)), False
        release_free_memory()  # what the model's threads freed, before the analysis allocates its own (ai/heap.py)
        analysis, cues = _analysis_and_cues(summary)  # the notes are made: nothing reads the signal after
        chosen = instrument
    model = drum_model_name() if chosen == "drums" else MODEL_NAME
    notes_note = None
    if notes and heard_as_noise(analysis.notes) and (chosen != "drums" or steady):
        # Pitched notes in noise, or hits in a steady noise, are the models' reading of the noise, not notes played
        # (white noise gave 2 notes and 28 hits, noise at -70 dBFS 8 and 30). Random clicks keep their hits.
        what = ("hit" if chosen == "drums" else "note") + ("s" if len(notes) > 1 else "")
        notes_note = (
            f"the recording has {NOISE}{'; its level holds steady' if chosen == 'drums' else ''}: "
            f"the {len(notes)} {what} the model read in it {'are' if len(notes) > 1 else 'is'} left out"
        )
        notes = []
    elif not notes and chosen != "drums" and heard_as_noise(analysis.notes):
        notes_note = f"the recording has {NOISE}: it holds no notes"
    beats, downbeats = _followed_grid(analysis.beat_times, analysis.downbeat_times, cues)
    grid = beat_grid(beats, downbeats, analysis.time_signature, analysis.tempo)
    quantize_note = None
    if quantize is not None and not beats:
        # No beats: the grid is a stand-in 120 BPM that is not the recording's, and a 2 s clip of a 124 BPM song had
        # its notes moved onto it. The notes keep their real times, and the answer says so.
        why = "; ".join(n for n in analysis.notes if "tempo" in n) or "no beats were found"
        quantize_note = f"the recording has no beat grid ({why}): the notes keep their real times"
        quantize = None
    if quantize is not None and notes:
        starts, ends = quantize_times(
            grid, np.array([n.start for n in notes]), np.array([n.end for n in notes]), quantize
        )
        notes = [
            MidiNote(n.pitch, float(s), float(e), n.velocity, n.pitch_bends)
            for n, s, e in zip(notes, starts, ends, strict=True)
        ]
    # The JSON's notes are the file's: no pitch struck again while it sounds, no bend on a note sounding with another.
    notes = bent_alone(struck_once(notes))
    key, key_note = _file_key(chosen, analysis, notes)
    midi = midi_file(
        notes,
        grid,
        drums=chosen == "drums",
        name=f"{chosen} transcription",
        end_s=analysis.duration,
        key_signature=parse_key(key).midi_key_signature if key else None,
    )
    return Transcription(
        instrument=chosen,
        notes=notes,
        midi=midi,
        model=model,
        tempo=analysis.tempo,
        time_signature=analysis.time_signature,
        key=key,
        key_note=key_note,
        beat_times=snapped_beats(beats),  # the file's: a first beat under 50 ms starts its grid (ai/lead_in.py)
        downbeat_times=snapped_beats(downbeats),
        quantize=quantize_text if quantize is not None else None,
        quantize_note=quantize_note,
        bandwidth_note=bandwidth_note(chosen, summary.sample_rate),
        notes_note=notes_note,
        grid=grid,
        analysis_beat_times=list(analysis.beat_times),
        analysis_downbeat_times=list(analysis.downbeat_times),
        instrument_note=choice.reason if choice is not None else None,
    )


def _midi_notes(found: Sequence[TranscribedNote]) -> list[MidiNote]:
    return [MidiNote(n.pitch, n.start, n.end, n.velocity, n.pitch_bends) for n in found]


def drum_model_name() -> str:
    from ai.transcription import drums

    return drums.MODEL_NAME


def _drum_notes(summary: SignalSummary) -> tuple[list[MidiNote], bool]:
    """The drum model's hits in the summary's signal as 100 ms notes (ModelUnavailable, 503, while the drum model is
    not installed), and whether the signal's level holds steady (:func:`ai.transcription.drums.steady`: noise, where
    the analysis heard noise); the signal is left to the caller."""
    from ai.transcription import drums

    drums.shipped_drum_net()
    if drums.SR != ANALYSIS_SR:
        raise RuntimeError(f"the drum model reads {drums.SR} Hz, the analysis's signal is {ANALYSIS_SR} Hz")
    # Nothing audible (silence, or DC alone: the analysis gives it no loudness) holds no hit; the network
    # would hear the steps at a constant signal's ends, where the resampler and the STFT meet zeros.
    silent = not np.any(summary.y) or summary.inaudible
    release_free_memory()  # what decoding freed in other threads, before the mel is made (ai/heap.py)
    features = drums.drum_features(summary.y)
    hits = [] if silent else drums.hits_of(features, signal=summary.y)
    steady = drums.steady(features.energy_db)
    del features
    release_free_memory()  # the mel's, the input's and the network's working arrays (ai/heap.py)
    return [MidiNote(h.pitch, float(h.time), float(h.time) + DRUM_NOTE_S, int(h.velocity)) for h in hits], steady


MIN_KEY_PITCH_CLASSES = 3
"""A file whose notes sound fewer pitch classes has no key to sign: the analysis refuses a key with fewer than
three sounding (ai/analysis/tonal.py), and a drum recording whose key the analysis still names (a kit's ringing
toms fit a key profile) transcribes to 0-1 pitched notes, which got 'B minor' or 'B major' as the file's key."""


def _file_key(
    instrument: ChosenInstrument, analysis: AnalysisResult, notes: Sequence[MidiNote]
) -> tuple[str | None, str | None]:
    """The key the file signs, for a DAW to show (the analysis's), and None with the reason where it signs none:
    drums, a recording without a key, or notes too few to be in one."""
    if instrument == "drums":
        return None, "drums have no key: the file has no key signature"
    if analysis.key is None:
        why = next((note for note in analysis.notes if note.endswith(("no key", "no key or chords"))), None)
        return None, f"the recording has no key{f' ({why})' if why else ''}: the file has no key signature"
    classes = len({n.pitch % 12 for n in notes})
    if classes < MIN_KEY_PITCH_CLASSES:
        found = "no notes were found" if not notes else f"the notes sound {classes} pitch class{'es' * (classes > 1)}"
        return (
            None,
            f"{found} (a key needs {MIN_KEY_PITCH_CLASSES}): no key signature, though the analysis heard {analysis.key}",
        )
    return analysis.key, None


def _analysis_and_cues(
    summary: SignalSummary, *, spill: bool = False
) -> tuple[AnalysisResult, tuple[np.ndarray, np.ndarray]]:
    """The analysis of ``summary`` and the onset cues (:func:`~ai.generation.beat_following.onset_cues`: 2.5 and
    10 MB for 30 minutes) its beats are followed on, taken from its signal in the analysis's one pass right
    before the signal goes, as the accompaniment takes its own (``last_look``): no second copy is kept.
    ``spill``: the caller reads the signal after the analysis; it waits in an unnamed temporary file
    (:func:`_spilled`) while the analysis runs, and ``summary.y`` maps it back after."""
    cues: list[tuple[np.ndarray, np.ndarray]] = []
    kept: list[np.ndarray] = []

    def look(taken: SignalSummary, _: object) -> None:
        cues.append(onset_cues(taken.y))
        if spill:
            try:
                kept.append(_spilled(taken.y))
            except OSError as exc:  # no room or no temporary folder: the signal stays in memory, the answer the same
                logger.warning("the signal stays in memory during the analysis: %s", exc)
                return
            taken.release_signal()

    analysis = analyze_summary(summary, release_signal=not spill, last_look=look)
    if kept:
        summary.y = kept[0]
    return analysis, cues[0]


def _spilled(y: np.ndarray) -> np.ndarray:
    """``y`` written to an unnamed temporary file and mapped back read-only: its pages come back as a model reads
    them and go with the mapping (the file has no name to leave behind)."""
    if y.size == 0:
        return y
    with tempfile.TemporaryFile(prefix="dawg-signal-") as handle:
        np.ascontiguousarray(y, dtype=np.float32).tofile(handle)
        handle.flush()
        return np.memmap(handle, dtype=np.float32, mode="r", shape=y.shape)


def _followed_grid(
    beat_times: Sequence[float], downbeat_times: Sequence[float], cues: tuple[np.ndarray, np.ndarray]
) -> tuple[list[float], list[float]]:
    """The analysis's beats followed onto the recording's onsets and tempo curve (the accompaniment's
    :func:`~ai.generation.beat_following.followed_beats`), and its downbeats as the followed beats nearest them."""
    env, bands = cues
    beats = followed_beats(env, bands, np.asarray(beat_times, dtype=np.float64))
    if len(beats) == 0:
        return [], []
    at = np.argmin(np.abs(beats[None, :] - np.asarray(downbeat_times, dtype=np.float64)[:, None]), axis=1)
    followed = [round(float(t), 4) for t in beats]
    return followed, [followed[i] for i in dict.fromkeys(at.tolist())]


WARM_UP_S = 8.0
"""Seconds of music the start-up transcriptions read: enough for beats, a grid and the models' windows."""


def warm_up() -> None:
    """Transcribe :func:`~ai.analysis.pipeline.warm_up_music` once with each model, quantised, as a request
    does, so that the models' first runs, the note creation's lazy imports and its numba kernels (compiled on
    a fresh install) are done before the first request: the first /transcribe of a 30-s clip took 18.1 s
    (drums 20.5 s) against 0.67 s (0.29 s) for the next ones on a fresh install (``bench/first_requests.py``)."""
    music = warm_up_music(WARM_UP_S)
    instruments: tuple[Instrument, ...] = ("pitched", "drums")  # melody: the pitched model and kernels
    for instrument in instruments:
        transcribe(music, instrument=instrument, quantize=Fraction(1, 16), quantize_text="1/16")


def describe_transcription_models() -> list[dict[str, Any]]:
    """What /api/v1/models and the status file say of the transcription models, without loading them
    (each loads on its first request): the file, whether it is there, whether it is loaded."""
    from ai.transcription import drums, pitched

    spec = importlib.util.find_spec("basic_pitch")
    onnx = Path(spec.origin).parent / "saved_models" / "icassp_2022" / "nmp.onnx" if spec and spec.origin else None
    runtime = importlib.util.find_spec("onnxruntime") is not None
    pitched_entry: dict[str, Any] = {
        "name": pitched.MODEL_NAME,
        "family": "transcription",
        "serves": "pitched and melody notes of /api/v1/transcribe (basic-pitch's ONNX model, run with onnxruntime)",
        "path": str(onnx) if onnx else None,
        "available": bool(onnx and onnx.is_file() and runtime),
        "loaded": pitched.loaded_model() is not None,
    }
    if not pitched_entry["available"]:
        pitched_entry["error"] = "basic-pitch 0.4.0 or onnxruntime is not installed (scripts/setup.sh installs them)"
    drum_file = drums.model_file()
    drum_entry: dict[str, Any] = {
        "name": drums.MODEL_NAME,
        "family": "transcription",
        "serves": "drum hits of /api/v1/transcribe?instrument=drums",
        "path": str(drum_file),
        "available": drum_file.is_file(),
        "loaded": drums.drum_net_loaded(),
    }
    return [pitched_entry, drum_entry]
