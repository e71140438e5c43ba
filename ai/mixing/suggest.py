"""Mixing and mastering advice from measurements: findings with evidence and a concrete move.

``suggest(tracks, target=..., master=None, reference=None)`` measures every stem
(:mod:`ai.mixing.measure`), the sum of the stems as they are, and the masking between the tracks
as they are (:mod:`ai.mixing.masking`), and turns what it finds into suggestions. A track with a
level finding that says it is too quiet is judged for masking at the level the move gives it
(being covered is then the level problem); a track flagged as too loud stays at its own level,
because its excess may sit in one band (a bass boosted where the kick lives reads as a louder
bass too) and what it covers now is what the listener hears. With only a ``master`` it gives
mastering advice; with a ``reference`` it compares the mix (or master) with it: loudness, balance
per band, stereo width. Without any audio it raises NoAudioFound: it never invents a finding.

Findings and their thresholds (constants below):

=================  ============================================================================
clipping           a run of 3+ identical full-scale samples (or 4+ flat at the peak level below
                   full scale); the advice scales with the share of clipped samples (a few peaks:
                   low; from CLIP_FEW_SHARE: lower the render 3-9 dB; from CLIP_HEAVY_SHARE: a new
                   take), and says "at full scale" only when the peak is there.
dc_offset          |DC offset| >= DC_THRESHOLD (-50 dBFS; median of 250 ms block means).
rumble             >= RUMBLE_SHARE of the track's energy below its role's useful range
                   (ROLE_LOW_CUT_HZ: 80 Hz for vocals and guitars, 200 Hz for hi-hats, ...),
                   as a steady floor or, on roles that play no notes that low, in bursts; a
                   guitar's or keyboard's own low notes there are ``info``.
level              the track's loudness is LEVEL_DEVIATION_DB or more away from where the balance
                   by role puts it, relative to the other tracks (the median track).
masking            in a band that matters to both tracks, the masker is louder than the signal
                   during the signal's notes, or both live there at similar levels (see
                   ai.mixing.masking). Between two roles of the same rank (guitar and
                   guitar, keys and guitar) it is ``info``: an arrangement overlap worth a look
                   (pan them apart), not a problem; it does not lower the score.
tonal              EQ moves against the role's learned tonal curve (ai.mixing.tonal).
dynamics           over-compression and uncontrolled dynamics against the role's learned norms,
                   with a compressor derived from the signal and checked on it (ai.mixing.dynamics).
space              too wet or too dry for the role, reverb and tempo-synced delay (ai.mixing.space).
stereo             correlation below PHASE_CORRELATION (phase trouble in mono) or a wide low end
                   on kick / bass (width above LOW_END_WIDTH).
silence            a track that is silent (SILENT_SHARE of its 100 ms blocks below -60 LUFS).
headroom           the sum of the stems peaks above the ceiling (-1 dBTP) or is louder than
                   HOT_MIX_LUFS before mastering.
loudness, true_peak  master vs the target's loudness and the -1 dBTP ceiling.
reference          master / mix vs a reference: loudness, per-band balance (REFERENCE_BAND_DB),
                   stereo width (REFERENCE_WIDTH).
=================  ============================================================================

mix_quality_score = 100 - sum of PENALTY[priority] * confidence over the findings (not counting
"info" advice such as the gain a master needs to reach the target), clipped to 0-100.
In the answer, overall_quality is the score as a number in 0..1 (the web client prints it as a
percentage) and quality_summary a sentence from the score band (>= 85 good, >= 70 decent, >= 50
needs work, below 50 major problems) naming the most pressing finding.
"""

from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ai import pools, progress
from ai.analysis.pipeline import estimate_tempo
from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import Audio, Frames, StemFile, close_all, whole, write_stem_file
from ai.heap import release_free_memory
from ai.mixing.auto_level import balance_gains, items_from, mix_blocks, render_mix, role_layout
from ai.mixing.findings import MIX_BUS, Suggestion, q_for, rounded
from ai.mixing.masking import ROLE_PRIORITY, SHARED_HEARD_SMR_DB, MaskingFinding, find_masking
from ai.mixing.measure import (
    NO_AUDIO_MESSAGE,
    SILENT_SHARE,
    PreparedTrack,
    TrackAnalysis,
    TrackInput,
    TrackMeasurement,
    analyse_track,
    close_made,
    prepare_tracks,
)
from ai.mixing.reference_match import reference_eq
from ai.mixing.role_model import load_role_model
from ai.mixing.targets import BANDS, PRE_MASTER_LUFS, LoudnessTarget, band_of, resolve_target
from ai.mixing.track_advice import TrackAdvice, role_norms, track_advice
from utils.errors import NoAudioFound

logger = logging.getLogger(__name__)

CLIP_MIN_RUNS = 1
CLIP_HIGH_RUNS = 3
CLIP_FEW_SHARE = 1e-4
"""Below this share of samples clipped (about 4 per second at 44.1 kHz), clipping is a few peaks."""
CLIP_HEAVY_SHARE = 1e-2
"""From this share of samples clipped (1 %), the distortion is continuous: only a new take fixes it."""
CLIP_FULL_SCALE_DBFS = -0.1
"""A clipped track whose sample peak is at least this is clipped at full scale."""
DC_THRESHOLD = 10 ** (-50 / 20)
RUMBLE_SHARE = 0.02
RUMBLE_HIGH_SHARE = 0.05
NOTE_ROLES_BELOW_CUT = frozenset(
    {"guitar", "keys", "pad", "synth", "lead", "kick", "bass", "drums", "music", "fx", "other"}
)
"""Roles whose parts may play notes below their ROLE_LOW_CUT_HZ (a guitar voiced down to 65 Hz,
a piano's bass, a synth's sub, an 808's pitch glide under 30 Hz, a sub drop): energy there that
comes and goes with the part is its notes; only a steady floor is rumble."""
LEVEL_DEVIATION_DB = 6.0
LEVEL_HIGH_DB = 10.0
PHASE_CORRELATION = -0.2
POLARITY_CORRELATION = -0.7
"""Below this the channels are mostly one signal with its polarity flipped (a wiring or plug-in
fault): flipping one channel fixes it. Between it and PHASE_CORRELATION the channels are partly
decorrelated and partly opposed (a stereo chorus or widener, phase-offset samples): flipping would
only move the problem to the side; narrowing is the move."""
MONO_LOSS_HIGH_DB = 6.0
"""A track that loses this much level folded to mono (half its power and more) disappears there."""
LOW_END_WIDTH = 0.2
HOT_MIX_LUFS = -10.0
TRUE_PEAK_TOLERANCE_DB = 0.1
"""A sum that peaks this little over the ceiling is at it: true-peak readings of one signal differ by
about this much between meters (and auto-level puts a balanced sum exactly at the ceiling)."""
QUIET_MIX_LUFS = -32.0
REFERENCE_BAND_DB = 3.0
REFERENCE_WIDTH = 0.1
PENALTY = {"high": 15.0, "medium": 7.0, "low": 2.0}


@dataclass
class MixReport:
    """What :func:`suggest` found. ``mode`` is "stems" or "master"."""

    mode: str
    suggestions: list[Suggestion]
    mix_quality_score: int
    overall_quality: str
    target: LoudnessTarget
    tracks: list[TrackMeasurement] = field(default_factory=list)
    masking: list[MaskingFinding] = field(default_factory=list)
    mix: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    track_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per track name: its dynamics and space measures."""
    tempo_bpm: float | None = None
    tempo_source: str | None = None
    """"given" (the request or the project's manifest), "analysis" (measured from the mix), or None."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "mix_quality_score": self.mix_quality_score,
            # The web client multiplies overall_quality by 100 and prints a percentage.
            "overall_quality": round(self.mix_quality_score / 100, 2),
            "quality_summary": self.overall_quality,
            "target": self.target.to_dict(),
            "tracks": [{**t.to_dict(), **rounded(self.track_details.get(t.name, {}))} for t in self.tracks],
            "tempo_bpm": self.tempo_bpm,
            "tempo_source": self.tempo_source,
            "masking": [m.to_dict() for m in self.masking],
            "mix": rounded(self.mix),
            "reference": rounded(self.reference) if self.reference else None,
            "notes": list(self.notes),
        }


def analyse_all(prepared: list[PreparedTrack], *, workers: int | None = None) -> list[TrackAnalysis]:
    """Analyse tracks, in threads (numpy and scipy release the GIL in the heavy parts)."""
    return _in_pool(analyse_track, prepared, workers)


def _in_pool(function: Any, items: list[Any], workers: int | None) -> list[Any]:
    """``function`` over ``items`` on the shared per-track pool (ai.pools), or in this thread
    with ``workers=1`` or a single item. In a job, each item finished is progress (ai/progress.py)."""
    if workers == 1 or len(items) <= 1:
        results: list[Any] = []
        for k, item in enumerate(items):
            with progress.section(k / len(items), (k + 1) / len(items)):
                results.append(function(item))
        return results
    return progress.map_in_pool(pools.tracks(), function, items)


# ----------------------------------------------------------------------------------- per track


def rumble_finding(m: TrackMeasurement) -> Suggestion:
    """Energy below the role's useful range (``m.rumble_share`` >= RUMBLE_SHARE).

    A steady floor there (``rumble_steady_share`` >= RUMBLE_SHARE: hum, air conditioning,
    traffic, there between the notes too) is rumble. Energy that comes and goes with the part is
    a problem on roles that play no notes that low (plosives on a vocal, kick spill on a snare or
    hi-hat mic); on roles that can (NOTE_ROLES_BELOW_CUT: a guitar voiced down to 65 Hz, a
    piano's bass notes) it is the part's own lowest notes, and the advice is ``info``.
    """
    peak = f", strongest at {m.rumble_peak_hz:.0f} Hz" if m.rumble_peak_hz else ""
    steady = m.rumble_steady_share >= RUMBLE_SHARE
    evidence = {
        "share_below_cutoff": m.rumble_share,
        "steady_share": m.rumble_steady_share,
        "relative_db": 10 * math.log10(m.rumble_share),
        "cutoff_hz": m.rumble_cutoff_hz,
        "peak_hz": m.rumble_peak_hz,
    }
    high_pass = {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": m.rumble_cutoff_hz, "gain_db": 0.0, "q": 0.707}}
    band = "sub" if m.rumble_cutoff_hz <= 60 else "low"
    below = f"{m.rumble_share:.1%} of its energy below {m.rumble_cutoff_hz:.0f} Hz{peak}"
    if not steady and m.role in NOTE_ROLES_BELOW_CUT:
        return Suggestion(
            "rumble",
            f"{m.name} ({m.role}) has {below}, under the range a {m.role} part usually uses; it comes and "
            f"goes with the part (steady floor {m.rumble_steady_share:.2%}): its own lowest notes, not rumble.",
            "low",
            m.name,
            f"If those low notes crowd the bass, high-pass {m.name} at {m.rumble_cutoff_hz:.0f} Hz or voice "
            "the part higher; if they are meant to be there, leave it.",
            0.5,
            evidence,
            high_pass,
            band=band,
            info=True,
        )
    if steady:
        what = (
            f"a steady floor that stays between the notes ({m.rumble_steady_share:.1%} of the energy): rumble "
            "that muddies the low end and eats headroom"
        )
    else:
        what = (
            f"under the range a {m.role} part uses, in bursts (plosives, handling noise or low spill) that "
            "muddy the low end and eat headroom"
        )
    return Suggestion(
        "rumble",
        f"{m.name} ({m.role}) has {below}: {what}.",
        "high" if m.rumble_share >= RUMBLE_HIGH_SHARE else "medium",
        m.name,
        f"High-pass {m.name} at {m.rumble_cutoff_hz:.0f} Hz (12-18 dB/octave).",
        float(min(0.95, 0.6 + 4 * m.rumble_share)),
        evidence,
        high_pass,
        band=band,
    )


def clipping_finding(m: TrackMeasurement) -> Suggestion:
    """Clipping, with advice scaled to the damage (CLIP_FEW_SHARE, CLIP_HEAVY_SHARE) and the level
    it sits at: a flat top below full scale was clipped first and turned down afterwards."""
    peak = m.sample_peak_dbfs if m.sample_peak_dbfs is not None else 0.0
    at_full_scale = peak >= CLIP_FULL_SCALE_DBFS
    where = "at full scale" if at_full_scale else f"flat-topped at {peak:.1f} dBFS (clipped, then turned down)"
    share = m.clipped_share
    # 3 dB for a few clipped runs, up to 9 dB when a percent of the samples is flat.
    reduce = float(round(3.0 + 3.0 * float(np.clip(math.log10(max(share, CLIP_FEW_SHARE) / CLIP_FEW_SHARE), 0, 2))))
    if share < CLIP_FEW_SHARE:
        priority = "low"
        damage = "a few isolated clipped peaks, rarely audible"
        move = (
            f"If {m.name} can be re-exported, lower the level feeding its render by {reduce:.0f} dB; otherwise "
            "leave it, or run a declipper on those peaks."
        )
    elif share < CLIP_HEAVY_SHARE:
        priority = "high" if m.clipped_runs >= CLIP_HIGH_RUNS else "medium"
        damage = "audible on transients"
        move = (
            f"Lower the level feeding {m.name}'s render (the plugin or clip gain before the output) by "
            f"{reduce:.0f} dB and re-export; clipped peaks cannot be restored afterwards."
        )
    else:
        priority = "high"
        damage = "heavy, continuous distortion"
        move = (
            f"Re-record or re-render {m.name} with at least {reduce:.0f} dB less gain before the converter or "
            "the render; turning the clipped file down will not remove the distortion (a declipper can only "
            "soften it)."
        )
    return Suggestion(
        "clipping",
        f"{m.name} is clipped {where}: {m.clipped_samples} samples in {m.clipped_runs} runs "
        f"({share:.3%} of the track): {damage}.",
        priority,
        m.name,
        move,
        float(min(0.99, 0.7 + 0.05 * m.clipped_runs)),
        {
            "clipped_samples": m.clipped_samples,
            "clipped_runs": m.clipped_runs,
            "clipped_share": share,
            "at_full_scale": at_full_scale,
            "sample_peak_dbfs": m.sample_peak_dbfs,
            "true_peak_dbtp": m.true_peak_dbtp,
        },
        {"kind": "gain", "gain_db": -reduce},
    )


def track_findings(m: TrackMeasurement) -> list[Suggestion]:
    """Findings about one track on its own from its measurement: clipping, DC, rumble, stereo, silence
    (tone, dynamics and space come from :func:`ai.mixing.track_advice.track_advice`)."""
    out: list[Suggestion] = []
    if m.integrated_lufs is None and m.duration_s < loudness.MOMENTARY_S:
        out.append(
            Suggestion(
                "silence",
                f"{m.name} is too short to measure ({m.duration_s:.2f} s; loudness needs at least "
                f"{loudness.MOMENTARY_S:g} s).",
                "low",
                m.name,
                f"Render {m.name} over the whole song (stems should all start at the song's start).",
                0.9,
                {"duration_s": m.duration_s},
            )
        )
        return out
    if m.integrated_lufs is None or m.silent_share >= SILENT_SHARE:
        out.append(
            Suggestion(
                "silence",
                f"{m.name} is silent or nearly so ({m.silent_share:.0%} of it below -60 LUFS).",
                "low",
                m.name,
                f"Check that {m.name} was rendered with its audio, or mute/remove it.",
                0.9,
                {"silent_share": m.silent_share, "integrated_lufs": m.integrated_lufs},
            )
        )
        return out
    if m.clipped_runs >= CLIP_MIN_RUNS:
        out.append(clipping_finding(m))
    if abs(m.dc_offset) >= DC_THRESHOLD:
        out.append(
            Suggestion(
                "dc_offset",
                f"{m.name} has a DC offset of {m.dc_offset:+.4f} ({m.dc_offset_dbfs:.0f} dBFS): it wastes headroom "
                "and clicks at edits.",
                "medium",
                m.name,
                f"Remove it with a DC filter or a high-pass at 20 Hz on {m.name}.",
                float(min(0.99, 0.6 + 0.4 * min(1.0, abs(m.dc_offset) / 0.01))),
                {"dc_offset": m.dc_offset, "dc_offset_dbfs": m.dc_offset_dbfs},
                {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 20.0, "gain_db": 0.0, "q": 0.707}},
            )
        )
    if m.rumble_share >= RUMBLE_SHARE:
        out.append(rumble_finding(m))
    if m.channels > 1 and m.correlation is not None and m.correlation < PHASE_CORRELATION:
        out.append(phase_finding(m))
    elif m.role in ("kick", "bass") and m.stereo_width is not None and m.stereo_width > LOW_END_WIDTH:
        out.append(
            Suggestion(
                "stereo",
                f"{m.name} ({m.role}) is wide (side share {m.stereo_width:.2f}): a wide low end loses punch "
                "and translates badly to mono and club systems.",
                "medium",
                m.name,
                f"Keep {m.name} mono below 150 Hz (a mono-maker or narrowing the low band).",
                0.7,
                {"width": m.stereo_width, "correlation": m.correlation},
                {"kind": "pan", "pan": 0.0},
            )
        )
    return out


def phase_finding(m: TrackMeasurement) -> Suggestion:
    """Negative correlation, graded by what a mono fold costs the track: its mid power over its total,
    10 log10(1 - side share), the level it loses on a phone speaker or a mono club system."""
    width = m.stereo_width if m.stereo_width is not None else 0.5
    mono_loss_db = -10.0 * math.log10(max(1e-6, 1.0 - width))
    assert m.correlation is not None
    if m.correlation < POLARITY_CORRELATION:
        fix = f"Flip the polarity of one channel of {m.name} (its channels are nearly mirror images)."
        stereo: dict[str, Any] = {"flip_right": True, "side_gain_db": 0.0}
    else:
        fix = (
            f"Narrow {m.name} (a stereo-width control, or less of the chorus/widener on it) until its mono fold "
            "loses under 3 dB; flipping a channel would only move the problem to the sides."
        )
        stereo = {"flip_right": False, "side_gain_db": narrowing_db(width)}
    return Suggestion(
        "stereo",
        f"{m.name}'s channels work against each other (correlation {m.correlation:+.2f}): folded to mono it "
        f"loses {mono_loss_db:.1f} dB" + (" and all but disappears." if mono_loss_db >= MONO_LOSS_HIGH_DB else "."),
        "high" if mono_loss_db >= MONO_LOSS_HIGH_DB else "medium",
        m.name,
        fix,
        0.85,
        {"correlation": m.correlation, "width": m.stereo_width, "mono_loss_db": mono_loss_db},
        {"kind": "stereo", "stereo": stereo},
    )


NARROWED_MONO_LOSS_DB = 1.5
"""The mono fold's loss a narrowing aims at (the finding asks for under 3 dB)."""


def narrowing_db(width: float) -> float:
    """The side gain (dB) that takes a track whose side share is ``width`` to a mono-fold loss of
    NARROWED_MONO_LOSS_DB: side share w' = 1 - 10^(-loss / 10), and scaling the side by g gives
    w' = g^2 w / ((1 - w) + g^2 w)."""
    target = 1.0 - 10.0 ** (-NARROWED_MONO_LOSS_DB / 10.0)
    width = min(max(width, 1e-6), 1.0 - 1e-6)
    gain_sq = target * (1.0 - width) / ((1.0 - target) * width)
    return round(min(0.0, 10.0 * math.log10(gain_sq)), 2)


# ----------------------------------------------------------------------------------- cross track


def level_findings(analyses: list[TrackAnalysis], gains: list[float]) -> list[Suggestion]:
    """Tracks far from where the balance by role puts them, relative to the median track."""
    audible = [k for k, a in enumerate(analyses) if a.measurement.integrated_lufs is not None]
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
        out.append(
            Suggestion(
                "level",
                f"{m.name} ({m.role}) is {abs(dev):.1f} dB {'louder' if louder else 'quieter'} than the balance by "
                f"role puts it against the other tracks ({m.integrated_lufs:.1f} LUFS).",
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


PART_COVERAGE = 0.9
"""A masker that sounds on fewer of the signal's notes than this is said to cover "N% of them"."""


def masking_suggestions(
    findings: list[MaskingFinding], analyses: list[TrackAnalysis], *, level_moves: dict[str, float] | None = None
) -> list[Suggestion]:
    """One suggestion per pair of tracks (the worse direction), EQ cut on the masker.

    ``level_moves``: track name -> the gain (dB) of its level finding. When the masker is flagged
    as too loud, the suggestion says which of the two moves fits.
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
        cut = float(np.clip(3.0 - min(f.smr_db, 0.0), 3.0, 8.0))
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
        same_role = f.roles[0] == f.roles[1]
        # A lead element covered (vocals under guitars, the kick under the bass) matters most; two
        # parts of equal rank overlapping is an arrangement choice worth a look.
        equal_rank = ROLE_PRIORITY.get(f.roles[0], 2) == ROLE_PRIORITY.get(f.roles[1], 2)
        priority = "low" if equal_rank else ("high" if f.smr_db < -3 else "medium")
        if f.kind == "shared" and f.smr_db >= SHARED_HEARD_SMR_DB:
            # A shared home where the signal stays clearly above the masker on its notes (a kick
            # 3-7 dB over the bass at their common fundamental) is still heard: carving is a choice.
            priority = "low"
        if same_role:
            extra = f", or pan {f.signal} and {f.masker} apart"
        first = ""
        if level_moves.get(f.masker, 0.0) < 0:
            first = (
                f" {f.masker} is also louder than its balance (level finding: {level_moves[f.masker]:+.1f} dB): "
                "if its excess sits in this band, the cut is the better move; otherwise lower it first."
            )
        out.append(
            Suggestion(
                "masking",
                f"{f.signal} and {f.masker} mask each other {where}: during "
                f"{f.signal}'s notes "
                + (f"where {f.masker} plays too ({f.coverage:.0%} of them) " if f.coverage < PART_COVERAGE else "")
                + (
                    f"{f.masker} is {-f.smr_db:.1f} dB louder than it there"
                    if f.smr_db < 0
                    else f"it is only {f.smr_db:.1f} dB above {f.masker} there"
                )
                + f", where {f.shares[0]:.0%} of {f.signal}'s and {f.shares[1]:.0%} of {f.masker}'s energy lie.",
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
                    "signal_width": pans[f.signal].measurement.stereo_width if f.signal in pans else None,
                },
                {"kind": "eq", "eq": {"type": "cut", "freq_hz": f.centre_hz, "gain_db": -cut, "q": q}},
                tracks=(f.signal, f.masker),
                band=f.band,
                info=equal_rank,
            )
        )
    return out


def mix_findings(mix: dict[str, Any], target: LoudnessTarget) -> list[Suggestion]:
    """Headroom of the sum of the stems, and what mastering to ``target`` will take."""
    out: list[Suggestion] = []
    lufs, tp = mix.get("integrated_lufs"), mix.get("true_peak_dbtp")
    if lufs is None or tp is None:
        return out
    if tp > target.ceiling_dbtp + TRUE_PEAK_TOLERANCE_DB:
        drop = tp - target.ceiling_dbtp + 2.0
        clips = tp > 0.0
        out.append(
            Suggestion(
                "headroom",
                f"The sum of the stems peaks at {tp:+.1f} dBTP, above the {target.ceiling_dbtp:g} dBTP ceiling: "
                + ("the mix bus clips." if clips else "no room left for mastering, and it clips once encoded."),
                "high" if clips else "medium",
                None,
                f"Pull every fader down by {drop:.1f} dB (or the mix bus input) and leave the loudness to mastering.",
                0.9,
                {"true_peak_dbtp": tp, "integrated_lufs": lufs, "ceiling_dbtp": target.ceiling_dbtp},
                {"kind": "gain", "gain_db": -drop},
                tracks=(MIX_BUS,),
            )
        )
    elif lufs > HOT_MIX_LUFS:
        drop = lufs - PRE_MASTER_LUFS
        out.append(
            Suggestion(
                "headroom",
                f"The mix is already {lufs:.1f} LUFS before mastering: little room for a mastering chain.",
                "medium",
                None,
                f"Lower all faders by {drop:.1f} dB to about {PRE_MASTER_LUFS:g} LUFS.",
                0.7,
                {"integrated_lufs": lufs, "true_peak_dbtp": tp},
                {"kind": "gain", "gain_db": -drop},
                tracks=(MIX_BUS,),
            )
        )
    elif lufs < QUIET_MIX_LUFS:
        raise_db = PRE_MASTER_LUFS - lufs
        out.append(
            Suggestion(
                "headroom",
                f"The mix is very quiet ({lufs:.1f} LUFS): levels this low waste resolution in plugins and renders.",
                "low",
                None,
                f"Raise all faders by about {raise_db:.0f} dB (to about {PRE_MASTER_LUFS:g} LUFS).",
                0.6,
                {"integrated_lufs": lufs, "true_peak_dbtp": tp},
                {"kind": "gain", "gain_db": raise_db},
                tracks=(MIX_BUS,),
            )
        )
    out.extend(mastering_findings(lufs, tp, target, subject="the mix", info_only=True))
    return out


def mastering_findings(
    lufs: float | None, tp: float | None, target: LoudnessTarget, *, subject: str, info_only: bool = False
) -> list[Suggestion]:
    """Loudness and true peak of a master (or what a mix will need) against ``target``."""
    out: list[Suggestion] = []
    if lufs is None or tp is None:
        return out
    gain = target.lufs - lufs
    peak_after = tp + gain
    reduction = max(0.0, peak_after - target.ceiling_dbtp)
    if abs(gain) >= 1.0 or info_only:
        if reduction > 0.5:
            move = (
                f"Raise {subject} by {gain:.1f} dB into a true-peak limiter with its ceiling at "
                f"{target.ceiling_dbtp:g} dBTP (about {reduction:.1f} dB of limiting on the peaks"
                + ("; more than 6 dB will be audible: compress the mix first)." if reduction > 6 else ").")
            )
            action: dict[str, Any] = {
                "kind": "limiter",
                "limiter": {"ceiling_dbtp": target.ceiling_dbtp, "gain_db": gain},
            }
        else:
            move = f"{'Raise' if gain > 0 else 'Lower'} {subject} by {abs(gain):.1f} dB."
            action = {"kind": "gain", "gain_db": gain}
        out.append(
            Suggestion(
                "loudness",
                f"{subject[0].upper() + subject[1:]} is {lufs:.1f} LUFS; {target.name} asks for {target.lufs:g} LUFS "
                f"({gain:+.1f} LU).",
                "low" if info_only else ("high" if abs(gain) >= 4 else "medium"),
                None,
                move,
                0.9,
                {"integrated_lufs": lufs, "target_lufs": target.lufs, "true_peak_dbtp": tp},
                action,
                tracks=(MIX_BUS,),
                info=info_only,
            )
        )
    if not info_only and tp > target.ceiling_dbtp:
        out.append(
            Suggestion(
                "true_peak",
                f"{subject[0].upper() + subject[1:]}'s true peak is {tp:+.2f} dBTP, above the "
                f"{target.ceiling_dbtp:g} dBTP ceiling: it will clip after lossy encoding.",
                "high",
                None,
                f"Put a true-peak limiter last with its ceiling at {target.ceiling_dbtp:g} dBTP.",
                0.95,
                {"true_peak_dbtp": tp, "ceiling_dbtp": target.ceiling_dbtp},
                {"kind": "limiter", "limiter": {"ceiling_dbtp": target.ceiling_dbtp, "gain_db": 0.0}},
                tracks=(MIX_BUS,),
            )
        )
    return out


def reference_comparison(
    ours_analysis: TrackAnalysis, reference_analysis: TrackAnalysis, *, subject: str
) -> tuple[dict[str, Any], list[Suggestion]]:
    """Loudness, tonal balance and width of ``ours`` against a reference track (as matchering does).

    The per-band table (BANDS) is for display; the EQ moves come from a third-octave match of the
    two long-term spectra (:func:`ai.mixing.reference_match.reference_eq`, at most six shelves and bells).
    """
    ours, reference = ours_analysis.measurement, reference_analysis.measurement
    bands = {}
    out: list[Suggestion] = []
    for name, _, _ in BANDS:
        a, b = ours.band_relative_db[name], reference.band_relative_db[name]
        diff = None if a is None or b is None else a - b
        bands[name] = {"ours_db": a, "reference_db": b, "difference_db": diff}
    freqs = ours_analysis.spectra.freqs
    moves = reference_eq(
        ours=ours_analysis.spectra.spectrum,
        reference=_on_bins(reference_analysis.spectra, freqs),
        freqs=freqs,
    )
    for eq in moves:
        gain = float(eq["gain_db"])
        if abs(gain) < REFERENCE_BAND_DB / 2:
            continue
        kind = eq["type"].replace("_", " ")
        out.append(
            Suggestion(
                "reference",
                f"{subject[0].upper() + subject[1:]} has {abs(gain):.1f} dB {'less' if gain > 0 else 'more'} around "
                f"{eq['freq_hz']:.0f} Hz than the reference, relative to the whole spectrum.",
                "medium" if abs(gain) >= 6 else "low",
                None,
                f"{'Boost' if gain > 0 else 'Cut'} {subject} by {abs(gain):.1f} dB ({kind} at {eq['freq_hz']:.0f} Hz, "
                f"Q {eq['q']:.2g}) to move toward the reference.",
                0.6,
                {"freq_hz": eq["freq_hz"], "difference_db": -gain},
                {"kind": "eq", "eq": dict(eq)},
                tracks=(MIX_BUS,),
                band=band_of(float(eq["freq_hz"])),
            )
        )
    width_diff = None
    if ours.stereo_width is not None and reference.stereo_width is not None:
        width_diff = ours.stereo_width - reference.stereo_width
        if abs(width_diff) >= REFERENCE_WIDTH:
            out.append(
                Suggestion(
                    "reference",
                    f"{subject[0].upper() + subject[1:]} is {'wider' if width_diff > 0 else 'narrower'} than the "
                    f"reference (side share {ours.stereo_width:.2f} vs {reference.stereo_width:.2f}).",
                    "low",
                    None,
                    f"{'Narrow' if width_diff > 0 else 'Widen'} the stereo image of {subject} (mid/side balance, or "
                    f"the pans of the harmonic parts) toward the reference.",
                    0.55,
                    {"width": ours.stereo_width, "reference_width": reference.stereo_width},
                    tracks=(MIX_BUS,),
                )
            )
    loud_diff = None
    if ours.integrated_lufs is not None and reference.integrated_lufs is not None:
        loud_diff = ours.integrated_lufs - reference.integrated_lufs
    comparison = {
        "loudness_lufs": ours.integrated_lufs,
        "reference_loudness_lufs": reference.integrated_lufs,
        "loudness_difference_lu": loud_diff,
        "true_peak_dbtp": ours.true_peak_dbtp,
        "reference_true_peak_dbtp": reference.true_peak_dbtp,
        "width": ours.stereo_width,
        "reference_width": reference.stereo_width,
        "width_difference": width_diff,
        "bands": bands,
    }
    return comparison, out


# ----------------------------------------------------------------------------------- report


def _on_bins(spectra: Any, freqs: np.ndarray) -> np.ndarray:
    """A long-term spectrum (power per bin) moved onto other bins ``freqs`` (another sample rate):
    the power density is interpolated, then scaled to the new bin width."""
    if spectra.freqs.shape == freqs.shape and np.allclose(spectra.freqs, freqs):
        spectrum: np.ndarray = spectra.spectrum
        return spectrum
    density = spectra.spectrum / spectra.freqs[1]
    result: np.ndarray = np.interp(freqs, spectra.freqs, density, right=0.0) * freqs[1]
    return result


def quality(suggestions: list[Suggestion]) -> tuple[int, str]:
    """(mix_quality_score 0-100, overall_quality text) from the findings (see the module docstring)."""
    problems = [s for s in suggestions if not s.info]
    score = 100.0 - sum(PENALTY[s.priority] * s.confidence for s in problems)
    score_int = int(round(min(100.0, max(0.0, score))))
    if not problems:
        return score_int, "good: no problems found in the measurements"
    worst = problems[0]
    counts = {p: sum(1 for s in problems if s.priority == p) for p in ("high", "medium", "low")}
    summary = ", ".join(f"{n} {p}" for p, n in counts.items() if n)
    label = (
        "good"
        if score_int >= 85
        else "decent"
        if score_int >= 70
        else "needs work"
        if score_int >= 50
        else "major problems"
    )
    return score_int, f"{label}: {summary} priority finding(s); first: {worst.message}"


def _sort(suggestions: list[Suggestion]) -> list[Suggestion]:
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(suggestions, key=lambda s: (s.info, order[s.priority], -s.confidence))


def _sum_of(prepared: list[PreparedTrack]) -> Frames:
    """The stems' sum at unity: in memory when they all are, else written block by block into a
    stem file beside theirs (the same samples either way)."""
    stems = [p.samples for p in prepared]
    files = [s for s in stems if isinstance(s, StemFile)]
    if not files:
        return render_mix([whole(s) for s in stems], [0.0] * len(stems))
    zero = [0.0] * len(stems)
    return write_stem_file(
        mix_blocks(stems, zero, None), channels=2, sample_rate=prepared[0].sample_rate, directory=files[0].path.parent
    )


def _measure_single(stack: contextlib.ExitStack, audio: Audio, name: str) -> TrackAnalysis:
    prepared = prepare_tracks([TrackInput(name, audio, "music")])
    stack.callback(close_made, prepared)
    return analyse_track(prepared[0])


def suggest(
    tracks: list[TrackInput],
    *,
    target: str | float | None = "streaming",
    master: Audio | None = None,
    reference: Audio | None = None,
    roles: dict[str, str] | None = None,
    tempo_bpm: float | None = None,
    workers: int | None = None,
) -> MixReport:
    """Mixing advice for ``tracks`` (stems), or mastering advice for ``master`` alone.

    Args:
        tracks: the stems; may be empty when ``master`` is given.
        target: delivery loudness: "streaming" (-14 LUFS), "apple" (-16), "broadcast" (-23),
            "club" (-9) or a number in LUFS; the true-peak ceiling is -1 dBTP.
        master: a finished mix to check (mastering advice); with stems it is checked as well.
        reference: a reference track to compare the mix (or master) with.
        roles: track name -> role overrides.
        tempo_bpm: the song's tempo (a project's manifest): compressor release and delay times are
            set from it; without it, it is measured from the sum of the stems (or the master) with
            the analysis' beat tracker.
        workers: threads for measuring stems (default: up to 4).

    Raises:
        NoAudioFound: no stems and no master.
        InvalidParameter: a bad target, role or duplicate track name.
    """
    with contextlib.ExitStack() as stack:  # the stem files made on the way (the sum, resampled stems) go at the end
        resolved = resolve_target(target)
        if not tracks and master is None:
            raise NoAudioFound(NO_AUDIO_MESSAGE)
        prepared = None
        if tracks:
            progress.report(0.0, "preparing stems")
            prepared = prepare_tracks(tracks, roles=roles)
            stack.callback(close_made, prepared)
        return _suggest(
            stack, prepared, resolved, master=master, reference=reference, tempo_bpm=tempo_bpm, workers=workers
        )


def suggest_prepared(
    prepared: list[PreparedTrack],
    *,
    target: str | float | None = "streaming",
    reference: Audio | None = None,
    tempo_bpm: float | None = None,
    workers: int | None = None,
) -> MixReport:
    """:func:`suggest` on stems :func:`prepare_tracks` already brought onto one rate (their roles
    chosen): the render prepares them once for its advice and its processing. The caller keeps
    (and closes) ``prepared``."""
    with contextlib.ExitStack() as stack:
        resolved = resolve_target(target)
        return _suggest(
            stack, prepared, resolved, master=None, reference=reference, tempo_bpm=tempo_bpm, workers=workers
        )


def _suggest(
    stack: contextlib.ExitStack,
    prepared: list[PreparedTrack] | None,
    resolved: LoudnessTarget,
    *,
    master: Audio | None,
    reference: Audio | None,
    tempo_bpm: float | None,
    workers: int | None,
) -> MixReport:
    """:func:`suggest` on prepared stems (or none: a master alone); ``stack`` closes the files made on the way."""
    suggestions: list[Suggestion] = []
    notes: list[str] = []
    measurements: list[TrackMeasurement] = []
    masking: list[MaskingFinding] = []
    mix_info: dict[str, Any] = {}
    details: dict[str, dict[str, Any]] = {}
    subject_measure: TrackMeasurement | None = None
    subject_analysis: TrackAnalysis | None = None
    mode = "stems" if prepared else "master"
    tempo_source = "given" if tempo_bpm is not None else None

    # A job's progress (ai/progress.py; no-ops otherwise): the stems are most of the work.
    if prepared:
        # The sum of the stems as they are is analysed in the same pool as the stems (one more task
        # keeps both threads busy instead of a serial pass at the end).
        # The sum of one stem at unity is that stem: its samples are shared, not copied.
        summed = prepared[0].samples if len(prepared) == 1 else _sum_of(prepared)
        stack.callback(close_all, [summed] if summed is not prepared[0].samples else [])
        mix_track = PreparedTrack("mix (sum of stems)", "music", summed, prepared[0].sample_rate, 2)
        with progress.section(0.05, 0.45, "measuring stems"):
            *analyses, mix_analysis = analyse_all([*prepared, mix_track], workers=workers)
        measurements = [a.measurement for a in analyses]
        norms = role_norms()
        release_free_memory()  # the measuring threads' working arrays (ai/heap.py)
        if tempo_bpm is None:
            with progress.section(0.45, 0.55, "tempo"):
                tempo_bpm = estimate_tempo(
                    summed if isinstance(summed, StemFile) else DecodedAudio(summed, mix_track.sample_rate)
                )
            tempo_source = "analysis" if tempo_bpm is not None else None
            release_free_memory()

        def advise(a: TrackAnalysis) -> TrackAdvice:
            bus = MIX_BUS if a is mix_analysis else None
            return track_advice(a, tempo_bpm=tempo_bpm, track=bus, norms=norms, space=bus is None)

        with progress.section(0.55, 0.85, "advice per stem"):
            advice = _in_pool(advise, [*analyses, mix_analysis], workers)
        progress.report(0.85, "levels and masking")
        for a, found in zip(analyses, advice, strict=False):
            notes.extend(f"{a.measurement.name}: {note}" for note in a.measurement.notes)
            suggestions.extend(track_findings(a.measurement))
            suggestions.extend(found.suggestions)
            details[a.measurement.name] = found.details
        suggestions.extend(advice[-1].suggestions)
        sr = analyses[0].track.sample_rate
        level_inputs = items_from(analyses)
        gains = balance_gains(level_inputs, sr)
        suggestions.extend(level_findings(analyses, gains))
        audible = [k for k, a in enumerate(analyses) if a.measurement.integrated_lufs is not None]
        # Keyed by track name (looked up by name only, so a finding without a track adds nothing).
        level_moves = {
            s.track: float(s.action["gain_db"])
            for s in suggestions
            if s.type == "level" and s.action and s.track is not None
        }
        # Masking as the stems sound now, except that a track flagged as too quiet is judged at the
        # level its level move gives it (being covered is then the level problem, not an EQ one).
        # A track flagged as too loud stays in at its own level: its excess may sit in one band (a
        # bass boosted where the kick lives also reads as a louder bass), and what it covers now is
        # what the listener hears; the suggestion then says that the level move comes first.
        masking_gains = [max(0.0, level_moves.get(analyses[k].measurement.name, 0.0)) for k in audible]
        masking = find_masking([analyses[k] for k in audible], gains_db=masking_gains)
        suggestions.extend(masking_suggestions(masking, analyses, level_moves=level_moves))
        mm = mix_analysis.measurement
        subject_measure = mm
        subject_analysis = mix_analysis
        mix_info = {
            "integrated_lufs": mm.integrated_lufs,
            "true_peak_dbtp": mm.true_peak_dbtp,
            "headroom_db": None if mm.true_peak_dbtp is None else resolved.ceiling_dbtp - mm.true_peak_dbtp,
            "short_term_max_lufs": mm.short_term_max_lufs,
            "loudness_range_lu": mm.loudness_range_lu,
            "stereo_width": mm.stereo_width,
            "correlation": mm.correlation,
            "bands_relative_db": dict(mm.band_relative_db),
            "balanced_pans": dict(
                zip(
                    [a.measurement.name for a in analyses],
                    role_layout(level_inputs)[1],
                    strict=True,
                )
            ),
        }
        mix_info.update(advice[-1].details)
        suggestions.extend(mix_findings(mix_info, resolved))
        del mix_track

    if master is not None:
        progress.report(0.9 if prepared else 0.0, "measuring the master")
        master_analysis = _measure_single(stack, master, "master")
        mm = master_analysis.measurement
        subject_measure = mm
        subject_analysis = master_analysis
        # A master gets tone only (its dynamics and space are the mix's): no tempo is needed.
        mastered = track_advice(master_analysis, tempo_bpm=tempo_bpm, track=MIX_BUS, dynamics=False, space=False)
        mix_info.setdefault("master", {**mm.to_dict(), **mastered.details})
        if mode == "master":
            mix_info.update(
                {
                    "integrated_lufs": mm.integrated_lufs,
                    "true_peak_dbtp": mm.true_peak_dbtp,
                    "headroom_db": None if mm.true_peak_dbtp is None else resolved.ceiling_dbtp - mm.true_peak_dbtp,
                    "loudness_range_lu": mm.loudness_range_lu,
                    "stereo_width": mm.stereo_width,
                    "correlation": mm.correlation,
                    "bands_relative_db": dict(mm.band_relative_db),
                }
            )
            measurements = [mm]
        master_problems = [
            s for s in track_findings(mm) if s.type in ("clipping", "dc_offset", "rumble", "stereo", "silence")
        ]
        suggestions.extend(master_problems)
        suggestions.extend(mastered.suggestions)
        suggestions.extend(mastering_findings(mm.integrated_lufs, mm.true_peak_dbtp, resolved, subject="the master"))

    comparison = None
    if reference is not None and subject_measure is not None and subject_analysis is not None:
        progress.report(0.95, "measuring the reference")
        ref = _measure_single(stack, reference, "reference")
        subject = "the master" if master is not None else "the mix"
        comparison, ref_suggestions = reference_comparison(subject_analysis, ref, subject=subject)
        suggestions.extend(ref_suggestions)

    suggestions = _sort(suggestions)
    score, text = quality(suggestions)
    return MixReport(
        mode,
        suggestions,
        score,
        text,
        resolved,
        measurements,
        masking,
        mix_info,
        comparison,
        notes,
        details,
        tempo_bpm,
        tempo_source,
    )


def warmup() -> None:
    """Compile the numba kernels (K-weighting, true peak, sample scans) on a short signal, and read
    the mixing models (role norms, role classifier) so no request pays for it.

    The first call of each kernel otherwise pays about a second of JIT compilation (cached on disk
    afterwards); the service can call this at start-up.
    """
    sr = 44100
    t = np.arange(sr * 2) / sr
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    stems = [
        TrackInput("Bass", DecodedAudio(np.stack([tone, tone]), sr)),
        TrackInput("Keys", DecodedAudio(tone[np.newaxis, :].copy(), sr)),
    ]
    role_norms()
    load_role_model()
    suggest(stems, workers=1)
