"""Drum transcription: kick, snare, hi-hats, toms and cymbals as GM drum notes, from a stem or a mix.

No drum transcription model can be downloaded here, so the engine trains its own
(``python -m training.drum_transcription``) on audio it can label exactly: MMA grooves and random
kit patterns rendered with FluidSynth through several GM soundfonts and a sampled kit, alone and
mixed under the grooves' other parts, with rooms, compression, noise and MP3 round trips. It ships
as models/drum_transcription.npz (card: models/drum_transcription.md) and is evaluated here in
numpy, as ai/analysis/beat_net.py evaluates the beat network: no deep-learning runtime at run time.

Architecture (the training module builds the same graph in Keras):

    input [T, N_MELS]  log-compressed mel at ~100 frames/s (:func:`network_input`); a model file's
                       ``input_view`` may add (or swap in) its percussive part (:func:`view_input`)
    conv k=3, ELU; conv k=3, ELU                     (front end, "same" padding)
    residual blocks, dilation 1, 2, 4, 8:            x + conv1x1(ELU(conv k=3, dilated))
    dense -> one sigmoid per class                   (an onset of that class at this frame)

A model file may hold several such networks, trained alike from different random starts: their
activations are averaged (an ensemble; one network's hi-hat moved by up to 0.04 F1 from one start to
another on kits it had not heard). Onsets are the activation's local maxima above a per-class threshold (chosen on a validation split
of the training renders and stored with the weights); a model file with a hi-hat threshold picks the
hi-hat as one instrument instead (:func:`hihat_peaks`). Velocity comes from the level of the attack.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from ai.analysis.features import stft_blocks
from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.model_files import model_path
from ai.percentile import positive_percentile
from ai.tcn import FrontLayer, ResidualBlock, tcn_arrays, tcn_from_arrays, tcn_probabilities
from ai.transcription.sub_kick import is_sub_bass_kick
from utils.errors import ModelUnavailable

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "drum_transcription.npz"
MODEL_NAME = "drum_transcription"
"""The model's name as responses report it (its card: models/drum_transcription.md)."""

# The audio contract: everything else follows from these.
SR = 22050
HOP = 220
N_FFT = 1024
N_MELS = 80
FMIN = 30.0
FMAX = 11000.0
FRAME_RATE = SR / HOP
"""About 100.2 frames per second."""
INPUT_GAMMA = 100.0
INPUT_REFERENCE_PERCENTILE = 99.5
MIN_REFERENCE = 1e-3
"""Floor of the level reference (mel magnitude): near-silence is not amplified into hits."""
CHUNK_FRAMES = 16384
"""The network runs on stretches of this many frames (2.7 minutes; with its reach of real frames on
each side): a 30-minute file's hidden states would be 46 MB per array, a stretch's are 4 MB. Files up
to this long are evaluated in one pass."""
KICK = 36
TOMS = frozenset({45, 48, 50})
"""The GM notes of the kick and of the three toms (as CLASSES writes them)."""
MIN_GAP_S = 0.03
"""Two onsets of one class closer than this are one hit."""
INPUT_VIEWS = ("mel", "mel+percussive", "percussive")
"""What a model reads (its file's ``input_view``; files without one read "mel", the shipped file's
input): the log mel; the log mel beside the log of its percussive part (:func:`percussive_mel`), 2 x
N_MELS features; or the percussive part alone."""
HPSS_FRAMES = 17
"""Frames (~0.17 s) of the median across time that estimates the sustained (harmonic) part."""
HPSS_BANDS = 7
"""Mel bands of the median across frequency that estimates the percussive part."""
HPSS_BLOCK = 8192
"""Frames per block of :func:`percussive_mel` (with HPSS_FRAMES // 2 real frames on each side: the
same values as one pass, without whole-file temporaries for a long file)."""

CLASSES: tuple[tuple[str, int], ...] = (
    ("kick", 36),
    ("snare", 38),
    ("hihat_closed", 42),
    ("hihat_open", 46),
    ("tom_low", 45),
    ("tom_mid", 48),
    ("tom_high", 50),
    ("crash", 49),
    ("ride", 51),
)
"""Output classes in the network's order: (name, the GM drum note a hit of that class is written as)."""
CLASS_NAMES = tuple(name for name, _ in CLASSES)
HIHAT_CLOSED = CLASS_NAMES.index("hihat_closed")
HIHAT_OPEN = CLASS_NAMES.index("hihat_open")
GM_TO_CLASS: dict[int, str] = {
    35: "kick",
    36: "kick",
    38: "snare",
    40: "snare",
    42: "hihat_closed",
    44: "hihat_closed",
    46: "hihat_open",
    41: "tom_low",
    43: "tom_low",
    45: "tom_low",
    47: "tom_mid",
    48: "tom_mid",
    50: "tom_high",
    49: "crash",
    52: "crash",
    55: "crash",
    57: "crash",
    51: "ride",
    53: "ride",
    59: "ride",
}
"""Which class a GM drum note belongs to (notes not listed, e.g. side stick, claps and Latin
percussion, are no class: the model learns to ignore them)."""


@dataclass(frozen=True)
class DrumHit:
    """One transcribed hit: onset ``time`` (s), GM drum note ``pitch``, ``velocity`` 1..127."""

    time: float
    pitch: int
    velocity: int


@functools.lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    import librosa  # imported here: the service imports this module without paying for librosa

    filters: np.ndarray = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX)
    return filters.astype(np.float32)


def to_model_rate(audio: DecodedAudio) -> np.ndarray:
    """Mono mix of ``audio`` at SR -> np.ndarray [shape=(n,), dtype=float32]."""
    mono = np.ascontiguousarray(audio.mono(), dtype=np.float32)
    if audio.sample_rate == SR or mono.size == 0:
        return mono
    out: np.ndarray = soxr.resample(mono, audio.sample_rate, SR, quality="HQ").astype(np.float32, copy=False)
    return out


def mel_frames(y: np.ndarray) -> np.ndarray:
    """Linear mel magnitudes of a mono signal at SR: [shape=(T, N_MELS), dtype=float32].

    Made a block of STFT frames at a time, so the STFT (513 bins, 6x the mel) never exists whole."""
    y = np.asarray(y, dtype=np.float32)
    out = np.empty((1 + len(y) // HOP, N_MELS), dtype=np.float32)
    for start, block in stft_blocks(y, n_fft=N_FFT, hop_length=HOP):
        out[start : start + len(block)] = (_mel_filters() @ block.T).T
    return out


def network_input(mel: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """log(1 + gamma * mel / reference) from :func:`mel_frames` [shape=(T, N_MELS)], where the
    reference is a high percentile of the magnitudes (floored): independent of the signal's level.
    ``in_place``: written over ``mel`` (float32), for a caller that needs the mel no more."""
    mel = np.asarray(mel, dtype=np.float32)
    reference = positive_percentile(mel, INPUT_REFERENCE_PERCENTILE) or 0.0  # no copy of the positive values
    # In place, in the order of log1p(INPUT_GAMMA * mel / reference): the same float32 values, one
    # whole-file array instead of four (a 30-minute file's mel is 58 MB).
    out: np.ndarray = np.multiply(mel, np.float32(INPUT_GAMMA), out=mel if in_place else None, dtype=np.float32)
    out /= np.float32(max(reference, MIN_REFERENCE))
    np.log1p(out, out=out)
    return out


def _median(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Running median of ``size`` (odd) values along ``axis`` of a 2-D array, edges mirrored (scipy's
    median_filter with mode "reflect"): the middle of each window by np.partition, several times faster."""
    half = size // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (half, half)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(x, pad, mode="symmetric"), size, axis=axis)
    middle: np.ndarray = np.partition(windows, half, axis=-1)[..., half]
    return middle


def percussive_mel(mel: np.ndarray) -> np.ndarray:
    """The percussive part of mel magnitudes [shape=(T, N_MELS)], any scale (float32, same shape).

    Harmonic-percussive separation in the mel domain: the median across HPSS_FRAMES frames estimates
    what sustains (bass, pads, held chords), the median across HPSS_BANDS bands what is broadband in
    one frame (a hit); each bin keeps the share P^2 / (H^2 + P^2) of its magnitude (a soft mask: the
    masks are ratios, so scaling the input scales the output alike)."""
    mel = np.asarray(mel, dtype=np.float32)
    out = np.empty_like(mel)
    margin = HPSS_FRAMES // 2
    frames = mel.shape[0]
    for start in range(0, frames, HPSS_BLOCK):
        stop = min(frames, start + HPSS_BLOCK)
        lo, hi = max(0, start - margin), min(frames, stop + margin)
        block = mel[lo:hi]
        harmonic = _median(block, HPSS_FRAMES, axis=0)
        percussive = _median(block, HPSS_BANDS, axis=1)
        np.square(harmonic, out=harmonic)
        np.square(percussive, out=percussive)
        harmonic += percussive
        harmonic += np.float32(1e-12)  # silence: 0 / tiny = 0
        percussive /= harmonic
        percussive *= block
        out[start:stop] = percussive[start - lo : stop - lo]
    return out


def view_input(x: np.ndarray, view: str) -> np.ndarray:
    """The network's input for ``view`` (INPUT_VIEWS) from :func:`network_input`'s log mel x [T, N_MELS]:
    x itself ("mel"), [x, log(1 + percussive)] ("mel+percussive", [T, 2 * N_MELS]) or log(1 +
    percussive) alone ("percussive"), the percussive part being :func:`percussive_mel` of exp(x) - 1 (the
    reference-scaled mel). Training (from its stored inputs) and the service both make it here."""
    if view == "mel":
        return x
    if view not in INPUT_VIEWS:
        raise ValueError(f"unknown input view {view!r}")
    percussive = percussive_mel(np.expm1(np.asarray(x, dtype=np.float32)))
    np.log1p(percussive, out=percussive)
    if view == "percussive":
        return percussive
    return np.concatenate([np.asarray(x, dtype=np.float32), percussive], axis=1)


def view_features(view: str) -> int:
    """How many input features a model of ``view`` reads."""
    return 2 * N_MELS if view == "mel+percussive" else N_MELS


TCNWeights = tuple[tuple[FrontLayer, ...], tuple[ResidualBlock, ...], tuple[np.ndarray, np.ndarray]]
"""(front, blocks, head) of one network."""
MEMBER_PREFIX = "member{}_"
"""The arrays of an ensemble's further networks are named with this prefix (member1_front0_kernel, ...)."""


@dataclass(frozen=True)
class DrumNet:
    """The network's weights (float32, Keras layout), its wiring and its per-class thresholds; an ensemble
    has further networks of the same input (``members``), whose activations are averaged with its own."""

    front: tuple[tuple[np.ndarray, np.ndarray], ...]
    blocks: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    """(dilation, dilated kernel, its bias, 1x1 kernel, its bias) per residual block."""
    head: tuple[np.ndarray, np.ndarray]
    """(kernel [C, n_classes], bias [n_classes]) in CLASSES order."""
    thresholds: np.ndarray
    """Peak-picking threshold per class [shape=(n_classes,)]."""
    hihat_threshold: float | None = None
    """Threshold of the closed + open hat activation (:func:`hihat_peaks`); the two hat classes' own
    thresholds then go unused. None (files written before it): each hat class on its own threshold."""
    input_view: str = "mel"
    """What the network reads (INPUT_VIEWS, :func:`view_input`); "mel" for files written without one."""
    members: tuple[TCNWeights, ...] = ()
    """Further networks of an ensemble, read the same input; () for one network."""

    def activations(self, x: np.ndarray) -> np.ndarray:
        """x [T, N_MELS] from :func:`network_input` -> onset probabilities [T, n_classes] (the model's
        input view made from x first), averaged over an ensemble's networks."""
        inputs = view_input(x, self.input_view)
        out = tcn_probabilities(inputs, self.front, self.blocks, self.head, chunk_frames=CHUNK_FRAMES)
        for front, blocks, head in self.members:
            out += tcn_probabilities(inputs, front, blocks, head, chunk_frames=CHUNK_FRAMES)
        if self.members:
            out /= np.float32(1 + len(self.members))
        return out

    def networks(self) -> tuple[TCNWeights, ...]:
        """Every network of the model, its own first."""
        return ((self.front, self.blocks, self.head), *self.members)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The weights as named arrays (what :func:`load` reads)."""
        arrays: dict[str, np.ndarray] = {
            "frame_rate": np.asarray(FRAME_RATE, dtype=np.float64),
            "classes": np.asarray(CLASS_NAMES),
            "thresholds": np.asarray(self.thresholds, dtype=np.float32),
        }
        if self.hihat_threshold is not None:
            arrays["hihat_threshold"] = np.asarray(self.hihat_threshold, dtype=np.float32)
        if self.input_view != "mel":  # a "mel" model's file stays as files were before input views
            arrays["input_view"] = np.asarray(self.input_view)
        arrays.update(tcn_arrays(self.front, self.blocks, self.head))
        for i, (front, blocks, head) in enumerate(self.members, start=1):
            prefix = MEMBER_PREFIX.format(i)
            arrays.update({prefix + name: value for name, value in tcn_arrays(front, blocks, head).items()})
        return arrays


def from_arrays(arrays: dict[str, np.ndarray]) -> DrumNet:
    """Build a :class:`DrumNet` from named arrays; ValueError when they do not fit this module."""

    if "classes" not in arrays or tuple(str(c) for c in arrays["classes"]) != CLASS_NAMES:
        raise ValueError(f"the model's classes are not {CLASS_NAMES}")
    if abs(float(np.asarray(arrays.get("frame_rate", 0.0))) - FRAME_RATE) > 1e-3:
        raise ValueError("the model was trained at another frame rate")
    view = str(np.asarray(arrays["input_view"])) if "input_view" in arrays else "mel"
    if view not in INPUT_VIEWS:
        raise ValueError(f"unknown input view {view!r}")
    front, blocks, head = tcn_from_arrays(arrays, n_inputs=view_features(view), n_outputs=len(CLASSES))
    members: list[TCNWeights] = []
    while f"{MEMBER_PREFIX.format(len(members) + 1)}head_kernel" in arrays:
        prefix = MEMBER_PREFIX.format(len(members) + 1)
        own = {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
        members.append(tcn_from_arrays(own, n_inputs=view_features(view), n_outputs=len(CLASSES)))
    if "thresholds" not in arrays:
        raise ValueError("missing array 'thresholds'")
    thresholds = np.asarray(arrays["thresholds"], dtype=np.float32)
    if thresholds.shape != (len(CLASSES),):
        raise ValueError("the output layer does not match the classes")
    hihat_threshold = None
    if "hihat_threshold" in arrays:
        hihat_threshold = float(np.asarray(arrays["hihat_threshold"]))
        if not 0.0 < hihat_threshold < 2.0:  # a sum of two probabilities
            raise ValueError("the hi-hat threshold is not in (0, 2)")
    return DrumNet(front, blocks, head, thresholds, hihat_threshold, view, tuple(members))


def save(path: Path, net: DrumNet) -> None:
    """Write the weights as a compressed .npz."""
    np.savez_compressed(path, **net.to_arrays())  # type: ignore[arg-type]  # mypy matches **arrays to allow_pickle


def load(path: Path) -> DrumNet:
    """Read a weights file; OSError or ValueError when it is missing or malformed."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return from_arrays(arrays)


_LOAD_LOCK = threading.Lock()


def model_file() -> Path:
    """drum_transcription.npz in DAWG_AI_MODELS_DIR, else the shipped one (see ai.model_files)."""
    return model_path(SHIPPED_MODEL)


@functools.lru_cache(maxsize=1)
def _cached_shipped() -> DrumNet:
    return load(model_file())  # on the first request, after the lifespan has configured the folder


def drum_net_loaded() -> bool:
    """Whether a request has loaded the shipped network already (nothing is loaded here)."""
    return _cached_shipped.cache_info().currsize > 0


def shipped_drum_net() -> DrumNet:
    """drum_transcription.npz (DAWG_AI_MODELS_DIR, else models/), loaded once (behind a lock);
    ModelUnavailable when missing or malformed."""
    with _LOAD_LOCK:
        try:
            return _cached_shipped()
        except (OSError, ValueError) as exc:
            logger.warning("drum transcription model unavailable: %s", exc)
            raise ModelUnavailable(
                f"the drum transcription model ({model_file()}) is not available: {exc}",
                extra={"model": "drum_transcription"},
            ) from exc


def pick_peaks(activation: np.ndarray, threshold: float, *, min_gap: int | None = None) -> np.ndarray:
    """Frames where ``activation`` [shape=(T,)] has a local maximum >= ``threshold``; of two peaks
    closer than ``min_gap`` frames only the higher is kept. Returns frame indices (int64, sorted).

    The last frame is never a peak: nothing after it shows the activation falling, and a sound cut off
    by the file's end (a loop trimmed mid-note) rises there into the STFT's zero padding like an attack
    (a held chord read a snare at velocity 127, DC all four kit pieces). A file may start on a hit."""
    a = np.asarray(activation, dtype=np.float32)
    if a.size < 1:
        return np.zeros(0, dtype=np.int64)
    gap = max(1, round(MIN_GAP_S * FRAME_RATE)) if min_gap is None else max(1, min_gap)
    padded = np.pad(a, 1, constant_values=-1.0)
    padded[-1] = np.inf
    is_peak = (a >= threshold) & (a >= padded[:-2]) & (a > padded[2:])
    candidates = np.flatnonzero(is_peak)
    kept: list[int] = []
    for idx in candidates[np.argsort(-a[candidates], kind="stable")]:
        if all(abs(int(idx) - k) >= gap for k in kept):
            kept.append(int(idx))
    return np.asarray(sorted(kept), dtype=np.int64)


def hihat_peaks(activation: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hi-hat's onsets as one instrument, from the network's activations [shape=(T, n_classes)]:
    peaks of the closed + open hat activation above ``threshold`` (at most one per MIN_GAP_S), each the
    open hat where its activation is the larger there, else the closed one.

    On kits it has not heard the network often splits a hat hit between the two classes (0.4 and 0.4)
    and neither class alone reaches a threshold; a hi-hat also sounds closed or open, never both at
    once. Returns (closed frames, open frames, the summed activation [shape=(T,)])."""
    closed, opened = activation[:, HIHAT_CLOSED], activation[:, HIHAT_OPEN]
    summed = closed + opened
    frames = pick_peaks(summed, threshold)
    is_open = opened[frames] > closed[frames]
    return frames[~is_open], frames[is_open], summed


def class_onsets(activation: np.ndarray, net: DrumNet) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(class index, onset frames, the activation they peak in) per class, from the network's
    activations [shape=(T, n_classes)] with ``net``'s thresholds."""
    out: list[tuple[int, np.ndarray, np.ndarray]] = []
    for c in range(len(CLASSES)):
        if net.hihat_threshold is None or c not in (HIHAT_CLOSED, HIHAT_OPEN):
            out.append((c, pick_peaks(activation[:, c], float(net.thresholds[c])), activation[:, c]))
    if net.hihat_threshold is not None:
        closed, opened, summed = hihat_peaks(activation, net.hihat_threshold)
        out += [(HIHAT_CLOSED, closed, summed), (HIHAT_OPEN, opened, summed)]
    return out


def _refine(activation: np.ndarray, frame: int) -> float:
    """Sub-frame peak position (parabolic interpolation), in frames."""
    if frame <= 0 or frame >= activation.size - 1:
        return float(frame)
    left, mid, right = (float(v) for v in activation[frame - 1 : frame + 2])
    denom = left - 2.0 * mid + right
    return float(frame) + (0.5 * (left - right) / denom if denom < 0 else 0.0)


_VELOCITY_ROWS = 8192
"""Frames per block of the velocities' energy (each frame's sum is its own: blocks change no value)."""


def frame_energy_db(mel: np.ndarray) -> np.ndarray:
    """Each frame's mel energy in dB [shape=(T,)], what the velocities are read from."""
    energy = np.empty(mel.shape[0])
    for start in range(0, mel.shape[0], _VELOCITY_ROWS):  # a float64 copy of a block of frames at a time
        block = mel[start : start + _VELOCITY_ROWS].astype(np.float64)
        energy[start : start + len(block)] = np.sum(block**2, axis=1)
    energy_db: np.ndarray = 10.0 * np.log10(energy + 1e-12)
    return energy_db


def _velocities(energy_db: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Velocity 1..127 per onset frame from the attack's level: the largest frame-to-frame rise of
    the mel energy in dB around the onset (``energy_db``: :func:`frame_energy_db`), against the
    recording's loudest frames."""
    reference = float(np.percentile(energy_db, 99.0)) if energy_db.size else 0.0
    out = np.empty(frames.size, dtype=np.int64)
    for i, frame in enumerate(frames):
        level = float(np.max(energy_db[max(0, frame - 1) : frame + 3]))
        # 0 dB below the loudest frames -> 127; 40 dB below -> 1
        out[i] = int(np.clip(round(127.0 + (level - reference) * 126.0 / 40.0), 1, 127))
    return out


STEADY_DB = 6.0
"""A signal whose frame energy spans less than this from its 5th to its 95th percentile holds no hit to hear: white and
pink noise span 1.3-3.2 dB, at -12 dBFS or at -70 (where the network, reading the signal scaled to its own level, found
28-64 hits), music 60 dB or more. Read only where the analysis heard noise (:func:`steady`)."""


def steady(energy_db: np.ndarray) -> bool:
    """Whether the frame energy ``energy_db`` [shape=(T,)] (:func:`frame_energy_db`) stays within STEADY_DB: a steady
    sound such as noise, not hits rising out of what sounds between them (random clicks span tens of dB)."""
    if energy_db.size == 0:
        return True
    low, high = np.percentile(energy_db, [5.0, 95.0])
    return bool(high - low < STEADY_DB)


@dataclass(frozen=True)
class DrumFeatures:
    """What the drum model reads from a signal: the network's input and each frame's energy (for the
    velocities). Made apart (:func:`drum_features`) so that a caller can let the signal go before the
    network runs; the mel spectrogram itself is not kept."""

    network_input: np.ndarray
    """[shape=(T, N_MELS)]: :func:`network_input` of the signal's :func:`mel_frames`."""
    energy_db: np.ndarray
    """[shape=(T,)]: :func:`frame_energy_db` of the same mel."""


def drum_features(y: np.ndarray) -> DrumFeatures:
    """:class:`DrumFeatures` of the mono signal at SR [shape=(n,)]."""
    mel = mel_frames(y)
    energy_db = frame_energy_db(mel)
    return DrumFeatures(network_input(mel, in_place=True), energy_db)


def transcribe_drums(audio: DecodedAudio, *, net: DrumNet | None = None) -> list[DrumHit]:
    """Drum hits in ``audio`` (a drum stem or a full mix), sorted by time then pitch.

    ``net``: a loaded model (the shipped one by default; ModelUnavailable when it is missing). Audio with
    nothing to hear (:func:`inaudible`: silence, DC alone) has no hits.
    """
    model = shipped_drum_net() if net is None else net  # a missing model is its error, audible or not
    if inaudible(audio):
        return []
    return drum_hits(to_model_rate(audio), net=model)


def drum_hits(y: np.ndarray, *, net: DrumNet | None = None) -> list[DrumHit]:
    """:func:`transcribe_drums` of the mono signal at SR [shape=(n,)] (:func:`to_model_rate`'s, or the
    analysis's one-pass signal: the same samples)."""
    model = shipped_drum_net() if net is None else net
    if y.size == 0 or not np.any(y):
        return []
    return hits_of(drum_features(y), net=model, signal=y)


def inaudible(audio: DecodedAudio) -> bool:
    """Whether ``audio`` holds nothing to hear, as the analysis judges it
    (:attr:`ai.analysis.signal_pass.SignalSummary.inaudible`, on the same channels and rate): long enough
    for one 400 ms loudness block and none reaches BS.1770's -70 LUFS gate. DC alone is so: the network
    would hear the steps where a constant signal meets the resampler's and the STFT's zeros as hits."""
    lufs = loudness.integrated_loudness(y=audio.samples, sr=audio.sample_rate)
    return loudness.inaudible(audio.samples.shape[-1] / audio.sample_rate, lufs)


def hits_of(features: DrumFeatures, *, net: DrumNet | None = None, signal: np.ndarray | None = None) -> list[DrumHit]:
    """The drum hits the network finds in a signal's :class:`DrumFeatures` (a silent signal's features give none).
    ``signal``: the mono signal at SR they were made from, where the caller still holds it: toms that are a
    sub-bass kick's sine (an 808's) become kicks (:func:`kicks_from_sub_bass`)."""
    model = shipped_drum_net() if net is None else net
    if features.network_input.shape[0] == 0 or not np.any(features.network_input):
        return []
    act = model.activations(features.network_input)
    hits: list[DrumHit] = []
    for c, frames, curve in class_onsets(act, model):
        velocities = _velocities(features.energy_db, frames)
        for frame, velocity in zip(frames, velocities, strict=True):
            time = max(0.0, _refine(curve, int(frame)) / FRAME_RATE)
            hits.append(DrumHit(time=round(time, 4), pitch=CLASSES[c][1], velocity=int(velocity)))
    hits.sort(key=lambda h: (h.time, h.pitch))
    return hits if signal is None else kicks_from_sub_bass(hits, signal)


def kicks_from_sub_bass(hits: list[DrumHit], y: np.ndarray) -> list[DrumHit]:
    """``hits`` (sorted by time) with each tom whose hit adds a sub-bass sine (:func:`~ai.transcription.sub_kick.
    is_sub_bass_kick`: an 808 kick, read by the network as a low and a mid tom) made a kick. Kicks closer than
    MIN_GAP_S are one (one 808 gave two toms, or a tom beside the network's own kick): at the network's kick's time
    where there is one, else the first, with the loudest velocity."""
    out: list[DrumHit] = []
    near: int | None = None  # the last kick kept
    found = False  # whether the network found that kick itself (then its time is the one to keep)
    for hit in hits:
        made = hit.pitch in TOMS and is_sub_bass_kick(y, SR, hit.time)
        if made:
            hit = DrumHit(hit.time, KICK, hit.velocity)
        if hit.pitch != KICK:
            out.append(hit)
            continue
        if near is not None and hit.time - out[near].time < MIN_GAP_S:
            time = hit.time if not made and not found else out[near].time
            out[near] = DrumHit(time, KICK, max(out[near].velocity, hit.velocity))
            found = found or not made
            continue
        near, found = len(out), not made
        out.append(hit)
    return out
