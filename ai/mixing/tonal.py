"""Tonal balance: a track's long-term spectrum against what its role sounds like, as EQ moves.

Curves
------
A track's tonal curve (:func:`tonal_curve`) is its long-term spectrum (``TrackSpectra.spectrum``,
the mean power per STFT bin of the mid signal) read on a 1/6-octave grid from 20 Hz to 20 kHz
(:data:`GRID_HZ`): at each grid frequency the power of a third-octave-wide band around it (a
Gaussian window in log frequency), in dB relative to the track's total power. Relative levels make
the curve independent of the fader and of the STFT size.

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
with its gain and a free level fitted by weighted least squares on the RBJ response (what
pedalboard's filters apply), weights the inverse squared spread of the role. A move is a finding
when its deviation stands out from the role's spread where it acts (the z-score); the thresholds
for "low", "medium" and "high" were set per group of roles on the training stems (stored with the
curves), so that well-made stems rarely reach "medium". The suggested gain brings the track back
to the role's curve (a cut for an excess, a boost for a deficit), at most MAX_GAIN_DB. Narrow
resonances are peaks of the track's own fine spectrum (a tenth of an octave) above its smoothed
spectrum; how high a peak must be is learned from the training stems too.

What this can find is bounded by how much well-made stems of one role differ: a role's curve
pools pianos with and without a left hand, nylon and distorted guitars of two soundfonts, and their spread is 3-6 dB
in the mids and 10-15 dB at the ends of the range (models/role_spectra.md). A deviation must be
several spreads wide to stand out from that, so gross excesses and deficits are found and an
8 dB bell on a piano is not (bench/mixing_tonal.py prints both sides of that).

:func:`reference_eq` fits a third-octave matching curve of a master (or mix) to a reference as at
most :data:`REFERENCE_MAX_MOVES` shelves and bells.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ai.mixing.findings import MIX_BUS, Suggestion
from ai.model_files import model_path

logger = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "role_spectra.json"
"""The role curves learned by ``python -m training.role_spectra``."""

GRID_HZ: np.ndarray = 1000.0 * 2.0 ** (np.arange(-34, 27) / 6.0)
"""Centres of the tonal curve (Hz): 1/6 octave apart, 19.7 Hz to 20.2 kHz, through 1 kHz."""
SMOOTH_OCT = 1.0 / 6.0
"""Standard deviation (octaves) of the Gaussian window read at each grid frequency: its width at
half height is 0.39 octave, about a third-octave band: it evens out most of a part's single notes
while an EQ bell of Q up to ~3 keeps its shape."""
BAND_OCT = 1.0 / 3.0
"""Bandwidth (octaves) each curve level is expressed in: the power of a third-octave band."""
NYQUIST_SHARE = 0.9
"""Grid frequencies above this share of the Nyquist frequency are not measured (NaN)."""
CURVE_FLOOR_DB = -120.0
"""Floor of a curve level (dB relative to the track): an empty band reads this, not -inf."""
SILENT_POWER = 1e-10
"""A long-term spectrum whose total power (mean square, full scale 1) is below this (-100 dBFS)
is silent: it has no tonal balance."""

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
SHELF_Q = 0.707
"""Q of the shelves (the RBJ shelf with the steepest slope that does not overshoot)."""
FIT_GAIN_DB = 8.0
"""Gain (dB) at which the unit response of a move is taken before its gain is fitted; the fit is
then refined on the response at the fitted gain (an RBJ bell's shape changes a little with gain)."""
MAX_MOVES = 3
"""Moves fitted per track: a few clear moves read better than a matching curve."""
MIN_COVERAGE = 0.5
"""Share of a move's response (summed |dB| on the grid) that must fall in the role's range: a bell
whose peak lies outside it would be fitted to its skirt alone, with an absurd gain."""
MAX_GAIN_DB = 15.0
"""Largest gain (dB) a tonal move suggests; more is a different sound, not an EQ fix."""
SAMPLE_RATE = 44100.0
"""Sample rate the RBJ responses are computed at (the shape below 16 kHz barely depends on it)."""

REFERENCE_MAX_MOVES = 6
"""Moves in the reference matching curve."""
REFERENCE_MIN_DB = 1.0
"""A reference matching move smaller than this (dB) is not worth making: the fit stops."""
REFERENCE_RANGE_HZ = (30.0, 16000.0)
"""Frequency range the reference matching curve is fitted over (Hz)."""
REFERENCE_Q: tuple[float, ...] = (0.5, 0.7, 1.0, 1.4, 2.0)
"""Q of the bells the reference matching tries (matching is broad by nature)."""
REFERENCE_ACTIVE_DB = 50.0
"""Bands more than this below the reference's loudest band are not matched (noise floor)."""

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

RESONANCE_FINE_OCT = 1.0 / 24.0
"""Standard deviation (octaves) of the fine spectrum's window (0.1 octave wide at half height, at
least a bin): narrow enough for a Q 16 peak, wide enough to merge a chord's neighbouring partials."""
RESONANCE_BROAD_OCT = 1.0 / 3.0
"""Standard deviation (octaves) of the smoothed spectrum a resonance stands above."""
RESONANCE_RANGE_HZ = (150.0, 12000.0)
"""Resonances are looked for here: below 150 Hz one STFT bin (11 Hz) is wider than a tenth of an octave."""
RESONANCE_Q: tuple[float, ...] = (4.0, 5.7, 8.0, 11.0, 16.0)
"""Q of the resonance cuts tried."""
RESONANCE_CLIP_ROUNDS = 1
"""Rounds of clipping the fine curve to the smoothed one before a peak's prominence is read."""
MAX_RESONANCES = 2
"""Resonances reported per track (the strongest)."""


# ----------------------------------------------------------------------------------- curves


@lru_cache(maxsize=16)
def _window_matrix(n_bins: int, bin_hz: float, sigma_oct: float, grid: tuple[float, ...]) -> np.ndarray:
    """np.ndarray [shape=(len(grid), n_bins)]: rows of Gaussian weights in log frequency (each at
    least a bin wide), normalised to sum 1 (a mean of the bins' powers)."""
    freqs = np.arange(n_bins) * bin_hz
    log_f = np.log2(np.maximum(freqs, bin_hz / 2))
    rows = np.zeros((len(grid), n_bins))
    for k, centre in enumerate(grid):
        sigma = max(sigma_oct, math.log2((centre + bin_hz) / centre))
        weights = np.exp(-0.5 * ((log_f - math.log2(centre)) / sigma) ** 2)
        weights[0] = 0.0  # the DC bin belongs to the DC offset
        weights[weights < 1e-6] = 0.0
        total = weights.sum()
        if total > 0:
            rows[k] = weights / total
    return rows


def _check_spectrum(spectrum: np.ndarray, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectrum = np.asarray(spectrum, dtype=np.float64)
    freqs = np.asarray(freqs, dtype=np.float64)
    if spectrum.ndim != 1 or spectrum.shape != freqs.shape or spectrum.size < 16:
        raise ValueError("spectrum and freqs must be 1-D arrays of the same length (at least 16 bins)")
    if freqs[0] != 0.0 or not np.all(np.diff(freqs) > 0):
        raise ValueError("freqs must be the rfft bin frequencies (0, df, 2 df, ...)")
    return spectrum, freqs


def smoothed_db(
    *, spectrum: np.ndarray, freqs: np.ndarray, grid: np.ndarray = GRID_HZ, sigma_oct: float = SMOOTH_OCT
) -> np.ndarray:
    """Level (dB) of a ``BAND_OCT``-wide band around each ``grid`` frequency, relative to the total.

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin (``TrackSpectra.spectrum``).
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz), 0 to Nyquist.
        grid: np.ndarray [shape=(n,)]: frequencies (Hz) to read the level at.
        sigma_oct: standard deviation (octaves) of the Gaussian window.

    Returns:
        np.ndarray [shape=(n,)]: dB relative to the total power; NaN above NYQUIST_SHARE of the
        Nyquist frequency or for a silent spectrum; at least CURVE_FLOOR_DB otherwise.
    """
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    grid = np.asarray(grid, dtype=np.float64)
    total = float(spectrum[1:].sum())
    out = np.full(grid.shape, np.nan)
    if not math.isfinite(total) or total <= 0:
        return out
    bin_hz = float(freqs[1])
    rows = _window_matrix(freqs.size, bin_hz, sigma_oct, tuple(float(g) for g in grid))
    density = rows @ spectrum  # mean power per bin around each grid frequency
    band_bins = grid * (2 ** (BAND_OCT / 2) - 2 ** (-BAND_OCT / 2)) / bin_hz
    with np.errstate(divide="ignore"):
        level = 10 * np.log10(np.maximum(density * band_bins / total, 0.0))
    valid = grid <= NYQUIST_SHARE * freqs[-1]
    out[valid] = np.maximum(level[valid], CURVE_FLOOR_DB)
    return out


def tonal_curve(*, spectrum: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """The tonal curve of a long-term spectrum on GRID_HZ (see the module docstring).

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin.
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).

    Returns:
        np.ndarray [shape=(len(GRID_HZ),)]: dB relative to the total power (NaN where unmeasured).
    """
    return smoothed_db(spectrum=spectrum, freqs=freqs, grid=GRID_HZ, sigma_oct=SMOOTH_OCT)


def eq_response_db(
    *, kind: str, freq_hz: float, gain_db: float, q: float, freqs: np.ndarray, sample_rate: float = SAMPLE_RATE
) -> np.ndarray:
    """Magnitude response (dB) of an RBJ-cookbook biquad at ``freqs`` (what pedalboard's
    PeakFilter, LowShelfFilter, HighShelfFilter and a 2nd-order high-pass apply).

    Args:
        kind: "bell", "low_shelf", "high_shelf" or "high_pass".
        freq_hz: centre (bell) or corner (shelves, high-pass) in Hz.
        gain_db: gain at the centre / of the shelf (ignored by the high-pass).
        q: Q (bell bandwidth; shelf and high-pass slope, 0.707 the usual).
        freqs: np.ndarray [shape=(n,)]: frequencies (Hz).
        sample_rate: sample rate of the filter (Hz).

    Returns:
        np.ndarray [shape=(n,)]: gain in dB.
    """
    a_gain = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * min(freq_hz, 0.49 * sample_rate) / sample_rate
    alpha = math.sin(w0) / (2 * q)
    cos_w0 = math.cos(w0)
    if kind == "bell":
        b = (1 + alpha * a_gain, -2 * cos_w0, 1 - alpha * a_gain)
        a = (1 + alpha / a_gain, -2 * cos_w0, 1 - alpha / a_gain)
    elif kind in ("low_shelf", "high_shelf"):
        s = 2 * math.sqrt(a_gain) * alpha
        ap, am = a_gain + 1, a_gain - 1
        if kind == "low_shelf":
            b = (a_gain * (ap - am * cos_w0 + s), 2 * a_gain * (am - ap * cos_w0), a_gain * (ap - am * cos_w0 - s))
            a = (ap + am * cos_w0 + s, -2 * (am + ap * cos_w0), ap + am * cos_w0 - s)
        else:
            b = (a_gain * (ap + am * cos_w0 + s), -2 * a_gain * (am + ap * cos_w0), a_gain * (ap + am * cos_w0 - s))
            a = (ap - am * cos_w0 + s, 2 * (am - ap * cos_w0), ap - am * cos_w0 - s)
    elif kind == "high_pass":
        b = ((1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2)
        a = (1 + alpha, -2 * cos_w0, 1 - alpha)
    else:
        raise ValueError(f"unknown EQ kind {kind!r}")
    z = np.exp(-2j * math.pi * np.asarray(freqs, dtype=np.float64) / sample_rate)
    response = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    result: np.ndarray = 20 * np.log10(np.maximum(np.abs(response), 1e-12))
    return result


# ----------------------------------------------------------------------------------- the model


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


def _eq_action(kind: str, freq_hz: float, gain_db: float, q: float) -> dict[str, Any]:
    gain = float(np.clip(round(gain_db * 2) / 2, -MAX_GAIN_DB, MAX_GAIN_DB))
    return {"kind": "eq", "eq": {"type": kind, "freq_hz": float(round(freq_hz)), "gain_db": gain, "q": round(q, 2)}}


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


def _describe(kind: str, freq_hz: float, gain_db: float, q: float) -> str:
    verb = "cut" if gain_db < 0 else "boost"
    if kind == "bell":
        return f"{verb} {abs(gain_db):.1f} dB at {freq_hz:.0f} Hz (bell, Q {q:.1f})"
    return f"{kind.replace('_', ' ')} {verb} of {abs(gain_db):.1f} dB at {freq_hz:.0f} Hz"


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


def tonal_findings(
    *,
    name: str,
    role: str,
    spectrum: np.ndarray,
    freqs: np.ndarray,
    curves: RoleCurves,
    track: str | None = None,
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

    Returns:
        list[Suggestion] of type "tonal": the broad moves (at most MAX_MOVES, largest first) that
        reach the role group's "low" z-score, then at most MAX_RESONANCES resonances. Each has
        ``band`` (the problem), ``action`` {"kind": "eq", "eq": {type, freq_hz, gain_db, q}} (the
        gain undoes the deviation) and ``evidence`` with freq_hz, deviation_db (> 0 too much),
        spread_db, z, q, role and the curve it was judged by. A silent spectrum gives []; a role
        without a curve (and no fallback) gets resonances only.
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
    if role_curve is not None:
        judged = role_curve.role if role_curve.role == role else f"{role_curve.role} (no {role} curve learned)"
        curve = tonal_curve(spectrum=spectrum, freqs=freqs)
        for move in track_moves(curve=curve, role_curve=role_curve, nyquist_hz=float(freqs[-1]), min_z=z_low):
            if _priority(move.z, z_low, z_medium, z_high) is None:
                continue
            priority = "low"
            problem = problem_of(move)
            more = "more" if move.deviation_db > 0 else "less"
            out.append(
                Suggestion(
                    "tonal",
                    f"{subject} ({role}) sounds {PROBLEM_WORDS[problem]}: {abs(move.deviation_db):.1f} dB {more} "
                    f"around {move.freq_hz:.0f} Hz than {role_curve.role} parts usually have, where they vary by "
                    f"{move.spread_db:.1f} dB.",
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
    if limits is not None:
        out.extend(
            _resonance_findings(
                name=name, filed=filed, subject=subject, role=role, spectrum=spectrum, freqs=freqs, limits=limits
            )
        )
    return out


# ----------------------------------------------------------------------------------- resonances


@dataclass(frozen=True)
class Resonance:
    """A narrow peak of the fine spectrum: centre (Hz), its height over the smoothed spectrum as
    read (dB), and the Q and gain (dB) of the RBJ bell that reads like it."""

    freq_hz: float
    prominence_db: float
    q: float
    gain_db: float


def resonance_grid(nyquist_hz: float) -> np.ndarray:
    """Frequencies (Hz) the fine spectrum is read at: 1/48 octave apart over RESONANCE_RANGE_HZ."""
    low, high = RESONANCE_RANGE_HZ
    high = min(high, 0.8 * nyquist_hz)
    return low * 2.0 ** (np.arange(0.0, 48 * math.log2(high / low) + 1) / 48)


def _smooth_log(values: np.ndarray, sigma_steps: float) -> np.ndarray:
    """Gaussian smoothing of a curve on a uniform log-frequency grid (edges renormalised)."""
    half = int(math.ceil(3 * sigma_steps))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_steps) ** 2)
    num = np.convolve(values, kernel, mode="same")
    den = np.convolve(np.ones_like(values), kernel, mode="same")
    return num / den


def _prominence(*, spectrum: np.ndarray, freqs: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Fine curve (RESONANCE_FINE_OCT) minus its smoothed, peak-clipped version (dB) on ``grid``."""
    fine = smoothed_db(spectrum=spectrum, freqs=freqs, grid=grid, sigma_oct=RESONANCE_FINE_OCT)
    sigma_steps = RESONANCE_BROAD_OCT * 48
    floor = _smooth_log(fine, sigma_steps)
    for _ in range(RESONANCE_CLIP_ROUNDS):
        floor = _smooth_log(np.minimum(fine, floor), sigma_steps)
    result: np.ndarray = fine - floor
    return result


def _bell_prominence(centre: float, gain_db: float, q: float, grid: np.ndarray) -> np.ndarray:
    """The prominence curve an RBJ bell leaves on a flat spectrum, as :func:`_prominence` reads it
    (the fine window taken as RESONANCE_FINE_OCT on the 1/48-octave grid, as it is above ~300 Hz)."""
    power = 10 ** (eq_response_db(kind="bell", freq_hz=centre, gain_db=gain_db, q=q, freqs=grid) / 10)
    fine = 10 * np.log10(_smooth_log(power, RESONANCE_FINE_OCT * 48))
    sigma_steps = RESONANCE_BROAD_OCT * 48
    floor = _smooth_log(fine, sigma_steps)
    for _ in range(RESONANCE_CLIP_ROUNDS):
        floor = _smooth_log(np.minimum(fine, floor), sigma_steps)
    result: np.ndarray = fine - floor
    return result


def find_resonances(*, spectrum: np.ndarray, freqs: np.ndarray, min_db: float = 0.0) -> list[Resonance]:
    """Peaks of the fine spectrum (RESONANCE_FINE_OCT) above its smoothed, peak-clipped version by at
    least ``min_db``, strongest first, each as the RBJ bell that leaves that peak.

    The smoothed spectrum (RESONANCE_BROAD_OCT, on the dB curve) is recomputed after clipping the
    fine curve to it (RESONANCE_CLIP_ROUNDS), so that a peak does not lift its own floor. The
    reading flattens a narrow peak (a +12 dB, Q 8 bell reads about 9 dB), so the bell's Q is the
    one whose reading on a flat spectrum has the peak's shape, and its gain the one whose reading
    has the peak's height.

    Args:
        spectrum: np.ndarray [shape=(n_bins,)]: mean power per rfft bin.
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).
        min_db: smallest prominence (as read) returned.

    Returns:
        list[Resonance]: ``prominence_db`` is the read height, ``gain_db`` the bell's gain.
    """
    spectrum, freqs = _check_spectrum(spectrum, freqs)
    grid = resonance_grid(float(freqs[-1]))
    if grid.size < 16 or float(spectrum[1:].sum()) <= 0:
        return []
    prominence = _prominence(spectrum=spectrum, freqs=freqs, grid=grid)
    edge = int(math.ceil(RESONANCE_BROAD_OCT * 48))  # the smoothing is one-sided at the ends
    inner = prominence[1:-1]
    peaks = np.flatnonzero((inner >= prominence[:-2]) & (inner > prominence[2:]) & (inner >= min_db)) + 1
    peaks = peaks[(peaks >= edge) & (peaks < grid.size - edge)]
    found: list[Resonance] = []
    for k in sorted(peaks, key=lambda j: -prominence[j])[: 2 * MAX_RESONANCES]:
        centre, height = float(grid[k]), float(prominence[k])
        window = np.abs(np.log2(grid / centre)) <= 0.25
        best = (math.inf, RESONANCE_Q[0], height)  # (error, q, gain)
        for q in RESONANCE_Q:
            gain = height
            for _ in range(3):  # the gain whose reading has the peak's height
                read = _bell_prominence(centre, gain, q, grid)
                gain = float(np.clip(gain * height / max(float(read[k]), 0.1), height, 3 * height))
            read = _bell_prominence(centre, gain, q, grid)
            error = float(np.mean((prominence[window] - read[window]) ** 2))
            if error < best[0]:
                best = (error, q, gain)
        found.append(Resonance(centre, height, best[1], best[2]))
    return sorted(found, key=lambda r: -r.prominence_db)


def _resonance_findings(
    *,
    name: str,
    filed: str,
    subject: str,
    role: str,
    spectrum: np.ndarray,
    freqs: np.ndarray,
    limits: tuple[float, float],
) -> list[Suggestion]:
    low, _ = limits
    out = []
    for res in find_resonances(spectrum=spectrum, freqs=freqs, min_db=low)[:MAX_RESONANCES]:
        priority = "low"
        gain = -min(res.gain_db, MAX_GAIN_DB)
        out.append(
            Suggestion(
                "tonal",
                f"{subject} ({role}) has a narrow resonance at {res.freq_hz:.0f} Hz, {res.prominence_db:.1f} dB "
                f"above its smoothed spectrum (well-made {role} parts stay under {low:.1f} dB).",
                priority,
                filed,
                f"EQ {name}: {_describe('bell', res.freq_hz, gain, res.q)}; sweep around {res.freq_hz:.0f} Hz "
                "for the exact ring.",
                float(min(0.9, 0.4 + 0.5 * (1 - low / res.prominence_db))),
                {
                    "freq_hz": res.freq_hz,
                    "deviation_db": res.gain_db,
                    "prominence_db": res.prominence_db,
                    "limit_db": low,
                    "q": res.q,
                    "role": role,
                },
                _eq_action("bell", res.freq_hz, gain, res.q),
                band="resonance",
                # Advice: whether a peak is the instrument's own body or a fault cannot be told from
                # one long-term spectrum (models/role_spectra.md).
                info=True,
            )
        )
    return out


# ----------------------------------------------------------------------------------- reference


def reference_eq(*, ours: np.ndarray, reference: np.ndarray, freqs: np.ndarray) -> list[dict[str, Any]]:
    """EQ moves that bring ``ours`` (a master or mix) toward ``reference``'s tonal balance.

    Both long-term spectra are read on a third-octave grid (REFERENCE_RANGE_HZ), relative to their
    totals; the difference (reference - ours) is aligned by its median over the bands where the
    reference has energy, and fitted greedily by at most REFERENCE_MAX_MOVES shelves and bells
    (RBJ responses, equal weights) until the largest remaining move is under REFERENCE_MIN_DB.

    Args:
        ours: np.ndarray [shape=(n_bins,)]: mean power per rfft bin of the master / mix.
        reference: np.ndarray [shape=(n_bins,)]: the same for the reference (same ``freqs``).
        freqs: np.ndarray [shape=(n_bins,)]: the bins' frequencies (Hz).

    Returns:
        list of {"type": "bell" | "low_shelf" | "high_shelf", "freq_hz", "gain_db", "q"} in the
        order fitted (largest effect first); [] when either is silent or they already match.
    """
    ours, freqs = _check_spectrum(ours, freqs)
    reference, _ = _check_spectrum(reference, freqs)
    if float(ours[1:].sum()) < SILENT_POWER or float(reference[1:].sum()) < SILENT_POWER:
        return []
    low, high = REFERENCE_RANGE_HZ
    high = min(high, NYQUIST_SHARE * float(freqs[-1]))
    grid = low * 2.0 ** (np.arange(0.0, 3 * math.log2(high / low) + 1) / 3)
    a = smoothed_db(spectrum=ours, freqs=freqs, grid=grid, sigma_oct=1 / 6)
    b = smoothed_db(spectrum=reference, freqs=freqs, grid=grid, sigma_oct=1 / 6)
    mask = np.isfinite(a) & np.isfinite(b) & (b >= np.nanmax(b) - REFERENCE_ACTIVE_DB) & (a > CURVE_FLOOR_DB)
    if mask.sum() < 4:
        return []
    diff = b - a
    diff = diff - float(np.median(diff[mask]))
    nyquist = float(freqs[-1])
    moves: list[tuple[str, float, float]] = []
    for centre in grid[(grid >= 40) & (grid <= 0.8 * nyquist)]:
        moves.extend(("bell", float(centre), q) for q in REFERENCE_Q)
    moves.extend(("low_shelf", float(c), SHELF_Q) for c in grid[(grid >= 40) & (grid <= 300)])
    moves.extend(("high_shelf", float(c), SHELF_Q) for c in grid[(grid >= 2000) & (grid <= min(12000, 0.8 * nyquist))])
    shapes = np.array([eq_response_db(kind=k, freq_hz=f, gain_db=6.0, q=q, freqs=grid) / 6.0 for k, f, q in moves])
    shapes = shapes * mask
    norms = (shapes * shapes).sum(axis=1)
    residual = np.where(mask, diff, 0.0)
    out: list[dict[str, Any]] = []
    for _ in range(REFERENCE_MAX_MOVES):
        proj = shapes @ residual
        explained = np.where(norms > 0, proj * proj / np.maximum(norms, 1e-12), 0.0)
        best = int(np.argmax(explained))
        gain = float(proj[best] / norms[best]) if norms[best] > 0 else 0.0
        if abs(gain) < REFERENCE_MIN_DB:
            break
        kind, freq, q = moves[best]
        actual = eq_response_db(kind=kind, freq_hz=freq, gain_db=gain, q=q, freqs=grid) * mask
        scale = float((actual @ residual) / max(float(actual @ actual), 1e-12))
        gain = float(np.clip(gain * scale, -MAX_GAIN_DB, MAX_GAIN_DB))
        actual = eq_response_db(kind=kind, freq_hz=freq, gain_db=gain, q=q, freqs=grid) * mask
        residual = residual - actual
        out.append({"type": kind, "freq_hz": round(freq, 1), "gain_db": round(gain, 2), "q": q})
    return out
