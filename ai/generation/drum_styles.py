"""The drum styles of the music-theory backend: the :class:`Layer` and :class:`DrumStyle`
dataclasses, the General MIDI drum notes, the ``_STYLES`` table of each style's grooves (written for
4/4 and optionally 6/8; the pattern characters are described in :mod:`ai.generation.drum_patterns`),
its swing, fill, variation options and own meter, ``DRUM_STYLES`` and the aliases callers may use,
and the look-ups by style name (:func:`normalise_drum_style`, :func:`style_meter`,
:func:`style_swing`, :func:`sixteenth_swing`). :mod:`ai.generation.drum_patterns` plays them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai.generation.feel import swing_subdivision

# General MIDI drum notes.
KICK, SIDE_STICK, SNARE, CLAP, E_SNARE = 36, 37, 38, 39, 40
FLOOR_LOW, HAT, FLOOR_HIGH, PEDAL_HAT, TOM_LOW, OPEN_HAT, TOM_LOW_MID, TOM_HI_MID = 41, 42, 43, 44, 45, 46, 47, 48
CRASH, TOM_HIGH, RIDE, CHINA, RIDE_BELL, TAMBOURINE, SPLASH, COWBELL = 49, 50, 51, 52, 53, 54, 55, 56
CONGA_MUTE, CONGA_OPEN, CONGA_LOW, TIMBALE_HIGH, TIMBALE_LOW, SHAKER, CLAVES = 62, 63, 64, 65, 66, 70, 75


@dataclass(frozen=True)
class Layer:
    """One drum voice of a groove: a GM note, its pattern string and a loudness factor."""

    role: str  # kick | snare | hat | ride | perc | tom | cymbal
    pitch: int
    pattern: str  # see ai.generation.drum_patterns' docstring; 16/32 steps (simple) or 12/24 steps (compound)
    gain: float = 1.0


@dataclass(frozen=True)
class DrumStyle:
    name: str
    simple: tuple[Layer, ...]  # written for 4/4
    compound: tuple[Layer, ...] | None  # written for 6/8, or derived when None
    swing: float = 0.0  # the style's own swing when the caller asks for none (jazz, shuffle)
    ghost_rate: float = 0.0  # how readily extra ghost snares appear
    kick_options: tuple[int, ...] = ()  # 4/4 steps where a variation may add a kick
    open_hat: bool = False  # may open the hat on the bar's last off-beat
    comping: bool = False  # jazz: snare/kick comping on off-beats
    fill: str = "toms"  # toms | snare | roll | jazz | timbales | metal
    snare_pitch: int = SNARE
    meter: str | None = None  # the style's own meter when the caller names none (a waltz: 3/4)
    tempo: float | None = None  # the style's own tempo when the caller and a primer name none (trap 140, dnb 174)
    feel: str | None = None
    """The older style whose bass and melody rhythms, dynamics and timing tables this one borrows (trap: hip-hop's
    sparse, held 808 line); None: its own."""


def _l(role: str, pitch: int, pattern: str, gain: float = 1.0) -> Layer:
    return Layer(role, pitch, pattern.replace(" ", ""), gain)


_STYLES: dict[str, DrumStyle] = {
    "default": DrumStyle(
        "default",
        simple=(
            _l("kick", KICK, "X... ..3. x... .6.."),
            _l("snare", SNARE, ".... X... .... X..."),
            _l("hat", HAT, "x727 x727 x727 x727", 0.85),
        ),
        compound=(
            _l("kick", KICK, "X..... ....3."),
            _l("snare", SNARE, "...... X....."),
            _l("hat", HAT, "x.2.2. x.2.2.", 0.85),
        ),
        ghost_rate=0.3,
        kick_options=(6, 10, 14),
        open_hat=True,
        fill="toms",
    ),
    "rock": DrumStyle(
        "rock",
        simple=(
            _l("kick", KICK, "X... ...6 x.3. ...."),
            _l("snare", SNARE, ".... X... .... X..."),
            _l("hat", HAT, "x828 x828 x828 x828", 0.9),
        ),
        compound=(
            _l("kick", KICK, "X...3. ....5."),
            _l("snare", SNARE, "...... X....."),
            _l("hat", HAT, "x7x7x7 x7x7x7", 0.9),
        ),
        ghost_rate=0.25,
        kick_options=(3, 7, 14, 15),
        open_hat=True,
        fill="toms",
    ),
    "funk": DrumStyle(
        "funk",
        simple=(
            _l("kick", KICK, "X..x ..x. ..x. .4.8"),
            _l("snare", SNARE, "..g. X..g .g.. X..g"),
            _l("hat", HAT, "x3x3 x3x3 x3o. x3x3", 0.8),
        ),
        compound=(
            _l("kick", KICK, "X..x.. ..x..."),
            _l("snare", SNARE, "..g... X..g.g"),
            _l("hat", HAT, "x3x3x3 x3o.x3", 0.8),
        ),
        ghost_rate=0.9,
        kick_options=(3, 7, 9, 13, 15),
        open_hat=True,
        fill="snare",
        snare_pitch=SNARE,
    ),
    "hip-hop": DrumStyle(
        "hip-hop",
        simple=(
            _l("kick", KICK, "X... ..x. ..X. .4.. X... .... .xx. ...."),
            _l("snare", SNARE, ".... X... .... X..g .... X... .... X..."),
            _l("snare", CLAP, ".... 5... .... 5... .... 5... .... 5...", 0.8),
            _l("hat", HAT, "x.28 x.26 x.28 x.26", 0.75),
        ),
        compound=None,
        ghost_rate=0.5,
        kick_options=(3, 7, 11, 14),
        open_hat=True,
        fill="snare",
    ),
    "jazz": DrumStyle(
        "jazz",
        simple=(
            _l("ride", RIDE, "x.8. x.2. x.8. x.2.", 0.85),
            _l("hat", PEDAL_HAT, ".... x... .... x...", 0.7),
            _l("kick", KICK, "3... 3... 3... 3...", 0.5),
        ),
        compound=(
            _l("ride", RIDE, "x...x. x...x.", 0.85),
            _l("hat", PEDAL_HAT, "...... x.....", 0.7),
            _l("kick", KICK, "3..... 3.....", 0.5),
        ),
        swing=0.67,
        ghost_rate=0.0,
        kick_options=(6, 14),
        comping=True,
        fill="jazz",
    ),
    "latin": DrumStyle(
        "latin",
        simple=(
            _l("kick", KICK, "x..x x..x x..x x..x", 0.85),
            _l("snare", SIDE_STICK, "x... ..x. ..x. .... ..x. ..x. .... x...", 0.8),
            _l("perc", SHAKER, "x3x3 x3x3 x3x3 x3x3", 0.6),
            _l("perc", CONGA_MUTE, ".... 5... .... 5...", 0.7),
            _l("perc", CONGA_OPEN, ".... ..55 .... ..55", 0.75),
            _l("perc", CONGA_LOW, ".... .... .... ...7", 0.75),
            _l("perc", COWBELL, "8... 8... 8... 8...", 0.55),
        ),
        compound=(
            _l("kick", KICK, "x..... x.....", 0.85),
            _l("snare", SIDE_STICK, "x...x. ..x.x.", 0.8),
            _l("perc", SHAKER, "x3x3x3 x3x3x3", 0.6),
            _l("perc", CONGA_OPEN, "....55 ....55", 0.75),
            _l("perc", COWBELL, "x.x.x. x.x.x.", 0.55),
        ),
        ghost_rate=0.0,
        kick_options=(6, 14),
        fill="timbales",
    ),
    "electronic": DrumStyle(
        "electronic",
        simple=(
            _l("kick", KICK, "X... X... X... X..."),
            _l("snare", CLAP, ".... x... .... x..."),
            _l("hat", OPEN_HAT, "..2. ..2. ..2. ..2.", 0.75),
            _l("hat", HAT, "4.4. 4.4. 4.4. 4.4.", 0.6),
            _l("hat", HAT, ".7.7 .7.7 .7.7 .7.7", 0.5),
            _l("perc", TAMBOURINE, ".... 8... .... 8...", 0.6),
        ),
        compound=None,
        ghost_rate=0.0,
        kick_options=(14, 15),
        fill="roll",
        snare_pitch=E_SNARE,
    ),
    "reggae": DrumStyle(
        "reggae",
        simple=(
            _l("kick", KICK, ".... .... X... ...."),
            _l("snare", SIDE_STICK, ".... .... x... ...."),
            _l("hat", HAT, "x.38 x.38 x.38 x.36", 0.7),
            _l("hat", OPEN_HAT, ".... .... .... ..5.", 0.6),
        ),
        compound=(
            _l("kick", KICK, "...... X....."),
            _l("snare", SIDE_STICK, "...... x....."),
            _l("hat", HAT, "x.x.x. x.x.x.", 0.7),
        ),
        swing=0.0,
        ghost_rate=0.2,
        kick_options=(0, 12),
        fill="toms",
    ),
    "blues": DrumStyle(
        "blues",
        simple=(
            _l("kick", KICK, "X... ..7. x.4. ...."),
            _l("snare", SNARE, ".... X... .... X.9."),
            _l("hat", HAT, "x.2. x.2. x.2. x.2.", 0.85),
        ),
        compound=(
            _l("kick", KICK, "X..... x....."),
            _l("snare", SNARE, "...... X....."),
            _l("hat", HAT, "x.x.x. x.x.x.", 0.85),
        ),
        swing=1.0,
        ghost_rate=0.35,
        kick_options=(6, 10, 14),
        open_hat=True,
        fill="toms",
    ),
    "metal": DrumStyle(
        "metal",
        simple=(
            _l("kick", KICK, "x626 x626 x626 x626"),
            _l("snare", SNARE, ".... X... .... X..."),
            _l("ride", RIDE_BELL, "x... x... x... x...", 0.85),
            _l("hat", HAT, "..4. ..4. ..4. ..4.", 0.7),
            _l("perc", CHINA, "8... .... 8... ....", 0.8),
        ),
        compound=(
            _l("kick", KICK, "x5x5x5 x5x5x5"),
            _l("snare", SNARE, "...... X....."),
            _l("ride", RIDE_BELL, "x.x.x. x.x.x.", 0.85),
        ),
        ghost_rate=0.0,
        kick_options=(),
        fill="metal",
    ),
    # Written for 4/4 like the others; a waltz's own meter is 3/4, which takes the 4/4 pulses 1, 2
    # and 4: bass drum on one, the snare's brush-like taps on two and three (oom-pah-pah).
    "waltz": DrumStyle(
        "waltz",
        simple=(
            _l("kick", KICK, "X... .... .... ...."),
            _l("snare", SNARE, ".... x... x... x...", 0.7),
            _l("hat", HAT, "x.6. x.6. x.6. x.6.", 0.6),
        ),
        compound=None,
        ghost_rate=0.1,
        kick_options=(),
        fill="snare",
        meter="3/4",
    ),
    # Four on the floor, open hat on every off-beat, sixteenths on the closed hat.
    "disco": DrumStyle(
        "disco",
        simple=(
            _l("kick", KICK, "X... X... X... X..."),
            _l("snare", SNARE, ".... X... .... X..."),
            _l("hat", OPEN_HAT, "..x. ..x. ..x. ..x.", 0.75),
            _l("hat", HAT, "x4.4 x4.4 x4.4 x4.4", 0.6),
        ),
        compound=None,
        ghost_rate=0.1,
        kick_options=(),
        fill="toms",
    ),
    # Boom-chick: bass drum on one and three, snare on two and four, a busy train-beat snare
    # between them as density rises.
    "country": DrumStyle(
        "country",
        simple=(
            _l("kick", KICK, "X... .... x... ...."),
            _l("snare", SNARE, "..g. X.g. ..g. X.g."),
            _l("hat", HAT, "x.x. x.x. x.x. x.x.", 0.75),
        ),
        compound=None,
        swing=0.0,
        ghost_rate=0.5,
        kick_options=(6, 14),
        fill="snare",
    ),
    # Soft half-time feel: cross-stick on two and four, kick on one and the and of three.
    "ballad": DrumStyle(
        "ballad",
        simple=(
            _l("kick", KICK, "X... .... ..x. ...."),
            _l("snare", SIDE_STICK, ".... x... .... x...", 0.8),
            _l("hat", HAT, "x.5. x.5. x.5. x.5.", 0.55),
        ),
        compound=(
            _l("kick", KICK, "X..... ....x."),
            _l("snare", SIDE_STICK, "...... x.....", 0.8),
            _l("hat", HAT, "x.x.x. x.x.x.", 0.55),
        ),
        ghost_rate=0.05,
        kick_options=(8,),
        fill="toms",
    ),
    # Bass drum on the strong beats, a snare cadence with ruffs into beats two and four.
    "march": DrumStyle(
        "march",
        simple=(
            _l("kick", KICK, "X... .... X... ...."),
            _l("snare", SNARE, "x7x. X.3x x7x. X5xx"),
        ),
        compound=(
            _l("kick", KICK, "X..... X....."),
            _l("snare", SNARE, "x.xx3x X7x5xx"),
        ),
        ghost_rate=0.0,
        kick_options=(),
        fill="roll",
    ),
    # Half-time at 140: clap on three, kick syncopated around it, hi-hats in 16ths with a roll closing each two bars.
    "trap": DrumStyle(
        "trap",
        simple=(
            _l("kick", KICK, "X... ...x .... ..x. X..x .... ..x. .5.."),
            _l("snare", CLAP, ".... .... X... .... .... .... X... ....", 0.95),
            _l("snare", SNARE, ".... .... x... .... .... .... x... ...7", 0.6),
            _l("hat", HAT, "x4x4 x4x4 x4x4 x4x4 x4x4 x4x4 x4x4 xxxx", 0.7),
            _l("hat", OPEN_HAT, ".... .... .... .... .... .... .... ..6.", 0.6),
        ),
        compound=None,
        ghost_rate=0.0,
        kick_options=(3, 11, 13),
        fill="roll",
        tempo=140.0,
        feel="hip-hop",
    ),
    # Two-step at 174: kick on one and the and of three, snare on two and four with ghosts, eighths on the hat.
    "drum-and-bass": DrumStyle(
        "drum-and-bass",
        simple=(
            _l("kick", KICK, "X... .... ..X. .... X... .... ..X. ..4."),
            _l("snare", SNARE, ".... X..g .g.. X... .... X..g .g.. X.g."),
            _l("hat", HAT, "x.x. x.x. x.x. x.x.", 0.7),
            _l("ride", RIDE, "..6. ..6. ..6. ..6.", 0.5),
        ),
        compound=None,
        ghost_rate=0.4,
        kick_options=(7, 14),
        fill="snare",
        tempo=174.0,
        feel="hip-hop",
    ),
    # Half-time at 140: kick on one, snare on three, a second kick pushing the next bar.
    "dubstep": DrumStyle(
        "dubstep",
        simple=(
            _l("kick", KICK, "X... .... .... ..x. X... ..x. .... ...."),
            _l("snare", SNARE, ".... .... X... .... .... .... X... ....", 1.0),
            _l("hat", HAT, "x.x7 x.x. x.x7 x.x.", 0.65),
            _l("hat", OPEN_HAT, ".... ..5. .... ..3.", 0.55),
        ),
        compound=None,
        ghost_rate=0.1,
        kick_options=(10, 14),
        fill="roll",
        tempo=140.0,
        feel="hip-hop",
    ),
    # Dembow at 95: four on the floor under the snare's 3-3-2 (the a of one, the and of two, and again).
    "reggaeton": DrumStyle(
        "reggaeton",
        simple=(
            _l("kick", KICK, "X... X... X... X..."),
            _l("snare", SNARE, "...x ..x. ...x ..x.", 0.9),
            _l("hat", HAT, "x7x7 x7x7 x7x7 x7x7", 0.6),
            _l("perc", SHAKER, ".3.3 .3.3 .3.3 .3.3", 0.5),
        ),
        compound=None,
        ghost_rate=0.0,
        kick_options=(),
        fill="roll",
        tempo=95.0,
        feel="latin",
    ),
    # Afrobeats at 105: a tresillo kick, the rim's off-beat answers, a 16th shaker and a conga.
    "afrobeats": DrumStyle(
        "afrobeats",
        simple=(
            _l("kick", KICK, "X..x ..x. X..x ..x.", 0.9),
            _l("snare", SIDE_STICK, ".... x..x .... x...", 0.8),
            _l("perc", SHAKER, "x3x3 x3x3 x3x3 x3x3", 0.55),
            _l("perc", CONGA_OPEN, ".... ..x. ..7. .x.x", 0.65),
            _l("hat", OPEN_HAT, "..5. ..5. ..5. ..5.", 0.5),
        ),
        compound=None,
        ghost_rate=0.1,
        kick_options=(14,),
        fill="toms",
        tempo=105.0,
        feel="funk",
    ),
    # A break at 130 in the manner of the Amen: the kick's double on three, ghosted snares around the backbeat.
    "breakbeat": DrumStyle(
        "breakbeat",
        simple=(
            _l("kick", KICK, "X.X. .... ..XX ..3. X.X. .... ..x. ...."),
            _l("snare", SNARE, ".... X..g .g.. X..g .... X..g .g.. x..X"),
            _l("ride", RIDE, "x.x7 x.x7 x.x7 x.x7", 0.6),
        ),
        compound=None,
        ghost_rate=0.3,
        kick_options=(6,),
        fill="snare",
        tempo=130.0,
        feel="funk",
    ),
    # UK garage's two-step at 132, shuffled 16ths: kick on one and before three, snare on two and four.
    "uk-garage": DrumStyle(
        "uk-garage",
        simple=(
            _l("kick", KICK, "X... .... .X.. ..3. X... ...x .... ...."),
            _l("snare", SNARE, ".... X... .... X...", 0.9),
            _l("hat", HAT, ".xx7 .xx. .xx7 .xx.", 0.65),
            _l("hat", OPEN_HAT, "..x. ..x. ..x. ..x.", 0.55),
        ),
        compound=None,
        swing=0.4,
        ghost_rate=0.1,
        kick_options=(14,),
        fill="snare",
        tempo=132.0,
        feel="hip-hop",
    ),
}

DRUM_STYLES: tuple[str, ...] = tuple(_STYLES)
DRUM_STYLE_ALIASES: dict[str, str] = {
    "pop": "default",
    "hiphop": "hip-hop",
    "hip_hop": "hip-hop",
    "boom-bap": "hip-hop",
    "swing": "jazz",
    "bossa": "latin",
    "bossa-nova": "latin",
    "samba": "latin",
    "salsa": "latin",
    "edm": "electronic",
    "house": "electronic",
    "techno": "electronic",
    "dance": "electronic",
    "shuffle": "blues",
    "rock-n-roll": "rock",
    "punk": "rock",
    "hard-rock": "metal",
    "dub": "reggae",
    # Genres a producer names that the engine plays with its nearest style (they were refused, or dropped by the
    # text command for a plain groove): the answer's genre says which style played.
    "drum-n-bass": "drum-and-bass",
    "dnb": "drum-and-bass",
    "d&b": "drum-and-bass",
    "jungle": "drum-and-bass",
    "garage": "uk-garage",
    "ukg": "uk-garage",
    "2-step": "uk-garage",
    "two-step": "uk-garage",
    "drill": "trap",
    "uk-drill": "trap",
    "half-time": "dubstep",
    "halftime": "dubstep",
    "dembow": "reggaeton",
    "afropop": "afrobeats",
    "breaks": "breakbeat",
    "big-beat": "breakbeat",
    "boombap": "hip-hop",
    "rnb": "hip-hop",
    "r&b": "hip-hop",
    "neo-soul": "hip-hop",
    "trance": "electronic",
    "dancehall": "reggae",
    "synthwave": "disco",
    "grime": "hip-hop",
    "lo-fi": "hip-hop",
    "lofi": "hip-hop",
    "afrobeat": "funk",
    "afro-beat": "funk",
}
_SPELLED_AND = re.compile(r"\s*&\s*|\s*['’]n['’]\s*|\s+n\s+")
"""'drum & bass', "drum'n'bass", 'drum n bass': the spellings of 'and' a genre name carries."""
_SEPARATORS = re.compile(r"[\s_-]+")


def normalise_drum_style(style: str | None) -> str:
    """A caller's style name (or ``None``) -> a key of ``DRUM_STYLES``. Raises ValueError."""
    if style is None or not style.strip():
        return "default"
    said = style.strip().lower()
    key = _SEPARATORS.sub("-", said).strip("-")  # "Hip Hop", "hip_hop", "afro beat"
    if key not in _STYLES and key not in DRUM_STYLE_ALIASES:  # "r&b" and "d&b" are names of their own
        spelled = _SPELLED_AND.sub(lambda m: "-and-" if "&" in m.group() else "-n-", said)
        key = _SEPARATORS.sub("-", spelled).strip("-")
    key = DRUM_STYLE_ALIASES.get(key, key)
    if key not in _STYLES:
        raise ValueError(f"unknown drum style '{style}'; known: {', '.join(DRUM_STYLES)}")
    return key


def style_meter(style: str | None) -> str | None:
    """The meter a style is played in when the caller names none ("3/4" for a waltz), or None."""
    if style is None:
        return None
    try:
        return _STYLES[normalise_drum_style(style)].meter
    except ValueError:
        return None


def style_meter_note(style: str | None, meter: str, said: str) -> str | None:
    """Why a style of its own meter (a waltz: 3/4) plays in ``meter``: "waltz is a 3/4 style and " + ``said`` (what
    decided the meter: "the recording is in 4/4: played in its 4/4 bars"). A style's meter is only its default; the
    bars asked for or heard decide. None where the two agree or the style has no meter of its own."""
    own = style_meter(style)
    if own is None or own == meter:
        return None
    return f"{normalise_drum_style(style)} is a {own} style and {said}"


def style_tempo(style: str | None) -> float | None:
    """The tempo a style is played at when the caller and a primer name none (trap 140, drum-and-bass 174), or None
    (the engine's 120)."""
    try:
        return _STYLES[normalise_drum_style(style)].tempo if style is not None else None
    except ValueError:
        return None


def feel_style(style: str | None) -> str:
    """The style whose bass and melody rhythms, dynamics and timing tables ``style`` plays with: its ``feel`` where
    it borrows one (trap: hip-hop), else itself. Raises ValueError for an unknown style."""
    key = normalise_drum_style(style)
    return _STYLES[key].feel or key


def style_swing(style: str | None) -> float:
    """The swing a style carries by itself (jazz 0.67, blues shuffle 1.0, others 0)."""
    return _STYLES[normalise_drum_style(style)].swing


def sixteenth_swing(style: str | None) -> bool:
    """Whether the style swings 16ths (funk, hip-hop, reggae) rather than 8ths (see
    :func:`ai.generation.feel.swing_subdivision`, which the Magenta backend uses too)."""
    return swing_subdivision(normalise_drum_style(style)) == 4
