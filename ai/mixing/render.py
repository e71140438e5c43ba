"""Render the mix the engine suggests: apply its moves to the stems, sum them, master, measure again.

:func:`render_mix_report` takes the stems and the report of :func:`ai.mixing.suggest.suggest`
(computed here when not given) and applies, with pedalboard (Spotify's audio processing library):

1. per track, the actions of the report's problem findings that name the track, in the order a
   channel strip runs them: high-pass, EQ (bells, shelves), compressor (+ make-up gain), volume
   automation (the compressor and the automation are :mod:`ai.mixing.dynamics`' own functions,
   the ones its advice was checked with);
2. the fader and the pan: auto-level's gains and pans (:func:`ai.mixing.auto_level.level_items`,
   computed on the processed stems, since EQ and compression change a track's loudness), or, when
   auto-level is not asked for, the gains of the level findings; a finding's own pan move wins;
3. the sum (the pan law of :func:`ai.mixing.auto_level.pan_gains`) and the moves filed under the
   mix bus (:data:`ai.mixing.findings.MIX_BUS`);
4. optionally a master: a gain to the loudness target into a limiter, searched on the engine's
   own loudness and true-peak measures (:func:`master_to_target`), so that the master is on the
   target's loudness with its true peak at or below the ceiling (-1 dBTP);
5. the engine's own analysis again (``suggest`` on the processed stems as they sit in the mix, and
   on the master when there is one), and which of the findings it acted on are gone.

What is not applied, and why, is listed too: advice (``info``), moves of a kind not asked for,
moves no render can make (clipped peaks must be re-exported; reverb already in a stem cannot be
taken out), and moves that another one covers (auto-level's balance is what the level findings
measure against; two cuts in the same band of one track are not stacked).
"""

from __future__ import annotations

import io
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pedalboard
import soundfile as sf

from ai import pools, progress
from ai.audio import loudness
from ai.audio.decode import DecodedAudio
from ai.audio.loudness_meter import LoudnessMeter
from ai.audio.stem_file import (
    Audio,
    Frames,
    StemFile,
    close_all,
    frame_blocks,
    frame_count,
    read_frames,
    write_stem_file,
)
from ai.heap import release_free_memory
from ai.mixing import board_blocks as blocks
from ai.mixing.auto_level import LevelItem, level_items, mix_blocks, pan_gains, render_mix
from ai.mixing.board_blocks import board_blocks, run_board
from ai.mixing.dynamics import apply_automation, apply_compressor, automation_gains, compressor_board
from ai.mixing.findings import MIX_BUS, Suggestion, rounded
from ai.mixing.measure import PreparedTrack, TrackInput, close_made, prepare_tracks
from ai.mixing.stem_measures import integrated_loudness, loudness_of, true_peak
from ai.mixing.suggest import MixReport, suggest, suggest_prepared
from ai.mixing.targets import PRE_MASTER_LUFS, TRUE_PEAK_CEILING_DBTP, LoudnessTarget, resolve_target
from utils.errors import InvalidParameter, NoAudioFound

logger = logging.getLogger(__name__)

APPLY_KINDS: tuple[str, ...] = ("auto_level", "gain", "pan", "eq", "compressor", "automation", "stereo")
"""Kinds of move a render can apply: auto-level's gains and pans, and the findings' actions by kind."""
DEFAULT_APPLY: frozenset[str] = frozenset(APPLY_KINDS)
"""Every kind, unless the caller names fewer."""
NOT_RENDERED: dict[str, str] = {
    "back_off": "compression already in the stem cannot be undone by a render: back off the compressor at its source",
    "reverb": "space moves (reverb) are sends in the DAW; the render does not add or remove reverb",
    "delay": "space moves (delay) are sends in the DAW; the render does not add delays",
}
"""Why a kind of move is not rendered, for the kinds the analyses are known to give."""
EQ_PEAK_TYPES = frozenset({"bell", "cut", "boost", "peak"})
"""EQ types rendered as a peak (bell) filter."""
HIGH_PASS_ORDER = 4
"""Order of a high-pass move's Butterworth filter (24 dB/octave, -3 dB at the move's frequency):
the rumble finding's frequency is the role's lowest useful one and everything below it is the
problem, so the render uses the steep end of the usual rumble filters (a 40 Hz rumble under a
60 Hz cut-off comes out 14 dB lower; 2nd order: 8 dB)."""
SHELF_FLOOR_DB = 48.0
"""pedalboard has no second-order high-pass, so each Butterworth pole pair is a low shelf this deep
(RBJ: its poles sit at the shelf's frequency / sqrt(A), A = 10^(-floor/40), with the shelf's Q,
its zeros far below): a 12 dB/octave high-pass down to -48 dB. Measured against the ideal 4th-order
Butterworth from an impulse: within 0.1 dB from fc/4 up at 60-200 Hz, and within 1 dB at 20 Hz
(a deeper floor loses float precision there: 72 dB is 1.3 dB off at 20 Hz)."""
SAME_BAND_OCTAVES = 1.0 / 3.0
"""Two EQ moves (bell or shelf) of one type on one track closer than this are one move: the larger
is kept (two findings that both cut a bass at 80 Hz must not cut it twice). A third of an octave
is the tolerance issue 12 gives an EQ move's frequency."""
MIN_EQ_HZ = 10.0
"""Lowest EQ frequency rendered; a move below it is raised to it."""
MAX_EQ_FRACTION_OF_RATE = 0.45
"""Highest EQ frequency rendered, as a fraction of the sample rate (the filters' designs need room
below Nyquist)."""
LIMITER_RATIO = 1000.0
"""Ratio of the limiter (a pedalboard Compressor used as a brickwall, as the second stage of JUCE's
own Limiter is). pedalboard's two limiters do not fit a master: ``Limiter`` adds 3.75 dB of gain
after its brickwall and hard-clips at 0 dBFS (measured: a -40 dBFS tone comes out 3.75 dB louder
than its threshold implies, a loud one flat at 0 dBFS); ``BrickwallLimiter`` never releases while
the signal stays above its ceiling, so on dense music more drive stops lowering the peak-to-loudness
ratio (measured on a training song: 12.2 dB at 10 dB of drive, 14.5 dB at 30 dB): none of 16
training mixes reached the -9 LUFS club target with it, 13 of 16 do with this one."""
LIMITER_ATTACK_MS = 0.01
"""Attack of the limiter: instant at audio rates (10 us is under one sample at 44.1 kHz)."""
LIMITER_RELEASE_MS = 100.0
"""Release of the limiter: JUCE's Limiter default, between the 50-200 ms mastering limiters use."""
LIMITER_THRESHOLD_DB = -20.0
"""The compressor's fixed threshold; :func:`limit` shifts the gain around it, so the signal is the
same distance above it whatever the ceiling (the limiter is then scale-invariant)."""
PLR_TOLERANCE_DB = 0.25
"""The drive search stops when the limited signal's peak-to-loudness ratio is at most this under
the goal: at most 0.25 dB more limiting than the ceiling needs (the loudness is then set exactly;
the true peak lands up to 0.25 dB under the ceiling)."""
CEILING_GUARD_DB = 0.01
"""The master's true peak is aimed this far under the ceiling, so rounding never reads as over it."""
MASTER_MAX_PASSES = 8
"""Limiter passes (about 0.4 s each on a 3-minute mix) before the drive search stops with its best."""
MAX_DRIVE_DB = 30.0
"""Most limiting the search tries: beyond this a mix is destroyed, not mastered."""
AUDIBLE_LIMITING_DB = 6.0
"""Limiting drive above which limiting is audible (pumping, dulled transients): the report says so.
The same 6 dB the mastering finding of :mod:`ai.mixing.suggest` warns at."""
LEVEL_CEILING_MARGIN_DB = 0.1
"""Auto-level's sum is held this far under the true-peak ceiling: it puts the peak exactly on the
ceiling, where float rounding reads as over it (a headroom finding in the re-measurement)."""
EXPORT_PEAK = 10 ** (TRUE_PEAK_CEILING_DBTP / 20)
"""An unmastered render whose samples would reach full scale is lowered to peak at the ceiling
(the export is fixed point; full scale would clip it)."""
DITHER_SEED = 0
"""Seed of the 16-bit TPDF dither: the same stems give byte-identical files."""
ENCODE_BLOCK = 1 << 18
"""Frames encoded at a time (the dither and clipping are never made for the whole file at once)."""
FORMATS = ("wav", "flac")
"""Audio file formats :func:`encode_audio` writes."""
BIT_DEPTHS = {16: "PCM_16", 24: "PCM_24"}
"""Bit depth -> libsndfile subtype."""


@dataclass(frozen=True)
class Move:
    """One move to render. ``source``: the finding it answers (type, band, message) or "auto_level"."""

    kind: str
    params: dict[str, Any]
    source: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **rounded(self.params), "for": self.source}


@dataclass
class RenderResult:
    """What :func:`render_mix_report` rendered.

    Attributes:
        samples: np.ndarray [shape=(2, n), dtype=float32]: the mix (mastered when ``master``), or a
            stem file when the stems were (the caller closes it: :meth:`close`).
        sample_rate: Hz.
        applied: per track (and the mix bus last): {"track", "role", "moves": [...], "gain_db", "pan"}.
        skipped: the findings' moves not applied, each with the reason.
        master: the mastering pass (gain, limiter, loudness, true peak, iterations), or None.
        measured_after: the rendered mix measured, and the acted-on findings that are gone or remain.
        report_before / report_after: the engine's reports on the stems before and after.
    """

    samples: Frames
    sample_rate: int
    applied: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    master: dict[str, Any] | None
    measured_after: dict[str, Any]
    report_before: MixReport
    report_after: MixReport | None
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    """Wall time of each stage (suggest, process, level, master, remeasure); not in :meth:`to_dict`
    (the same stems must give the same answer)."""

    @property
    def duration_s(self) -> float:
        return frame_count(self.samples) / self.sample_rate

    def close(self) -> None:
        """Delete the mix's stem file, if it is one."""
        close_all([self.samples])

    def to_dict(self) -> dict[str, Any]:
        """Everything but the samples, JSON-ready."""
        return {
            "sample_rate": self.sample_rate,
            "duration_s": round(self.duration_s, 3),
            "applied": self.applied,
            "skipped": rounded(self.skipped),
            "master": rounded(self.master) if self.master else None,
            "measured_after": rounded(self.measured_after),
            "notes": list(self.notes),
        }


def parse_apply(value: str | Collection[str] | None) -> frozenset[str]:
    """``"eq, compressor"``, ``["eq", "compressor"]``, ``"all"`` / None / "" (all), ``"none"`` or an empty
    collection (none) -> the kinds to apply.

    Raises InvalidParameter('apply', ...) for an unknown kind.
    """
    if value is None:
        return DEFAULT_APPLY
    items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
    kinds = {str(item).strip().lower() for item in items if str(item).strip()}
    if kinds == {"all"} or (not kinds and isinstance(value, str)):
        return DEFAULT_APPLY
    if kinds == {"none"}:
        return frozenset()
    unknown = sorted(kinds - set(APPLY_KINDS))
    if unknown:
        raise InvalidParameter("apply", f"unknown move kind {unknown[0]!r}; use all, none or {', '.join(APPLY_KINDS)}")
    return frozenset(kinds)


# ----------------------------------------------------------------------------------- plugins


def high_pass_plugins(freq_hz: float, order: int = HIGH_PASS_ORDER) -> list[pedalboard.Plugin]:
    """A Butterworth high-pass of ``order`` at ``freq_hz`` (-3 dB there) from pedalboard filters: one
    deep low shelf per pole pair (see SHELF_FLOOR_DB), with the Butterworth Q of that pair
    (1 / (2 sin((2k - 1) pi / 2n))), and a first-order HighpassFilter for an odd order."""
    a = 10 ** (-SHELF_FLOOR_DB / 40)
    plugins: list[pedalboard.Plugin] = [
        pedalboard.LowShelfFilter(
            cutoff_frequency_hz=freq_hz * math.sqrt(a),
            gain_db=-SHELF_FLOOR_DB,
            q=1 / (2 * math.sin((2 * k - 1) * math.pi / (2 * order))),
        )
        for k in range(1, order // 2 + 1)
    ]
    if order % 2:
        plugins.append(pedalboard.HighpassFilter(cutoff_frequency_hz=freq_hz))
    return plugins


def eq_plugins(eq: dict[str, Any], sr: int) -> list[pedalboard.Plugin]:
    """pedalboard filters for one EQ move {"type", "freq_hz", "gain_db", "q"}.

    Types: "high_pass" (Butterworth of HIGH_PASS_ORDER, -3 dB at ``freq_hz``; ``q`` and
    ``gain_db`` unused), "bell" / "cut" / "boost" / "peak" (PeakFilter: ``gain_db`` at
    ``freq_hz``, bandwidth ``freq_hz / q``), "low_shelf", "high_shelf" (``freq_hz`` is the
    shelf's half-gain point). Raises ValueError for another type.
    """
    kind = str(eq.get("type", "")).lower()
    freq = float(np.clip(float(eq["freq_hz"]), MIN_EQ_HZ, MAX_EQ_FRACTION_OF_RATE * sr))
    gain = float(eq.get("gain_db") or 0.0)
    q = float(eq.get("q") or 0.707)
    if kind == "high_pass":
        return high_pass_plugins(freq)
    if kind in EQ_PEAK_TYPES:
        return [pedalboard.PeakFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    if kind == "low_shelf":
        return [pedalboard.LowShelfFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    if kind == "high_shelf":
        return [pedalboard.HighShelfFilter(cutoff_frequency_hz=freq, gain_db=gain, q=q)]
    raise ValueError(f"EQ type {kind!r} is not rendered")


def changes_audio(moves: list[Move]) -> bool:
    """Whether :func:`process_track` changes a track's samples for ``moves``."""
    return any(m.kind in ("stereo", "eq", "compressor", "automation") for m in moves)


def process_track(samples: np.ndarray, sr: int, moves: list[Move], *, in_place: bool = False) -> np.ndarray:
    """np.ndarray [shape=(2, n), dtype=float32] through a channel strip's processing, in its order:
    polarity and width (:func:`apply_stereo`), high-pass, EQ (pedalboard filters), compressor (:func:`ai.mixing.dynamics.apply_compressor`,
    the function the dynamics advice checked itself with), volume automation
    (:func:`ai.mixing.dynamics.apply_automation`). Gains and pans come later. Returns ``samples``
    itself when there is nothing to do; else ``samples`` processed in place when ``in_place``
    (a float32 array the caller gives up), or a new array."""
    eqs = sorted((m for m in moves if m.kind == "eq"), key=lambda m: m.params.get("type") != "high_pass")
    out = samples
    owned = in_place  # whether ``out`` may be written: after the first step it is always ours
    for move in moves:
        if move.kind == "stereo":
            if not owned:
                out, owned = np.array(out, dtype=np.float32, copy=True), True
            apply_stereo(
                out,
                flip_right=bool(move.params.get("flip_right")),
                side_gain_db=float(move.params.get("side_gain_db", 0.0)),
            )
    plugins = [plugin for move in eqs for plugin in eq_plugins(move.params, sr)]
    if plugins:
        board = pedalboard.Pedalboard(plugins)
        out, owned = run_board(board, out, sr, out=out if owned else None), True
    for move in moves:
        if move.kind == "compressor":
            out = apply_compressor(samples=out, sr=sr, compressor=move.params, out=out if owned else None)
            owned = True
    for move in moves:
        if move.kind == "automation":
            out = apply_automation(samples=out, sr=sr, sections=move.params["sections"], out=out if owned else None)
            owned = True
    return out


STEREO_BLOCK = 1 << 16
"""Frames per block of :func:`apply_stereo` (its mid and side are never whole-track arrays)."""


def apply_stereo(samples: np.ndarray, *, flip_right: bool = False, side_gain_db: float = 0.0) -> None:
    """In place on np.ndarray [shape=(2, n), dtype=float32]: the right channel's polarity flipped, then
    the side signal (L - R) / 2 scaled by ``side_gain_db`` against the mid (L + R) / 2 (a width control:
    what the phase finding asks for). A 2 x 2 matrix per sample: numpy, no plug-in needed."""
    if samples.shape[0] != 2:
        return
    if flip_right:
        samples[1] *= np.float32(-1.0)
    if side_gain_db == 0.0:
        return
    side_gain = np.float32(10.0 ** (side_gain_db / 20.0))
    for start in range(0, samples.shape[1], STEREO_BLOCK):
        left, right = samples[0, start : start + STEREO_BLOCK], samples[1, start : start + STEREO_BLOCK]
        mid = (left + right) * np.float32(0.5)
        side = (left - right) * np.float32(0.5) * side_gain
        np.add(mid, side, out=left)
        np.subtract(mid, side, out=right)


def strip_blocks(samples: Frames, sr: int, moves: list[Move]) -> Iterator[np.ndarray]:
    """:func:`process_track` a block at a time (board_blocks.BLOCK frames, the blocks its pedalboard
    chains run in: the same samples), for a stem file whose processed copy is written as it comes:
    np.ndarray [shape=(2, m), dtype=float32] blocks in order."""
    eqs = sorted((m for m in moves if m.kind == "eq"), key=lambda m: m.params.get("type") != "high_pass")
    plugins = [plugin for move in eqs for plugin in eq_plugins(move.params, sr)]
    boards: list[pedalboard.Plugin] = [pedalboard.Pedalboard(plugins)] if plugins else []
    boards += [compressor_board(m.params) for m in moves if m.kind == "compressor"]
    for board in boards:
        board.reset()
    n = frame_count(samples)
    for start in range(0, n, blocks.BLOCK):
        block = np.array(read_frames(samples, start, start + blocks.BLOCK), dtype=np.float32)  # a copy of our own
        for move in moves:
            if move.kind == "stereo":
                apply_stereo(
                    block,
                    flip_right=bool(move.params.get("flip_right")),
                    side_gain_db=float(move.params.get("side_gain_db", 0.0)),
                )
        for board in boards:
            block = np.ascontiguousarray(board.process(block, sr, reset=False), dtype=np.float32)
        for move in moves:
            if move.kind == "automation" and move.params["sections"]:
                np.multiply(
                    block, automation_gains(move.params["sections"], sr, n, start, start + block.shape[1]), out=block
                )
        yield block


def _file_of(stream: Iterable[np.ndarray], like: StemFile) -> StemFile:
    """``stream``'s blocks in a new stereo stem file beside ``like``, at its rate."""
    return write_stem_file(stream, channels=2, sample_rate=like.sample_rate, directory=like.path.parent)


def _scaled(samples: StemFile, scale: np.ndarray | np.float32) -> StemFile:
    """``samples * scale`` (the same products as on the whole array), in a new stem file."""
    return _file_of((block * scale for block in samples.blocks(blocks.BLOCK)), samples)


# ----------------------------------------------------------------------------------- moves


def finding_key(s: Suggestion) -> tuple[Any, ...]:
    """What makes two findings (before and after a render) the same problem: type, track, band,
    the evidence's ``problem`` (dynamics, space) and, for masking, the pair of tracks."""
    problem = s.evidence.get("problem") if isinstance(s.evidence, dict) else None
    pair = tuple(sorted(s.tracks)) if s.type == "masking" else ()
    return (s.type, _target_of(s), s.band, problem, pair)


def _target_of(s: Suggestion) -> str | None:
    """The track a finding's move acts on: its track, or the mix bus for findings filed there."""
    if s.track == MIX_BUS or (s.track is None and MIX_BUS in s.tracks):
        return MIX_BUS
    return s.track


def _source(s: Suggestion) -> dict[str, Any]:
    return {"type": s.type, "band": s.band, "priority": s.priority, "message": s.message}


@dataclass
class _Plan:
    moves: dict[str, list[Move]]
    skipped: list[dict[str, Any]]
    acted_on: list[Suggestion]
    """Findings a move answers (applied, or covered by auto-level or mastering)."""


def plan_moves(
    suggestions: list[Suggestion], *, track_names: list[str], apply: frozenset[str], mastering: bool
) -> _Plan:
    """Sort the report's findings into moves per track (and MIX_BUS), skips with reasons, and the
    findings acted on. See the module docstring for what is skipped."""
    moves: dict[str, list[Move]] = {name: [] for name in [*track_names, MIX_BUS]}
    skipped: list[dict[str, Any]] = []
    acted_on: list[Suggestion] = []
    compressors: dict[str, Move] = {}

    def skip(s: Suggestion, reason: str) -> None:
        skipped.append({"track": _target_of(s), "type": s.type, "band": s.band, "action": s.action, "reason": reason})

    for s in suggestions:
        target = _target_of(s)
        action = s.action or {}  # no action, or an empty one: no move
        kind = action.get("kind")
        if s.info:
            skip(s, "advice, not a problem (info)")
            continue
        if kind is None:
            skip(s, "the finding has no move to apply")
            continue
        if target is None or target not in moves:
            skip(s, f"no track named {target!r} in the render")
            continue
        if s.type in ("loudness", "true_peak") or kind == "limiter":
            if mastering:
                acted_on.append(s)
                skip(s, "covered by mastering")
            else:
                skip(s, "a mastering move: ask for master=true")
            continue
        if s.type == "clipping":
            skip(s, "clipped peaks cannot be restored by a gain in the render: re-export the stem lower")
            continue
        if kind == "gain" and "auto_level" in apply and (s.type == "level" or target == MIX_BUS):
            # Auto-level's balance is what the level findings measure against, and it sets the
            # sum's level under the ceiling (what the mix-bus headroom findings ask for).
            acted_on.append(s)
            skip(s, "covered by auto-level")
            continue
        if kind == "gain" and target == MIX_BUS and mastering:
            acted_on.append(s)
            skip(s, "covered by mastering")
            continue
        if kind not in APPLY_KINDS or kind == "auto_level":
            skip(s, NOT_RENDERED.get(kind, f"moves of kind {kind!r} are not rendered"))
            continue
        if kind not in apply:
            skip(s, f"kind {kind!r} not asked for (apply)")
            continue
        if kind == "eq":
            eq = dict(action["eq"])
            if eq.get("type") not in (*EQ_PEAK_TYPES, "high_pass", "low_shelf", "high_shelf"):
                skip(s, f"EQ type {eq.get('type')!r} is not rendered")
                continue
            freq = eq.get("freq_hz")
            if not isinstance(freq, int | float) or not math.isfinite(freq) or freq <= 0:
                logger.warning("EQ move without a usable frequency on %s (%s): %r", target, s.type, eq)
                skip(s, f"the EQ move has no usable frequency ({freq!r})")
                continue
            merged = _merge_eq(moves[target], Move("eq", eq, _source(s)))
            if merged is not None:
                skip(s, merged)
                acted_on.append(s)
                continue
        elif kind == "compressor":
            params = {k: v for k, v in action["compressor"].items()}
            stages = params.get("stages") or [params]
            if any(float(stage.get("ratio", 1.0)) < 1.0 for stage in stages):
                skip(s, "a ratio below 1 is an expander, not rendered")
                continue
            if target in compressors:
                skip(s, "one compressor per track: the first (highest priority) is applied")
                continue
            compressors[target] = Move("compressor", params, _source(s))
            moves[target].append(compressors[target])
        elif kind == "automation":
            if target == MIX_BUS or not action.get("sections"):
                skip(s, "volume automation is rendered on a track with sections only")
                continue
            moves[target].append(Move("automation", {"sections": list(action["sections"])}, _source(s)))
        elif kind == "stereo":
            if target == MIX_BUS:
                skip(s, "a stereo move on the mix bus is not rendered")
                continue
            stereo = dict(action.get("stereo") or {})
            moves[target] = [m for m in moves[target] if m.kind != "stereo"]
            moves[target].append(Move("stereo", stereo, _source(s)))
        elif kind == "gain":
            moves[target].append(Move("gain", {"gain_db": float(action["gain_db"])}, _source(s)))
        elif kind == "pan":
            if target == MIX_BUS:
                skip(s, "a pan move on the mix bus is not rendered")
                continue
            moves[target] = [m for m in moves[target] if m.kind != "pan"]
            moves[target].append(Move("pan", {"pan": float(action["pan"])}, _source(s)))
        acted_on.append(s)
    return _Plan(moves, skipped, acted_on)


def _merge_eq(existing: list[Move], new: Move) -> str | None:
    """Add ``new`` to ``existing`` unless a move of its type already acts near it; the larger of the
    two stays. Returns the reason when ``new`` is not added as a move of its own."""
    kind = new.params.get("type")
    peak = kind in EQ_PEAK_TYPES
    for k, move in enumerate(existing):
        if move.kind != "eq":
            continue
        other = move.params.get("type")
        if not ((peak and other in EQ_PEAK_TYPES) or other == kind):
            continue
        if kind == "high_pass":
            keep_new = float(new.params["freq_hz"]) > float(move.params["freq_hz"])
            if keep_new:
                existing[k] = new
            return "one high-pass per track: the higher one is applied"
        distance = abs(math.log2(float(new.params["freq_hz"]) / float(move.params["freq_hz"])))
        same_sign = (float(new.params.get("gain_db") or 0.0) >= 0) == (float(move.params.get("gain_db") or 0.0) >= 0)
        if distance < SAME_BAND_OCTAVES and same_sign:
            if abs(float(new.params.get("gain_db") or 0.0)) > abs(float(move.params.get("gain_db") or 0.0)):
                existing[k] = new
            return f"another {kind} move within 1/3 octave on this track: the larger one is applied"
    existing.append(new)
    return None


# ----------------------------------------------------------------------------------- mastering


def limit(
    samples: np.ndarray, sr: int, *, gain_db: float, ceiling_db: float, out: np.ndarray | None = None
) -> np.ndarray:
    """``samples`` (np.ndarray [shape=(2, n)]) raised by ``gain_db`` into a brickwall limiter whose
    sample peaks stay at ``ceiling_db`` dBFS: a pedalboard Compressor at LIMITER_RATIO with an
    instant attack, between two gains that put the ceiling on its threshold. Scale-invariant: the
    gain and the ceiling shift the result by the same dB. ``out``: where to write the result (may
    be ``samples`` itself)."""
    return run_board(limiter(gain_db=gain_db, ceiling_db=ceiling_db), samples, sr, out=out)


def limiter(*, gain_db: float, ceiling_db: float) -> pedalboard.Plugin:
    """The chain of :func:`limit`."""
    plugins = [
        pedalboard.Gain(gain_db=gain_db + LIMITER_THRESHOLD_DB - ceiling_db),
        pedalboard.Compressor(
            threshold_db=LIMITER_THRESHOLD_DB,
            ratio=LIMITER_RATIO,
            attack_ms=LIMITER_ATTACK_MS,
            release_ms=LIMITER_RELEASE_MS,
        ),
        pedalboard.Gain(gain_db=ceiling_db - LIMITER_THRESHOLD_DB),
    ]
    board: pedalboard.Plugin = pedalboard.Pedalboard(plugins)
    return board


def _limited(samples: Frames, sr: int, drive_db: float, peak_db: float) -> tuple[float, float]:
    """The integrated loudness and true peak (the engine's own measures) of the signal limited at
    0 dBFS after raising its true peak ``drive_db`` above it, measured block by block as the
    limiter makes them (the limited signal is never whole). ``peak_db``: the input's true peak."""
    meter = LoudnessMeter(channels=samples.shape[0], sr=sr)
    for block in board_blocks(limiter(gain_db=drive_db - peak_db, ceiling_db=0.0), samples, sr):
        meter.feed(block)
    stats = meter.result()
    if stats.integrated_lufs is None or stats.true_peak_dbtp is None:
        raise ValueError("the limited signal is silent")
    return stats.integrated_lufs, stats.true_peak_dbtp


def master_to_target(
    samples: Frames, sr: int, *, target: LoudnessTarget, in_place: bool = False
) -> tuple[Frames, dict[str, Any]]:
    """A master of ``samples`` (np.ndarray [shape=(2, n), dtype=float32]) at ``target``'s loudness
    with its true peak at or below ``target.ceiling_dbtp`` (written over ``samples`` when
    ``in_place``: a mix the caller gives up).

    The limiter (:func:`limit`) is scale-invariant: limiting at a ceiling c after a gain g is
    limiting at 0 dBFS after a gain g - c, then a gain c. So the master is found in one variable,
    the drive (how far the input's true peak is pushed above the limiter's ceiling): the drive is
    searched (bracketed secant, on the engine's own BS.1770 loudness and 4x oversampled true
    peak) until the limited signal's peak-to-loudness ratio (PLR, true peak - integrated
    loudness) is at most the target's (ceiling - target loudness) and within PLR_TOLERANCE_DB of
    it; one gain then sets the loudness exactly on the target, and the true peak lands at or just
    under the ceiling. A mix whose PLR is already small enough gets the gain alone (no limiting).
    When no drive up to MAX_DRIVE_DB gets there, the ceiling wins: the master stays under it,
    quieter than the target, and ``within_tolerance`` says so.

    Returns the master and a dict of what was done (gain, drive, limiter, loudness, true peak,
    passes, within_tolerance, note). A stem file is read block by block and its master written into
    a new stem file beside it (or the same file when it is silent).
    """
    lufs_in = integrated_loudness(samples, sr)
    peak_in = loudness.amplitude_to_db(true_peak(samples, sr))
    info: dict[str, Any] = {"target": target.to_dict(), "input_loudness_lufs": lufs_in, "input_true_peak_dbtp": peak_in}
    if lufs_in is None or peak_in is None:
        return samples, {**info, "skipped": "silent mix: nothing to master", "within_tolerance": False}
    plr_goal = target.ceiling_dbtp - target.lufs - CEILING_GUARD_DB
    plr_in = peak_in - lufs_in
    passes = 0
    if plr_in <= plr_goal:
        gain = target.lufs - lufs_in
        out: Frames
        if isinstance(samples, StemFile):
            out = _scaled(samples, np.float32(10 ** (gain / 20)))
        elif in_place:
            samples *= np.float32(10 ** (gain / 20))
            out = samples
        else:
            out = samples * np.float32(10 ** (gain / 20))
        lufs, tp, drive = target.lufs, peak_in + gain, 0.0
    else:
        # f(drive) = PLR(drive) - goal falls as the drive grows; f(0) = plr_in - goal > 0. Before the
        # goal is bracketed: secant steps through the last two points (10% long: the PLR flattens as
        # the drive grows, so a secant falls short); then Illinois regula falsi inside the bracket.
        prev_drive, prev_f = 0.0, plr_in - plr_goal
        low, f_low = prev_drive, prev_f
        high: float | None = None
        f_high = 0.0
        side = 0  # which end the last bracketed step replaced (-1 low, +1 high)
        drive = prev_f  # first guess: the PLR falls by the drive (it falls slower: limiting lowers the loudness too)
        # (drive, loudness, true peak) of the passes, which measure the limiter's output as it
        # comes (each would be the mix's size); the chosen drive is rendered once at the end.
        best: tuple[float, float, float] | None = None  # least drive that meets the goal
        fallback: tuple[float, float, float] | None = None  # lowest PLR seen
        while passes < MASTER_MAX_PASSES:
            passes += 1
            lufs_d, tp_d = _limited(samples, sr, drive, peak_in)
            f = (tp_d - lufs_d) - plr_goal
            logger.debug(
                "master pass %d: drive %.2f dB -> PLR %.2f dB (goal %.2f)", passes, drive, tp_d - lufs_d, plr_goal
            )
            if f <= 0 and (best is None or drive < best[0]):
                best = (drive, lufs_d, tp_d)
            if fallback is None or tp_d - lufs_d < fallback[2] - fallback[1]:
                fallback = (drive, lufs_d, tp_d)
            if -PLR_TOLERANCE_DB <= f <= 0:
                break
            if high is None and f > 0:
                slope = (f - prev_f) / (drive - prev_drive)
                prev_drive, prev_f = drive, f
                low, f_low = drive, f
                if drive >= MAX_DRIVE_DB:
                    break
                step = f / -slope if slope < 0 else max(drive, 1.0)
                drive = min(MAX_DRIVE_DB, drive + 1.1 * step)
                continue
            if f > 0:
                low, f_low = drive, f
                if side == -1:
                    f_high /= 2
                side = -1
            else:
                high, f_high = drive, f
                if side == 1:
                    f_low /= 2
                side = 1
            assert high is not None
            drive = low + (high - low) * f_low / (f_low - f_high)
        if best is None:
            # No drive reached the goal: the ceiling wins over the loudness.
            assert fallback is not None
            best = fallback
            gain_to = target.ceiling_dbtp - CEILING_GUARD_DB - best[2]
        else:
            gain_to = target.lufs - best[1]
        drive, lufs_d, tp_d = best
        # The limiter is deterministic: the chosen pass again, the only one kept.
        if isinstance(samples, StemFile):
            chain = limiter(gain_db=drive - peak_in, ceiling_db=0.0)
            scale = np.float32(10 ** (gain_to / 20))
            out = _file_of((block * scale for block in board_blocks(chain, samples, sr)), samples)
        else:
            out = limit(samples, sr, gain_db=drive - peak_in, ceiling_db=0.0, out=samples if in_place else None)
            out *= np.float32(10 ** (gain_to / 20))
        lufs, tp = lufs_d + gain_to, tp_d + gain_to
        gain = drive - peak_in + gain_to
    info.update(
        {
            "gain_db": gain,
            "drive_db": drive,
            "limiter": {
                "ceiling_dbfs": gain - drive + peak_in if drive > 0 else None,
                "ratio": LIMITER_RATIO,
                "attack_ms": LIMITER_ATTACK_MS,
                "release_ms": LIMITER_RELEASE_MS,
            }
            if drive > 0
            else None,
            "loudness_lufs": lufs,
            "true_peak_dbtp": tp,
            "passes": passes,
            "within_tolerance": abs(lufs - target.lufs) <= 0.5 and tp <= target.ceiling_dbtp,
        }
    )
    if drive > AUDIBLE_LIMITING_DB:
        info["note"] = (
            f"{drive:.1f} dB of peak limiting to reach {target.lufs:g} LUFS: audible on transients; compress the "
            "mix (drums, bus) first or choose a quieter target"
        )
    if not info["within_tolerance"]:
        info["note"] = (
            f"the {target.ceiling_dbtp:g} dBTP ceiling holds the master at {lufs:.1f} LUFS, under the {target.lufs:g} "
            "LUFS target: compress the mix first"
        )
    return out, info


# ----------------------------------------------------------------------------------- render


def _workers(n: int, workers: int | None) -> int:
    return max(1, min(workers or min(4, os.cpu_count() or 1), n))


def render_mix_report(
    *,
    tracks: list[TrackInput],
    report: MixReport | None = None,
    apply: Collection[str] = DEFAULT_APPLY,
    master_target: LoudnessTarget | str | float | None = None,
    target: str | float | None = "streaming",
    roles: dict[str, str] | None = None,
    reference: Audio | None = None,
    tempo_bpm: float | None = None,
    remeasure: bool = True,
    overwrite_input: bool = False,
    workers: int | None = None,
) -> RenderResult:
    """Apply the engine's moves to ``tracks``, sum them, optionally master, and measure again.

    Args:
        tracks: the stems (decoded audio, any rates: they are brought onto one like ``suggest`` does).
        report: ``suggest``'s report on these stems; computed here (with ``target``) when None.
        apply: the kinds of move to apply (:data:`APPLY_KINDS`): "auto_level" (its gains and pans),
            "gain", "pan", "eq", "compressor", "automation", "stereo" (the findings' actions of that kind).
        master_target: aim the mix at this loudness with a true-peak limiter (a LoudnessTarget, a
            name such as "streaming" or a number in LUFS); None renders the mix without mastering.
        target: the delivery target ``suggest`` judges with (used when ``report`` is None; the
            master's target when ``master_target`` is given).
        roles: track name -> role overrides (the report's roles are used when it has them).
        reference: a reference track, for ``suggest``'s comparison.
        remeasure: run ``suggest`` again on the rendered stems (and master) and compare.
        overwrite_input: the tracks' sample arrays may become the rendered stems (a caller that
            decoded them for this render only saves a copy of every stem: 60 MB per 3-minute stem).
        workers: threads for processing stems.

    Returns:
        :class:`RenderResult`; ``samples``: np.ndarray [shape=(2, n), dtype=float32], or a stem file
        when stems came in stem files (rendered a block at a time: the same samples; the caller
        closes it with :meth:`RenderResult.close`).

    Raises:
        NoAudioFound: no tracks. InvalidParameter: an unknown apply kind, target or role.
    """
    if not tracks:
        raise NoAudioFound("nothing to render: the render needs the stems (one file per track)")
    kinds = parse_apply(list(apply))
    mastering = None
    if master_target is not None:
        mastering = master_target if isinstance(master_target, LoudnessTarget) else resolve_target(master_target)
    if mastering is not None:
        target = master_target if isinstance(master_target, str | int | float) else mastering.lufs
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    # A job's progress (ai/progress.py; no-ops otherwise): shares of the stages' times on 4 stems.
    # The stems are prepared once (a stem that must be folded or resampled is a new stem file:
    # closed below) for the advice and the processing alike.
    if report is None:
        prepared = prepare_tracks(tracks, roles=roles)
        try:
            with progress.section(0.0, 0.35, "advice"):
                report = suggest_prepared(
                    prepared, target=target, reference=reference, tempo_bpm=tempo_bpm, workers=workers
                )
        except BaseException:
            close_made(prepared)
            raise
        lap("suggest")
    else:
        used_roles = {m.name: m.role for m in report.tracks} if report.mode == "stems" else {}
        used_roles.update(roles or {})
        prepared = prepare_tracks(tracks, roles=used_roles)
    progress.report(0.35, "processing stems")
    # Arrays that are the caller's (not decoded for this render only) are never written.
    owned = {id(t.audio.samples) for t in tracks if isinstance(t.audio, DecodedAudio)} if not overwrite_input else set()
    names = [t.name for t in tracks]
    try:
        plan = plan_moves(report.suggestions, track_names=names, apply=kinds, mastering=mastering is not None)
    except BaseException:
        close_made(prepared)
        raise
    # Stems in stem files (ai/audio/stem_file.py) are rendered a block at a time into new stem files
    # beside them (the same samples as the arrays' path); every file made here is deleted at the
    # end, the mix's when the caller closes the result (all of them on an error).
    made: list[StemFile] = []

    def keep(frames: StemFile) -> StemFile:
        made.append(frames)
        return frames

    def drop(frames: Frames) -> None:
        if any(frames is other for other in made):
            made.remove(frames)  # type: ignore[arg-type]
            close_all([frames])

    try:
        result = _render_prepared(
            prepared, report, plan, kinds, mastering, reference, workers, owned, keep, drop, lap, remeasure
        )
    except BaseException:
        close_all(made)
        close_made(prepared)
        raise
    close_all([frames for frames in made if frames is not result.samples])
    close_made([p for p in prepared if p.samples is not result.samples])
    result.timings_s = timings
    return result


def _render_prepared(
    prepared: list[PreparedTrack],
    report: MixReport,
    plan: _Plan,
    kinds: frozenset[str],
    mastering: LoudnessTarget | None,
    reference: Audio | None,
    workers: int | None,
    owned: set[int],
    keep: Callable[[StemFile], StemFile],
    drop: Callable[[Frames], None],
    lap: Callable[[str], None],
    remeasure: bool,
) -> RenderResult:
    """:func:`render_mix_report` from the prepared stems on."""
    sr = prepared[0].sample_rate
    names = [p.name for p in prepared]

    def run_chain(k: int) -> Frames:
        samples, moves = prepared[k].samples, plan.moves[names[k]]
        if isinstance(samples, StemFile):
            return keep(_file_of(strip_blocks(samples, sr, moves), samples)) if changes_audio(moves) else samples
        return process_track(samples, sr, moves, in_place=id(samples) not in owned)

    if _workers(len(prepared), workers) == 1:
        processed = [run_chain(k) for k in range(len(prepared))]
    else:
        with progress.section(0.35, 0.42, "processing stems"):
            processed = progress.map_in_pool(pools.tracks(), run_chain, range(len(prepared)))
    lap("process")
    release_free_memory()  # the processing threads' chain buffers (ai/heap.py)
    progress.report(0.42, "mixing and mastering")

    # Faders and pans.
    notes: list[str] = []
    gains = [0.0] * len(prepared)
    pans = [0.0] * len(prepared)
    auto_gains: list[float] | None = None
    auto: dict[str, Any] | None = None
    if "auto_level" in kinds:
        measured_before = {m.name: m.integrated_lufs for m in report.tracks} if report.mode == "stems" else {}
        items = []
        for k, p in enumerate(prepared):
            # An unprocessed stem is what the report measured; a processed one is measured again.
            unchanged = not changes_audio(plan.moves[p.name]) and p.name in measured_before
            lufs = measured_before[p.name] if unchanged else integrated_loudness(processed[k], sr)
            items.append(LevelItem(p.name, p.role, processed[k], lufs))
        leveled = level_items(
            items, sr, target="premaster", ceiling_dbtp=TRUE_PEAK_CEILING_DBTP - LEVEL_CEILING_MARGIN_DB
        )
        auto_gains = [leveled.levels[name].gain_db for name in names]
        gains = list(auto_gains)
        pans = [leveled.levels[name].pan for name in names]
        notes.extend(leveled.notes)
        auto = {"target_lufs": PRE_MASTER_LUFS, "limited_by_ceiling": leveled.limited_by_ceiling}
    for k, name in enumerate(names):
        for move in plan.moves[name]:
            if move.kind == "gain":
                gains[k] += move.params["gain_db"]
            elif move.kind == "pan":
                pans[k] = move.params["pan"]

    placed: list[Frames] = []
    for k in range(len(prepared)):
        stem = processed[k]
        if isinstance(stem, StemFile):
            placed.append(keep(_scaled(stem, _placement(gains[k], pans[k]))))
            drop(stem)  # a processed copy: the placed one replaces it
        else:
            placed.append(_place(stem, gains[k], pans[k], in_place=id(stem) not in owned))
    processed.clear()
    files = [stem for stem in placed if isinstance(stem, StemFile)]
    mix: Frames
    if files:
        mix = keep(_file_of(mix_blocks(placed, [0.0] * len(placed), None), files[0]))
    else:
        mix = render_mix([stem for stem in placed if isinstance(stem, np.ndarray)], [0.0] * len(placed))

    # The mix bus.
    bus_moves = plan.moves[MIX_BUS]
    bus_gain = sum(m.params["gain_db"] for m in bus_moves if m.kind == "gain")
    if isinstance(mix, StemFile):
        if changes_audio(bus_moves) or bus_gain:
            scale = np.float32(10 ** (bus_gain / 20)) if bus_gain else np.float32(1.0)
            bused = keep(_file_of((block * scale for block in strip_blocks(mix, sr, bus_moves)), mix))
            drop(mix)
            mix = bused
    else:
        mix = process_track(mix, sr, bus_moves, in_place=True)
        if bus_gain:
            mix *= np.float32(10 ** (bus_gain / 20))
    applied = [
        {
            "track": name,
            "role": prepared[k].role,
            "gain_db": round(gains[k], 2),
            "pan": round(pans[k], 2),
            "moves": [m.to_dict() for m in plan.moves[name]]
            + (
                [{"kind": "auto_level", "gain_db": round(auto_gains[k], 2), "pan": round(pans[k], 2)}]
                if auto_gains is not None
                else []
            ),
        }
        for k, name in enumerate(names)
    ]
    bus_entry: dict[str, Any] = {"track": MIX_BUS, "moves": [m.to_dict() for m in bus_moves]}

    master_info = None
    if mastering is not None:
        mastered, master_info = master_to_target(mix, sr, target=mastering, in_place=True)
        if isinstance(mastered, StemFile) and mastered is not mix:
            keep(mastered)
            drop(mix)
        mix = mastered
    else:
        peak = _peak(mix)
        if peak >= 1.0:
            safety = 20 * math.log10(EXPORT_PEAK / peak)
            if isinstance(mix, StemFile):
                safe = keep(_scaled(mix, np.float32(EXPORT_PEAK / peak)))
                drop(mix)
                mix = safe
            else:
                mix *= np.float32(EXPORT_PEAK / peak)
            bus_entry["moves"].append(
                {
                    "kind": "gain",
                    "gain_db": round(safety, 2),
                    "for": {"type": "export", "message": "the sum reached full scale"},
                }
            )
            notes.append(
                f"the sum peaked at {20 * math.log10(peak):+.1f} dBFS: lowered {-safety:.1f} dB so the file does not clip"
            )
    if bus_entry["moves"]:
        applied.append(bus_entry)
    lap("mix_and_master")

    progress.report(0.55, "measuring the mix")
    release_free_memory()  # the processing threads' and the master's passes' arrays (ai/heap.py)
    stats = loudness_of(mix, sr)
    measured: dict[str, Any] = {
        "integrated_lufs": stats.integrated_lufs,
        "true_peak_dbtp": stats.true_peak_dbtp,
        "sample_peak_dbfs": stats.sample_peak_dbfs,
        "loudness_range_lu": stats.loudness_range_lu,
        "crest_factor_db": stats.crest_factor_db,
        "auto_level": auto,
        "mix_quality_score_before": report.mix_quality_score,
    }
    report_after = None
    if remeasure:
        release_free_memory()  # the mix's metering passes, before the rendered stems are measured again
        rendered = [TrackInput(name, _audio(placed[k], sr), prepared[k].role) for k, name in enumerate(names)]
        with progress.section(0.58, 1.0, "measuring again"):
            report_after = suggest(
                rendered,
                target=report.target.lufs if mastering is None else mastering.lufs,
                master=_audio(mix, sr) if mastering is not None else None,
                reference=reference,
                tempo_bpm=report.tempo_bpm,
                workers=workers,
            )
        measured.update(compare_findings(plan.acted_on, report_after.suggestions))
        measured["mix_quality_score_after"] = report_after.mix_quality_score
        lap("remeasure")
    return RenderResult(mix, sr, applied, plan.skipped, master_info, measured, report, report_after, notes, {})


def _audio(frames: Frames, sr: int) -> Audio:
    return frames if isinstance(frames, StemFile) else DecodedAudio(frames, sr)


def _peak(mix: Frames) -> float:
    """The largest |sample| (without a whole-signal copy)."""
    top = 0.0
    for block in frame_blocks(mix, blocks.BLOCK) if isinstance(mix, StemFile) else [mix]:
        top = max(top, float(block.max(initial=0.0)), -float(block.min(initial=0.0)))
    return top


def _placement(gain_db: float, pan: float) -> np.ndarray:
    """The per-channel gains of a fader at ``gain_db`` and ``pan``: np.ndarray [shape=(2, 1), dtype=float32]."""
    left, right = pan_gains(pan)
    gain = 10 ** (gain_db / 20)
    return np.array([[gain * left], [gain * right]], dtype=np.float32)


def _place(samples: np.ndarray, gain_db: float, pan: float, *, in_place: bool) -> np.ndarray:
    """The track as it sits in the mix: its fader gain and pan law applied to np.ndarray
    [shape=(2, n), dtype=float32], in place when allowed (else a new array)."""
    scale = _placement(gain_db, pan)
    if not in_place:
        placed: np.ndarray = samples * scale
        return placed
    samples *= scale
    return samples


def compare_findings(acted_on: list[Suggestion], after: list[Suggestion]) -> dict[str, Any]:
    """Which acted-on findings are gone from ``after`` (no problem finding with the same
    :func:`finding_key`), and which remain."""
    remaining_keys = {finding_key(s) for s in after if not s.info}
    gone: list[dict[str, Any]] = []
    remaining: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for s in acted_on:
        key = finding_key(s)
        if key in seen:
            continue
        seen.add(key)
        entry = {"type": s.type, "track": _target_of(s), "band": s.band, "message": s.message}
        (remaining if key in remaining_keys else gone).append(entry)
    return {
        "acted_on": len(seen),
        "gone": gone,
        "remaining": remaining,
        "problems_after": sum(1 for s in after if not s.info),
    }


# ----------------------------------------------------------------------------------- export


def encode_audio(samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24) -> bytes:
    """The file bytes of np.ndarray [shape=(channels, n)] float samples (or a stem file) as WAV or
    FLAC, 16 or 24 bit.

    16-bit gets TPDF dither (two uniform values of one LSB each, seeded with DITHER_SEED so the same
    samples give the same bytes); samples are clipped to the fixed-point range.
    """
    buffer = io.BytesIO()
    encode_into(buffer, samples, sr, fmt=fmt, bit_depth=bit_depth)
    return buffer.getvalue()


def encode_audio_file(
    samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24, directory: Path | None = None
) -> Path:
    """:func:`encode_audio` written block by block into a new file in ``directory`` (the system's
    temporary folder when None), never whole in memory; the caller deletes it. Deleted here on an error."""
    with tempfile.NamedTemporaryFile(prefix="dawg-render-", suffix=f".{fmt}", dir=directory, delete=False) as handle:
        path = Path(handle.name)
        try:
            encode_into(handle, samples, sr, fmt=fmt, bit_depth=bit_depth)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    return path


def encode_into(target: IO[bytes], samples: Frames, sr: int, *, fmt: str = "wav", bit_depth: int = 24) -> None:
    """:func:`encode_audio`'s file written into the open binary file ``target``."""
    if fmt not in FORMATS:
        raise InvalidParameter("format", f"use {' or '.join(FORMATS)}")
    if bit_depth not in BIT_DEPTHS:
        raise InvalidParameter("bit_depth", f"use {' or '.join(str(b) for b in BIT_DEPTHS)}")
    if isinstance(samples, np.ndarray):
        samples = np.asarray(samples, dtype=np.float32)
    channels, n = samples.shape
    top = 1.0 - 1.0 / 2 ** (bit_depth - 1)
    # The dither of the whole file is one generator's draws for every sample, then a second set:
    # two generators give them block by block (the second skips the first set's draws).
    first = np.random.default_rng(DITHER_SEED)
    second = np.random.default_rng(DITHER_SEED)
    if bit_depth == 16:
        for start in range(0, n, ENCODE_BLOCK):
            second.random((min(ENCODE_BLOCK, n - start), channels), dtype=np.float32)
    with sf.SoundFile(
        target, "w", samplerate=sr, channels=channels, format=fmt.upper(), subtype=BIT_DEPTHS[bit_depth]
    ) as out:
        for start in range(0, n, ENCODE_BLOCK):  # never a whole-file copy of the samples
            data = read_frames(samples, start, start + ENCODE_BLOCK).T
            if bit_depth == 16:
                lsb = np.float32(1.0 / 32768.0)
                dither = first.random(data.shape, dtype=np.float32)
                dither -= second.random(data.shape, dtype=np.float32)
                data = data + dither * lsb
            out.write(np.clip(data, -1.0, top))


__all__ = [
    "APPLY_KINDS",
    "apply_stereo",
    "DEFAULT_APPLY",
    "RenderResult",
    "encode_audio",
    "encode_audio_file",
    "master_to_target",
    "parse_apply",
    "plan_moves",
    "render_mix_report",
]
