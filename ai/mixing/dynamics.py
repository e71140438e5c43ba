"""Dynamics findings: over-compressed and uncontrolled tracks, against the role's norms.

Measures are :mod:`ai.mixing.dynamics_measure`'s (:func:`ai.mixing.dynamics_measure.measure_dynamics`), norms
:mod:`ai.mixing.dynamics_norms`' (:class:`ai.mixing.dynamics_norms.RoleDynamics`), and the advice for an uncontrolled
track (volume automation or a compressor, each checked on the track) is :mod:`ai.mixing.dynamics_advice`'s.

Findings (:func:`dynamics_findings`):

* over-compressed (drums and the mix bus: OVER_COMPRESSION_FAMILIES): the mean, over crest factor,
  PLR, envelope depth and block crest, of how far each lies below the role's median in units of
  the role's lower spread (``(p50 - p10) / 1.2816``, a normal distribution's sigma) reaches the
  fitted ``over_compressed_z``. Advice: how many dB of gain reduction to give back on the peaks
  (the crest factor's or PLR's distance to the role's median) and an attack slow enough to let
  the transients through. A printed stem cannot be un-compressed, so this is not a move a
  renderer can apply (``action["kind"] == "back_off"``). A track that holds one sound (a drone, a
  steady chord: its bands' levels never move, :mod:`ai.mixing.held_sound`) is not judged: it has no hits
  to lose, and its crest factor is its waveform's (a drone pad alone was "over-compressed" on the mix bus).
* uncontrolled (tonal parts: UNCONTROLLED_FAMILIES): the loudness range lies above the role's
  median by ``uncontrolled_z`` upper spreads (``(p90 - p50) / 1.2816``). When the swing is slow,
  volume automation per section (:func:`ai.mixing.dynamics_advice.section_automation`,
  ``action["kind"] == "automation"``, the sections' start/end seconds and gains); otherwise a
  compressor derived from the signal (:func:`ai.mixing.dynamics_advice.suggest_compressor`,
  ``action["kind"] == "compressor"``). Either is checked on the track, and ``action["check"]``
  carries before / after / target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ai.audio.stem_file import Frames, StemFile
from ai.mixing.dynamics_advice import (
    ATTACK_MS,
    SECTION_MERGE_DB,
    automation_check,
    section_automation,
    suggest_compressor,
)
from ai.mixing.dynamics_measure import DynamicsMeasure, _validated
from ai.mixing.dynamics_norms import RoleDynamics, RoleNorm
from ai.mixing.findings import MIX_BUS, Suggestion
from ai.mixing.held_sound import HELD_MOVEMENT_DB
from utils.wording import with_article

OVER_COMPRESSION_FAMILIES = frozenset({"percussive", "music"})
"""Families judged for over-compression: drums and the mix bus, where the attacks are the point.
Sustained parts (bass, keys, pads, leads, vocals) are compressed hard by choice in many styles,
and on the training stems their crest and depth differ between two soundfonts as much as a heavy
compressor moves them: judged by the other soundfont's norms, 8 of the 62 clean basses (9 of 143
tonal tracks) would read over-compressed at the shipped threshold."""
UNCONTROLLED_FAMILIES = frozenset({"tonal"})
"""Families judged for uncontrolled dynamics: the parts a compressor or a fader ride evens out
(bass, keys, guitars, leads, vocals). A drum part's range follows its fills and crashes, and the
mix bus's range is the arrangement's (a mastering matter, see the loudness findings)."""
SQUASH_MEASURES = ("crest_db", "plr_db", "transient_db", "block_crest_db")
"""Measures a compressor or limiter lowers; over-compression is judged on their mean z."""


def over_compression_z(*, measure: DynamicsMeasure, norm: RoleNorm) -> tuple[float | None, dict[str, float]]:
    """(mean z below the norm over SQUASH_MEASURES, {measure: z}); None when none is defined."""
    zs = {}
    for name in SQUASH_MEASURES:
        value = measure.value(name)
        if value is not None and name in norm.measures:
            zs[name] = norm.below(name, value)
    return (float(np.mean(list(zs.values()))) if zs else None), zs


NORM_NOUNS = {"music": "mix bus", "tonal": "tonal part", "percussive": "drum part", "drums": "drum bus or kit"}
"""How a message names the norm a track is compared with (the role's own name otherwise)."""


def _label(name: str, role: str) -> str:
    return "the mix bus" if name == MIX_BUS or role == "music" else f"{name} ({role})"


def _norm_noun(norm: RoleNorm) -> str:
    return NORM_NOUNS.get(norm.name, f"{norm.name} part")


def _over_compressed(
    name: str, role: str, measure: DynamicsMeasure, norm: RoleNorm, norms: RoleDynamics
) -> Suggestion | None:
    if measure.band_movement_db is not None and measure.band_movement_db < HELD_MOVEMENT_DB:
        return None  # one held sound: no attacks that a compressor could have taken
    z, zs = over_compression_z(measure=measure, norm=norm)
    if z is None or z < norms.over_compressed_z:
        return None
    crest_norm = norm.measures["crest_db"].median
    plr_norm = norm.measures["plr_db"].median
    if measure.plr_db is not None and measure.plr_db >= plr_norm:
        # A compressor lowers the peaks against the loudness: a track whose peak-to-loudness is above its role's
        # median is not squashed, whatever the others read. A DC offset or 18 Hz rumble (which K-weighting leaves
        # out of the loudness) fills the unweighted crest and envelope: a kick with both was "over-compressed" at
        # a PLR of 21.6 dB, typically 16.4 (QA pass 5b).
        return None
    transient_norm = norm.measures["transient_db"].median
    crest = measure.crest_db or 0.0
    give_back = max(crest_norm - crest, plr_norm - (measure.plr_db if measure.plr_db is not None else plr_norm), 1.0)
    attack = ATTACK_MS[1]
    label = _label(name, role)
    transient_text = (
        f", hits {measure.transient_db:.1f} dB above what sounds between them (typically {transient_norm:.1f})"
        if measure.transient_db is not None
        else ""
    )
    high = z >= norms.over_compressed_high_z
    return Suggestion(
        "dynamics",
        f"{label} sounds over-compressed: crest factor {crest:.1f} dB ({with_article(_norm_noun(norm))} is typically "
        f"{crest_norm:.1f}), peak-to-loudness {measure.plr_db or 0.0:.1f} dB (typically {plr_norm:.1f})"
        f"{transient_text}. The hits have lost their punch.",
        "high" if high else "medium",
        name,
        f"Back off the compressor or limiter on {name} by about {give_back:.0f} dB of gain reduction on the "
        f"peaks (raise the threshold or lower the ratio), with an attack of {attack:.0f} ms or slower so the "
        "transients pass; if the stem was printed compressed, re-export it without the bus processing or "
        f"restore about {give_back:.0f} dB of attack with a transient shaper.",
        float(min(0.95, 0.5 + 0.1 * z)),
        {
            "problem": "over_compressed",
            "crest_factor_db": measure.crest_db,
            "plr_db": measure.plr_db,
            "transient_db": measure.transient_db,
            "block_crest_db": measure.block_crest_db,
            "loudness_range_lu": measure.lra_lu,
            "z_below_norm": z,
            "z": zs,
            "norm": {"role": norm.name, "crest_db": crest_norm, "plr_db": plr_norm, "transient_db": transient_norm},
        },
        {
            "kind": "back_off",
            "back_off_db": round(give_back, 1),
            "attack_ms": attack,
            "target": {"crest_db": crest_norm, "plr_db": plr_norm, "transient_db": transient_norm},
        },
    )


def dynamics_findings(
    *,
    name: str,
    role: str,
    measure: DynamicsMeasure,
    samples: Frames,
    sr: int,
    tempo_bpm: float | None,
    norms: RoleDynamics,
) -> list[Suggestion]:
    """Over-compression and uncontrolled-dynamics findings for one track (or the mix bus: role "music").

    Args:
        name: the track's name (findings.MIX_BUS for the mix bus).
        role: its role (ai.mixing.roles.ROLES).
        measure: :func:`measure_dynamics` of ``samples``.
        samples: np.ndarray [shape=(channels, n)] or a stem file, the track (the advice is applied to
            it to check it: a stem file block by block).
        sr: sample rate (Hz).
        tempo_bpm: the song's tempo (the analysis' or the project's), None when unknown.
        norms: :class:`RoleDynamics` (e.g. :func:`ai.mixing.dynamics_norms.default_role_dynamics`).

    See the module docstring for the rules. Returns [] for a silent or too-short track.
    """
    if measure.integrated_lufs is None:
        return []
    norm = norms.norm(role)
    out: list[Suggestion] = []
    family = norms.family(role)
    if family in OVER_COMPRESSION_FAMILIES:
        squashed = _over_compressed(name, role, measure, norm, norms)
        if squashed is not None:
            out.append(squashed)
    if family not in UNCONTROLLED_FAMILIES or measure.lra_lu is None or not measure.short_term:
        return out
    z = norm.above("lra_lu", measure.lra_lu)
    if z < norms.uncontrolled_z:
        return out
    out.append(_uncontrolled(name, role, measure, norm, norms, z, samples, sr, tempo_bpm))
    return out


def _uncontrolled(
    name: str,
    role: str,
    measure: DynamicsMeasure,
    norm: RoleNorm,
    norms: RoleDynamics,
    z: float,
    samples: Frames,
    sr: int,
    tempo_bpm: float | None,
) -> Suggestion:
    target = norm.measures["lra_lu"].median
    lra = measure.lra_lu or 0.0
    label = _label(name, role)
    priority = "high" if z >= norms.uncontrolled_high_z else "medium"
    confidence = float(min(0.95, 0.5 + 0.05 * z))
    evidence: dict[str, Any] = {
        "problem": "uncontrolled",
        "loudness_range_lu": lra,
        "target_lu": target,
        "z_above_norm": z,
        "short_term_lufs": {f"p{k}": v for k, v in measure.short_term.items()},
        "crest_factor_db": measure.crest_db,
        "plr_db": measure.plr_db,
        "transient_db": measure.transient_db,
        "norm": {"role": norm.name, "loudness_range_lu": target},
    }
    signal = samples if isinstance(samples, StemFile) else _validated(samples)  # a stem file: checked in blocks
    sections = section_automation(samples=signal, sr=sr)
    moving = [s for s in sections if abs(s["gain_db"]) >= SECTION_MERGE_DB]
    if len(sections) > 1 and moving:
        check = automation_check(samples=signal, sr=sr, sections=sections, before=measure, target=target)
        if check["passes"]:
            ups = sum(1 for s in moving if s["gain_db"] > 0)
            spread = max(s["gain_db"] for s in sections) - min(s["gain_db"] for s in sections)
            return Suggestion(
                "dynamics",
                f"{label} swings {lra:.1f} LU in loudness ({with_article(_norm_noun(norm))} is typically {target:.1f}): "
                f"its level changes section by section ({len(sections)} sections, {spread:.0f} dB apart), "
                "while each section's own dynamics are normal.",
                priority,
                name,
                f"Ride {name}'s level with volume automation (or a slow leveler) rather than a compressor: "
                f"{ups} section(s) up and {len(moving) - ups} down, as listed; that brings its range from "
                f"{lra:.1f} to {check['after']:.1f} LU without touching its attacks.",
                confidence,
                evidence,
                {"kind": "automation", "sections": sections, "check": check},
            )
    advice = suggest_compressor(
        samples=signal, sr=sr, measure=measure, target_lra_lu=target, tempo_bpm=tempo_bpm, norms=norms
    )
    c = advice.compressor
    stages = c.get("stages")
    if stages:
        how = " then ".join(
            f"{s['ratio']:g}:1 at {s['threshold_db']:.1f} dBFS (makeup {s['makeup_db']:+z.1f} dB)" for s in stages
        )
        settings = f"two compressors in series, {how}, attack {c['attack_ms']:g} ms, release {c['release_ms']:g} ms"
    else:
        settings = (
            f"ratio {c['ratio']:g}:1, threshold {c['threshold_db']:.1f} dBFS, attack {c['attack_ms']:g} ms, "
            f"release {c['release_ms']:g} ms, makeup {c['makeup_db']:+z.1f} dB"
        )
    after = advice.check["after"]
    result = f"; applied, it brings the range from {lra:.1f} to {after:.1f} LU" if after is not None else ""
    if not advice.check["passes"]:
        result += f" (short of the {target:.1f} LU {with_article(_norm_noun(norm))} usually has: ride the fader on the worst phrases too)"
    return Suggestion(
        "dynamics",
        f"{label} swings {lra:.1f} LU in loudness ({with_article(_norm_noun(norm))} is typically {target:.1f}): notes and "
        "phrases jump out and drop away.",
        priority,
        name,
        f"Compress {name}: {settings}{result}.",
        confidence,
        evidence,
        {"kind": "compressor", "compressor": c, "check": advice.check},
    )
