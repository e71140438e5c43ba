"""The generator interface: requests, generated clips and the registry of backends by name.

Backends (the music-theory generator, Magenta bundles) implement :class:`Generator`; the service
asks the :class:`GeneratorRegistry` for one by name or for the best one for a part.
"""

from __future__ import annotations

import io
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import mido

from ai.generation.midi_events import delta_track, key_events, note_events
from ai.music_theory import Chord, Key, change_beat
from utils.errors import InvalidParameter, ModelUnavailable

logger = logging.getLogger(__name__)

Part = Literal["drums", "bass", "melody"]
PARTS: tuple[Part, ...] = ("drums", "bass", "melody")
DEFAULT_PROGRAMS = {"bass": 33, "melody": 0, "drums": 0}  # GM: Electric Bass (finger), Piano
MIDI_RESOLUTION = 220  # ticks per quarter note in the clip's file (pretty_midi's default, as before)
SEED_MAX = 2**31 - 1
"""The largest seed a generation takes (the endpoints' range is 0 to this; a text command's too)."""


@dataclass(frozen=True)
class Note:
    pitch: int
    start: float  # seconds
    end: float  # seconds
    velocity: int


def without_overlaps(notes: Sequence[Note], *, min_gap: float) -> tuple[list[Note], list[int]]:
    """The notes with no pitch struck again while it still sounds, and the indices kept.

    Swing, humanize and microtiming move notes independently, so a hit can land before the previous
    hit of its pitch ends; in a MIDI file that is a second note-on of a sounding key, which DAWs pair
    with the wrong note-off (or drop). The earlier note ends where the later one starts; two strikes
    less than ``min_gap`` seconds apart (less than a tick or two) are one, the louder velocity kept."""
    order = sorted(range(len(notes)), key=lambda i: (notes[i].start, notes[i].pitch))
    kept: dict[int, Note] = {}
    last_of_pitch: dict[int, int] = {}
    for i in order:
        note = notes[i]
        previous = last_of_pitch.get(note.pitch)
        if previous is not None and note.start < kept[previous].end:
            earlier = kept[previous]
            if note.start - earlier.start < min_gap:
                kept[previous] = replace(
                    earlier, end=max(earlier.end, note.end), velocity=max(earlier.velocity, note.velocity)
                )
                continue
            kept[previous] = replace(earlier, end=note.start)
        kept[i] = note
        last_of_pitch[note.pitch] = i
    indices = sorted(kept)
    return [kept[i] for i in indices], indices


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a caller controls. Times are derived from tempo, bars and time signature."""

    part: Part
    key: Key
    chords: tuple[Chord, ...]  # one per bar, repeating
    tempo: float = 120.0
    bars: int = 4
    beats_per_bar: int = 4
    beat_unit: int = 4
    temperature: float = 1.0
    seed: int = 0
    density: float = 0.5  # 0 sparse .. 1 busy
    swing: float = 0.0  # 0 straight .. 1 full triplet swing of off-beat 8ths/16ths
    humanize: float = 0.0  # 0 quantised .. 1 loose timing and velocity
    microtiming: float = 0.0  # 0 on the grid .. 1 the style's learned drum offsets (ai.generation.microtiming)
    style: str | None = None  # drum (and feel) style: rock, funk, hip-hop, jazz, latin, electronic ...
    chromatic: bool = False  # allow notes outside the scale
    primer: tuple[Note, ...] = ()  # a clip to continue; its notes come first in the result
    primer_seconds: float = 0.0  # length of the primer clip (continuation starts here)
    half_bar_chords: tuple[Chord | None, ...] = ()
    """The chord each bar changes to at its middle (:attr:`change_beat`: a ii-V in one bar, a swing tune's two
    bars in one bar of a half-tempo grid, a chart's 'Dm7 G7 | C'), None where the bar holds one chord; indexed as
    ``chords`` (one per bar, repeating, the same length). Empty: every bar holds one chord. Read it through :meth:`chord_at`."""

    @property
    def seconds_per_beat(self) -> float:
        # The tempo counts quarter notes; a beat of a x/8 meter is an eighth.
        return 60.0 / self.tempo * (4.0 / self.beat_unit)

    @property
    def bar_seconds(self) -> float:
        return self.beats_per_bar * self.seconds_per_beat

    @property
    def duration_seconds(self) -> float:
        """Length of the generated part (the continuation, after any primer)."""
        return self.bars * self.bar_seconds

    def chord_at_bar(self, bar: int) -> Chord:
        """The chord ``bar`` opens with (the whole bar's where it holds one)."""
        return self.chords[bar % len(self.chords)]

    @property
    def change_beat(self) -> float:
        """Where a bar's second chord starts, in beats of ``beat_unit`` from the bar line (:func:`change_beat`, the
        rule a chart's slashes are checked against: 4/4 2 + 2, 5/4 3 + 2, 7/8 4 + 3, 9/8 6 + 3 eighths)."""
        return float(change_beat(self.beats_per_bar, self.beat_unit))

    def half_bar_chord(self, bar: int) -> Chord | None:
        """The chord ``bar`` changes to at :attr:`change_beat`, or None where it holds one chord."""
        if not self.half_bar_chords:
            return None
        return self.half_bar_chords[bar % len(self.half_bar_chords)]

    def chord_at_time(self, seconds: float) -> Chord:
        """The chord sounding ``seconds`` after the generated part starts (:meth:`chord_at` of its bar and beat)."""
        at = max(seconds, 0.0)
        bar = int(at / self.bar_seconds + 1e-6)
        return self.chord_at(bar, (at - bar * self.bar_seconds) / self.seconds_per_beat + 1e-6)

    def chord_at(self, bar: int, beat: float) -> Chord:
        """The chord sounding ``beat`` beats (of ``beat_unit``) into ``bar``: its second chord from the middle of a
        bar that changes there, else :meth:`chord_at_bar`."""
        second = self.half_bar_chord(bar)
        if second is not None and beat >= self.change_beat - 1e-6:
            return second
        return self.chord_at_bar(bar)

    def validate(self) -> None:
        """Raise InvalidParameter for a value no backend can honour (the API checks first; this
        guards direct callers of a backend)."""
        for name, value, low, high in (
            ("temperature", self.temperature, 0.1, 2.0),
            ("density", self.density, 0.0, 1.0),
            ("swing", self.swing, 0.0, 1.0),
            ("humanize", self.humanize, 0.0, 1.0),
            ("microtiming", self.microtiming, 0.0, 1.0),
        ):
            if not low <= value <= high:
                raise InvalidParameter(name, f"must be within {low}..{high}, got {value}")
        if self.seed < 0:
            raise InvalidParameter("seed", f"must be a non-negative integer, got {self.seed}")
        if self.bars < 1:
            raise InvalidParameter("bars", f"must be at least 1, got {self.bars}")
        if self.tempo <= 0:
            raise InvalidParameter("tempo", f"must be positive, got {self.tempo}")
        if not self.chords:
            raise InvalidParameter("chords", "the chord progression is empty")
        if self.half_bar_chords and len(self.half_bar_chords) != len(self.chords):
            raise InvalidParameter(
                "chords", f"{len(self.half_bar_chords)} half-bar chords for {len(self.chords)} bars of chords"
            )
        if self.beats_per_bar < 1 or self.beat_unit not in (1, 2, 4, 8, 16):
            raise InvalidParameter("time_signature", f"{self.beats_per_bar}/{self.beat_unit} is not a meter")


def bar_chart(request: GenerationRequest, bar: int) -> str:
    """How a chart writes ``bar``'s harmony, spelled in the request's key: 'Am', or 'Dm7 G7' for a bar that changes
    chord at its middle (the answers' ``chords``, one entry a bar)."""
    symbols = [request.key.chord_symbol(request.chord_at_bar(bar))]
    if (second := request.half_bar_chord(bar)) is not None:
        symbols.append(request.key.chord_symbol(second))
    return " ".join(symbols)


@dataclass
class GeneratedClip:
    notes: list[Note]
    part: Part
    model: str  # the backend that made it
    tempo: float
    duration_seconds: float  # total clip length (primer included)
    beats_per_bar: int = 4
    beat_unit: int = 4
    program: int = 0
    extra: dict[str, object] = field(default_factory=dict)  # backend facts worth reporting
    primer_seconds: float = 0.0  # where the continuation starts (0: no primer)
    primer_notes: int = 0  # the primer's notes, first in ``notes``
    key: Key | None = None  # the key its notes are in (None for drums): the MIDI file's key signature

    def __post_init__(self) -> None:
        # Two ticks at the clip's tempo: a note shorter than that could round to zero length.
        min_gap = max(0.002, 2 * 60.0 / (self.tempo * MIDI_RESOLUTION)) if self.tempo > 0 else 0.002
        notes, indices = without_overlaps(self.notes, min_gap=min_gap)
        if len(notes) != len(self.notes) or notes != self.notes:
            self.notes = notes
            self.primer_notes = sum(1 for i in indices if i < self.primer_notes)

    @classmethod
    def continuing(
        cls, request: GenerationRequest, notes: list[Note], *, model: str, end: float, extra: dict[str, object]
    ) -> GeneratedClip:
        """A clip of ``request``'s part: the primer's notes unchanged, then ``notes`` in time order."""
        return cls(
            notes=list(request.primer) + sorted(notes, key=lambda n: (n.start, n.pitch)),
            part=request.part,
            model=model,
            tempo=request.tempo,
            duration_seconds=end,
            beats_per_bar=request.beats_per_bar,
            beat_unit=request.beat_unit,
            program=DEFAULT_PROGRAMS[request.part],
            extra=extra,
            primer_seconds=request.primer_seconds if request.primer else 0.0,
            primer_notes=len(request.primer),
            key=None if request.part == "drums" else request.key,
        )

    def continuation(self) -> GeneratedClip:
        """The clip without its primer: the continuation's notes from time 0."""
        shift = self.primer_seconds
        return replace(
            self,
            notes=[Note(n.pitch, n.start - shift, n.end - shift, n.velocity) for n in self.notes[self.primer_notes :]],
            duration_seconds=self.duration_seconds - shift,
            primer_seconds=0.0,
            primer_notes=0,
        )

    @property
    def is_drum(self) -> bool:
        return self.part == "drums"

    def to_midi_bytes(self) -> bytes:
        """The Standard MIDI File: a conductor track (key signature, tempo, meter) and the part's track.
        Every track ends at ``duration_seconds`` (the bar line after the last requested bar), not at the
        last note-off: a DAW imports the clip at its full length, so a clip whose last bar ends in a rest
        still loops in time."""
        seconds_per_tick = 60.0 / (self.tempo * MIDI_RESOLUTION)

        def tick(seconds: float) -> int:  # rounded as pretty_midi rounds, which wrote these files before
            return int(round(seconds / seconds_per_tick))

        conductor: list[tuple[int, mido.MetaMessage | mido.Message]] = []
        if self.key is not None:  # for the DAW to show the key (and a mode's name, for a primer)
            conductor += [(0, event) for event in key_events(self.key)]
        conductor.append((0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(self.tempo))))
        conductor.append(
            (0, mido.MetaMessage("time_signature", numerator=self.beats_per_bar, denominator=self.beat_unit))
        )
        channel = 9 if self.is_drum else 0
        part: list[tuple[int, mido.MetaMessage | mido.Message]] = [
            (0, mido.Message("program_change", channel=channel, program=self.program))
        ]
        part += note_events(((tick(n.start), tick(n.end), n.pitch, n.velocity) for n in self.notes), channel)
        end_tick = tick(self.duration_seconds)
        midi = mido.MidiFile(type=1, ticks_per_beat=MIDI_RESOLUTION)
        midi.tracks.append(delta_track("tempo map", conductor, end_tick))  # named as the accompaniment's is
        midi.tracks.append(delta_track(self.part, part, end_tick))
        out = io.BytesIO()
        midi.save(file=out)
        return out.getvalue()


class Generator(ABC):
    """A generation backend. ``initialize`` is lazy and idempotent; ``generate`` is thread-safe."""

    name: str
    parts: frozenset[str]
    family: str = "theory"  # "theory" or "magenta": what `model=magenta` selects
    preference: int = 0  # among several backends of a family for a part, the highest is chosen
    follows_chords: bool = False  # conditions its notes on the request's chord progression

    def initialize(self) -> None:  # noqa: B027 - optional hook
        """Load whatever the backend needs. Called once before the first generate."""

    @abstractmethod
    def generate(self, request: GenerationRequest) -> GeneratedClip: ...

    def describe(self) -> dict[str, object]:
        """What /api/v1/models shows about this backend."""
        return {"name": self.name, "family": self.family, "parts": sorted(self.parts), "loaded": True}

    def cannot_play(self, request: GenerationRequest) -> str | None:
        """Why this backend would play ``request`` badly (a meter it never learned), or None.
        With ``model=auto`` such a request goes to the theory backend, and the answer says why."""
        return None


class GeneratorRegistry:
    """Backends by name, plus the bundles that failed to load (reported, never used)."""

    def __init__(self) -> None:
        self._generators: dict[str, Generator] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, generator: Generator) -> None:
        with self._lock:
            self._generators[generator.name] = generator
            self._failed.pop(generator.name, None)

    def register_failure(self, name: str, reason: str) -> None:
        with self._lock:
            self._failed[name] = reason
        logger.warning("generation backend %s unavailable: %s", name, reason)

    @property
    def names(self) -> list[str]:
        return sorted(self._generators)

    def describe(self) -> list[dict[str, object]]:
        loaded = [g.describe() for g in self._generators.values()]
        failed = [{"name": n, "loaded": False, "error": reason} for n, reason in self._failed.items()]
        return loaded + failed

    def get(self, name: str) -> Generator:
        try:
            return self._generators[name]
        except KeyError:
            reason = self._failed.get(name)
            if reason is None:  # a name no backend has: the caller's mistake (422), not a model that is down (503)
                known = ", ".join(dict.fromkeys(["auto", "magenta", "theory", *self.names]))
                raise InvalidParameter("model", f"unknown model '{name}'; use one of {known}") from None
            raise ModelUnavailable(f"model '{name}' is not available ({reason})") from None

    def for_part(self, part: str, family: str | None = None, *, chords_given: bool = False) -> list[Generator]:
        """Backends for ``part``, best first; with ``chords_given``, those that follow chords first."""
        found = [g for g in self._generators.values() if part in g.parts and family in (None, g.family)]
        return sorted(found, key=lambda g: (chords_given and not g.follows_chords, -g.preference))

    def select(
        self,
        part: str,
        model: str | None,
        *,
        chords_given: bool = False,
        request: GenerationRequest | None = None,
    ) -> tuple[Generator, str | None]:
        """The backend for ``part`` given the caller's ``model`` choice, and a fallback note.

        ``None``/``"auto"`` prefers Magenta and falls back to the theory backend (saying so), also
        when the Magenta backend :meth:`Generator.cannot_play` the ``request`` (its meter);
        a family (``"magenta"``, ``"theory"``) or a bundle id asked for explicitly must exist,
        else :class:`ModelUnavailable` names it. When the caller gave chords, a backend that
        follows them wins over a higher-preference one that does not.
        """
        if model in (None, "", "auto"):
            magenta = self.for_part(part, "magenta", chords_given=chords_given)
            theory = self.for_part(part, "theory")
            if magenta:
                reason = magenta[0].cannot_play(request) if request is not None else None
                if reason is None or not theory:
                    return magenta[0], None
                return theory[0], f"{reason}; used {theory[0].name}"
            if not theory:
                raise ModelUnavailable(f"no generation backend is loaded for {part}")
            failed = ", ".join(self._failed) or "none shipped"
            return theory[0], f"no Magenta model for {part} is loaded (failed: {failed}); used {theory[0].name}"
        if model in ("magenta", "theory"):
            found = self.for_part(part, model, chords_given=chords_given)
            if not found:
                raise ModelUnavailable(f"model '{model}' is not available for {part}")
            return found[0], None
        generator = self.get(model)
        if part not in generator.parts:
            raise InvalidParameter(
                "model", f"model '{model}' does not generate {part} (it makes {', '.join(sorted(generator.parts))})"
            )
        return generator, None
