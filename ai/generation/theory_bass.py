"""Bass-line generation of the music-theory backend (:mod:`ai.generation.theory`): the register
(``BASS_RANGE``, ``BASS_HOME``), each style's onset profile, articulation and role weights, the
riff drawn from the profile and repeated with variation, and the pitch of each note by its role
(root on the downbeat, fifths, octaves, passing and approach notes toward the next chord) in the
key's scale; a primer lends its last bar's rhythm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ai.generation.base import GenerationRequest, Note
from ai.generation.theory_grid import (
    _Grid,
    _last_bar_start,
    _nearest_in,
    _scale_pitches,
    _weighted_choice,
)
from ai.music_theory import Chord, Key, fold_into_range, tones_under

BASS_RANGE = (28, 55)  # E1 .. G3
BASS_HOME = 40.0
"""Where the bass roots gravitate (E2). MMA's human-written bass lines (the 812 training renders of
training.tempo_corpus, random keys) have a median pitch of 39 in its jazz, swing, blues, reggae and
ska grooves (260) and 38 in the others (354), per groove, median over grooves. The pull toward 40
puts this backend's lines at 38.75 and 38 (every style, 12 keys, 2 seeds each); the old pulls
(40 for jazz, blues and reggae, 36 for the rest) put the rest at 36, two semitones below MMA."""


# --- bass ---------------------------------------------------------------------------------

# Onset probability of each 16th of a 4/4 bar at density 0.5 (step 0 is the downbeat).
_BASS_PROFILES: dict[str, tuple[float, ...]] = {
    "default": (1, 0, 0.05, 0, 0.35, 0, 0.3, 0, 0.8, 0, 0.15, 0, 0.35, 0, 0.45, 0.05),
    "rock": (1, 0, 0.75, 0, 0.75, 0, 0.75, 0, 0.9, 0, 0.75, 0, 0.75, 0, 0.75, 0.05),
    "funk": (1, 0.15, 0.3, 0.5, 0.15, 0.2, 0.55, 0.3, 0.45, 0.2, 0.35, 0.5, 0.2, 0.35, 0.5, 0.3),
    "hip-hop": (1, 0, 0.05, 0.25, 0, 0, 0.3, 0.35, 0.25, 0, 0.45, 0.1, 0, 0.1, 0.3, 0.15),
    "jazz": (1, 0, 0, 0, 0.95, 0, 0.15, 0, 0.95, 0, 0.15, 0, 0.95, 0, 0.2, 0),
    "latin": (1, 0, 0, 0.2, 0, 0, 0.85, 0, 0.2, 0, 0.1, 0, 0.85, 0, 0.25, 0),
    "electronic": (0.9, 0, 0.9, 0.15, 0, 0, 0.9, 0.15, 0, 0, 0.9, 0.15, 0, 0, 0.9, 0.15),
    "reggae": (0.9, 0, 0, 0, 0, 0, 0.45, 0.25, 0.85, 0, 0.3, 0, 0.4, 0, 0.5, 0.2),
    "blues": (1, 0, 0.25, 0, 0.9, 0, 0.25, 0, 0.9, 0, 0.25, 0, 0.9, 0, 0.3, 0),
    "metal": (1, 0.45, 0.8, 0.45, 0.8, 0.45, 0.8, 0.45, 1, 0.45, 0.8, 0.45, 0.8, 0.45, 0.8, 0.45),
    # 3/4 takes cells 1, 2 and 4: the root on one, sometimes the fifth on three.
    "waltz": (1, 0, 0, 0, 0.15, 0, 0, 0, 0.2, 0, 0, 0, 0.5, 0, 0, 0),
    "disco": (1, 0, 0.9, 0, 0.9, 0, 0.9, 0, 0.95, 0, 0.9, 0, 0.9, 0, 0.9, 0.1),  # octave eighths
    "country": (1, 0, 0, 0, 0.2, 0, 0, 0, 0.95, 0, 0, 0, 0.2, 0, 0.25, 0),  # root-fifth two-beat
    "ballad": (1, 0, 0, 0, 0, 0, 0.2, 0, 0.7, 0, 0, 0, 0.15, 0, 0.3, 0),
    "march": (1, 0, 0, 0, 0.6, 0, 0, 0, 0.95, 0, 0, 0, 0.6, 0, 0, 0),
}
# Fraction of the gap to the next onset that a bass note sounds.
_BASS_ARTICULATION = {
    "default": 0.9,
    "rock": 0.88,
    "funk": 0.55,
    "hip-hop": 0.95,
    "jazz": 0.92,
    "latin": 0.85,
    "electronic": 0.5,
    "reggae": 0.8,
    "blues": 0.85,
    "metal": 0.7,
    "waltz": 0.85,
    "disco": 0.5,
    "country": 0.8,
    "ballad": 0.95,
    "march": 0.6,
}
# Role weights on strong pulses (not the downbeat) and on off-beats.
_BASS_ROLES: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "default": (
        {"root": 3, "fifth": 2, "octave": 1, "third": 0.5},
        {"repeat": 2, "fifth": 1, "octave": 1, "passing": 1},
    ),
    "rock": ({"root": 5, "fifth": 1.5, "octave": 0.8}, {"repeat": 5, "octave": 0.7, "fifth": 0.7, "passing": 0.3}),
    "funk": (
        {"root": 3, "octave": 2, "fifth": 1, "seventh": 1},
        {"octave": 2.5, "repeat": 1.5, "seventh": 1, "fifth": 1, "passing": 1},
    ),
    "hip-hop": ({"root": 4, "fifth": 1.5, "octave": 1}, {"repeat": 2, "fifth": 1, "passing": 1, "octave": 1}),
    "jazz": ({"third": 2, "fifth": 2, "passing": 2.5, "sixth": 1, "root": 0.5}, {"passing": 2, "third": 1, "fifth": 1}),
    "latin": ({"root": 3, "fifth": 3, "octave": 1}, {"fifth": 2, "root": 2, "octave": 1}),
    "electronic": ({"root": 4, "octave": 1}, {"repeat": 3, "octave": 2}),
    "reggae": ({"root": 3, "third": 1.5, "fifth": 2}, {"passing": 2, "third": 1.5, "fifth": 1.5, "repeat": 1}),
    "blues": (
        {"root": 1.5, "third": 2, "fifth": 2, "sixth": 1.5, "seventh": 1},
        {"repeat": 2, "passing": 1, "fifth": 1},
    ),
    "metal": ({"root": 6, "fifth": 1}, {"repeat": 6, "fifth": 0.5, "octave": 0.5}),
    "waltz": ({"fifth": 3, "root": 1.5, "third": 1}, {"passing": 1, "repeat": 1}),
    "disco": ({"octave": 3, "root": 3, "fifth": 1}, {"octave": 4, "repeat": 2, "fifth": 0.5}),
    "country": ({"fifth": 5, "root": 1, "third": 0.5}, {"passing": 2, "repeat": 1}),
    "ballad": ({"root": 3, "fifth": 2, "third": 1}, {"passing": 1.5, "repeat": 1}),
    "march": ({"fifth": 4, "root": 2}, {"passing": 1, "repeat": 1}),
}


def _cells_for_meter(profile16: Sequence[float], pulses: Sequence[int]) -> list[float]:
    """A 4/4 per-16th profile laid over any bar of pulses (3/4 uses pulses 1, 2, 4)."""
    cells = [list(profile16[i : i + 4]) for i in range(0, 16, 4)]
    n = len(pulses)
    mapping = {1: (0,), 2: (0, 2), 3: (0, 1, 3)}.get(n, tuple(i % 4 for i in range(n)))
    out: list[float] = []
    for i, length in enumerate(pulses):
        cell = cells[mapping[i]]
        if length == 6:
            out += [cell[0], cell[1], cell[2], cell[3], cell[2], cell[3]]
        else:
            out += (cell + [0.0] * length)[:length]
    return out


def _bass_riff(
    profile: Sequence[float],
    *,
    density: float,
    temperature: float,
    style: str,
    rng: np.random.Generator,
) -> list[int]:
    """Onset steps of one bar drawn from the profile; density bends every probability up or down."""
    k = 3.0 ** (2.0 * density - 1.0)
    onsets = []
    for step, p in enumerate(profile):
        p_eff = 1.0 - (1.0 - min(p, 0.999)) ** k
        if step == 0:
            skip = style in ("reggae", "hip-hop") and temperature > 1.0 and rng.random() < 0.15 * (temperature - 1.0)
            if not skip:
                onsets.append(0)
            continue
        if rng.random() < p_eff:
            onsets.append(step)
    return onsets


def _resample_span(
    onsets: list[int],
    profile: Sequence[float],
    lo: int,
    hi: int,
    *,
    density: float,
    rng: np.random.Generator,
) -> list[int]:
    k = 3.0 ** (2.0 * density - 1.0)
    kept = [s for s in onsets if not lo <= s < hi or s == 0]
    fresh = [s for s in range(max(lo, 1), hi) if rng.random() < 1.0 - (1.0 - min(profile[s], 0.999)) ** k]
    return sorted(set(kept + fresh))


@dataclass(frozen=True)
class _BassContext:
    key: Key
    chromatic: bool
    allowed: frozenset[int]  # pitch classes that may sound under the bar's chord (music_theory.tones_under)
    scale: tuple[int, ...]  # those pitches in the bass range


def _context(key: Key, chord: Chord, chromatic: bool) -> _BassContext:
    allowed = tones_under(key, chord)
    return _BassContext(key, chromatic, allowed, tuple(_scale_pitches(allowed, *BASS_RANGE)))


def _bass_root(chord: Chord, ctx: _BassContext, near: float, home: float) -> int:
    """The chord's bass note (slash bass included, in the key or not: Bb under C/Bb) in the octave closest to
    the previous root, pulled a little toward ``home`` so that a line does not drift to the edge of the range."""
    pc = chord.bass_pitch_class
    candidates = [p for p in range(BASS_RANGE[0], 52) if p % 12 == pc]
    return min(candidates, key=lambda p: (abs(p - near) + 0.5 * abs(p - home), p))


def _allowed(pitch: int, ctx: _BassContext) -> int:
    pitch = fold_into_range(pitch, *BASS_RANGE)
    if ctx.chromatic or pitch % 12 in ctx.allowed:
        return pitch
    return _nearest_in(ctx.scale, pitch)


def _chord_interval_pitch(root: int, chord: Chord, ctx: _BassContext, wanted: Sequence[int]) -> int | None:
    """The chord tone ``wanted`` semitones above the chord's root (the first the chord has: its own tones always
    sound), placed above ``root``, the bar's bass note (E then G under C/E: not G#, a third above the E)."""
    for semis in wanted:
        if semis % 12 in [i % 12 for i in chord.intervals]:
            return fold_into_range(root + (chord.root + semis - root) % 12, *BASS_RANGE)
    return None


def _scale_above(root: int, ctx: _BassContext, semis: Sequence[int]) -> int:
    for s in semis:
        if (root + s) % 12 in ctx.allowed:
            return fold_into_range(root + s, *BASS_RANGE)
    return _allowed(root + semis[0], ctx)


def _step_toward(prev: int, target: int, ctx: _BassContext, rng: np.random.Generator) -> int:
    direction = int(np.sign(target - prev)) or (1 if rng.random() < 0.5 else -1)
    above = [p for p in ctx.scale if (p - prev) * direction > 0]
    if not above:
        above = [p for p in ctx.scale if (p - prev) * -direction > 0]
    return min(above, key=lambda p: abs(p - prev))


def _bass_pitch(
    role: str,
    *,
    root: int,
    chord: Chord,
    next_root: int,
    prev: int,
    ctx: _BassContext,
    rng: np.random.Generator,
) -> int:
    if role == "root":
        return root
    if role == "octave":
        return root + 12 if root + 12 <= BASS_RANGE[1] else root
    if role == "fifth":
        fifth = _chord_interval_pitch(root, chord, ctx, (7, 6, 8)) or _scale_above(root, ctx, (7, 6, 8))
        below = fifth - 12
        return below if below >= BASS_RANGE[0] and abs(below - prev) < abs(fifth - prev) else fifth
    if role == "third":
        third = _chord_interval_pitch(root, chord, ctx, (4, 3))
        if third is not None:
            return third
        # No third in the chord (a sus or power chord): its fifth. The key's third there would clash with the
        # suspension (E under Csus4).
        return _bass_pitch("fifth", root=root, chord=chord, next_root=next_root, prev=prev, ctx=ctx, rng=rng)
    if role == "seventh":
        return _chord_interval_pitch(root, chord, ctx, (10, 11)) or _scale_above(root, ctx, (10, 11, 9))
    if role == "sixth":
        return _scale_above(root, ctx, (9, 8, 10))
    if role == "repeat":
        return prev
    if role == "passing":
        return _step_toward(prev, next_root, ctx, rng)
    if role == "approach":
        if ctx.chromatic and rng.random() < 0.6:
            return fold_into_range(next_root + (-1 if rng.random() < 0.7 else 1), *BASS_RANGE)
        lower = [p for p in ctx.scale if p < next_root]
        upper = [p for p in ctx.scale if p > next_root]
        options = ([max(lower)] if lower else []) + ([min(upper)] if upper else [])
        return options[0] if len(options) == 1 or rng.random() < 0.6 else options[1]
    raise ValueError(role)


def _within_octave(pitch: int, prev: int) -> int:
    """``pitch`` moved by octaves to lie within an octave of ``prev`` where the range allows: D2 G3 D2 (a
    fifth below the root, then the root's upper octave) is a jump a bass player makes as D2 G2 D2."""
    while pitch - prev > 12 and pitch - 12 >= BASS_RANGE[0]:
        pitch -= 12
    while prev - pitch > 12 and pitch + 12 <= BASS_RANGE[1]:
        pitch += 12
    return pitch


def _generate_bass(request: GenerationRequest, grid: _Grid, style: str, rng: np.random.Generator) -> list[Note]:
    key, temperature, density = request.key, request.temperature, request.density
    profile = _cells_for_meter(_BASS_PROFILES[style], grid.pulses)
    steps = grid.steps_per_bar
    articulation = _BASS_ARTICULATION[style]
    strong_roles, weak_roles = _BASS_ROLES[style]
    pulse_starts = set(grid.pulse_starts)
    last_pulse = grid.pulse_starts[-1]

    home = BASS_HOME
    prev_root: float = home
    prev = int(home)
    riff: list[int] | None = None
    if request.primer:
        primer = [n for n in request.primer if n.start < request.primer_seconds]
        if primer:
            last = max(primer, key=lambda n: (n.start, -n.pitch))
            prev = fold_into_range(last.pitch, *BASS_RANGE)
            prev_root = float(min(prev, 48))
            riff = _primer_rhythm(primer, grid, request.primer_seconds)
    if not riff:
        riff = _bass_riff(profile, density=density, temperature=temperature, style=style, rng=rng)
    if temperature <= 1.0 and 0 not in riff:
        riff = [0, *riff]

    notes: list[Note] = []
    change = int(round(request.change_beat * 16 / request.beat_unit))  # the 16th where a bar's second chord starts
    for bar in range(grid.bars):
        chord = request.chord_at_bar(bar)
        second = request.half_bar_chord(bar)  # a second chord from the middle of the bar, or None
        next_chord = request.chord_at_bar(bar + 1)
        ctx = _context(key, chord, request.chromatic)
        root = _bass_root(chord, ctx, prev_root, home)
        second_ctx, second_root = ctx, root
        if second is not None:
            second_ctx = _context(key, second, request.chromatic)
            second_root = _bass_root(second, second_ctx, root, home)
        next_root = _bass_root(next_chord, second_ctx, second_root, home)
        prev_root = second_root
        onsets = list(riff)
        if bar > 0 and rng.random() < min(0.9, 0.35 * temperature):  # vary the pickup into the next bar
            onsets = _resample_span(onsets, profile, last_pulse, steps, density=density, rng=rng)
        if bar > 0 and rng.random() < min(0.6, 0.15 * temperature):
            pulse = int(rng.integers(0, len(grid.pulses)))
            lo = grid.pulse_starts[pulse]
            onsets = _resample_span(onsets, profile, lo, lo + grid.pulses[pulse], density=density, rng=rng)
        ending = second if second is not None else chord
        changing = next_chord.bass_pitch_class != ending.bass_pitch_class or bar == grid.bars - 1
        p_approach = min(0.9, 0.5 * temperature) if changing else 0.1 * temperature
        if changing and not any(s > last_pulse for s in onsets) and rng.random() < p_approach * 0.6:
            onsets = sorted({*onsets, steps - 2})  # an 8th pickup to lead into the next chord
        # A bar that changes chord at its middle meets the change as a bar line: the second chord's root on the
        # change beat, led into from the pulse before it as into the next bar.
        half_pulse = grid.pulse_starts[grid.pulse_of(max(change - 1, 0))]
        p_half = 0.0
        if second is not None:
            moving = second.bass_pitch_class != chord.bass_pitch_class
            p_half = min(0.9, 0.5 * temperature) if moving else 0.1 * temperature
            if moving and not any(half_pulse < s < change for s in onsets) and rng.random() < p_half * 0.6:
                onsets = sorted({*onsets, change - 2})
            onsets = sorted({*onsets, change})
        for i, step in enumerate(onsets):
            end_step = onsets[i + 1] if i + 1 < len(onsets) else steps
            late = second is not None and step >= change  # under the bar's second chord
            here, here_root, here_ctx = (second, second_root, second_ctx) if late and second else (chord, root, ctx)
            toward = next_root if late or second is None else second_root
            into_next = i == len(onsets) - 1 and step >= last_pulse and bar < grid.bars - 1
            into_change = second is not None and half_pulse <= step < change == onsets[i + 1]
            if step == 0:
                role = "root"
                if temperature > 1.0 and rng.random() < 0.12 * (temperature - 1.0):
                    role = _weighted_choice(rng, {"fifth": 1, "third": 1}, 1.0)
            elif second is not None and step == change:
                role = "root"
            elif (into_next and rng.random() < p_approach) or (into_change and rng.random() < p_half):
                role = "approach"
            else:
                options = dict(strong_roles if step in pulse_starts else weak_roles)
                leading = step >= last_pulse or (second is not None and half_pulse <= step < change)
                if leading and "passing" in options:
                    options["passing"] *= 1.0 + temperature
                if style == "jazz":
                    options.pop("repeat", None)
                role = _weighted_choice(rng, options, temperature)
            pitch = _bass_pitch(role, root=here_root, chord=here, next_root=toward, prev=prev, ctx=here_ctx, rng=rng)
            pitch = _within_octave(_allowed(pitch, here_ctx), prev)
            struck = step == 0 or (second is not None and step == change)  # a root: the walk does not move it
            if style == "jazz" and not struck and pitch == prev:  # a walking line keeps walking
                pitch = _allowed(_step_toward(prev, toward, here_ctx, rng), here_ctx)
            prev = pitch
            gap = (end_step - step) * grid.step_seconds
            length = max(gap * articulation, min(gap, grid.step_seconds * 0.5))
            start = grid.time(bar, step)
            velocity = 100 if step == 0 else 90 if step in pulse_starts else 78
            if style == "funk" and role == "octave":
                velocity += 10  # popped octave
            velocity += int(rng.integers(-4, 5))
            notes.append(Note(pitch, start, start + length, int(np.clip(velocity, 1, 127))))
    return notes


def _primer_rhythm(primer: Sequence[Note], grid: _Grid, primer_seconds: float) -> list[int]:
    """Onset steps (within one bar) of the primer's last bar, quantised to 16ths."""
    start = _last_bar_start(primer_seconds, grid.steps_per_bar * grid.step_seconds)
    steps = set()
    for note in primer:
        if note.start >= start - grid.step_seconds / 2:
            step = int(round((note.start - start) / grid.step_seconds))
            if 0 <= step < grid.steps_per_bar:
                steps.add(step)
    return sorted(steps)
