"""A slow grid that counts the bars of a fast waltz is tripled to the quarter note
(:func:`ai.analysis.rhythm.level.bars_of_three` and its use in estimate_rhythm)."""

from __future__ import annotations

import numpy as np
import pytest

from ai.analysis.constants import ANALYSIS_SR
from ai.analysis.features import compute_features
from ai.analysis.rhythm import core, estimate_rhythm
from ai.analysis.rhythm.level import BAR_OF_THREE_BPM, bars_of_three
from tests.ai.analysis.test_rhythm import _click, click_track


def _patterns(fill: dict[int, float], *, beats: int = 32) -> dict[str, np.ndarray]:
    """Beat-synchronous onset patterns (12 points a beat, the low band empty): 1.0 on every beat
    and ``fill`` (point -> strength) inside every beat."""
    pattern = np.zeros((beats, 24))
    pattern[:, 0] = 1.0
    for point, strength in fill.items():
        pattern[:, point] = strength
    return {"pattern": pattern}


def test_a_bar_sounding_its_three_quarter_notes_is_a_bar_of_three() -> None:
    # Oom-pah-pah: the second and third quarter notes nearly as strong as the bar's first.
    assert bars_of_three(_patterns({4: 0.8, 8: 0.8}), 66.0)


def test_other_slow_beats_are_not_bars_of_three() -> None:
    # A triplet subdivision softer than the beat (a slow 6/8, a triplet feel).
    assert not bars_of_three(_patterns({4: 0.3, 8: 0.3}), 66.0)
    # A chorale's beat in two (eighth notes), and one in four.
    assert not bars_of_three(_patterns({6: 0.8}), 66.0)
    assert not bars_of_three(_patterns({3: 0.8, 6: 0.8, 9: 0.8}), 66.0)
    # Thirds no stronger than the halves: nothing says three.
    assert not bars_of_three(_patterns({4: 0.8, 6: 0.8, 8: 0.8}), 66.0)
    # Too fast to be a bar (tripled it would pass 225 BPM), or too few beats to tell.
    assert not bars_of_three(_patterns({4: 0.8, 8: 0.8}), BAR_OF_THREE_BPM + 1.0)
    assert not bars_of_three(_patterns({4: 0.8, 8: 0.8}, beats=6), 66.0)


def _analyse_on_every_kth_beat(y: np.ndarray, k: int, monkeypatch: pytest.MonkeyPatch) -> core.RhythmResult:
    """estimate_rhythm with the rules' grid replaced by every k-th of its beats (the level the
    rules take on expressive waltzes), and no level model."""
    real = core.track_pulse

    def slow_grid(*args: object, **kwargs: object) -> object:
        pulse = real(*args, **kwargs)  # type: ignore[arg-type]
        assert pulse is not None
        evidence, beats, period, spread = pulse
        return evidence, beats[::k], period * k, spread

    monkeypatch.setattr(core, "track_pulse", slow_grid)
    return estimate_rhythm(compute_features(y, ANALYSIS_SR), level_model=None)


def _oom_pah_pah(bpm: float, seconds: float = 20.0) -> np.ndarray:
    """A waltz's accompaniment: the same chord click on every quarter note, a low bass thump
    under the first of each three."""
    y = np.zeros(int(seconds * ANALYSIS_SR))
    chord, bass = _click(1000.0, 0.6), _click(70.0, 1.0)
    for i, b in enumerate(np.arange(0.3, seconds - 0.2, 60.0 / bpm)):
        start = int(round(b * ANALYSIS_SR))
        for sound in (chord, bass) if i % 3 == 0 else (chord,):
            end = min(len(y), start + len(sound))
            y[start:end] += sound[: end - start]
    return y.astype(np.float32)


def test_a_waltz_counted_in_bars_gets_its_quarter_note(monkeypatch: pytest.MonkeyPatch) -> None:
    # Quarter notes at 195 BPM; a grid on every third (65 BPM) is the bar.
    y = _oom_pah_pah(195.0)
    res = _analyse_on_every_kth_beat(y, 3, monkeypatch)
    assert res.tempo == pytest.approx(195.0, rel=0.02)
    assert res.time_signature == "3/4"


def test_a_slow_beat_in_two_is_not_tripled(monkeypatch: pytest.MonkeyPatch) -> None:
    # Quarter notes at 130 BPM read on every other one (65 BPM): the halves sound, not the thirds.
    y, _, _ = click_track(130.0, 1)
    res = _analyse_on_every_kth_beat(y, 2, monkeypatch)
    assert res.tempo == pytest.approx(65.0, rel=0.02)
