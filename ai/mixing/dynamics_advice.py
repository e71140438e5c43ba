"""The compressor / leveler advice that checks itself: volume automation per section, or a compressor.

Measures are :mod:`ai.mixing.dynamics_measure`'s (:func:`ai.mixing.dynamics_measure.measure_dynamics`), norms
:mod:`ai.mixing.dynamics_norms`' (:class:`ai.mixing.dynamics_norms.RoleDynamics`), and the compressor and the
automation are applied by :mod:`ai.mixing.dynamics_processing`. The "uncontrolled" finding that asks for this advice
is :mod:`ai.mixing.dynamics`'.

When the swing is slow (sections at different levels, each with normal dynamics), volume automation per section
(:func:`section_automation`) brings the range to the role's norm and is the better tool. Otherwise a compressor
derived from the signal (:func:`suggest_compressor`): threshold from the short-term loudness percentiles moved into
the detector's peak domain, ratio to bring the range to the role's median, attack from the transient strength,
release from the tempo, makeup to keep the integrated loudness. Both are checked: the move is applied (pedalboard
for the compressor), the track is measured again, and the check carries before / after / target
(:func:`automation_check`, :attr:`CompressorAdvice.check`); a compressor that does not move the range
CHECK_FRACTION of the way alone becomes two stages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ai.audio import loudness
from ai.audio.loudness_meter import KWeighting
from ai.audio.stem_file import Frames, StemFile, frame_count, read_frames, write_stem_file
from ai.mixing import stem_measures
from ai.mixing.board_blocks import board_blocks
from ai.mixing.dynamics_measure import DynamicsMeasure, _validated, measure_dynamics
from ai.mixing.dynamics_norms import RoleDynamics
from ai.mixing.dynamics_processing import apply_automation, apply_compressor, automation_gains, compressor_board

CHECK_FRACTION = 0.6
"""Share of the way to the target a suggested move must cover in its own check (issue 12)."""
AIM_FRACTION = 0.75
"""Share of the way the compressor search aims for, so the advice clears CHECK_FRACTION with a margin."""
RATIO_RANGE = (1.5, 20.0)
"""Ratios the compressor search may suggest (below 1.5:1 a compressor barely acts; above 20:1 it is a limiter)."""
THRESHOLD_PERCENTILES = (50, 25, 10)
"""Short-term loudness percentiles tried as the compressor's threshold, gentlest first."""
ATTACK_MS = (5.0, 30.0)
"""Attack for sustained material (fast, catches a voice's or a bass's level) and for percussive
material (slow enough that the first 30 ms of a hit pass untouched): the usual settings."""
RELEASE_MS = (50.0, 500.0)
"""Release range (ms) the tempo-tied release is kept in."""
DEFAULT_TEMPO_BPM = 120.0
"""Tempo assumed for the release when neither the caller nor the track's onsets give one (MIDI's default)."""

SECTION_BLOCK_S = 0.5
"""Blocks the section finder works on: long enough to average a few notes, short enough to place a change."""
MIN_SECTION_S = 2.0
"""Shortest section volume automation is drawn for."""
SECTION_GATE_LU = -20.0
"""Blocks more than this below the track's integrated loudness are rests, not a quiet section."""
SECTION_MERGE_DB = 1.5


def _block_levels(samples: Frames, sr: int) -> np.ndarray:
    """K-weighted loudness (LUFS, -inf when silent) of consecutive SECTION_BLOCK_S blocks."""
    sub = stem_measures.sub_block_powers(samples, sr)
    per = max(1, int(round(SECTION_BLOCK_S / loudness.HOP_S)))
    n = sub.size // per
    hop = max(1, int(round(loudness.HOP_S * sr)))
    power = sub[: n * per].reshape(n, per).sum(axis=1) / (per * hop)
    with np.errstate(divide="ignore"):
        result: np.ndarray = loudness.LOUDNESS_OFFSET + 10 * np.log10(power)
        return result


def find_sections(*, samples: Frames, sr: int) -> list[dict[str, float]]:
    """Sections of a track (an array or a stem file) at different levels: [{"start_s", "end_s", "level_lufs"}].

    Optimal segmentation (dynamic programming) of the SECTION_BLOCK_S block loudness into
    sections of at least MIN_SECTION_S, minimising the squared deviation of each block from its
    section's mean plus a BIC penalty of ``2 sigma^2 ln(n)`` per section, where ``sigma^2`` is the
    blocks' own variance within a section, estimated from neighbouring blocks (half the median
    squared difference, robust to the few steps between sections). Blocks more than
    SECTION_GATE_LU below the integrated loudness (rests) join whichever section holds them but do
    not count in its level. Neighbouring sections within SECTION_MERGE_DB merge.
    """
    levels = _block_levels(samples, sr)
    n = levels.size
    min_len = max(1, int(round(MIN_SECTION_S / SECTION_BLOCK_S)))
    finite = levels[np.isfinite(levels)]
    if finite.size == 0 or n < 2 * min_len:
        whole_track: dict[str, Any] = {
            "start_s": 0.0,
            "end_s": frame_count(samples) / sr,
            "level_lufs": _mean_level(finite),
        }
        return [whole_track]
    integrated = stem_measures.integrated_loudness(samples, sr)
    gate = (integrated if integrated is not None else float(finite.max())) + SECTION_GATE_LU
    active = np.isfinite(levels) & (levels > gate)
    x = np.where(active, levels, 0.0)
    both = active[1:] & active[:-1]  # silent blocks are -inf: their differences are never read
    diffs = levels[1:][both] - levels[:-1][both]
    sigma2 = max(0.25, float(np.median(diffs**2)) / 2) if diffs.size else 1.0
    penalty = 2 * sigma2 * math.log(max(2, int(active.sum())))
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    cn = np.concatenate(([0], np.cumsum(active)))

    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    back = np.zeros(n + 1, dtype=np.int64)
    for j in range(min_len, n + 1):
        starts = np.arange(0, j - min_len + 1)
        count = cn[j] - cn[starts]
        total = c1[j] - c1[starts]
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = np.where(count > 0, c2[j] - c2[starts] - total * total / np.maximum(count, 1), 0.0)
        value = best[starts] + cost + penalty
        k = int(np.argmin(value))
        if np.isfinite(value[k]):
            best[j] = value[k]
            back[j] = int(starts[k])
    # The last block(s) shorter than a section join the last section.
    end = n if np.isfinite(best[n]) else max(j for j in range(n + 1) if np.isfinite(best[j]))
    bounds = []
    j = end
    while j > 0:
        bounds.append((int(back[j]), j))
        j = int(back[j])
    bounds.reverse()
    bounds[-1] = (bounds[-1][0], n)
    sections: list[dict[str, Any]] = []  # {"_i": first block, "_j": end block, "level_lufs": float | None}
    for i, j in bounds:
        level = _mean_level(levels[i:j][active[i:j]])
        if sections and (
            level is None
            or sections[-1]["level_lufs"] is None
            or abs(level - sections[-1]["level_lufs"]) < SECTION_MERGE_DB
        ):
            merged_start = sections[-1]["_i"]
            sections[-1] = {
                "_i": merged_start,
                "_j": j,
                "level_lufs": _mean_level(levels[merged_start:j][active[merged_start:j]]),
            }
            continue
        sections.append({"_i": i, "_j": j, "level_lufs": level})
    duration = frame_count(samples) / sr
    return [
        {
            "start_s": s["_i"] * SECTION_BLOCK_S,
            "end_s": duration if s["_j"] == n else s["_j"] * SECTION_BLOCK_S,
            "level_lufs": s["level_lufs"],
        }
        for s in sections
    ]


def _mean_level(levels: np.ndarray) -> float | None:
    """Energy mean of loudness values (LUFS), None when there are none."""
    finite = levels[np.isfinite(levels)]
    if finite.size == 0:
        return None
    return float(10 * np.log10(np.mean(10 ** (finite / 10))))


def section_automation(*, samples: Frames, sr: int) -> list[dict[str, float]]:
    """Per-section gains that bring every section to the duration-weighted median section level.

    Returns [{"start_s", "end_s", "gain_db", "level_lufs"}] (one entry per section of
    :func:`find_sections`; a section of rests gets 0 dB).
    """
    sections = find_sections(samples=samples, sr=sr)
    known = [s for s in sections if s["level_lufs"] is not None]
    if not known:
        return []
    order = sorted(known, key=lambda s: s["level_lufs"])
    weights = np.cumsum([s["end_s"] - s["start_s"] for s in order])
    reference = order[int(np.searchsorted(weights, weights[-1] / 2))]["level_lufs"]
    return [
        {
            "start_s": round(s["start_s"], 3),
            "end_s": round(s["end_s"], 3),
            "gain_db": round(reference - s["level_lufs"], 1) if s["level_lufs"] is not None else 0.0,
            "level_lufs": s["level_lufs"],
        }
        for s in sections
    ]


@dataclass(frozen=True)
class CompressorAdvice:
    """A checked compressor: its settings (one or two stages) and the check's figures.

    ``compressor``: {"threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "makeup_db"};
    with two stages, the first stage's settings plus "stages": [stage 1, stage 2].
    ``check``: {"measure", "before", "after", "target", "moved", "passes", "crest_before_db",
    "crest_after_db", "integrated_before_lufs", "integrated_after_lufs"}.
    """

    compressor: dict[str, Any]
    check: dict[str, Any]


def _percussiveness(transient_db: float | None, norms: RoleDynamics) -> float:
    """0 (as smooth as the tonal family's median attack) .. 1 (as sharp as the percussive family's)."""
    if transient_db is None:
        return 0.0
    low = norms.families["tonal"].measures["transient_db"].median
    high = norms.families["percussive"].measures["transient_db"].median
    if high <= low:
        return 0.0
    return float(np.clip((transient_db - low) / (high - low), 0.0, 1.0))


def timing(*, measure: DynamicsMeasure, tempo_bpm: float | None, norms: RoleDynamics) -> tuple[float, float]:
    """(attack ms, release ms) for a compressor on this track.

    Attack: from ATTACK_MS[0] (sustained material) to ATTACK_MS[1] (percussive), linear in the
    track's transient strength between the tonal and the percussive families' medians. Release:
    an eighth note on percussive material (the gain recovers before the next hit), a quarter note
    on sustained material (it rides phrases without pumping), within RELEASE_MS. Without a tempo
    the beat is the median interval between the track's attacks (folded into 60-180 BPM), else
    DEFAULT_TEMPO_BPM.
    """
    p = _percussiveness(measure.transient_db, norms)
    attack = ATTACK_MS[0] + p * (ATTACK_MS[1] - ATTACK_MS[0])
    beat_s = 60.0 / tempo_bpm if tempo_bpm and tempo_bpm > 0 else None
    if beat_s is None and measure.onset_interval_s:
        beat_s = measure.onset_interval_s
        while beat_s < 60.0 / 180.0:
            beat_s *= 2
        while beat_s > 60.0 / 60.0:
            beat_s /= 2
    if beat_s is None:
        beat_s = 60.0 / DEFAULT_TEMPO_BPM
    note_s = beat_s / 2 if p >= 0.5 else beat_s
    release = float(np.clip(note_s * 1000.0, *RELEASE_MS))
    return round(attack, 1), round(release, 0)


def _detector_offset(samples: Frames, sr: int) -> float:
    """Median over the loud 400 ms blocks of (block sample peak dBFS - block momentary loudness LUFS).

    Moves a loudness-domain threshold into the peak domain a peak-sensing compressor detects in.
    """
    hop = max(1, int(round(loudness.HOP_S * sr)))
    momentary = loudness._block_loudness(stem_measures.sub_block_powers(samples, sr), sub_per_block=4, hop=hop)
    n_sub = frame_count(samples) // hop
    step = hop * max(1, stem_measures.READ_FRAMES // hop)  # whole sub-blocks per read
    sub_peak = np.concatenate(
        [np.zeros(0, dtype=np.float32)]
        + [
            np.abs(part).reshape(part.shape[0], -1, hop).max(axis=(0, 2))
            for part in (
                read_frames(samples, start, min(start + step, n_sub * hop)) for start in range(0, n_sub * hop, step)
            )
        ]
    )
    if momentary.size == 0 or sub_peak.size < 4 or not np.isfinite(momentary).any():
        return 0.0
    block_peak = np.lib.stride_tricks.sliding_window_view(sub_peak, 4).max(axis=1)[: momentary.size]
    loud = np.isfinite(momentary) & (momentary > momentary[np.isfinite(momentary)].max() + SECTION_GATE_LU)
    loud &= block_peak > 0
    if not loud.any():
        return 0.0
    return float(np.median(20 * np.log10(block_peak[loud]) - momentary[loud]))


def _check(
    samples: Frames, sr: int, compressor: dict[str, Any], before: DynamicsMeasure, target: float
) -> tuple[Frames, dict[str, Any]]:
    """(``samples`` through ``compressor``, the range check): a stem file's output is written block by
    block into a stem file beside it (the caller's to close) and measured from there."""
    out: Frames
    if isinstance(samples, StemFile):
        blocks = board_blocks(compressor_board(compressor), samples, sr)
        out = write_stem_file(blocks, channels=samples.channels, sample_rate=sr, directory=samples.path.parent)
        try:
            stats = stem_measures.measure_stem(out)[2]
        except BaseException:
            out.close()
            raise
    else:
        out = apply_compressor(samples=samples, sr=sr, compressor=compressor)
        stats = loudness.measure_loudness(y=out, sr=sr)
    return out, {
        **_range_check(before, stats.loudness_range_lu, target),
        "crest_before_db": before.crest_db,
        "crest_after_db": stats.crest_factor_db,
        "integrated_before_lufs": before.integrated_lufs,
        "integrated_after_lufs": stats.integrated_lufs,
    }


def _close(frames: Frames | None) -> None:
    """Delete ``frames`` when it is a stem file a check made (arrays need nothing)."""
    if isinstance(frames, StemFile):
        frames.close()


def _stage(
    samples: Frames,
    sr: int,
    measure: DynamicsMeasure,
    target: float,
    attack_ms: float,
    release_ms: float,
) -> tuple[dict[str, Any], Frames, dict[str, Any]]:
    """The gentlest single compressor (THRESHOLD_PERCENTILES order) whose check moves the range
    AIM_FRACTION of the way to ``target``, else the one that moves it furthest. The output returned
    is the caller's to close (:func:`_close`); the other checks' outputs go as they are passed over."""
    offset = _detector_offset(samples, sr)
    st = measure.short_term
    low, high = st.get(10), st.get(95)
    best: tuple[dict[str, Any], Frames, dict[str, Any]] | None = None
    if low is None or high is None:
        raise ValueError("the track has no short-term loudness to derive a compressor from")
    for percentile in THRESHOLD_PERCENTILES:
        threshold_lufs = st[percentile]
        room = target - (threshold_lufs - low)
        if room <= 0.25 * target:
            continue
        ratio = float(np.clip((high - threshold_lufs) / room, *RATIO_RANGE))
        settings = {
            "threshold_db": round(threshold_lufs + offset, 1),
            "ratio": round(ratio, 1),
            "attack_ms": attack_ms,
            "release_ms": release_ms,
            "knee_db": 0.0,
            "makeup_db": 0.0,
        }
        out, check = _check(samples, sr, settings, measure, target)
        if best is None or check["moved"] > best[2]["moved"]:
            _close(best[1] if best is not None else None)
            best = (settings, out, check)
        else:
            _close(out)
        if check["moved"] >= AIM_FRACTION:
            break
    if best is None:  # even the lowest threshold leaves no room: compress from the 10th percentile hard
        settings = {
            "threshold_db": round(low + offset, 1),
            "ratio": RATIO_RANGE[1],
            "attack_ms": attack_ms,
            "release_ms": release_ms,
            "knee_db": 0.0,
            "makeup_db": 0.0,
        }
        out, check = _check(samples, sr, settings, measure, target)
        best = (settings, out, check)
    settings, out, check = best
    if check["integrated_after_lufs"] is not None and measure.integrated_lufs is not None:
        # Makeup restores the integrated loudness; the check is run again with it, as the advice reads.
        settings = {**settings, "makeup_db": round(measure.integrated_lufs - check["integrated_after_lufs"], 1)}
        _close(out)
        out, check = _check(samples, sr, settings, measure, target)
    return settings, out, check


def suggest_compressor(
    *,
    samples: Frames,
    sr: int,
    measure: DynamicsMeasure,
    target_lra_lu: float,
    tempo_bpm: float | None,
    norms: RoleDynamics,
) -> CompressorAdvice:
    """A compressor derived from the signal that brings its loudness range toward ``target_lra_lu``, checked.

    Args:
        samples: np.ndarray [shape=(channels, n)] or a stem file, the track (a stem file's checks
            write their outputs into stem files beside it, deleted after).
        sr: sample rate (Hz).
        measure: :func:`measure_dynamics` of ``samples``.
        target_lra_lu: the loudness range to reach (LU), usually the role's median.
        tempo_bpm: the song's tempo, for the release (None: from the track's attacks).
        norms: the role norms (their transient medians set the attack).

    Threshold candidates are the short-term loudness percentiles THRESHOLD_PERCENTILES moved into
    the peak domain (:func:`_detector_offset`); each gets the ratio that maps the range above it
    (up to the 95th percentile) into what is left of the target range above the 10th percentile.
    Each candidate is applied (pedalboard) and the range measured again; the gentlest that moves it
    AIM_FRACTION of the way is kept. When none moves it CHECK_FRACTION of the way, a second stage
    derived the same way from the first stage's output follows it. Makeup gain restores the
    integrated loudness.

    Raises ValueError when the track has no short-term loudness (shorter than 3 s, or silent).
    """
    samples = samples if isinstance(samples, StemFile) else _validated(samples)
    attack, release = timing(measure=measure, tempo_bpm=tempo_bpm, norms=norms)
    first, out, check = _stage(samples, sr, measure, target_lra_lu, attack, release)
    try:
        if check["moved"] >= CHECK_FRACTION:
            return CompressorAdvice(first, check)
        second_measure = measure_dynamics(samples=out, sr=sr)
        if not second_measure.short_term:
            return CompressorAdvice(first, check)
        # The second stage works on the first's output (its makeup applied, so the levels line up).
        second, second_out, _ = _stage(out, sr, second_measure, target_lra_lu, attack, release)
        _close(second_out)
        chain = {**first, "stages": [first, second]}
        chain_out, chain_check = _check(samples, sr, chain, measure, target_lra_lu)
        _close(chain_out)
    finally:
        _close(out)
    if chain_check["moved"] <= check["moved"]:
        return CompressorAdvice(first, check)
    return CompressorAdvice(chain, chain_check)


def automation_check(
    *, samples: Frames, sr: int, sections: list[dict[str, float]], before: DynamicsMeasure, target: float
) -> dict[str, Any]:
    """Apply ``sections``' gains and measure again: {"measure", "before", "after", "target", "moved", "passes"}.
    A stem file is gained and K-weighted block by block, its output never kept."""
    if not isinstance(samples, StemFile):
        out = apply_automation(samples=samples, sr=sr, sections=sections)
        return _range_check(before, loudness.loudness_range(y=out, sr=sr), target)
    weighting = KWeighting(samples.channels, sr)
    n = samples.n_samples
    for start in range(0, n, stem_measures.READ_FRAMES):
        stop = min(start + stem_measures.READ_FRAMES, n)
        piece = samples.read(start, stop)
        weighting.feed(piece * automation_gains(sections, sr, n, start, stop) if sections else piece)
    short_term = loudness.short_term_loudness(sr=sr, sub_energy=weighting.sub_energy())
    return _range_check(before, loudness._loudness_range(short_term), target)


def _range_check(before: DynamicsMeasure, after: float | None, target: float) -> dict[str, Any]:
    """How far a move took the loudness range toward ``target``: the share of the way (``moved``),
    and whether that is at least CHECK_FRACTION."""
    lra = before.lra_lu or 0.0
    moved = (lra - after) / (lra - target) if after is not None and lra > target else 0.0
    return {
        "measure": "loudness_range_lu",
        "before": lra,
        "after": after,
        "target": target,
        "moved": moved,
        "passes": moved >= CHECK_FRACTION,
    }
