"""What the accompaniment reads from the recording's signal besides the analysis: onsets and chroma."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr

from ai.analysis.pipeline import AnalysisResult, analyze_summary, reported_tuning
from ai.analysis.signal_pass import SignalSummary
from ai.audio.decode import DecodedAudio
from ai.generation.bar_harmony import chroma_at, chroma_signal, chroma_signal_in_place
from ai.generation.beat_following import REFINE_SR, onset_cues
from ai.heap import release_free_memory


def mono_at(audio: DecodedAudio, sample_rate: int = REFINE_SR) -> np.ndarray:
    """np.ndarray [shape=(n,), float32]: the mono mix at ``sample_rate`` (soxr)."""
    mono = audio.mono().astype(np.float32)
    if audio.sample_rate == sample_rate:
        return mono
    out: np.ndarray = soxr.resample(mono, audio.sample_rate, sample_rate)
    return out


@dataclass(frozen=True)
class RecordingCues:
    """What the accompaniment reads from the recording's signal besides the analysis: the onset envelope and
    band levels (beat refinement) and the constant-Q chroma (bar roots, bar phase). All are small (2.5 MB,
    10 MB and 1 MB for 30 minutes), so the 22,050 Hz signal (159 MB) can go before the analysis's later
    stages run."""

    onsets: np.ndarray
    """:func:`~ai.generation.beat_following.onset_envelope` of the mono mix at REFINE_SR."""
    bands: np.ndarray
    """:func:`~ai.generation.beat_following.onset_cues`'s band levels of the same mix (soft attacks)."""
    chroma: np.ndarray
    """:func:`~ai.generation.bar_harmony.chroma_at` of the same mix at the recording's tuning."""


def recording_cues(mono: np.ndarray, tuning_cents: float) -> RecordingCues:
    """:class:`RecordingCues` of the recording's mono mix at REFINE_SR [shape=(n,)]."""
    onsets, bands = onset_cues(mono)
    return RecordingCues(onsets, bands, chroma_at(chroma_signal(mono, REFINE_SR), tuning_cents=tuning_cents))


def take_recording_cues(summary: SignalSummary, tuning_cents: float) -> RecordingCues:
    """:func:`recording_cues` of the analysis's one-pass signal (``summary.y``, at REFINE_SR), letting that
    signal go as it becomes the chroma's half-rate copy (written over its own buffer): the constant-Q
    transform's working arrays never sit beside it. For ``analyze_summary(..., last_look=...)`` with the STFT pass's tuning as the analysis
    reports it (``reported_tuning``), which ``accompany_signal`` uses."""
    mono = summary.y
    onsets, bands = onset_cues(mono)
    summary.release_signal()  # ``mono`` is now the signal's only holder: its buffer becomes the half-rate copy
    half_rate = chroma_signal_in_place(mono, REFINE_SR)
    del mono
    release_free_memory()  # what the STFT pass's threads freed, before the constant-Q transform (ai/heap.py)
    return RecordingCues(onsets, bands, chroma_at(half_rate, tuning_cents=tuning_cents))


def analyse_with_cues(summary: SignalSummary) -> tuple[AnalysisResult, RecordingCues]:
    """The analysis of a recording's one-pass ``summary`` and its :class:`RecordingCues`, taken from the signal as the
    analysis's last look at it (:func:`take_recording_cues`), which lets the signal go before the later stages."""
    cues: list[RecordingCues] = []
    analysis = analyze_summary(
        summary,
        release_signal=True,
        last_look=lambda taken, spectral: cues.append(
            take_recording_cues(taken, reported_tuning(spectral.tuning_cents()))
        ),
    )
    return analysis, cues[0]
