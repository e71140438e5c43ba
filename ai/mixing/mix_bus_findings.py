"""Findings about the whole mix: the headroom of the sum of the stems, a master's loudness and true
peak against the delivery target (or what mastering a mix will take), and the mix or master
compared with a reference track (loudness, tonal balance, stereo width).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ai.mixing.findings import MIX_BUS, Suggestion
from ai.mixing.measure import TrackAnalysis
from ai.mixing.reference_match import reference_eq
from ai.mixing.targets import BANDS, LOUDNESS_TARGETS, PRE_MASTER_LUFS, LoudnessTarget, band_of

HOT_MIX_LUFS = -10.0
TRUE_PEAK_TOLERANCE_DB = 0.1
"""A sum that peaks this little over the ceiling is at it: true-peak readings of one signal differ by
about this much between meters (and auto-level puts a balanced sum exactly at the ceiling)."""
QUIET_MIX_LUFS = -32.0
REFERENCE_BAND_DB = 3.0
REFERENCE_WIDTH = 0.1


def _aim(target: LoudnessTarget) -> str:
    """ "streaming asks for -14 LUFS"; a target given as a number has no name to say ("-11 LUFS asks for -11 LUFS")."""
    named = target.name in LOUDNESS_TARGETS
    return f"{target.name} asks for {target.lufs:g} LUFS" if named else f"the target is {target.lufs:g} LUFS"


def mix_findings(mix: dict[str, Any], target: LoudnessTarget, *, silent: bool = False) -> list[Suggestion]:
    """Headroom of the sum of the stems, and what mastering to ``target`` will take. A ``silent`` mix (every stem
    silent as the advice counts it, each with its silence finding) gets no loudness move: a -70 dBFS hiss was
    "silent or nearly so" and the same answer asked to raise the mix by 49.9 LU to the streaming target."""
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
                f"The sum of the stems peaks at {tp:+z.1f} dBTP, above the {target.ceiling_dbtp:g} dBTP ceiling: "
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
    elif lufs < QUIET_MIX_LUFS and not silent:
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
    out.extend(mastering_findings(lufs, tp, target, subject="the mix", info_only=True, silent=silent))
    return out


def mastering_findings(
    lufs: float | None,
    tp: float | None,
    target: LoudnessTarget,
    *,
    subject: str,
    info_only: bool = False,
    silent: bool = False,
) -> list[Suggestion]:
    """Loudness and true peak of a master (or what a mix will need) against ``target``; no loudness move for a
    ``silent`` one (its silence finding says so), its true peak still."""
    out: list[Suggestion] = []
    if lufs is None or tp is None:
        return out
    gain = target.lufs - lufs
    peak_after = tp + gain
    reduction = max(0.0, peak_after - target.ceiling_dbtp)
    if (abs(gain) >= 1.0 or info_only) and not silent:
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
                f"{subject[0].upper() + subject[1:]} is {lufs:.1f} LUFS; {_aim(target)} ({gain:+z.1f} LU).",
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
                f"{subject[0].upper() + subject[1:]}'s true peak is {tp:+z.2f} dBTP, above the "
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


def _on_bins(spectra: Any, freqs: np.ndarray) -> np.ndarray:
    """A long-term spectrum (power per bin) moved onto other bins ``freqs`` (another sample rate):
    the power density is interpolated, then scaled to the new bin width."""
    if spectra.freqs.shape == freqs.shape and np.allclose(spectra.freqs, freqs):
        spectrum: np.ndarray = spectra.spectrum
        return spectrum
    density = spectra.spectrum / spectra.freqs[1]
    result: np.ndarray = np.interp(freqs, spectra.freqs, density, right=0.0) * freqs[1]
    return result
