"""Mastering to a loudness target: a gain into a true-peak limiter.

:func:`master_to_target` raises a mix into a brickwall limiter (:func:`limit`: a pedalboard
Compressor used as one, see LIMITER_RATIO), its drive searched on the engine's own loudness and
true-peak measures, so that the master is on the target's loudness with its true peak at or below
the ceiling (-1 dBTP). The render (:mod:`ai.mixing.render`) masters its mix with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pedalboard

from ai.audio import loudness
from ai.audio.loudness_meter import LoudnessMeter
from ai.audio.reconstructed_peak import ReconstructedPeak
from ai.audio.stem_file import Frames, StemFile, frame_blocks
from ai.mixing.board_blocks import _file_of, _scaled, board_blocks, run_board
from ai.mixing.stem_measures import integrated_loudness, true_peak
from ai.mixing.targets import LoudnessTarget

logger = logging.getLogger(__name__)

LIMITER_RATIO = 1000.0
"""Ratio of the limiter (a pedalboard Compressor used as a brickwall, as the second stage of JUCE's
own Limiter is). pedalboard's two limiters do not fit a master: ``Limiter`` adds 3.75 dB of gain
after its brickwall and hard-clips at 0 dBFS (measured: a -40 dBFS tone comes out 3.75 dB louder
than its threshold implies, a loud one flat at 0 dBFS); ``BrickwallLimiter`` never releases while
the signal stays above its ceiling, so on dense music more drive stops lowering the peak-to-loudness
ratio (measured on a training song: 12.2 dB at 10 dB of drive, 14.5 dB at 30 dB): none of 16
training mixes reached the -9 LUFS club target with it, 13 of 16 do with this one."""
LIMITER_ATTACK_MS = 0.01
"""Attack of the limiter: instant at audio rates (10 us is under one sample at 44.1 kHz)."""
LIMITER_RELEASE_MS = 100.0
"""Release of the limiter: JUCE's Limiter default, between the 50-200 ms mastering limiters use."""
LIMITER_THRESHOLD_DB = -20.0
"""The compressor's fixed threshold; :func:`limit` shifts the gain around it, so the signal is the
same distance above it whatever the ceiling (the limiter is then scale-invariant)."""
PLR_TOLERANCE_DB = 0.25
"""The drive search stops when the limited signal's peak-to-loudness ratio is at most this under
the goal: at most 0.25 dB more limiting than the ceiling needs (the loudness is then set exactly;
the true peak lands up to 0.25 dB under the ceiling)."""
CEILING_GUARD_DB = 0.01
"""The master's true peak is aimed this far under the ceiling, so rounding never reads as over it."""
MASTER_MAX_PASSES = 8
"""Limiter passes (about 0.4 s each on a 3-minute mix) before the drive search stops with its best."""
RECONSTRUCTION_MARGIN_DB = 1.0
"""A master whose BS.1770 true peak is this far under the ceiling is not read again: the standard's filter reads
a limited master's peak 0.1-0.2 dB low, never 1 dB (QA pass 5b)."""
MAX_DRIVE_DB = 30.0
"""Most limiting the search tries: beyond this a mix is destroyed, not mastered."""
AUDIBLE_LIMITING_DB = 6.0
"""Limiting drive above which limiting is audible (pumping, dulled transients): the report says so.
The same 6 dB the mastering finding of :mod:`ai.mixing.mix_bus_findings` warns at."""


def limit(
    samples: np.ndarray, sr: int, *, gain_db: float, ceiling_db: float, out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(2, n)]) raised by ``gain_db`` into a brickwall limiter whose
    sample peaks stay at ``ceiling_db`` dBFS: a pedalboard Compressor at LIMITER_RATIO with an
    instant attack, between two gains that put the ceiling on its threshold. Scale-invariant: the
    gain and the ceiling shift the result by the same dB. ``out``: where to write the result (may
    be ``samples`` itself)."""
    return run_board(limiter(gain_db=gain_db, ceiling_db=ceiling_db), samples, sr, out=out)


def limiter(*, gain_db: float, ceiling_db: float) -> pedalboard.Plugin:
    """The chain of :func:`limit`."""
    plugins = [
        pedalboard.Gain(gain_db=gain_db + LIMITER_THRESHOLD_DB - ceiling_db),
        pedalboard.Compressor(
            threshold_db=LIMITER_THRESHOLD_DB,
            ratio=LIMITER_RATIO,
            attack_ms=LIMITER_ATTACK_MS,
            release_ms=LIMITER_RELEASE_MS,
        ),
        pedalboard.Gain(gain_db=ceiling_db - LIMITER_THRESHOLD_DB),
    ]
    board: pedalboard.Plugin = pedalboard.Pedalboard(plugins)
    return board


def _limited(samples: Frames, sr: int, drive_db: float, peak_db: float) -> tuple[float, float]:
    """The integrated loudness and true peak (the engine's own measures) of the signal limited at
    0 dBFS after raising its true peak ``drive_db`` above it, measured block by block as the
    limiter makes them (the limited signal is never whole). ``peak_db``: the input's true peak."""
    meter = LoudnessMeter(channels=samples.shape[0], sr=sr)
    for block in board_blocks(limiter(gain_db=drive_db - peak_db, ceiling_db=0.0), samples, sr):
        meter.feed(block)
    stats = meter.result()
    if stats.integrated_lufs is None or stats.true_peak_dbtp is None:
        raise ValueError("the limited signal is silent")
    return stats.integrated_lufs, stats.true_peak_dbtp


def _db(linear: float) -> float:
    value = loudness.amplitude_to_db(linear)
    assert value is not None  # a signal with loudness has a peak
    return value


@dataclass(frozen=True)
class _Plan:
    """A master as a drive into the limiter and a gain after it, with what the engine's meters read of it."""

    drive: float
    gain_to: float
    """dB after the limiter (with no drive: the whole gain on the input)."""
    lufs: float
    tp: float
    passes: int


def _search(samples: Frames, sr: int, lufs_in: float, peak_in: float, plr_goal: float, target_lufs: float) -> _Plan:
    """The least drive whose limited signal has a peak-to-loudness ratio (BS.1770 true peak - integrated
    loudness) at most ``plr_goal`` (within PLR_TOLERANCE_DB), then the gain that sets the loudness on
    ``target_lufs``; no drive for a signal already within the goal; the lowest ratio seen, its peak on the
    goal's ceiling, when no drive up to MAX_DRIVE_DB gets there."""
    plr_in = peak_in - lufs_in
    if plr_in <= plr_goal:
        gain = target_lufs - lufs_in
        return _Plan(0.0, gain, target_lufs, peak_in + gain, 0)
    # f(drive) = PLR(drive) - goal falls as the drive grows; f(0) = plr_in - goal > 0. Before the
    # goal is bracketed: secant steps through the last two points (10% long: the PLR flattens as
    # the drive grows, so a secant falls short); then Illinois regula falsi inside the bracket.
    prev_drive, prev_f = 0.0, plr_in - plr_goal
    low, f_low = prev_drive, prev_f
    high: float | None = None
    f_high = 0.0
    side = 0  # which end the last bracketed step replaced (-1 low, +1 high)
    drive = prev_f  # first guess: the PLR falls by the drive (it falls slower: limiting lowers the loudness too)
    # (drive, loudness, true peak) of the passes, which measure the limiter's output as it
    # comes (each would be the mix's size); the chosen drive is rendered once at the end.
    best: tuple[float, float, float] | None = None  # least drive that meets the goal
    fallback: tuple[float, float, float] | None = None  # lowest PLR seen
    passes = 0
    while passes < MASTER_MAX_PASSES:
        passes += 1
        lufs_d, tp_d = _limited(samples, sr, drive, peak_in)
        f = (tp_d - lufs_d) - plr_goal
        logger.debug("master pass %d: drive %.2f dB -> PLR %.2f dB (goal %.2f)", passes, drive, tp_d - lufs_d, plr_goal)
        if f <= 0 and (best is None or drive < best[0]):
            best = (drive, lufs_d, tp_d)
        if fallback is None or tp_d - lufs_d < fallback[2] - fallback[1]:
            fallback = (drive, lufs_d, tp_d)
        if -PLR_TOLERANCE_DB <= f <= 0:
            break
        if high is None and f > 0:
            slope = (f - prev_f) / (drive - prev_drive)
            prev_drive, prev_f = drive, f
            low, f_low = drive, f
            if drive >= MAX_DRIVE_DB:
                break
            step = f / -slope if slope < 0 else max(drive, 1.0)
            drive = min(MAX_DRIVE_DB, drive + 1.1 * step)
            continue
        if f > 0:
            low, f_low = drive, f
            if side == -1:
                f_high /= 2
            side = -1
        else:
            high, f_high = drive, f
            if side == 1:
                f_low /= 2
            side = 1
        assert high is not None
        drive = low + (high - low) * f_low / (f_low - f_high)
    if best is None:
        # No drive reached the goal: the ceiling wins over the loudness.
        assert fallback is not None
        drive, lufs_d, tp_d = fallback
        gain_to = plr_goal + target_lufs - tp_d
    else:
        drive, lufs_d, tp_d = best
        gain_to = target_lufs - lufs_d
    return _Plan(drive, gain_to, lufs_d + gain_to, tp_d + gain_to, passes)


def master_to_target(
    samples: Frames, sr: int, *, target: LoudnessTarget, in_place: bool = False
) -> tuple[Frames, dict[str, Any]]:
    """A master of ``samples`` (np.ndarray [shape=(2, n), dtype=float32]) at ``target``'s loudness
    with its true peak at or below ``target.ceiling_dbtp`` (written over ``samples`` when
    ``in_place``: a mix the caller gives up).

    The limiter (:func:`limit`) is scale-invariant: limiting at a ceiling c after a gain g is
    limiting at 0 dBFS after a gain g - c, then a gain c. So the master is found in one variable,
    the drive (how far the input's true peak is pushed above the limiter's ceiling): the drive is
    searched (bracketed secant, on the engine's own BS.1770 loudness and 4x oversampled true
    peak) until the limited signal's peak-to-loudness ratio (PLR, true peak - integrated
    loudness) is at most the target's (ceiling - target loudness) and within PLR_TOLERANCE_DB of
    it; one gain then sets the loudness exactly on the target, and the true peak lands at or just
    under the ceiling. A mix whose PLR is already small enough gets the gain alone (no limiting).
    When no drive up to MAX_DRIVE_DB gets there, the ceiling wins: the master stays under it,
    quieter than the target, and ``within_tolerance`` says so.

    The BS.1770 meter reads a limited master's peak up to 0.2 dB low (:mod:`ai.audio.reconstructed_peak`): the
    master's reconstructed peak is read as it is rendered, and what it is over the ceiling is taken off the gain
    (a second pass over a stem file's master, a gain alone), so the loudness gives way by as much (0.1-0.2 dB on
    the QA masters; a second drive search to win it back doubled the time of a master, 1.8 -> 10 s on 3 minutes).

    Returns the master and a dict of what was done (gain, drive, limiter, loudness, true peak, the
    reconstructed peak, passes, within_tolerance, note). A stem file is read block by block and its master
    written into a new stem file beside it (or the same file when it is silent).
    """
    lufs_in = integrated_loudness(samples, sr)
    peak_in = loudness.amplitude_to_db(true_peak(samples, sr))
    info: dict[str, Any] = {"target": target.to_dict(), "input_loudness_lufs": lufs_in, "input_true_peak_dbtp": peak_in}
    if lufs_in is None or peak_in is None:
        return samples, {**info, "skipped": "silent mix: nothing to master", "within_tolerance": False}
    ceiling = target.ceiling_dbtp - CEILING_GUARD_DB
    plan = _search(samples, sr, lufs_in, peak_in, ceiling - target.lufs, target.lufs)
    # The master's reconstructed peak is read as the master is made (further under the ceiling it cannot be over:
    # not read); what it is over the ceiling then comes off the gain.
    meter = (
        ReconstructedPeak(channels=samples.shape[0], sr=sr) if plan.tp > ceiling - RECONSTRUCTION_MARGIN_DB else None
    )

    def read(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for block in blocks:
            if meter is not None:
                meter.feed(block)
            yield block

    drive, scale = plan.drive, np.float32(10 ** (plan.gain_to / 20))
    out: Frames
    if drive == 0:
        if isinstance(samples, StemFile):
            out = _file_of(read(block * scale for block in frame_blocks(samples)), samples)
        elif in_place:
            samples *= scale
            out = samples
        else:
            out = samples * scale
        gain = plan.gain_to
    else:
        # The limiter is deterministic: the chosen pass again, the only one kept.
        if isinstance(samples, StemFile):
            chain = limiter(gain_db=drive - peak_in, ceiling_db=0.0)
            out = _file_of(read(block * scale for block in board_blocks(chain, samples, sr)), samples)
        else:
            out = limit(samples, sr, gain_db=drive - peak_in, ceiling_db=0.0, out=samples if in_place else None)
            out *= scale
        gain = drive - peak_in + plan.gain_to
    passes, lufs, tp = plan.passes, plan.lufs, plan.tp
    reconstructed: float | None = None  # the master's reconstructed peak, when read
    if meter is not None:
        if isinstance(out, np.ndarray):
            for _ in read(frame_blocks(out)):
                pass
        reconstructed = _db(meter.peak())
        if reconstructed > ceiling:  # the BS.1770 meter read it low: the loudness gives way
            excess = reconstructed - ceiling
            trim = np.float32(10 ** (-excess / 20))
            if isinstance(out, StemFile):
                trimmed = _scaled(out, trim)
                out.close()
                out = trimmed
            else:
                out *= trim
            gain, lufs, tp, reconstructed = gain - excess, lufs - excess, tp - excess, ceiling
    info.update(
        {
            "gain_db": gain,
            "drive_db": drive,
            "limiter": {
                "ceiling_dbfs": gain - drive + peak_in if drive > 0 else None,
                "ratio": LIMITER_RATIO,
                "attack_ms": LIMITER_ATTACK_MS,
                "release_ms": LIMITER_RELEASE_MS,
            }
            if drive > 0
            else None,
            "loudness_lufs": lufs,
            "true_peak_dbtp": tp,
            "reconstructed_peak_dbtp": reconstructed,
            "passes": passes,
            "within_tolerance": abs(lufs - target.lufs) <= 0.5 and tp <= target.ceiling_dbtp,
        }
    )
    if drive > AUDIBLE_LIMITING_DB:
        info["note"] = (
            f"{drive:.1f} dB of peak limiting to reach {target.lufs:g} LUFS: audible on transients; compress the "
            "mix (drums, bus) first or choose a quieter target"
        )
    if not info["within_tolerance"]:
        info["note"] = (
            f"the {target.ceiling_dbtp:g} dBTP ceiling holds the master at {lufs:.1f} LUFS, under the {target.lufs:g} "
            "LUFS target: compress the mix first"
        )
    return out, info


__all__ = [
    "master_to_target",
]
