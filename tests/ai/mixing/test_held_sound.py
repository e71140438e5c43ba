"""A track that holds one sound (a drone, steady noise): no over-compression, no resonance; a mix and squashed
drums still move, and squashed drums are still over-compressed."""

from __future__ import annotations

import numpy as np
from scipy.signal import sawtooth

from ai.mixing.dynamics import dynamics_findings
from ai.mixing.dynamics_measure import measure_dynamics
from ai.mixing.dynamics_norms import default_role_dynamics
from ai.mixing.held_sound import HELD_MOVEMENT_DB, band_movement, holds_one_sound
from ai.mixing.measure import track_spectra
from ai.mixing.suggest import suggest
from tests.ai.mixing.signals import band_song, track
from tests.ai.mixing.test_dynamics import hits, squash, stereo

SR = 44100


def drone(seconds: float = 30.0, *, wave: str = "sine") -> np.ndarray:
    """Three steady tones, 110, 165 and 220 Hz (a pad holding one chord)."""
    t = np.arange(int(seconds * SR)) / SR
    make = np.sin if wave == "sine" else sawtooth
    return np.asarray(sum(0.2 * make(2 * np.pi * f * t) for f in (110.0, 165.0, 220.0)), dtype=np.float32)


def movement(mono: np.ndarray, sr: int = SR) -> float | None:
    return band_movement(fine_power=track_spectra(mono, sr).fine_power)


def test_a_held_sound_barely_moves_and_music_does() -> None:
    rng = np.random.default_rng(0)
    held = {
        "sines": drone(8.0),
        "saws": drone(8.0, wave="saw"),
        "noise": (0.1 * rng.standard_normal(8 * SR)).astype(np.float32),
    }
    for name, mono in held.items():
        moved = movement(mono)
        assert moved is not None and moved < HELD_MOVEMENT_DB, (name, moved)
    song = sum(band_song().values())
    drums = hits(seconds=8.0, every=0.45, tau=0.055, seed=11)
    for name, mono, sr in (("song", song, 22050), ("drums", drums, 22050), ("squashed drums", squash(drums), 22050)):
        moved = movement(np.asarray(mono, dtype=np.float32), sr)
        assert moved is not None and moved > 2 * HELD_MOVEMENT_DB, (name, moved)
    assert band_movement(fine_power=np.zeros((28, 40))) is None
    assert not holds_one_sound(fine_power=np.zeros((28, 1)))


def test_a_drone_pad_alone_is_neither_over_compressed_nor_resonant() -> None:
    """Session 37: a drone pad sent alone read "the mix bus sounds over-compressed: crest factor 7.0 dB" (the crest
    of three sines) and "a narrow resonance at 231 Hz" on the pad and on the bus (its notes)."""
    report = suggest([track("pad", drone())], tempo_bpm=120.0)
    assert not [s for s in report.suggestions if s.evidence.get("problem") == "over_compressed"], [
        s.message for s in report.suggestions
    ]
    assert not [s for s in report.suggestions if s.band == "resonance"], [s.message for s in report.suggestions]


def test_squashed_drums_are_over_compressed_with_their_movement_measured() -> None:
    """The held-sound rule leaves real over-compression alone: squashed hits still move the bands."""
    norms = default_role_dynamics()
    squashed = squash(stereo(hits(every=0.45, tau=0.055, seed=11)))
    measure = measure_dynamics(
        samples=squashed, sr=22050, fine_power=track_spectra(squashed.mean(axis=0), 22050).fine_power
    )
    assert measure.band_movement_db is not None and measure.band_movement_db > HELD_MOVEMENT_DB
    found = dynamics_findings(
        name="Drums", role="drums", measure=measure, samples=squashed, sr=22050, tempo_bpm=120.0, norms=norms
    )
    assert [f.evidence["problem"] for f in found] == ["over_compressed"], [f.message for f in found]
