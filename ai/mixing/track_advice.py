"""Tone, dynamics and space of one track (or the mix bus, or a master), against its role's norms.

Each analysis lives in its own module and learned its norms from rendered stems whose roles are
known (models/role_spectra.*, models/role_dynamics.*, models/role_space.*): :mod:`ai.mixing.tonal`
(EQ moves against the role's tonal curve), :mod:`ai.mixing.dynamics` (over-compression,
uncontrolled dynamics and a compressor that was checked on the track, from
:mod:`ai.mixing.dynamics_advice`), :mod:`ai.mixing.space` (too wet, too dry, reverb and
tempo-synced delay). This module runs the three on one track, with the norms loaded once, so
that :func:`ai.mixing.suggest.suggest` can run it in its thread pool.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from ai.mixing.auto_level import pan_gains
from ai.mixing.dynamics import dynamics_findings
from ai.mixing.dynamics_measure import measure_dynamics
from ai.mixing.dynamics_norms import RoleDynamics, default_role_dynamics
from ai.mixing.findings import Suggestion
from ai.mixing.held_sound import holds_one_sound
from ai.mixing.measure import TrackAnalysis
from ai.mixing.space import space_findings
from ai.mixing.space_measure import MIN_SAMPLE_RATE_HZ, measure_space
from ai.mixing.space_model import RoleSpace, load_role_space
from ai.mixing.tonal import RoleCurves, load_role_curves, tonal_findings, tonal_profile


@dataclass(frozen=True)
class RoleNorms:
    """The learned norms every track is judged against."""

    curves: RoleCurves
    dynamics: RoleDynamics
    space: dict[str, RoleSpace]

    def space_of(self, role: str) -> RoleSpace:
        return self.space.get(role) or self.space["all"]


@functools.cache
def role_norms() -> RoleNorms:
    """The shipped norms, read once (on the first request or at warm-up, never at import)."""
    return RoleNorms(load_role_curves(), default_role_dynamics(), load_role_space())


@dataclass
class TrackAdvice:
    """What the three analyses found on one track, and their measures for the report."""

    suggestions: list[Suggestion] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def track_advice(
    analysis: TrackAnalysis,
    *,
    tempo_bpm: float | None,
    track: str | None = None,
    norms: RoleNorms | None = None,
    dynamics: bool = True,
    space: bool = True,
) -> TrackAdvice:
    """Tone, dynamics and space findings for ``analysis`` (a stem, the mix bus or a master).

    ``track``: the name the findings are filed under (default: the track's own; the mix bus's
    findings go under ai.mixing.findings.MIX_BUS). ``space``: judge reverb and delay too (not on a
    whole mix, whose space is its parts', nor under MIN_SAMPLE_RATE_HZ). Silent or very short tracks get nothing.
    """
    norms = norms or role_norms()
    m = analysis.measurement
    if m.silent:
        return TrackAdvice()
    samples, sr, role = analysis.track.samples, analysis.track.sample_rate, m.role
    name = track or m.name
    out = tonal_findings(
        name=m.name,
        role=role,
        spectrum=analysis.spectra.spectrum,
        freqs=analysis.spectra.freqs,
        curves=norms.curves,
        track=track,
        held=holds_one_sound(fine_power=analysis.spectra.fine_power),
    )
    found: list[Suggestion] = []
    details: dict[str, Any] = {}
    profile = tonal_profile(
        role=role, spectrum=analysis.spectra.spectrum, freqs=analysis.spectra.freqs, curves=norms.curves
    )
    if profile is not None:
        details["tonal"] = profile
    if dynamics:
        # The loudness measures of the track's analysis: no second K-weighting or true-peak pass.
        measure = measure_dynamics(
            samples=samples,
            sr=sr,
            stats=analysis.loudness_stats,
            sub_energy=analysis.sub_energy,
            fine_power=analysis.spectra.fine_power,
        )
        found += dynamics_findings(
            name=m.name, role=role, measure=measure, samples=samples, sr=sr, tempo_bpm=tempo_bpm, norms=norms.dynamics
        )
        details["dynamics"] = measure.to_dict()
    if space and sr >= MIN_SAMPLE_RATE_HZ:  # a 4 kHz stem is advised on without its reverb, not refused
        placed = analysis.track.pan
        measured = measure_space(samples=samples, sr=sr, channel_gains=pan_gains(placed) if placed else None)
        found += space_findings(
            name=m.name, role=role, measure=measured, tempo_bpm=tempo_bpm, norms=norms.space_of(role)
        )
        details["space"] = measured.to_dict()
    if track is not None:
        found = [replace(s, track=name, tracks=(name,)) for s in found]
    out.extend(found)
    return TrackAdvice(out, details)
