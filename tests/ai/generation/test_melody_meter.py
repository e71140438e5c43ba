"""The meter of a melody alone: how its beat divides, how far apart its tune repeats, and the accompaniment's
bars (and MIDI file) that follow from them."""

from __future__ import annotations

import io
from typing import Any

import mido
import numpy as np
import pytest

from ai.generation.bar_harmony import CHROMA_HOP, CHROMA_SR
from ai.generation.beat_following import FRAME_S, REFINE_SR
from ai.generation.melody_meter import COMPOUND_LOG_RATIO, division_log_ratio, melody_meter, repetition

BEAT_S = 0.6
SCALE = (0, 2, 4, 5, 7, 9, 11)


def beat_times(count: int) -> np.ndarray:
    return 0.3 + BEAT_S * np.arange(count + 1)


def onsets_at(beats: np.ndarray, division: int) -> np.ndarray:
    """An onset envelope (a frame every FRAME_S) with a note struck on every beat and on each of its
    ``division`` even parts, softer between the beats."""
    env = np.zeros(int((beats[-1] + 1.0) / FRAME_S))
    for a, b in zip(beats[:-1], beats[1:], strict=True):
        for k in range(division):
            env[int(round((a + (b - a) * k / division) / FRAME_S))] = 1.0 if k == 0 else 0.6
    return env


def parts(bars_per_part: int, per_bar: int, seed: int = 3) -> list[int]:
    """A tune's pitch classes, one a beat: parts A A B B of ``bars_per_part`` bars of ``per_bar`` beats, A and
    B drawn apart (seeded)."""
    rng = np.random.default_rng(seed)
    a, b = (rng.choice(SCALE, size=bars_per_part * per_bar).tolist() for _ in range(2))
    return a + a + b + b


def chroma_of(pitches: list[int], beats: np.ndarray) -> np.ndarray:
    """Constant-Q-like chroma frames [12, frames] of a line sounding ``pitches[i]`` over beat i."""
    frames = int((beats[-1] + 1.0) * CHROMA_SR / CHROMA_HOP)
    chroma = np.full((12, frames), 1e-3)
    times = np.arange(frames) * CHROMA_HOP / CHROMA_SR
    at = np.searchsorted(beats, times, side="right") - 1
    for f, i in enumerate(at):
        if 0 <= i < len(pitches):
            chroma[pitches[i], f] = 1.0
            chroma[(pitches[i] + 7) % 12, f] = 0.3  # the third harmonic
    return chroma


def test_division_tells_a_beat_in_three_from_a_beat_in_two() -> None:
    beats = beat_times(32)
    assert division_log_ratio(onsets_at(beats, 3), beats) >= COMPOUND_LOG_RATIO  # a jig's eighths
    assert division_log_ratio(onsets_at(beats, 2), beats) < 0.0  # a reel's
    assert division_log_ratio(onsets_at(beats, 1), beats) < COMPOUND_LOG_RATIO  # a note a beat: no sign of three
    assert division_log_ratio(onsets_at(beats, 4), beats) < COMPOUND_LOG_RATIO  # sixteenths
    assert division_log_ratio(np.zeros(10), beats[:2]) == 0.0


def test_repetition_peaks_at_the_part_length() -> None:
    pitches = parts(8, 2)  # A A B B, 16 beats a part
    beats = beat_times(len(pitches))
    alike = repetition(chroma_of(pitches, beats), beats, (12, 16, 24, 32))
    assert alike[16] == pytest.approx(max(alike.values()))
    assert alike[16] > alike[32] + 0.3
    assert repetition(chroma_of(pitches, beats), beats[:20], (16,)) == {}  # too few beats repeat at 16


@pytest.mark.parametrize(
    ("division", "per_bar", "analysis", "expected"),
    [
        (3, 2, "4/4", "6/8"),  # a jig counted in 4/4 by the analysis: bars of two dotted quarters
        (3, 2, "6/8", "6/8"),
        (2, 2, "4/4", "2/4"),  # a polka counted in 4/4
        (2, 4, "4/4", "4/4"),  # a reel keeps its bars
        (2, 4, "3/4", "4/4"),  # ... and gets them back from a 3/4 count
        (2, 3, "4/4", "3/4"),  # a waltz counted in 4/4
        (3, 4, "4/4", "12/8"),  # parts of 8 bars of four dotted quarters
    ],
)
def test_melody_meter_from_division_and_repetition(division: int, per_bar: int, analysis: str, expected: str) -> None:
    pitches = parts(8, per_bar)
    beats = beat_times(len(pitches))
    assert melody_meter(onsets_at(beats, division), chroma_of(pitches, beats), beats, analysis) == expected


def test_a_short_line_keeps_the_analysis_bars_where_its_part_cannot_be_measured() -> None:
    pitches = parts(8, 2)[:36]  # A A and a little: a lag of 32 beats has too few pairs
    beats = beat_times(len(pitches))
    assert melody_meter(onsets_at(beats, 2), chroma_of(pitches, beats), beats, "4/4") == "4/4"
    assert melody_meter(onsets_at(beats, 2), chroma_of(pitches, beats), beats, "5/4") == "5/4"  # no choice of its


def sung_jig() -> tuple[np.ndarray, np.ndarray]:
    """(a sung jig at REFINE_SR, its dotted-quarter beat times): parts A A B B of 8 bars of 6/8, three struck
    harmonic notes a beat, the beat's first a chord tone."""
    rng = np.random.default_rng(5)
    roots = [0, 5, 7, 0, 9, 5, 7, 0]
    part_a = [[(r + rng.choice((0, 4, 7))) % 12, *rng.choice(SCALE, size=2).tolist()] for r in roots for _ in (0, 1)]
    part_b = [
        [(r + rng.choice((0, 4, 7))) % 12, *rng.choice(SCALE, size=2).tolist()] for r in roots[::-1] for _ in (0, 1)
    ]
    eighth = BEAT_S / 3
    t = np.arange(int(eighth * REFINE_SR)) / REFINE_SR
    notes = []
    for beat in part_a + part_a + part_b + part_b:
        for pc in beat:
            f = 261.63 * 2 ** (pc / 12)
            notes.append(np.exp(-4.0 * t) * sum(np.sin(2 * np.pi * f * k * t) / k for k in range(1, 6)))
    y = np.concatenate([np.zeros(int(0.3 * REFINE_SR)), *notes, np.zeros(int(REFINE_SR))])
    return (0.1 * y).astype(np.float32), 0.3 + BEAT_S * np.arange(4 * 16)


def sung_analysis(beats: np.ndarray, duration: float) -> Any:
    """What the analysis says of the jig: its dotted-quarter beats counted in 4/4, C major."""
    from ai.analysis.pipeline import AnalysisResult

    return AnalysisResult(
        duration=duration, sample_rate=22050, channels=1, tempo=60.0 / BEAT_S, tempo_confidence=0.9,
        beat_tempo=60.0 / BEAT_S, beat_times=[float(b) for b in beats], beats=len(beats),
        downbeat_times=[float(b) for b in beats[::4]], time_signature="4/4", beat_division=2, key="C major",
        key_confidence=0.8, key_score=0.9, key_runner_up=None, key_runner_up_score=0.0, tuning_cents=0.0, chords=[],
        loudness_lufs=None, true_peak_dbtp=None, peak_dbfs=None, loudness_range_lu=None,
        short_term_loudness_max_lufs=None, crest_factor_db=None, spectral_centroid_mean=0.0,
        spectral_rolloff_mean=0.0, rms_mean=0.0, zero_crossing_rate_mean=0.0, clipped_fraction=0.0,
    )  # fmt: skip


def test_the_accompaniment_of_a_jig_counted_in_four_has_six_eight_bars_and_its_midi_says_so() -> None:
    """End to end: the analysis counts the jig's dotted quarters in 4/4; for a melody alone the grid gets 6/8
    bars of two beats, and the MIDI file's time signature and tempo map agree (a DAW imports 6/8 at the dotted
    quarter's tempo). The polyphonic path (harmony=recording) keeps the analysis's 4/4."""
    from ai.generation.accompaniment import AccompanimentOptions, accompany_cues, recording_cues
    from ai.generation.base import GeneratorRegistry
    from ai.generation.theory import TheoryGenerator

    registry = GeneratorRegistry()
    registry.register(TheoryGenerator())
    y, beats = sung_jig()
    analysis = sung_analysis(beats, len(y) / REFINE_SR)
    cues = recording_cues(y, 0.0)
    melody = accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("bass", "pad"), harmony="melody"))
    grid = melody.grid
    assert (grid.numerator, grid.denominator, grid.beats_per_bar, grid.quarters_per_beat) == (6, 8, 2, 1.5)
    start, end = grid.bar_span(1)
    assert end - start == pytest.approx(2 * BEAT_S, abs=0.02)
    midi = mido.MidiFile(file=io.BytesIO(melody.midi))
    metas = [m for m in midi.tracks[0] if m.type in ("time_signature", "set_tempo")]
    signatures = [(m.numerator, m.denominator) for m in metas if m.type == "time_signature"]
    assert signatures[-1] == (6, 8) and set(signatures) <= {(6, 8), (1, 8), (2, 8), (3, 8), (4, 8), (5, 8)}
    tempi = [mido.tempo2bpm(m.tempo) for m in metas if m.type == "set_tempo"]
    assert np.median(tempi) == pytest.approx(60.0 / BEAT_S * 1.5, rel=0.02)  # quarters a minute
    assert melody.tempo == pytest.approx(60.0 / BEAT_S * 1.5, rel=0.02)
    heard = accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("bass",), harmony="recording"))
    assert (heard.grid.numerator, heard.grid.denominator) == (4, 4)
