"""The whole: the recording's analysis and cues to the grid, the chords, the parts and the MIDI file."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ai import progress
from ai.analysis.pipeline import SILENCE_DBFS, AnalysisResult, summarize_audio, warm_up_music
from ai.analysis.rhythm.core import MIN_SECONDS as MIN_PULSE_SECONDS
from ai.audio.decode import DecodedAudio
from ai.audio.encode import encode_audio
from ai.generation.accompaniment.cues import RecordingCues, analyse_with_cues, mono_at, recording_cues
from ai.generation.accompaniment.downbeats import bar_phase, downbeat_phase, melody_bar_phase
from ai.generation.accompaniment.grid import (
    MIN_BEATS,
    NoBeatCause,
    NoBeatFound,
    _grid,
    chart_meter,
    median_tempo,
    meter_of,
)
from ai.generation.accompaniment.harmony import (
    NO_KEY_DEFAULT,
    _given_progression,
    bar_chords,
    half_bar_chords,
    harmony_note,
    harmony_source,
    key_of,
)
from ai.generation.accompaniment.midi_file import write_midi
from ai.generation.accompaniment.options import AccompanimentOptions
from ai.generation.accompaniment.parts import PlacedNote, default_style, meter_mismatch, pad_notes, place_notes
from ai.generation.accompaniment.preview import mix_preview, preview_max_rates, preview_midis
from ai.generation.accompaniment.result import Accompaniment
from ai.generation.bar_harmony import heard_chords, span_chroma
from ai.generation.base import GenerationRequest, GeneratorRegistry
from ai.generation.beat_following import followed_beats
from ai.generation.drum_styles import normalise_drum_style
from ai.generation.melody_harmony import harmonise
from ai.generation.melody_meter import melody_meter
from ai.generation.preview import render_midi
from ai.music_theory import Chord, parse_key


def accompany(
    audio: DecodedAudio, analysis: AnalysisResult, registry: GeneratorRegistry, options: AccompanimentOptions
) -> Accompaniment:
    """Drums, bass and/or a pad for ``audio`` (analysed as ``analysis``), on its beat grid, as one MIDI
    file (and a preview when ``options.preview`` names a format). Raises NoBeatFound without a pulse."""
    _check_pulse(analysis)
    return accompany_signal(mono_at(audio), analysis, registry, options, recording=audio)


def _check_pulse(analysis: AnalysisResult) -> None:
    if analysis.tempo is None or analysis.beats < MIN_BEATS:
        why = "; ".join(analysis.notes) or "no steady pulse was found"
        raise NoBeatFound(f"the recording has no beat to follow ({why})", cause=_no_beat_cause(analysis))


def _no_beat_cause(analysis: AnalysisResult) -> NoBeatCause:
    """Silent (the analysis's silence floor), too short for the beat tracker (under its 2 s of sound), or
    sound without a steady pulse."""
    if analysis.peak_dbfs is None or analysis.peak_dbfs < SILENCE_DBFS:
        return "silent"
    return "short" if analysis.duration < MIN_PULSE_SECONDS else "no_pulse"


def warm_up(registry: GeneratorRegistry) -> None:
    """Accompany :func:`~ai.analysis.pipeline.warm_up_music` once as a request does (the analysis with its last
    look at the signal, drums, bass and a pad on the theory generators, no preview), so that the cues' lazy
    imports and numba kernels are ready before the first request: on a fresh install the first accompaniment
    of a 3-minute file took 17.6 s against 1.3 s for the next ones, 1.76 against 1.29 s once compiled
    (``bench/first_requests.py``)."""
    analysis, cues = analyse_with_cues(summarize_audio(warm_up_music()))
    accompany_cues(cues, analysis, registry, AccompanimentOptions(parts=("drums", "bass", "pad"), model="theory"))


def accompany_signal(
    mono: np.ndarray,
    analysis: AnalysisResult,
    registry: GeneratorRegistry,
    options: AccompanimentOptions,
    *,
    recording: DecodedAudio | None = None,
) -> Accompaniment:
    """:func:`accompany` of the recording's mono mix at REFINE_SR [shape=(n,)] (:func:`mono_at`'s, or the
    analysis's one-pass signal: the same samples), so a caller that never decodes the recording whole can
    accompany it. ``recording``: the decoded audio, needed only for a preview (mixed under it)."""
    _check_pulse(analysis)
    return accompany_cues(recording_cues(mono, analysis.tuning_cents), analysis, registry, options, recording=recording)


def accompany_cues(
    cues: RecordingCues,
    analysis: AnalysisResult,
    registry: GeneratorRegistry,
    options: AccompanimentOptions,
    *,
    recording: DecodedAudio | None = None,
) -> Accompaniment:
    """:func:`accompany_signal` from the recording's :class:`RecordingCues` (taken while its signal was at
    hand: :func:`take_recording_cues` as the analysis's last look at it)."""
    _check_pulse(analysis)
    env = cues.onsets
    beats = followed_beats(env, cues.bands, analysis.beat_times)
    chroma = cues.chroma
    given_key = parse_key(options.key) if options.key else None
    source, chart = _given_progression(options, given_key, recording_has_key=analysis.key is not None)
    if chart is None:
        source = harmony_source(options.harmony, chroma)
    meter, meter_note = (
        chart_meter(chart, analysis.time_signature) if chart is not None else (analysis.time_signature, None)
    )
    if source == "melody":  # a line alone: its own beat division and repetition tell its bars (melody_meter)
        meter = melody_meter(env, chroma, beats, meter)
    per_bar = meter_of(meter)[2]
    first = downbeat_phase(beats, analysis.downbeat_times, per_bar)
    provisional = given_key or key_of(analysis.key, [])
    # The bar line moves to where the heard chords change; chords that are not heard cannot move it.
    phase = first if chart is not None else bar_phase(chroma, beats, per_bar, first)
    if source == "melody":
        phase = melody_bar_phase(chroma, beats, per_bar, phase, provisional)
    grid = _grid(
        beats, analysis, per_bar, phase, irregular=phase == first and meter == analysis.time_signature, meter=meter
    )
    second: list[Chord | None] = []  # each bar's chord from its middle, where the heard harmony changes there
    if chart is not None:
        chords = [chart.bars[bar % len(chart.bars)] for bar in range(grid.bars)]
        # A bar of two chords changes at its middle; a short bar (2 beats in a 4/4 song) keeps its first.
        full = np.diff(grid.bar_starts) == grid.beats_per_bar
        second = [chart.changes[bar % len(chart.changes)] if full[bar] else None for bar in range(grid.bars)]
    else:
        bars = span_chroma(chroma, [grid.bar_span(bar) for bar in range(grid.bars)])
        if source == "melody":
            chords = harmonise(bars, provisional)
        else:
            chords = heard_chords(bars, bar_chords(grid, analysis.chords, provisional))
            chords, second = half_bar_chords(grid, chroma, analysis.chords, chords)
    half_bar = tuple(second) if any(c is not None for c in second) else ()
    if given_key is not None:
        key = given_key
    elif source == "default":
        key = parse_key(NO_KEY_DEFAULT)
    else:
        key = key_of(None if options.chords else analysis.key, [*chords, *(c for c in second if c is not None)])
    tempo = median_tempo(grid)
    parts: dict[str, list[PlacedNote]] = {}
    models: dict[str, str] = {}
    styles: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for offset, part in enumerate(p for p in options.parts if p != "pad"):
        progress.check()  # a cancelled job or a gone client stops before the next part's model runs
        request = GenerationRequest(
            part="drums" if part == "drums" else "bass",
            key=key,
            chords=tuple(chords),
            tempo=tempo,
            bars=grid.bars,
            beats_per_bar=grid.numerator,
            beat_unit=grid.denominator,
            temperature=options.temperature,
            seed=options.seed + offset,
            density=options.density,
            swing=options.swing,
            humanize=options.humanize,
            microtiming=options.microtiming,
            style=options.style,
            half_bar_chords=half_bar,
        )
        generator, reason = registry.select(part, options.model, chords_given=True, request=request)
        if options.style is None and generator.family == "magenta":
            # Magenta with no style draws a groove of any style by seed (seed 1: a march's snare on every beat
            # under a pop song); the theory backend's own default is a plain backbeat.
            request = replace(request, style=default_style(grid))
            generator, reason = registry.select(part, options.model, chords_given=True, request=request)
        generator.initialize()
        clip = generator.generate(request).continuation()
        limit = grid.bars * grid.beats_per_bar * grid.quarters_per_beat * 60.0 / tempo
        notes = [n for n in clip.notes if n.start < limit - 1e-6]
        parts[part] = place_notes(notes, grid, tempo=clip.tempo)
        models[part] = clip.model
        styles[part] = normalise_drum_style(request.style)
        said = [why for why in (reason, meter_mismatch(request.style, grid)) if why]
        if said:
            reasons[part] = "; ".join(said)
    if "pad" in options.parts:
        parts["pad"] = pad_notes(chords, grid, half_bar=half_bar)
        models["pad"] = "chords"
    midi = write_midi(grid, parts, key)
    result = Accompaniment(grid, key, chords, tempo, parts, models, reasons, midi)
    result.half_bar_chords = list(half_bar)
    result.bar_phase_corrected = phase != first
    result.harmony_source = source
    result.styles = styles
    said = [
        note for note in (harmony_note(source, analysis, key, given_chords=bool(options.chords)), meter_note) if note
    ]
    result.harmony_note = "; ".join(said) if said else None
    if options.preview:
        if recording is None:
            raise ValueError("a preview is mixed under the recording: pass the decoded recording")

        rendered = render_midi(preview_midis(result), recording.sample_rate, max_rates=preview_max_rates(result))
        mixed = mix_preview(recording, rendered, level_db=options.level_db)
        result.preview = encode_audio(mixed, recording.sample_rate, fmt=options.preview, bit_depth=16)
    return result
