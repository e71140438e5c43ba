"""Dynamics measures of one track: crest factor, PLR, loudness range, envelope depth, block crest.

Measures (:func:`measure_dynamics`, one track, np.ndarray [shape=(channels, n)]):

* crest factor: sample peak over RMS of the whole track (dB);
* PLR: peak-to-loudness ratio, true peak (dBTP) minus integrated loudness (LUFS): unlike the crest
  factor it ignores the silences between a sparse part's notes (BS.1770's gates leave them out);
* loudness range (EBU Tech 3342, LU) and the short-term (3 s) loudness percentiles it comes from;
* transient strength, as the envelope depth: over the loud 400 ms blocks, the median of the
  loudest 5 ms frame's level over the block's median 5 ms frame (dB): how far the hits stand above
  what sounds between them. A compressor lifts what follows each hit toward the hit, so the depth
  falls, whatever the part's density (a sparse kick and a busy one read the same, which the
  whole-track crest factor cannot say) and without an onset detector to fail on squashed hits.
  On the training stems a fast 10-20:1 compressor that takes 7 dB off a kick's crest factor takes
  its depth from about 43 dB to about 6; it separated squashed from clean tracks better than the
  median attack-over-body ratio and the decay after isolated onsets that were tried with it;
* block crest: the 10th percentile, over the loud 400 ms blocks, of the block's peak over its RMS:
  the flattest stretches, which a compressor flattens first;
* band movement: how far the level of each third-octave band moves from one STFT frame (85 ms) to the
  next, power-weighted over the bands, the median over the loud frames (dB): about 0 for a part that
  holds one sound (a drone, steady noise), whose level never moves whatever its crest factor says;
  2-5 dB for a mix, squashed or not (:func:`ai.mixing.held_sound.band_movement`).

The per-role norms these are judged against are in :mod:`ai.mixing.dynamics_norms`, the findings in
:mod:`ai.mixing.dynamics`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ai.audio import loudness
from ai.audio.stem_file import Frames, StemFile, frame_count, read_frames
from ai.mixing import stem_measures
from ai.mixing.held_sound import band_movement

ENVELOPE_FRAME_S = 0.005
"""Frame of the level envelope (5 ms): short enough to see a drum hit's first milliseconds."""
BLOCK_S = 0.4
"""Blocks the envelope depth and the block crest are taken over (a momentary-loudness block: a
few notes at any tempo)."""
BLOCK_RANGE_DB = 30.0
"""Blocks whose RMS is more than this below the loudest block's are rests and tails, left out."""
DEPTH_RANGE_DB = 60.0
"""Frames more than this below their block's loudest count as this far below it: a hit that
decays into digital silence reads 60 dB deep, not the depth of the render's noise floor."""
BLOCK_CREST_PERCENTILE = 10.0
"""The block crest is this percentile over the loud blocks: the flattest stretches, which a
compressor flattens first."""
ONSET_LOOKBACK_S = 0.05
"""An attack's rise is measured from the quietest frame of the 50 ms before it."""
ONSET_RISE_DB = 9.0
"""Rise of the 5 ms RMS envelope over its 50 ms minimum that makes an attack."""
ONSET_GAP_S = 0.06
"""Two attacks closer than this are one (flams, the two halves of a strum)."""
ONSET_RANGE_DB = 30.0
"""Attacks more than this below the loudest frame are ghost notes and spill; they are left out."""
PERCENTILES = (10, 25, 50, 75, 90, 95)
"""Short-term loudness percentiles kept (10 and 95 bound EBU Tech 3342's loudness range)."""
FRAMES_AT_ONCE_SAMPLES = 1 << 18
"""Samples per channel whose envelope frames are taken at once (not the whole track: its float64
squares would be twice the track's size)."""


@dataclass(frozen=True)
class DynamicsMeasure:
    """Dynamics of one track. Levels in dB; ``None`` where undefined (silence, shorter than 3 s).

    Attributes:
        crest_db: sample peak over RMS of the whole track (dB).
        plr_db: peak-to-loudness ratio, true peak (dBTP) minus integrated loudness (LUFS).
        lra_lu: loudness range (EBU Tech 3342, LU).
        short_term: gated short-term loudness (3 s, LUFS) percentiles, {percentile: LUFS}.
        transient_db: transient strength, the envelope depth (dB): see :func:`envelope_measures`.
        block_crest_db: crest factor of the flattest loud 400 ms stretches (dB): see :func:`envelope_measures`.
        onsets: number of attacks found (:func:`attack_onsets`).
        onset_interval_s: median time between attacks (s), None with fewer than two.
        integrated_lufs, true_peak_dbtp, sample_peak_dbfs, rms_dbfs: the levels the ratios come from.
        band_movement_db: how far the bands' levels move from frame to frame (dB),
            :func:`ai.mixing.held_sound.band_movement`; None
            when not measured (no frame-wise spectrum given) or fewer than two loud frames.
    """

    crest_db: float | None
    plr_db: float | None
    lra_lu: float | None
    short_term: dict[int, float]
    transient_db: float | None
    block_crest_db: float | None
    onsets: int
    onset_interval_s: float | None
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    rms_dbfs: float | None
    band_movement_db: float | None = None

    def value(self, measure: str) -> float | None:
        """One of ai.mixing.dynamics_norms.MEASURES by name."""
        found: float | None = getattr(self, measure)
        return found

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["short_term"] = {f"p{k}": v for k, v in self.short_term.items()}
        return out


def _frames(samples: Frames, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """(peak |x| over channels, mean square over channels) of consecutive ``frame``-sample frames."""
    n = frame_count(samples) // frame
    peak = np.empty(n, dtype=samples.dtype if isinstance(samples, np.ndarray) else np.float32)
    power = np.empty(n)
    step = max(1, FRAMES_AT_ONCE_SAMPLES // frame)  # a batch's float64 squares stay small
    for first in range(0, n, step):
        last = min(n, first + step)
        batch = read_frames(samples, first * frame, last * frame).reshape(samples.shape[0], last - first, frame)
        peak[first : first + step] = np.abs(batch).max(axis=(0, 2))
        power[first : first + step] = np.mean(np.square(batch, dtype=np.float64), axis=(0, 2))
    return peak, power


def attack_onsets(*, power: np.ndarray, frame_s: float) -> np.ndarray:
    """Frame indices of the attacks in a mean-square envelope.

    Args:
        power: np.ndarray [shape=(n_frames,)]: mean square per ENVELOPE_FRAME_S frame.
        frame_s: frame length in seconds.

    Returns np.ndarray [shape=(n_onsets,), dtype=int64].
    """
    if power.size == 0 or power.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    floor = power.max() * 1e-10
    level = 10 * np.log10(np.maximum(power, floor))
    back = max(1, int(round(ONSET_LOOKBACK_S / frame_s)))
    # Silence before the track's start: a hit on its first sample is an attack too.
    padded = np.concatenate((np.full(back, 10 * np.log10(floor)), level))
    before = np.lib.stride_tricks.sliding_window_view(padded[:-1], back).min(axis=1)
    rise = level - before
    candidates = np.flatnonzero((rise >= ONSET_RISE_DB) & (level >= level.max() - ONSET_RANGE_DB))
    gap = max(1, int(round(ONSET_GAP_S / frame_s)))
    onsets: list[int] = []
    for index in candidates:
        if not onsets or index - onsets[-1] >= gap:
            onsets.append(int(index))
    return np.asarray(onsets, dtype=np.int64)


def envelope_measures(*, samples: Frames, sr: int) -> tuple[float | None, float | None, int, float | None]:
    """(envelope depth dB, block crest dB, attacks, median interval between attacks s) of a track.

    ``samples``: np.ndarray [shape=(channels, n)] or a stem file. From the 5 ms frames' peak and mean square, over
    the BLOCK_S blocks within BLOCK_RANGE_DB of the loudest:

    * envelope depth: the median over the blocks of the loudest frame's level over the block's
      median frame level (frames floored DEPTH_RANGE_DB below the loudest): how far the hits
      stand above what sounds between them. A compressor lifts what follows each hit toward the
      hit, so the depth falls, whatever the part's density or its instrument's loudness.
    * block crest: the BLOCK_CREST_PERCENTILE percentile over the blocks of the block's sample
      peak over its RMS.

    None (and 0 attacks) when the track is shorter than a block or silent.
    """
    frame = max(1, int(round(ENVELOPE_FRAME_S * sr)))
    peak, power = _frames(samples, frame)
    onsets = attack_onsets(power=power, frame_s=frame / sr)
    interval = float(np.median(np.diff(onsets))) * frame / sr if onsets.size > 1 else None
    per = max(1, int(round(BLOCK_S * sr / frame)))
    n_blocks = power.size // per
    if n_blocks == 0 or power.max() <= 0:
        return None, None, int(onsets.size), interval
    block_power = power[: n_blocks * per].reshape(n_blocks, per)
    block_peak = peak[: n_blocks * per].reshape(n_blocks, per).max(axis=1)
    block_ms = block_power.mean(axis=1)
    loud = block_ms > block_ms.max() * 10 ** (-BLOCK_RANGE_DB / 10)
    frames_db = 10 * np.log10(np.maximum(block_power[loud], block_power[loud].max() * 1e-12))
    top = frames_db.max(axis=1)
    floored = np.maximum(frames_db, top[:, np.newaxis] - DEPTH_RANGE_DB)
    depth = float(np.median(top - np.median(floored, axis=1)))
    crest = 20 * np.log10(block_peak[loud]) - 10 * np.log10(block_ms[loud])
    return depth, float(np.percentile(crest, BLOCK_CREST_PERCENTILE)), int(onsets.size), interval


def _gated_short_term(short: np.ndarray) -> np.ndarray:
    """Short-term loudness values that pass EBU Tech 3342's gates (absolute -70 LUFS, relative -20 LU)."""
    above = short[short > loudness.ABSOLUTE_GATE_LUFS]
    if above.size == 0:
        return above
    gate = 10 * math.log10(float(np.mean(10 ** (above / 10)))) + loudness.LRA_RELATIVE_GATE_LU
    return above[above > gate]


def measure_dynamics(
    *,
    samples: Frames,
    sr: int,
    stats: loudness.LoudnessStats | None = None,
    sub_energy: np.ndarray | None = None,
    fine_power: np.ndarray | None = None,
) -> DynamicsMeasure:
    """Dynamics measures of a track.

    Args:
        samples: np.ndarray [shape=(channels, n)], float32 (other dtypes are converted), or a stem
            file (read block by block).
        sr: sample rate in Hz.
        stats: :func:`ai.audio.loudness.measure_loudness` of ``samples`` when the caller has it.
        sub_energy: :func:`ai.audio.loudness.sub_block_powers` of ``samples`` when the caller has it.
        fine_power: the frame-wise band powers of ``samples`` (``ai.mixing.measure.TrackSpectra.fine_power``)
            when the caller has them: the band movement is measured from them (None without).

    Loudness, true peak, LRA and crest come from :mod:`ai.audio.loudness` (BS.1770-4, EBU Tech 3342).
    """
    if isinstance(samples, StemFile):
        if sub_energy is None or stats is None:
            measured = stem_measures.measure_stem(samples)  # the same figures, block by block
            sub_energy = measured[0] if sub_energy is None else sub_energy
            stats = measured[2] if stats is None else stats
    else:
        array = _validated(samples)
        sub_energy = loudness.sub_block_powers(y=array, sr=sr) if sub_energy is None else sub_energy
        stats = loudness.measure_loudness(y=array, sr=sr, sub_energy=sub_energy) if stats is None else stats
        samples = array
    gated = _gated_short_term(loudness.short_term_loudness(sr=sr, sub_energy=sub_energy))
    percentiles = (
        {p: float(v) for p, v in zip(PERCENTILES, np.percentile(gated, PERCENTILES), strict=True)} if gated.size else {}
    )
    depth, block_crest, onsets, interval = envelope_measures(samples=samples, sr=sr)
    plr = (
        None
        if stats.true_peak_dbtp is None or stats.integrated_lufs is None
        else stats.true_peak_dbtp - stats.integrated_lufs
    )
    return DynamicsMeasure(
        crest_db=stats.crest_factor_db,
        plr_db=plr,
        lra_lu=stats.loudness_range_lu,
        short_term=percentiles,
        transient_db=depth,
        block_crest_db=block_crest,
        onsets=onsets,
        onset_interval_s=interval,
        integrated_lufs=stats.integrated_lufs,
        true_peak_dbtp=stats.true_peak_dbtp,
        sample_peak_dbfs=stats.sample_peak_dbfs,
        rms_dbfs=stats.rms_dbfs,
        band_movement_db=None if fine_power is None else band_movement(fine_power=fine_power),
    )


def _validated(samples: np.ndarray) -> np.ndarray:
    if not isinstance(samples, np.ndarray) or samples.ndim != 2 or samples.shape[0] < 1:
        raise ValueError(f"samples must be a numpy array of shape (channels, n), got {getattr(samples, 'shape', None)}")
    return np.ascontiguousarray(samples, dtype=np.float32)
