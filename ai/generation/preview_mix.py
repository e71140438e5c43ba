"""The accompaniment's preview mixed under a recording held in a stem file, block by block, into a file.

:func:`ai.generation.accompaniment.mix_preview` and :func:`ai.generation.preview.render_midi` hold the
recording, the rendered parts, their sum and the encoded file whole: a 30-minute stereo recording is
635 MB as float32, each of those as much again. Here the recording is read from its stem file and the
parts from FluidSynth's WAV files a block at a time, three times: the loudness of both (the block-wise
K-weighting), the mix's peak, then the mix scaled to that peak, written into a stem file and encoded from
it into the answer's file. Every step is element-wise or a block-wise form of the whole-array measure,
so the file holds the same bytes as ``encode_audio(mix_preview(...))`` (tests/ai/generation/test_preview_mix.py).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from ai.audio.encode import encode_audio_file
from ai.audio.loudness_meter import KWeighting
from ai.audio.stem_file import BLOCK, StemFile, write_stem_file
from ai.generation.accompaniment.preview import PREVIEW_PEAK
from ai.generation.preview import rendered_parts, stereo


def _recording_blocks(recording: StemFile) -> Iterator[np.ndarray]:
    """The recording as mix_preview reads it, [shape=(2, m), dtype=float32] blocks: its first two
    channels, or mono twice."""
    for block in recording.blocks(BLOCK):
        yield stereo(block)


def _parts_blocks(paths: Sequence[Path], n: int) -> Iterator[np.ndarray]:
    """The rendered parts summed (in ``paths``' order, as render_midi sums them), cut or padded with silence
    to the recording's ``n`` frames, in the blocks of :func:`_recording_blocks`."""
    with contextlib.ExitStack() as stack:
        renders = [stack.enter_context(sf.SoundFile(path)) for path in paths]
        for start in range(0, n, BLOCK):
            block = np.zeros((2, min(BLOCK, n - start)), dtype=np.float32)
            for render in renders:
                part = render.read(block.shape[1], dtype="float32", always_2d=True).T
                block[:, : part.shape[1]] += stereo(part)
            yield block


def _mix_blocks(recording: StemFile, paths: Sequence[Path], gain: np.float32 | None) -> Iterator[np.ndarray]:
    """The recording plus the parts at ``gain`` (None: as they are), block by block."""
    for rec, body in zip(_recording_blocks(recording), _parts_blocks(paths, recording.n_samples), strict=True):
        if gain is not None:
            body *= gain
        yield rec + body


def _parts_gain(recording: StemFile, paths: Sequence[Path], level_db: float) -> np.float32 | None:
    """The gain that sets the parts' integrated loudness ``level_db`` from the recording's (None when
    either has no finite loudness: the parts stay as rendered)."""
    sr = recording.sample_rate
    rec_weighting, parts_weighting = KWeighting(2, sr), KWeighting(2, sr)
    for rec, body in zip(_recording_blocks(recording), _parts_blocks(paths, recording.n_samples), strict=True):
        rec_weighting.feed(rec)
        parts_weighting.feed(body)
    rec_lufs, parts_lufs = rec_weighting.integrated_lufs(), parts_weighting.integrated_lufs()
    if rec_lufs is None or parts_lufs is None or not (math.isfinite(rec_lufs) and math.isfinite(parts_lufs)):
        return None
    return np.float32(10 ** ((rec_lufs + level_db - parts_lufs) / 20))


def preview_file(
    recording: StemFile,
    midis: Sequence[bytes],
    *,
    level_db: float,
    fmt: str,
    directory: Path | None = None,
    max_rates: Sequence[int | None] | None = None,
) -> Path:
    """The parts of ``midis`` rendered (each at the most at its one of ``max_rates``, then resampled) at the
    recording's rate and mixed under it (their loudness ``level_db`` from its, the sum scaled down if it would
    clip), encoded as a 16-bit ``fmt`` ("wav" or "flac") file in ``directory``: ``encode_audio(mix_preview(...),
    fmt=fmt, bit_depth=16)``'s bytes, never more than a few blocks in memory. The caller deletes the file.
    Raises RendererUnavailable (FluidSynth)."""

    sr = recording.sample_rate
    with rendered_parts(midis, sr, directory=directory, max_rates=max_rates) as paths:
        gain = _parts_gain(recording, paths, level_db)
        peak = max((float(np.max(np.abs(block))) for block in _mix_blocks(recording, paths, gain)), default=0.0)
        scale = np.float32(PREVIEW_PEAK / peak) if peak > PREVIEW_PEAK else None

        def scaled() -> Iterator[np.ndarray]:
            for block in _mix_blocks(recording, paths, gain):
                if scale is not None:
                    block *= scale
                yield block

        mix = write_stem_file(scaled(), channels=2, sample_rate=sr, directory=directory)
    with mix:
        return encode_audio_file(mix, sr, fmt=fmt, bit_depth=16, directory=directory)


__all__ = ["preview_file"]
