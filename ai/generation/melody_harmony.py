"""Chords for a melody alone: one chord per bar that fits the melody's notes, its key and a likely progression.

A sung or played line holds one note at a time, so a bar's chroma names no chord (its notes' 3rd and 5th
harmonics even make a single note look like a major triad): matching chord templates
(:func:`~ai.generation.bar_harmony.heard_chords`) guesses. Here the bars are harmonised instead, as a
hidden Markov model decoded by Viterbi:

- states: a root on each of the 12 degrees above the key's major tonic (the key signature's: a minor key's
  relative major, so a major/minor confusion of the key does not matter) and a class, major, minor or
  dominant 7th: 36 chords;
- emissions: a bar's chroma, as shares of its pitch classes, scored against each class's profile above the
  root (the log share each pitch class had in bars of that class: :attr:`MelodyHarmony.profiles`), which were
  measured on rendered melodies, harmonics included;
- transitions: the bar-to-bar chord changes of folk tunes' chord tracks, by degree (key-independent).

The key's major tonic is chosen among the 12 by the whole recording's likelihood (the best path's score), so
a wrong or modal key from the analysis does not push the progression off (on the tune split's melodies, the
tonic so chosen gives 0.692 of the chord roots, the key signature's own 0.698). The model (models/melody_harmony.json, fitted by
training/melody_harmony.py on the Nottingham Music Database, GPL-3; card: models/melody_harmony.md) is a
few kilobytes of counts and profiles.

:func:`is_melody` tells a melody alone from music with harmony, from the same chroma frames: how many pitch
classes a frame holds (:func:`pitch_count`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai.model_files import LoadedOnce, model_path
from ai.music_theory import MINOR_FAMILY, Chord, Key
from utils.errors import ModelUnavailable

CLASSES = ("maj", "min", "7")
"""The chord classes a bar may get: major triad, minor triad, dominant 7th."""
QUALITY_OF = {"maj": "", "min": "m", "7": "7"}
MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "melody_harmony.json"
EMISSION_WEIGHT = 16.0
"""How much a bar's chroma weighs against the progression's habits (its log-likelihood is scaled by this:
a bar's shares sum to one). Chosen on the tune split's rendered melodies on their true bars (chord roots
right: 0.55 at 3, 0.64 at 8, 0.685 at 12, 0.692 at 16, 0.690 at 20, 0.683 at 30, 0.645 at 100)."""
SMOOTHING = 1.0
"""Add-one smoothing of the transition counts."""


def class_of(quality: str) -> str:
    """The harmoniser's class of a chord quality: dominant sevenths (and 9ths, 13ths) "7", the minor family
    "min", the rest "maj"."""
    if quality in ("7", "9", "11", "13", "7b9", "7#9", "7sus4"):
        return "7"
    if quality.startswith("m") and not quality.startswith("maj") or quality.startswith("dim"):
        return "min"
    return "maj"


@dataclass(frozen=True)
class MelodyHarmony:
    """The fitted model: log probabilities over the 36 states (degree * len(CLASSES) + class)."""

    log_initial: np.ndarray  # [36]
    log_transition: np.ndarray  # [36, 36]
    log_profiles: np.ndarray  # [classes, 12] log share of each pitch class above the root

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MelodyHarmony:
        initial = np.asarray(data["initial_counts"], dtype=np.float64) + SMOOTHING
        moves = np.asarray(data["transition_counts"], dtype=np.float64) + SMOOTHING
        profiles = np.asarray(data["profiles"], dtype=np.float64)
        if moves.shape != (12 * len(CLASSES),) * 2 or profiles.shape != (len(CLASSES), 12):
            raise ValueError("the melody harmony model does not match the harmoniser's states")
        return cls(
            np.log(initial / initial.sum()),
            np.log(moves / moves.sum(axis=1, keepdims=True)),
            np.log(profiles / profiles.sum(axis=1, keepdims=True)),
        )


_models = LoadedOnce("melody harmony model", lambda path: MelodyHarmony.from_json(json.loads(path.read_text())))


def model_file() -> Path:
    """melody_harmony.json in the configured models folder (DAWG_AI_MODELS_DIR), else the shipped one."""
    return model_path(MODEL_PATH)


def load_model(path: Path | None = None) -> MelodyHarmony | None:
    """The model at ``path`` (default :func:`model_file`; read once), or None (logged) when it is missing or
    unreadable."""
    found = _models.get(path or model_file())
    return found if isinstance(found, MelodyHarmony) else None


def describe_model() -> dict[str, Any]:
    """The model as /api/v1/models and the status file list it (loaded, or why not)."""
    listing = {
        "name": "melody_harmony",
        "family": "generation",
        "serves": "the accompaniment's chords for a melody alone (harmony=auto|melody)",
    }
    return _models.describe(model_file(), listing, lambda model: {"chords": int(model.log_transition.shape[0])})


def bar_log_likelihoods(bars: np.ndarray, model: MelodyHarmony) -> np.ndarray:
    """[bars, 12 roots, classes]: each bar's chroma (``bars`` [shape=(bars, 12)], shares of its total) scored
    against each chord's profile; a silent bar scores 0 everywhere."""
    totals = bars.sum(axis=1, keepdims=True)
    shares = np.where(totals > 1e-9, bars / np.maximum(totals, 1e-9), 0.0)
    out = np.zeros((len(bars), 12, len(CLASSES)))
    for root in range(12):
        out[:, root, :] = shares @ np.roll(model.log_profiles, root, axis=1).T
    return out


def viterbi(emissions: np.ndarray, model: MelodyHarmony) -> tuple[list[int], float]:
    """The most likely state path for ``emissions`` [bars, states] (log) and its log score."""
    score = model.log_initial + emissions[0]
    back = np.zeros(emissions.shape, dtype=np.int64)
    for t in range(1, len(emissions)):
        options = score[:, None] + model.log_transition
        back[t] = np.argmax(options, axis=0)
        score = options[back[t], np.arange(options.shape[1])] + emissions[t]
    path = [int(np.argmax(score))]
    for t in range(len(emissions) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1], float(np.max(score))


def major_tonic(key: Key) -> int:
    """The major tonic of ``key``'s signature (a minor key's relative major)."""
    return (key.tonic + 3) % 12 if key.scale in MINOR_FAMILY else key.tonic


def harmonise(
    bars: np.ndarray,
    key: Key | None = None,
    model: MelodyHarmony | None = None,
    *,
    emission_weight: float = EMISSION_WEIGHT,
) -> list[Chord]:
    """One chord per bar for a melody whose bars have the chroma ``bars`` [shape=(bars, 12)]: the best path
    over the major tonic whose best path is the most likely. ``key``: the analysis's, used only to break a tie
    between tonics. ``model``: default :func:`load_model`'s; raises ModelUnavailable (503) when it did not
    load."""
    return harmonise_scored(bars, key, model, emission_weight=emission_weight)[0]


def harmonise_scored(
    bars: np.ndarray,
    key: Key | None = None,
    model: MelodyHarmony | None = None,
    *,
    emission_weight: float = EMISSION_WEIGHT,
) -> tuple[list[Chord], float]:
    """:func:`harmonise`'s chords and the log score of their path (the best tonic's; 0.0 for no bars)."""
    model = model or load_model()
    if model is None:
        raise ModelUnavailable(
            f"harmonising a melody needs the melody harmony model ({model_file()}), which did not load (see "
            "/api/v1/models); ask for harmony=recording or restore the file"
        )
    if len(bars) == 0:
        return [], 0.0
    loglik = emission_weight * bar_log_likelihoods(np.asarray(bars, dtype=np.float64), model)
    best: tuple[float, int, list[int]] | None = None
    preferred = None if key is None else major_tonic(key)
    for tonic in range(12):
        emissions = np.roll(loglik, -tonic, axis=1).reshape(len(bars), -1)  # [bars, degree * classes]
        path, score = viterbi(emissions, model)
        total = score + 1e-6 * (tonic == preferred)
        if best is None or total > best[0]:
            best = (total, tonic, path)
    assert best is not None
    total, tonic, path = best
    n = len(CLASSES)
    return [Chord((tonic + s // n) % 12, QUALITY_OF[CLASSES[s % n]]) for s in path], total - 1e-6 * (tonic == preferred)


# ---------------------------------------------------------------------------------- a melody alone?

MAX_PITCHES = 2.35
"""A recording is a melody alone when its frames hold at most this many pitch classes (:func:`pitch_count`,
the median frame). One note counts 1 and a little more (its harmonics: the fifth and the major third at a
fraction of the note), a chord or a band more. The tune split's rendered melodies: median 1.68, 90th
percentile 2.25; data/eval's polyphonic renders: at least 2.61 (chorales) and 2.75 (band songs); the real
development set (data/real): two solo saxophones and a trumpet 2.05, 2.47, 2.23, its 50 recordings with
harmony at least 2.45 (a Schumann "Traeumerei", a melody over a soft piano accompaniment; 2.50 another
take), so 2.35 rather than halfway between the renders (2.45, the first choice) keeps a margin on real
piano music. A room's reverb raises a melody's count (25 renders with a large room: median 1.86 -> 2.10):
what is above keeps the recording's chords (harmony=melody forces the harmoniser). bench/melody_harmony.py."""


def pitch_count(chroma: np.ndarray) -> float:
    """How many pitch classes the median sounding frame of ``chroma`` [shape=(12, frames)] (constant-Q chroma)
    holds, each counted by its level against the frame's peak (1 for a pure tone, 3 for an even triad, 12 for
    noise); 0 for silence."""
    c = np.asarray(chroma, dtype=np.float64)
    peaks = c.max(axis=0)
    sounding = peaks > 1e-6
    if not np.any(sounding):
        return 0.0
    return float(np.median(c[:, sounding].sum(axis=0) / peaks[sounding]))


def is_melody(chroma: np.ndarray, max_pitches: float = MAX_PITCHES) -> bool:
    """Whether ``chroma`` [shape=(12, frames)] is a melody alone: it sounds, one pitch class at a time
    (:func:`pitch_count` at most ``max_pitches``)."""
    count = pitch_count(chroma)
    return 0.0 < count <= max_pitches


__all__ = [
    "CLASSES",
    "MelodyHarmony",
    "bar_log_likelihoods",
    "class_of",
    "describe_model",
    "harmonise",
    "harmonise_scored",
    "is_melody",
    "load_model",
    "major_tonic",
    "model_file",
    "pitch_count",
    "viterbi",
]
