"""Tonal balance: a track's long-term spectrum against what its role sounds like, as EQ moves.

Curves
------
A track's tonal curve (:func:`tonal_curve`) is its long-term spectrum (``TrackSpectra.spectrum``,
the mean power per STFT bin of the mid signal) read on a 1/6-octave grid from 20 Hz to 20 kHz
(:data:`ai.mixing.eq_curves.GRID_HZ`, by :func:`ai.mixing.eq_curves.smoothed_db`): at each grid
frequency the power of a third-octave-wide band around it (a Gaussian window in log frequency), in
dB relative to the track's total power. Relative levels make the curve independent of the fader and
of the STFT size.

Each role's curve (:class:`RoleCurves`, ``models/role_spectra.json``, learned by
``python -m training.role_spectra``) is the median of the curves of the training stems of that
role, after aligning each stem to it by a robust offset, and its spread the scaled median absolute
deviation of the aligned stems (two soundfonts pooled, so the spread holds what differs between
one piano sample set and another, not just between songs). The "music" curve is the same over the
training songs' mixes (the sum of their stems): the mix bus and the master are judged by it.

Findings
--------
:func:`tonal_findings` aligns the track to its role's curve (weighted median over the role's
active bands), takes the deviation and fits EQ moves to it one at a time (greedy, at most
:data:`MAX_MOVES`): bells (centre on the grid, Q in :data:`BELL_Q`), low and high shelves, each
with its gain and a free level fitted by weighted least squares on the RBJ response
(:func:`ai.mixing.eq_curves.eq_response_db`: what pedalboard's filters apply), weights the inverse
squared spread of the role. A move is a finding when its deviation stands out from the role's
spread where it acts (the z-score); the thresholds for "low", "medium" and "high" were set per
group of roles on the training stems (stored with the curves), so that well-made stems rarely reach
"medium". The suggested gain brings the track back
to the role's curve (a cut for an excess, a boost for a deficit), at most MAX_GAIN_DB. Narrow
resonances (:mod:`ai.mixing.resonance`) are found with them; how high a peak must be is learned
from the training stems too.

What this can find is bounded by how much well-made stems of one role differ: a role's curve
pools pianos with and without a left hand, nylon and distorted guitars of two soundfonts, and their spread is 3-6 dB
in the mids and 10-15 dB at the ends of the range (models/role_spectra.md). A deviation must be
several spreads wide to stand out from that, so gross excesses and deficits are found and an
8 dB bell on a piano is not (bench/mixing_tonal.py prints both sides of that).

Matching a master to a reference's tonal balance is :mod:`ai.mixing.reference_match`.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ai.mixing.eq_curves import (
    CURVE_FLOOR_DB,
    GRID_HZ,
    MAX_GAIN_DB,
    SHELF_Q,
    SILENT_POWER,
    SMOOTH_OCT,
    _check_spectrum,
    _describe,
    _eq_action,
    eq_response_db,
    smoothed_db,
)
from ai.mixing.findings import MIX_BUS, Suggestion
from ai.mixing.resonance import _resonance_findings, band_top_hz
from ai.model_files import model_path

logger = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "role_spectra.json"
"""The role curves learned by ``python -m training.role_spectra``."""

ACTIVE_RANGE_DB = 35.0
"""Grid bands within this of a role curve's loudest band are the role's range: the track is
aligned and judged there. Below it, a role's curve is the reverb tail or the noise of a few stems
(guitar stems read -40 to -70 dB below 60 Hz) and says nothing about what the role should have."""
BELL_Q: tuple[float, ...] = (0.7, 1.0, 1.4, 2.0, 2.8)
"""Q of the bells tried: broad tone moves (an octave and a half to half an octave wide); narrower
ones are resonances, found on the fine spectrum."""
BELL_RANGE_HZ = (50.0, 12000.0)
"""Centres of the bells tried (Hz)."""
LOW_SHELF_HZ: tuple[float, ...] = (60.0, 80.0, 100.0, 120.0, 150.0, 200.0)
"""Corners of the low shelves tried (Hz)."""
HIGH_SHELF_HZ: tuple[float, ...] = (2000.0, 3000.0, 4000.0, 5000.0, 6000.0, 8000.0, 10000.0)
"""Corners of the high shelves tried (Hz)."""
FIT_GAIN_DB = 8.0
"""Gain (dB) at which the unit response of a move is taken before its gain is fitted; the fit is
then refined on the response at the fitted gain (an RBJ bell's shape changes a little with gain)."""
MAX_MOVES = 3
"""Moves fitted per track: a few clear moves read better than a matching curve."""
_GRID_STEP_OCT = 1.0 / 6.0  # GRID_HZ's spacing
MIN_TONE_SPAN = 0.5
"""A track whose curve spans less than this share of its role curve's octaves (within ACTIVE_RANGE_DB of the peak)
is a tone, not a part that curve describes: a sine bass (2.0 octaves against the bass curve's 6.5) read "76 dB more
around 200 Hz than bass parts usually have", its alignment to the role taken from bands it does not sound in
(QA pass 4). Its broad moves are not judged (its resonances still are). Of the training stems, the narrowest bass
spans 5.0 octaves, kick 8.5; one low-percussion drum part (2.5 of the drum curve's 7.5) is not judged either."""
MIN_ALIGNED_SHARE = 0.5
"""A track is aligned to its role (:func:`role_deviation`'s weighted median) from the bands where it sounds (within
ACTIVE_RANGE_DB of its loudest band) only where those bands hold more than this share of the role range's weight; under
it the median is read off the curve's floor, and every band the track sounds in looks 100 dB too loud: a drone of three
sines (110, 165, 220 Hz) as a pad read "127.5 dB more around 157 Hz than pad parts usually have" (QA pass 7), its span
(2.8 octaves, the smoothing's skirts included) past MIN_TONE_SPAN. The drone holds 0.22; of the 388 training stems
(data/mixing, mixing_train_msgl, mixing_train_timgm; throwaway script) the least 0.41, and every one under 0.55 is a
drum part that MIN_TONE_SPAN leaves out already. A pure tone has no spectrum to judge: its broad moves are not judged."""
MIN_COVERAGE = 0.5
"""Share of a move's response (summed |dB| on the grid) that must fall in the role's range: a bell
whose peak lies outside it would be fitted to its skirt alone, with an absurd gain."""

BANDS_EXCESS: tuple[tuple[float, str], ...] = (
    (60.0, "sub"),
    (150.0, "boom"),
    (350.0, "mud"),
    (800.0, "boxy"),
    (1800.0, "nasal"),
    (5000.0, "harsh"),
    (10000.0, "sibilance"),
    (math.inf, "fizz"),
)
"""Name of an excess by the move's centre (upper edges, Hz): mud 150-350, boxiness 350-800, nasal
around 1 kHz, harshness 1.8-5 kHz, sibilance 5-10 kHz."""
BANDS_DEFICIT: tuple[tuple[float, str], ...] = (
    (500.0, "thin"),
    (2000.0, "hollow"),
    (math.inf, "dull"),
)
"""Name of a deficit by the move's centre (upper edges, Hz): thin (no body), hollow (scooped
mids), dull (missing highs)."""
PROBLEM_WORDS: dict[str, str] = {
    "sub": "too much sub",
    "boom": "boomy low end",
    "mud": "muddy low mids",
    "boxy": "boxy",
    "nasal": "nasal",
    "harsh": "harsh upper mids",
    "sibilance": "sibilant / splashy highs",
    "fizz": "fizzy top",
    "thin": "thin (missing body)",
    "hollow": "hollow (scooped mids)",
    "dull": "dull (missing highs)",
    "resonance": "a narrow resonance",
}
"""How each problem reads in a message."""


# ----------------------------------------------------------------------------------- curves


def tonal_curve(*, spectrum: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """The tonal curve of a long-term spectrum on GRID_HZ (see the module docstring).

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin.
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).

    Returns:
        np.ndarray [shape=(len(GRID_HZ),)]: dB relative to the total power (NaN where unmeasured).
    """
    return smoothed_db(spectrum=spectrum, freqs=freqs, grid=GRID_HZ, sigma_oct=SMOOTH_OCT)


# ----------------------------------------------------------------------------------- the model


MASTER_MAX_GAIN_DB = 6.0
"""Largest tonal move suggested on a mix bus or master: mastering EQ moves a few dB (a techno master was told
to shelf 120 Hz down 15 dB against the band-music curve)."""
MUSIC_CURVE_NOTE = (
    " The curve is that of band music (rock, jazz, pop grooves): electronic and hip-hop mixes carry more low end"
    " by design, so hear it against a reference of the genre (reference upload) before following it."
)


@dataclass(frozen=True)
class RoleCurve:
    """One role's learned curve on GRID_HZ: ``centre_db`` and ``spread_db`` np.ndarray [shape=(61,)]
    (dB relative to the stem's total power), from ``stems`` stems of ``songs`` songs."""

    role: str
    centre_db: np.ndarray
    spread_db: np.ndarray
    stems: int
    songs: int

    @property
    def active(self) -> np.ndarray:
        """np.ndarray [shape=(61,), dtype=bool]: the role's range (see ACTIVE_RANGE_DB)."""
        centre = np.nan_to_num(self.centre_db, nan=CURVE_FLOOR_DB)
        result: np.ndarray = centre >= centre.max() - ACTIVE_RANGE_DB
        return result


@dataclass(frozen=True)
class Thresholds:
    """When a move is a finding: z-scores (its deviation over the role's spread) from which it is
    "low", "medium" or "high", per group of roles, and the resonance prominences (dB above the
    track's smoothed spectrum) from which a peak is "low" / "medium", per role."""

    z: dict[str, tuple[float, float, float]]
    """group -> (low, medium, high) z-scores."""
    resonance_db: dict[str, tuple[float, float]] = field(default_factory=dict)
    """role (or group, or "*") -> (low, medium) prominence in dB."""

    def for_group(self, group: str) -> tuple[float, float, float]:
        return self.z.get(group) or self.z["*"]

    def resonance_for(self, role: str, group: str) -> tuple[float, float] | None:
        """(low, medium) resonance prominences (dB) for ``role``: the low one is the role's (or its
        group's); "medium" needs the larger of the role's and all stems' ("*") medium prominence,
        since a 99.5 % quantile of a few dozen stems is their largest peak, not a limit."""
        own = self.resonance_db.get(role) or self.resonance_db.get(group) or self.resonance_db.get("*")
        if own is None:
            return None
        every = self.resonance_db.get("*", own)
        return own[0], max(own[1], every[1])


@dataclass(frozen=True)
class RoleCurves:
    """The learned curves: per role, the roles without training stems mapped to one with, the
    group each role is calibrated in, and the thresholds."""

    grid_hz: np.ndarray
    curves: dict[str, RoleCurve]
    fallback: dict[str, str]
    groups: dict[str, str]
    thresholds: Thresholds
    source: dict[str, Any] = field(default_factory=dict)

    def for_role(self, role: str) -> RoleCurve | None:
        """The curve a track of ``role`` is judged by (its own, or its fallback's), or None."""
        if role in self.curves:
            return self.curves[role]
        other = self.fallback.get(role)
        return self.curves.get(other) if other else None

    def group_of(self, role: str) -> str:
        """The calibration group of ``role`` ("*" when it has none)."""
        return self.groups.get(role, "*")

    def to_json(self) -> dict[str, Any]:
        def arr(values: np.ndarray) -> list[float | None]:
            return [None if not math.isfinite(v) else round(float(v), 2) for v in values]

        return {
            "grid_hz": [round(float(f), 2) for f in self.grid_hz],
            "curves": {
                role: {"centre_db": arr(c.centre_db), "spread_db": arr(c.spread_db), "stems": c.stems, "songs": c.songs}
                for role, c in sorted(self.curves.items())
            },
            "fallback": dict(sorted(self.fallback.items())),
            "groups": dict(sorted(self.groups.items())),
            "thresholds": {
                "z": {k: [round(v, 2) for v in t] for k, t in sorted(self.thresholds.z.items())},
                "resonance_db": {k: [round(v, 2) for v in t] for k, t in sorted(self.thresholds.resonance_db.items())},
            },
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoleCurves:
        """Parse ``to_json``'s dict; raises ValueError when it does not fit GRID_HZ."""
        grid = np.asarray(data["grid_hz"], dtype=np.float64)
        if grid.shape != GRID_HZ.shape or not np.allclose(grid, GRID_HZ, rtol=1e-3):
            raise ValueError("role curves were learned on another grid; re-run python -m training.role_spectra")

        def arr(values: list[float | None]) -> np.ndarray:
            out = np.array([np.nan if v is None else float(v) for v in values])
            if out.shape != GRID_HZ.shape:
                raise ValueError("a role curve does not have one value per grid frequency")
            return out

        curves = {
            role: RoleCurve(role, arr(c["centre_db"]), arr(c["spread_db"]), int(c["stems"]), int(c["songs"]))
            for role, c in data["curves"].items()
        }
        t = data["thresholds"]
        z = {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in t["z"].items()}
        if "*" not in z:
            raise ValueError("role curves have no default ('*') thresholds")
        resonance = {k: (float(v[0]), float(v[1])) for k, v in t.get("resonance_db", {}).items()}
        return cls(
            GRID_HZ.copy(),
            curves,
            dict(data.get("fallback", {})),
            dict(data.get("groups", {})),
            Thresholds(z, resonance),
            dict(data.get("source", {})),
        )


@lru_cache(maxsize=4)
def _load(path: str) -> RoleCurves:
    curves = RoleCurves.from_json(json.loads(Path(path).read_text()))
    logger.info("role curves loaded from %s: %d roles", path, len(curves.curves))
    return curves


def load_role_curves(path: Path | str | None = None) -> RoleCurves:
    """The role curves in ``path`` (default: role_spectra.json in DAWG_AI_MODELS_DIR, else models/),
    parsed once and cached.

    Raises FileNotFoundError / ValueError when the file is missing or malformed.
    """
    return _load(str(path or model_path(SHIPPED)))


# ----------------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Move:
    """One fitted EQ move: ``kind`` "bell" | "low_shelf" | "high_shelf", its centre or corner (Hz),
    the gain (dB) that undoes the deviation (clipped to MAX_GAIN_DB), Q, the deviation's size (dB,
    > 0 an excess), the role's spread over the move (dB) and their ratio (z)."""

    kind: str
    freq_hz: float
    gain_db: float
    q: float
    deviation_db: float
    spread_db: float
    z: float


@lru_cache(maxsize=8)
def _candidates(grid: tuple[float, ...], nyquist_hz: float) -> tuple[tuple[tuple[str, float, float], ...], np.ndarray]:
    """The moves tried and their unit responses: np.ndarray [shape=(n_moves, len(grid))], dB of
    response per dB of gain at FIT_GAIN_DB."""
    freqs = np.asarray(grid)
    moves: list[tuple[str, float, float]] = []
    low, high = BELL_RANGE_HZ
    for centre in freqs[(freqs >= low) & (freqs <= min(high, 0.8 * nyquist_hz))]:
        moves.extend(("bell", float(centre), q) for q in BELL_Q)
    moves.extend(("low_shelf", corner, SHELF_Q) for corner in LOW_SHELF_HZ)
    moves.extend(("high_shelf", corner, SHELF_Q) for corner in HIGH_SHELF_HZ if corner < 0.8 * nyquist_hz)
    shapes = np.array(
        [eq_response_db(kind=k, freq_hz=f, gain_db=FIT_GAIN_DB, q=q, freqs=freqs) / FIT_GAIN_DB for k, f, q in moves]
    )
    return tuple(moves), shapes


def fit_moves(
    *,
    deviation: np.ndarray,
    spread: np.ndarray,
    mask: np.ndarray,
    grid: np.ndarray = GRID_HZ,
    max_moves: int = MAX_MOVES,
    min_z: float = 0.0,
    nyquist_hz: float = 22050.0,
) -> list[Move]:
    """Greedy weighted least-squares EQ moves that explain ``deviation``.

    Each round tries every bell and shelf of :func:`_candidates` whose response lies mostly
    (MIN_COVERAGE) inside ``mask``, fits its gain and a free level to the remaining deviation
    (weights 1 / spread^2 on ``mask``; the free level keeps a broad excess, which lifts the median
    the track was aligned by, from shrinking its own gain), keeps the one that explains the most (the largest drop in the
    weighted squared deviation), refines its gain on the response at that gain, and takes its
    response out of the deviation. It stops after ``max_moves`` or when the best move's z (its
    deviation over the spread where it acts) is below ``min_z``.

    Args:
        deviation: np.ndarray [shape=(n,)]: the track's curve minus its target (dB); > 0 is an excess.
        spread: np.ndarray [shape=(n,)]: how far well-made tracks stray from the target there (dB).
        mask: np.ndarray [shape=(n,), dtype=bool]: the bands that count.
        grid: np.ndarray [shape=(n,)]: frequencies (Hz) of the curve.
        max_moves: most moves returned.
        min_z: smallest z returned.
        nyquist_hz: Nyquist frequency of the audio (moves above 80 % of it are not tried).

    Returns:
        list[Move], in the order they were fitted.
    """
    names, shapes = _candidates(tuple(float(g) for g in grid), float(nyquist_hz))
    mask = mask & np.isfinite(deviation) & np.isfinite(spread)
    if mask.sum() < 4 or not names:
        return []
    safe_spread = np.where(mask, spread, 1.0)
    weights = np.where(mask, 1.0 / np.square(safe_spread), 0.0)
    total_weight = float(weights.sum())
    residual = np.where(mask, deviation, 0.0).astype(np.float64)
    present = np.abs(shapes) * mask  # where each move acts, within the range that counts
    coverage = present.sum(axis=1) / np.maximum(np.abs(shapes).sum(axis=1), 1e-12)
    # Each move is fitted with a free level: its response less its weighted mean over the range.
    centred = (shapes - ((shapes * weights).sum(axis=1) / total_weight)[:, None]) * mask
    norms = (centred * centred * weights).sum(axis=1)
    usable = (norms > 1e-9) & (coverage >= MIN_COVERAGE)
    out: list[Move] = []
    for _ in range(max_moves):
        proj = (centred * weights * residual).sum(axis=1)
        explained = np.where(usable, proj * proj / np.where(usable, norms, 1.0), -1.0)
        best = int(np.argmax(explained))
        if explained[best] <= 0:
            break
        kind, freq, q = names[best]
        size = float(proj[best] / norms[best])  # the deviation's size, dB
        shape = centred[best]
        for _refine in range(2):
            magnitude = float(np.clip(abs(size), 0.5, MAX_GAIN_DB))
            actual = eq_response_db(kind=kind, freq_hz=freq, gain_db=magnitude, q=q, freqs=grid) / magnitude
            actual = (actual - float((actual * weights).sum()) / total_weight) * mask
            denom = float((actual * actual * weights).sum())
            if denom <= 1e-9:
                break
            shape = actual
            size = float((actual * weights * residual).sum() / denom)
        local = present[best]
        spread_here = float((local * safe_spread).sum() / max(float(local.sum()), 1e-12))
        z = abs(size) / max(spread_here, 1e-9)
        if z < min_z:
            break
        gain = float(np.clip(-size, -MAX_GAIN_DB, MAX_GAIN_DB))
        out.append(Move(kind, freq, gain, q, size, spread_here, z))
        residual = residual - size * shape
        usable[best] = False
    return out


def problem_of(move: Move) -> str:
    """The problem a move answers ("mud", "harsh", "dull", ...; see BANDS_EXCESS / BANDS_DEFICIT)."""
    if move.deviation_db > 0:
        if move.kind == "low_shelf":
            return "sub" if move.freq_hz <= 60 else "boom"
        if move.kind == "high_shelf":
            return "sibilance" if move.freq_hz >= 5000 else "harsh"
        return next(name for edge, name in BANDS_EXCESS if move.freq_hz < edge)
    if move.kind == "low_shelf":
        return "thin"
    if move.kind == "high_shelf":
        return "dull"
    return next(name for edge, name in BANDS_DEFICIT if move.freq_hz < edge)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def role_deviation(*, curve: np.ndarray, role_curve: RoleCurve) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(deviation dB, spread dB, mask, offset dB) of a track's ``curve`` from ``role_curve``.

    The offset aligns the track to the role: the median of (curve - centre) over the role's range,
    each band weighted by 1 / spread (the bands where the role is consistent decide), so that one
    band's excess does not move it. np.ndarray [shape=(61,)] each; the mask is the role's range
    where both curves are measured.
    """
    centre, spread = role_curve.centre_db, role_curve.spread_db
    mask = role_curve.active & np.isfinite(curve) & np.isfinite(centre) & np.isfinite(spread)
    if mask.sum() < 4:
        return np.full_like(curve, np.nan), spread, mask, 0.0
    offset = _weighted_median((curve - centre)[mask], 1.0 / spread[mask])
    return curve - centre - offset, spread, mask, offset


def track_moves(*, curve: np.ndarray, role_curve: RoleCurve, nyquist_hz: float, min_z: float = 0.0) -> list[Move]:
    """The EQ moves of a track's tonal ``curve`` (np.ndarray [shape=(61,)], dB) against ``role_curve``,
    as :func:`tonal_findings` fits them."""
    deviation, spread, mask, _ = role_deviation(curve=curve, role_curve=role_curve)
    return fit_moves(deviation=deviation, spread=spread, mask=mask, min_z=min_z, nyquist_hz=nyquist_hz)


def move_deviation(*, curve: np.ndarray, role_curve: RoleCurve, kind: str, freq_hz: float, q: float) -> float:
    """How much a track has too much (dB, < 0 too little) of one given move against its role: the
    gain of that bell or shelf (and a free level) fitted to the track's deviation as
    :func:`fit_moves` fits it. NaN when the track and the role share too few bands.

    Args:
        curve: np.ndarray [shape=(61,)]: the track's tonal curve (dB).
        role_curve: the role's learned curve.
        kind: "bell", "low_shelf" or "high_shelf"; freq_hz, q: the move.
    """
    deviation, spread, mask, _ = role_deviation(curve=curve, role_curve=role_curve)
    mask = mask & np.isfinite(deviation)
    if mask.sum() < 4:
        return float("nan")
    weights = np.where(mask, 1.0 / np.square(np.where(mask, spread, 1.0)), 0.0)
    residual = np.where(mask, deviation, 0.0)
    size = FIT_GAIN_DB
    for _ in range(3):
        magnitude = float(np.clip(abs(size), 0.5, MAX_GAIN_DB))
        shape = eq_response_db(kind=kind, freq_hz=freq_hz, gain_db=magnitude, q=q, freqs=GRID_HZ) / magnitude
        shape = (shape - float((shape * weights).sum() / weights.sum())) * mask
        size = float((shape * weights * residual).sum() / max(float((shape * shape * weights).sum()), 1e-12))
    return size


# ----------------------------------------------------------------------------------- findings


def _priority(value: float, low: float, medium: float, high: float) -> str | None:
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    if value >= low:
        return "low"
    return None


def _span_octaves(curve: np.ndarray) -> float:
    """Octaves of ``curve`` (dB on GRID_HZ, NaN where unmeasured) within ACTIVE_RANGE_DB of its loudest band."""
    finite = np.nan_to_num(curve, nan=-np.inf)
    return float(np.sum(finite >= float(np.max(finite)) - ACTIVE_RANGE_DB)) * _GRID_STEP_OCT


def aligned_share(curve: np.ndarray, role_curve: RoleCurve) -> float:
    """Share of the role range's weight (1 / spread, as :func:`role_deviation` weighs it) in the bands where ``curve``
    (dB on GRID_HZ) sounds, within ACTIVE_RANGE_DB of its loudest band (0 without such bands)."""
    mask = (
        role_curve.active & np.isfinite(curve) & np.isfinite(role_curve.centre_db) & np.isfinite(role_curve.spread_db)
    )
    if not mask.any():
        return 0.0
    finite = np.nan_to_num(curve, nan=-np.inf)
    sounds = finite >= float(np.max(finite)) - ACTIVE_RANGE_DB
    weight = 1.0 / role_curve.spread_db[mask]
    return float((weight * sounds[mask]).sum() / weight.sum())


def _judged(curve: np.ndarray, role_curve: RoleCurve) -> bool:
    """Whether a track's broad moves are judged against ``role_curve``: it spans enough of the role's octaves
    (MIN_TONE_SPAN) and sounds where its alignment is read (MIN_ALIGNED_SHARE)."""
    return (
        _span_octaves(curve) >= MIN_TONE_SPAN * _span_octaves(role_curve.centre_db)
        and aligned_share(curve, role_curve) > MIN_ALIGNED_SHARE
    )


def _not_there(move: Move) -> bool:
    """A deficit deeper than any boost this module suggests: the part hardly sounds in that range (a waltz
    with no bass line read as "37 dB less around 100 Hz"), and a boost would raise only noise and hum."""
    return move.deviation_db < -MAX_GAIN_DB


def _eq_advice(name: str, move: Move) -> str:
    if _not_there(move):
        return (
            f"No EQ: {name} hardly sounds around {move.freq_hz:.0f} Hz, and a boost cannot add what is not "
            "played there; a part or a sound that fills that range can."
        )
    return f"EQ {name}: {_describe(move.kind, move.freq_hz, move.gain_db, move.q)}."


def tonal_profile(*, role: str, spectrum: np.ndarray, freqs: np.ndarray, curves: RoleCurves) -> dict[str, Any] | None:
    """A track's tonal curve beside its role's, for display (the page's spectrum view): the grid (Hz),
    the track's curve aligned to the role's as :func:`role_deviation` aligns it, the role's centre and
    spread (dB, rounded; null where unmeasured). None for a silent track or a role without a curve."""
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    role_curve = curves.for_role(role)
    if role_curve is None or float(spectrum[1:].sum()) < SILENT_POWER:
        return None
    curve = tonal_curve(spectrum=spectrum, freqs=freqs)
    _, _, _, offset = role_deviation(curve=curve, role_curve=role_curve)

    def listed(values: np.ndarray) -> list[float | None]:
        return [round(float(v), 1) if math.isfinite(float(v)) else None for v in values]

    return {
        "role_curve": role_curve.role,
        "grid_hz": [round(float(f), 1) for f in GRID_HZ],
        "track_db": listed(curve - offset),
        "role_db": listed(role_curve.centre_db),
        "role_spread_db": listed(role_curve.spread_db),
    }


BAND_LIMIT_NOTE_SHARE = 0.8
"""A band limit under this share of the Nyquist frequency is said (above it every file stops somewhere)."""


def _band_limit_note(subject: str, filed: str, top_hz: float) -> Suggestion:
    """Information: the track's sound stops at ``top_hz`` (:func:`ai.mixing.resonance.band_top_hz`)."""
    return Suggestion(
        "tonal",
        f"{subject} holds nothing above {top_hz:.0f} Hz: a band limit (recorded or exported at a low sample rate, "
        "or an MP3's low-pass), not a tone an EQ can change.",
        "low",
        filed,
        f"No EQ: a boost above {top_hz:.0f} Hz raises nothing; a version of it at the session's rate brings the "
        "highs back.",
        0.9,
        {"band_top_hz": round(top_hz, 1)},
        None,
        band="band_limit",
        info=True,
    )


def tonal_findings(
    *,
    name: str,
    role: str,
    spectrum: np.ndarray,
    freqs: np.ndarray,
    curves: RoleCurves,
    track: str | None = None,
    held: bool = False,
) -> list[Suggestion]:
    """Tonal problems of one track (or the mix bus / master) against its role's learned curve.

    Args:
        name: the track's name (used in the messages).
        role: its role ("music" for a mix bus or master).
        spectrum: np.ndarray [shape=(n_bins,)]: long-term mean power per STFT bin of its mid signal
            (``TrackSpectra.spectrum``).
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).
        curves: the learned role curves (:func:`load_role_curves`).
        track: the name the findings are filed under (default ``name``; MIX_BUS for the mix bus).
        held: the track holds one sound (:func:`ai.mixing.held_sound.holds_one_sound`): the peaks of its spectrum
            are its notes, and no resonance is reported.

    Returns:
        list[Suggestion] of type "tonal": the broad moves (at most MAX_MOVES, largest first) that
        reach the role group's "low" z-score, then at most MAX_RESONANCES resonances
        (:mod:`ai.mixing.resonance`). Each has ``band`` (the problem), ``action`` {"kind": "eq",
        "eq": {type, freq_hz, gain_db, q}} (the gain undoes the deviation) and ``evidence`` with
        freq_hz, deviation_db (> 0 too much), spread_db, z, q, role and the curve it was judged by.
        A silent spectrum gives []; a role without a curve (and no fallback) gets resonances only; a held
        sound gets no resonances.
    """
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    filed = track if track is not None else name
    if float(spectrum[1:].sum()) < SILENT_POWER:
        return []
    subject = "The mix" if filed == MIX_BUS else name
    role_curve = curves.for_role(role)
    group = curves.group_of(role)
    z_low, z_medium, z_high = curves.thresholds.for_group(group)
    out: list[Suggestion] = []
    curve = tonal_curve(spectrum=spectrum, freqs=freqs)
    top = band_top_hz(spectrum, freqs)
    if top is not None and top < BAND_LIMIT_NOTE_SHARE * float(freqs[-1]):
        # Nothing sounds past a band limit (a file made at a lower rate, an MP3's low-pass): those bands are no
        # deficit an EQ can answer (an 8-kHz speech stem was "dull: 70.0 dB less around 7127 Hz").
        curve = np.where(top < GRID_HZ, np.nan, curve)
        out.append(_band_limit_note(subject, filed, top))
    if role_curve is not None and _judged(curve, role_curve):
        judged = role_curve.role if role_curve.role == role else f"{role_curve.role} (no {role} curve learned)"
        for move in track_moves(curve=curve, role_curve=role_curve, nyquist_hz=float(freqs[-1]), min_z=z_low):
            if _priority(move.z, z_low, z_medium, z_high) is None:
                continue
            if role == "music":  # a mix or master is moved a few dB at most; its genre's curve is not ours
                move = replace(move, gain_db=float(np.clip(move.gain_db, -MASTER_MAX_GAIN_DB, MASTER_MAX_GAIN_DB)))
            priority = "low"
            problem = problem_of(move)
            more = "more" if move.deviation_db > 0 else "less"
            out.append(
                Suggestion(
                    "tonal",
                    f"{subject} ({role}) sounds {PROBLEM_WORDS[problem]}: {abs(move.deviation_db):.1f} dB {more} "
                    f"around {move.freq_hz:.0f} Hz than {role_curve.role} parts usually have, where they vary by "
                    f"{move.spread_db:.1f} dB." + (MUSIC_CURVE_NOTE if role_curve.role == "music" else ""),
                    priority,
                    filed,
                    _eq_advice(name, move),
                    float(min(0.95, 0.3 + 0.6 * (1 - z_low / move.z))),
                    {
                        "freq_hz": move.freq_hz,
                        "deviation_db": move.deviation_db,
                        "spread_db": move.spread_db,
                        "z": move.z,
                        "q": move.q,
                        "role": role,
                        "role_curve": judged,
                    },
                    None if _not_there(move) else _eq_action(move.kind, move.freq_hz, move.gain_db, move.q),
                    band=problem,
                    # Advice, not a problem: on held-out songs an 8-10 dB EQ fault stays inside the
                    # natural spread of clean stems of one role (models/role_spectra.md), so a
                    # distance from the role's curve cannot say that a track is wrong.
                    info=True,
                )
            )
    limits = curves.thresholds.resonance_for(role_curve.role if role_curve else role, group)
    if limits is not None and not held:  # a drone's peaks are its notes: "a narrow resonance at 231 Hz" (session 37)
        out.extend(
            _resonance_findings(
                name=name, filed=filed, subject=subject, role=role, spectrum=spectrum, freqs=freqs, limits=limits
            )
        )
    return out
