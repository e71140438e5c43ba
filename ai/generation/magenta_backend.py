"""Magenta generator bundles (.mag) as generation backends, with every control of the engine.

:func:`load_bundles` reads each ``*.mag`` file of the models directory, maps its generator id to the
Magenta model family that knows it (DrumsRNN, MelodyRNN, ImprovRNN, PolyphonyRNN, PerformanceRNN:
the same standard generator maps, so official bundles dropped into the folder load through the same
code as ours) and registers one :class:`MagentaGenerator` per bundle. A bundle that cannot be read
or initialised is reported with ``registry.register_failure``, never raised.

How the controls reach the model (see :meth:`MagentaGenerator.generate`):

* key / scale: the models are trained in C major / A minor; chords and primer go into that space
  (``Key.transposition_to_c``), the output comes back by the opposite shift and every melody and
  bass note is snapped into the request's scale unless ``chromatic``: the scale less the tones its bar's
  chord alters (no C natural under A7 in C major, :func:`ai.music_theory.chord_scale`), for a bass line plus
  the chord's own tones (Bb under C7/Bb or a borrowed Bb: :func:`ai.music_theory.tones_under`).
* chords: ImprovRNN is conditioned on the progression (one chord per bar, repeating), as chord
  symbol annotations in the model's key space.
* tempo: generation runs at 120 quarter notes per minute in model time; times are scaled.
* bars, time signature: the generate section is ``bars`` bars of the request's meter (steps per
  bar follow the time signature of the input NoteSequence).
* temperature: Magenta's own ``temperature`` generator argument (softmax temperature).
* seed: Magenta samples with numpy's global generator; here each model's encoder/decoder samples
  with a private ``np.random.Generator`` seeded from the request under the model's lock, so a seed
  reproduces a clip byte for byte whatever other threads do.
* density: the sampling distribution is tilted at every step: the probability of the classes that
  only advance time (no drum hit, melody hold/rest, performance time shift) is multiplied by
  ``exp(-DENSITY_TILT * (2 * density - 1))`` and renormalised. density 0.5 is the model's own
  distribution; higher density makes a new onset more likely at every step.
* primer: its notes (transposed into model space, aligned so that it ends on a bar line; a swung line
  straightened first, :func:`ai.generation.feel.straighten_notes`) are the model's input sequence; the continuation starts after ``primer_seconds``; the primer's own notes
  are returned unchanged.
* bass style: a chord-following bass (ImprovRNN) asked for a style is primed with a two-bar riff
  of that style (``bass_style_primers.json``: MMA's human-written bass lines in C/Am with their own
  chords for those bars), chosen by seed and dropped from the output, so the line takes on the
  style's rhythm; without a style it starts from the first chord's root.
* drum style: DrumsRNN is primed with a two-bar groove of that style (``drum_style_primers.json``,
  chosen by seed; with no style, a groove of any style in the request's meter; never a groove of hand
  drums alone, :func:`ai.generation.magenta_primers.kit_grooves`: the model would play them as toms), and the
  priming bars are dropped from the output. Unprimed, the model drums far more sparsely than real
  drummers (see bench/README.md); with no grooves file an unprimed clip opens with a kick.
* phrases: a drum clip plays the model's first two bars, the first again and the model's own
  fourth bar in every four bars (:mod:`ai.generation.phrasing`), so it loops like a drummer's; the
  model writes at most DRUM_CYCLE_BARS bars, which a longer clip repeats (:func:`repeat_cycle`);
  that fourth bar ends with the style's fill (the theory backend's, ``drum_patterns``: the model
  has no notion of a fill), lands its own downbeat with a kick where the groove's bars do
  (:func:`ai.generation.phrasing.land_fill_downbeats`) and the next phrase opens with a crash.
  In styles whose drummers never strike ride and closed hi-hat together (MMA: rock, blues, country,
  disco, electronic, march), a hat that falls with a ride is dropped. The hi-hat and ride keep to what a
  hand sustains at the tempo, as the theory drums' do (:func:`_hand_sustained`: 8ths above 150 BPM; the
  model played funk's and disco's 16ths at 16 strokes a second at 240 BPM), and no more than two hands strike
  at once (:func:`ai.generation.drum_limbs.two_hands`: a closed hat under the ride is the pedal hat). A drum primer's last two bars
  are the phrase's groove (:func:`ai.generation.phrasing.keep_primer_groove`): the continuation keeps it.
* velocities: the models emit none; drums and bass take the learned per-style tables of
  :mod:`ai.generation.dynamics` (``groove_dynamics.json`` beside the bundles), melodies the metre
  and the phrase's contour with a player's spread (:func:`ai.generation.melodic_phrases.phrase_dynamics`).
  After the fills, the style's drummers' habits (:mod:`ai.generation.drum_habits`): ghost notes
  only as often as MMA's grooves of the style play them, a kick on a bar's weak one, and the
  style's foundation in every groove bar (not the fill bars): a kick on the one where MMA's
  drummers of the style put one there in at least half their bars, the snare on 2 and 4 where
  they play it in at least 3 of 4 (funk, hip-hop, disco, electronic, blues), no snare on a beat
  they almost never play it on. With a drum primer the continuation takes the primer's dynamics
  instead (its velocity per drum and 16th of the bar, the style's accent where it plays the drum
  elsewhere, then the players' spread, as the theory backend keeps a primer's accents), ghost
  notes as the primer plays them, and no foundation rule: the caller's groove is the foundation.
* swing / microtiming / humanize: :func:`ai.generation.feel.swing_notes`, the drums' learned offsets
  (:mod:`ai.generation.microtiming`, ``microtiming`` > 0) and :func:`ai.generation.feel.humanize`
  on the continuation.
* ranges: bass lines are moved by octaves into E1..G3; a melody without a primer by whole octaves to lie
  in C4..C6 as far as it can (a primer's register is the caller's), then a note of a one-line model's melody
  outside it, or more than an octave from the note before, by octaves into it (:func:`_singable_line`, after the cadences); drums go on the GM drum channel.
* bass downbeats: every bar starts on its chord's bass note (the slash note, else the root): the
  model's note on beat 1 moves to that note's nearest octave, and a bar it leaves empty there gets one.
* melody phrases: every two bars end on a stable tone and a breath, leading tones resolve
  (:mod:`ai.generation.melodic_phrases`).

TensorFlow is imported only when a bundle is loaded (``TF_USE_LEGACY_KERAS=1`` is set first).

Beside this module: :mod:`ai.generation.magenta_models` (lazy TensorFlow / Magenta imports, a bundle's
family, parts and preference), :mod:`ai.generation.magenta_sampling` (the private generator and the
density tilt), :mod:`ai.generation.magenta_primers` (drum grooves and bass riffs to prime with) and
:mod:`ai.generation.magenta_bass` (bass range and downbeats).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai.generation import feel
from ai.generation.base import (
    GeneratedClip,
    GenerationRequest,
    Generator,
    GeneratorRegistry,
    Note,
    bar_chart,
)
from ai.generation.drum_habits import anchor_downbeats, hold_foundation, lift_ghosts, plays_ghosts
from ai.generation.drum_limbs import one_drummer, one_timekeeper
from ai.generation.drum_styles import feel_style
from ai.generation.dynamics import GrooveDynamics, load_dynamics
from ai.generation.magenta_bass import BASS_RANGE, _anchor_downbeats, _place_bass
from ai.generation.magenta_models import (
    _generator_map,
    _import_tensorflow,
    _read_bundle,
    family_for_generator_id,
    parts_and_preference,
)
from ai.generation.magenta_primers import (
    BASS_PRIMERS_FILE,
    STYLE_PRIMERS_FILE,
    Groove,
    kit_grooves,
    load_style_primers,
    normalise_style,
)
from ai.generation.magenta_sampling import _Sampler, _time_advance_predicate, density_tilt
from ai.generation.melodic_phrases import phrase_dynamics, shape_melody
from ai.generation.microtiming import GrooveTiming, load_timing, timing_for
from ai.generation.phrasing import (
    add_fills,
    fill_bars,
    keep_primer_groove,
    land_fill_downbeats,
    loop_phrases,
)
from ai.generation.theory_melody import MELODY_RANGE
from ai.music_theory import Chord, beat_scale, chord_scale, fold_into_range, snap_to_scale, tones_under
from utils.errors import InvalidParameter

logger = logging.getLogger(__name__)

MODEL_QPM = 120.0  # generation runs at this tempo in model time; output times are scaled
RIDE_WITH_HAT_RARE = 0.05  # a style whose players strike ride and hi-hat together in fewer bars keeps one
MAX_PRIMER_BARS = 16  # only the last bars of a long primer condition the model
_WARMUP_BARS = 1

# Chord-conditioned families (ImprovRNN); the rest ignore request.chords.
_CHORD_FAMILIES = frozenset({"improv_rnn"})
_TRACK_FAMILIES = frozenset({"drums_rnn", "melody_rnn", "improv_rnn"})  # generated by _generate_track
_MONOPHONIC_FAMILIES = frozenset({"melody_rnn", "improv_rnn"})  # one line: each note follows the one before


# ---------------------------------------------------------------------------------------------
# The generator


@dataclass(frozen=True)
class _Layout:
    """Where things sit in model time (seconds at MODEL_QPM)."""

    scale: float  # output seconds per model second
    bar: float  # model seconds per bar
    step: float  # model seconds per step
    gen_start: float
    gen_end: float
    prefix_bars: int
    primer_out: float  # output time where the continuation starts


class MagentaGenerator(Generator):
    """One Magenta bundle as a generation backend. ``generate`` is thread-safe (one lock per model)."""

    family = "magenta"

    def __init__(
        self,
        *,
        name: str,
        path: Path,
        bundle: Any,
        model_family: str,
        style_primers: dict[str, tuple[Groove, ...]] | None = None,
        dynamics: GrooveDynamics | None = None,
        bass_primers: dict[str, tuple[Groove, ...]] | None = None,
        timing: GrooveTiming | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.model_family = model_family
        self.follows_chords = model_family in _CHORD_FAMILIES
        self.generator_id = str(bundle.generator_details.id)
        self.description = str(bundle.bundle_details.description or bundle.generator_details.description or "")
        self.file_bytes = path.stat().st_size if path.exists() else 0
        self.parts, self.preference = parts_and_preference(model_family, self.generator_id, name, self.description)
        self.style_primers = dict(style_primers or {})
        self.dynamics = dynamics  # learned drum and bass velocities (the models' own are flat)
        self.bass_primers = dict(bass_primers or {})  # style riffs a chord-following bass is primed with
        self.timing = timing  # learned drum microtiming (None: the shipped table when a request asks)
        self._bundle = bundle
        self._lock = threading.Lock()
        self._generator: Any = None
        self._sampler: _Sampler | None = None
        self._config: Any = None

    @classmethod
    def from_bundle_file(
        cls,
        path: Path,
        *,
        style_primers: dict[str, tuple[Groove, ...]] | None = None,
        dynamics: GrooveDynamics | None = None,
        bass_primers: dict[str, tuple[Groove, ...]] | None = None,
        timing: GrooveTiming | None = None,
    ) -> MagentaGenerator:
        """Read a .mag file and map its generator id. Raises ValueError for an unknown id and
        Magenta's/protobuf's errors for an unreadable file."""
        bundle = _read_bundle(path)
        generator_id = bundle.generator_details.id
        if not generator_id:
            raise ValueError("the bundle names no generator id")
        model_family = family_for_generator_id(generator_id)
        if model_family is None:
            raise ValueError(f"unknown Magenta generator id '{generator_id}'")
        return cls(
            name=path.stem,
            path=path,
            bundle=bundle,
            model_family=model_family,
            style_primers=style_primers,
            dynamics=dynamics,
            bass_primers=bass_primers,
            timing=timing,
        )

    # -- loading ---------------------------------------------------------------------------

    def initialize(self) -> None:
        """Build the model's graph and session from the bundle (idempotent, thread-safe)."""
        with self._lock:
            if self._generator is not None:
                return
            _import_tensorflow()
            factory = _generator_map(self.model_family)[self.generator_id]
            config = copy.deepcopy(factory.args[0])  # the map's config objects are shared
            if hasattr(config, "transpose_to_key"):
                config.transpose_to_key = None  # we normalise the key ourselves
            sampler = _Sampler(config.encoder_decoder, _time_advance_predicate(self.model_family))
            config.encoder_decoder.extend_event_sequences = sampler
            generator = factory.func(config, checkpoint=None, bundle=self._bundle)
            generator.initialize()
            self._config, self._sampler, self._generator = config, sampler, generator
            logger.info("loaded Magenta bundle %s (%s, %s)", self.name, self.model_family, self.generator_id)

    def warm_up(self) -> None:
        """One short generation so that the first request does not pay TensorFlow's first-run cost."""
        from ai.music_theory import Key, default_progression

        key = Key(0, "major")
        part = "drums" if "drums" in self.parts else sorted(self.parts)[0]
        self.generate(GenerationRequest(part=part, key=key, chords=default_progression(key), bars=_WARMUP_BARS))  # type: ignore[arg-type]

    def close(self) -> None:
        with self._lock:
            if self._generator is not None:
                self._generator.close()
                self._generator = None

    def describe(self) -> dict[str, object]:
        info: dict[str, object] = {
            "name": self.name,
            "parts": sorted(self.parts),
            "loaded": True,
            "family": self.family,
            "bundle_id": self.name,
            "model_type": self.model_family,
            "generator_id": self.generator_id,
            "description": self.description,
            "file": self.path.name,
            "file_bytes": self.file_bytes,
            "preference": self.preference,
            "follows_chords": self.follows_chords,
            "initialized": self._generator is not None,
        }
        if "drums" in self.parts:
            info["styles"] = sorted(self.style_primers)
        if "bass" in self.parts and self.model_family in _CHORD_FAMILIES:
            info["bass_styles"] = sorted(self.bass_primers)
        return info

    def cannot_play(self, request: GenerationRequest) -> str | None:
        """Drums in a style or meter the bundle has no groove of: DrumsRNN primed with nothing, or
        with a groove of another meter, plays 6/8 as 3/4 and 7/8 without its groups
        (bench/groove_quality.py), so ``auto`` sends them to the theory backend, which plays each
        style's own pattern in each meter's pulses."""
        if request.part != "drums" or not self.style_primers:
            return None
        style = normalise_style(request.style) if request.style else "default"
        if style == "default":
            pool = tuple(g for grooves in self.style_primers.values() for g in grooves)
        else:
            pool = self.style_primers.get(style, ())
        if not pool:
            return f"the Magenta drum model has no {style} groove to play"
        meters = sorted({g.beats_per_bar or 4 for g in pool})
        if request.beat_unit == 4 and request.beats_per_bar in meters:
            return None
        known = ", ".join(f"{m}/4" for m in meters)
        meter = f"{request.beats_per_bar}/{request.beat_unit}"
        return f"the Magenta drum model has {style} grooves in {known} only, not in {meter}"

    # -- generation ------------------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> GeneratedClip:
        """Generate ``request.bars`` bars of ``request.part`` (after any primer). See the module doc."""
        if request.part not in self.parts:
            raise InvalidParameter("part", f"model '{self.name}' does not generate {request.part}")
        self.initialize()
        import note_seq
        from note_seq.protobuf import generator_pb2, music_pb2

        pitched = request.part != "drums"
        shift = request.key.transposition_to_c() if pitched else 0
        request.validate()
        groove, style_note = (None, None)
        if request.part == "drums" and not request.primer:
            groove, style_note = self._pick_groove(request, self.style_primers)
        elif request.part == "bass" and not request.primer and self._primes_bass_style(request.style):
            groove, style_note = self._pick_groove(request, self.bass_primers, "bass riff")
        # A long drum clip plays its model's bars 1, 2 and every fourth (loop_phrases): the model writes one
        # cycle of DRUM_CYCLE_BARS and the clip repeats it (a 3-minute accompaniment spent ~2 s of its 5 on drums).
        model_request = request
        if request.part == "drums" and request.bars > DRUM_CYCLE_BARS:
            model_request = dataclasses.replace(request, bars=DRUM_CYCLE_BARS)
        layout = self._layout(model_request, groove)

        sequence = music_pb2.NoteSequence()
        sequence.ticks_per_quarter = note_seq.STANDARD_PPQ
        sequence.tempos.add(time=0.0, qpm=MODEL_QPM)
        sequence.time_signatures.add(time=0.0, numerator=request.beats_per_bar, denominator=request.beat_unit)
        octaves = 0
        if groove is not None and request.part == "drums":
            self._add_groove(sequence, groove, layout)
        elif groove is not None:
            octaves = self._add_riff(sequence, groove, layout)
        elif request.primer:
            octaves = self._add_primer(sequence, request, layout, shift)
        chords_used: list[str] = []
        if self.model_family in _CHORD_FAMILIES:
            chords_used = self._add_chords(sequence, request, layout, shift, groove.chords if groove else ())
        sequence.total_time = layout.gen_end

        options = generator_pb2.GeneratorOptions()
        options.args["temperature"].float_value = float(request.temperature)
        options.generate_sections.add(start_time=layout.gen_start, end_time=layout.gen_end)

        with self._lock:
            assert self._sampler is not None and self._generator is not None
            self._sampler.rng = np.random.default_rng([_seed(request.seed), 0])
            self._sampler.tilt = density_tilt(request.density)
            # Magenta logs the primer's log-likelihood; an event the model deems impossible is log(0).
            with np.errstate(divide="ignore"):
                if self.model_family in _TRACK_FAMILIES:
                    generated = self._generate_track(sequence, layout, model_request)
                else:
                    generated = self._generator.generate(sequence, options)

        notes = self._continuation(generated, model_request, layout, shift + octaves)
        if model_request is not request:
            notes = repeat_cycle(
                notes,
                cycle=model_request.bars,
                bars=request.bars,
                bar_seconds=request.bar_seconds,
                offset=layout.primer_out,
            )
        style_key = normalise_style(request.style) if request.style else None
        if request.part == "bass":
            notes = _anchor_downbeats(notes, request, offset=layout.primer_out)
        if request.part == "melody":
            last_pulse = feel.pulse_groups(request.beats_per_bar, request.beat_unit)[-1]
            notes = shape_melody(
                notes,
                request,
                offset=layout.primer_out,
                last_pulse=last_pulse * request.seconds_per_beat * request.beat_unit / 16.0,
            )
            if not request.primer and self.model_family in _MONOPHONIC_FAMILIES:  # after the cadences' moves
                notes = _singable_line(notes)
            if self.model_family != "performance_rnn":  # PerformanceRNN plays its own velocities
                notes = phrase_dynamics(
                    notes, request, offset=layout.primer_out, rng=np.random.default_rng([_seed(request.seed), 5])
                )
        if request.part == "drums":
            if request.primer:
                notes = keep_primer_groove(
                    notes, request.primer, offset=layout.primer_out, bar_seconds=request.bar_seconds
                )
            notes = loop_phrases(
                notes,
                bar_seconds=request.bar_seconds,
                offset=layout.primer_out,
                bars=request.bars,
                two_bar=True if request.primer else None,  # a primer's two bars are the caller's groove
            )
            together = self.dynamics.ride_with_hat(style_key) if self.dynamics is not None else None
            if together is not None and together < RIDE_WITH_HAT_RARE:
                notes = one_timekeeper(notes)
        if self.dynamics is not None:
            primed = request.part == "drums" and bool(request.primer)
            if primed:  # the caller's drummer's dynamics, kept as the theory backend keeps a primer's accents
                notes = self.dynamics.follow_primer(
                    notes, request.primer, request, style=style_key, offset=layout.primer_out
                )
            notes = self.dynamics.voice(
                notes,
                request,
                style=style_key,
                offset=layout.primer_out,
                rng=np.random.default_rng([_seed(request.seed), 3]),
                keep_accents=primed,
            )
        if request.part == "drums":
            notes = add_fills(
                notes,
                style=normalise_style(request.style) if request.style else None,
                bars=request.bars,
                bar_seconds=request.bar_seconds,
                offset=layout.primer_out,
                pulses=feel.pulse_groups(request.beats_per_bar, request.beat_unit),
                density=request.density,
                temperature=request.temperature,
                rng=np.random.default_rng([_seed(request.seed), 4]),
            )
            notes = self._drum_habits(notes, request, style_key, offset=layout.primer_out)
            # After the habits, which give the groove bars their kick on the one: the fill bars land theirs too.
            notes = land_fill_downbeats(
                notes, bars=request.bars, bar_seconds=request.bar_seconds, offset=layout.primer_out
            )
            if not request.primer:  # a primer's groove is the caller's, played as written (as the theory drums do)
                notes = _hand_sustained(notes, request, offset=layout.primer_out)
            notes = one_drummer(notes, request, offset=layout.primer_out)
        end = layout.primer_out + request.duration_seconds
        # The style's own swing narrows at fast tempos as a drummer's does (the theory backend's rule).
        swing = (
            request.swing
            if request.swing > 0 or not request.style
            else feel.tempo_swing(_style_swing(request.style), request.tempo)
        )
        timing = timing_for(request, self.timing)
        places = timing.place(notes, request, offset=layout.primer_out) if timing is not None else []
        notes = feel.swing_notes(
            notes,
            swing=swing,
            seconds_per_beat=request.seconds_per_beat,
            beat_unit=request.beat_unit,
            style=request.style,
            offset=layout.primer_out,
        )
        if timing is not None:  # after swing: the offsets were measured on the style's swung grid
            notes = timing.apply(
                notes,
                places,
                request,
                style=style_key,
                rng=np.random.default_rng([_seed(request.seed), 8]),
                start_seconds=layout.primer_out,
                end_seconds=end,
            )
        notes = feel.humanize(
            notes,
            amount=request.humanize,
            rng=np.random.default_rng([_seed(request.seed), 1]),
            start_seconds=layout.primer_out,
            end_seconds=end,
        )
        notes = feel.fit_to_length(notes, start_seconds=layout.primer_out, end_seconds=end)
        extra: dict[str, object] = {
            "generator_id": self.generator_id,
            "model_type": self.model_family,
            "density_tilt": round(density_tilt(request.density), 4),
        }
        if chords_used:
            extra["chords"] = [bar_chart(request, bar) for bar in range(min(request.bars, len(request.chords)))]
            extra["model_chords"] = chords_used
        if pitched:
            extra["transposition_to_model"] = shift
        if groove is not None:
            extra["style_primer"] = groove.style
        if style_note:
            extra["style_note"] = style_note
        if swing != request.swing:
            extra["style_swing"] = swing
        if timing is not None:
            extra["microtiming_style"] = timing.table_style(style_key)
        return GeneratedClip.continuing(request, notes, model=self.name, end=end, extra=extra)

    def _drum_habits(
        self, notes: list[Note], request: GenerationRequest, style: str | None, *, offset: float
    ) -> list[Note]:
        """The style's drummers' habits (ai.generation.drum_habits) on a finished groove: ghosts
        only as often as the style plays them (a primer's drummer: as it does), the one marked, and
        the style's foundation (kick on the one, backbeat) in every groove bar of a clip the caller
        gave no groove of its own."""
        if self.dynamics is None:
            return notes
        habits = self.dynamics.habits(style, request.beats_per_bar, request.beat_unit)
        if habits is None:
            return notes
        classes = self.dynamics.drum_class
        if request.primer:  # the caller's drummer plays ghosts or does not
            habits = dataclasses.replace(
                habits, ghost_share=1.0 if plays_ghosts(request.primer, classes=classes) else 0.0
            )
        notes = lift_ghosts(
            notes, habits, classes=classes, offset=offset, rng=np.random.default_rng([_seed(request.seed), 9])
        )
        pulses = feel.pulse_groups(request.beats_per_bar, request.beat_unit)
        kick = self.dynamics.kick_velocity(style, request.beats_per_bar, request.beat_unit)
        notes = anchor_downbeats(  # after the ghosts: it weighs the bar's final loudness
            notes,
            habits,
            classes=classes,
            bar_seconds=request.bar_seconds,
            pulses=pulses,
            offset=offset,
            bars=request.bars,
            kick_velocity=kick,
        )
        if request.primer:
            return notes
        fills = set(fill_bars(request.bars))
        return hold_foundation(
            notes,
            habits,
            classes=classes,
            bar_seconds=request.bar_seconds,
            pulses=pulses,
            offset=offset,
            bars=[bar for bar in range(request.bars) if bar not in fills],
            kick_velocity=kick,
            snare_velocity=self.dynamics.velocity(
                style, request.beats_per_bar, request.beat_unit, "snare", pulses[0] if len(pulses) > 1 else 0
            ),
        )

    def _steps_per_quarter(self) -> int:
        return int(getattr(self._config, "steps_per_quarter", 4) or 4)

    def _layout(self, request: GenerationRequest, groove: Groove | None) -> _Layout:
        quarter = 60.0 / MODEL_QPM
        quarters_per_bar = request.beats_per_bar * 4.0 / request.beat_unit
        bar = quarters_per_bar * quarter
        step = quarter / self._steps_per_quarter()
        if (
            abs(quarters_per_bar * self._steps_per_quarter() - round(quarters_per_bar * self._steps_per_quarter()))
            > 1e-6
        ):
            raise InvalidParameter(
                "time_signature",
                f"{request.beats_per_bar}/{request.beat_unit} does not fit "
                f"the model's grid of {self._steps_per_quarter()} steps per quarter note",
            )
        scale = MODEL_QPM / request.tempo
        primer_out = 0.0
        if request.primer:
            primer_out = request.primer_seconds or max(n.end for n in request.primer)
            prefix_bars = max(1, math.ceil(primer_out / scale / bar - 1e-6))
        elif groove is not None:
            beats_per_bar = request.beats_per_bar * 4.0 / request.beat_unit
            prefix_bars = max(1, math.ceil(groove.beats / beats_per_bar - 1e-6))
        else:
            # Our track generation opens with one given event (see _generate_track); Magenta's
            # other generators need a primer section before the generate section.
            prefix_bars = 0 if self.model_family in _TRACK_FAMILIES else 1
        gen_start = prefix_bars * bar
        return _Layout(
            scale=scale,
            bar=bar,
            step=step,
            gen_start=gen_start,
            gen_end=gen_start + request.bars * bar,
            prefix_bars=prefix_bars,
            primer_out=primer_out,
        )

    def _pick_groove(
        self, request: GenerationRequest, library: dict[str, tuple[Groove, ...]], what: str = "groove"
    ) -> tuple[Groove | None, str | None]:
        """The clip of ``library`` to prime the model with (chosen by seed), or None and why not.

        A style picks among that style's clips; no style (or "default") among every style's,
        because unprimed DrumsRNN output is far sparser than real drumming (bench/README.md).
        """
        style = normalise_style(request.style) if request.style else "default"
        if style == "default":
            grooves: tuple[Groove, ...] = tuple(g for pool in library.values() for g in pool)
            if not grooves:
                return None, None
        else:
            grooves = library.get(style, ())
            borrowed = _borrowed_feel(style)
            if not grooves and borrowed in library:  # trap primed with hip-hop's, the style it takes its feel from
                grooves = library[borrowed]
            if not grooves:
                known = ", ".join(sorted(library)) or "none"
                return None, f"no {style} {what} to prime the model with (styles with one: {known})"
        fitting = [g for g in grooves if (g.beats_per_bar or 4) == request.beats_per_bar]
        if not fitting:
            return None, f"no {style} {what} in {request.beats_per_bar}/{request.beat_unit} to prime the model with"
        rng = np.random.default_rng([_seed(request.seed), 2])
        return fitting[int(rng.integers(len(fitting)))], None

    def _add_groove(self, sequence: Any, groove: Groove, layout: _Layout) -> None:
        quarter = 60.0 / MODEL_QPM
        for pitch, start, end, velocity in groove.notes:
            start_m, end_m = start * quarter, min(end * quarter, layout.gen_start)
            if start_m >= layout.gen_start - 1e-6:
                continue
            sequence.notes.add(
                pitch=pitch,
                start_time=start_m,
                end_time=max(end_m, start_m + layout.step / 2),
                velocity=velocity,
                is_drum=True,
                instrument=9,
            )

    def _primes_bass_style(self, style: str | None) -> bool:
        """Whether a bass request's style is played by priming with a riff (chord-following models)."""
        return self.model_family in _CHORD_FAMILIES and bool(style) and normalise_style(str(style)) != "default"

    def _add_riff(self, sequence: Any, riff: Groove, layout: _Layout) -> int:
        """A bass riff (already in the model's key) before the generate section, moved by octaves
        to the middle of the model's range as a primer is; returns that octave shift."""
        quarter = 60.0 / MODEL_QPM
        pitches = [n[0] for n in riff.notes]
        octaves = 12 * int(round((self._model_centre() - (min(pitches) + max(pitches)) / 2.0) / 12.0))
        for pitch, start, end, velocity in riff.notes:
            start_m, end_m = start * quarter, min(end * quarter, layout.gen_start - 1e-4)
            if start_m >= layout.gen_start - layout.step / 2 or end_m <= start_m or not 0 <= pitch + octaves <= 127:
                continue
            sequence.notes.add(
                pitch=pitch + octaves, start_time=start_m, end_time=end_m, velocity=velocity, instrument=0, program=33
            )
        return octaves

    def _drum_pitches(self) -> frozenset[int] | None:
        encoding = getattr(self._config.encoder_decoder, "_one_hot_encoding", None)
        inverse = getattr(encoding, "_inverse_drum_map", None)
        return frozenset(inverse) if isinstance(inverse, dict) else None

    def _add_primer(self, sequence: Any, request: GenerationRequest, layout: _Layout, shift: int) -> int:
        """Put the primer into model time and key; returns the octave shift applied to its pitches.

        A pitched primer is moved by whole octaves so that its middle sits at the middle of the
        model's range, where the training lines were centred (Magenta's own ``squash`` would only
        fold the notes that stick out); the continuation is moved back by the same amount.
        """
        offset = layout.gen_start - layout.primer_out / layout.scale  # the primer ends on a bar line
        earliest = layout.gen_start - MAX_PRIMER_BARS * layout.bar
        drum_pitches = self._drum_pitches() if request.part == "drums" else None
        kept = []
        primer: Sequence[Note] = request.primer
        if request.part != "drums":  # the model reads straight 16ths: a swung line is given to it straight
            primer = feel.straighten_notes(
                primer,
                swing=request.swing,
                seconds_per_beat=request.seconds_per_beat,
                beat_unit=request.beat_unit,
                style=request.style,
            )
        for note in primer:
            start = note.start / layout.scale + offset
            end = min(note.end / layout.scale + offset, layout.gen_start - 1e-4)
            if start < earliest or start >= layout.gen_start - layout.step / 2 or end <= start:
                continue
            if drum_pitches is not None and note.pitch not in drum_pitches:
                continue
            kept.append((note.pitch + shift, start, end, note.velocity))
        octaves = 0
        if request.part != "drums" and kept:
            pitches = [k[0] for k in kept]
            middle = (min(pitches) + max(pitches)) / 2.0
            octaves = 12 * int(round((self._model_centre() - middle) / 12.0))
        for pitch, start, end, velocity in kept:
            if not 0 <= pitch + octaves <= 127:
                continue
            sequence.notes.add(
                pitch=pitch + octaves,
                start_time=start,
                end_time=end,
                velocity=velocity,
                is_drum=request.part == "drums",
                instrument=9 if request.part == "drums" else 0,
            )
        return octaves

    def _model_centre(self) -> float:
        """Middle of the model's melody range (MIDI), where Magenta centres training lines."""
        low = int(getattr(self._config, "min_note", 48))
        high = int(getattr(self._config, "max_note", 84))
        return (low + high - 1) / 2.0

    def _add_chords(
        self, sequence: Any, request: GenerationRequest, layout: _Layout, shift: int, prefix: Sequence[str] = ()
    ) -> list[str]:
        """One chord symbol per bar in model key; the prefix bars take ``prefix`` (a riff's own
        chords, already in model key) when given, else the request's progression."""
        from note_seq.protobuf import music_pb2

        def in_model_key(chord: Chord) -> str:
            return Chord(
                (chord.root + shift) % 12, chord.quality, None if chord.bass is None else (chord.bass + shift) % 12
            ).symbol

        used = []
        total_bars = layout.prefix_bars + request.bars
        for bar in range(total_bars):
            changes: list[tuple[float, str]] = []  # (seconds into the bar, symbol)
            if bar < layout.prefix_bars and prefix:
                changes.append((0.0, prefix[bar % len(prefix)]))
            else:
                changes.append((0.0, in_model_key(request.chord_at_bar(bar - layout.prefix_bars))))
                second = request.half_bar_chord(bar - layout.prefix_bars)
                if second is not None:  # the model reads a chord per step: the bar's change is one more symbol
                    changes.append((layout.bar * request.change_beat / request.beats_per_bar, in_model_key(second)))
            for at, symbol in changes:
                sequence.text_annotations.add(
                    time=bar * layout.bar + at,
                    text=symbol,
                    annotation_type=music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL,
                )
            if bar >= layout.prefix_bars:
                used.append(" ".join(symbol for _, symbol in changes))
        return used

    def _generate_track(self, sequence: Any, layout: _Layout, request: GenerationRequest) -> Any:
        """DrumsRNN / MelodyRNN / ImprovRNN generation through the model's own generate method.

        The steps are those of Magenta's sequence generators (quantise the primer, extract the
        drum track or melody, pad it up to the generate section, extend it), with three changes:

        * with no primer Magenta starts an empty track one step before the generate section, so
          the models' bar-position inputs (binary step counters, one- and two-bar look-backs)
          run one sixteenth off the bar lines they were trained on (training tracks start on the
          bar line of their first note). Here an unprimed track starts on the first bar line with
          one given event, as in Magenta's own command-line default primer: a kick for drums, the
          first chord's root (ImprovRNN) or the tonic (MelodyRNN) for lines; the model continues
          from the second step. (A silent bar before the clip was tried instead: it is unlike any
          training example, and the bass came out at 1.8 notes per bar against 4.5 in real bass
          lines; see bench/README.md.)
        * a primer is aligned so that it ends on a bar line (see ``_layout``).
        * ImprovRNN 2.1.4 trims the backing chords from the right when the melody starts after
          step 0, which fails its own length check; here they are trimmed from the left.

        Called under the model's lock.
        """
        import note_seq
        from magenta.pipelines import drum_pipelines, melody_pipelines

        steps_per_quarter = self._steps_per_quarter()
        start_step = int(round(layout.gen_start / layout.step))
        end_step = int(round(layout.gen_end / layout.step))
        steps_per_bar = int(round(layout.bar / layout.step))
        primer = note_seq.quantize_note_sequence(
            note_seq.trim_note_sequence(sequence, 0.0, layout.gen_start), steps_per_quarter
        )
        model = self._generator._model
        temperature = float(request.temperature)
        if self.model_family == "drums_rnn":
            tracks, _ = drum_pipelines.extract_drum_tracks(
                primer, search_start_step=0, min_bars=0, gap_bars=float("inf"), ignore_is_drum=True
            )
            if tracks and tracks[0]:
                drums = tracks[0]
            elif start_step == 0:  # no primer: the clip opens with a kick, as Magenta's own default primer
                drums = note_seq.DrumTrack(
                    [frozenset({36})], start_step=0, steps_per_bar=steps_per_bar, steps_per_quarter=steps_per_quarter
                )
                start_step = 1
            else:
                drums = note_seq.DrumTrack(
                    [], start_step=0, steps_per_bar=steps_per_bar, steps_per_quarter=steps_per_quarter
                )
            drums.set_length(start_step - drums.start_step)
            generated = model.generate_drum_track(end_step - drums.start_step, drums, temperature=temperature)
            return generated.to_sequence(qpm=MODEL_QPM)

        melodies, _ = melody_pipelines.extract_melodies(
            primer,
            search_start_step=0,
            min_bars=0,
            min_unique_pitches=1,
            gap_bars=float("inf"),
            ignore_polyphonic_notes=True,
        )
        if melodies and melodies[0]:
            melody = melodies[0]
        elif start_step == 0:  # no primer: the line opens with the first chord's root (the key's tonic)
            melody = note_seq.Melody(
                [self._opening_pitch(request)],
                start_step=0,
                steps_per_bar=steps_per_bar,
                steps_per_quarter=steps_per_quarter,
            )
            start_step = 1
        else:
            melody = note_seq.Melody([], start_step=0, steps_per_bar=steps_per_bar, steps_per_quarter=steps_per_quarter)
        melody.set_length(start_step - melody.start_step)
        if self.model_family != "improv_rnn":
            generated = model.generate_melody(end_step - melody.start_step, melody, temperature=temperature)
            return generated.to_sequence(qpm=MODEL_QPM)

        from magenta.pipelines import chord_pipelines

        backing = note_seq.quantize_note_sequence(
            note_seq.trim_note_sequence(sequence, 0.0, layout.gen_end), steps_per_quarter
        )
        chords = chord_pipelines.extract_chords(backing)[0][0]
        chords.set_length(end_step - melody.start_step, from_left=True)
        generated = model.generate_melody(melody, chords, temperature=temperature)
        return note_seq.LeadSheet(generated, chords).to_sequence(qpm=MODEL_QPM)

    def _opening_pitch(self, request: GenerationRequest) -> int:
        """First note of an unprimed line, in model space: the root of the first chord for
        chord-conditioned models, else the tonic (C or A), in the octave nearest the middle of the model's
        range."""
        shift = request.key.transposition_to_c()
        if self.model_family in _CHORD_FAMILIES:
            pitch_class = (request.chords[0].bass_pitch_class + shift) % 12
        else:
            pitch_class = 9 if request.key.is_minor else 0
        centre = self._model_centre()
        return pitch_class + 12 * int(round((centre - pitch_class) / 12.0))

    def _continuation(self, generated: Any, request: GenerationRequest, layout: _Layout, shift: int) -> list[Note]:
        """The generated notes after the prefix, in output time, pitch and range."""
        raw = [n for n in generated.notes if n.start_time >= layout.gen_start - layout.step / 2]
        raw.sort(key=lambda n: (n.start_time, n.pitch))
        pitches = [n.pitch - shift for n in raw]
        if request.part == "bass" and pitches:
            pitches = _place_bass(pitches)
        if request.part == "melody" and pitches and not request.primer:  # a primer's register is the caller's
            pitches = _place_melody(pitches)
        if request.part in ("melody", "bass") and not request.chromatic:  # the key less what the bar's chord alters
            bars = [int((n.start_time - layout.gen_start) / layout.bar + 1e-6) for n in raw]
            # A bass plays its chord's own tones in the key or not (Bb under C7/Bb); a melody keeps to the scale.
            under = tones_under if request.part == "bass" else chord_scale
            beat = layout.bar / request.beats_per_bar  # the chord sounding where the note starts (a bar may change)
            chords = [
                request.chord_at(bar, (n.start_time - layout.gen_start - bar * layout.bar) / beat + 1e-6)
                for bar, n in zip(bars, raw, strict=True)
            ]
            scales = [under(request.key, chord) for chord in chords]
            if request.part == "melody":  # on a beat not the chord's other third either (B under Ab in C)
                beats = _on_beat(raw, request, layout)
                scales = [
                    beat_scale(request.key, chord) if on_beat else pcs
                    for chord, pcs, on_beat in zip(chords, scales, beats, strict=True)
                ]
            pitches = [snap_to_scale(p, pcs) for p, pcs in zip(pitches, scales, strict=True)]
            if request.part == "bass":
                pitches = [fold_into_range(p, *BASS_RANGE) for p in pitches]
        notes = []
        seen: set[tuple[int, float]] = set()
        for n, pitch in zip(raw, pitches, strict=True):
            if (pitch, n.start_time) in seen:  # two voices snapped onto one pitch (polyphonic models)
                continue
            seen.add((pitch, n.start_time))
            start = (n.start_time - layout.gen_start) * layout.scale + layout.primer_out
            end = (n.end_time - layout.gen_start) * layout.scale + layout.primer_out
            weight = feel.metric_weight(
                start,
                seconds_per_beat=request.seconds_per_beat,
                beats_per_bar=request.beats_per_bar,
                offset=layout.primer_out,
            )
            velocity = n.velocity if self.model_family == "performance_rnn" else int(round(64 + 48 * weight))
            notes.append(Note(int(np.clip(pitch, 0, 127)), start, max(end, start + 0.01), velocity))
        return notes


DRUM_CYCLE_BARS = 16
"""Bars of a drum clip the model writes; a longer clip repeats them. Its phrases play the model's bars 1, 2 and
the phrase's last (ai.generation.phrasing.loop_phrases), so a cycle of four phrases holds every bar a long clip
plays but its phrase ends, which then come round every 16 bars (a drummer's 16-bar form), each with the style's
own fill on top (add_fills, drawn anew per phrase)."""


def repeat_cycle(notes: Sequence[Note], *, cycle: int, bars: int, bar_seconds: float, offset: float) -> list[Note]:
    """``notes`` (``cycle`` bars from ``offset`` seconds, any primer before it) repeated to ``bars`` bars."""
    tolerance = 1e-6
    length = cycle * bar_seconds
    end = offset + bars * bar_seconds
    out = [n for n in notes if n.start < offset - tolerance]
    # Each note held within the cycle, so no note still sounds when the next round strikes its pitch again.
    body = [
        Note(n.pitch, n.start, max(min(n.end, offset + length), n.start + tolerance), n.velocity)
        for n in notes
        if n.start >= offset - tolerance
    ]
    for k in range(math.ceil(bars / cycle)):
        shift = k * length
        out += [
            Note(n.pitch, n.start + shift, min(n.end + shift, end), n.velocity)
            for n in body
            if n.start + shift < end - tolerance
        ]
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def _on_beat(raw: Sequence[Any], request: GenerationRequest, layout: _Layout) -> list[bool]:
    """Whether each generated note (model time) starts on a beat: a pulse start of the request's meter
    (:func:`ai.generation.feel.pulse_groups`), where the theory backend's melodies hold chord tones."""
    pulses = feel.pulse_groups(request.beats_per_bar, request.beat_unit)
    starts = {int(s) for s in np.cumsum((0, *pulses[:-1]))}
    sixteenth = layout.bar / sum(pulses)
    out = []
    for n in raw:
        position = ((n.start_time - layout.gen_start) % layout.bar) / sixteenth
        out.append(abs(position - round(position)) < 0.25 and round(position) % sum(pulses) in starts)
    return out


def _hand_sustained(notes: list[Note], request: GenerationRequest, *, offset: float) -> list[Note]:
    """The model's hi-hat and ride at most MAX_HAND_STROKES_PER_SECOND (drum_patterns.thin_hand_strokes): it played
    funk and disco in 16th hats at any tempo, 16 strokes a second at 240 BPM."""
    from ai.generation.drum_patterns import thin_hand_strokes

    return thin_hand_strokes(
        notes,
        pulses=feel.pulse_groups(request.beats_per_bar, request.beat_unit),
        step_seconds=request.seconds_per_beat * request.beat_unit / 16.0,
        offset=offset,
    )


def _style_swing(style: str) -> float:
    """The swing a drum style carries by itself (the theory backend's convention: jazz, blues)."""
    from ai.generation.drum_patterns import style_swing

    try:
        return float(style_swing(style))
    except ValueError:
        return 0.0


def _borrowed_feel(style: str) -> str | None:
    """The older style a newer one takes its feel from (:func:`~ai.generation.drum_styles.feel_style`: trap ->
    hip-hop), None for a style of its own or a name no style has."""
    try:
        feel = feel_style(style)
    except ValueError:
        return None
    return feel if feel != style else None


def _seed(seed: int) -> int:
    return int(seed) % (2**63)


# ---------------------------------------------------------------------------------------------
# Loading


def _read_primers(path: Path, what: str, registry: GeneratorRegistry) -> dict[str, tuple[Groove, ...]]:
    """A primer library beside the bundles, or none (a missing file) or none and a reported
    failure (an unreadable one)."""
    if not path.exists():
        return {}
    try:
        return load_style_primers(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        registry.register_failure(path.stem, f"unreadable {what}: {exc}")
        return {}


def load_bundles(
    models_dir: Path,
    registry: GeneratorRegistry,
    *,
    initialize: bool = True,
    warm_up: bool = True,
    stop: threading.Event | None = None,
) -> list[MagentaGenerator]:
    """Register every ``*.mag`` bundle of ``models_dir`` as a :class:`MagentaGenerator`.

    Each bundle is read, its generator id mapped to a Magenta family, and (``initialize``) its
    TensorFlow session built and (``warm_up``) one short clip generated. Any failure, including a
    TensorFlow that does not import, is recorded with ``registry.register_failure(stem, reason)``
    and never raised. ``drum_style_primers.json`` beside the bundles gives the drum styles.
    Safe to call from a worker thread. Returns the generators registered.

    ``stop``: set when the engine stops (its lifespan ends). The load then ends before the next bundle,
    and a failure after it is logged at debug level: it is the interpreter exiting under the load (an
    import fails with "can't register atexit after shutdown"), not a broken bundle.
    """
    if not models_dir.is_dir():
        logger.warning("models directory %s does not exist: no Magenta bundles loaded", models_dir)
        return []
    bundle_paths = sorted(models_dir.glob("*.mag"))
    styles = kit_grooves(_read_primers(models_dir / STYLE_PRIMERS_FILE, "drum style primers", registry))
    riffs = _read_primers(models_dir / BASS_PRIMERS_FILE, "bass style primers", registry)
    dynamics = load_dynamics(models_dir)
    timing = load_timing()
    loaded: list[MagentaGenerator] = []
    for path in bundle_paths:
        if stop is not None and stop.is_set():
            logger.debug("the engine stopped: Magenta bundles not loaded from %s on", path.name)
            return loaded
        try:
            generator = MagentaGenerator.from_bundle_file(
                path, style_primers=styles, dynamics=dynamics, bass_primers=riffs, timing=timing
            )
            if initialize:
                generator.initialize()
                if warm_up:
                    generator.warm_up()
        except Exception as exc:  # noqa: BLE001 - a bad bundle can fail in protobuf, TF or Magenta
            if stop is not None and stop.is_set():
                logger.debug(
                    "Magenta bundle %s not loaded: the engine stopped (%s: %s)", path.name, type(exc).__name__, exc
                )
                return loaded
            logger.exception("Magenta bundle %s failed to load", path.name)
            registry.register_failure(path.stem, f"{path.name}: {type(exc).__name__}: {exc}".strip())
            continue
        registry.register(generator)
        loaded.append(generator)
    logger.info("Magenta bundles loaded: %s", ", ".join(g.name for g in loaded) or "none")
    return loaded


MELODY_CENTRE = 67
"""Where a melody's median is placed when octaves tie (G4, as the theory backend's melodies centre)."""


def _place_melody(pitches: Sequence[int]) -> list[int]:
    """Move a melody by whole octaves so that most of it lies in C4..C6 (MELODY_RANGE, the theory backend's;
    ties: its median nearest G4): the melody model wandered down to C#3, into the bass. Whole octaves keep
    every interval (folding single notes would break the line's leaps and steps)."""
    median = float(np.median(pitches))

    def fit(octaves: int) -> tuple[int, float]:
        inside = sum(MELODY_RANGE[0] <= p + 12 * octaves <= MELODY_RANGE[1] for p in pitches)
        return -inside, abs(median + 12 * octaves - MELODY_CENTRE)

    best = min(range(-3, 4), key=fit)
    return [p + 12 * best for p in pitches]


def _singable(pitches: Sequence[int]) -> list[int]:
    """A melody line placed by :func:`_place_melody`, with each note that leaps more than an octave from the one
    before, or lies outside C4..C6, moved by octaves into C4..C6 nearest the note before. Whole-line octaves can
    not hold a line that spans more than the range: at temperature 1.8 the melody model leapt over an octave on
    191 of 1,957 intervals (E3 to A5, seeds 0-3, five keys) and wrote 154 notes outside C4..C6 (session 38), which
    no singer sings; its steps and leaps up to an octave are kept."""
    low, high = MELODY_RANGE
    out: list[int] = []
    for pitch in pitches:
        if out and abs(pitch - out[-1]) <= 12 and low <= pitch <= high:
            out.append(pitch)
            continue
        octaves = [pitch + 12 * k for k in range(-6, 7) if low <= pitch + 12 * k <= high]
        out.append(
            min(octaves, key=lambda p: (abs(p - out[-1]), p)) if out and octaves else fold_into_range(pitch, low, high)
        )
    return out


def _singable_line(notes: Sequence[Note]) -> list[Note]:
    """:func:`_singable` on a melody's notes in time order, after its cadences (octaves only: every pitch class,
    and so the scale, is kept)."""
    line = sorted(notes, key=lambda n: (n.start, n.pitch))
    pitches = _singable([n.pitch for n in line])
    return [Note(p, n.start, n.end, n.velocity) for n, p in zip(line, pitches, strict=True)]
