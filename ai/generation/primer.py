"""Reading a primer clip (uploaded MIDI) into the notes a generator continues."""

from __future__ import annotations

import io
import math

import pretty_midi

from ai.generation.base import Note, Part
from utils.errors import InvalidParameter


def read_primer(data: bytes, *, part: Part, bar_seconds: float) -> tuple[tuple[Note, ...], float]:
    """Notes of ``part`` in the MIDI file ``data`` and the primer's length rounded up to whole bars.

    Drums take the file's drum tracks; bass takes the lowest-sounding melodic track; melody the
    highest. Timing is kept in seconds as written in the file. Raises InvalidParameter('primer').
    """
    try:
        pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except Exception as exc:  # mido/pretty_midi raise many types (OSError, EOFError, KeySignatureError...)
        raise InvalidParameter("primer", "not a readable MIDI file") from exc
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
        kind = "drum" if part == "drums" else "melodic"
        raise InvalidParameter("primer", f"the MIDI file holds no {kind} notes to continue")
    end = max(n.end for n in notes)
    bars = max(1, math.ceil(end / bar_seconds - 1e-6))
    return tuple(notes), bars * bar_seconds
