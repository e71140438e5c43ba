"""The music-theory generation backend: drums, bass lines and melodies without a trained model.

Always available, deterministic for a request (every random choice comes from
``np.random.default_rng(request.seed)``) and thread-safe (no shared mutable state).

- Drums: the style grooves of :mod:`ai.generation.drum_patterns` with variations and fills.
- Bass: a rhythm riff drawn from the style's onset profile (busier with density) and repeated with
  variation; pitches by role (root on the downbeat, fifths, octaves, passing and approach notes
  toward the next chord) in the key's scale, E1-G3.
- Melody: phrases of two bars with an arched contour; a rhythm motif (cells per pulse chosen by
  density and temperature) repeated and varied; each pitch sampled from a softmax over scale
  tones scored for contour, stepwise motion, leap resolution, chord tones on strong beats and the
  motif's intervals; phrase endings on chord tones (the tonic at the end of a period), C4-C6.

``temperature`` is the softmax temperature of every choice plus the rate of variation,
syncopation and leaps; ``density`` moves the expected number of notes monotonically; swing and
humanisation come from :mod:`ai.generation.feel`; drum and bass velocities keep their written
accents and gain the hit-to-hit spread of :mod:`ai.generation.dynamics` when its tables are given.

This module holds the backend; the bar grid and shared helpers are in
:mod:`ai.generation.theory_grid`, the bass lines in :mod:`ai.generation.theory_bass` and the
melodies in :mod:`ai.generation.theory_melody`.
"""

from __future__ import annotations

import logging

import numpy as np

from ai.generation.base import GeneratedClip, GenerationRequest, Generator, Note, bar_chart
from ai.generation.drum_limbs import one_drummer
from ai.generation.drum_patterns import (
    DRUM_STYLES,
    generate_drums,
    groove_from_notes,
    normalise_drum_style,
    sixteenth_swing,
    style_swing,
)
from ai.generation.drum_styles import feel_style
from ai.generation.dynamics import GrooveDynamics
from ai.generation.feel import apply_swing, fit_to_length, humanize, tempo_swing
from ai.generation.melodic_phrases import shape_melody
from ai.generation.microtiming import GrooveTiming, timing_for
from ai.generation.phrasing import loop_phrases
from ai.generation.theory_bass import BASS_HOME, BASS_RANGE, _generate_bass
from ai.generation.theory_grid import _grid_for
from ai.generation.theory_melody import MELODY_RANGE, _generate_melody
from ai.music_theory import tones_under
from utils.errors import InvalidParameter

logger = logging.getLogger(__name__)


HUMANIZED_S = 0.03
"""A note this close before a bar line may belong to the bar after it (swing and humanize move onsets)."""


def _may_sound(note: Note, request: GenerationRequest, offset: float) -> bool:
    """Whether ``note`` is in the key, or a tone the chord sounding there brings (:func:`ai.music_theory.tones_under`:
    Bb in a bar of C7/Bb in C major; a bar's second chord from its middle)."""
    if note.pitch % 12 in request.key.pitch_classes:
        return True
    chords = {request.chord_at_time(note.start - offset + d) for d in (0.0, HUMANIZED_S)}
    return any(note.pitch % 12 in tones_under(request.key, chord) for chord in chords)


__all__ = ["BASS_HOME", "BASS_RANGE", "DRUM_STYLES", "MELODY_RANGE", "TheoryGenerator"]


# --- the backend ---------------------------------------------------------------------------


class TheoryGenerator(Generator):
    """Rule-based drums, bass and melody: always available, seeded, thread-safe."""

    name = "theory"
    family = "theory"
    parts = frozenset({"drums", "bass", "melody"})
    preference = 0
    follows_chords = True

    def __init__(self, dynamics: GrooveDynamics | None = None, timing: GrooveTiming | None = None) -> None:
        # The learned drum and bass velocities (ai.generation.dynamics); without them the
        # patterns' own accents stand.
        self.dynamics = dynamics
        # The learned drum microtiming (ai.generation.microtiming); None: the shipped table,
        # read on the first request that asks for microtiming.
        self.timing = timing

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "family": self.family, "drum_styles": list(DRUM_STYLES)}

    def generate(self, request: GenerationRequest) -> GeneratedClip:
        request.validate()
        try:
            style = normalise_drum_style(request.style)
        except ValueError as exc:
            raise InvalidParameter("style", str(exc)) from exc
        grid = _grid_for(request)
        feel = feel_style(style)  # a newer style's bass, melody, dynamics and timing tables are an older one's
        rng = np.random.default_rng(request.seed)
        end = request.primer_seconds + request.duration_seconds
        if request.part == "drums":
            groove = None
            if request.primer:
                groove = groove_from_notes(
                    request.primer,
                    step_seconds=grid.step_seconds,
                    steps_per_bar=grid.steps_per_bar,
                    end_seconds=request.primer_seconds,
                )
            notes = generate_drums(
                rng=rng,
                style=style,
                bars=grid.bars,
                pulses=grid.pulses,
                step_seconds=grid.step_seconds,
                offset=grid.offset,
                density=request.density,
                temperature=request.temperature,
                groove=groove,
            )
            # Its second bar is the pattern's own variation, as much as the temperature asks: kept.
            notes = loop_phrases(
                notes, bar_seconds=request.bar_seconds, offset=grid.offset, bars=request.bars, two_bar=True
            )
            notes = one_drummer(notes, request, offset=grid.offset)
        elif request.part == "bass":
            notes = _generate_bass(request, grid, feel, rng)
        elif request.part == "melody":
            notes = _generate_melody(request, grid, feel, rng)
            notes = shape_melody(notes, request, offset=grid.offset, last_pulse=grid.pulses[-1] * grid.step_seconds)
        else:
            raise InvalidParameter("part", f"unknown part '{request.part}' (drums, bass, melody)")

        if self.dynamics is not None:
            notes = self.dynamics.voice(
                notes,
                request,
                style=feel,
                offset=grid.offset,
                rng=np.random.default_rng([request.seed, 7]),
                keep_accents=True,
            )
        # The style's own swing narrows at fast tempos as a drummer's does; a swing asked for is played as asked.
        swing = request.swing if request.swing > 0 else tempo_swing(style_swing(style), request.tempo)
        if any(p != 4 for p in grid.pulses):  # compound or mixed meters: swing the 16ths of each 8th
            beat_seconds, subdivision = 2 * grid.step_seconds, 2
        else:
            beat_seconds, subdivision = 4 * grid.step_seconds, 4 if sixteenth_swing(style) else 2
        timing = timing_for(request, self.timing)
        places = timing.place(notes, request, offset=grid.offset) if timing is not None else []
        # A bar of an odd number of 16ths (3/16, 7/16) ends inside a pair of 16ths: each bar swings from its own line.
        by_bar = request.bar_seconds if grid.steps_per_bar % 2 else None
        notes = apply_swing(
            notes,
            amount=swing,
            beat_seconds=beat_seconds,
            subdivision=subdivision,
            offset=grid.offset,
            bar_seconds=by_bar,
        )
        if timing is not None:  # after swing: the offsets were measured on the style's swung grid
            notes = timing.apply(
                notes,
                places,
                request,
                style=feel,
                rng=np.random.default_rng([request.seed, 8]),
                start_seconds=grid.offset,
                end_seconds=end,
            )
        notes = humanize(notes, amount=request.humanize, rng=rng, start_seconds=grid.offset, end_seconds=end)
        notes = fit_to_length(notes, start_seconds=grid.offset, end_seconds=end)
        if request.part != "drums" and not request.chromatic:
            outside = [n for n in notes if not _may_sound(n, request, grid.offset)]
            if outside:  # the generators only pick these tones; this guards the hard guarantee
                logger.warning("theory %s: dropped %d out-of-scale notes (a bug)", request.part, len(outside))
                notes = [n for n in notes if _may_sound(n, request, grid.offset)]
        chords = [bar_chart(request, b) for b in range(request.bars)]
        return GeneratedClip.continuing(
            request,
            notes,
            model=self.name,
            end=end,
            extra={
                "chords": chords,
                "style": style,
                "swing": swing,
                **({"microtiming_style": timing.table_style(feel)} if timing is not None else {}),
                "key": request.key.name,
                "time_signature": f"{request.beats_per_bar}/{request.beat_unit}",
            },
        )
