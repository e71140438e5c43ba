"""Findings about one track on its own, from its measurement: clipping, DC offset, rumble, stereo
(phase trouble in mono, a wide low end) and silence. The thresholds are described in
:mod:`ai.mixing.suggest`; tone, dynamics and space come from :mod:`ai.mixing.track_advice`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ai.audio import loudness
from ai.mixing.findings import Suggestion
from ai.mixing.measure import TrackMeasurement
from utils.wording import with_article

CLIP_MIN_RUNS = 1
CLIP_HIGH_RUNS = 3
CLIP_FEW_SHARE = 1e-4
"""Below this share of samples clipped (about 4 per second at 44.1 kHz), clipping is a few peaks."""
CLIP_HEAVY_SHARE = 1e-2
"""From this share of samples clipped (1 %), the distortion is continuous: only a new take fixes it."""
CLIP_FULL_SCALE_DBFS = -0.1
"""A clipped track whose sample peak is at least this is clipped at full scale."""
DC_THRESHOLD = 10 ** (-50 / 20)
DC_RELATIVE_DB = 15.0
"""A DC offset within this of the track's RMS level is a finding too, under DC_THRESHOLD: judged on the
track's own level, it holds at any fader (song09's Strings: DC -51.6 dBFS, 13.6 dB under its RMS, unflagged,
then raised by the render to -45 dBFS). The clean renders of the bench's songs (400 stems, FluidR3 and
csound) have their DC 19.8 dB or more under their RMS, apart from that one and an effect already over the
threshold."""
DC_FLOOR = 10 ** (-80 / 20)
"""No DC offset under this (-80 dBFS) is a finding, however quiet the track."""
RUMBLE_SHARE = 0.02
RUMBLE_HIGH_SHARE = 0.05
NOTE_ROLES_BELOW_CUT = frozenset(
    {"guitar", "keys", "pad", "synth", "lead", "kick", "bass", "drums", "music", "fx", "other"}
)
"""Roles whose parts may play notes below their ROLE_LOW_CUT_HZ (a guitar voiced down to 65 Hz,
a piano's bass, a synth's sub, an 808's pitch glide under 30 Hz, a sub drop): energy there that
comes and goes with the part is its notes; only a steady floor is rumble."""
PHASE_CORRELATION = -0.2
POLARITY_CORRELATION = -0.7
"""Below this the channels are mostly one signal with its polarity flipped (a wiring or plug-in
fault): flipping one channel fixes it. Between it and PHASE_CORRELATION the channels are partly
decorrelated and partly opposed (a stereo chorus or widener, phase-offset samples): flipping would
only move the problem to the side; narrowing is the move."""
MONO_LOSS_HIGH_DB = 6.0
"""A track that loses this much level folded to mono (half its power and more) disappears there."""
LOW_END_WIDTH = 0.2


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
            f"{m.name} ({m.role}) has {below}, under the range {with_article(m.role)} part usually uses; it comes and "
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
            f"under the range {with_article(m.role)} part uses, in bursts (plosives, handling noise or low spill) that "
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


def share_text(share: float) -> str:
    """A share (0-1) as an engineer reads it: "13.4%", "0.25%", "0.00019%"; never "0.000%" for 6 samples of
    3 million, as three decimals wrote it (QA pass 5b)."""
    if share >= 0.001:
        return f"{share:.1%}" if share >= 0.01 else f"{share:.2%}"
    return f"{share * 100:.2g}%" if share > 0 else "0%"


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
        f"({share_text(share)} of the track): {damage}.",
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


def has_dc_offset(m: TrackMeasurement) -> bool:
    """A DC offset of DC_THRESHOLD or more, or of DC_FLOOR or more within DC_RELATIVE_DB of the track's RMS."""
    dc = abs(m.dc_offset)
    if dc >= DC_THRESHOLD:
        return True
    return dc >= DC_FLOOR and m.rms_dbfs is not None and 20 * math.log10(dc) >= m.rms_dbfs - DC_RELATIVE_DB


def dc_offset_finding(m: TrackMeasurement) -> Suggestion:
    """A DC offset (:func:`has_dc_offset`), with a 20 Hz high-pass to remove it (a render's DC blocker takes
    out any DC first: :func:`ai.mixing.channel_strip.dc_blocker`)."""
    under = (
        f", {m.rms_dbfs - m.dc_offset_dbfs:.0f} dB under the track's level"
        if m.rms_dbfs is not None and m.dc_offset_dbfs is not None and abs(m.dc_offset) < DC_THRESHOLD
        else ""
    )
    return Suggestion(
        "dc_offset",
        f"{m.name} has a DC offset of {m.dc_offset:+z.4f} ({m.dc_offset_dbfs:.0f} dBFS{under}): it wastes "
        "headroom and clicks at edits.",
        "medium",
        m.name,
        f"Remove it with a DC filter or a high-pass at 20 Hz on {m.name}.",
        float(min(0.99, 0.6 + 0.4 * min(1.0, abs(m.dc_offset) / 0.01))),
        {"dc_offset": m.dc_offset, "dc_offset_dbfs": m.dc_offset_dbfs},
        {"kind": "eq", "eq": {"type": "high_pass", "freq_hz": 20.0, "gain_db": 0.0, "q": 0.707}},
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
    if m.silent:
        # Loudness is K-weighted, deaf to DC: a stem of DC alone (a broken converter, a DC-coupled bounce)
        # measures silent, yet it takes headroom and the mix keeps it. Said, with its fix, before the silence.
        has_dc = abs(m.dc_offset) >= DC_THRESHOLD
        if has_dc:
            out.append(dc_offset_finding(m))
        out.append(
            Suggestion(
                "silence",
                f"{m.name} is silent or nearly so{' apart from its DC offset' if has_dc else ''} "
                f"({m.silent_share:.0%} of it below -60 LUFS).",
                "low",
                m.name,
                f"Check that {m.name} was rendered with its audio, or mute/remove it.",
                0.9,
                {"silent_share": m.silent_share, "audible_s": m.audible_s, "integrated_lufs": m.integrated_lufs},
            )
        )
        return out
    if m.clipped_runs >= CLIP_MIN_RUNS:
        out.append(clipping_finding(m))
    if has_dc_offset(m):
        out.append(dc_offset_finding(m))
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
        f"{m.name}'s channels work against each other (correlation {m.correlation:+z.2f}): folded to mono it "
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
