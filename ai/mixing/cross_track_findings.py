"""Findings between tracks: a track's level against the balance by role (relative to the median
track), and the masking between pairs of tracks (:mod:`ai.mixing.masking`) as EQ cuts on the masker.
"""

from __future__ import annotations

import math

import numpy as np

from ai.mixing.findings import Suggestion, q_for
from ai.mixing.masking import MIN_MASKED_SHARE, ROLE_PRIORITY, SHARED_HEARD_SMR_DB, MaskingFinding
from ai.mixing.measure import SPARSE_SHARE, TrackAnalysis

LEVEL_DEVIATION_DB = 6.0
LEVEL_HIGH_DB = 10.0


def level_findings(analyses: list[TrackAnalysis], gains: list[float]) -> list[Suggestion]:
    """Tracks far from where the balance by role puts them, relative to the median track (silent tracks, a stem
    of DC alone among them, have none: :attr:`ai.mixing.measure.TrackMeasurement.level_lufs`)."""
    audible = [k for k, a in enumerate(analyses) if a.measurement.level_lufs is not None]
    if len(audible) < 2:
        return []
    # gains[k] is what track k needs; the median need is "the mix's level", deviations from it stand out.
    needs = np.array([gains[k] for k in audible])
    anchor = float(np.median(needs))
    deviations = {k: anchor - gains[k] for k in audible}  # > 0: too loud
    if len(audible) == 2:
        # Two tracks: only the relation is known; pin it on the louder-than-balance one.
        k = max(audible, key=lambda j: deviations[j])
        deviations = {k: deviations[k] - deviations[next(j for j in audible if j != k)]}
    out = []
    for k, dev in deviations.items():
        if abs(dev) < LEVEL_DEVIATION_DB:
            continue
        m = analyses[k].measurement
        louder = dev > 0
        # A track that plays rarely is measured on its hits: the gated loudness leaves the silence out.
        rarely = (
            f" It plays rarely ({1 - m.silent_share:.0%} of the song above -60 LUFS): measured on its hits."
            if m.silent_share >= SPARSE_SHARE
            else ""
        )
        out.append(
            Suggestion(
                "level",
                f"{m.name} ({m.role}) is {abs(dev):.1f} dB {'louder' if louder else 'quieter'} than the balance by "
                f"role puts it against the other tracks ({m.integrated_lufs:.1f} LUFS).{rarely}",
                "high" if abs(dev) >= LEVEL_HIGH_DB else "medium",
                m.name,
                f"{'Lower' if louder else 'Raise'} {m.name} by {abs(dev):.1f} dB.",
                float(min(0.95, 0.5 + abs(dev) / 20)),
                {"deviation_db": dev, "integrated_lufs": m.integrated_lufs, "role": m.role},
                {"kind": "gain", "gain_db": -dev},
            )
        )
    return out


def _hz_range(low: float, high: float) -> str:
    """ "at 60-125 Hz", or "above 16000 Hz" for a band open at the top."""
    return f"above {low:.0f} Hz" if math.isinf(high) else f"at {low:.0f}-{high:.0f} Hz"


MIXED_MASKER_CUT_DB = 3.0
"""The deepest cut on a finished mix ("music": a singer's instrumental, a podcast's bed): it takes the band out
of every part of it at once. A vocal over a 2-track was answered "cut Beat by 8 dB at 161 Hz", which thins the
whole backing; 2-3 dB, better keyed from the voice, is what a mix engineer carves there."""


def cut_db(f: MaskingFinding) -> float:
    """The cut (dB) on the masker that answers a masking finding: 3 dB past the SMR, 3-8 dB; on a finished mix
    at most MIXED_MASKER_CUT_DB."""
    deepest = MIXED_MASKER_CUT_DB if f.roles[1] == "music" else 8.0
    return float(np.clip(3.0 - min(f.smr_db, 0.0), 3.0, deepest))


PART_COVERAGE = 0.9
"""A masker that sounds on fewer of the signal's notes than this is said to cover "N% of them"."""


def masking_suggestions(
    findings: list[MaskingFinding], analyses: list[TrackAnalysis], *, level_moves: dict[str, float] | None = None
) -> list[Suggestion]:
    """One suggestion per pair of tracks (the worse direction), EQ cut on the masker.

    ``findings`` are judged at the balanced levels (auto-level's gains: :func:`ai.mixing.suggest.suggest`),
    and the message says so. ``level_moves``: track name -> the gain (dB) of its level finding: when the
    masker has one, the suggestion says that the cut holds once that move is made.
    """
    level_moves = level_moves or {}
    seen: set[frozenset[str]] = set()
    pans = {a.measurement.name: a for a in analyses}
    out = []
    for f in findings:
        pair = frozenset((f.signal, f.masker))
        if pair in seen:
            continue
        seen.add(pair)
        cut = cut_db(f)
        q = q_for(*f.region, f.centre_hz)
        # The message names the whole masked region, where the cut goes (its centre may lie outside the
        # worst band: "at 60-80 Hz" with a cut at 108 Hz read as a contradiction), and the worst band
        # when narrower, which the figures after it ("there") describe.
        where = f"{_hz_range(*f.region)} ({f.band})"
        if f.region != (f.low_hz, f.high_hz):
            where += f", most {_hz_range(f.low_hz, f.high_hz)}"
        extra = ""
        if f.roles in (("kick", "bass"), ("drums", "bass")):
            extra = f", or sidechain-compress {f.masker} from {f.signal} (fast attack, 50-100 ms release)"
        elif f.roles[1] == "music":  # a finished mix: the cut thins all of it, so only while the voice sounds
            extra = f", or as a dynamic EQ band on {f.masker} keyed from {f.signal}"
        same_role = f.roles[0] == f.roles[1]
        # A lead element covered (vocals under guitars, the kick under the bass) matters most; two
        # parts of equal rank overlapping is an arrangement choice worth a look.
        equal_rank = ROLE_PRIORITY.get(f.roles[0], 2) == ROLE_PRIORITY.get(f.roles[1], 2)
        priority = "low" if equal_rank else ("high" if f.smr_db < -3 else "medium")
        if f.kind == "shared" and f.smr_db >= SHARED_HEARD_SMR_DB:
            # A shared home where the signal stays clearly above the masker on its notes (a kick
            # 3-7 dB over the bass at their common fundamental) is still heard: carving is a choice.
            priority = "low"
        partial = f.kind == "covers" and f.masked_share < MIN_MASKED_SHARE
        if partial and priority != "low":
            # Covered in bands that hold little of the signal (a sax's 250 Hz under a guitar while it
            # lives at 1-3 kHz): the rest of it stands clear, so carving is a choice; a band buried
            # deep (SMR under -3 dB) still leaves a hole worth fixing, one step down.
            priority = "low" if priority == "medium" else "medium"
        if same_role:
            extra = f", or pan {f.signal} and {f.masker} apart"
        first = ""
        if f.own_level_excess_db is not None and f.masker in level_moves:
            first = (
                f" {f.masker} is also louder than its balance (level finding: {level_moves[f.masker]:+z.1f} dB), "
                "and the cut takes it within 6 dB of it: the cut is the better move; then level it again."
            )
        elif f.masker in level_moves:
            first = (
                f" Make {f.masker}'s level move first (level finding: {level_moves[f.masker]:+z.1f} dB): "
                "this masking holds at the balanced levels, so the cut comes on top of it."
            )
        at = (
            f"With {f.masker} at its own level, {f.own_level_excess_db:.1f} dB over its balance (the cut leaves it "
            "within a level finding of it)"
            if f.own_level_excess_db is not None
            else "At the balanced levels"
        )
        out.append(
            Suggestion(
                "masking",
                f"{at}, {f.signal} and {f.masker} mask each other {where}: during "
                f"{f.signal}'s notes "
                + (f"where {f.masker} plays too ({f.coverage:.0%} of them) " if f.coverage < PART_COVERAGE else "")
                + (
                    f"{f.masker} is {-f.smr_db:.1f} dB louder than it there"
                    if f.smr_db < 0
                    else f"it is only {f.smr_db:.1f} dB above {f.masker} there"
                )
                + f", where {f.shares[0]:.0%} of {f.signal}'s and {f.shares[1]:.0%} of {f.masker}'s energy lie."
                + (
                    f" Elsewhere {f.signal} stands clear of it: what {f.masker} leaves unclear (where both "
                    f"play) holds {f.masked_share:.0%} of its energy."
                    if partial
                    else ""
                ),
                priority,
                f.masker,
                f"Cut {f.masker} by {cut:.0f} dB at {f.centre_hz:.0f} Hz (Q {q:.1f}) to make room for "
                f"{f.signal}{extra}.{first}",
                float(min(0.95, 0.45 + 0.45 * f.score)),
                {
                    "signal": f.signal,
                    "masker": f.masker,
                    "smr_db": f.smr_db,
                    "band_hz": [f.low_hz, None if math.isinf(f.high_hz) else f.high_hz],
                    "region_hz": [f.region[0], None if math.isinf(f.region[1]) else f.region[1]],
                    "shares": list(f.shares),
                    "coverage": f.coverage,
                    "masked_share": f.masked_share,
                    "signal_width": pans[f.signal].measurement.stereo_width if f.signal in pans else None,
                    "levels": "balanced" if f.own_level_excess_db is None else "own",
                    "own_level_excess_db": f.own_level_excess_db,
                },
                {"kind": "eq", "eq": {"type": "cut", "freq_hz": f.centre_hz, "gain_db": -cut, "q": q}},
                tracks=(f.signal, f.masker),
                band=f.band,
                info=equal_rank,
            )
        )
    return out
