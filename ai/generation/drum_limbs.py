"""What one drummer's kit can sound at once.

A generated groove is several layers (a style's pattern lines, or a model's nine drum classes) that know
nothing of each other, and a kit has one hi-hat: it is open or closed, never both. General MIDI soundfonts
and drum samplers put the closed, pedal and open hats in one choke group, so an open and a closed hat
written at the same instant sound as whichever the synthesizer starts last (FluidSynth: the other is cut
at once): the style's open-hat accent is lost or comes and goes by note order. Measured on 8-bar clips
from ``/api/v1/generate/midi`` (seeds 0-3, 110 BPM, session 38): the Magenta drum model wrote both at once
on 227 of disco's 244 hat hits and 57 of rock's 173 (MMA's grooves layer the two: BoneyM's open-hat eighths
over pedal-hat eighths), the theory patterns on 115 of electronic's 230 and 24 of reggae's 232.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ai.generation.base import Note

RIDE_PITCHES = frozenset({51, 53, 59})  # ride 1, ride bell, ride 2
CLOSED_HAT_PITCHES = frozenset({42, 44})  # closed and pedal hi-hat
OPEN_HAT = 46
TOLERANCE = 0.01  # seconds: hits this close are struck together (before swing and humanizing move them)


def _near(times: list[float], t: float, tolerance: float) -> int | None:
    """The index in sorted ``times`` of a time within ``tolerance`` of ``t``, or None."""
    i = bisect.bisect_left(times, t - tolerance)
    return i if i < len(times) and abs(times[i] - t) <= tolerance else None


def one_timekeeper(notes: Sequence[Note], *, tolerance: float = TOLERANCE) -> list[Note]:
    """Closed hi-hat hits that fall with a ride hit dropped: for styles whose drummers keep time on
    one or the other (the caller decides, from :meth:`GrooveDynamics.ride_with_hat`)."""
    rides = sorted(n.start for n in notes if n.pitch in RIDE_PITCHES)
    if not rides:
        return list(notes)
    return [n for n in notes if not (n.pitch in CLOSED_HAT_PITCHES and _near(rides, n.start, tolerance) is not None)]


def hat_open_and_closed(notes: Sequence[Note], *, tolerance: float = TOLERANCE) -> bool:
    """Whether ``notes`` strike an open and a closed (or pedal) hi-hat at the same instant."""
    opens = sorted(n.start for n in notes if n.pitch == OPEN_HAT)
    return bool(opens) and any(
        n.pitch in CLOSED_HAT_PITCHES and _near(opens, n.start, tolerance) is not None for n in notes
    )


def one_hi_hat(
    notes: Sequence[Note],
    *,
    pulses: Sequence[int],
    bar_seconds: float,
    offset: float = 0.0,
    tolerance: float = TOLERANCE,
) -> list[Note]:
    """Where an open and a closed (or pedal) hi-hat are struck together, one of them, at the louder of their
    velocities: the closed hat on the bar's felt pulses, the open one between them, as drummers close the hat on
    the beat and open it on the "and" (disco's and house's off-beat hat; rock's closed eighths). ``pulses``: the
    bar's felt pulses in 16th-note steps (:func:`ai.generation.feel.pulse_groups`); ``bar_seconds``: the bar's
    length; ``offset``: where bar 1 starts (after a primer)."""
    opens = sorted((n.start, i) for i, n in enumerate(notes) if n.pitch == OPEN_HAT)
    if not opens:
        return list(notes)
    step = bar_seconds / max(sum(pulses), 1)
    starts = [0.0]
    for length in pulses[:-1]:
        starts.append(starts[-1] + length * step)

    def on_pulse(t: float) -> bool:
        phase = (t - offset) % bar_seconds
        return any(min(abs(phase - p), bar_seconds - abs(phase - p)) <= tolerance for p in starts)

    times = [t for t, _ in opens]
    velocity: dict[int, int] = {}
    dropped: set[int] = set()
    for i, n in enumerate(notes):
        if n.pitch not in CLOSED_HAT_PITCHES:
            continue
        j = _near(times, n.start, tolerance)
        if j is None:
            continue
        k = opens[j][1]
        kept, gone = (i, k) if on_pulse(notes[k].start) else (k, i)
        if k in dropped:  # the open hat already gave way to a closed one, which this one joins (stick and foot)
            continue
        dropped.add(gone)
        velocity[kept] = max(velocity.get(kept, notes[kept].velocity), notes[gone].velocity)
    out = []
    for i, n in enumerate(notes):
        if i in dropped:
            continue
        out.append(Note(n.pitch, n.start, n.end, velocity[i]) if i in velocity else n)
    return out


__all__ = ["CLOSED_HAT_PITCHES", "RIDE_PITCHES", "hat_open_and_closed", "one_hi_hat", "one_timekeeper"]
