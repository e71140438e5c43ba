"""The reverb and delay advice for a track's role: too wet, too dry (:func:`space_findings`).

What is judged (:func:`space_findings`)
---------------------------------------
The track's measure (:func:`ai.mixing.space_measure.measure_space`) is read by its role's models
(:class:`ai.mixing.space_model.RoleSpace`, fitted by ``training/role_space.py``; card
``models/role_space.md``): the probability that it is drowned in reverb, the probability that it
is bone dry, and the reverb's level against the dry sound (the cut a too-wet finding suggests is
that level minus the role's normal one).

The advice: the reverb type by role (REVERB_TYPES), the send level and decay that rendered parts of
the role carry (the role's norms), a pre-delay of a short note value at the song's tempo
(:func:`pre_delay`), delay times synced to it (:func:`delay_times`), and what to cut when a track
is too wet (the wet level, the decay, the low end of the return, or ducking the return).
"""

from __future__ import annotations

import math
from typing import Any

from ai.mixing.findings import Suggestion
from ai.mixing.space_measure import SpaceMeasure
from ai.mixing.space_model import RoleSpace, reverb_db
from ai.mixing.targets import ROLE_LOW_CUT_HZ
from utils.errors import InvalidParameter
from utils.wording import with_article

REVERB_TYPES: dict[str, str] = {
    "vocals": "plate",
    "lead": "plate",
    "snare": "plate",
    "speech": "room",
    "kick": "room",
    "hihat": "room",
    "drums": "room",
    "overheads": "room",
    "bass": "room",
    "guitar": "room",
    "keys": "hall",
    "synth": "hall",
    "pad": "hall",
    "fx": "hall",
    "music": "hall",
    "other": "room",
}
"""The reverb each role is usually given (the mix engineer's convention the issue asks for: a plate
for vocals, leads and the snare, a room for drums and close parts, a hall for pads, strings and keys)."""
DELAY_ROLES = frozenset({"vocals", "lead"})
"""Roles a dry part of which also gets a tempo-synced delay."""
DELAY_NOTE = "1/8 dotted"
"""The delay a dry lead or vocal is offered first (the others are listed with it)."""
DELAY_FEEDBACK = 0.25
"""Delay feedback suggested: each repeat 12 dB under the one before, two or three repeats heard."""
SPACE_SEND_DB = -27.0
"""A role whose normal reverb (RoleSpace.send_db) is quieter than this is kept dry: the training
renders give kick and bass -31 to -33 dB, every other role -25 dB or more."""
MIN_CUT_DB = 3.0
"""The smallest wet-level cut worth suggesting (a level change under 3 dB is hard to hear on a reverb)."""
WET_USUAL_SHARE = 0.2
"""A role whose clean training stems read too wet this often is usually wet (GM's FX programs): a wet one is low priority."""
DRY_USUAL_SHARE = 0.5
"""A role whose clean training stems read dry this often is usually dry: a dry one is information, not a problem."""
DRY_RARE_SHARE = 0.1
"""A role whose clean training stems read dry at most this often is normally given space: a clearly dry one is a problem."""
MONO_NOTES_DB = -27.5
"""Notes whose side-to-mid ratio (``note_width_db``) is at or under this are a mono sample's: every dry render
of one reads -29.8 to -30.0 dB (the measure's floor; 69 training and 35 tuning stems), a faint reverb lifts
them to -28.6 (csound's guitars), while a stereo piano sample reads -26.3 dry (the midpoint, chosen on the
tuning renders)."""
STEREO_TAIL_DB = 1.0
"""Tails this much wider than mono notes (``tail_width_db``) carry a stereo reverb: a mono sample has no side
signal of its own, so its dry render reads 0.00-0.03 dB (``models/role_space.md``), the clean renders with
their normal send +1.9 to +19 dB."""
MIXED_ROLES = frozenset({"music"})
"""A music bed (a podcast's, a video's) is a finished mix: its space was decided when it was mixed, and a reverb
send on it would wash the whole song ("Music sounds dry for a music part: send it to a hall reverb", medium,
on a released song under two voices). It gets no space finding."""
CLOSE_MIC_ROLES = frozenset({"kick", "snare", "hihat", "speech"})
"""Pieces of a kit, dry as a close microphone or a one-shot sample hears them in a real session (the room comes
from the overheads or a bus reverb), and speech, recorded close and kept dry (a podcast, a voice-over: a room
blurs the words): a dry one is information, although the renders the norms were fitted on carry FluidSynth's
reverb on every drum (hi-hats -22 dB), and speech takes the lead lines' norms."""


# --- Tempo: delay times and pre-delay -------------------------------------------------------------

NOTE_VALUES: tuple[tuple[str, float], ...] = (
    ("1/4", 1.0),
    ("1/8 dotted", 0.75),
    ("1/8", 0.5),
    ("1/8 triplet", 1.0 / 3.0),
    ("1/16", 0.25),
)
"""Delay note values and their length in quarter notes (the ones a delay plug-in's sync menu offers)."""
PRE_DELAY_RANGE_MS = (10.0, 40.0)
"""A reverb's pre-delay keeps the dry attack clear of the tail: 10-40 ms (longer reads as an echo)."""
PRE_DELAY_DEFAULT_MS = 20.0
"""Pre-delay when the tempo is unknown: the middle of PRE_DELAY_RANGE_MS in log terms."""


TEMPO_RANGE_BPM = (20.0, 400.0)
"""The tempi delay, pre-delay and release times are worked out for (quarter-note BPM)."""


def tempo_in_range(tempo_bpm: float) -> bool:
    """Whether ``tempo_bpm`` is a tempo the space advice can time its moves by (TEMPO_RANGE_BPM)."""
    low, high = TEMPO_RANGE_BPM
    return not isinstance(tempo_bpm, bool) and math.isfinite(float(tempo_bpm)) and low <= float(tempo_bpm) <= high


def _check_tempo(tempo_bpm: float) -> float:
    if not tempo_in_range(tempo_bpm):
        low, high = TEMPO_RANGE_BPM
        raise InvalidParameter("tempo", f"tempo must be {low:g}-{high:g} BPM, got {tempo_bpm!r}")
    return float(tempo_bpm)


def delay_times(tempo_bpm: float) -> dict[str, float]:
    """Delay times synced to the tempo, in ms: {"1/4", "1/8 dotted", "1/8", "1/8 triplet", "1/16"}.

    ``tempo_bpm`` is the quarter-note tempo (20-400 BPM); a quarter note lasts 60000 / tempo ms.
    Raises InvalidParameter outside that range.
    """
    quarter_ms = 60000.0 / _check_tempo(tempo_bpm)
    return {name: quarter_ms * quarters for name, quarters in NOTE_VALUES}


def pre_delay(tempo_bpm: float | None) -> tuple[float, str]:
    """A reverb pre-delay (ms) and the note value it is: the longest of 1/32, 1/64, 1/128 note in PRE_DELAY_RANGE_MS.

    At 120 BPM a 1/64 note is 31 ms; at 70 BPM a 1/128 (27 ms); at 200 BPM a 1/32 (38 ms). With no
    tempo, PRE_DELAY_DEFAULT_MS and "free".
    """
    if tempo_bpm is None:
        return PRE_DELAY_DEFAULT_MS, "free"
    quarter_ms = 60000.0 / _check_tempo(tempo_bpm)
    low, high = PRE_DELAY_RANGE_MS
    for division in (8, 16, 32):  # 1/32, 1/64, 1/128 notes
        ms = quarter_ms / division
        if ms <= high:
            return (ms, f"1/{division * 4}") if ms >= low else (low, "free")
    return high, "free"


# --- Findings -----------------------------------------------------------------------------------------


def _beats(seconds: float, tempo_bpm: float | None) -> str:
    if tempo_bpm is None:
        return ""
    return f" (about {seconds * tempo_bpm / 60.0:.1f} beats at {tempo_bpm:g} BPM)"


def _reverb_move(role: str, norms: RoleSpace, tempo_bpm: float | None) -> dict[str, Any]:
    """The reverb a role normally gets: type, send level, decay, pre-delay (and the note value it is)."""
    pre_ms, pre_note = pre_delay(tempo_bpm)
    decay = norms.percentiles["decay_s"][1]
    return {
        "type": REVERB_TYPES.get(role, "room"),
        "send_db": None if norms.send_db is None else round(norms.send_db, 1),
        "decay_s": round(decay, 2),
        "pre_delay_ms": round(pre_ms, 1),
        "pre_delay_note": pre_note,
        "high_pass_hz": ROLE_LOW_CUT_HZ.get(role, ROLE_LOW_CUT_HZ["other"]),
    }


def _evidence(measure: SpaceMeasure, norms: RoleSpace, problem: str, probability: float) -> dict[str, Any]:
    return {
        "problem": problem,
        "probability": round(probability, 3),
        **measure.to_dict(),
        "reverb_db": round(reverb_db(measure), 1),
        "norm": {
            "role": norms.data_role,
            "stems": norms.stems,
            **{f"{k}_p5_p50_p95": [round(v, 2) for v in values] for k, values in norms.percentiles.items()},
            "send_db": None if norms.send_db is None else round(norms.send_db, 1),
        },
    }


def _too_wet(
    name: str,
    role: str,
    measure: SpaceMeasure,
    tempo_bpm: float | None,
    norms: RoleSpace,
    probability: float,
    wet_db: float,
) -> Suggestion:
    tail_p5, tail_p50, _ = norms.percentiles["tail_db"]
    _, decay_p50, decay_p95 = norms.percentiles["decay_s"]
    tail = measure.tail_db if measure.tail_db is not None else tail_p50
    normal_db = norms.send_db if norms.send_db is not None else wet_db - MIN_CUT_DB
    cut_db = float(max(MIN_CUT_DB, round(wet_db - normal_db)))
    decay = measure.decay_s if measure.decay_s is not None and math.isfinite(measure.decay_s) else None
    shorter = decay is not None and decay > decay_p95
    move = _reverb_move(role, norms, tempo_bpm)
    reverb = {
        "wet_change_db": -cut_db,
        "decay_s": round(decay_p50, 2) if shorter else None,
        "high_pass_hz": move["high_pass_hz"],
        "duck": True,
        "duck_release_ms": round(delay_times(tempo_bpm)["1/8"], 0) if tempo_bpm else None,
    }
    what = f"its reverb tail starts {tail:.0f} dB under the notes (rendered {role} parts: {tail_p50:.0f} dB"
    what += f", {tail_p5:.0f} dB at the wettest 5 %)"
    if decay is not None:
        what += f" and decays in {decay:.1f} s (normal {decay_p50:.1f} s)"
    what += f"; the reverb reads about {wet_db:+z.0f} dB against the dry sound, where rendered {role} parts carry"
    what += f" {normal_db:+z.0f} dB"
    steps = [f"lower the reverb send or wet level by about {cut_db:.0f} dB"]
    if shorter:
        steps.append(f"shorten the decay to about {decay_p50:.1f} s{_beats(decay_p50, tempo_bpm)}")
    steps.append(f"high-pass the reverb return at {move['high_pass_hz']:g} Hz")
    steps.append("or duck the return under the dry track (a compressor on the reverb keyed from it)")
    usual = norms.wet_share >= WET_USUAL_SHARE
    priority = "low" if usual else ("high" if probability >= norms.wet.high else "medium")
    return Suggestion(
        type="space",
        message=f"{name} sounds too wet: {what}" + (" (much ambience is common for this role)" if usual else ""),
        priority=priority,
        track=name,
        suggestion="; ".join(steps[:-1]) + ", " + steps[-1],
        confidence=probability,
        evidence={**_evidence(measure, norms, "too_wet", probability), "wet_db": round(wet_db, 1)},
        action={"kind": "reverb", "reverb": reverb},
    )


def has_stereo_tail(measure: SpaceMeasure) -> bool:
    """Mono notes (MONO_NOTES_DB) whose tails are STEREO_TAIL_DB or more wider: a stereo reverb is heard.

    Such a part is not bone dry: its send may be faint or its own sustain long (csound's guitars carry the
    same -24 dB send as every other render's and read dry at p 0.83-0.86: their notes ring over the tail),
    so how much more space it wants is taste, not a problem.
    """
    return (
        measure.note_width_db is not None
        and measure.tail_width_db is not None
        and measure.note_width_db <= MONO_NOTES_DB
        and measure.tail_width_db >= STEREO_TAIL_DB
    )


def _too_dry(
    name: str, role: str, measure: SpaceMeasure, tempo_bpm: float | None, norms: RoleSpace, probability: float
) -> list[Suggestion]:
    move = _reverb_move(role, norms, tempo_bpm)
    given_space = norms.send_db is not None and norms.send_db >= SPACE_SEND_DB
    usual = norms.dry_share >= DRY_USUAL_SHARE or not given_space or role in CLOSE_MIC_ROLES
    reverb_heard = has_stereo_tail(measure)
    clear = probability >= norms.dry.medium and norms.dry_share <= DRY_RARE_SHARE and not reverb_heard
    priority = "medium" if clear else "low"
    heard = "no reverb tail" if measure.tail_db is None else f"a tail {measure.tail_db:.0f} dB under the notes"
    width = measure.tail_width_db
    if reverb_heard and width is not None:
        heard += f", {width:+z.0f} dB wider than its mono notes: some reverb is there"
    elif width is not None:
        heard += f", no wider than the notes ({width:+z.0f} dB side)" if width < 3 else f" ({width:+z.0f} dB wider)"
    send = f" at about {move['send_db']:.0f} dB (the level rendered {role} parts carry)" if move["send_db"] else ""
    pre = f"{move['pre_delay_ms']:.0f} ms pre-delay" + (
        f" (a {move['pre_delay_note']} note)" if move["pre_delay_note"] != "free" else ""
    )
    suggestion = (
        f"send it to a {move['type']} reverb{send}, decay about {move['decay_s']:.1f} s"
        f"{_beats(move['decay_s'], tempo_bpm)}, {pre}, return high-passed at {move['high_pass_hz']:g} Hz"
    )
    findings = [
        Suggestion(
            type="space",
            message=f"{name} sounds dry for {with_article(role)} part: {heard}"
            + (" (dry is common for this role)" if usual else ""),
            priority="low" if usual else priority,
            track=name,
            suggestion=suggestion,
            confidence=probability,
            evidence=_evidence(measure, norms, "too_dry", probability),
            action={"kind": "reverb", "reverb": move},
            info=usual,
        )
    ]
    if role in DELAY_ROLES and tempo_bpm is not None:
        times = delay_times(tempo_bpm)
        listed = ", ".join(f"{k} {v:.0f} ms" for k, v in times.items())
        findings.append(
            Suggestion(
                type="space",
                message=f"{name}: a tempo-synced delay gives a dry {role} space without washing it out",
                priority="low",
                track=name,
                suggestion=(
                    f"a {DELAY_NOTE} delay of {times[DELAY_NOTE]:.0f} ms at {tempo_bpm:g} BPM, feedback "
                    f"{DELAY_FEEDBACK:.0%}, low under the dry part ({listed})"
                ),
                confidence=probability,
                evidence={"problem": "too_dry", "tempo_bpm": tempo_bpm, "delay_times_ms": times},
                action={
                    "kind": "delay",
                    "delay": {
                        "note": DELAY_NOTE,
                        "time_ms": round(times[DELAY_NOTE], 1),
                        "feedback": DELAY_FEEDBACK,
                        "send_db": move["send_db"],
                        "times_ms": {k: round(v, 1) for k, v in times.items()},
                    },
                },
                info=True,
            )
        )
    return findings


def space_findings(
    *, name: str, role: str, measure: SpaceMeasure, tempo_bpm: float | None, norms: RoleSpace
) -> list[Suggestion]:
    """Too-wet and too-dry findings for one track, with the reverb (and delay) move that answers them.

    Args:
        name: the track's name (the findings' ``track``).
        role: its role (one of ai.mixing.roles.ROLES): picks the reverb type.
        measure: :func:`ai.mixing.space_measure.measure_space` of the track.
        tempo_bpm: the song's quarter-note tempo (analysis or manifest), for the pre-delay, decay in
            beats and delay times; None when unknown.
        norms: :func:`ai.mixing.space_model.role_space` of the role.

    Returns:
        [] for a track whose space is normal for its role (or too few note ends to judge, or a finished mix:
        MIXED_ROLES); one
        ``type="space"`` finding with evidence["problem"] "too_wet" (priority medium or high, a
        reverb action that cuts the wet level, shortens the decay, high-passes the return, ducks)
        or "too_dry" (priority medium when the role is normally given space and the part is clearly
        dry, low otherwise and when mono notes have stereo tails (:func:`has_stereo_tail`), info when dry
        is usual for the role; a reverb action with type, send
        level, decay and pre-delay), plus for a dry lead or vocal a tempo-synced delay (info).
    """
    if not measure.reliable or role in MIXED_ROLES:
        return []
    x = norms.model_input(measure)
    p_wet = norms.wet.probability(x)
    if p_wet >= norms.wet.medium:
        return [_too_wet(name, role, measure, tempo_bpm, norms, p_wet, norms.level.estimate(x))]
    p_dry = norms.dry.probability(x)
    if p_dry >= norms.dry.low and p_wet < norms.wet.low:
        return _too_dry(name, role, measure, tempo_bpm, norms, p_dry)
    return []
