"""The audio preview: the parts rendered and mixed under the recording by loudness."""

from __future__ import annotations

import math

import numpy as np

from ai.audio.decode import DecodedAudio
from ai.audio.loudness import integrated_loudness
from ai.generation.accompaniment.midi_file import write_midi
from ai.generation.accompaniment.result import Accompaniment
from ai.generation.preview import stereo

PREVIEW_LEVEL_DB = -4.0
"""The rendered parts' integrated loudness relative to the recording's: under it, audible."""
PREVIEW_PEAK = 0.98
TONAL_RENDER_RATE = 22050
"""The highest rate the bass and pad are rendered at (then resampled to the recording's): through FluidR3 (GM 33
finger bass, 89 warm pad) they hold -79 dB of their energy above 11 kHz on a 3-minute accompaniment, the drums -22
dB (the drums keep the recording's rate). At 22.05 kHz FluidSynth, the preview's slow step, does half the work on
them at a 44.1-kHz recording (bench/README.md, accompaniment, "Session 38: preview speed")."""


def mix_preview(recording: DecodedAudio, parts: np.ndarray, *, level_db: float = PREVIEW_LEVEL_DB) -> np.ndarray:
    """The recording with ``parts`` (rendered at its rate) under it: the parts' integrated loudness set
    ``level_db`` from the recording's; the sum scaled down if it would clip. [shape=(2, n)]. Everything is
    held whole: the route mixes block by block from a stem file instead (:mod:`ai.generation.preview_mix`,
    the same bytes)."""
    sr = recording.sample_rate
    rec = recording.samples
    rec = stereo(rec)  # a 5.1 recording downmixed, as the block-wise preview reads it
    n = rec.shape[1]
    body = np.zeros((2, n), dtype=np.float32)
    body[:, : min(n, parts.shape[1])] = parts[:2, :n]
    rec_lufs = integrated_loudness(y=rec, sr=sr)
    parts_lufs = integrated_loudness(y=body, sr=sr)
    if rec_lufs is not None and parts_lufs is not None and math.isfinite(rec_lufs) and math.isfinite(parts_lufs):
        body *= np.float32(10 ** ((rec_lufs + level_db - parts_lufs) / 20))
    mix = rec.astype(np.float32) + body
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    if peak > PREVIEW_PEAK:
        mix *= np.float32(PREVIEW_PEAK / peak)
    return mix


def _preview_groups(result: Accompaniment) -> list[tuple[list[str], int | None]]:
    """The parts each MIDI file of the preview holds, and the highest rate it is rendered at: the drums (at the
    recording's rate), and the other parts together (two FluidSynth processes)."""
    groups = [
        ([p for p in result.parts if p == "drums"], None),
        ([p for p in result.parts if p != "drums"], TONAL_RENDER_RATE),
    ]
    return [(parts, rate) for parts, rate in groups if parts]


def preview_midis(result: Accompaniment) -> list[bytes]:
    """The MIDI files a preview renders (:func:`preview_max_rates` gives the rate each is rendered at)."""
    return [write_midi(result.grid, {p: result.parts[p] for p in parts}) for parts, _ in _preview_groups(result)]


def preview_max_rates(result: Accompaniment) -> list[int | None]:
    """For each of :func:`preview_midis`' files, the highest rate worth rendering it at (None: the recording's)."""
    return [rate for _, rate in _preview_groups(result)]
