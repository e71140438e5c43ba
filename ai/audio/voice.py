"""A human voice in a recording or a stem (singing or speech), heard by a voice-activity network: the mixing's
roles for an unnamed track (``ai.mixing.measure.role_from_audio``) and the analysis's speech (``ai.analysis.pipeline``).

The role classifier (``models/role_classifier.json``) learnt its roles from General MIDI renders, which hold
no voice: a stem of real speech named "Audio 3" came back "keys" or "bass" at 80-93 % (LibriSpeech), and
auto-level then balanced the voice as a bass. Silero VAD (MIT) is trained on speech in many languages and
noises; its ONNX network ships inside the ``silero-vad`` wheel (installed without the torch its own loaders
need, requirements-magenta.txt) and runs here with onnxruntime, 32 ms at a time at 16 kHz. A stem is a voice
when the network hears one in most of its sounding frames (:data:`VOICE_SHARE_MIN`); singing holds its notes
where speech glides (:data:`SINGING_HELD_MIN`). The figures: bench/README.md, mixing, session 39.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from ai.audio.stem_file import Frames, frame_count, read_frames

logger = logging.getLogger(__name__)

MODEL_NAME = "silero_vad"
SAMPLE_RATE = 16000
CHUNK = 512
"""Samples per step of the network at 16 kHz (32 ms), its own; it also reads the CONTEXT samples before."""
CONTEXT = 64
SEGMENT = 4 * SAMPLE_RATE
"""Excerpts of 4 s run side by side as one batch, each from a fresh state: 125 steps of the network read
a whole stem's worth of excerpts."""
MAX_SEGMENTS = 16
"""At most 64 s of a stem is heard, excerpts spread evenly over it: 0.14 s of one core for an instrument,
0.22 s for a voice (its pitch read too), beside the role features' 0.12-0.23 s; 128 s took 0.25-0.43 s."""
SOUNDING_DB = 40.0
"""Frames within this of the stem's loudest frame count (a voice's breaths and a bleed's floor do not)."""
VOICE_PROBABILITY = 0.5
"""The network's own threshold for a frame with speech in it."""
VOICE_SHARE_MIN = 0.6
"""A stem is a voice when the network hears one in this share of its sounding frames or more: every
rendered instrument stem of the mixing sets reads 0.38 or less, real speech and solo singing 0.73 and more
(bench/README.md, mixing, session 39)."""
HELD_SPAN = 10
"""A held note: the pitch stays within HELD_RANGE_ST for HELD_SPAN pitch frames (16 ms each: 160 ms)."""
HELD_RANGE_ST = 1.0
SINGING_HELD_MIN = 0.12
"""A voice is singing when this share of its voiced frames or more lies in held notes, else speech:
read speech 0.01-0.06, sung lines 0.15-0.47 (bench/README.md, mixing, session 39)."""


@dataclass(frozen=True)
class VoiceReading:
    """What the network heard in a stem."""

    share: float
    """The share of the sounding 32-ms frames with a voice in them."""
    held: float
    """The share of the voiced frames inside a held note (0 when no voice was heard)."""
    seconds: float
    """The seconds of the stem that were heard."""

    @property
    def role(self) -> str | None:
        """ "vocals" or "speech" when the stem is a voice, else None (the classifier decides)."""
        if self.share < VOICE_SHARE_MIN:
            return None
        return "vocals" if self.held >= SINGING_HELD_MIN else "speech"

    def describe(self) -> str:
        """The reading in words, for a role note."""
        kind = "holding notes" if self.held >= SINGING_HELD_MIN else "speaking, no held notes"
        return f"a voice in {self.share:.0%} of its sound, {kind}"


_session_lock = threading.Lock()
_session: Any = None  # onnxruntime.InferenceSession, loaded on first use
_session_error: str | None = None


def model_file() -> Path | None:
    """The ONNX file inside the installed silero-vad package (found without importing it: its
    ``__init__`` imports torch), or None when the package is not installed."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "data" / "silero_vad.onnx"


def _load() -> Any:
    """The network's session, or None (the reason logged once and kept for :func:`describe_voice_model`)."""
    global _session, _session_error
    with _session_lock:
        if _session is None and _session_error is None:
            path = model_file()
            try:
                import onnxruntime as ort

                if path is None or not path.is_file():
                    raise FileNotFoundError(f"silero-vad's ONNX model is not installed ({path})")
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1  # a small network; the requests' threads run it side by side
                options.inter_op_num_threads = 1
                _session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - onnxruntime's errors (InvalidProtobuf, Fail...) subclass Exception
                _session_error = f"{type(exc).__name__}: {exc}"
                logger.warning("voice detection not used: %s", _session_error)
        return _session


def describe_voice_model() -> dict[str, Any]:
    """What /api/v1/models and the status file can say of the network, without loading it."""
    path = model_file()
    entry: dict[str, Any] = {
        "name": MODEL_NAME,
        "family": "mixing",
        "serves": "a voice (singing or speech) in a track whose name says nothing",
        "path": str(path) if path else None,
        "available": bool(path and path.is_file() and importlib.util.find_spec("onnxruntime")),
        "loaded": _session is not None,
    }
    if _session_error is not None:
        entry["error"] = _session_error
    elif not entry["available"]:
        entry["error"] = "silero-vad 6.2.3 or onnxruntime is not installed (scripts/setup.sh installs them)"
    return entry


def _excerpts(y: Frames, sr: int, max_segments: int = MAX_SEGMENTS) -> np.ndarray:
    """np.ndarray [shape=(n, SEGMENT), float32]: up to ``max_segments`` 4-s excerpts of ``y``'s mono mix at 16 kHz,
    spread evenly over it (a stem shorter than 4 s is one excerpt, padded with silence)."""
    total = frame_count(y)
    length = round(SEGMENT * sr / SAMPLE_RATE)
    count = max(1, total // length)
    starts = np.unique(np.linspace(0, count - 1, min(count, max_segments)).round().astype(int)) * length
    out = np.zeros((len(starts), SEGMENT), dtype=np.float32)
    for row, start in enumerate(starts):
        block = read_frames(y, int(start), min(int(start) + length, total))
        mono = block.mean(axis=0, dtype=np.float32)
        heard = mono if sr == SAMPLE_RATE else soxr.resample(mono, sr, SAMPLE_RATE)
        out[row, : min(SEGMENT, len(heard))] = heard[:SEGMENT]
    return out


def _probabilities(session: Any, excerpts: np.ndarray) -> np.ndarray:
    """The network's voice probability of every 32-ms step of each excerpt [shape=(n, SEGMENT // CHUNK)]."""
    n = excerpts.shape[0]
    state = np.zeros((2, n, 128), dtype=np.float32)
    context = np.zeros((n, CONTEXT), dtype=np.float32)
    rate = np.array(SAMPLE_RATE, dtype=np.int64)
    steps = []
    for start in range(0, SEGMENT, CHUNK):
        x = np.concatenate([context, excerpts[:, start : start + CHUNK]], axis=1)
        probability, state = session.run(None, {"input": x, "state": state, "sr": rate})
        context = x[:, -CONTEXT:]
        steps.append(probability[:, 0])
    return np.stack(steps, axis=1)


def _held_share(excerpts: np.ndarray, voiced: np.ndarray) -> float:
    """The share of ``voiced`` pitch frames (16 ms, two per network step) inside a held note: the pitch (YIN)
    within HELD_RANGE_ST over the HELD_SPAN frames centred on the frame, all of them voiced."""
    import librosa  # heavy import, only when a voice was heard

    hop = CHUNK // 2
    held_total = voiced_total = 0
    for excerpt, steps in zip(excerpts, voiced, strict=True):
        f0 = librosa.yin(excerpt, fmin=70.0, fmax=1000.0, sr=SAMPLE_RATE, frame_length=4 * hop, hop_length=hop)
        frames = np.repeat(steps, 2)[: len(f0)]
        frames = np.pad(frames, (0, len(f0) - len(frames)))
        semitones = 12.0 * np.log2(f0 / 440.0)
        windows = np.lib.stride_tricks.sliding_window_view(semitones, HELD_SPAN)
        steady = (windows.max(axis=1) - windows.min(axis=1)) < HELD_RANGE_ST
        all_voiced = np.lib.stride_tricks.sliding_window_view(frames, HELD_SPAN).all(axis=1)
        held = np.zeros(len(f0), dtype=bool)  # a frame is held when the window centred on it is
        held[HELD_SPAN // 2 : HELD_SPAN // 2 + len(steady)] = steady & all_voiced
        held_total += int(np.count_nonzero(held & frames))
        voiced_total += int(np.count_nonzero(frames))
    return held_total / voiced_total if voiced_total else 0.0


def read_voice(y: Frames, sr: int, *, max_segments: int = MAX_SEGMENTS) -> VoiceReading | None:
    """What the network hears in the stem ``y`` (shape (channels, n)) at ``sr`` Hz, in at most ``max_segments``
    excerpts; None when the stem is silent or not finite, or the network cannot be loaded (:func:`describe_voice_model`
    says why) or run (logged)."""
    session = _load()
    if session is None or frame_count(y) == 0:
        return None
    excerpts = _excerpts(y, sr, max_segments)
    if not np.isfinite(excerpts).all():
        return None  # NaN read as a voice in every frame (a NaN level: its share was NaN, not under the minimum)
    try:
        probabilities = _probabilities(session, excerpts)
    except Exception as exc:  # noqa: BLE001 - onnxruntime's run errors: the voice is a hint, never a failed request
        logger.warning("voice detection failed: %s: %s", type(exc).__name__, exc)
        return None
    steps = probabilities.shape[1]
    level = np.sqrt(np.mean(np.square(excerpts[:, : steps * CHUNK].reshape(len(excerpts), steps, CHUNK)), axis=2))
    loudest = float(level.max())
    if loudest <= 0.0:
        return None
    sounding = level > loudest * 10.0 ** (-SOUNDING_DB / 20.0)
    voiced = (probabilities >= VOICE_PROBABILITY) & sounding
    share = float(np.count_nonzero(voiced) / np.count_nonzero(sounding))
    held = _held_share(excerpts, voiced) if share >= VOICE_SHARE_MIN else 0.0
    heard = min(frame_count(y) / sr, len(excerpts) * SEGMENT / SAMPLE_RATE)
    return VoiceReading(share=share, held=held, seconds=float(heard))
