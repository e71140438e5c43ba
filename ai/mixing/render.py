"""Render the mix the engine suggests: apply its moves to the stems, sum them, master, measure again.

:func:`render_mix_report` takes the stems and the report of :func:`ai.mixing.suggest.suggest`
(computed here when not given), sorts its findings into moves (:mod:`ai.mixing.render_plan`, which
also lists what is not applied, and why) and applies, with pedalboard (Spotify's audio processing
library):

1. per track, a DC blocker (a 3 Hz first-order high-pass after the measured offset is taken out:
   :func:`ai.mixing.channel_strip.dc_blocker`), then the actions of the report's problem findings that
   name the track, in the order a channel strip runs them (:mod:`ai.mixing.channel_strip`): a polarity
   flip (and time shift) against another microphone on its source, high-pass, EQ (bells, shelves),
   compressor (+ make-up gain), volume automation; a track that is a duplicate of another or a bounce
   of the others is left out (``left_out`` in the answer, with why);
2. the fader and the pan: auto-level's gains and pans (:func:`ai.mixing.auto_level.level_items`,
   computed on the processed stems, since EQ and compression change a track's loudness), or, when
   auto-level is not asked for, the gains of the level findings; a finding's own pan move wins;
3. the sum (the pan law of :func:`ai.mixing.auto_level.pan_gains`) and the moves filed under the
   mix bus (:data:`ai.mixing.findings.MIX_BUS`);
4. optionally a master: a gain to the loudness target into a limiter
   (:func:`ai.mixing.mastering.master_to_target`), so that the master is on the target's loudness
   with its true peak at or below the ceiling (-1 dBTP);
5. the engine's own analysis again (``suggest`` on the processed stems as they sit in the mix, and
   on the master when there is one), and which of the findings it acted on are gone.

:func:`render_master_report` renders a finished mix alone: ``suggest``'s mastering advice on it (its
"master" mode), its corrective moves only (:data:`MASTER_FIXES`), the limiter to the target, and the
mastering advice again on the rendered master.

The rendered mix is delivered as a WAV or FLAC file by :mod:`ai.audio.encode`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ai import pools, progress
from ai.audio.decode import DecodedAudio
from ai.audio.stem_file import Audio, Frames, StemFile, close_all, frame_blocks, frame_count
from ai.heap import release_free_memory
from ai.mixing import board_blocks as blocks
from ai.mixing.auto_level import LevelItem, level_items, mix_blocks, pan_gains, render_mix
from ai.mixing.board_blocks import _file_of, _scaled
from ai.mixing.channel_strip import changes_audio, process_track, strip_blocks
from ai.mixing.findings import MASTER_TRACK, MIX_BUS, rounded
from ai.mixing.mastering import master_to_target
from ai.mixing.measure import PreparedTrack, TrackInput, close_made, prepare_tracks
from ai.mixing.render_plan import DEFAULT_APPLY, _Plan, compare_findings, parse_apply, plan_moves
from ai.mixing.stem_measures import level_loudness, loudness_of
from ai.mixing.suggest import MixReport, suggest, suggest_prepared, warmup_stems
from ai.mixing.targets import PRE_MASTER_LUFS, TRUE_PEAK_CEILING_DBTP, LoudnessTarget, resolve_target
from utils.errors import NoAudioFound

LEVEL_CEILING_MARGIN_DB = 0.1
"""Auto-level's sum is held this far under the true-peak ceiling: it puts the peak exactly on the
ceiling, where float rounding reads as over it (a headroom finding in the re-measurement)."""
EXPORT_PEAK = 10 ** (TRUE_PEAK_CEILING_DBTP / 20)
"""An unmastered render whose samples would reach full scale is lowered to peak at the ceiling
(the export is fixed point; full scale would clip it)."""
MASTER_FIXES = frozenset({"eq", "stereo"})
"""What a render of a finished mix alone applies before mastering it: its corrective moves (DC offset and
rumble high-pass, a phase fix), never a stem's balance, compressor or automation."""


@dataclass
class RenderResult:
    """What :func:`render_mix_report` rendered.

    Attributes:
        samples: np.ndarray [shape=(2, n), dtype=float32]: the mix (mastered when ``master``), or a
            stem file when the stems were (the caller closes it: :meth:`close`).
        sample_rate: Hz.
        applied: per track (and the mix bus last): {"track", "role", "moves": [...], "gain_db", "pan"}.
        skipped: the findings' moves not applied, each with the reason.
        left_out: the tracks not in the mix (a duplicate, a bounce): {"track", "reason"}.
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
    left_out: list[dict[str, str]] = field(default_factory=list)
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
            "left_out": list(self.left_out),
            "master": rounded(self.master) if self.master else None,
            "measured_after": rounded(self.measured_after),
            "notes": list(self.notes),
        }


def _workers(n: int, workers: int | None) -> int:
    return max(1, min(workers or min(4, os.cpu_count() or 1), n))


def render_mix_report(
    *,
    tracks: list[TrackInput],
    report: MixReport | None = None,
    apply: Collection[str] = DEFAULT_APPLY,
    master_target: LoudnessTarget | str | float | bool | None = None,
    target: str | float | None = None,
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
            name such as "streaming" or a number in LUFS; True: the advice's own target, which with no
            ``target`` is the session's: "podcast" for stems led by speech, else "streaming"); None or False
            renders the mix without mastering.
        target: the delivery target ``suggest`` judges with (used when ``report`` is None; the
            master's target when ``master_target`` is given). None: the session's
            (:func:`~ai.mixing.targets.session_target`).
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
    if isinstance(master_target, LoudnessTarget):
        mastering = master_target
        target = mastering.lufs
    elif master_target is not None and not isinstance(master_target, bool):
        mastering = resolve_target(master_target)
        target = master_target
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
    if master_target is True:  # the advice's own target: the session's when none was given
        mastering = report.target
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

    # A duplicate or a bounce of the other stems is left out of the mix (never silently: ``left_out``).
    mixed = [p for p in prepared if p.name not in plan.left_out] or prepared
    try:
        result = _render_prepared(
            mixed, report, plan, kinds, mastering, reference, workers, owned, keep, drop, lap, remeasure
        )
    except BaseException:
        close_all(made)
        close_made(prepared)
        raise
    close_all([frames for frames in made if frames is not result.samples])
    close_made([p for p in prepared if p.samples is not result.samples])
    result.timings_s = timings
    return result


def render_master_report(
    *,
    master: Audio,
    apply: Collection[str] = DEFAULT_APPLY,
    target: str | float | None = "streaming",
    reference: Audio | None = None,
    tempo_bpm: float | None = None,
    remeasure: bool = True,
    overwrite_input: bool = False,
    workers: int | None = None,
) -> RenderResult:
    """Master a finished mix alone: its corrective moves, then the loudness ``target`` and the limiter.

    The advice is ``suggest``'s on the master alone (mode "master", as /mixing/suggest gives it for a
    ``master`` upload), not a one-stem mix's: a mix bus's headroom is no finding of a finished mix,
    its true peak is. Of its moves only :data:`MASTER_FIXES` (within ``apply``) are applied; the
    loudness and true-peak findings are the mastering's. The rendered master is measured again in
    the same mode, so those findings are gone when the limiter answered them.

    Args:
        master: the finished mix (decoded audio or a stem file).
        apply: the kinds of move asked for (:func:`render_mix_report`); only :data:`MASTER_FIXES` apply.
        target: the loudness target the master is aimed at (a name or a number in LUFS).
        reference, tempo_bpm, remeasure, overwrite_input, workers: as :func:`render_mix_report`.

    Returns:
        :class:`RenderResult` (``report_before`` and ``report_after`` in mode "master").

    Raises:
        InvalidParameter: an unknown apply kind or target.
    """
    kinds = parse_apply(list(apply)) & MASTER_FIXES
    report = suggest([], target=target, master=master, reference=reference, tempo_bpm=tempo_bpm, workers=workers)
    return render_mix_report(
        tracks=[TrackInput(MASTER_TRACK, master, "music")],
        report=report,
        apply=kinds,
        master_target=target if target is not None else "streaming",
        reference=reference,
        tempo_bpm=tempo_bpm,
        remeasure=remeasure,
        overwrite_input=overwrite_input,
        workers=workers,
    )


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
        # Every track goes through the DC blocker first: a stem's DC under the finding's threshold, raised by
        # its fader, was DC in the mix (and a new finding on the stem) after the render.
        if isinstance(samples, StemFile):
            return keep(_file_of(strip_blocks(samples, sr, moves, dc_block=True), samples))
        return process_track(samples, sr, moves, in_place=id(samples) not in owned, dc_block=True)

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
        measured_before = {m.name: m.level_lufs for m in report.tracks} if report.mode == "stems" else {}
        items = []
        for k, p in enumerate(prepared):
            # An unprocessed stem is what the report measured (the DC blocker aside: K-weighting does not hear
            # what it takes out); a processed one is measured again.
            unchanged = not changes_audio(plan.moves[p.name]) and p.name in measured_before
            lufs = measured_before[p.name] if unchanged else level_loudness(processed[k], sr)
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
                f"the sum peaked at {20 * math.log10(peak):+z.1f} dBFS: lowered {-safety:.1f} dB so the file does not clip"
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
        # A finished mix alone is measured again as what it is, a master (its report's mode); stems as
        # they sit in the mix, and the master when there is one.
        alone = report.mode == "master"
        rendered = (
            []
            if alone
            else [
                TrackInput(name, _audio(placed[k], sr), prepared[k].role, pan=pans[k]) for k, name in enumerate(names)
            ]
        )
        with progress.section(0.58, 1.0, "measuring again"):
            report_after = suggest(
                rendered,
                target=report.target.lufs if mastering is None else mastering.lufs,
                master=_audio(mix, sr) if mastering is not None or alone else None,
                reference=reference,
                tempo_bpm=report.tempo_bpm,
                workers=workers,
            )
        measured.update(compare_findings(plan.acted_on, report_after.suggestions, before=report.suggestions))
        measured["mix_quality_score_after"] = report_after.mix_quality_score
        lap("remeasure")
    left_out = [{"track": name, "reason": why} for name, why in plan.left_out.items() if name not in names]
    notes.extend(f"left out of the mix: {entry['reason']}" for entry in left_out)
    return RenderResult(mix, sr, applied, plan.skipped, master_info, measured, report, report_after, notes, left_out)


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


__all__ = [
    "MASTER_FIXES",
    "RenderResult",
    "render_master_report",
    "render_mix_report",
]


def warm_up() -> None:
    """Render and master :func:`~ai.mixing.suggest.warmup_stems` once, as /mixing/render does, so that the
    channel strips', the limiter's and the re-measure's first runs are done before the first request: on a
    fresh install the first render of four one-minute stems took 4.6 s against 2.4 s for the next ones
    (``bench/first_requests.py``)."""
    render_mix_report(tracks=warmup_stems(), master_target="streaming", workers=1).close()
