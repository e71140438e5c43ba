"""Feel: swing, humanisation, density and length helpers shared by every generation backend.

All functions are pure: they take a sequence of :class:`ai.generation.base.Note` plus explicit
timing facts (seconds per beat, beats per bar, where the grid starts) and return a new list;
the input is never modified. Randomness comes only from the ``rng`` argument
(``np.random.Generator`` or an int seed, passed through ``np.random.default_rng``).

Typical use, after a backend has produced quantised notes for the span
``[offset, end_seconds)``::

    notes = apply_swing(notes, amount=req.swing, beat_seconds=pulse, subdivision=2, offset=offset)
    notes = humanize(notes, amount=req.humanize, rng=rng, start_seconds=offset, end_seconds=end)

or simply :func:`apply_feel`, which does both for a :class:`GenerationRequest`-like set of values.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from ai.generation.base import Note

logger = logging.getLogger(__name__)

# Styles whose swing acts on 16th notes (pairs of 16ths inside each 8th) rather than on 8ths.
SIXTEENTH_SWING_STYLES = frozenset(
    {"hip-hop", "hiphop", "funk", "rnb", "r&b", "neo-soul", "trap", "reggae", "uk-garage", "afrobeats"}
)

# Notes per beat that the density control maps onto, per part: (density 0, density 1).
DENSITY_RANGES: dict[str, tuple[float, float]] = {
    "drums": (2.0, 9.0),
    "bass": (0.5, 3.0),
    "melody": (0.5, 3.0),
}

_GRID_TOLERANCE_BEATS = 0.03  # how close to a grid line a note must start to count as on it
_ONSET_GROUP_SECONDS = 0.001  # notes starting this close together are humanised as one event


def pulse_groups(beats_per_bar: int, beat_unit: int) -> tuple[int, ...]:
    """The felt pulses of a bar, each as its length in 16th-note steps.

    x/4 and x/2 meters pulse in quarter notes (4 steps each: 3/4 -> (4, 4, 4)); compound x/8
    meters (6/8, 9/8, 12/8, 3/8) pulse in dotted quarters (6 steps: 6/8 -> (6, 6)); other x/8
    meters group eighths in twos, with a three at the end when odd (7/8 -> (4, 4, 6)); x/16 group
    16ths in fours with the remainder at the end. The lengths sum to the bar's 16th count.
    Raises ValueError for a beat unit other than 1, 2, 4, 8, 16.
    """
    if beat_unit not in (1, 2, 4, 8, 16) or beats_per_bar < 1:
        raise ValueError(f"unsupported time signature {beats_per_bar}/{beat_unit}")
    steps = beats_per_bar * 16 // beat_unit
    if beat_unit <= 4:
        return (4,) * (steps // 4)
    if beat_unit == 8:
        if beats_per_bar % 3 == 0:
            return (6,) * (beats_per_bar // 3)
        if beats_per_bar == 1:
            return (2,)
        if beats_per_bar % 2 == 0:
            return (4,) * (beats_per_bar // 2)
        return (4,) * ((beats_per_bar - 3) // 2) + (6,)
    groups = [4] * (steps // 4)
    if steps % 4:
        if groups:
            groups[-1] += steps % 4
        else:
            groups = [steps]
    return tuple(groups)


def swing_subdivision(style: str | None) -> int:
    """Which off-beats a style swings: 2 (off-beat 8ths) or 4 (the 2nd and 4th 16th of a beat)."""
    if style is not None and style.strip().lower() in SIXTEENTH_SWING_STYLES:
        return 4
    return 2


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _swing_time(t: float, *, unit: float, delay: float, offset: float, bar: float | None = None) -> float:
    """Warp one time point: inside each ``unit`` (a pair of subdivisions) the midpoint moves by
    ``delay`` (a fraction of the unit), start and end of the unit stay fixed (piecewise linear).
    With ``bar`` the units start again at every bar line after ``offset``."""
    if t <= offset:
        return t
    if bar is not None:
        offset += math.floor((t - offset) / bar + 1e-9) * bar
    rel = (t - offset) / unit
    k = math.floor(rel + 1e-9)
    frac = rel - k
    if frac < 1e-9:
        return t
    mid = 0.5 + delay
    warped = frac * mid / 0.5 if frac <= 0.5 else mid + (frac - 0.5) * (1.0 - mid) / 0.5
    return offset + (k + warped) * unit


SWING_AS_WRITTEN_BPM = 120.0
"""At and below this tempo (quarter-note BPM) a style's own swing is played as the style writes it."""
SWING_STRAIGHT_BPM = 300.0
"""From this tempo on a style's own swing is straight. Drummers' swing ratio falls about linearly with tempo,
from ~3:1 at slow tempos to ~1:1 above 250-300 BPM (Friberg & Sundstrom 2002, Music Perception 19(3)): a
jazz ride swung 1.58:1 at 280 BPM sounded like a slow groove played fast."""


def swing_ratio(amount: float) -> float:
    """The long:short ratio of a swung pair for an ``amount`` of :func:`apply_swing` (0 -> 1:1, 1 -> 2:1)."""
    return (0.5 + amount / 6.0) / (0.5 - amount / 6.0)


def tempo_swing(amount: float, tempo: float) -> float:
    """A style's own swing ``amount`` as a drummer plays it at ``tempo`` (quarter-note BPM): as written up to
    SWING_AS_WRITTEN_BPM, its ratio then falling linearly to 1:1 (straight) at SWING_STRAIGHT_BPM. For the
    swing a style carries by itself only: a swing the caller asks for is played as asked."""
    if amount <= 0.0 or tempo <= SWING_AS_WRITTEN_BPM:
        return amount
    share = max(0.0, (SWING_STRAIGHT_BPM - tempo) / (SWING_STRAIGHT_BPM - SWING_AS_WRITTEN_BPM))
    ratio = 1.0 + (swing_ratio(amount) - 1.0) * share
    return 6.0 * (ratio / (1.0 + ratio) - 0.5)  # the amount whose pair splits at ratio / (1 + ratio)


def apply_swing(
    notes: Sequence[Note],
    *,
    amount: float,
    beat_seconds: float,
    subdivision: int = 2,
    offset: float = 0.0,
    bar_seconds: float | None = None,
) -> list[Note]:
    """Delay off-beats toward a triplet feel.

    The grid starts at ``offset`` seconds with pulses of ``beat_seconds``. With ``subdivision=2``
    the off-beat 8th (half a beat) moves toward two thirds of the beat; with ``subdivision=4`` the
    2nd and 4th 16ths move toward the triplet 16th positions. ``amount`` 0 leaves the notes alone,
    1 gives full triplet swing (2:1). Time is warped piecewise-linearly inside each pair of
    subdivisions, so note starts *and* ends move consistently, order is kept, and nothing crosses a
    beat (for 8ths) or 8th (for 16ths) boundary: the clip length never grows. Notes before
    ``offset`` (e.g. a primer) are untouched.

    For compound meters (6/8) pass the eighth-note pulse as ``beat_seconds`` and
    ``subdivision=2`` to swing the 16ths. ``bar_seconds``: the pairs start again at every bar line, for a
    bar that is not a whole number of pairs (7/16 swung in 8ths: otherwise every other bar's downbeat
    falls inside a pair and moves late).
    """
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"swing amount must be within 0..1, got {amount}")
    if subdivision not in (2, 4):
        raise ValueError(f"subdivision must be 2 or 4, got {subdivision}")
    if beat_seconds <= 0:
        raise ValueError("beat_seconds must be positive")
    if amount == 0.0:
        return list(notes)
    unit = beat_seconds * 2.0 / subdivision
    delay = amount / 6.0  # 1/2 -> 2/3 of the unit at full swing
    out = []
    for note in notes:
        start = _swing_time(note.start, unit=unit, delay=delay, offset=offset, bar=bar_seconds)
        end = _swing_time(note.end, unit=unit, delay=delay, offset=offset, bar=bar_seconds)
        out.append(Note(note.pitch, start, max(end, start + 1e-4), note.velocity))
    return out


def straighten_notes(
    notes: Sequence[Note], *, swing: float, seconds_per_beat: float, beat_unit: int, style: str | None
) -> list[Note]:
    """The inverse of :func:`swing_notes` (same grid from time 0): swung off-beats back on the straight grid.
    A swung primer given to a model that reads 16th steps was read as dotted rhythms (a swung eighth at
    two thirds of the beat lies nearer the fourth 16th than the half), and the model went on in them."""
    if swing <= 0.0:
        return list(notes)
    if beat_unit >= 8:
        pulse, subdivision = seconds_per_beat, 2
    else:
        pulse, subdivision = seconds_per_beat * beat_unit / 4.0, swing_subdivision(style)
    unit = pulse * 2.0 / subdivision
    mid = 0.5 + swing / 6.0

    def back(t: float) -> float:
        k = math.floor(t / unit + 1e-9)
        frac = t / unit - k
        straight = frac * 0.5 / mid if frac <= mid else 0.5 + (frac - mid) * 0.5 / (1.0 - mid)
        return (k + straight) * unit

    return [Note(n.pitch, back(n.start), max(back(n.end), back(n.start) + 1e-4), n.velocity) for n in notes]


def humanize(
    notes: Sequence[Note],
    *,
    amount: float,
    rng: np.random.Generator | int | None,
    end_seconds: float,
    start_seconds: float = 0.0,
    max_shift_seconds: float = 0.02,
    max_velocity_change: int = 18,
) -> list[Note]:
    """Random timing and velocity variation, like a player.

    Each onset (notes starting within 1 ms of each other move together, so chords and unison
    hits stay together) is shifted by a normal amount with standard deviation
    ``amount * max_shift_seconds / 2.5``, clipped to ``±amount * max_shift_seconds`` (so about
    8 ms typical and never more than 20 ms at ``amount=1``). The duration is kept, and the shift is
    further limited so that no note starts before ``start_seconds`` or ends after ``end_seconds``
    (a note already outside those bounds is left where it is). Velocities get independent normal
    offsets (std ``amount * max_velocity_change / 2.5``, clipped to ``±amount *
    max_velocity_change``) and stay within 1..127. ``amount`` is within 0..1.
    """
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"humanize amount must be within 0..1, got {amount}")
    if amount == 0.0 or not notes:
        return list(notes)
    gen = _rng(rng)
    max_shift = amount * max_shift_seconds
    max_vel = amount * max_velocity_change
    order = sorted(range(len(notes)), key=lambda i: notes[i].start)
    shifts = np.zeros(len(notes))
    group_start: float | None = None
    group_shift = 0.0
    for i in order:
        if group_start is None or notes[i].start - group_start > _ONSET_GROUP_SECONDS:
            group_start = notes[i].start
            group_shift = float(np.clip(gen.normal(0.0, max_shift / 2.5), -max_shift, max_shift))
        shifts[i] = group_shift
    vel_offsets = np.clip(gen.normal(0.0, max_vel / 2.5, size=len(notes)), -max_vel, max_vel)
    out = []
    for i, note in enumerate(notes):
        low = min(0.0, start_seconds - note.start)
        high = max(0.0, end_seconds - note.end)
        shift = float(np.clip(shifts[i], low, high))
        velocity = int(np.clip(round(note.velocity + vel_offsets[i]), 1, 127))
        out.append(Note(note.pitch, note.start + shift, note.end + shift, velocity))
    return out


def metric_weight(
    time: float,
    *,
    seconds_per_beat: float,
    beats_per_bar: int,
    offset: float = 0.0,
) -> float:
    """Metrical strength of a time point in 0..1: downbeat 1.0, strong beats (the middle of an
    even bar, or each group of three in 6/8, 9/8, 12/8) 0.85, other beats 0.7, half-beats 0.5,
    quarter-beats 0.3, anything else 0.1. The bar grid starts at ``offset`` seconds."""
    beats = (time - offset) / seconds_per_beat
    bar_pos = beats % beats_per_bar
    nearest = round(bar_pos)
    if abs(bar_pos - nearest) < _GRID_TOLERANCE_BEATS:
        beat = int(nearest) % beats_per_bar
        if beat == 0:
            return 1.0
        compound = beats_per_bar % 3 == 0 and beats_per_bar > 3
        if compound and beat % 3 == 0:
            return 0.85
        if not compound and beats_per_bar % 2 == 0 and beats_per_bar >= 4 and beat == beats_per_bar // 2:
            return 0.85
        return 0.7
    frac = bar_pos - math.floor(bar_pos)
    if abs(frac - 0.5) < _GRID_TOLERANCE_BEATS:
        return 0.5
    if abs(frac - 0.25) < _GRID_TOLERANCE_BEATS or abs(frac - 0.75) < _GRID_TOLERANCE_BEATS:
        return 0.3
    return 0.1


def notes_per_beat(notes: Sequence[Note], *, seconds_per_beat: float, duration_seconds: float) -> float:
    """Onsets per beat over ``duration_seconds`` (every note counts, chords included)."""
    if duration_seconds <= 0:
        return 0.0
    return len(notes) / (duration_seconds / seconds_per_beat)


def density_target(density: float, *, part: str) -> float:
    """Notes per beat that ``density`` (0 sparse .. 1 busy) asks for, for a part (see
    ``DENSITY_RANGES``); interpolated geometrically so each step feels alike."""
    if not 0.0 <= density <= 1.0:
        raise ValueError(f"density must be within 0..1, got {density}")
    low, high = DENSITY_RANGES.get(part, DENSITY_RANGES["melody"])
    return float(low * (high / low) ** density)


def thin_notes(
    notes: Sequence[Note],
    *,
    keep: float,
    rng: np.random.Generator | int | None,
    seconds_per_beat: float,
    beats_per_bar: int,
    offset: float = 0.0,
) -> list[Note]:
    """Keep about ``keep`` (0..1) of the notes, dropping metrically weak ones first.

    Notes are ranked by :func:`metric_weight` plus a small random tie-break (so which of several
    equally weak notes go varies with ``rng``); the top ``round(keep * len(notes))`` survive, in
    their original order. Useful to bring a model's output down to a density target.
    """
    if not 0.0 <= keep <= 1.0:
        raise ValueError(f"keep must be within 0..1, got {keep}")
    if keep >= 1.0 or not notes:
        return list(notes)
    gen = _rng(rng)
    n_keep = int(round(keep * len(notes)))
    scores = [
        metric_weight(n.start, seconds_per_beat=seconds_per_beat, beats_per_bar=beats_per_bar, offset=offset)
        + gen.uniform(0.0, 0.15)
        for n in notes
    ]
    ranked = sorted(range(len(notes)), key=lambda i: -scores[i])
    chosen = set(ranked[:n_keep])
    return [n for i, n in enumerate(notes) if i in chosen]


def fit_to_length(
    notes: Sequence[Note],
    *,
    end_seconds: float,
    start_seconds: float = 0.0,
    min_duration: float = 0.01,
) -> list[Note]:
    """Drop notes that start outside ``[start_seconds, end_seconds - min_duration)`` and cut
    the ends of the rest at ``end_seconds``, so that nothing sounds past the clip's end."""
    out = []
    for note in notes:
        if note.start < start_seconds - 1e-9 or note.start > end_seconds - min_duration:
            continue
        out.append(Note(note.pitch, note.start, min(note.end, end_seconds), note.velocity))
    return out


def apply_feel(
    notes: Sequence[Note],
    *,
    swing: float,
    humanize_amount: float,
    seconds_per_beat: float,
    beat_unit: int,
    style: str | None,
    rng: np.random.Generator | int | None,
    end_seconds: float,
    offset: float = 0.0,
) -> list[Note]:
    """Swing then humanise the notes of a continuation that starts at ``offset`` seconds.

    ``seconds_per_beat`` and ``beat_unit`` are the request's (beat_unit 8 means eighth-note beats:
    then the 16ths inside each eighth are swung). Hip-hop, funk and similar styles swing 16ths.
    """
    out = swing_notes(
        notes, swing=swing, seconds_per_beat=seconds_per_beat, beat_unit=beat_unit, style=style, offset=offset
    )
    return humanize(out, amount=humanize_amount, rng=rng, start_seconds=offset, end_seconds=end_seconds)


def swing_notes(
    notes: Sequence[Note],
    *,
    swing: float,
    seconds_per_beat: float,
    beat_unit: int,
    style: str | None,
    offset: float = 0.0,
) -> list[Note]:
    """The swing half of :func:`apply_feel` (a backend moving notes between swing and humanize,
    such as microtiming, calls the two halves itself)."""
    if beat_unit >= 8:
        pulse, subdivision = seconds_per_beat, 2
    else:
        pulse = seconds_per_beat * beat_unit / 4.0  # the quarter note
        subdivision = swing_subdivision(style)
    return apply_swing(notes, amount=swing, beat_seconds=pulse, subdivision=subdivision, offset=offset)
