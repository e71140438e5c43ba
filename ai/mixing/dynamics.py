"""Dynamics: measures, per-role norms, and compressor / leveler advice that checks itself.

Measures (:func:`measure_dynamics`, one track, np.ndarray [shape=(channels, n)]):

* crest factor: sample peak over RMS of the whole track (dB);
* PLR: peak-to-loudness ratio, true peak (dBTP) minus integrated loudness (LUFS): unlike the crest
  factor it ignores the silences between a sparse part's notes (BS.1770's gates leave them out);
* loudness range (EBU Tech 3342, LU) and the short-term (3 s) loudness percentiles it comes from;
* transient strength, as the envelope depth: over the loud 400 ms blocks, the median of the
  loudest 5 ms frame's level over the block's median 5 ms frame (dB): how far the hits stand above
  what sounds between them. A compressor lifts what follows each hit toward the hit, so the depth
  falls, whatever the part's density (a sparse kick and a busy one read the same, which the
  whole-track crest factor cannot say) and without an onset detector to fail on squashed hits.
  On the training stems a fast 10-20:1 compressor that takes 7 dB off a kick's crest factor takes
  its depth from about 43 dB to about 6; it separated squashed from clean tracks better than the
  median attack-over-body ratio and the decay after isolated onsets that were tried with it;
* block crest: the 10th percentile, over the loud 400 ms blocks, of the block's peak over its RMS:
  the flattest stretches, which a compressor flattens first.

Norms (:class:`RoleDynamics`, ``models/role_dynamics.json``, fitted by
``python -m training.role_dynamics``, model card ``models/role_dynamics.md``): percentiles of each
measure per role over the training stems (MMA grooves rendered with the TimGM6mb and MuseScore
General Lite soundfonts), the sum of a song's drum stems as a drum bus ("drums") and the sum of
all its stems as the mix bus ("music"), with the decision thresholds fitted on the same songs. A
role with fewer than MIN_ROLE_STEMS training stems (vocals, speech, lead, pad, fx) uses its
family's norm (percussive, tonal, music).

Findings (:func:`dynamics_findings`):

* over-compressed (drums and the mix bus: OVER_COMPRESSION_FAMILIES): the mean, over crest factor,
  PLR, envelope depth and block crest, of how far each lies below the role's median in units of
  the role's lower spread (``(p50 - p10) / 1.2816``, a normal distribution's sigma) reaches the
  fitted ``over_compressed_z``. Advice: how many dB of gain reduction to give back on the peaks
  (the crest factor's or PLR's distance to the role's median) and an attack slow enough to let
  the transients through. A printed stem cannot be un-compressed, so this is not a move a
  renderer can apply (``action["kind"] == "back_off"``).
* uncontrolled (tonal parts: UNCONTROLLED_FAMILIES): the loudness range lies above the role's
  median by ``uncontrolled_z`` upper spreads (``(p90 - p50) / 1.2816``). When the swing is slow
  (sections at different levels, each with normal dynamics), volume automation per section
  (:func:`section_automation`) brings the range to the role's norm and is the better tool
  (``action["kind"] == "automation"``, the sections' start/end seconds and gains). Otherwise a
  compressor derived from the signal (:func:`suggest_compressor`): threshold from the short-term
  loudness percentiles moved into the detector's peak domain, ratio to bring the range to the
  role's median, attack from the transient strength, release from the tempo, makeup to keep the
  integrated loudness. Both are checked: the move is applied (pedalboard for the compressor), the
  track is measured again, and ``action["check"]`` carries before / after / target; a compressor
  that does not move the range CHECK_FRACTION of the way alone becomes two stages.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard

from ai.audio import loudness
from ai.audio.loudness_meter import KWeighting
from ai.audio.stem_file import Frames, StemFile, frame_count, read_frames, write_stem_file
from ai.mixing import stem_measures
from ai.mixing.board_blocks import board_blocks, run_board
from ai.mixing.findings import MIX_BUS, Suggestion
from ai.model_files import model_path

logger = logging.getLogger(__name__)

SHIPPED_NORMS = Path(__file__).resolve().parents[2] / "models" / "role_dynamics.json"
"""The per-role norms and thresholds fitted by ``python -m training.role_dynamics``."""

ENVELOPE_FRAME_S = 0.005
"""Frame of the level envelope (5 ms): short enough to see a drum hit's first milliseconds."""
BLOCK_S = 0.4
"""Blocks the envelope depth and the block crest are taken over (a momentary-loudness block: a
few notes at any tempo)."""
BLOCK_RANGE_DB = 30.0
"""Blocks whose RMS is more than this below the loudest block's are rests and tails, left out."""
DEPTH_RANGE_DB = 60.0
"""Frames more than this below their block's loudest count as this far below it: a hit that
decays into digital silence reads 60 dB deep, not the depth of the render's noise floor."""
BLOCK_CREST_PERCENTILE = 10.0
"""The block crest is this percentile over the loud blocks: the flattest stretches, which a
compressor flattens first."""
ONSET_LOOKBACK_S = 0.05
"""An attack's rise is measured from the quietest frame of the 50 ms before it."""
ONSET_RISE_DB = 9.0
"""Rise of the 5 ms RMS envelope over its 50 ms minimum that makes an attack."""
ONSET_GAP_S = 0.06
"""Two attacks closer than this are one (flams, the two halves of a strum)."""
ONSET_RANGE_DB = 30.0
"""Attacks more than this below the loudest frame are ghost notes and spill; they are left out."""
PERCENTILES = (10, 25, 50, 75, 90, 95)
"""Short-term loudness percentiles kept (10 and 95 bound EBU Tech 3342's loudness range)."""
NORMAL_QUANTILE_90 = 1.2816
"""z of a normal distribution's 90th percentile: (p90 - p50) / 1.2816 is a robust sigma."""

MIN_ROLE_STEMS = 10
"""Training stems a role needs for a norm of its own; below it the role uses its family's."""
ROLE_FAMILY: dict[str, str] = {
    "kick": "percussive",
    "snare": "percussive",
    "hihat": "percussive",
    "drums": "percussive",
    "overheads": "percussive",
    "music": "music",
}
"""Family of each role whose norm can stand in for it; roles not listed are "tonal"."""
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
FRAMES_AT_ONCE_SAMPLES = 1 << 18
"""Samples per channel whose envelope frames are taken at once (not the whole track: its float64
squares would be twice the track's size)."""
MEASURES = ("crest_db", "plr_db", "lra_lu", "transient_db", "block_crest_db")
"""Measures with per-role norms."""
SQUASH_MEASURES = ("crest_db", "plr_db", "transient_db", "block_crest_db")
"""Measures a compressor or limiter lowers; over-compression is judged on their mean z."""
SPREAD_FLOOR = {"crest_db": 1.0, "plr_db": 1.0, "lra_lu": 0.5, "transient_db": 1.0, "block_crest_db": 1.0}
"""Smallest spread (dB / LU) a norm is given: a role whose training stems all share one sample
(a kick rendered from one soundfont sample) would otherwise flag any stem that differs at all."""

CHECK_FRACTION = 0.6
"""Share of the way to the target a suggested move must cover in its own check (issue 12)."""
AIM_FRACTION = 0.75
"""Share of the way the compressor search aims for, so the advice clears CHECK_FRACTION with a margin."""
RATIO_RANGE = (1.5, 20.0)
"""Ratios the compressor search may suggest (below 1.5:1 a compressor barely acts; above 20:1 it is a limiter)."""
THRESHOLD_PERCENTILES = (50, 25, 10)
"""Short-term loudness percentiles tried as the compressor's threshold, gentlest first."""
ATTACK_MS = (5.0, 30.0)
"""Attack for sustained material (fast, catches a voice's or a bass's level) and for percussive
material (slow enough that the first 30 ms of a hit pass untouched): the usual settings."""
RELEASE_MS = (50.0, 500.0)
"""Release range (ms) the tempo-tied release is kept in."""
DEFAULT_TEMPO_BPM = 120.0
"""Tempo assumed for the release when neither the caller nor the track's onsets give one (MIDI's default)."""

SECTION_BLOCK_S = 0.5
"""Blocks the section finder works on: long enough to average a few notes, short enough to place a change."""
MIN_SECTION_S = 2.0
"""Shortest section volume automation is drawn for."""
SECTION_GATE_LU = -20.0
"""Blocks more than this below the track's integrated loudness are rests, not a quiet section."""
SECTION_MERGE_DB = 1.5
"""Neighbouring sections closer than this in level are one (automation that small is not worth drawing)."""
RAMP_S = 0.05
"""Length of the gain ramps between sections (short enough to sit between notes, long enough not to click)."""


# ------------------------------------------------------------------------------------ measures


@dataclass(frozen=True)
class DynamicsMeasure:
    """Dynamics of one track. Levels in dB; ``None`` where undefined (silence, shorter than 3 s).

    Attributes:
        crest_db: sample peak over RMS of the whole track (dB).
        plr_db: peak-to-loudness ratio, true peak (dBTP) minus integrated loudness (LUFS).
        lra_lu: loudness range (EBU Tech 3342, LU).
        short_term: gated short-term loudness (3 s, LUFS) percentiles, {percentile: LUFS}.
        transient_db: transient strength, the envelope depth (dB): see :func:`envelope_measures`.
        block_crest_db: crest factor of the flattest loud 400 ms stretches (dB): see :func:`envelope_measures`.
        onsets: number of attacks found (:func:`attack_onsets`).
        onset_interval_s: median time between attacks (s), None with fewer than two.
        integrated_lufs, true_peak_dbtp, sample_peak_dbfs, rms_dbfs: the levels the ratios come from.
    """

    crest_db: float | None
    plr_db: float | None
    lra_lu: float | None
    short_term: dict[int, float]
    transient_db: float | None
    block_crest_db: float | None
    onsets: int
    onset_interval_s: float | None
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    rms_dbfs: float | None

    def value(self, measure: str) -> float | None:
        """One of MEASURES by name."""
        found: float | None = getattr(self, measure)
        return found

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["short_term"] = {f"p{k}": v for k, v in self.short_term.items()}
        return out


def _frames(samples: Frames, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """(peak |x| over channels, mean square over channels) of consecutive ``frame``-sample frames."""
    n = frame_count(samples) // frame
    peak = np.empty(n, dtype=samples.dtype if isinstance(samples, np.ndarray) else np.float32)
    power = np.empty(n)
    step = max(1, FRAMES_AT_ONCE_SAMPLES // frame)  # a batch's float64 squares stay small
    for first in range(0, n, step):
        last = min(n, first + step)
        batch = read_frames(samples, first * frame, last * frame).reshape(samples.shape[0], last - first, frame)
        peak[first : first + step] = np.abs(batch).max(axis=(0, 2))
        power[first : first + step] = np.mean(np.square(batch, dtype=np.float64), axis=(0, 2))
    return peak, power


def attack_onsets(*, power: np.ndarray, frame_s: float) -> np.ndarray:
    """Frame indices of the attacks in a mean-square envelope.

    Args:
        power: np.ndarray [shape=(n_frames,)]: mean square per ENVELOPE_FRAME_S frame.
        frame_s: frame length in seconds.

    Returns np.ndarray [shape=(n_onsets,), dtype=int64].
    """
    if power.size == 0 or power.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    floor = power.max() * 1e-10
    level = 10 * np.log10(np.maximum(power, floor))
    back = max(1, int(round(ONSET_LOOKBACK_S / frame_s)))
    # Silence before the track's start: a hit on its first sample is an attack too.
    padded = np.concatenate((np.full(back, 10 * np.log10(floor)), level))
    before = np.lib.stride_tricks.sliding_window_view(padded[:-1], back).min(axis=1)
    rise = level - before
    candidates = np.flatnonzero((rise >= ONSET_RISE_DB) & (level >= level.max() - ONSET_RANGE_DB))
    gap = max(1, int(round(ONSET_GAP_S / frame_s)))
    onsets: list[int] = []
    for index in candidates:
        if not onsets or index - onsets[-1] >= gap:
            onsets.append(int(index))
    return np.asarray(onsets, dtype=np.int64)


def envelope_measures(*, samples: Frames, sr: int) -> tuple[float | None, float | None, int, float | None]:
    """(envelope depth dB, block crest dB, attacks, median interval between attacks s) of a track.

    ``samples``: np.ndarray [shape=(channels, n)] or a stem file. From the 5 ms frames' peak and mean square, over
    the BLOCK_S blocks within BLOCK_RANGE_DB of the loudest:

    * envelope depth: the median over the blocks of the loudest frame's level over the block's
      median frame level (frames floored DEPTH_RANGE_DB below the loudest): how far the hits
      stand above what sounds between them. A compressor lifts what follows each hit toward the
      hit, so the depth falls, whatever the part's density or its instrument's loudness.
    * block crest: the BLOCK_CREST_PERCENTILE percentile over the blocks of the block's sample
      peak over its RMS.

    None (and 0 attacks) when the track is shorter than a block or silent.
    """
    frame = max(1, int(round(ENVELOPE_FRAME_S * sr)))
    peak, power = _frames(samples, frame)
    onsets = attack_onsets(power=power, frame_s=frame / sr)
    interval = float(np.median(np.diff(onsets))) * frame / sr if onsets.size > 1 else None
    per = max(1, int(round(BLOCK_S * sr / frame)))
    n_blocks = power.size // per
    if n_blocks == 0 or power.max() <= 0:
        return None, None, int(onsets.size), interval
    block_power = power[: n_blocks * per].reshape(n_blocks, per)
    block_peak = peak[: n_blocks * per].reshape(n_blocks, per).max(axis=1)
    block_ms = block_power.mean(axis=1)
    loud = block_ms > block_ms.max() * 10 ** (-BLOCK_RANGE_DB / 10)
    frames_db = 10 * np.log10(np.maximum(block_power[loud], block_power[loud].max() * 1e-12))
    top = frames_db.max(axis=1)
    floored = np.maximum(frames_db, top[:, np.newaxis] - DEPTH_RANGE_DB)
    depth = float(np.median(top - np.median(floored, axis=1)))
    crest = 20 * np.log10(block_peak[loud]) - 10 * np.log10(block_ms[loud])
    return depth, float(np.percentile(crest, BLOCK_CREST_PERCENTILE)), int(onsets.size), interval


def _gated_short_term(short: np.ndarray) -> np.ndarray:
    """Short-term loudness values that pass EBU Tech 3342's gates (absolute -70 LUFS, relative -20 LU)."""
    above = short[short > loudness.ABSOLUTE_GATE_LUFS]
    if above.size == 0:
        return above
    gate = 10 * math.log10(float(np.mean(10 ** (above / 10)))) + loudness.LRA_RELATIVE_GATE_LU
    return above[above > gate]


def measure_dynamics(
    *,
    samples: Frames,
    sr: int,
    stats: loudness.LoudnessStats | None = None,
    sub_energy: np.ndarray | None = None,
) -> DynamicsMeasure:
    """Dynamics measures of a track.

    Args:
        samples: np.ndarray [shape=(channels, n)], float32 (other dtypes are converted), or a stem
            file (read block by block).
        sr: sample rate in Hz.
        stats: :func:`ai.audio.loudness.measure_loudness` of ``samples`` when the caller has it.
        sub_energy: :func:`ai.audio.loudness.sub_block_powers` of ``samples`` when the caller has it.

    Loudness, true peak, LRA and crest come from :mod:`ai.audio.loudness` (BS.1770-4, EBU Tech 3342).
    """
    if isinstance(samples, StemFile):
        if sub_energy is None or stats is None:
            measured = stem_measures.measure_stem(samples)  # the same figures, block by block
            sub_energy = measured[0] if sub_energy is None else sub_energy
            stats = measured[2] if stats is None else stats
    else:
        array = _validated(samples)
        sub_energy = loudness.sub_block_powers(y=array, sr=sr) if sub_energy is None else sub_energy
        stats = loudness.measure_loudness(y=array, sr=sr, sub_energy=sub_energy) if stats is None else stats
        samples = array
    gated = _gated_short_term(loudness.short_term_loudness(sr=sr, sub_energy=sub_energy))
    percentiles = (
        {p: float(v) for p, v in zip(PERCENTILES, np.percentile(gated, PERCENTILES), strict=True)} if gated.size else {}
    )
    depth, block_crest, onsets, interval = envelope_measures(samples=samples, sr=sr)
    plr = (
        None
        if stats.true_peak_dbtp is None or stats.integrated_lufs is None
        else stats.true_peak_dbtp - stats.integrated_lufs
    )
    return DynamicsMeasure(
        crest_db=stats.crest_factor_db,
        plr_db=plr,
        lra_lu=stats.loudness_range_lu,
        short_term=percentiles,
        transient_db=depth,
        block_crest_db=block_crest,
        onsets=onsets,
        onset_interval_s=interval,
        integrated_lufs=stats.integrated_lufs,
        true_peak_dbtp=stats.true_peak_dbtp,
        sample_peak_dbfs=stats.sample_peak_dbfs,
        rms_dbfs=stats.rms_dbfs,
    )


def _validated(samples: np.ndarray) -> np.ndarray:
    if not isinstance(samples, np.ndarray) or samples.ndim != 2 or samples.shape[0] < 1:
        raise ValueError(f"samples must be a numpy array of shape (channels, n), got {getattr(samples, 'shape', None)}")
    return np.ascontiguousarray(samples, dtype=np.float32)


# --------------------------------------------------------------------------------------- norms


@dataclass(frozen=True)
class MeasureNorm:
    """Distribution of one measure over a role's training stems: {percentile: value}."""

    percentiles: dict[int, float]

    @property
    def median(self) -> float:
        return self.percentiles[50]

    def lower_spread(self, floor: float) -> float:
        """Robust sigma of the lower half: (p50 - p10) / 1.2816, at least ``floor``."""
        return max(floor, (self.percentiles[50] - self.percentiles[10]) / NORMAL_QUANTILE_90)

    def upper_spread(self, floor: float) -> float:
        """Robust sigma of the upper half: (p90 - p50) / 1.2816, at least ``floor``."""
        return max(floor, (self.percentiles[90] - self.percentiles[50]) / NORMAL_QUANTILE_90)


@dataclass(frozen=True)
class RoleNorm:
    """The norms of one role (or family): ``n`` training stems, a :class:`MeasureNorm` per measure."""

    name: str
    n: int
    measures: dict[str, MeasureNorm]

    def below(self, measure: str, value: float) -> float:
        """How far ``value`` lies below the median, in lower spreads (z; negative when above)."""
        norm = self.measures[measure]
        return (norm.median - value) / norm.lower_spread(SPREAD_FLOOR[measure])

    def above(self, measure: str, value: float) -> float:
        """How far ``value`` lies above the median, in upper spreads (z; negative when below)."""
        norm = self.measures[measure]
        return (value - norm.median) / norm.upper_spread(SPREAD_FLOOR[measure])


@dataclass(frozen=True)
class RoleDynamics:
    """Per-role and per-family norms plus the fitted decision thresholds (see the module docstring).

    Attributes:
        roles: role -> :class:`RoleNorm` (roles with training stems).
        families: family ("percussive", "tonal", "music") -> :class:`RoleNorm`.
        over_compressed_z: mean z below the norm (over SQUASH_MEASURES) that flags over-compression.
        over_compressed_high_z: the same, for high priority.
        uncontrolled_z: z of the loudness range above the norm that flags uncontrolled dynamics.
        uncontrolled_high_z: the same, for high priority.
        source: where the norms came from (the training command's summary).
    """

    roles: dict[str, RoleNorm]
    families: dict[str, RoleNorm]
    over_compressed_z: float
    over_compressed_high_z: float
    uncontrolled_z: float
    uncontrolled_high_z: float
    source: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def family(role: str) -> str:
        """The family of ``role`` (ROLE_FAMILY; "tonal" when not listed)."""
        return ROLE_FAMILY.get(role, "tonal")

    def norm(self, role: str) -> RoleNorm:
        """The role's own norm when it had MIN_ROLE_STEMS training stems, else its family's."""
        own = self.roles.get(role)
        if own is not None and own.n >= MIN_ROLE_STEMS:
            return own
        return self.families[self.family(role)]

    def to_dict(self) -> dict[str, Any]:
        def norm_dict(norm: RoleNorm) -> dict[str, Any]:
            return {
                "n": norm.n,
                **{m: {f"p{p}": round(v, 3) for p, v in mn.percentiles.items()} for m, mn in norm.measures.items()},
            }

        return {
            "version": 1,
            "measures": list(MEASURES),
            "thresholds": {
                "over_compressed_z": self.over_compressed_z,
                "over_compressed_high_z": self.over_compressed_high_z,
                "uncontrolled_z": self.uncontrolled_z,
                "uncontrolled_high_z": self.uncontrolled_high_z,
            },
            "roles": {role: norm_dict(norm) for role, norm in sorted(self.roles.items())},
            "families": {family: norm_dict(norm) for family, norm in sorted(self.families.items())},
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoleDynamics:
        """Inverse of :meth:`to_dict`. Raises ValueError on a malformed document."""
        try:

            def norm_of(name: str, entry: dict[str, Any]) -> RoleNorm:
                measures = {
                    m: MeasureNorm({int(k[1:]): float(v) for k, v in entry[m].items()}) for m in MEASURES if m in entry
                }
                for m, mn in measures.items():
                    if not {10, 50, 90} <= set(mn.percentiles):
                        raise ValueError(f"{name}.{m} lacks p10/p50/p90")
                return RoleNorm(name, int(entry["n"]), measures)

            thresholds = data["thresholds"]
            families = {name: norm_of(name, entry) for name, entry in data["families"].items()}
            for family in ("percussive", "tonal", "music"):
                if family not in families or set(families[family].measures) != set(MEASURES):
                    raise ValueError(f"family {family!r} is missing or incomplete")
            return cls(
                roles={name: norm_of(name, entry) for name, entry in data["roles"].items()},
                families=families,
                over_compressed_z=float(thresholds["over_compressed_z"]),
                over_compressed_high_z=float(thresholds["over_compressed_high_z"]),
                uncontrolled_z=float(thresholds["uncontrolled_z"]),
                uncontrolled_high_z=float(thresholds["uncontrolled_high_z"]),
                source=dict(data.get("source", {})),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed role dynamics norms: {exc!r}") from exc


def load_role_dynamics(path: Path | None = None) -> RoleDynamics:
    """Read the norms from ``path`` (JSON written by ``python -m training.role_dynamics``; default
    role_dynamics.json in DAWG_AI_MODELS_DIR, else models/).

    Raises OSError when the file cannot be read, ValueError when it is malformed.
    """
    return RoleDynamics.from_dict(json.loads(Path(path or model_path(SHIPPED_NORMS)).read_text()))


_DEFAULT_LOCK = threading.Lock()
_default: RoleDynamics | None = None


def default_role_dynamics() -> RoleDynamics:
    """The shipped norms, read once (lazily, behind a lock) and shared."""
    global _default
    with _DEFAULT_LOCK:
        if _default is None:
            _default = load_role_dynamics()
        return _default


# ----------------------------------------------------------------------------------- processing


def apply_compressor(
    *, samples: np.ndarray, sr: int, compressor: dict[str, Any], out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(channels, n)]) through a compressor; returns float32, same shape
    (written into ``out`` when given, which may be ``samples`` itself).

    ``compressor``: {"threshold_db", "ratio", "attack_ms", "release_ms", "makeup_db"} (dBFS, x:1,
    ms, ms, dB), optionally "stages": a list of such dicts applied in order (then the outer keys
    are ignored). pedalboard's compressor (JUCE's) is peak-sensing with a hard knee; ``knee_db``
    is not applied (the advice says 0 for that reason).
    """
    return run_board(compressor_board(compressor), _validated(samples), sr, out=out)


def compressor_board(compressor: dict[str, Any]) -> pedalboard.Plugin:
    """The pedalboard chain of :func:`apply_compressor`."""
    stages = compressor.get("stages") or [compressor]
    plugins: list[pedalboard.Plugin] = []
    for stage in stages:
        plugins.append(
            pedalboard.Compressor(
                threshold_db=float(stage["threshold_db"]),
                ratio=float(stage["ratio"]),
                attack_ms=float(stage["attack_ms"]),
                release_ms=float(stage["release_ms"]),
            )
        )
        if stage.get("makeup_db"):
            plugins.append(pedalboard.Gain(gain_db=float(stage["makeup_db"])))
    board: pedalboard.Plugin = pedalboard.Pedalboard(plugins)
    return board


def apply_automation(
    *, samples: np.ndarray, sr: int, sections: list[dict[str, float]], out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(channels, n)]) with per-section volume automation; float32
    (written into ``out`` when given, which may be ``samples`` itself).

    ``sections``: [{"start_s", "end_s", "gain_db"}]; gains change over RAMP_S ramps centred on the
    boundaries (linear in dB); outside every section the nearest section's gain holds.
    """
    samples = _validated(samples)
    n = samples.shape[1]
    if not sections:
        if out is None:
            return samples.copy()
        out[...] = samples
        return out
    result: np.ndarray = np.multiply(samples, automation_gains(sections, sr, n, 0, n), out=out)
    return result


def automation_gains(sections: list[dict[str, float]], sr: int, n: int, start: int, stop: int) -> np.ndarray:
    """The linear gains of :func:`apply_automation` (non-empty ``sections``) on samples ``start:stop``
    of an ``n``-sample track, np.ndarray [shape=(stop - start,), dtype=float32]: each sample's gain
    is computed on its own, so a block's are the whole curve's."""
    ordered = sorted(sections, key=lambda s: s["start_s"])
    times = [0.0]
    gains = [float(ordered[0]["gain_db"])]
    for previous, section in zip(ordered, ordered[1:], strict=False):
        boundary = float(section["start_s"])
        times += [max(times[-1], boundary - RAMP_S / 2), boundary + RAMP_S / 2]
        gains += [float(previous["gain_db"]), float(section["gain_db"])]
    times.append(n / sr)
    gains.append(float(ordered[-1]["gain_db"]))
    curve_db = np.interp(np.arange(start, stop) / sr, times, gains)
    result: np.ndarray = (10 ** (curve_db / 20)).astype(np.float32)
    return result


# ---------------------------------------------------------------------------------- the advice


def _block_levels(samples: Frames, sr: int) -> np.ndarray:
    """K-weighted loudness (LUFS, -inf when silent) of consecutive SECTION_BLOCK_S blocks."""
    sub = stem_measures.sub_block_powers(samples, sr)
    per = max(1, int(round(SECTION_BLOCK_S / loudness.HOP_S)))
    n = sub.size // per
    hop = max(1, int(round(loudness.HOP_S * sr)))
    power = sub[: n * per].reshape(n, per).sum(axis=1) / (per * hop)
    with np.errstate(divide="ignore"):
        result: np.ndarray = loudness.LOUDNESS_OFFSET + 10 * np.log10(power)
        return result


def find_sections(*, samples: Frames, sr: int) -> list[dict[str, float]]:
    """Sections of a track (an array or a stem file) at different levels: [{"start_s", "end_s", "level_lufs"}].

    Optimal segmentation (dynamic programming) of the SECTION_BLOCK_S block loudness into
    sections of at least MIN_SECTION_S, minimising the squared deviation of each block from its
    section's mean plus a BIC penalty of ``2 sigma^2 ln(n)`` per section, where ``sigma^2`` is the
    blocks' own variance within a section, estimated from neighbouring blocks (half the median
    squared difference, robust to the few steps between sections). Blocks more than
    SECTION_GATE_LU below the integrated loudness (rests) join whichever section holds them but do
    not count in its level. Neighbouring sections within SECTION_MERGE_DB merge.
    """
    levels = _block_levels(samples, sr)
    n = levels.size
    min_len = max(1, int(round(MIN_SECTION_S / SECTION_BLOCK_S)))
    finite = levels[np.isfinite(levels)]
    if finite.size == 0 or n < 2 * min_len:
        whole_track: dict[str, Any] = {
            "start_s": 0.0,
            "end_s": frame_count(samples) / sr,
            "level_lufs": _mean_level(finite),
        }
        return [whole_track]
    integrated = stem_measures.integrated_loudness(samples, sr)
    gate = (integrated if integrated is not None else float(finite.max())) + SECTION_GATE_LU
    active = np.isfinite(levels) & (levels > gate)
    x = np.where(active, levels, 0.0)
    diffs = np.diff(levels)[active[1:] & active[:-1]]
    sigma2 = max(0.25, float(np.median(diffs**2)) / 2) if diffs.size else 1.0
    penalty = 2 * sigma2 * math.log(max(2, int(active.sum())))
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    cn = np.concatenate(([0], np.cumsum(active)))

    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    back = np.zeros(n + 1, dtype=np.int64)
    for j in range(min_len, n + 1):
        starts = np.arange(0, j - min_len + 1)
        count = cn[j] - cn[starts]
        total = c1[j] - c1[starts]
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = np.where(count > 0, c2[j] - c2[starts] - total * total / np.maximum(count, 1), 0.0)
        value = best[starts] + cost + penalty
        k = int(np.argmin(value))
        if np.isfinite(value[k]):
            best[j] = value[k]
            back[j] = int(starts[k])
    # The last block(s) shorter than a section join the last section.
    end = n if np.isfinite(best[n]) else max(j for j in range(n + 1) if np.isfinite(best[j]))
    bounds = []
    j = end
    while j > 0:
        bounds.append((int(back[j]), j))
        j = int(back[j])
    bounds.reverse()
    bounds[-1] = (bounds[-1][0], n)
    sections: list[dict[str, Any]] = []  # {"_i": first block, "_j": end block, "level_lufs": float | None}
    for i, j in bounds:
        level = _mean_level(levels[i:j][active[i:j]])
        if sections and (
            level is None
            or sections[-1]["level_lufs"] is None
            or abs(level - sections[-1]["level_lufs"]) < SECTION_MERGE_DB
        ):
            merged_start = sections[-1]["_i"]
            sections[-1] = {
                "_i": merged_start,
                "_j": j,
                "level_lufs": _mean_level(levels[merged_start:j][active[merged_start:j]]),
            }
            continue
        sections.append({"_i": i, "_j": j, "level_lufs": level})
    duration = frame_count(samples) / sr
    return [
        {
            "start_s": s["_i"] * SECTION_BLOCK_S,
            "end_s": duration if s["_j"] == n else s["_j"] * SECTION_BLOCK_S,
            "level_lufs": s["level_lufs"],
        }
        for s in sections
    ]


def _mean_level(levels: np.ndarray) -> float | None:
    """Energy mean of loudness values (LUFS), None when there are none."""
    finite = levels[np.isfinite(levels)]
    if finite.size == 0:
        return None
    return float(10 * np.log10(np.mean(10 ** (finite / 10))))


def section_automation(*, samples: Frames, sr: int) -> list[dict[str, float]]:
    """Per-section gains that bring every section to the duration-weighted median section level.

    Returns [{"start_s", "end_s", "gain_db", "level_lufs"}] (one entry per section of
    :func:`find_sections`; a section of rests gets 0 dB).
    """
    sections = find_sections(samples=samples, sr=sr)
    known = [s for s in sections if s["level_lufs"] is not None]
    if not known:
        return []
    order = sorted(known, key=lambda s: s["level_lufs"])
    weights = np.cumsum([s["end_s"] - s["start_s"] for s in order])
    reference = order[int(np.searchsorted(weights, weights[-1] / 2))]["level_lufs"]
    return [
        {
            "start_s": round(s["start_s"], 3),
            "end_s": round(s["end_s"], 3),
            "gain_db": round(reference - s["level_lufs"], 1) if s["level_lufs"] is not None else 0.0,
            "level_lufs": s["level_lufs"],
        }
        for s in sections
    ]


@dataclass(frozen=True)
class CompressorAdvice:
    """A checked compressor: its settings (one or two stages) and the check's figures.

    ``compressor``: {"threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "makeup_db"};
    with two stages, the first stage's settings plus "stages": [stage 1, stage 2].
    ``check``: {"measure", "before", "after", "target", "moved", "passes", "crest_before_db",
    "crest_after_db", "integrated_before_lufs", "integrated_after_lufs"}.
    """

    compressor: dict[str, Any]
    check: dict[str, Any]


def _percussiveness(transient_db: float | None, norms: RoleDynamics) -> float:
    """0 (as smooth as the tonal family's median attack) .. 1 (as sharp as the percussive family's)."""
    if transient_db is None:
        return 0.0
    low = norms.families["tonal"].measures["transient_db"].median
    high = norms.families["percussive"].measures["transient_db"].median
    if high <= low:
        return 0.0
    return float(np.clip((transient_db - low) / (high - low), 0.0, 1.0))


def timing(*, measure: DynamicsMeasure, tempo_bpm: float | None, norms: RoleDynamics) -> tuple[float, float]:
    """(attack ms, release ms) for a compressor on this track.

    Attack: from ATTACK_MS[0] (sustained material) to ATTACK_MS[1] (percussive), linear in the
    track's transient strength between the tonal and the percussive families' medians. Release:
    an eighth note on percussive material (the gain recovers before the next hit), a quarter note
    on sustained material (it rides phrases without pumping), within RELEASE_MS. Without a tempo
    the beat is the median interval between the track's attacks (folded into 60-180 BPM), else
    DEFAULT_TEMPO_BPM.
    """
    p = _percussiveness(measure.transient_db, norms)
    attack = ATTACK_MS[0] + p * (ATTACK_MS[1] - ATTACK_MS[0])
    beat_s = 60.0 / tempo_bpm if tempo_bpm and tempo_bpm > 0 else None
    if beat_s is None and measure.onset_interval_s:
        beat_s = measure.onset_interval_s
        while beat_s < 60.0 / 180.0:
            beat_s *= 2
        while beat_s > 60.0 / 60.0:
            beat_s /= 2
    if beat_s is None:
        beat_s = 60.0 / DEFAULT_TEMPO_BPM
    note_s = beat_s / 2 if p >= 0.5 else beat_s
    release = float(np.clip(note_s * 1000.0, *RELEASE_MS))
    return round(attack, 1), round(release, 0)


def _detector_offset(samples: Frames, sr: int) -> float:
    """Median over the loud 400 ms blocks of (block sample peak dBFS - block momentary loudness LUFS).

    Moves a loudness-domain threshold into the peak domain a peak-sensing compressor detects in.
    """
    hop = max(1, int(round(loudness.HOP_S * sr)))
    momentary = loudness._block_loudness(stem_measures.sub_block_powers(samples, sr), sub_per_block=4, hop=hop)
    n_sub = frame_count(samples) // hop
    step = hop * max(1, stem_measures.READ_FRAMES // hop)  # whole sub-blocks per read
    sub_peak = np.concatenate(
        [np.zeros(0, dtype=np.float32)]
        + [
            np.abs(part).reshape(part.shape[0], -1, hop).max(axis=(0, 2))
            for part in (
                read_frames(samples, start, min(start + step, n_sub * hop)) for start in range(0, n_sub * hop, step)
            )
        ]
    )
    if momentary.size == 0 or sub_peak.size < 4 or not np.isfinite(momentary).any():
        return 0.0
    block_peak = np.lib.stride_tricks.sliding_window_view(sub_peak, 4).max(axis=1)[: momentary.size]
    loud = np.isfinite(momentary) & (momentary > momentary[np.isfinite(momentary)].max() + SECTION_GATE_LU)
    loud &= block_peak > 0
    if not loud.any():
        return 0.0
    return float(np.median(20 * np.log10(block_peak[loud]) - momentary[loud]))


def _check(
    samples: Frames, sr: int, compressor: dict[str, Any], before: DynamicsMeasure, target: float
) -> tuple[Frames, dict[str, Any]]:
    """(``samples`` through ``compressor``, the range check): a stem file's output is written block by
    block into a stem file beside it (the caller's to close) and measured from there."""
    out: Frames
    if isinstance(samples, StemFile):
        blocks = board_blocks(compressor_board(compressor), samples, sr)
        out = write_stem_file(blocks, channels=samples.channels, sample_rate=sr, directory=samples.path.parent)
        try:
            stats = stem_measures.measure_stem(out)[2]
        except BaseException:
            out.close()
            raise
    else:
        out = apply_compressor(samples=samples, sr=sr, compressor=compressor)
        stats = loudness.measure_loudness(y=out, sr=sr)
    return out, {
        **_range_check(before, stats.loudness_range_lu, target),
        "crest_before_db": before.crest_db,
        "crest_after_db": stats.crest_factor_db,
        "integrated_before_lufs": before.integrated_lufs,
        "integrated_after_lufs": stats.integrated_lufs,
    }


def _close(frames: Frames | None) -> None:
    """Delete ``frames`` when it is a stem file a check made (arrays need nothing)."""
    if isinstance(frames, StemFile):
        frames.close()


def _stage(
    samples: Frames,
    sr: int,
    measure: DynamicsMeasure,
    target: float,
    attack_ms: float,
    release_ms: float,
) -> tuple[dict[str, Any], Frames, dict[str, Any]]:
    """The gentlest single compressor (THRESHOLD_PERCENTILES order) whose check moves the range
    AIM_FRACTION of the way to ``target``, else the one that moves it furthest. The output returned
    is the caller's to close (:func:`_close`); the other checks' outputs go as they are passed over."""
    offset = _detector_offset(samples, sr)
    st = measure.short_term
    low, high = st.get(10), st.get(95)
    best: tuple[dict[str, Any], Frames, dict[str, Any]] | None = None
    if low is None or high is None:
        raise ValueError("the track has no short-term loudness to derive a compressor from")
    for percentile in THRESHOLD_PERCENTILES:
        threshold_lufs = st[percentile]
        room = target - (threshold_lufs - low)
        if room <= 0.25 * target:
            continue
        ratio = float(np.clip((high - threshold_lufs) / room, *RATIO_RANGE))
        settings = {
            "threshold_db": round(threshold_lufs + offset, 1),
            "ratio": round(ratio, 1),
            "attack_ms": attack_ms,
            "release_ms": release_ms,
            "knee_db": 0.0,
            "makeup_db": 0.0,
        }
        out, check = _check(samples, sr, settings, measure, target)
        if best is None or check["moved"] > best[2]["moved"]:
            _close(best[1] if best is not None else None)
            best = (settings, out, check)
        else:
            _close(out)
        if check["moved"] >= AIM_FRACTION:
            break
    if best is None:  # even the lowest threshold leaves no room: compress from the 10th percentile hard
        settings = {
            "threshold_db": round(low + offset, 1),
            "ratio": RATIO_RANGE[1],
            "attack_ms": attack_ms,
            "release_ms": release_ms,
            "knee_db": 0.0,
            "makeup_db": 0.0,
        }
        out, check = _check(samples, sr, settings, measure, target)
        best = (settings, out, check)
    settings, out, check = best
    if check["integrated_after_lufs"] is not None and measure.integrated_lufs is not None:
        # Makeup restores the integrated loudness; the check is run again with it, as the advice reads.
        settings = {**settings, "makeup_db": round(measure.integrated_lufs - check["integrated_after_lufs"], 1)}
        _close(out)
        out, check = _check(samples, sr, settings, measure, target)
    return settings, out, check


def suggest_compressor(
    *,
    samples: Frames,
    sr: int,
    measure: DynamicsMeasure,
    target_lra_lu: float,
    tempo_bpm: float | None,
    norms: RoleDynamics,
) -> CompressorAdvice:
    """A compressor derived from the signal that brings its loudness range toward ``target_lra_lu``, checked.

    Args:
        samples: np.ndarray [shape=(channels, n)] or a stem file, the track (a stem file's checks
            write their outputs into stem files beside it, deleted after).
        sr: sample rate (Hz).
        measure: :func:`measure_dynamics` of ``samples``.
        target_lra_lu: the loudness range to reach (LU), usually the role's median.
        tempo_bpm: the song's tempo, for the release (None: from the track's attacks).
        norms: the role norms (their transient medians set the attack).

    Threshold candidates are the short-term loudness percentiles THRESHOLD_PERCENTILES moved into
    the peak domain (:func:`_detector_offset`); each gets the ratio that maps the range above it
    (up to the 95th percentile) into what is left of the target range above the 10th percentile.
    Each candidate is applied (pedalboard) and the range measured again; the gentlest that moves it
    AIM_FRACTION of the way is kept. When none moves it CHECK_FRACTION of the way, a second stage
    derived the same way from the first stage's output follows it. Makeup gain restores the
    integrated loudness.

    Raises ValueError when the track has no short-term loudness (shorter than 3 s, or silent).
    """
    samples = samples if isinstance(samples, StemFile) else _validated(samples)
    attack, release = timing(measure=measure, tempo_bpm=tempo_bpm, norms=norms)
    first, out, check = _stage(samples, sr, measure, target_lra_lu, attack, release)
    try:
        if check["moved"] >= CHECK_FRACTION:
            return CompressorAdvice(first, check)
        second_measure = measure_dynamics(samples=out, sr=sr)
        if not second_measure.short_term:
            return CompressorAdvice(first, check)
        # The second stage works on the first's output (its makeup applied, so the levels line up).
        second, second_out, _ = _stage(out, sr, second_measure, target_lra_lu, attack, release)
        _close(second_out)
        chain = {**first, "stages": [first, second]}
        chain_out, chain_check = _check(samples, sr, chain, measure, target_lra_lu)
        _close(chain_out)
    finally:
        _close(out)
    if chain_check["moved"] <= check["moved"]:
        return CompressorAdvice(first, check)
    return CompressorAdvice(chain, chain_check)


def automation_check(
    *, samples: Frames, sr: int, sections: list[dict[str, float]], before: DynamicsMeasure, target: float
) -> dict[str, Any]:
    """Apply ``sections``' gains and measure again: {"measure", "before", "after", "target", "moved", "passes"}.
    A stem file is gained and K-weighted block by block, its output never kept."""
    if not isinstance(samples, StemFile):
        out = apply_automation(samples=samples, sr=sr, sections=sections)
        return _range_check(before, loudness.loudness_range(y=out, sr=sr), target)
    weighting = KWeighting(samples.channels, sr)
    n = samples.n_samples
    for start in range(0, n, stem_measures.READ_FRAMES):
        stop = min(start + stem_measures.READ_FRAMES, n)
        piece = samples.read(start, stop)
        weighting.feed(piece * automation_gains(sections, sr, n, start, stop) if sections else piece)
    short_term = loudness.short_term_loudness(sr=sr, sub_energy=weighting.sub_energy())
    return _range_check(before, loudness._loudness_range(short_term), target)


def _range_check(before: DynamicsMeasure, after: float | None, target: float) -> dict[str, Any]:
    """How far a move took the loudness range toward ``target``: the share of the way (``moved``),
    and whether that is at least CHECK_FRACTION."""
    lra = before.lra_lu or 0.0
    moved = (lra - after) / (lra - target) if after is not None and lra > target else 0.0
    return {
        "measure": "loudness_range_lu",
        "before": lra,
        "after": after,
        "target": target,
        "moved": moved,
        "passes": moved >= CHECK_FRACTION,
    }


# ------------------------------------------------------------------------------------ findings


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
    z, zs = over_compression_z(measure=measure, norm=norm)
    if z is None or z < norms.over_compressed_z:
        return None
    crest_norm = norm.measures["crest_db"].median
    plr_norm = norm.measures["plr_db"].median
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
        f"{label} sounds over-compressed: crest factor {crest:.1f} dB (a {_norm_noun(norm)} is typically "
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
        norms: :class:`RoleDynamics` (e.g. :func:`default_role_dynamics`).

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
                f"{label} swings {lra:.1f} LU in loudness (a {_norm_noun(norm)} is typically {target:.1f}): "
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
            f"{s['ratio']:g}:1 at {s['threshold_db']:.1f} dBFS (makeup {s['makeup_db']:+.1f} dB)" for s in stages
        )
        settings = f"two compressors in series, {how}, attack {c['attack_ms']:g} ms, release {c['release_ms']:g} ms"
    else:
        settings = (
            f"ratio {c['ratio']:g}:1, threshold {c['threshold_db']:.1f} dBFS, attack {c['attack_ms']:g} ms, "
            f"release {c['release_ms']:g} ms, makeup {c['makeup_db']:+.1f} dB"
        )
    after = advice.check["after"]
    result = f"; applied, it brings the range from {lra:.1f} to {after:.1f} LU" if after is not None else ""
    if not advice.check["passes"]:
        result += (
            f" (short of the {target:.1f} LU a {_norm_noun(norm)} usually has: ride the fader on the worst phrases too)"
        )
    return Suggestion(
        "dynamics",
        f"{label} swings {lra:.1f} LU in loudness (a {_norm_noun(norm)} is typically {target:.1f}): notes and "
        "phrases jump out and drop away.",
        priority,
        name,
        f"Compress {name}: {settings}{result}.",
        confidence,
        evidence,
        {"kind": "compressor", "compressor": c, "check": advice.check},
    )
