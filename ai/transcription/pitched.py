"""Polyphonic pitched transcription with Spotify's basic-pitch (ICASSP 2022) model, run with ONNX Runtime.

The model ships inside the ``basic-pitch`` wheel (``basic_pitch/saved_models/icassp_2022/nmp.onnx``);
nothing is downloaded. Inference mirrors ``basic_pitch.inference.run_inference`` (2-s windows that
overlap by 30 frames, half the overlap dropped at each side). Notes are read off its onset peaks
with a harmonics check (:mod:`ai.transcription.note_decoding`) as the model's output comes, a batch
of windows at a time (:mod:`ai.transcription.note_stream`: the whole file's output is never held),
or made by basic-pitch's own ``note_creation.model_output_to_notes`` (``NoteOptions(decoder="basic-pitch")``)
run on the output kept in files (:mod:`ai.transcription.basic_pitch_notes`); pitch bends and frame times
are basic-pitch's either way.
``basic_pitch.inference`` itself is not imported: it imports TensorFlow at module level, which the
engine keeps out of requests that do not need Magenta.

Model loading is lazy and happens once (:func:`load_model`), behind a lock.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Generator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
import soxr

from ai import progress
from ai.audio.decode import DecodedAudio
from ai.heap import release_free_memory
from ai.tensorflow_import import TENSORFLOW_IMPORT_LOCK
from ai.transcription.basic_pitch_notes import OutputFiles, note_events
from ai.transcription.note_decoding import LOWEST_MIDI, PeakDecoding, decode_notes
from ai.transcription.note_stream import NoteStream, StreamedNote
from ai.transcription.one_line import DEFAULT_LINE, Event, LineOptions, one_line
from utils.errors import ModelUnavailable, UndecodableAudio

logger = logging.getLogger(__name__)

MODEL_NAME = "basic-pitch-icassp-2022"
"""Spotify's basic-pitch (Bittner et al., ICASSP 2022), the ONNX export in basic-pitch 0.4.0."""

# basic-pitch's audio contract (basic_pitch/constants.py), repeated here so that callers can plan
# without loading the package; load_model checks that they agree.
SAMPLE_RATE = 22050
FFT_HOP = 256
FRAMES_PER_SECOND = SAMPLE_RATE // FFT_HOP  # 86 model frames per second
FRAMES_PER_SECOND_EXACT = SAMPLE_RATE / FFT_HOP  # 86.13: what note lengths in frames are rounded with
MAX_KEY = 87  # the posteriorgrams' last column (C8; the first is note_decoding.LOWEST_MIDI)
WINDOW_SAMPLES = SAMPLE_RATE * 2 - FFT_HOP  # AUDIO_N_SAMPLES: one model window (2 s less one hop)
OVERLAP_FRAMES = 30  # as basic-pitch's run_inference
OVERLAP_SAMPLES = OVERLAP_FRAMES * FFT_HOP
WINDOW_HOP = WINDOW_SAMPLES - OVERLAP_SAMPLES
BATCH_WINDOWS = 8
"""Windows per ONNX call. onnxruntime keeps the arena of its largest call: 16 windows peaked 220-340
MB on a 5-minute file, 8 windows 175 MB, at the same CPU time and with the same output bytes (4 windows
changed them in the last bits)."""

PITCH_BEND_BINS = 25
"""Contour bins each side of a note's pitch that its bends read (``get_pitch_bends``' default tolerance)."""

_ONNX_INPUT = "serving_default_input_2:0"
_ONNX_OUTPUTS = ("StatefulPartitionedCall:1", "StatefulPartitionedCall:2", "StatefulPartitionedCall:0")
_OUTPUT_KEYS = ("note", "onset", "contour")


_PEAKS = PeakDecoding()


@dataclass(frozen=True)
class NoteOptions:
    """Note-creation settings. ``decoder``: ``"basic-pitch"``, its own ``model_output_to_notes`` (the
    field defaults are its ``predict()`` defaults), or ``"onset-peaks"``, notes read off the onset
    peaks with a harmonics check (:mod:`ai.transcription.note_decoding`): the thresholds mean the same
    there; ``support_threshold``, the octave and harmonic ratios and ``minimum_dip`` are its own (their
    defaults: the engine's). The engine ships :data:`DEFAULT_OPTIONS`."""

    onset_threshold: float = 0.5
    frame_threshold: float = 0.3
    minimum_note_length_ms: float = 127.70
    minimum_frequency: float | None = None
    maximum_frequency: float | None = None
    melodia_trick: bool = True
    pitch_bends: bool = True
    bent_notes_renumbered: bool = False
    """A note bent half a semitone or more the same way for most of its length takes the note number it sounds
    at, its bends re-centred (:func:`renumbered`); basic-pitch keeps the number its posteriorgram gave."""
    decoder: Literal["basic-pitch", "onset-peaks"] = "basic-pitch"
    line: LineOptions | None = None
    """One note at a time (a melody: :func:`~ai.transcription.one_line.one_line`), or None: polyphonic."""
    support_threshold: float = _PEAKS.support_threshold
    lower_octave_ratio: float = _PEAKS.lower_octave_ratio
    upper_octave_ratio: float = _PEAKS.upper_octave_ratio
    harmonic_ratio: float = _PEAKS.harmonic_ratio
    minimum_dip: float = _PEAKS.minimum_dip


BASIC_PITCH_OPTIONS = NoteOptions()
"""basic-pitch's own defaults (onset 0.5, frame 0.3, 127.7 ms)."""
DEFAULT_OPTIONS = NoteOptions(
    decoder="onset-peaks",
    onset_threshold=_PEAKS.onset_threshold,
    frame_threshold=_PEAKS.frame_threshold,
    minimum_note_length_ms=12.0,  # one model frame: the onset support decides, not the length
    bent_notes_renumbered=True,
)
"""What the engine uses: onset-peak decoding with settings chosen by bench/transcription.py's tuning
step on chorales outside the evaluation list (through FluidR3 and MuseScore General) and band stems
of songs outside the scored set (bench/README.md has the figures on the held-out sets)."""
MELODY_OPTIONS = replace(DEFAULT_OPTIONS, line=DEFAULT_LINE)
"""``instrument=melody``: the engine's notes made one line (:mod:`ai.transcription.one_line`)."""


@dataclass(frozen=True)
class TranscribedNote:
    """One note. ``pitch_bends``: bends in semitones, evenly spaced from start to end (one per model
    frame, as basic-pitch gives them), or None (no bend, or the note overlaps another: MIDI bends
    act on the whole channel)."""

    pitch: int
    start: float
    end: float
    velocity: int
    pitch_bends: tuple[float, ...] | None = field(default=None)


@dataclass
class PitchedModel:
    """The ONNX session and basic-pitch's note-creation module, loaded once."""

    session: Any  # onnxruntime.InferenceSession
    note_creation: ModuleType
    path: Path
    shrink: Any = None
    """onnxruntime.RunOptions that give the arena's free memory back at the end of the run."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def run(self, windows: np.ndarray, *, last: bool = False) -> dict[str, np.ndarray]:
        """Model outputs of windows [shape=(n, WINDOW_SAMPLES, 1)]: note, onset [(n, frames, 88)], contour [(n, frames, 264)].

        ``last``: the request's last run. onnxruntime's arena keeps what its largest run used (~115 MB
        for BATCH_WINDOWS windows); after the last run it gives it back, so that the analysis that
        follows a transcription does not run on top of it (the next request grows it again)."""
        outputs = self.session.run(list(_ONNX_OUTPUTS), {_ONNX_INPUT: windows}, self.shrink if last else None)
        return dict(zip(_OUTPUT_KEYS, outputs, strict=True))


_model_lock = threading.Lock()
_model: PitchedModel | None = None


class _DropBasicPitchRootWarnings(logging.Filter):
    """Drops the records basic-pitch's ``__init__`` logs on the root logger ("X is not installed" for model
    formats this engine does not use). A filter on the root logger sees only records logged to it directly,
    so every other logger, and every other thread, keeps its records (``logging.disable`` would silence the
    whole process: start-up steps finishing in other threads lost their log lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}basic_pitch{os.sep}" not in record.pathname


def _import_basic_pitch() -> tuple[ModuleType, Path]:
    """basic-pitch's note_creation module and the ONNX model's path, without importing TensorFlow.

    ``basic_pitch/__init__.py`` tries ``import tensorflow`` to choose its default model format. While
    it runs (a few milliseconds: its heavy imports are done first) ``sys.modules["tensorflow"]`` is
    None, so that attempt fails fast; if TensorFlow is already loaded (Magenta ran) it is left alone.
    TENSORFLOW_IMPORT_LOCK keeps Magenta's own import of TensorFlow out of that moment.
    """
    import librosa  # noqa: F401  (basic-pitch's own imports, loaded before the guarded window)
    import mir_eval  # noqa: F401
    import onnxruntime  # noqa: F401
    import pretty_midi  # noqa: F401
    import resampy  # noqa: F401

    quiet = _DropBasicPitchRootWarnings()
    with TENSORFLOW_IMPORT_LOCK:
        guard = "tensorflow" not in sys.modules
        if guard:
            sys.modules["tensorflow"] = None  # type: ignore[assignment]
        logging.root.addFilter(quiet)
        try:
            import basic_pitch
            import basic_pitch.constants as constants
            import basic_pitch.note_creation as note_creation
        finally:
            logging.root.removeFilter(quiet)
            if guard and sys.modules.get("tensorflow", 0) is None:
                del sys.modules["tensorflow"]
    expected = (constants.AUDIO_SAMPLE_RATE, constants.FFT_HOP, constants.AUDIO_N_SAMPLES)
    if expected != (SAMPLE_RATE, FFT_HOP, WINDOW_SAMPLES):
        raise ModelUnavailable(f"basic-pitch's audio contract changed ({expected}); this engine expects 0.4.0")
    return note_creation, Path(basic_pitch.__file__).parent / "saved_models" / "icassp_2022" / "nmp.onnx"


def loaded_model() -> PitchedModel | None:
    """The model if a request has loaded it already, else None (nothing is loaded here)."""
    return _model


def load_model() -> PitchedModel:
    """The basic-pitch model (loaded on first use; raises ModelUnavailable if it cannot be)."""
    global _model
    with _model_lock:
        if _model is None:
            try:
                note_creation, path = _import_basic_pitch()
                import onnxruntime as ort
            except ImportError as exc:
                raise ModelUnavailable(
                    f"pitched transcription needs basic-pitch 0.4.0 and onnxruntime ({exc}); run scripts/setup.sh"
                ) from exc
            if not path.is_file():
                raise ModelUnavailable(f"basic-pitch's ONNX model is missing: {path}")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 2  # the machine's cores; requests run one inference at a time
            # Without a memory pattern (one block planned for all of a run's tensors) the arena reuses the
            # tensors freed during a run: a run of BATCH_WINDOWS windows peaks at ~100 MB instead of 117 or
            # 177 MB (it varied from process to process), the same output bytes, the same time.
            options.enable_mem_pattern = False
            session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
            shrink = ort.RunOptions()
            shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
            _model = PitchedModel(session=session, note_creation=note_creation, path=path, shrink=shrink)
            logger.info("loaded %s from %s", MODEL_NAME, path)
        return _model


def to_model_rate(audio: DecodedAudio) -> np.ndarray:
    """Mono float32 at basic-pitch's 22050 Hz [shape=(n,)]."""
    mono = audio.mono().astype(np.float32, copy=False)
    if not np.all(np.isfinite(mono)):
        raise UndecodableAudio("the audio holds NaN or infinite samples")
    if audio.sample_rate == SAMPLE_RATE:
        return mono
    resampled: np.ndarray = soxr.resample(mono, audio.sample_rate, SAMPLE_RATE, quality="HQ")
    return resampled.astype(np.float32, copy=False)


def _window_batch(y: np.ndarray, starts: range) -> np.ndarray:
    """Model windows [shape=(len(starts), WINDOW_SAMPLES, 1)] of ``y`` padded at the front with half
    the overlap (as run_inference pads it), zero past the end, cut straight from ``y``."""
    lead = OVERLAP_SAMPLES // 2
    windows = np.zeros((len(starts), WINDOW_SAMPLES, 1), dtype=np.float32)
    for i, start in enumerate(starts):
        lo, hi = max(start - lead, 0), min(start - lead + WINDOW_SAMPLES, y.shape[0])
        if hi > lo:
            at = lo - (start - lead)
            windows[i, at : at + hi - lo, 0] = y[lo:hi]
    return windows


def output_batches(y: np.ndarray, model: PitchedModel | None = None) -> Generator[dict[str, np.ndarray], None, None]:
    """basic-pitch's frame-wise output of mono audio ``y`` at 22050 Hz [shape=(n,)], one batch of
    BATCH_WINDOWS windows after the other: note, onset [shape=(frames, 88)] and contour
    [shape=(frames, 264)] of the batch's frames, in order (run_inference's output, cut where the
    batches meet; a batch may have no frames). Holds the model's lock until it is exhausted or closed
    (iterate it whole, or under ``contextlib.closing``).

    Windows are cut a batch at a time, so neither a padded copy of ``y`` nor all windows exist whole
    (a 30-minute file's windows alone are 190 MB); the batches are run_inference's, so the output is
    the same."""
    model = model or load_model()
    y = y.astype(np.float32, copy=False)
    n_frames = int(np.floor(y.shape[0] * (FRAMES_PER_SECOND / SAMPLE_RATE)))
    starts = range(0, y.shape[0] + OVERLAP_SAMPLES // 2, WINDOW_HOP)
    half = OVERLAP_FRAMES // 2
    filled = 0
    with model._lock:  # one session, used by one request at a time (it has its own threads)
        for first in range(0, len(starts), BATCH_WINDOWS):
            progress.report(first / len(starts))  # a job's progress; a cancelled job or a gone client stops here
            windows = _window_batch(y, starts[first : first + BATCH_WINDOWS])
            batch = {
                key: value[:, half:-half, :].reshape(-1, value.shape[2])[: max(n_frames - filled, 0)]  # unwrap_output
                for key, value in model.run(windows, last=first + BATCH_WINDOWS >= len(starts)).items()
            }
            filled += batch["note"].shape[0]
            yield batch


def model_output(y: np.ndarray, model: PitchedModel | None = None) -> dict[str, np.ndarray]:
    """:func:`output_batches` of ``y`` put together: note, onset [shape=(frames, 88)] and contour
    [shape=(frames, 264)] of the whole file, as basic-pitch's run_inference gives them (the
    ``basic-pitch`` decoder reads them whole; the engine's decodes the batches as they come)."""
    n_frames = int(np.floor(y.shape[0] * (FRAMES_PER_SECOND / SAMPLE_RATE)))
    out: dict[str, np.ndarray] = {}
    filled = 0
    with closing(output_batches(y, model)) as batches:
        for batch in batches:
            for key, value in batch.items():
                if key not in out:
                    out[key] = np.empty((n_frames, value.shape[1]), dtype=value.dtype)
                out[key][filled : filled + value.shape[0]] = value
            filled += batch["note"].shape[0]
    return {key: value[:filled] for key, value in out.items()}


def _key_range(options: NoteOptions) -> tuple[int, int]:
    """The lowest and highest posteriorgram column (piano key from A0) within the options' frequencies."""
    low, high = 0, MAX_KEY
    if options.minimum_frequency is not None:
        low = int(np.round(12 * np.log2(options.minimum_frequency / 440.0) + 69 - LOWEST_MIDI))
    if options.maximum_frequency is not None:  # basic-pitch's bound: its column itself is left out
        high = int(np.round(12 * np.log2(options.maximum_frequency / 440.0) + 69 - LOWEST_MIDI)) - 1
    return max(low, 0), min(high, MAX_KEY)


def _peak_decoding(options: NoteOptions) -> PeakDecoding:
    """The onset-peak decoder's settings of the options."""
    lowest, highest = _key_range(options)
    return PeakDecoding(
        onset_threshold=options.onset_threshold,
        support_threshold=options.support_threshold,
        frame_threshold=options.frame_threshold,
        minimum_note_frames=int(np.round(options.minimum_note_length_ms / 1000 * FRAMES_PER_SECOND_EXACT)),
        lower_octave_ratio=options.lower_octave_ratio,
        upper_octave_ratio=options.upper_octave_ratio,
        harmonic_ratio=options.harmonic_ratio,
        minimum_dip=options.minimum_dip,
        lowest_key=lowest,
        highest_key=highest,
    )


def _bend_band(note_creation: ModuleType, pitch: int) -> tuple[int, int]:
    """The contour columns ``[lo, hi)`` that ``get_pitch_bends`` reads for a note at ``pitch``."""
    centre = int(np.round(note_creation.midi_pitch_to_contour_bin(pitch)))
    return max(centre - PITCH_BEND_BINS, 0), min(centre + PITCH_BEND_BINS + 1, note_creation.N_FREQ_BINS_CONTOURS)


def _note_bends(note_creation: ModuleType, note: StreamedNote) -> list[int] | None:
    """basic-pitch's ``get_pitch_bends`` of one finished note from its own band of the contour."""
    if note.band is None:
        return None
    rows = np.zeros((note.end - note.start, note_creation.N_FREQ_BINS_CONTOURS), dtype=note.band.dtype)
    lo, hi = _bend_band(note_creation, note.pitch)
    rows[:, lo:hi] = note.band  # the columns outside the band are not read
    event = (0, note.end - note.start, note.pitch, note.amplitude)
    [(*_, bends)] = note_creation.get_pitch_bends(rows, [event], n_bins_tolerance=PITCH_BEND_BINS)
    return list(bends)


def notes_from_output(
    output: dict[str, np.ndarray], options: NoteOptions = DEFAULT_OPTIONS, model: PitchedModel | None = None
) -> list[TranscribedNote]:
    """Notes of a model output, made by the options' decoder: basic-pitch's model_output_to_notes, or
    :func:`ai.transcription.note_decoding.decode_notes` with basic-pitch's pitch bends and frame times."""
    model = model or load_model()
    if output["note"].shape[0] == 0:
        return []
    nc = model.note_creation
    if options.decoder == "onset-peaks":
        frame_events = decode_notes(output["onset"], output["note"], _peak_decoding(options))
        if options.pitch_bends:
            with_bends = nc.get_pitch_bends(output["contour"], frame_events, n_bins_tolerance=PITCH_BEND_BINS)
        else:
            with_bends = [(*event, None) for event in frame_events]
        times = nc.model_frames_to_time(output["contour"].shape[0])
        events = [
            (times[start], times[end], pitch, amplitude, bends) for start, end, pitch, amplitude, bends in with_bends
        ]
    else:
        min_len = _minimum_frames(options)
        with np.errstate(invalid="ignore", divide="ignore"):  # its onset inference divides by 0 on silence
            _, events = nc.model_output_to_notes(
                output,
                onset_thresh=options.onset_threshold,
                frame_thresh=options.frame_threshold,
                min_note_len=min_len,
                min_freq=options.minimum_frequency,
                max_freq=options.maximum_frequency,
                include_pitch_bends=options.pitch_bends,
                multiple_pitch_bends=False,
                melodia_trick=options.melodia_trick,
            )
    return _notes_of_events(events, options, nc)


def _notes_of_events(
    events: list[tuple[float, float, int, float, list[int] | None]], options: NoteOptions, note_creation: ModuleType
) -> list[TranscribedNote]:
    """Notes of ``(start s, end s, pitch, amplitude, bends in contour bins)`` events, sorted by start then pitch;
    the bends measured from the note's own bin (CONTOUR_BIN_OFFSET), a note that sounds on its neighbour
    renumbered (:func:`renumbered`) with ``options.bent_notes_renumbered``."""
    if options.line is not None:
        events = one_line(events, 1.0 / FRAMES_PER_SECOND_EXACT, options.line)
    if options.pitch_bends:
        # One MIDI channel: a bend on a note that overlaps another would bend both (basic-pitch's rule).
        events = note_creation.drop_overlapping_pitch_bends(events)
    notes = []
    for start, end, pitch, amplitude, bends in events:
        semitones = None
        if bends is not None:
            bends = [int(b) - CONTOUR_BIN_OFFSET for b in bends]
            if options.bent_notes_renumbered:
                pitch, bends = renumbered(int(pitch), bends)
        if bends is not None and any(bends):
            semitones = tuple(round(b / BINS_PER_SEMITONE, 4) for b in bends)
        notes.append(
            TranscribedNote(
                pitch=int(pitch),
                start=float(start),
                end=float(end),
                velocity=int(np.clip(np.round(127 * amplitude), 1, 127)),
                pitch_bends=semitones,
            )
        )
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes


BINS_PER_SEMITONE = 3  # basic-pitch's contour: a bend is a whole number of 1/3-semitone bins
CONTOUR_BIN_OFFSET = 1
"""Contour bins by which basic-pitch's ``get_pitch_bends`` reads every note sharp: it measures from bin
3 * (pitch - 21), but a tone in tune peaks one bin above (the middle of its semitone's three). A 440 Hz tone
got +1/3 semitone for its whole length (also at 82 Hz and 1 kHz; +33 cents gave +2/3, +80 cents the next note
and 0): every sustained note was written a third of a semitone sharp (basic-pitch issue #87: bends that
return to 1365, not 0), and the QA's notes "held +2/3 semitone" sounded 1/3 sharp."""


def renumbered(pitch: int, bends: Sequence[int]) -> tuple[int, list[int]]:
    """``pitch`` and its ``bends`` (contour bins) moved to the semitone nearest the note's median bend, ties
    (a median of exactly half a semitone) kept: a note that sounds half a semitone or more from its number
    (2/3 in the contour's steps, measured from the note's own bin: CONTOUR_BIN_OFFSET) for more than half its
    frames, the same way, is the neighbouring note (the note posteriorgram named one semitone, the contour
    heard another). The median, not the mean, so that a slide into the note or a fall at its end (a few frames
    far off) does not move a note held in tune."""
    if len(bends) == 0:
        return pitch, list(bends)
    median = float(np.median(bends)) / BINS_PER_SEMITONE
    shift = int(np.sign(median) * np.ceil(abs(median) - 0.5))  # nearest semitone, a tie towards 0
    if shift == 0:
        return pitch, list(bends)
    return pitch + shift, [int(b) - BINS_PER_SEMITONE * shift for b in bends]


def streamed_notes(
    y: np.ndarray, options: NoteOptions = DEFAULT_OPTIONS, model: PitchedModel | None = None
) -> list[TranscribedNote]:
    """:func:`notes_from_output` of :func:`model_output` with the onset-peak decoder, made while the
    batches come (:class:`~ai.transcription.note_stream.NoteStream`), each note's bends from its own
    contour frames when it ends: the same notes, without the whole file's output (274 MB at 30 minutes)."""
    model = model or load_model()
    return _notes_of_events(_streamed_events(y, options, model), options, model.note_creation)


def _streamed_events(y: np.ndarray, options: NoteOptions, model: PitchedModel) -> list[Event]:
    """The onset-peak decoder's events of :func:`streamed_notes`, before they are made notes."""
    nc = model.note_creation
    stream = NoteStream(_peak_decoding(options), functools.partial(_bend_band, nc) if options.pitch_bends else None)
    frame_events: list[tuple[int, int, int, float, list[int] | None]] = []

    def keep(finished: list[StreamedNote]) -> None:
        frame_events.extend((n.start, n.end, n.pitch, n.amplitude, _note_bends(nc, n)) for n in finished)

    with closing(output_batches(y, model)) as batches:
        for batch in batches:
            keep(stream.add(batch["onset"], batch["note"], batch["contour"] if options.pitch_bends else None))
    keep(stream.finish())
    if not frame_events:
        return []
    frame_events.sort(key=lambda event: (event[0], event[2]))  # decode_notes' order
    times = nc.model_frames_to_time(stream.frames)
    return [(times[start], times[end], pitch, amplitude, bends) for start, end, pitch, amplitude, bends in frame_events]


def notes_and_line(
    y: np.ndarray, options: NoteOptions = DEFAULT_OPTIONS
) -> tuple[list[TranscribedNote], list[TranscribedNote]]:
    """The polyphonic notes of :func:`pitched_notes` (``options.line`` ignored) and the same notes made one line
    (``options.line``, or :data:`~ai.transcription.one_line.DEFAULT_LINE`), from one run of the model: what
    ``instrument=auto`` chooses between (:mod:`ai.transcription.auto_instrument`)."""
    model = load_model()
    polyphonic = replace(options, line=None)
    line = replace(options, line=options.line or DEFAULT_LINE)
    if y.shape[0] < FFT_HOP:
        return [], []
    if options.decoder == "onset-peaks":
        events = _streamed_events(y, options, model)
        if not events:
            return [], []
    else:
        events = _filed_events(y, options, model)
    nc = model.note_creation
    return _notes_of_events(events, polyphonic, nc), _notes_of_events(events, line, nc)


def transcribe_pitched(audio: DecodedAudio, options: NoteOptions = DEFAULT_OPTIONS) -> list[TranscribedNote]:
    """Pitched notes (polyphonic) of decoded audio: onsets, offsets, velocities and pitch bends.

    Raises ModelUnavailable if basic-pitch cannot be loaded, UndecodableAudio for NaN samples."""
    return pitched_notes(to_model_rate(audio), options)


def pitched_notes(y: np.ndarray, options: NoteOptions = DEFAULT_OPTIONS) -> list[TranscribedNote]:
    """:func:`transcribe_pitched` of the mono signal at SAMPLE_RATE [shape=(n,)] (:func:`to_model_rate`'s,
    or the analysis's one-pass signal: the same samples)."""
    model = load_model()
    if y.shape[0] < FFT_HOP:
        return []
    if options.decoder == "onset-peaks":
        return streamed_notes(y, options, model)
    return filed_notes(y, options, model)


def filed_notes(
    y: np.ndarray, options: NoteOptions = BASIC_PITCH_OPTIONS, model: PitchedModel | None = None
) -> list[TranscribedNote]:
    """:func:`notes_from_output` of :func:`model_output` with basic-pitch's own note creation, its outputs
    written into files as the batches come and its steps run on them
    (:func:`ai.transcription.basic_pitch_notes.note_events`): the same notes, without the whole file's
    output and basic-pitch's copies of it in memory (~270 MB and more at 30 minutes)."""
    model = model or load_model()
    return _notes_of_events(_filed_events(y, options, model), options, model.note_creation)


def _filed_events(y: np.ndarray, options: NoteOptions, model: PitchedModel) -> list[Event]:
    """basic-pitch's note creation's events of :func:`filed_notes`, before they are made notes."""
    with OutputFiles.create() as files:
        with closing(output_batches(y, model)) as batches:
            for batch in batches:
                files.append(batch)
        release_free_memory()  # the model runs' freed arrays, before the note creation's (ai/heap.py)
        if files.note.n_rows == 0:
            return []
        return note_events(
            files,
            model.note_creation,
            onset_thresh=options.onset_threshold,
            frame_thresh=options.frame_threshold,
            min_note_len=_minimum_frames(options),
            min_freq=options.minimum_frequency,
            max_freq=options.maximum_frequency,
            include_pitch_bends=options.pitch_bends,
            melodia_trick=options.melodia_trick,
        )


def _minimum_frames(options: NoteOptions) -> int:
    """The options' minimum note length in model frames (as basic-pitch rounds it)."""
    return int(np.round(options.minimum_note_length_ms / 1000 * FRAMES_PER_SECOND_EXACT))
