"""Which of the engine's findings a render acts on, and how: the report's findings sorted into moves.

:func:`plan_moves` turns the report's problem findings into moves per track (and the mix bus,
:data:`ai.mixing.findings.MIX_BUS`) of the kinds asked for (:func:`parse_apply`), lists the findings
it does not apply with the reason, and the findings acted on; :func:`compare_findings` says which of
those are gone once the render is measured again.

What is not applied, and why, is listed too: advice (``info``), moves of a kind not asked for,
moves no render can make (clipped peaks must be re-exported; reverb already in a stem cannot be
taken out), and moves that another one covers (auto-level's balance is what the level findings
measure against; two cuts in the same band of one track are not stacked).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ai.mixing.channel_strip import EQ_PEAK_TYPES, Move
from ai.mixing.findings import MASTER_TRACK, MIX_BUS, Suggestion
from utils.errors import InvalidParameter

logger = logging.getLogger(__name__)

APPLY_KINDS: tuple[str, ...] = ("auto_level", "gain", "pan", "eq", "compressor", "automation", "stereo", "polarity")
"""Kinds of move a render can apply: auto-level's gains and pans, and the findings' actions by kind."""
DEFAULT_APPLY: frozenset[str] = frozenset(APPLY_KINDS)
"""Every kind, unless the caller names fewer."""
NOT_RENDERED: dict[str, str] = {
    "back_off": "compression already in the stem cannot be undone by a render: back off the compressor at its source",
    "reverb": "space moves (reverb) are sends in the DAW; the render does not add or remove reverb",
    "delay": "space moves (delay) are sends in the DAW; the render does not add delays",
}
"""Why a kind of move is not rendered, for the kinds the analyses are known to give."""
SAME_BAND_OCTAVES = 1.0 / 3.0
"""Two EQ moves (bell or shelf) of one type on one track closer than this are one move: the larger
is kept (two findings that both cut a bass at 80 Hz must not cut it twice). A third of an octave
is the tolerance issue 12 gives an EQ move's frequency."""


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
    alone = sorted(kinds & {"all", "none"})
    if alone:  # "all, eq" was "unknown move kind 'all'; use all, none or ...", a message that contradicts itself
        said = value if isinstance(value, str) else ",".join(map(str, value))
        raise InvalidParameter(
            "apply", f"'{alone[0]}' stands alone, not in a list of move kinds (got {said[:80]!r}): send it by itself"
        )
    unknown = sorted(kinds - set(APPLY_KINDS))
    if unknown:
        raise InvalidParameter("apply", f"unknown move kind {unknown[0]!r}; use all, none or {', '.join(APPLY_KINDS)}")
    return frozenset(kinds)


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
    left_out: dict[str, str] = field(default_factory=dict)
    """Tracks the render leaves out (a duplicate, a bounce of the others) -> the finding's message."""


def plan_moves(
    suggestions: list[Suggestion], *, track_names: list[str], apply: frozenset[str], mastering: bool
) -> _Plan:
    """Sort the report's findings into moves per track (and MIX_BUS), skips with reasons, and the
    findings acted on. See the module docstring for what is skipped."""
    moves: dict[str, list[Move]] = {name: [] for name in [*track_names, MIX_BUS]}
    skipped: list[dict[str, Any]] = []
    acted_on: list[Suggestion] = []
    compressors: dict[str, Move] = {}
    left_out: dict[str, str] = {}

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
        if kind == "leave_out":
            # Not a move of the track but which tracks make the mix: left out whatever ``apply`` asks for
            # (summed again, a bounce plays every part twice).
            if target != MIX_BUS:
                left_out[target] = s.message
                acted_on.append(s)
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
        elif kind == "polarity":
            params = {"invert": bool(action.get("invert")), "shift_ms": float(action.get("shift_ms") or 0.0)}
            moves[target] = [m for m in moves[target] if m.kind != "polarity"]
            moves[target].append(Move("polarity", params, _source(s)))
        elif kind == "gain":
            moves[target].append(Move("gain", {"gain_db": float(action["gain_db"])}, _source(s)))
        elif kind == "pan":
            if target == MIX_BUS:
                skip(s, "a pan move on the mix bus is not rendered")
                continue
            moves[target] = [m for m in moves[target] if m.kind != "pan"]
            moves[target].append(Move("pan", {"pan": float(action["pan"])}, _source(s)))
        acted_on.append(s)
    return _Plan(moves, skipped, acted_on, left_out)


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


def compare_findings(
    acted_on: list[Suggestion], after: list[Suggestion], *, before: list[Suggestion] | None = None
) -> dict[str, Any]:
    """Which acted-on findings are gone from ``after`` (no problem finding with the same
    :func:`finding_key`), and which remain; with ``before`` (the report the render acted on), the problem
    findings of ``after`` that the render made: ``new``, none of ``before``'s problems with their key. A
    finding on the master (a render's own, ``MASTER_TRACK``) is new only when no stem had one of its type
    before: a stem's rumble that the master carries is not the render's doing, a DC offset that no stem
    was flagged for is."""
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
    result: dict[str, Any] = {
        "acted_on": len(seen),
        "gone": gone,
        "remaining": remaining,
        "problems_after": sum(1 for s in after if not s.info),
    }
    if before is not None:
        known = {finding_key(s) for s in before if not s.info}
        types = {s.type for s in before if not s.info}
        new: list[dict[str, Any]] = []
        for s in after:
            key = finding_key(s)
            if s.info or key in known or (s.track == MASTER_TRACK and s.type in types):
                continue
            known.add(key)
            new.append({"type": s.type, "track": _target_of(s), "band": s.band, "message": s.message})
        result["new"] = new
    return result


__all__ = [
    "APPLY_KINDS",
    "DEFAULT_APPLY",
    "parse_apply",
    "plan_moves",
]
