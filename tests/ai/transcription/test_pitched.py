"""Pitched transcription (basic-pitch through ONNX Runtime) and the beat-grid tempo map, on
synthetic tones with known pitches and times."""

from __future__ import annotations

import contextvars
import dataclasses
import io
import subprocess
import sys
from fractions import Fraction

import mido
import numpy as np
import pytest

from ai import progress
from ai.audio.decode import DecodedAudio
from ai.transcription.pitched import (
    BASIC_PITCH_OPTIONS,
    DEFAULT_OPTIONS,
    NoteOptions,
    TranscribedNote,
    load_model,
    model_output,
    notes_from_output,
    pitched_notes,
    to_model_rate,
    transcribe_pitched,
)
from ai.transcription.tempo_map import BeatGrid, MidiNote, beat_grid, midi_file, parse_subdivision, quantize_times

SR = 44100
ARPEGGIO = [60, 64, 67, 72, 67, 64, 60]  # C major, one note every 0.5 s from 0.5 s
STEP_S = 0.5


def harmonic_tone(pitch: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A plucked tone: four harmonics, decaying."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    y: np.ndarray = np.sum([np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 5)], axis=0) * np.exp(-2.0 * t)
    return y


def arpeggio(sr: int = SR) -> DecodedAudio:
    y = np.zeros(int(sr * (1.0 + STEP_S * len(ARPEGGIO))))
    for i, pitch in enumerate(ARPEGGIO):
        start = int(sr * (0.5 + i * STEP_S))
        note = harmonic_tone(pitch, 0.45, sr)
        y[start : start + note.size] += 0.3 * note
    return DecodedAudio(samples=y[None].astype(np.float32), sample_rate=sr)


@pytest.fixture(scope="module")
def arpeggio_notes() -> list[TranscribedNote]:
    load_model()  # once per module
    return transcribe_pitched(arpeggio())


def test_every_arpeggio_note_is_found_within_50_ms(arpeggio_notes: list[TranscribedNote]) -> None:
    for i, pitch in enumerate(ARPEGGIO):
        onset = 0.5 + i * STEP_S
        found = [n for n in arpeggio_notes if n.pitch == pitch and abs(n.start - onset) <= 0.05]
        assert found, f"{pitch} at {onset} s not found in {arpeggio_notes}"
        assert abs(found[0].end - (onset + 0.45)) < 0.1
        assert 1 <= found[0].velocity <= 127


def test_no_wrong_fundamentals(arpeggio_notes: list[TranscribedNote]) -> None:
    # Extra notes may only be the tones' own upper harmonics (an octave and a fifth up, 19 semitones).
    expected = {(p, round(0.5 + i * STEP_S, 1)) for i, p in enumerate(ARPEGGIO)}
    for note in arpeggio_notes:
        if (note.pitch, round(note.start, 1)) not in expected:
            assert any(note.pitch - p in (12, 19, 24) for p, _ in expected), note


def test_a_bent_note_carries_its_bend() -> None:
    sr = 22050
    t = np.arange(int(1.5 * sr)) / sr
    f = 440.0 * 2 ** (np.clip(t - 0.5, 0, 0.5) * 2 / 12)  # A4 gliding up a whole tone from 0.5 s to 1 s
    phase = 2 * np.pi * np.cumsum(f) / sr
    y = 0.3 * np.sum([np.sin(h * phase) / h for h in range(1, 4)], axis=0)
    notes = transcribe_pitched(DecodedAudio(samples=y[None].astype(np.float32), sample_rate=sr))
    bent = [n for n in notes if n.pitch_bends]
    assert bent, notes
    # basic-pitch splits a whole-tone glide into notes; the bends of the gliding one rise.
    assert any(n.pitch_bends is not None and n.pitch_bends[-1] > n.pitch_bends[0] for n in bent), bent


def test_silence_and_tiny_audio_give_no_notes() -> None:
    assert transcribe_pitched(DecodedAudio(np.zeros((1, SR), dtype=np.float32), SR)) == []
    assert transcribe_pitched(DecodedAudio(np.zeros((2, 10), dtype=np.float32), SR)) == []


def test_thresholds_change_what_is_kept() -> None:
    strict = transcribe_pitched(arpeggio(), NoteOptions(onset_threshold=0.95, frame_threshold=0.9))
    assert len(strict) <= len(transcribe_pitched(arpeggio()))


def test_the_engine_reads_notes_off_onset_peaks() -> None:
    assert DEFAULT_OPTIONS.decoder == "onset-peaks" and BASIC_PITCH_OPTIONS.decoder == "basic-pitch"


def test_basic_pitch_decoding_is_basic_pitchs_own() -> None:
    model = load_model()
    output = model_output(to_model_rate(arpeggio()), model)
    ours = notes_from_output(output, BASIC_PITCH_OPTIONS, model)
    _, events = model.note_creation.model_output_to_notes(
        {key: value.copy() for key, value in output.items()}, onset_thresh=0.5, frame_thresh=0.3, min_note_len=11
    )
    assert sorted((round(n.start, 6), n.pitch) for n in ours) == sorted(
        (round(float(s), 6), int(p)) for s, _, p, _, _ in events
    )


def test_a_frequency_range_keeps_onset_peak_notes_inside_it(arpeggio_notes: list[TranscribedNote]) -> None:
    output = model_output(to_model_rate(arpeggio()))
    options = dataclasses.replace(DEFAULT_OPTIONS, minimum_frequency=300.0, maximum_frequency=600.0)
    inside = notes_from_output(output, options)
    assert inside and all(62 <= n.pitch <= 74 for n in inside)  # 300 Hz: D4 (62), 600 Hz: just under D5 (74)
    assert {(n.pitch, n.start) for n in inside} == {(n.pitch, n.start) for n in arpeggio_notes if 62 <= n.pitch <= 74}


def gliding_tone(pitch: int, seconds: float, decay: float, glide: float = 0.0, sr: int = 22050) -> np.ndarray:
    """Four harmonics; from 0.3 s the pitch glides up ``glide`` semitones over 0.3 s."""
    t = np.arange(int(seconds * sr)) / sr
    f = 440.0 * 2 ** ((pitch - 69 + glide * np.clip(t - 0.3, 0, 0.3) / 0.3) / 12)
    phase = 2 * np.pi * np.cumsum(f) / sr
    y: np.ndarray = np.sum([np.sin(h * phase) / h for h in range(1, 5)], axis=0) * np.exp(-decay * t)
    return y


def long_recording(sr: int = 22050) -> np.ndarray:
    """40 s: a G2 held 18 s (longer than a batch of windows, 13.2 s) under notes every 0.37 s, then
    notes alone every 0.8 s, some gliding (their bends are kept: they overlap no other note)."""
    y = np.zeros(40 * sr)
    y[sr // 2 : sr // 2 + 18 * sr] += 0.2 * gliding_tone(43, 18, 0.0)
    rng = np.random.default_rng(0)
    at = 1.0
    while at < 39:
        alone = at > 19
        glide = float(rng.choice([0, 1, 2])) if alone else 0.0
        note = 0.15 * gliding_tone(int(rng.integers(60, 80)), 0.6, 3.0, glide)
        y[int(at * sr) : int(at * sr) + note.size] += note
        at += 0.8 if alone else 0.37
    return y.astype(np.float32)


@pytest.mark.parametrize("pitch_bends", [True, False])
def test_notes_made_as_the_batches_come_are_the_whole_outputs_notes(pitch_bends: bool) -> None:
    model = load_model()
    y = long_recording()
    options = dataclasses.replace(DEFAULT_OPTIONS, pitch_bends=pitch_bends)
    whole = notes_from_output(model_output(y, model), options, model)  # the reference: the whole output decoded
    assert pitched_notes(y, options) == whole
    assert any(n.end - n.start > 13.2 for n in whole)  # a note held across batches
    assert len(whole) > 60 and (sum(1 for n in whole if n.pitch_bends) > 10) == pitch_bends


def test_importing_the_package_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from ai.transcription.pitched import load_model; load_model(); "
        "import api.routes.transcription; assert 'tensorflow' not in sys.modules, 'tensorflow imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# A clean interpreter imports basic-pitch; a finder makes its ``import coremltools`` log an INFO line on another
# logger first, standing in for a start-up step that finishes in another thread during the import.
_IMPORT_WITH_ANOTHER_LOG_LINE = """
import importlib.abc, logging, sys
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append((record.name, record.getMessage()))
logging.basicConfig(level=logging.INFO, handlers=[Keep()])
class LogThenMiss(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "coremltools":
            logging.getLogger("api.startup").info("start-up step 'mixing' done")
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, LogThenMiss())
from ai.transcription.pitched import _import_basic_pitch
_import_basic_pitch()
logging.warning("a warning of our own, after the import")
names = [r[1] for r in records]
assert ("api.startup", "start-up step 'mixing' done") in records, records
assert not any("is not installed" in m for m in names), names
assert "a warning of our own, after the import" in names, names
assert "tensorflow" not in sys.modules
"""


def test_importing_basic_pitch_silences_only_its_own_warnings() -> None:
    subprocess.run([sys.executable, "-c", _IMPORT_WITH_ANOTHER_LOG_LINE], check=True, timeout=120)


_IMPORT_WHILE_TENSORFLOW_IS_IMPORTED = """
import threading
from ai.tensorflow_import import TENSORFLOW_IMPORT_LOCK
from ai.transcription.pitched import _import_basic_pitch
done = threading.Event()
def load():
    _import_basic_pitch()
    done.set()
with TENSORFLOW_IMPORT_LOCK:  # Magenta importing TensorFlow in another thread
    threading.Thread(target=load, daemon=True).start()
    assert not done.wait(1.0), "basic-pitch hid TensorFlow while Magenta was importing it"
assert done.wait(60)
"""


def test_basic_pitch_waits_for_a_tensorflow_import_under_way() -> None:
    subprocess.run([sys.executable, "-c", _IMPORT_WHILE_TENSORFLOW_IS_IMPORTED], check=True, timeout=120)


# ----------------------------------------------------------------------------- tempo map


def drifting_beats() -> list[float]:
    """Beats from 0.3 s speeding up from 100 to 120 BPM."""
    times, t = [], 0.3
    for i in range(24):
        times.append(t)
        t += 60.0 / (100 + 20 * i / 23)
    return times


def test_the_tempo_map_puts_every_beat_on_a_beat_tick() -> None:
    beats = drifting_beats()
    grid = beat_grid(beats, downbeat_times=beats[1::4], time_signature="4/4")
    ticks = grid.to_ticks(beats)
    assert np.allclose(ticks / grid.ticks_per_beat, np.round(ticks / grid.ticks_per_beat), atol=1e-6)
    # The first downbeat (the second beat) starts a bar: the lead-in measure (a virtual beat before 0.3 s and
    # the pickup beat, 2/4) ends there and 4/4 begins.
    assert grid.meters() == [(0, 2, 4), (2 * grid.ticks_per_beat, 4, 4)]
    assert round(ticks[1] / grid.ticks_per_beat) == 2
    assert np.allclose(grid.to_seconds(ticks), beats)
    assert max(grid.bpm_at_beats()) <= 200  # the lead-in beat: 0.3 s of a 0.6-s beat, not four squeezed into it


def test_the_midi_file_plays_notes_at_their_real_times() -> None:
    beats = drifting_beats()
    grid = beat_grid(beats, beats[::4], "4/4")
    notes = [MidiNote(60 + i % 12, t + 0.013, t + 0.2, 90) for i, t in enumerate(beats)]
    # between the beats' notes: a note sounding with another keeps no bends (one channel's wheel bends them all)
    notes.append(MidiNote(62, 1.15, 1.45, 80, pitch_bends=(0.0, 0.5, 1.0, 1.0)))
    midi = mido.MidiFile(file=io.BytesIO(midi_file(notes, grid)))
    tempos = [m for m in midi.tracks[0] if m.type == "set_tempo"]
    assert len(tempos) == len(beats)  # the pickup, then one per beat after the first
    played = []
    now = 0.0
    for message in midi:  # mido applies the tempo map
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            played.append((message.note, now))
    assert len(played) == len(notes)
    wanted = sorted((n.start, n.pitch) for n in notes)
    assert all(abs(t - w) < 0.003 for (_, t), (w, _) in zip(sorted(played, key=lambda p: p[1]), wanted, strict=True))
    assert any(m.type == "pitchwheel" and m.pitch > 0 for m in midi.tracks[1])


def test_quantize_moves_notes_onto_the_detected_grid() -> None:
    beats = drifting_beats()
    grid = beat_grid(beats, beats[::4], "4/4")
    starts = np.array([beats[5] + 0.02, beats[9] - 0.03, (beats[10] + beats[11]) / 2 + 0.01])
    on, off = quantize_times(grid, starts, starts + 0.05, parse_subdivision("1/8"))
    assert abs(on[0] - beats[5]) < 1e-6 and abs(on[1] - beats[9]) < 1e-6
    assert abs(on[2] - (beats[10] + beats[11]) / 2) < 1e-6
    assert np.all(off > on)


def test_subdivisions_and_a_grid_without_beats() -> None:
    assert parse_subdivision("1/16") == Fraction(1, 16)
    assert parse_subdivision("1/8t") == Fraction(1, 12)
    with pytest.raises(ValueError):
        parse_subdivision("sixteenth")
    grid: BeatGrid = beat_grid([], tempo=90.0)
    assert grid.bpm_at_beats() == [90.0]
    assert abs(float(grid.to_seconds([480 * 3])[0]) - 2.0) < 1e-9


class _Cancelling:
    """A progress reporter (ai/progress.py) whose job is cancelled after ``after`` calls."""

    def __init__(self, after: int) -> None:
        self.after, self.calls = after, 0

    def update(self, fraction: float, stage: str | None) -> None:
        self.check()

    def check(self) -> None:
        self.calls += 1
        if self.calls > self.after:
            raise progress.Cancelled("cancelled")


@pytest.mark.parametrize("decoder", ["onset-peaks", "basic-pitch"])
def test_a_cancelled_transcription_stops_between_model_batches(decoder: str) -> None:
    """A cancelled job, or a synchronous request whose client hung up (api/client_watch.py), stops the
    model's runs at the next batch instead of transcribing the rest of the file, and frees the model."""
    y = np.tile(to_model_rate(arpeggio()), 8)  # about 40 s: several batches of windows
    reporter = _Cancelling(after=1)
    context = contextvars.copy_context()
    context.run(progress.attach, reporter)
    with pytest.raises(progress.Cancelled):
        context.run(pitched_notes, y, dataclasses.replace(DEFAULT_OPTIONS, decoder=decoder))
    assert reporter.calls == 2  # the first batch ran; the second was refused
    assert pitched_notes(to_model_rate(arpeggio()))  # the model's lock was given back
