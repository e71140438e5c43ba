"""Standard MIDI File tracks from events at absolute ticks, written with mido.

A clip's notes become note-on/note-off pairs sorted once by a key (tick, offs before ons, pitch), so a
note struck again where the previous one ends is released first, and a 60,000-note clip takes a single
C-level sort (pretty_midi's writer sorts with a Python comparison function, and the clip's file used to be
written, parsed and saved again: 5.7 s for 60,000 notes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import mido

from ai.music_theory import Key

NoteTicks = tuple[int, int, int, int]
"""(start tick, end tick, pitch, velocity)."""


KEY_TEXT_PREFIX = "key: "
"""A text event 'key: D dorian' beside the key signature where the signature cannot say the scale (a MIDI key
signature knows major and minor only: D dorian is written as C's): the engine reads it back from a primer
(:func:`ai.generation.primer.primer_context`), so a clip it made keeps its mode when it is continued."""


def key_events(key: Key) -> list[mido.MetaMessage]:
    """The key signature of ``key``, for a DAW to show, and for a scale other than major and minor the text
    event that names it (KEY_TEXT_PREFIX)."""
    events = [mido.MetaMessage("key_signature", key=key.midi_key_signature)]
    if key.scale not in ("major", "minor"):
        events.append(mido.MetaMessage("text", text=KEY_TEXT_PREFIX + key.name))
    return events


def note_events(notes: Iterable[NoteTicks], channel: int) -> list[tuple[int, mido.Message]]:
    """Each note's note-on and note-off at its ticks, in file order: by tick, note-offs before
    note-ons at the same tick, then by pitch. Raises ValueError for a pitch or velocity outside
    0-127, a negative tick or a channel outside 0-15 (checked here once: mido's own checks cost ~25 us
    a message)."""
    if not 0 <= channel <= 15:
        raise ValueError(f"MIDI channel {channel} is outside 0-15")
    keyed: list[tuple[int, int, int, int]] = []
    for start, end, pitch, velocity in notes:
        if not (0 <= pitch <= 127 and 0 <= velocity <= 127 and 0 <= start <= end):
            raise ValueError(f"not a MIDI note: pitch {pitch}, velocity {velocity}, ticks {start}-{end}")
        keyed.append((start, 1, pitch, velocity))
        keyed.append((end, 0, pitch, 0))
    keyed.sort()
    on, off = "note_on", "note_off"
    return [
        (tick, mido.Message(on if is_on else off, skip_checks=True, channel=channel, note=pitch, velocity=velocity))
        for tick, is_on, pitch, velocity in keyed
    ]


def delta_track(
    name: str, events: Sequence[tuple[int, mido.MetaMessage | mido.Message]], end_tick: int
) -> mido.MidiTrack:
    """A track named ``name`` holding ``events`` (absolute ticks, in order) with delta times, ending at
    ``end_tick`` (or at its last event, when that is later): a DAW imports a clip at its full length."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, message in events:
        track.append(message.copy(skip_checks=True, time=tick - now))  # the message was checked when made
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    return track
