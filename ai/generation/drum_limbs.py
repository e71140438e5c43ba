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

from ai.generation.base import GenerationRequest, Note
from ai.generation.feel import pulse_groups
from ai.generation.phrasing import CRASH_PITCHES, SNARE_PITCHES  # side stick and snares: one drum, one stick

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


TOM_PITCHES = frozenset({41, 43, 45, 47, 48, 50})
HAT_PITCHES = frozenset({42, 46})  # the hi-hat struck with a stick (44 is the foot's)
PEDAL_HAT = 44
# What a drummer's two hands keep when the parts ask for three pieces at once, first kept first: the snare
# (the backbeat, a fill's accent), the crash (a phrase's downbeat), a tom (a fill), then the timekeeping ride
# and hi-hat, which the riding hand leaves for the others.
_HAND_ORDER = (SNARE_PITCHES, CRASH_PITCHES, TOM_PITCHES, RIDE_PITCHES, HAT_PITCHES)


def _hand_piece(pitch: int) -> int | None:
    """Which piece of the kit a hand strikes for ``pitch`` (its rank in _HAND_ORDER), or None: a foot, a clap or
    a percussionist's instrument."""
    return next((rank for rank, pieces in enumerate(_HAND_ORDER) if pitch in pieces), None)


def _clusters(notes: Sequence[Note], tolerance: float) -> list[list[int]]:
    """Indices of ``notes`` grouped into hits struck together (each within ``tolerance`` of the group's first)."""
    order = sorted(range(len(notes)), key=lambda i: notes[i].start)
    groups: list[list[int]] = []
    for i in order:
        if groups and notes[i].start - notes[groups[-1][0]].start <= tolerance:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _pieces(notes: Sequence[Note], group: Sequence[int]) -> set[tuple[int, int]]:
    """The (rank, pitch) of each hand piece ``group`` strikes: the snares count as one drum, and a drum struck
    twice (a flam) as one hand."""
    out: set[tuple[int, int]] = set()
    for i in group:
        rank = _hand_piece(notes[i].pitch)
        if rank is not None:
            out.add((rank, -1 if notes[i].pitch in SNARE_PITCHES else notes[i].pitch))
    return out


def over_two_hands(notes: Sequence[Note], *, tolerance: float = TOLERANCE) -> bool:
    """Whether ``notes`` strike more than two pieces that a hand plays (snare, toms, hi-hat, ride, crash) at once."""
    return any(len(_pieces(notes, group)) > 2 for group in _clusters(notes, tolerance))


def two_hands(notes: Sequence[Note], *, tolerance: float = TOLERANCE) -> list[Note]:
    """Where the parts strike more than two hand pieces at once, what two hands and the hi-hat foot play: a closed
    hi-hat struck with a ride is the foot's (the pedal hat, as a drummer riding the cymbal closes the hat), and
    what is still over two hands gives way in :data:`_HAND_ORDER` (the timekeeper first: a drummer leaves the hat
    or ride for the crash, the snare or a tom). The Magenta drum model wrote snare, closed hat and ride together
    on hip-hop's backbeats, and snare, hat and a tom on disco's (session 38); its layers know nothing of limbs."""
    out = list(notes)
    dropped: set[int] = set()
    for group in _clusters(notes, tolerance):
        if len(_pieces(out, group)) <= 2:
            continue
        pitches = {out[i].pitch for i in group}
        if pitches & RIDE_PITCHES:
            for i in group:
                if out[i].pitch in CLOSED_HAT_PITCHES - {PEDAL_HAT}:
                    if PEDAL_HAT in pitches:  # the foot already closes it
                        dropped.add(i)
                    else:
                        out[i] = Note(PEDAL_HAT, out[i].start, out[i].end, out[i].velocity)
                        pitches.add(PEDAL_HAT)
        live = [i for i in group if i not in dropped]
        kept = sorted(_pieces(out, live))[:2]
        for i in live:
            rank = _hand_piece(out[i].pitch)
            if rank is not None and (rank, -1 if out[i].pitch in SNARE_PITCHES else out[i].pitch) not in kept:
                dropped.add(i)
    return [n for i, n in enumerate(out) if i not in dropped]


def one_drummer(notes: Sequence[Note], request: GenerationRequest, *, offset: float) -> list[Note]:
    """A generated groove as one drummer plays it (both backends): one hi-hat (:func:`one_hi_hat`) and two hands
    (:func:`two_hands`), each unless the caller's own primer does otherwise (its kit may not choke, or be
    programmed in layers: played as written). ``offset``: where bar 1 starts (after a primer)."""
    out = list(notes)
    if not hat_open_and_closed(request.primer):
        pulses = pulse_groups(request.beats_per_bar, request.beat_unit)
        out = one_hi_hat(out, pulses=pulses, bar_seconds=request.bar_seconds, offset=offset)
    if not over_two_hands(request.primer):
        out = two_hands(out)
    return out


__all__ = [
    "CLOSED_HAT_PITCHES",
    "RIDE_PITCHES",
    "hat_open_and_closed",
    "one_drummer",
    "one_hi_hat",
    "one_timekeeper",
    "over_two_hands",
    "two_hands",
]
