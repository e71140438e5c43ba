"""Reading a primer clip (uploaded MIDI) into the notes a generator continues, and what the clip
says of its tempo, meter and key when the request does not."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import mido
import numpy as np
import pretty_midi

from ai.analysis.tonal import KEY_PROFILES
from ai.audio.decode import audio_format_of
from ai.generation.base import Note, Part
from ai.generation.midi_events import KEY_TEXT_PREFIX
from ai.music_theory import Key, parse_key
from utils.errors import InvalidParameter, UnsupportedMediaType

_MAJOR, _MINOR = (np.asarray(p) for p in KEY_PROFILES["albrecht_shanahan"])  # the analysis' default profiles
_HEAD_BYTES = 64  # what telling a recording by its magic number reads
MIN_KEY_PITCH_CLASSES = 3
"""A key is read from a primer's notes only when at least this many pitch classes sound."""


@dataclass(frozen=True)
class PrimerContext:
    """What a primer file says of itself: each None when it does not say."""

    tempo: float | None  # quarter notes per minute, from the file's first tempo event
    meter: tuple[int, int] | None  # from its first time signature event
    key: Key | None  # from its key signature event, else from its notes' pitch classes


MAX_PRIMER_TICKS = 4_000_000
"""The furthest tick a primer's events may reach. pretty_midi keeps a time for every tick up to the file's
last event (8 bytes each, and more while it computes them), and Magenta's note_seq lifts pretty_midi's own
guard (1e7 ticks) to 1e10 when it is imported: with the Magenta models loaded, a 37-byte file holding one note
at tick 2e8 took 4.1 s and 4.6 GB to read (and the same file was "not a readable MIDI file" before they
loaded). 4e6 ticks are ~2,000 bars of 4/4 at 480 ticks a quarter note (52 bars at 19,200), ~90 MB to read."""


MAX_PRIMER_LENGTH_BARS = 2_048
"""The most bars a primer's notes may last at the request's tempo and meter. The tick bound above does not bound
this: at one tick a quarter note, a 37-byte file holding one note 3,999,999 ticks long lasts a million bars, and
Magenta walked every step of them (no answer in 60 s, /health waiting seconds). 2,048 bars of one held note took
3.5 s through the melody model; bench/loop_blocking.py's 60,000-note primer lasts 1,875 bars."""


@dataclass(frozen=True)
class PrimerFile:
    """A primer MIDI file read once (a 60,000-note file takes seconds to read): its tempo, meter, key,
    part and notes are all answered from this."""

    midi: mido.MidiFile  # its event times made absolute ticks by pretty_midi, which read this same object
    pm: pretty_midi.PrettyMIDI


def parse_primer(data: bytes) -> PrimerFile:
    """The primer as mido and pretty_midi read it; its length in ticks checked before pretty_midi reads
    it. Raises InvalidParameter('primer')."""
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:  # mido raises many types on a damaged file (OSError, EOFError, KeySignatureError...)
        audio = audio_format_of(data[:_HEAD_BYTES])
        if audio is not None:  # a recording is the wrong kind of file (415), not a damaged MIDI file (422)
            raise UnsupportedMediaType(
                f"primer: must be a MIDI file; this is audio ({audio}). To turn a recording into MIDI, send it to "
                "/api/v1/transcribe; to play along with it, to /api/v1/generate/accompaniment"
            ) from exc
        raise InvalidParameter("primer", "not a readable MIDI file") from exc
    if midi.ticks_per_beat < 0:  # an SMPTE time division: frames, not beats (mido reads it as a negative int16)
        midi = beats_from_frames(midi)
    last = max((sum(int(message.time) for message in track) for track in midi.tracks), default=0)
    if last > MAX_PRIMER_TICKS:
        quarters = last / max(1, int(midi.ticks_per_beat))
        raise InvalidParameter(
            "primer",
            f"its last event lies at tick {last:,} ({quarters:,.0f} quarter notes in); a primer may reach tick "
            f"{MAX_PRIMER_TICKS:,} at most (a few bars of an idea are what it needs)",
        )
    try:  # pretty_midi reads the file mido already parsed, not the bytes a second time
        return PrimerFile(midi, pretty_midi.PrettyMIDI(mido_object=midi))
    except Exception as exc:  # as above, for what pretty_midi refuses
        raise InvalidParameter("primer", "not a readable MIDI file") from exc


FRAME_FILE_PPQ = 480
FRAME_FILE_TEMPO_US = 500_000
"""A file timed in SMPTE frames is read at 120 BPM, 480 ticks a beat: its events keep their times in seconds."""


def beats_from_frames(midi: mido.MidiFile) -> mido.MidiFile:
    """A MIDI file timed in SMPTE frames (its time division's top bit set: frames a second and ticks a frame, as a
    film or video program writes it) as one timed in beats at 120 BPM, each event at the same second, its own tempo
    events left out (they do not time a frame-based file). A DAW imports such a file the same way; it was refused
    as "not a readable MIDI file" (pretty_midi cannot time it)."""
    division = midi.ticks_per_beat & 0xFFFF
    frames = 256 - (division >> 8)  # the top byte is minus the frame rate: 24, 25, 29 (29.97 drop-frame) or 30
    per_second = (29.97 if frames == 29 else frames) * max(division & 0xFF, 1)
    out = mido.MidiFile(type=midi.type, ticks_per_beat=FRAME_FILE_PPQ)
    scale = FRAME_FILE_PPQ * 1_000_000 / FRAME_FILE_TEMPO_US / per_second  # new ticks per old tick
    for number, track in enumerate(midi.tracks):
        moved = mido.MidiTrack()
        if number == 0:
            moved.append(mido.MetaMessage("set_tempo", tempo=FRAME_FILE_TEMPO_US, time=0))
        old = new = 0
        for message in track:
            old += int(message.time)
            if message.is_meta and message.type in ("set_tempo", "smpte_offset"):
                continue
            at = int(round(old * scale))
            moved.append(message.copy(time=at - new))
            new = at
        out.tracks.append(moved)
    return out


def key_of_notes(notes: list[pretty_midi.Note]) -> Key | None:
    """The major or minor key whose profile best matches the notes' duration-weighted pitch
    classes (Krumhansl-Schmuckler with Albrecht-Shanahan's profiles); None with fewer than
    MIN_KEY_PITCH_CLASSES pitch classes."""
    weights = np.zeros(12)
    for note in notes:
        weights[note.pitch % 12] += max(note.end - note.start, 1e-3)
    if np.count_nonzero(weights) < MIN_KEY_PITCH_CLASSES:
        return None
    best, best_r = None, -np.inf
    for tonic in range(12):
        rotated = np.roll(weights, -tonic)
        for scale, profile in (("major", _MAJOR), ("minor", _MINOR)):
            r = float(np.corrcoef(rotated, profile)[0, 1])
            if r > best_r:
                best, best_r = Key(tonic, scale), r
    return best


SWUNG_WINDOW = (0.45, 0.72)
"""Where in its beat an off-beat eighth falls, straight (0.5) to fully swung (2/3), with room for a player's
timing: an onset there is read for the primer's swing."""
MIN_SWUNG_ONSETS = 3
STRAIGHT_BELOW = 0.15
"""A swing read under this is straight eighths played a little late, not swing."""


def swing_of_notes(notes: Sequence[Note], beat_seconds: float) -> float | None:
    """The swing (0 straight .. 1 full triplet, as the ``swing`` parameter) its off-beat eighths say, for a
    primer's ``notes`` (seconds from its first bar line) at ``beat_seconds`` a beat; None where fewer than
    MIN_SWUNG_ONSETS sit between the beats or they read straight. A swung melody sent back was continued
    straight (swing 0.0): the parameter was read from the request alone."""
    if beat_seconds <= 0:
        return None
    places = [(n.start / beat_seconds) % 1.0 for n in notes]
    offbeats = [p for p in places if SWUNG_WINDOW[0] <= p <= SWUNG_WINDOW[1]]
    if len(offbeats) < MIN_SWUNG_ONSETS:
        return None
    swing = float(min(max((np.median(offbeats) - 0.5) * 6.0, 0.0), 1.0))
    return round(swing, 2) if swing >= STRAIGHT_BELOW else None


def primer_context(primer: PrimerFile) -> PrimerContext:
    """The tempo, meter and key the primer file states or plays: the key a text event names (:func:`named_key`:
    a mode the engine wrote), else its key signature's, else its notes' major or minor."""
    pm, midi = primer.pm, primer.midi
    tempo = primer_tempo(primer)
    meter = None
    if pm.time_signature_changes:
        first = pm.time_signature_changes[0]
        meter = (int(first.numerator), int(first.denominator))
    key = named_key(midi)
    if key is None and pm.key_signature_changes:
        number = int(pm.key_signature_changes[0].key_number)  # 0-11 major, 12-23 minor
        key = Key(number % 12, "minor" if number >= 12 else "major")
    elif key is None:
        key = key_of_notes([n for inst in pm.instruments if not inst.is_drum for n in inst.notes])
    return PrimerContext(tempo=tempo, meter=meter, key=key)


def primer_tempo(primer: PrimerFile) -> float | None:
    """The tempo (quarter notes per minute, to 0.001) of the primer file's first tempo event; None without one."""
    first = next((m for track in primer.midi.tracks for m in track if m.type == "set_tempo"), None)
    return round(float(mido.tempo2bpm(first.tempo)), 3) if first is not None else None


def named_key(midi: mido.MidiFile) -> Key | None:
    """The key a text event 'key: D dorian' names (the engine writes one beside a mode's key signature:
    :func:`ai.generation.midi_events.key_events`), when the file's first key signature is still that key's (a
    clip transposed in a DAW, its signature moved and the text left, is read by its signature); else None."""
    signature = next((m.key for track in midi.tracks for m in track if m.type == "key_signature"), None)
    for track in midi.tracks:
        for message in track:
            if message.type == "text" and message.text.startswith(KEY_TEXT_PREFIX):
                try:
                    key = parse_key(message.text[len(KEY_TEXT_PREFIX) :])
                except ValueError:
                    return None
                return key if key.midi_key_signature == signature else None
    return None


def read_primer(primer: PrimerFile, *, part: Part, bar_seconds: float) -> tuple[tuple[Note, ...], float]:
    """Notes of ``part`` in the primer file and the primer's length rounded up to whole bars.

    Drums take the file's drum tracks; bass takes the lowest-sounding melodic track; melody the
    highest. Timing is kept in seconds as written in the file. Raises InvalidParameter('primer').
    """
    pm = primer.pm
    if part == "drums":
        tracks = [inst for inst in pm.instruments if inst.is_drum and inst.notes]
    else:
        melodic = [inst for inst in pm.instruments if not inst.is_drum and inst.notes]
        melodic.sort(key=lambda inst: sum(n.pitch for n in inst.notes) / len(inst.notes))
        tracks = melodic[:1] if part == "bass" else melodic[-1:]
    notes = sorted(
        (Note(int(n.pitch), float(n.start), float(n.end), int(n.velocity)) for inst in tracks for n in inst.notes),
        key=lambda n: (n.start, n.pitch),
    )
    if not notes:
        unended = _note_ons(primer.midi, drums=part == "drums")
        if unended:  # pretty_midi drops a note that never ends: "holds no notes" said nothing of why
            raise InvalidParameter(
                "primer",
                f"the MIDI file's {unended} {_kind_of(part)} note-on(s) have no note-off: no note ends, so none can "
                "be continued (export the clip again with its notes ended)",
            )
        raise InvalidParameter("primer", f"the MIDI file holds no {_kind_of(part)} notes to continue")
    end = max(n.end for n in notes)
    bars = max(1, math.ceil(end / bar_seconds - 1e-6))
    if bars > MAX_PRIMER_LENGTH_BARS:
        raise InvalidParameter(
            "primer",
            f"its {_kind_of(part)} notes last {bars:,} bars at the request's tempo and meter ({end:,.0f} s); a primer "
            f"may last {MAX_PRIMER_LENGTH_BARS:,} bars at most (the models continue from its last bars)",
        )
    return tuple(notes), bars * bar_seconds


def _note_ons(midi: mido.MidiFile, *, drums: bool) -> int:
    """How many note-ons (velocity above 0) the file holds on the drum channel (10), or on the others."""
    return sum(
        1
        for track in midi.tracks
        for message in track
        if message.type == "note_on" and message.velocity > 0 and (message.channel == DRUM_CHANNEL) == drums
    )


DRUM_CHANNEL = 9  # channel 10, counted from 0


def _kind_of(part: Part) -> str:
    """How an error names a part's notes: "drum" or "melodic"."""
    return "drum" if part == "drums" else "melodic"


BASS_MEDIAN_PITCH = 52
"""A melodic primer whose median pitch is below E3 is taken for a bass line (a bass guitar's notes
sit in E1..G3; a melody's rarely dip under E3)."""


def primer_part(primer: PrimerFile) -> Part:
    """The part a primer plays, for a request that does not say ("continue this"): drums when it
    holds only drum notes, bass or melody by its median pitch when only melodic notes. Raises
    InvalidParameter('primer') for a file with both, or with no notes."""
    pm = primer.pm
    drums = any(inst.is_drum and inst.notes for inst in pm.instruments)
    pitches = [n.pitch for inst in pm.instruments if not inst.is_drum for n in inst.notes]
    if drums and pitches:
        raise InvalidParameter("primer", "the MIDI file holds drums and pitched notes: say which part to continue")
    if drums:
        return "drums"
    if not pitches:
        raise InvalidParameter("primer", "the MIDI file holds no notes to continue")
    return "bass" if float(np.median(pitches)) < BASS_MEDIAN_PITCH else "melody"
