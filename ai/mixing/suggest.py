"""Mixing and mastering advice from measurements: findings with evidence and a concrete move.

``suggest(tracks, target=..., master=None, reference=None)`` measures every stem
(:mod:`ai.mixing.measure`) and turns what it finds into suggestions. The level findings and the
headroom of the sum are about the faders as they are; everything else that depends on the faders is
judged at the balance the engine recommends (auto-level's gains and pans, :func:`ai.mixing.auto_level.level_items`,
what /auto_level answers and the render applies): the masking between the tracks
(:mod:`ai.mixing.masking`), the mix bus's tone and dynamics, and a reference's comparison with the mix.
So the advice agrees with the level moves (a track 12 dB too loud is one level move, not also three
masking cuts that the balanced levels make unnecessary), and a finding there says "at the balanced
levels". A track louder than its balance whose masking cut would leave it within a level finding of
its balance is judged where its fader is (:func:`_own_level_masking`): a bass boosted 12 dB at the kick
reads only 4-8 dB too loud, and balanced as a whole it is lowered until the kick is clear and stays boomy.
With only a ``master`` it gives
mastering advice; with a ``reference`` it compares the mix (or master) with it: loudness, balance
per band, stereo width. Without any audio it raises NoAudioFound: it never invents a finding.

Findings and their thresholds (constants in ai.mixing.track_findings, cross_track_findings and
mix_bus_findings):

=================  ============================================================================
clipping           a run of 3+ identical full-scale samples (or 4+ flat at the peak level below
                   full scale); the advice scales with the share of clipped samples (a few peaks:
                   low; from CLIP_FEW_SHARE: lower the render 3-9 dB; from CLIP_HEAVY_SHARE: a new
                   take), and says "at full scale" only when the peak is there.
dc_offset          |DC offset| >= DC_THRESHOLD (-50 dBFS; median of 250 ms block means), or within
                   DC_RELATIVE_DB (15 dB) of the track's RMS level (from -80 dBFS up).
rumble             >= RUMBLE_SHARE of the track's energy below its role's useful range
                   (ROLE_LOW_CUT_HZ: 80 Hz for vocals and guitars, 200 Hz for hi-hats, ...),
                   as a steady floor or, on roles that play no notes that low, in bursts; a
                   guitar's or keyboard's own low notes there are ``info``.
level              the track's loudness is LEVEL_DEVIATION_DB or more away from where the balance
                   by role puts it, relative to the other tracks (the median track).
masking            in a band that matters to both tracks, the masker is louder than the signal
                   during the signal's notes, or both live there at similar levels (see
                   ai.mixing.masking). Between two roles of the same rank (guitar and
                   guitar, keys and guitar) it is ``info``: an arrangement overlap worth a look
                   (pan them apart), not a problem; it does not lower the score.
tonal              EQ moves against the role's learned tonal curve (ai.mixing.tonal).
dynamics           over-compression and uncontrolled dynamics against the role's learned norms,
                   with a compressor derived from the signal and checked on it (ai.mixing.dynamics,
                   ai.mixing.dynamics_advice).
space              too wet or too dry for the role, reverb and tempo-synced delay (ai.mixing.space).
stereo             correlation below PHASE_CORRELATION (phase trouble in mono) or a wide low end
                   on kick / bass (width above LOW_END_WIDTH).
silence            a track with nothing audible (no gated loudness, or not one of its 100 ms blocks
                   at or above -60 LUFS: MIN_AUDIBLE_S). A track that plays rarely (a crash, toms,
                   effects) is levelled on the gated loudness of its hits; its level finding says so.
phase              two tracks that pick up one source in opposite polarity (Kick In and an inverted
                   Kick Out; ai.mixing.shared_source): flip the quieter, aligned by the lag from
                   0.5 ms; the balance is set with it flipped, and the pair's masking of each
                   other is no finding. In the same polarity COMB_MIN_LAG_MS (0.25 ms) or more
                   apart (a kick's inside and outside mics, a bass's DI and amp), the pair
                   comb-filters: evidence problem "comb_filter", the lag in ms and samples, the
                   first notch, and what the sum loses at the balanced levels in its worst octave
                   below 900 Hz (medium from 2 dB, high from 6 dB); the move delays the earlier
                   track by the lag (action polarity, invert false, shift_ms). The balance and the
                   sum at the balanced levels take both pairs lined up, as the render plays them.
duplicate, bounce  a track that is the same audio as another, or a mix of the others (a bounce):
                   left out of the balance, the masking, the sum and the render, with this finding
                   alone.
headroom           the sum of the stems peaks above the ceiling (-1 dBTP) or is louder than
                   HOT_MIX_LUFS before mastering.
loudness, true_peak  master vs the target's loudness and the -1 dBTP ceiling.
reference          master / mix vs a reference: loudness, per-band balance (REFERENCE_BAND_DB),
                   stereo width (REFERENCE_WIDTH).
=================  ============================================================================

mix_quality_score = 100 - sum of PENALTY[priority] * confidence over the findings (not counting
"info" advice such as the gain a master needs to reach the target), clipped to 0-100.
In the answer, overall_quality is the score as a number in 0..1 (the web client prints it as a
percentage) and quality_summary a sentence from the score band (>= 85 good, >= 70 decent, >= 50
needs work, below 50 major problems) naming the most pressing finding.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ai import pools, progress
from ai.analysis.pipeline import estimate_tempo
from ai.audio.decode import DecodedAudio
from ai.audio.loudness import LoudnessStats
from ai.audio.stem_file import Audio, Frames, StemFile, close_all, whole, write_stem_file
from ai.heap import release_free_memory
from ai.mixing.auto_level import AutoLevelResult, items_from, level_items, mix_blocks, render_mix
from ai.mixing.cross_track_findings import LEVEL_DEVIATION_DB, cut_db, level_findings, masking_suggestions
from ai.mixing.findings import MASTER_TRACK, MIX_BUS, Suggestion, rounded
from ai.mixing.masking import MaskingFinding, cut_loudness_drop, find_masking
from ai.mixing.measure import (
    NO_AUDIO_MESSAGE,
    PreparedTrack,
    TrackAnalysis,
    TrackInput,
    TrackMeasurement,
    analyse_track,
    close_made,
    prepare_tracks,
)
from ai.mixing.mix_bus_findings import mastering_findings, mix_findings, reference_comparison
from ai.mixing.role_model import load_role_model
from ai.mixing.shared_source import SharedSources, shared_sources
from ai.mixing.stem_measures import loudness_of
from ai.mixing.targets import LoudnessTarget, resolve_target, session_target, speech_led
from ai.mixing.track_advice import TrackAdvice, role_norms, track_advice
from ai.mixing.track_findings import track_findings
from utils.errors import NoAudioFound

logger = logging.getLogger(__name__)

PENALTY = {"high": 15.0, "medium": 7.0, "low": 2.0}


@dataclass
class MixReport:
    """What :func:`suggest` found. ``mode`` is "stems" or "master"."""

    mode: str
    suggestions: list[Suggestion]
    mix_quality_score: int
    overall_quality: str
    target: LoudnessTarget
    tracks: list[TrackMeasurement] = field(default_factory=list)
    masking: list[MaskingFinding] = field(default_factory=list)
    mix: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    track_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per track name: its dynamics and space measures."""
    tempo_bpm: float | None = None
    tempo_source: str | None = None
    """"given" (the request or the project's manifest), "analysis" (measured from the mix), or None."""
    shared: SharedSources = field(default_factory=SharedSources)
    """Polarity pairs, duplicates and bounces among the stems (:mod:`ai.mixing.shared_source`)."""

    @property
    def left_out(self) -> dict[str, str]:
        """Tracks left out of the balance and the render (a duplicate, a bounce) -> why."""
        return {name: t.reason for name, t in self.shared.left_out.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "suggestions": [s.to_dict() for s in self.suggestions],
            "mix_quality_score": self.mix_quality_score,
            # The web client multiplies overall_quality by 100 and prints a percentage.
            "overall_quality": round(self.mix_quality_score / 100, 2),
            "quality_summary": self.overall_quality,
            "target": self.target.to_dict(),
            "tracks": [{**t.to_dict(), **rounded(self.track_details.get(t.name, {}))} for t in self.tracks],
            "tempo_bpm": self.tempo_bpm,
            "tempo_source": self.tempo_source,
            "masking": [m.to_dict() for m in self.masking],
            "mix": rounded(self.mix),
            "reference": rounded(self.reference) if self.reference else None,
            "notes": list(self.notes),
            "left_out": self.left_out,
        }


def analyse_all(prepared: list[PreparedTrack], *, workers: int | None = None) -> list[TrackAnalysis]:
    """Analyse tracks, in threads (numpy and scipy release the GIL in the heavy parts)."""
    return _in_pool(analyse_track, prepared, workers)


def _in_pool(function: Any, items: list[Any], workers: int | None) -> list[Any]:
    """``function`` over ``items`` on the shared per-track pool (ai.pools), or in this thread
    with ``workers=1`` or a single item. In a job, each item finished is progress (ai/progress.py)."""
    if workers == 1 or len(items) <= 1:
        results: list[Any] = []
        for k, item in enumerate(items):
            with progress.section(k / len(items), (k + 1) / len(items)):
                results.append(function(item))
        return results
    return progress.map_in_pool(pools.tracks(), function, items)


# ----------------------------------------------------------------------------------- report
def quality(suggestions: list[Suggestion]) -> tuple[int, str]:
    """(mix_quality_score 0-100, overall_quality text) from the findings (see the module docstring)."""
    problems = [s for s in suggestions if not s.info]
    score = 100.0 - sum(PENALTY[s.priority] * s.confidence for s in problems)
    score_int = int(round(min(100.0, max(0.0, score))))
    if not problems:
        return score_int, "good: no problems found in the measurements"
    worst = problems[0]
    counts = {p: sum(1 for s in problems if s.priority == p) for p in ("high", "medium", "low")}
    summary = ", ".join(f"{n} {p}" for p, n in counts.items() if n)
    label = (
        "good"
        if score_int >= 85
        else "decent"
        if score_int >= 70
        else "needs work"
        if score_int >= 50
        else "major problems"
    )
    return score_int, f"{label}: {summary} priority finding(s); first: {worst.message}"


def _sort(suggestions: list[Suggestion]) -> list[Suggestion]:
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(suggestions, key=lambda s: (s.info, order[s.priority], -s.confidence))


def _sum_of(
    prepared: list[PreparedTrack],
    gains_db: list[float] | None = None,
    pans: list[float] | None = None,
    signs: list[float] | None = None,
    shifts: list[int] | None = None,
) -> Frames:
    """The stems' sum (at unity, or at ``gains_db`` and ``pans``; ``signs``: -1 for a track summed in
    opposite polarity; ``shifts``: frames a track is summed later): in memory when they all are, else
    written block by block into a stem file beside theirs (the same samples either way)."""
    stems = [p.samples for p in prepared]
    gains = [0.0] * len(stems) if gains_db is None else gains_db
    files = [s for s in stems if isinstance(s, StemFile)]
    if not files:
        return render_mix([whole(s) for s in stems], gains, pans, signs, shifts)
    return write_stem_file(
        mix_blocks(stems, gains, pans, signs, shifts),
        channels=2,
        sample_rate=prepared[0].sample_rate,
        directory=files[0].path.parent,
    )


OWN_LEVEL_MIN_EXCESS_DB = 1.0
"""A track this much or more over its balance is judged for masking at its own level too (:func:`_own_level_masking`)."""


def _own_level_masking(
    analyses: list[TrackAnalysis], gains: list[float], found: list[MaskingFinding]
) -> list[MaskingFinding]:
    """``found`` (at the balanced levels) with the masking by a track louder than its balance judged with it at
    its own level (the others balanced) instead, where the cut that answers it (:func:`ai.mixing.masking.cut_loudness_drop`) leaves the track less
    than LEVEL_DEVIATION_DB over its balance: then the cut, not a fader, is the move (and no level finding
    asks to lower it). A bass boosted 12 dB at the kick reads 3.8-7.7 dB too loud (the bench's FluidR3
    songs); balanced as a whole it is lowered until the kick is clear, and stays boomy: its cut takes 1.0-6.0
    dB of that. A piano 12 dB too loud everywhere keeps 10 dB of excess after its cuts (0.6-1.7 dB): its level
    is the problem, and at the balanced levels it covers nothing (song00)."""
    anchor = float(np.median(gains)) if gains else 0.0
    by_pair = {frozenset((f.signal, f.masker)): f for f in found}
    for k, a in enumerate(analyses):
        excess = anchor - gains[k]
        if excess < OWN_LEVEL_MIN_EXCESS_DB:
            continue
        own = list(gains)
        own[k] = anchor  # where its fader is, against the balanced others
        for f in find_masking(analyses, gains_db=own, maskers={a.measurement.name}):
            pair = frozenset((f.signal, f.masker))
            if excess - cut_loudness_drop(a, f.region, cut_db(f)) < LEVEL_DEVIATION_DB:
                by_pair[pair] = replace(f, own_level_excess_db=excess)  # where it is: at least as bad
    return sorted(by_pair.values(), key=lambda f: f.smr_db)


BALANCED = " (At the balanced levels: the sum with auto-level's gains and pans.)"
"""Said after a mix-bus finding judged on the sum at the balanced levels."""


def _at_balanced_levels(s: Suggestion) -> Suggestion:
    """A mix-bus finding from the sum at the balanced levels, saying so."""
    return replace(s, message=s.message + BALANCED, evidence={**s.evidence, "levels": "balanced"})


def _measure_single(stack: contextlib.ExitStack, audio: Audio, name: str) -> TrackAnalysis:
    prepared = prepare_tracks([TrackInput(name, audio, "music")])
    stack.callback(close_made, prepared)
    return analyse_track(prepared[0])


def suggest(
    tracks: list[TrackInput],
    *,
    target: str | float | None = None,
    master: Audio | None = None,
    reference: Audio | None = None,
    roles: dict[str, str] | None = None,
    tempo_bpm: float | None = None,
    workers: int | None = None,
) -> MixReport:
    """Mixing advice for ``tracks`` (stems), or mastering advice for ``master`` alone.

    Args:
        tracks: the stems; may be empty when ``master`` is given.
        target: delivery loudness: "streaming" (-14 LUFS), "apple" (-16), "podcast" (-16), "broadcast" (-23),
            "club" (-9) or a number in LUFS; the true-peak ceiling is -1 dBTP. None: "podcast" for stems led by
            speech, else "streaming" (:func:`~ai.mixing.targets.session_target`).
        master: a finished mix to check (mastering advice); with stems it is checked as well.
        reference: a reference track to compare the mix (or master) with.
        roles: track name -> role overrides.
        tempo_bpm: the song's tempo (a project's manifest): compressor release and delay times are
            set from it; without it, it is measured from the sum of the stems (or the master) with
            the analysis' beat tracker.
        workers: threads for measuring stems (default: up to 4).

    Raises:
        NoAudioFound: no stems and no master.
        InvalidParameter: a bad target, role or duplicate track name.
    """
    with contextlib.ExitStack() as stack:  # the stem files made on the way (the sum, resampled stems) go at the end
        resolved = resolve_target(target)  # a bad target is a 422 before any stem is read
        if not tracks and master is None:
            raise NoAudioFound(NO_AUDIO_MESSAGE)
        prepared = None
        if tracks:
            progress.report(0.0, "preparing stems")
            prepared = prepare_tracks(tracks, roles=roles)
            stack.callback(close_made, prepared)
            resolved = session_target(target, (p.role for p in prepared))
        return _suggest(
            stack, prepared, resolved, master=master, reference=reference, tempo_bpm=tempo_bpm, workers=workers
        )


def suggest_prepared(
    prepared: list[PreparedTrack],
    *,
    target: str | float | None = None,
    reference: Audio | None = None,
    tempo_bpm: float | None = None,
    workers: int | None = None,
) -> MixReport:
    """:func:`suggest` on stems :func:`prepare_tracks` already brought onto one rate (their roles
    chosen): the render prepares them once for its advice and its processing. The caller keeps
    (and closes) ``prepared``."""
    with contextlib.ExitStack() as stack:
        resolved = session_target(target, (p.role for p in prepared))
        return _suggest(
            stack, prepared, resolved, master=None, reference=reference, tempo_bpm=tempo_bpm, workers=workers
        )


def _suggest(
    stack: contextlib.ExitStack,
    prepared: list[PreparedTrack] | None,
    resolved: LoudnessTarget,
    *,
    master: Audio | None,
    reference: Audio | None,
    tempo_bpm: float | None,
    workers: int | None,
) -> MixReport:
    """:func:`suggest` on prepared stems (or none: a master alone); ``stack`` closes the files made on the way."""
    suggestions: list[Suggestion] = []
    notes: list[str] = []
    measurements: list[TrackMeasurement] = []
    masking: list[MaskingFinding] = []
    mix_info: dict[str, Any] = {}
    details: dict[str, dict[str, Any]] = {}
    subject_measure: TrackMeasurement | None = None
    subject_analysis: TrackAnalysis | None = None
    mode = "stems" if prepared else "master"
    tempo_source = "given" if tempo_bpm is not None else None

    # A job's progress (ai/progress.py; no-ops otherwise): the stems are most of the work.
    shared = SharedSources()
    if prepared:
        # Tracks that share a source: a duplicate or a bounce of the others is left out of everything
        # below but its own finding; a microphone in opposite polarity is balanced flipped.
        progress.report(0.03, "tracks that share a source")
        sr = prepared[0].sample_rate
        shared = shared_sources([p.name for p in prepared], [p.samples for p in prepared], sr)
        kept = [p for p in prepared if p.name not in shared.left_out]
        # The sum of the stems as they are (its loudness and true peak: the headroom findings, which are
        # about the faders) is metered in the same pool as the stems are measured (one more task keeps
        # both threads busy instead of a serial pass at the end). The sum of one stem at unity is that
        # stem: its samples are shared, not copied.
        summed = kept[0].samples if len(kept) == 1 else _sum_of(kept)
        if isinstance(summed, StemFile) and summed is not kept[0].samples:
            stack.callback(close_all, [summed])

        def measure(item: PreparedTrack | Frames) -> TrackAnalysis | LoudnessStats:
            return analyse_track(item) if isinstance(item, PreparedTrack) else loudness_of(item, sr)

        with progress.section(0.05, 0.45, "measuring stems"):
            *analyses, as_is = _in_pool(measure, [*prepared, summed], workers)
        measurements = [a.measurement for a in analyses]
        notes.extend(f"{m.name}: {note}" for m in measurements if m.name in shared.left_out for note in m.notes)
        analyses = [a for a in analyses if a.measurement.name not in shared.left_out]
        norms = role_norms()
        release_free_memory()  # the measuring threads' working arrays (ai/heap.py)
        # The balance the engine recommends: auto-level's gains and pans (/auto_level answers the same).
        # Masking and the mix bus (its tone and dynamics) are judged there, so that their advice agrees
        # with the level moves and with what the render does: a piano 12 dB too loud read as three masking
        # cuts on it that the balanced levels made unnecessary (and the render applied them, then raised
        # the piano to make up for them), and a snare 13.5 dB low read as an over-compressed mix bus.
        # A microphone in opposite polarity to another on its source is balanced flipped, and summed so;
        # two microphones on one source are balanced and summed lined up, as the render moves them (summed
        # as they are, a pair 8 ms apart loses its low octave, and the balance would make up for a notch
        # the render takes away).
        inverted, moved = shared.inverted, shared.shifts(sr)
        level_inputs = [
            replace(item, inverted=item.name in inverted, shift=moved.get(item.name, 0))
            for item in items_from(analyses)
        ]
        signs = [-1.0 if item.inverted else 1.0 for item in level_inputs]
        shifts = [item.shift for item in level_inputs]
        names = [a.measurement.name for a in analyses]

        def balance() -> tuple[AutoLevelResult, TrackAnalysis]:
            """Auto-level's answer, and the sum at its gains and pans measured."""
            result = level_items(level_inputs, sr)
            at = [result.levels[name] for name in names]
            balanced = _sum_of(kept, [level.gain_db for level in at], [level.pan for level in at], signs, shifts)
            try:
                return result, analyse_track(
                    PreparedTrack("mix (sum at the balanced levels)", "music", balanced, sr, 2)
                )
            except BaseException:
                close_all([balanced])
                raise

        # While the tempo is measured (one thread), the balanced sum is made and measured beside it.
        pending = pools.tracks().submit(balance) if tempo_bpm is None and workers != 1 else None
        try:
            if tempo_bpm is None:
                with progress.section(0.45, 0.55, "tempo"):
                    tempo_bpm = estimate_tempo(summed if isinstance(summed, StemFile) else DecodedAudio(summed, sr))
                tempo_source = "analysis" if tempo_bpm is not None else None
        finally:
            leveled, mix_analysis = pending.result() if pending is not None else balance()
            stack.callback(close_all, [mix_analysis.track.samples])
        del summed  # an array's memory goes now (a stem file's at the end)
        release_free_memory()
        gains = [leveled.levels[name].gain_db for name in names]
        pans = [leveled.levels[name].pan for name in names]
        # A comb between two microphones on one source is as deep as their balance makes it.
        suggestions.extend(shared.findings(dict(zip(names, gains, strict=True))))

        def advise(a: TrackAnalysis) -> TrackAdvice:
            bus = MIX_BUS if a is mix_analysis else None
            return track_advice(a, tempo_bpm=tempo_bpm, track=bus, norms=norms, space=bus is None)

        with progress.section(0.55, 0.85, "advice per stem"):
            *advice, bus_advice = _in_pool(advise, [*analyses, mix_analysis], workers)
        progress.report(0.85, "levels and masking")
        for a, found in zip(analyses, advice, strict=True):
            notes.extend(f"{a.measurement.name}: {note}" for note in a.measurement.notes)
            suggestions.extend(track_findings(a.measurement))
            suggestions.extend(found.suggestions)
            details[a.measurement.name] = found.details
        # The bus is judged against band music's curve; a podcast's sum is speech over a bed, which no curve
        # here describes ("the mix (music) sounds thin: 17.1 dB less around 56 Hz" under two voices).
        spoken = speech_led(a.measurement.role for a in analyses)
        suggestions.extend(_at_balanced_levels(s) for s in bus_advice.suggestions if not (spoken and s.type == "tonal"))
        if spoken:
            notes.append("the mix's tone is not judged: it is led by speech, and the tonal curves are band music's")
        # Level findings measure each track against the balance from the faders as they are.
        suggestions.extend(level_findings(analyses, gains))
        # Keyed by track name (looked up by name only, so a finding without a track adds nothing).
        level_moves = {
            s.track: float(s.action["gain_db"])
            for s in suggestions
            if s.type == "level" and s.action and s.track is not None
        }
        audible = [k for k, a in enumerate(analyses) if a.measurement.level_lufs is not None]
        heard = [analyses[k] for k in audible]
        masking = find_masking(heard, gains_db=[gains[k] for k in audible])
        masking = _own_level_masking(heard, [gains[k] for k in audible], masking)
        # A pair that shares a source (a polarity pair) covering each other is no masking finding.
        masking = [m for m in masking if frozenset((m.signal, m.masker)) not in shared.pairs]
        suggestions.extend(masking_suggestions(masking, analyses, level_moves=level_moves))
        mm = mix_analysis.measurement
        subject_measure = mm
        subject_analysis = mix_analysis
        makeup = leveled.makeup_db
        mix_info = {
            "integrated_lufs": as_is.integrated_lufs,
            "true_peak_dbtp": as_is.true_peak_dbtp,
            "headroom_db": None if as_is.true_peak_dbtp is None else resolved.ceiling_dbtp - as_is.true_peak_dbtp,
            "short_term_max_lufs": as_is.short_term_max_lufs,
            "loudness_range_lu": mm.loudness_range_lu,
            "stereo_width": mm.stereo_width,
            "correlation": mm.correlation,
            "bands_relative_db": dict(mm.band_relative_db),
            "balanced_pans": dict(zip(names, pans, strict=True)),
            "balanced_gains_db": {
                name: gain - makeup if a.measurement.level_lufs is not None else 0.0
                for name, gain, a in zip(names, gains, analyses, strict=True)
            },
            "balanced_lufs": mm.integrated_lufs,
        }
        mix_info.update(bus_advice.details)
        suggestions.extend(mix_findings(mix_info, resolved, silent=not audible))

    if master is not None:
        progress.report(0.9 if prepared else 0.0, "measuring the master")
        master_analysis = _measure_single(stack, master, MASTER_TRACK)
        mm = master_analysis.measurement
        subject_measure = mm
        subject_analysis = master_analysis
        # A master gets tone only (its dynamics and space are the mix's): no tempo is needed.
        mastered = track_advice(master_analysis, tempo_bpm=tempo_bpm, track=MIX_BUS, dynamics=False, space=False)
        mix_info.setdefault("master", {**mm.to_dict(), **mastered.details})
        if mode == "master":
            mix_info.update(
                {
                    "integrated_lufs": mm.integrated_lufs,
                    "true_peak_dbtp": mm.true_peak_dbtp,
                    "headroom_db": None if mm.true_peak_dbtp is None else resolved.ceiling_dbtp - mm.true_peak_dbtp,
                    "loudness_range_lu": mm.loudness_range_lu,
                    "stereo_width": mm.stereo_width,
                    "correlation": mm.correlation,
                    "bands_relative_db": dict(mm.band_relative_db),
                }
            )
            measurements = [mm]
        master_problems = [
            s for s in track_findings(mm) if s.type in ("clipping", "dc_offset", "rumble", "stereo", "silence")
        ]
        suggestions.extend(master_problems)
        suggestions.extend(mastered.suggestions)
        suggestions.extend(
            mastering_findings(mm.integrated_lufs, mm.true_peak_dbtp, resolved, subject="the master", silent=mm.silent)
        )

    comparison = None
    if reference is not None and subject_measure is not None and subject_analysis is not None:
        progress.report(0.95, "measuring the reference")
        ref = _measure_single(stack, reference, "reference")
        subject = "the master" if master is not None else "the mix"
        comparison, ref_suggestions = reference_comparison(subject_analysis, ref, subject=subject)
        if master is None:  # the mix is the sum at the balanced levels
            comparison["levels"] = "balanced"
            ref_suggestions = [_at_balanced_levels(s) for s in ref_suggestions]
        suggestions.extend(ref_suggestions)

    suggestions = _sort(suggestions)
    score, text = quality(suggestions)
    return MixReport(
        mode,
        suggestions,
        score,
        text,
        resolved,
        measurements,
        masking,
        mix_info,
        comparison,
        notes,
        details,
        tempo_bpm,
        tempo_source,
        shared,
    )


def warmup_stems() -> list[TrackInput]:
    """Two stems of 2 s (a bass in stereo, keys in mono) of notes struck every half second that die away, so
    that the space measure's decay kernels run on them too: what the mixing warm-ups process."""
    sr = 44100
    t = np.arange(sr * 2) / sr
    tone = (0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-8.0 * (t % 0.5))).astype(np.float32)
    return [
        TrackInput("Bass", DecodedAudio(np.stack([tone, tone]), sr)),
        TrackInput("Keys", DecodedAudio(tone[np.newaxis, :].copy(), sr)),
    ]


def warmup() -> None:
    """Compile the numba kernels (K-weighting, true peak, sample scans) on a short signal, and read
    the mixing models (role norms, role classifier) so no request pays for it.

    The first call of each kernel otherwise pays about a second of JIT compilation (cached on disk
    afterwards); the service can call this at start-up (the render's own: :func:`ai.mixing.render.warm_up`).
    """
    role_norms()
    load_role_model()
    suggest(warmup_stems(), workers=1)
