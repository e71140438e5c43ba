"""The beat and downbeat activation network: a small temporal convolutional network over mel bands.

Hand-set onset functions (spectral flux) peak at the instant attacks of a soundfont; on real
recordings (sung and bowed notes, rooms, mastered mixes) they are weak and early. Like madmom's
and Beat This!'s trackers, the engine reads the beat from a learned activation instead: for every
frame of the shared mel spectrogram, the probability that a beat, and that a downbeat, falls there.
The network is trained by ``python -m training.beat_activation`` on augmented renders (several
soundfonts, rooms, bus compression, tempo drift, human timing, noise, MP3 round trips) and ships as
models/beat_activation.npz (the weights of an ensemble of such networks, whose activations are
averaged) with a model card (models/beat_activation.md).

Architecture (the training module builds the same graph in Keras; this module evaluates it with
numpy, so the analysis needs no deep-learning runtime and no start-up cost):

    input [T, N_MELS]  log-compressed mel (:func:`network_input`)
    conv k=3, ELU; conv k=3, ELU                     (front end, "same" padding)
    residual blocks, dilation 1, 2, 4 ... 2^(B-1):   x + conv1x1(ELU(conv k=5, dilated))
    dense -> 2 sigmoids                              (beat, downbeat)

Each block sees 4 x dilation frames either side: with 8 blocks about 12 s of context each way,
enough for the network to hear the tempo and the bar, not only the onsets.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai import pools
from ai.analysis.features import SharedFeatures
from ai.model_files import model_path
from ai.percentile import positive_percentile
from ai.tcn import tcn_arrays, tcn_from_arrays, tcn_probabilities

logger = logging.getLogger(__name__)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "beat_activation.npz"
CHUNK_FRAMES = 16384
"""The network runs on stretches of this many frames (6.3 minutes at 43 frames/s, with its reach of
real frames on each side; ai/tcn.py): a 30-minute file's hidden states are 10 MB per array, several
per member with the members running at once; a stretch's are 2 MB. Shorter files run in one pass."""
INPUT_GAMMA = 100.0
"""Compression of the network input: log(1 + gamma * mel / reference)."""
INPUT_REFERENCE_PERCENTILE = 99.5
"""The reference level is this percentile of the mel magnitudes (a level-independent input that a
single click cannot set)."""


def network_input(mel: np.ndarray) -> np.ndarray:
    """The network's input from a linear mel spectrogram.

    mel: np.ndarray [shape=(n_mels, T)] (``SharedFeatures.mel``). Returns np.ndarray
    [shape=(T, n_mels), dtype=float32]: log(1 + gamma * mel / reference), independent of the
    signal's level; all zeros for silence.
    """
    mel = np.asarray(mel, dtype=np.float32)
    reference = positive_percentile(mel, INPUT_REFERENCE_PERCENTILE)  # no copy of the positive values
    if reference is None:
        return np.zeros((mel.shape[1], mel.shape[0]), dtype=np.float32)
    # One array, in the order of log1p(gamma * mel.T / reference): the same float32 values (and the
    # transposed layout) as the expression, without its three temporaries.
    out: np.ndarray = np.multiply(mel.T, np.float32(INPUT_GAMMA))
    out /= np.float32(max(reference, 1e-12))
    np.log1p(out, out=out)
    return out


@dataclass(frozen=True)
class BeatNet:
    """The network's weights (float32 arrays in the Keras layout) and how they are wired."""

    front: tuple[tuple[np.ndarray, np.ndarray], ...]
    """Front-end convolutions: (kernel [k, C_in, C_out], bias [C_out]) each."""
    blocks: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    """Residual blocks: (dilation, dilated kernel, its bias, 1x1 kernel, its bias)."""
    head: tuple[np.ndarray, np.ndarray]
    """Output layer: (kernel [C, 2], bias [2]); columns beat, downbeat."""
    frame_rate: float
    """The frame rate the network was trained at (it only serves features of that rate)."""

    def activations(self, x: np.ndarray) -> np.ndarray:
        """x: [T, n_mels] from :func:`network_input` -> [T, 2] beat and downbeat probabilities."""
        return tcn_probabilities(x, self.front, self.blocks, self.head, chunk_frames=CHUNK_FRAMES)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The weights as named arrays (what :func:`load` reads)."""
        arrays = tcn_arrays(self.front, self.blocks, self.head)
        arrays["frame_rate"] = np.asarray(self.frame_rate, dtype=np.float64)
        return arrays


def from_arrays(arrays: dict[str, np.ndarray]) -> BeatNet:
    """Build a :class:`BeatNet` from named arrays; ValueError when they do not wire together."""
    front, blocks, head = tcn_from_arrays(arrays, n_outputs=2)
    if "frame_rate" not in arrays:
        raise ValueError("missing array 'frame_rate'")
    return BeatNet(front, blocks, head, float(np.asarray(arrays["frame_rate"])))


@dataclass(frozen=True)
class BeatNetEnsemble:
    """Networks trained alike from different random starts; their activations are averaged (as
    madmom averages its networks): one network's quirks on unfamiliar audio do not all agree."""

    members: tuple[BeatNet, ...]

    @property
    def frame_rate(self) -> float:
        return self.members[0].frame_rate

    def activations(self, x: np.ndarray) -> np.ndarray:
        """x: [T, n_mels] from :func:`network_input` -> [T, 2] mean beat and downbeat probabilities.

        The members after the first run on the analysis's side pool while this thread runs the first:
        each is a chain of small matrix products that holds one core (the service runs one BLAS thread),
        and nothing else of the analysis runs at this point. The same numbers as one after another."""
        side = pools.side()
        others = [side.submit(net.activations, x) for net in self.members[1:]]
        outputs = [self.members[0].activations(x)] + [future.result() for future in others]
        # np.mean over axis 0 of a list of arrays is an array (asarray only tells the type checker so)
        return np.asarray(np.mean(outputs, axis=0, dtype=np.float32))


def save(path: Path, members: list[BeatNet]) -> None:
    """Write an ensemble's weights (member i's arrays prefixed "m<i>_") as a compressed .npz."""
    arrays = {f"m{i}_{name}": value for i, net in enumerate(members) for name, value in net.to_arrays().items()}
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # mypy matches **arrays to allow_pickle too


def load(path: Path) -> BeatNetEnsemble:
    """Read a weights file (an ensemble, or one network's arrays without prefixes); OSError or
    ValueError when it is missing or malformed."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    if not any(name.startswith("m0_") for name in arrays):
        return BeatNetEnsemble((from_arrays(arrays),))
    members: list[BeatNet] = []
    while any(name.startswith(f"m{len(members)}_") for name in arrays):
        prefix = f"m{len(members)}_"
        members.append(from_arrays({k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}))
    rates = {net.frame_rate for net in members}
    if len(rates) != 1:
        raise ValueError(f"ensemble members trained at different frame rates: {sorted(rates)}")
    return BeatNetEnsemble(tuple(members))


def describe_shipped_beat_net() -> dict[str, Any]:
    """beat_activation.npz as /api/v1/models and the status file list it (the file used; loaded, or why not)."""
    path = model_path(SHIPPED_MODEL)
    out: dict[str, Any] = {
        "name": "beat_activation",
        "family": "analysis",
        "serves": "the beats and bar phase of /api/v1/analyze/audio",
        "path": str(path),
    }
    try:
        ensemble = _cached_net(path)
    except (OSError, ValueError) as exc:
        return {**out, "loaded": False, "networks": 0, "error": str(exc)}
    return {**out, "loaded": True, "networks": len(ensemble.members)}


@functools.lru_cache(maxsize=2)
def _cached_net(path: Path) -> BeatNetEnsemble:
    return load(path)


def shipped_beat_net() -> BeatNetEnsemble | None:
    """The network (DAWG_AI_MODELS_DIR, else models/), loaded once; None (logged) when the file is
    missing or malformed, in which case the analysis tracks beats from the spectral flux alone."""
    try:
        return _cached_net(model_path(SHIPPED_MODEL))
    except (OSError, ValueError) as exc:
        logger.warning("beat activation network unavailable (%s): beats from the spectral flux only", exc)
        return None


@dataclass(frozen=True)
class Activations:
    """The network's output on one signal: beat and downbeat probability per frame [shape=(n,)]."""

    beat: np.ndarray
    downbeat: np.ndarray


def beat_activations(features: SharedFeatures, net: BeatNet | BeatNetEnsemble) -> Activations | None:
    """The network's activations on the shared mel spectrogram; None when the features' frame
    rate is not the one the network was trained at."""
    frame_rate = float(features.sr) / float(features.hop_length)
    if abs(frame_rate - net.frame_rate) > 1e-3 * net.frame_rate:
        return None
    out = net.activations(network_input(features.mel))
    return Activations(beat=out[:, 0].astype(np.float64), downbeat=out[:, 1].astype(np.float64))
