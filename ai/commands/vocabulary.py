"""The words of the command language (docs/commands.md) as look-up tables of lower-case phrases.

Styles, scales and loudness targets are derived from the engine's own tables
(:data:`ai.generation.drum_styles.DRUM_STYLES` and its aliases, :data:`ai.music_theory.SCALES`
and its aliases, :data:`ai.mixing.targets.LOUDNESS_TARGETS`), so a style or scale added there is
understood here; only the spoken forms the engine does not spell ("funky", "heavy metal",
"Apple Music", "TV") are listed by hand. A phrase is a tuple of tokens as
:func:`ai.commands.tokens.tokenize` makes them (hyphens split, lower case).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ai.generation.drum_styles import DRUM_STYLE_ALIASES, DRUM_STYLES, normalise_drum_style
from ai.mixing.targets import LOUDNESS_TARGETS, TARGET_ALIASES
from ai.music_theory import SCALE_ALIASES, SCALES, normalise_scale

Phrase = tuple[str, ...]


def _phrase(name: str) -> Phrase:
    """A name as the tokenizer reads it: words, and an "&" read as "and" ("r&b": r, and, b)."""
    return tuple(part for part in re.split(r"[\s_\-]+", name.lower().replace("&", " and ")) if part)


def longest_match(words: Sequence[str], i: int, table: Mapping[Phrase, object], max_len: int) -> Phrase | None:
    """The longest phrase of ``table`` that starts at ``words[i]``, or None."""
    for length in range(min(max_len, len(words) - i), 0, -1):
        candidate = tuple(words[i : i + length])
        if candidate in table:
            return candidate
    return None


# --- styles -----------------------------------------------------------------------------------
def _style_phrases() -> dict[Phrase, str]:
    table: dict[Phrase, str] = {}
    for name in DRUM_STYLES:
        table[_phrase(name)] = name
    for alias in DRUM_STYLE_ALIASES:
        table[_phrase(alias)] = normalise_drum_style(alias)
    # Spoken forms of docs/commands.md that the engine's alias table does not spell.
    spoken = {
        "funky": "funk",
        "jazzy": "jazz",
        "swinging": "jazz",
        "swingin": "jazz",
        "bluesy": "blues",
        "heavy metal": "metal",
        "rock and roll": "rock",
        "rock n roll": "rock",
        "rocknroll": "rock",
        "hiphop": "hip-hop",
        "hip hop": "hip-hop",
        "boom bap": "hip-hop",
        "boombap": "hip-hop",
        "bossa nova": "latin",
        "latin jazz": "latin",  # a rhythm section plays Latin grooves under jazz harmony, not swing
        "electro": "electronic",
    }
    for words, alias in spoken.items():
        table[_phrase(words)] = normalise_drum_style(alias)
    table.pop(("default",), None)  # "a default beat" names no style; "pop" is the default style
    return table


STYLE_PHRASES: dict[Phrase, str] = _style_phrases()
STYLE_MAX = max(len(p) for p in STYLE_PHRASES)


# --- scales -----------------------------------------------------------------------------------
def _scale_phrases() -> dict[Phrase, str]:
    table: dict[Phrase, str] = {}
    for name in (*SCALES, *SCALE_ALIASES):
        table[_phrase(name)] = normalise_scale(name)
    table[("min",)] = "minor"
    table[("maj",)] = "major"
    table[("pent",)] = "major_pentatonic"
    table[("natural", "minor")] = "minor"
    table[("moll",)] = "minor"  # German, as in "H-moll"
    table[("dur",)] = "major"
    for major, minor in (("majeur", "mineur"), ("maggiore", "minore"), ("mayor", "menor")):  # French, Italian, Spanish
        table[(major,)] = "major"
        table[(minor,)] = "minor"
    return table


SCALE_PHRASES: dict[Phrase, str] = _scale_phrases()
SCALE_MAX = max(len(p) for p in SCALE_PHRASES)
MODE_ONLY_SCALES = frozenset(SCALES) - {"major", "minor", "blues"}
"""Scales whose name says "scale" by itself ("something dorian"); "major"/"minor"/"blues" need context."""
SCALE_TAILS = frozenset({"scale", "mode", "key", "tonality"})

# --- tempo, density -----------------------------------------------------------------------------
TEMPO_WORDS: dict[Phrase, int] = {
    ("very", "slow"): 60,
    ("slow",): 70,
    ("medium",): 100,
    ("moderate",): 100,
    ("mid", "tempo"): 100,
    ("midtempo",): 100,
    ("fast",): 140,
    ("quick",): 140,
    ("up", "tempo"): 140,
    ("uptempo",): 140,
    ("very", "fast"): 170,
}
TEMPO_WORD_MAX = 2
TEMPO_PREFIXES = frozenset({"at", "@", "tempo", "bpm", "around", "about", "roughly", "approximately"})
TEMPO_FILLERS = frozenset(
    {"a", "tempo", "of", "at", "to", "is", "around", "about", "roughly", "like", "maybe", "bpm", ":", "="}
)
BPM_UNITS = frozenset({"bpm", "bpms"})
TEMPO_RANGE = (20, 400)
BARE_TEMPO_RANGE = (40, 300)

DENSITY_WORDS: dict[str, float] = {
    "sparse": 0.25,
    "sparser": 0.25,
    "sparsely": 0.25,
    "simple": 0.25,
    "simpler": 0.25,
    "minimal": 0.25,
    "minimalist": 0.25,
    "minimalistic": 0.25,
    "busy": 0.8,
    "busier": 0.8,
    "dense": 0.8,
    "denser": 0.8,
    "complex": 0.8,
    "intricate": 0.8,
    "complicated": 0.8,
}
SPARSE, BUSY = 0.25, 0.8

# --- amounts: the generation parameters that are fractions 0 .. 1 -----------------------------------
FRACTION_PARAMS: dict[Phrase, str] = {
    ("swing",): "swing",
    ("swung",): "swing",
    ("density",): "density",
    ("humanize",): "humanize",
    ("humanise",): "humanize",
    ("humanized",): "humanize",
    ("humanised",): "humanize",
    ("humanization",): "humanize",
    ("humanisation",): "humanize",
    ("microtiming",): "microtiming",
    ("micro", "timing"): "microtiming",
}
"""The words of GenerationParams' fractions (swing, density, humanize, microtiming: 0 .. 1) that a percentage
sets ("60% swing", "density 50%"); temperature (0.1 .. 2) is no fraction and takes none."""
FRACTION_PARAM_MAX = 2
PERCENT_UNITS: frozenset[Phrase] = frozenset({("%",), ("percent",), ("per", "cent")})
AMOUNT_FILLERS = frozenset(
    {"at", "of", "to", "is", "=", ":", "by", "around", "about", "roughly", "approximately", "set", "it"}
)
"""Between a parameter word and its amount: "swing at 60%", "humanize it by 30%", "density set to 50%"."""

# --- counts: bars, variations, meters -----------------------------------------------------------
BAR_UNITS = frozenset({"bar", "bars", "measure", "measures"})
COUNT_MODIFIERS = frozenset({"more", "extra", "additional", "other", "new", "different", "further"})
VARIATION_UNITS = frozenset(
    {
        "variation",
        "variations",
        "version",
        "versions",
        "option",
        "options",
        "take",
        "takes",
        "alternative",
        "alternatives",
        "alternate",
        "alternates",
        "variant",
        "variants",
        "idea",
        "ideas",
        "choice",
        "choices",
        "ones",
    }
)
TIMES_WORDS = frozenset({"x", "times"})
"""Producers' counts: "4x drums", "drums x4", "drums 4 times" are four of the part (as "four drum patterns")."""
TIME_SIGNATURE_TAILS = frozenset({"time", "meter", "metre", "signature", "feel"})
METER_DENOMINATORS = frozenset({1, 2, 4, 8, 16, 32})
METER_WORDS: dict[Phrase, str] = {("common", "time"): "4/4", ("cut", "time"): "2/2"}

# --- parts --------------------------------------------------------------------------------------
# phrase -> (part, plural)
PART_PHRASES: dict[Phrase, tuple[str, bool]] = {
    ("drums",): ("drums", True),
    ("drum",): ("drums", False),
    ("drum", "beat"): ("drums", False),
    ("drum", "beats"): ("drums", True),
    ("drumbeat",): ("drums", False),
    ("drumbeats",): ("drums", True),
    ("drum", "pattern"): ("drums", False),
    ("drum", "patterns"): ("drums", True),
    ("drum", "loop"): ("drums", False),
    ("drum", "loops"): ("drums", True),
    ("drum", "groove"): ("drums", False),
    ("drum", "grooves"): ("drums", True),
    ("drum", "part"): ("drums", False),
    ("drum", "parts"): ("drums", True),
    ("drum", "fill"): ("drums", False),
    ("drum", "fills"): ("drums", True),
    ("drum", "track"): ("drums", False),
    ("bass", "drum"): ("drums", False),
    ("kick", "drum"): ("drums", False),
    ("beat",): ("drums", False),
    ("beats",): ("drums", True),
    ("groove",): ("drums", False),
    ("grooves",): ("drums", True),
    ("percussion",): ("drums", False),
    ("breakbeat",): ("drums", False),
    ("breakbeats",): ("drums", True),
    ("rhythm",): ("drums", False),
    ("kick",): ("drums", False),
    ("snare",): ("drums", False),
    ("hats",): ("drums", True),
    ("hi", "hats"): ("drums", True),
    ("hihats",): ("drums", True),
    ("hi", "hat"): ("drums", False),
    ("hihat",): ("drums", False),
    ("bass",): ("bass", False),
    # How speech recognisers write "bass" and "bass line" (the words sound alike).
    ("base",): ("bass", False),
    ("base", "line"): ("bass", False),
    ("base", "lines"): ("bass", True),
    ("baseline",): ("bass", False),
    ("baselines",): ("bass", True),
    ("basses",): ("bass", True),
    ("bassline",): ("bass", False),
    ("basslines",): ("bass", True),
    ("bass", "line"): ("bass", False),
    ("bass", "lines"): ("bass", True),
    ("bass", "part"): ("bass", False),
    ("bass", "parts"): ("bass", True),
    ("bass", "riff"): ("bass", False),
    ("bass", "riffs"): ("bass", True),
    ("bass", "groove"): ("bass", False),
    ("bass", "grooves"): ("bass", True),
    ("bass", "pattern"): ("bass", False),
    ("bass", "patterns"): ("bass", True),
    ("bass", "loop"): ("bass", False),
    ("bass", "track"): ("bass", False),
    ("melody",): ("melody", False),
    ("melodies",): ("melody", True),
    ("melodic", "line"): ("melody", False),
    ("something", "melodic"): ("melody", False),
    ("lead",): ("melody", False),
    ("leads",): ("melody", True),
    ("lead", "line"): ("melody", False),
    ("lead", "melody"): ("melody", False),
    ("tune",): ("melody", False),
    ("tunes",): ("melody", True),
    ("hook",): ("melody", False),
    ("hooks",): ("melody", True),
    ("topline",): ("melody", False),
    ("toplines",): ("melody", True),
    ("top", "line"): ("melody", False),
    ("riff",): ("melody", False),
    ("riffs",): ("melody", True),
    ("motif",): ("melody", False),
    ("lick",): ("melody", False),
    ("licks",): ("melody", True),
    ("solo",): ("melody", False),
    ("arp",): ("melody", False),
    ("theme",): ("melody", False),
    ("arpeggio",): ("melody", False),
    ("countermelody",): ("melody", False),
    ("counter", "melody"): ("melody", False),
    ("synth", "line"): ("melody", False),
    ("piano", "line"): ("melody", False),
    ("guitar", "line"): ("melody", False),
}
PART_MAX = max(len(p) for p in PART_PHRASES)
GENRE_NOT_PART: frozenset[Phrase] = frozenset({("drum", "and", "bass"), ("drum", "n", "bass"), ("dnb",)})
"""Genre names made of part words: "a drum and bass beat" is drums, not drums and bass."""
PART_NOUNS = {"drums": "drum beat", "bass": "bassline", "melody": "melody"}
GENERATE_ACTIONS = {"drums": "generate_drums", "bass": "generate_bass", "melody": "generate_melody"}

GENERATE_VERBS = frozenset(
    {
        "generate",
        "make",
        "create",
        "give",
        "write",
        "compose",
        "lay",
        "throw",
        "build",
        "program",
        "produce",
        "cook",
        "whip",
        "sketch",
        "drop",
        "craft",
        "need",
        "want",
        "get",
        "bring",
        "add",
        "play",
        "come",
        "gimme",
    }
)
GENERIC_OBJECTS = frozenset({"something", "anything", "loop", "pattern", "part", "idea", "music", "song", "track"})
ADJUSTMENTS = frozenset(
    {
        "louder",
        "quieter",
        "softer",
        "faster",
        "slower",
        "brighter",
        "darker",
        "punchier",
        "wider",
        "narrower",
        "bigger",
        "fatter",
        "cleaner",
        "higher",
        "lower",
        "better",
        "worse",
        "volume",
        "reverb",
        "delay",
        "eq",
        "compression",
        "transpose",
        "busier",
        "sparser",
        "denser",
        "simpler",
        "funkier",
        "jazzier",
        "heavier",
        "tighter",
        "looser",
        "groovier",
        "smoother",
        "harder",
    }
)
"""Words that ask to change what exists ("make the bass louder"): not a request for a new part."""
NUDGE_VERBS = frozenset({"turn", "bring", "push", "pull", "crank"})
"""With "up" / "down" they change what exists too ("turn the bass up")."""

# --- mixing -------------------------------------------------------------------------------------
CANONICAL_TARGETS = ("streaming", "apple", "broadcast", "club")


def _target_phrases() -> dict[Phrase, str]:
    # Every engine target name with the loudness of a canonical one means that one (spotify ->
    # streaming, ebu -> broadcast); "premaster" is no delivery target and is not a word for one.
    by_lufs = {LOUDNESS_TARGETS[name]: name for name in CANONICAL_TARGETS}
    table = {_phrase(name): by_lufs[lufs] for name, lufs in LOUDNESS_TARGETS.items() if lufs in by_lufs}
    # The platform names the target parameter takes ("apple music", "tidal"), then words said only aloud.
    table.update({_phrase(alias): by_lufs[LOUDNESS_TARGETS[name]] for alias, name in TARGET_ALIASES.items()})
    spoken = {
        "stream": "streaming",
        "streams": "streaming",
        "tv": "broadcast",
        "television": "broadcast",
        "radio": "broadcast",
        "clubs": "club",
    }
    table.update({_phrase(words): target for words, target in spoken.items()})
    # Spoken word has a target of its own, at Apple's loudness: "master it for a podcast" names "podcast".
    table.update({_phrase(alias): "podcast" for alias, name in TARGET_ALIASES.items() if name == "podcast"})
    table[_phrase("podcast")] = "podcast"
    return table


TARGET_PHRASES: dict[Phrase, str] = _target_phrases()
TARGET_MAX = max(len(p) for p in TARGET_PHRASES)
FORMAT_WORDS: dict[str, str] = {
    "wav": "wav",
    "wave": "wav",
    "flac": "flac",
    "mp3": "mp3",
    "midi": "midi",
    "mid": "midi",
}

# --- analysis questions ---------------------------------------------------------------------------
QUESTION_PHRASES: dict[Phrase, str] = {
    ("key",): "key",
    ("scale",): "key",
    ("tonality",): "key",
    ("tempo",): "tempo",
    ("bpm",): "tempo",
    ("speed",): "tempo",
    ("beats", "per", "minute"): "tempo",
    ("how", "fast"): "tempo",
    ("how", "slow"): "tempo",
    ("chords",): "chords",
    ("chord",): "chords",
    ("harmony",): "chords",
    ("time", "signature"): "meter",
    ("time", "sig"): "meter",
    ("meter",): "meter",
    ("metre",): "meter",
    ("loudness",): "loudness",
    ("loud",): "loudness",
    ("lufs",): "loudness",
}
QUESTION_MAX = 3

# --- projects -----------------------------------------------------------------------------------
TEMPLATE_PHRASES: dict[Phrase, str] = {
    ("basic", "song"): "basic song",
    ("basic",): "basic song",
    ("electronic", "music"): "electronic music",
    ("electronic",): "electronic music",
    ("podcast",): "podcast",
    ("live", "band"): "live band",
    ("band",): "live band",
}
TEMPLATE_MAX = 2

# --- words that carry no meaning for the parse ------------------------------------------------------
WAKE_AND_FILLER = frozenset(
    {
        "hey",
        "hi",
        "hello",
        "yo",
        "ok",
        "okay",
        "jarvis",
        "um",
        "uh",
        "erm",
        "er",
        "hmm",
        "so",
        "like",
        "please",
        "can",
        "could",
        "would",
        "will",
        "you",
        "just",
        "now",
        "and",
        "then",
        "alright",
        "right",
        "well",
        "let",
        "us",
        "go",
        "ahead",
        "i",
        "want",
        "to",
        "need",
    }
)
NAME_STOPS = frozenset(
    {"please", "thanks", "thank", "with", "using", "from", "based", "and", "jarvis", "template", "for"}
)
DETERMINERS = frozenset({"the", "a", "an", "my", "our", "this", "that", "these", "those", "your", "its", "some"})
PRONOUNS = frozenset({"it", "this", "that", "them", "everything", "all", "one"})


MOOD_SCALES: dict[str, str] = {
    **dict.fromkeys(
        (
            "dark", "darker", "sad", "sadder", "moody", "melancholic", "melancholy", "gloomy", "sinister",
            "haunting", "eerie", "somber", "sombre", "mournful", "spooky", "ominous", "brooding", "tragic",
        ),
        "minor",
    ),
    **dict.fromkeys(
        ("happy", "happier", "bright", "brighter", "uplifting", "cheerful", "joyful", "sunny", "optimistic"),
        "major",
    ),
}  # fmt: skip
"""Moods a producer says for a scale: "a dark bassline" is minor, "a happy melody" major (a scale said wins)."""
