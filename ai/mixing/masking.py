"""Masking between pairs of tracks, band by band, from their frame-wise band powers.

Masking is judged at the gains the caller passes. :func:`ai.mixing.suggest.suggest` passes the
balance it recommends (auto-level's gains): a track 12 dB too loud is a level problem first, and judged
as it is it would show up as masking against everything (cuts the render then applied and made up for).

For a track A worth protecting (its role's priority is at least B's, see ROLE_PRIORITY) and a
fine band f (about a third of an octave) that carries at least MIN_SIGNAL_SHARE of A's energy:

* A's active frames in f are those within ACTIVE_RANGE_DB of A's loudest frame in f (a kick's
  hits, a bass's notes);
* the signal-to-masker ratio SMR = 10 log10(sum of A's power / sum of B's power) over those of
  the frames where B sounds too (within MASKER_ON_DB of its loudest frame in f), at the given
  gains. It weighs how loud and how constant each track is in the band: a masker that plays only
  between A's notes does not count, one that sits on every note does, and one that plays on some
  of A's notes (a second bass that plays one bar in four) is judged on those notes, provided they
  hold at least MIN_COVERAGE of A's active energy (the finding's ``coverage``);
* B must carry at least MIN_MASKER_SHARE of its own energy in f (a faint tail is not a conflict).

A finding is the band with the lowest SMR of a directed pair, reported when SMR is below
SMR_THRESHOLD_DB (0 dB): "during the guitar's notes the piano is 3 dB louder than it at 400-500 Hz".

A drum bus (role "drums") ranks under the bass, except where it carries the kick: with no kick
track in the session, its fine bands up to KICK_IN_BUS_HZ are judged against the bass as a kick's
would be (a band matters when it holds MIN_SIGNAL_SHARE of the bus's energy below that edge), provided
the bus has a low end at all: KICK_IN_BUS_MIN_SHARE of its energy below the edge. Drum buses that
carry a kick hold 0.35-0.83 of their energy there, low percussion 0.41-0.69 (protected too),
percussion parts without one (congas, shakers, cymbals) 0.000-0.008 (the 48 training songs of
bench/mixing_songs.py, TimGM6mb and MuseScore General Lite); judged as a kick, a shaker's faint
low tail read as "covered by the bass" at -7 dB.

A second kind of conflict is a shared home: both tracks put at least SHARED_SHARE of their energy
into the same fine band, their long-term levels there are within SHARED_LEVEL_DB of each other and
they play at the same time (SMR under SHARED_MAX_SMR_DB): a bass note sitting on the kick's
fundamental. It is reported even when A's transients still poke out above B, because the two
fight for the same range all the time; while the signal stays SHARED_HEARD_SMR_DB above the
masker on its notes it is low-priority advice.

The EQ move goes on the masker B, over the masked region (the run of neighbouring fine bands
around the worst one that matter to A and where the SMR is below the threshold too), centred
where B is strongest in it, as wide as the region: B's excess there is what covers A, and a broad
overlap (a bass boosted with a wide bell) gets a broad cut.

Why a bass boosted where the kick lives is judged by what it does to the kick, not by its shape
-------------------------------------------------------------------------------------------------
A fixed EQ boost at the kick's fundamental could in principle be told from a bass that simply
plays there: the boost is fixed in frequency while the notes move, so it should show as a
spectral shape no note choice explains. Measured on the bench's 12 basses (bench/mixing_accuracy.py,
FluidR3 renders; a 12 dB bell, Q 1, at the kick's 54 Hz), neither shape measure separates them:

* long-term energy at the kick's frequency over the octave above (half-octave bands): clean
  -8.3 to +3.4 dB, boosted -0.2 to +11.3 dB;
* per note, the fundamental over the 2nd harmonic (frames grouped by their fundamental, 8192-point
  STFT): notes at 45-60 Hz read -0.7 to +6.5 dB clean and +7.0 to +14.8 dB boosted, but notes at
  60-80 Hz overlap (clean up to 7.3, boosted from 3.8), and a sine-like synth or 808 bass has a
  fundamental 20 dB over its harmonics with no EQ at all.

A boost is therefore indistinguishable from a bass timbre with a strong fundamental, and a rule
fitted to these renders would not carry to other basses. What does carry is the effect: the kick's
signal-to-masker ratio during its own hits, above, where the bass sounds. A boosted bass that
covers the kick is reported; one whose notes lie above the kick's band (its boost adds little
energy there) or that stays under the kick during the hits is not, because the kick is still
heard. On the bench, 11 of the 12 boosted basses are found; the miss (song06's Bass 1) plays no
note below 80 Hz, so a boost at 54 Hz leaves it 2.6 dB under the kick during the hits. Judging the
SMR only where the masker sounds found two more (a song with two basses that take turns: each
covers the kick in the bars it plays, 14-36% of the hits, but averaged over all hits it stayed
3-4 dB under it), with no new problem finding on the clean songs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.signal

from ai.audio import loudness
from ai.mixing.measure import FINE_BAND_EDGES_HZ, TrackAnalysis, fine_band_ranges
from ai.mixing.targets import band_of

ROLE_PRIORITY: dict[str, int] = {
    "vocals": 10,
    "speech": 10,
    "lead": 8,
    "kick": 7,
    "snare": 6,
    "bass": 6,
    "drums": 5,
    "guitar": 4,
    "keys": 4,
    "synth": 4,
    "music": 3,
    "overheads": 3,
    "hihat": 3,
    "pad": 2,
    "fx": 1,
    "other": 2,
}
"""Which track keeps its space in a conflict: the lower-priority track is the one to EQ."""


MIN_SIGNAL_SHARE = 0.1
MIN_MASKER_SHARE = 0.05
ACTIVE_RANGE_DB = 10.0
SMR_THRESHOLD_DB = 0.0
MASKER_ON_DB = 20.0
"""The masker sounds in a frame of a band when it is within this of its loudest frame there."""
MIN_COVERAGE = 0.1
"""A masker that sounds with at least this share of the signal's active energy (one note in
ten) is judged where it sounds, not diluted by the frames where it is silent."""
SHARED_SHARE = 0.3
SHARED_LEVEL_DB = 6.0
SHARED_MAX_SMR_DB = 10.0
HEARD_MARGIN_DB = 3.0
"""A signal this far above the masker on its notes in a band is heard clearly there."""
SHARED_HEARD_SMR_DB = HEARD_MARGIN_DB
"""A shared home where the signal stays this far above the masker on its notes is advice (low
priority), not a problem: clean kick/bass pairs of the training songs read +3.4 to +7.1 dB, the
bench's bass boosted 12 dB at the kick below 0 dB (then it is a "covers" finding)."""
MIN_MASKED_SHARE = 0.3
"""A covered band is a problem when what the masker leaves unclear (the signal's energy in the bands where
it stays under HEARD_MARGIN_DB above the masker, in the frames where the masker sounds) is at least this
share of the signal's energy; less is one step down (a band buried deep still leaves a hole): the rest of
the signal stands clear. Chosen on the 48 training songs (TimGM6mb, MuseScore General Lite, rendered
without chorus), when the share counted whole bands: the bench's bass boosted 12 dB at the kick left
0.35-0.99 of the kick unclear, the clean medium/high findings 0.13-0.43 (a guitar under a pad at 315-400 Hz
0.13, a bass's upper harmonics under a guitar 0.17). Counted where the masker sounds (session 25), the
faults read 0.10-0.83 (those under 0.3 are basses that play on a sixth to a quarter of the kick's
hits, 5 of 19: one step down, still reported) and the clean findings left medium/high 0.18-0.45; a clean bass 1.4 dB
over low percussion on a third of its notes (0.10 unclear) is advice now."""
MIN_CENTRE_HZ = 20.0
"""An EQ move is never centred below this (an 11 Hz STFT bin's DC leakage is not a musical band)."""
KICK_IN_BUS_HZ = 160.0
"""With no kick track, a drum bus's fine bands up to here are its kick: protected from the bass
like a kick (a share of the bus's energy below this edge, not of all of it, makes a band matter)."""
KICK_IN_BUS_MIN_SHARE = 0.1
"""A drum bus carries a kick only with at least this share of its energy below KICK_IN_BUS_HZ."""


@dataclass(frozen=True)
class MaskingFinding:
    """Track ``masker`` covers track ``signal`` in one band."""

    signal: str
    masker: str
    roles: tuple[str, str]
    """(signal's role, masker's role)."""
    band: str
    """Named band (sub, low, low-mid, mid, high-mid, presence, air) of the fine band."""
    low_hz: float
    high_hz: float
    centre_hz: float
    """The frequency to cut on the masker: where the masker is strongest within the masked region."""
    smr_db: float
    """Signal-to-masker ratio over the signal's active frames, at the given gains (dB)."""
    shares: tuple[float, float]
    """Part of the signal's and of the masker's energy in the fine band."""
    kind: str = "covers"
    """"covers" (SMR below the threshold) or "shared" (both live mostly in this band at similar levels)."""
    level_difference_db: float = 0.0
    """Long-term band level of the signal minus the masker's, at the given gains (dB)."""
    coverage: float = 1.0
    """Share of the signal's active energy in the band that falls in frames where the masker
    sounds too: the SMR is measured over those frames (1.0: the masker sounds on every note)."""
    region_hz: tuple[float, float] | None = None
    """(low, high) Hz of the masked region: the run of neighbouring fine bands around the worst one
    that matter to the signal and where the SMR is also below the threshold (the band itself when
    None)."""
    own_level_excess_db: float | None = None
    """None when judged at the balanced levels; else judged with the masker at its own level, this far (dB)
    over its balance (:func:`ai.mixing.suggest.suggest`: the cut leaves it within a level finding of it)."""
    masked_share: float = 1.0
    """Share of the signal's energy (of its low end, for a kick inside a drum bus) that the masker leaves
    unclear: in the bands, all of them, where the signal stays under HEARD_MARGIN_DB above the masker on its
    notes, the part of its energy in the frames where the masker sounds (each band's coverage). A masker
    that plays on a quarter of the notes leaves at most a quarter unclear."""

    @property
    def score(self) -> float:
        """Severity 0-1: 0.5 at the SMR threshold (or for a shared band), 1 at 3 dB below it."""
        if self.kind == "shared":
            return float(min(1.0, max(0.5, 0.5 + (SMR_THRESHOLD_DB - self.smr_db) / 6.0)))
        return float(min(1.0, max(0.0, 0.5 + (SMR_THRESHOLD_DB - self.smr_db) / 6.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "masker": self.masker,
            "tracks": [self.signal, self.masker],
            "roles": list(self.roles),
            "band": self.band,
            "low_hz": round(self.low_hz, 1),
            "high_hz": None if math.isinf(self.high_hz) else round(self.high_hz, 1),
            "centre_hz": round(self.centre_hz, 1),
            "smr_db": round(self.smr_db, 2),
            "shares": [round(v, 4) for v in self.shares],
            "score": round(self.score, 3),
            "kind": self.kind,
            "level_difference_db": round(self.level_difference_db, 2),
            "coverage": round(self.coverage, 3),
            "masked_share": round(self.masked_share, 3),
            "levels": "balanced" if self.own_level_excess_db is None else "own",
            "own_level_excess_db": None if self.own_level_excess_db is None else round(self.own_level_excess_db, 2),
            "region_hz": [
                round(self.region[0], 1),
                None if math.isinf(self.region[1]) else round(self.region[1], 1),
            ],
        }

    @property
    def region(self) -> tuple[float, float]:
        return self.region_hz if self.region_hz is not None else (self.low_hz, self.high_hz)


def cut_loudness_drop(analysis: TrackAnalysis, region: tuple[float, float], cut_db: float) -> float:
    """How much (dB) a cut of ``cut_db`` over ``region`` (Hz) lowers the track's K-weighted loudness, from its
    long-term spectrum: -10 log10(1 - s (1 - 10^(-cut/10))), s the K-weighted share of its power there."""
    freqs, spectrum = analysis.spectra.freqs, analysis.spectra.spectrum
    sr = analysis.track.sample_rate
    _, response = scipy.signal.sosfreqz(loudness.k_weighting_sos(sr), worN=freqs, fs=sr)
    weighted = spectrum * np.abs(response) ** 2
    total = float(weighted.sum())
    if total <= 0:
        return 0.0
    share = float(weighted[(freqs >= region[0]) & (freqs < region[1])].sum()) / total
    return float(-10 * math.log10(max(1e-12, 1.0 - share * (1.0 - 10 ** (-cut_db / 10)))))


def _frames(analyses: list[TrackAnalysis], gains_db: list[float]) -> np.ndarray:
    """np.ndarray [shape=(tracks, fine bands, frames)]: powers at ``gains_db``, zero-padded to the longest."""
    n_frames = max(a.spectra.fine_power.shape[1] for a in analyses)
    out = np.zeros((len(analyses), len(FINE_BAND_EDGES_HZ), n_frames), dtype=np.float32)
    for k, (analysis, gain) in enumerate(zip(analyses, gains_db, strict=True)):
        fine = analysis.spectra.fine_power
        out[k, :, : fine.shape[1]] = fine * np.float32(10 ** (gain / 10))
    return out


def _centre(analysis: TrackAnalysis, low: float, high: float) -> float:
    """Frequency (Hz) where ``analysis``'s long-term spectrum is strongest within [low, high), from
    MIN_CENTRE_HZ up (the lowest fine band starts at 0 Hz, where the DC bin and its leakage are)."""
    freqs, spectrum = analysis.spectra.freqs, analysis.spectra.spectrum
    inside = (freqs >= max(low, MIN_CENTRE_HZ)) & (freqs < high)
    if not inside.any() or spectrum[inside].max() <= 0:
        return math.sqrt(max(low, 20.0) * min(high, 20000.0))
    return float(freqs[inside][np.argmax(spectrum[inside])])


def _region(bands: np.ndarray, k: int, below: np.ndarray) -> tuple[int, int]:
    """First and last fine band of the run of consecutive bands around ``bands[k]`` where ``below``."""
    first = last = k
    while first > 0 and below[first - 1] and bands[first - 1] == bands[first] - 1:
        first -= 1
    while last < len(bands) - 1 and below[last + 1] and bands[last + 1] == bands[last] + 1:
        last += 1
    return int(bands[first]), int(bands[last])


def _smr(signal: np.ndarray, masker: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per band (rows of two [bands, frames] power arrays): the SMR (dB) over the signal's active
    frames in which the masker sounds too, and the share of the signal's active energy in them.

    Masking happens where both sound: a bass that plays one bar in four covers the kick in those
    bars, however quiet it is on average."""
    active = signal >= signal.max(axis=1, keepdims=True) * np.float32(10 ** (-ACTIVE_RANGE_DB / 10))
    masker_on = masker >= masker.max(axis=1, keepdims=True) * np.float32(10 ** (-MASKER_ON_DB / 10))
    signal_energy = np.where(active, signal, 0).sum(axis=1, dtype=np.float64)
    both = active & masker_on
    signal_both = np.where(both, signal, 0).sum(axis=1, dtype=np.float64)
    masker_both = np.where(both, masker, 0).sum(axis=1, dtype=np.float64)
    coverage = np.divide(signal_both, signal_energy, out=np.zeros_like(signal_both), where=signal_energy > 0)
    smr = 10 * np.log10(np.maximum(signal_both, 1e-30) / np.maximum(masker_both, 1e-30))
    return smr, coverage


def find_masking(
    analyses: list[TrackAnalysis],
    *,
    gains_db: list[float],
    threshold_db: float = SMR_THRESHOLD_DB,
    maskers: set[str] | None = None,
) -> list[MaskingFinding]:
    """Masking findings (SMR below ``threshold_db``) at ``gains_db`` per track, worst first; only those of the
    tracks named in ``maskers`` as the masker when given."""
    if len(analyses) < 2:
        return []
    power = _frames(analyses, gains_db)
    energy = power.sum(axis=2, dtype=np.float64)
    totals = energy.sum(axis=1, keepdims=True)
    share = np.divide(energy, totals, out=np.zeros_like(energy), where=totals > 0)
    ranges = fine_band_ranges()
    findings = []
    kick_track = any(a.measurement.role == "kick" for a in analyses)
    kick_range = np.array([high <= KICK_IN_BUS_HZ for _, high in ranges])
    for i, signal in enumerate(analyses):
        role_i = signal.measurement.role
        own = np.flatnonzero(share[i] >= MIN_SIGNAL_SHARE)
        in_bus = low_share = None
        low_energy = energy[i, kick_range].sum()
        carries_kick = low_energy > 0 and low_energy >= KICK_IN_BUS_MIN_SHARE * totals[i, 0]
        if role_i == "drums" and not kick_track and carries_kick:
            # The kick lives in the drum bus: its low end is judged as a kick's, against the bass.
            low_share = np.where(kick_range, energy[i], 0) / low_energy
            in_bus = np.flatnonzero(low_share >= MIN_SIGNAL_SHARE)
        for j, masker in enumerate(analyses):
            if maskers is not None and masker.measurement.name not in maskers:
                continue
            role_j = masker.measurement.role
            kick_view = in_bus is not None and role_j == "bass"
            if i == j or (not kick_view and ROLE_PRIORITY.get(role_i, 2) < ROLE_PRIORITY.get(role_j, 2)):
                continue
            bands = in_bus if kick_view and in_bus is not None else own
            if bands.size == 0:
                continue
            eligible = share[j, bands] >= MIN_MASKER_SHARE
            if not eligible.any():
                continue
            smr, coverage = _smr(power[i, bands], power[j, bands])
            with np.errstate(divide="ignore"):
                level_diff = 10 * np.log10(np.maximum(energy[i, bands], 1e-30) / np.maximum(energy[j, bands], 1e-30))
            smr[~eligible | (coverage < MIN_COVERAGE)] = np.inf
            shared = (
                (share[i, bands] >= SHARED_SHARE)
                & (share[j, bands] >= SHARED_SHARE)
                & (np.abs(level_diff) <= SHARED_LEVEL_DB)
                & (smr < SHARED_MAX_SMR_DB)
            )
            k = int(np.argmin(smr))
            kind = "covers"
            if not smr[k] < threshold_db:
                if not shared.any():
                    continue
                k = int(np.flatnonzero(shared)[np.argmax(share[i, bands][shared] * share[j, bands][shared])])
                kind = "shared"
            band = int(bands[k])
            lo_hz, hi_hz = ranges[band]
            first, last = _region(bands, k, smr < threshold_db) if kind == "covers" else (band, band)
            region = (ranges[first][0], ranges[last][1])
            # How much of the signal the masker leaves unclear, over all its bands (the kick's low
            # end alone when the kick lives in a drum bus): the share of its energy in bands where it
            # stays under HEARD_MARGIN_DB above the masker on its notes, where the masker plays.
            weights = low_share if kick_view and low_share is not None else share[i]
            smr_all, coverage_all = _smr(power[i], power[j])
            unclear = (smr_all < HEARD_MARGIN_DB) & (coverage_all >= MIN_COVERAGE)
            findings.append(
                MaskingFinding(
                    signal=signal.measurement.name,
                    masker=masker.measurement.name,
                    roles=(role_i, role_j),
                    band=band_of(lo_hz),
                    low_hz=lo_hz,
                    high_hz=hi_hz,
                    centre_hz=_centre(masker, *region),
                    smr_db=float(smr[k]),
                    shares=(float(share[i, band]), float(share[j, band])),
                    kind=kind,
                    level_difference_db=float(level_diff[k]),
                    coverage=float(coverage[k]),
                    region_hz=region,
                    masked_share=float((weights * coverage_all)[unclear].sum()),
                )
            )
    findings.sort(key=lambda f: f.smr_db)
    return findings
