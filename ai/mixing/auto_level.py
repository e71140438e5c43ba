"""Auto-level: a gain and a pan per track that reach the balance by role, with headroom.

1. Each track's integrated loudness (BS.1770) is measured. A role's target loudness relative to
   the lead element is :data:`ai.mixing.targets.ROLE_BALANCE_LU` (the module docstring there says
   why); a role with ``n`` tracks gives each of them ``offset - 10 log10 n`` so the group sums to
   the target; the group is then summed and shifted as a whole onto the role's offset (tracks of a
   role are often correlated).
2. Relative gains: ``gain = target offset - measured loudness``. They do not depend on how loud
   the stems came in: a stem 12 dB hotter measures 12 LU louder and gets 12 dB less gain.
3. Pans by role or by the side a name says (:mod:`ai.mixing.pans`). Panning uses a constant-power
   law normalised to unity in the centre (``gL = sqrt(2) cos(theta)``, ``gR = sqrt(2) sin(theta)``,
   ``theta = (pan + 1) pi / 4``), so a pan moves a track without changing its loudness.
4. The tracks are summed at those gains and pans, and one common offset brings the sum to the
   pre-master loudness (-18 LUFS by default, ``target``); if the sum's true peak would then be
   above the ceiling (-1 dBTP), the offset is lowered until it is not, and a note says how far
   below the loudness target the mix stays.

Silent tracks (no measurable loudness) keep 0 dB and are named in the notes.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from ai.audio import loudness
from ai.audio.loudness_meter import LoudnessMeter
from ai.audio.stem_file import Frames, frame_count, read_frames, read_shifted
from ai.mixing.measure import TrackAnalysis, TrackInput, close_made, prepare_tracks
from ai.mixing.pans import role_pans
from ai.mixing.shared_source import shared_sources
from ai.mixing.stem_measures import level_loudness
from ai.mixing.targets import (
    PRE_MASTER_LUFS,
    TRUE_PEAK_CEILING_DBTP,
    LoudnessTarget,
    resolve_target,
    role_balance,
)

logger = logging.getLogger(__name__)

MIX_BLOCK = 1 << 18
"""Samples per block when a sum is rendered only to be measured (2 MB of stereo float32)."""


@dataclass(frozen=True)
class TrackLevel:
    """Auto-level's answer for one track."""

    name: str
    role: str
    gain_db: float
    pan: float
    loudness_before_lufs: float | None
    loudness_after_lufs: float | None
    target_relative_lu: float
    """The track's loudness target relative to the lead element (role offset, shared within a role)."""
    invert_polarity: bool = False
    """The gains assume this track flipped: it is in opposite polarity to another microphone on its
    source (:mod:`ai.mixing.shared_source`)."""

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "gain_db": round(self.gain_db, 2),
            "pan": round(self.pan, 2),
            "role": self.role,
            "loudness_before_lufs": r(self.loudness_before_lufs),
            "loudness_after_lufs": r(self.loudness_after_lufs),
            "target_relative_lu": round(self.target_relative_lu, 2),
            "invert_polarity": self.invert_polarity,
        }


@dataclass(frozen=True)
class AutoLevelResult:
    """Gains and pans per track, and the summed mix they give."""

    levels: dict[str, TrackLevel]
    mix_loudness_lufs: float | None
    mix_true_peak_dbtp: float | None
    target: LoudnessTarget
    limited_by_ceiling: bool
    """True when the true-peak ceiling, not the loudness target, set the overall level."""
    notes: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    """Tracks left out of the balance (a duplicate, a bounce of the others) -> why."""

    @property
    def gain_adjustments(self) -> dict[str, float]:
        return {name: round(level.gain_db, 2) for name, level in self.levels.items()}

    @property
    def makeup_db(self) -> float:
        """The part of every track's gain that only sets the mix's loudness: the median gain of the audible
        tracks. What is left of a track's gain (``gain_db - makeup_db``) balances it against the others,
        the move /mixing/suggest's level findings name (they too measure from the median track): "lower
        the bass 6 dB" there and a +6 dB gain here agree when the whole mix is raised 12 dB."""
        audible = [level.gain_db for level in self.levels.values() if level.loudness_before_lufs is not None]
        return float(np.median(audible)) if audible else 0.0

    def to_dict(self) -> dict[str, Any]:
        makeup = self.makeup_db
        levels = {name: level.to_dict() for name, level in self.levels.items()}
        for name, level in self.levels.items():
            levels[name]["balance_db"] = (
                round(level.gain_db - makeup, 2) if level.loudness_before_lufs is not None else 0.0
            )
        return {
            "status": "success",
            "levels": levels,
            "makeup_db": round(makeup, 2),
            "gain_adjustments": self.gain_adjustments,
            "mix": {
                "loudness_lufs": None if self.mix_loudness_lufs is None else round(self.mix_loudness_lufs, 2),
                "true_peak_dbtp": None if self.mix_true_peak_dbtp is None else round(self.mix_true_peak_dbtp, 2),
                "limited_by_ceiling": self.limited_by_ceiling,
            },
            "target": self.target.to_dict(),
            "balance_lu": {name: level.target_relative_lu for name, level in self.levels.items()},
            "notes": list(self.notes),
            "left_out": dict(self.left_out),
        }


def role_targets(roles: list[str]) -> list[float]:
    """Target loudness relative to the lead element per track (role offset in this session, :func:`role_balance`,
    - 10 log10 of the role's count)."""
    counts = Counter(roles)
    return [role_balance(role, roles) - 10 * math.log10(counts[role]) for role in roles]


@dataclass(frozen=True)
class LevelItem:
    """What leveling needs of a track. ``samples``: np.ndarray [shape=(2, n), dtype=float32] or a
    stereo stem file; ``integrated_lufs``: None for a track left at 0 dB, silent as the advice counts it
    (:func:`ai.mixing.stem_measures.level_loudness`: a stem of DC alone too) or too short to measure."""

    name: str
    role: str
    samples: Frames
    integrated_lufs: float | None
    inverted: bool = False
    """Summed in opposite polarity (a flip the render applies: :mod:`ai.mixing.shared_source`)."""
    shift: int = 0
    """Frames the track is summed later (earlier when negative): the alignment the render applies to a
    microphone on a source another track picks up (:attr:`ai.mixing.shared_source.SharedSources.shifts_ms`)."""


def role_layout(items: Sequence[LevelItem]) -> tuple[list[float], list[float]]:
    """(targets, pans) per track: :func:`role_targets` and :func:`role_pans` over the measurable tracks
    alone. A silent track (an empty or muted stem) neither splits its role's share nor takes a place in
    its role's spread, and stays centred: counted, it left the one guitar that plays 3 dB under its
    target and panned to one side, and was itself given a pan."""
    audible = [k for k, item in enumerate(items) if item.integrated_lufs is not None]
    roles = [items[k].role for k in audible]
    targets = [role_balance(item.role, roles) for item in items]  # a silent track's, unused but reported
    pans = [0.0] * len(items)
    names = [items[k].name for k in audible]
    for k, target, pan in zip(audible, role_targets(roles), role_pans(roles, names), strict=True):
        targets[k], pans[k] = target, pan
    return targets, pans


def items_from(analyses: list[TrackAnalysis]) -> list[LevelItem]:
    return [
        LevelItem(a.measurement.name, a.measurement.role, a.track.samples, a.measurement.level_lufs) for a in analyses
    ]


def balance_gains(items: list[LevelItem], sr: int, pans: list[float] | None = None) -> list[float]:
    """Relative gains (dB) that put every measurable track at its role's target; 0 for silent tracks.

    Gains are relative (the lead element's target is 0 LU): adding a constant keeps the balance.
    A role with several tracks is first split evenly (offset - 10 log10 n each), then the group
    is summed at its pans and shifted as a whole so that the sum sits at the role's offset
    (tracks of one role are often correlated, e.g. two basses doubling a line, and then the
    even split alone would leave the group up to 3 LU too loud).
    """
    targets, layout_pans = role_layout(items)
    pans = layout_pans if pans is None else pans
    gains = [
        0.0 if item.integrated_lufs is None else target - item.integrated_lufs
        for item, target in zip(items, targets, strict=True)
    ]
    groups: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(items):
        if item.integrated_lufs is not None:
            groups[item.role].append(k)
    for role, members in groups.items():
        if len(members) < 2:
            continue
        group = [items[k].samples for k in members]
        signs = [-1.0 if items[k].inverted else 1.0 for k in members]
        shifts = [items[k].shift for k in members]
        summed = mix_loudness(
            group, [gains[k] for k in members], [pans[k] for k in members], sr, signs, shifts
        ).integrated_lufs
        if summed is None:
            continue
        correction = role_balance(role, [item.role for item in items if item.integrated_lufs is not None]) - summed
        for k in members:
            gains[k] += correction
    return gains


def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains of the constant-power pan law normalised to unity in the centre."""
    theta = (float(np.clip(pan, -1.0, 1.0)) + 1.0) * math.pi / 4
    return math.sqrt(2) * math.cos(theta), math.sqrt(2) * math.sin(theta)


def render_mix(
    tracks: list[np.ndarray],
    gains_db: list[float],
    pans: list[float] | None = None,
    signs: Sequence[float] | None = None,
    shifts: Sequence[int] | None = None,
) -> np.ndarray:
    """Sum of stereo tracks (np.ndarray [shape=(2, n)] each) at ``gains_db`` and ``pans``; ``signs``: -1 for a
    track summed in opposite polarity; ``shifts``: frames a track is summed later (earlier when negative;
    it keeps its length, as the render's alignment does).

    Returns np.ndarray [shape=(2, longest n), dtype=float32].
    """
    n = max(samples.shape[1] for samples in tracks)
    mix = np.zeros((2, n), dtype=np.float32)
    for k, samples in enumerate(tracks):
        gain = 10 ** (gains_db[k] / 20) * (1.0 if signs is None else signs[k])
        left, right = pan_gains(pans[k]) if pans is not None else (1.0, 1.0)
        shift = 0 if shifts is None else shifts[k]
        placed = read_shifted(samples, 0, samples.shape[1], shift) if shift else samples
        _accumulate(mix, np.ascontiguousarray(placed, dtype=np.float32), gain * left, gain * right)
    return mix


def mix_blocks(
    tracks: Sequence[Frames],
    gains_db: list[float],
    pans: list[float] | None,
    signs: Sequence[float] | None = None,
    shifts: Sequence[int] | None = None,
) -> Iterator[np.ndarray]:
    """:func:`render_mix`'s sum a block at a time (MIX_BLOCK frames: the same samples), so the sum
    is never whole: np.ndarray [shape=(2, m), dtype=float32] blocks in order. ``signs``: -1 for a
    track summed in opposite polarity; ``shifts``: frames a track is summed later."""
    n = max(frame_count(samples) for samples in tracks)
    for start in range(0, n, MIX_BLOCK):
        stop = min(n, start + MIX_BLOCK)
        block = np.zeros((2, stop - start), dtype=np.float32)
        for k, samples in enumerate(tracks):
            gain = 10 ** (gains_db[k] / 20) * (1.0 if signs is None else signs[k])
            left, right = pan_gains(pans[k]) if pans is not None else (1.0, 1.0)
            shift = 0 if shifts is None else shifts[k]
            part = read_shifted(samples, start, stop, shift) if shift else read_frames(samples, start, stop)
            _accumulate(block, np.ascontiguousarray(part, dtype=np.float32), gain * left, gain * right)
        yield block


def mix_loudness(
    tracks: Sequence[Frames],
    gains_db: list[float],
    pans: list[float] | None,
    sr: int,
    signs: Sequence[float] | None = None,
    shifts: Sequence[int] | None = None,
) -> loudness.LoudnessStats:
    """The loudness measures of :func:`render_mix`'s sum, rendered and metered a block at a time
    (:class:`ai.audio.loudness_meter.LoudnessMeter`: the same values as measuring the whole sum)."""
    meter = LoudnessMeter(channels=2, sr=sr)
    for block in mix_blocks(tracks, gains_db, pans, signs, shifts):
        meter.feed(block)
    return meter.result()


@numba.njit(cache=True, nogil=True, fastmath=True)
def _accumulate(mix: np.ndarray, samples: np.ndarray, left: float, right: float) -> None:
    """mix[:, :m] += (left, right) * samples, in one pass (samples: np.ndarray [shape=(2, m)])."""
    gl = np.float32(left)
    gr = np.float32(right)
    for i in range(samples.shape[1]):
        mix[0, i] += samples[0, i] * gl
        mix[1, i] += samples[1, i] * gr


def level_items(
    items: list[LevelItem],
    sr: int,
    *,
    target: str | float | None = "premaster",
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
) -> AutoLevelResult:
    """Auto-level measured tracks (see the module docstring)."""
    resolved = resolve_target(target, default="premaster")
    resolved = LoudnessTarget(resolved.name, resolved.lufs, ceiling_dbtp)
    targets, pans = role_layout(items)
    relative = balance_gains(items, sr, pans)
    notes: list[str] = []
    silent = [item.name for item in items if item.integrated_lufs is None]
    if silent:
        notes.append(f"silent or too short to measure, left at 0 dB: {', '.join(silent)}")
    audible = [k for k, item in enumerate(items) if item.integrated_lufs is not None]
    offset = 0.0
    mix_lufs = mix_tp = None
    limited = False
    if audible:
        measured = mix_loudness(
            [items[k].samples for k in audible],
            [relative[k] for k in audible],
            [pans[k] for k in audible],
            sr,
            [-1.0 if items[k].inverted else 1.0 for k in audible],
            [items[k].shift for k in audible],
        )
        lufs, peak_db = measured.integrated_lufs, measured.true_peak_dbtp
        if lufs is not None and peak_db is not None:
            offset = resolved.lufs - lufs
            if peak_db + offset > ceiling_dbtp:
                offset = ceiling_dbtp - peak_db
                limited = True
                notes.append(
                    f"the true-peak ceiling ({ceiling_dbtp:g} dBTP) holds the mix at {lufs + offset:.1f} LUFS, "
                    f"{resolved.lufs - (lufs + offset):.1f} LU under the {resolved.lufs:g} LUFS target; "
                    "a limiter or compression in mastering closes the gap"
                )
            mix_lufs = lufs + offset
            mix_tp = peak_db + offset
    levels = {}
    for k, item in enumerate(items):
        gain = relative[k] + offset if item.integrated_lufs is not None else 0.0
        levels[item.name] = TrackLevel(
            name=item.name,
            role=item.role,
            gain_db=gain,
            pan=pans[k],
            loudness_before_lufs=item.integrated_lufs,
            loudness_after_lufs=None if item.integrated_lufs is None else item.integrated_lufs + gain,
            target_relative_lu=targets[k],
            invert_polarity=item.inverted,
        )
    return AutoLevelResult(levels, mix_lufs, mix_tp, resolved, limited, notes)


def auto_level(
    tracks: list[TrackInput],
    *,
    target: str | float | None = "premaster",
    roles: dict[str, str] | None = None,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
) -> AutoLevelResult:
    """Gains and pans per track that reach the balance by role with headroom (see the module docstring).

    ``target``: the summed mix's loudness: "premaster" (-18 LUFS, the default), another named
    target or a number in LUFS. Raises NoAudioFound for no tracks, InvalidParameter for a bad
    target or role.
    """
    resolve_target(target, default="premaster")  # validate before the heavy work
    prepared = prepare_tracks(tracks, roles=roles)
    try:
        # Tracks that share a source: a duplicate or a bounce is left out; a microphone in opposite
        # polarity to another on its source is balanced flipped (summed as it is, the pair cancels).
        shared = shared_sources([p.name for p in prepared], [p.samples for p in prepared], prepared[0].sample_rate)
        inverted, moved = shared.inverted, shared.shifts(prepared[0].sample_rate)
        items = [
            LevelItem(
                p.name,
                p.role,
                p.samples,
                level_loudness(p.samples, p.sample_rate),
                p.name in inverted,
                moved.get(p.name, 0),
            )
            for p in prepared
            if p.name not in shared.left_out
        ]
        result = level_items(items, prepared[0].sample_rate, target=target, ceiling_dbtp=ceiling_dbtp)
        result.left_out.update({name: t.reason for name, t in shared.left_out.items()})
        result.notes.extend(f"left out: {name}, {t.reason}" for name, t in shared.left_out.items())
        result.notes.extend(
            f"{p.flipped} is in opposite polarity to {p.kept}: the gains assume it flipped" for p in shared.polarity
        )
        result.notes.extend(
            f"{p.early} plays {p.lag_ms:.2f} ms before {p.late}, another microphone on its source: delay it by that "
            "much (summed as they are, the pair comb-filters)"
            for p in shared.comb
        )
        return result
    finally:
        close_made(prepared)


__all__ = ["PRE_MASTER_LUFS", "AutoLevelResult", "LevelItem", "TrackLevel", "auto_level", "level_items", "role_targets"]
