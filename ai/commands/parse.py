"""Text -> action and parameters (docs/commands.md): the deterministic parser behind POST /api/v1/command.

The parameters are read first (:mod:`ai.commands.slots`); the action is then decided by a fixed
list of rules, most specific first, so that a word shared by two actions goes to the one its
context names:

1. track control: mute / unmute / solo (a verb, then a track number or name); then a recording to
   turn into MIDI ("transcribe this", "turn this into midi") or to accompany ("accompany this",
   "a backing band for this", "play along with this");
2. an analysis question: "what key is this", "how loud is this master", "is this in 4/4";
3. projects and tracks: "create a new project", "add a track called ...";
4. mixing: render_mix ("render", "bounce", "mix down", "master it") before export_project
   ("export"), analyze_project ("analyse project demo"), auto_level ("balance my levels"),
   mixing_suggest ("how's my mix", "what should I fix");
5. "analyse this";
6. continue ("continue / extend / carry on / keep going with this", "finish this");
7. the transport: stop, record, play ("play me a beat" is a request for a beat, not playback);
8. a bare analysis topic ("bpm?", "the tempo of this song");
9. generation: the part named (drums, bass, melody). Refused instead: two parts joined by "and"
   (ambiguous), a change to what exists ("make the bass louder"), a part named as an existing
   track with nothing to make ("quantize the drums");
10. help.

A text that reaches none of them is refused: ``action`` None, ``params`` empty, ``understood``
what was recognised anyway, ``reason`` one plain sentence, ``suggestions`` the closest example
commands (:mod:`ai.commands.suggest`). The parser never raises and reads at most
:data:`ai.commands.tokens.MAX_PARSE_CHARS` characters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from ai.commands import languages, music_words, numbers, slots, suggest, vocabulary
from ai.commands import tokens as tokenizer
from ai.commands.actions import ACTIONS, GENERATE_PARAMS
from ai.commands.languages import read_foreign
from ai.commands.numbers import read_number
from ai.commands.slots import Scan
from ai.commands.spelling import Speller, words_in
from ai.commands.suggest import closest_commands
from ai.commands.tokens import MAX_PARSE_CHARS, PUNCT, Token, as_written, glued, join_as_written, tokenize
from ai.commands.vocabulary import (
    ADJUSTMENTS,
    BAR_UNITS,
    DENSITY_WORDS,
    DETERMINERS,
    FRACTION_PARAMS,
    GENERATE_ACTIONS,
    GENERATE_VERBS,
    GENERIC_OBJECTS,
    MOOD_SCALES,
    NAME_STOPS,
    NUDGE_VERBS,
    PART_PHRASES,
    PRONOUNS,
    QUESTION_PHRASES,
    SCALE_PHRASES,
    STYLE_PHRASES,
    TARGET_PHRASES,
    TEMPLATE_MAX,
    TEMPLATE_PHRASES,
    TEMPO_WORDS,
    VARIATION_UNITS,
    WAKE_AND_FILLER,
    Phrase,
    longest_match,
)
from ai.generation.base import SEED_MAX

logger = logging.getLogger(__name__)

_MUSIC_SLOTS = tuple(name for name in GENERATE_PARAMS if name != "send_to_core")  # what the words of a clip say
_FRACTIONS = frozenset({"density", "swing", "humanize", "microtiming"})
"""The parameters a percentage sets ("60% swing"): an action that takes one refuses a percentage that names none."""
_ANALYSE = frozenset({"analyse", "analyze", "analysis", "analysing", "analyzing", "analyser", "analyzer"})
_PROJECT_CHECK = _ANALYSE | {"inspect", "examine", "review", "scan", "check"}
_QUESTION_STARTERS = frozenset(
    {"what", "which", "tell", "detect", "identify", "figure", "estimate", "measure", "determine", "know", "check"}
)
_TOPIC_WORDS = frozenset(word for phrase in QUESTION_PHRASES for word in phrase)
_REFERENTS = frozenset({"this", "song", "recording", "sample", "clip", "file", "audio", "tune"})
_CHANGE_VERBS = frozenset({"make", "set", "change", "turn", "put", "raise", "lower", "speed", "slow", "adjust"})
_ADVICE_ASKED = frozenset({"best", "good", "should", "recommend", "suggest", "ideal", "typical", "usually", "favorite"})
_HOW_TOPICS = frozenset({"fast", "slow", "loud", "quiet", "many", "quick"})
_PART_RELATIONS = frozenset(
    {"to", "for", "over", "under", "behind", "on", "against", "like", "that", "which", "fits", "match", "matches"}
)
_TRACK_NOUNS = frozenset({"track", "channel"})
_TRACK_GAP = frozenset(
    {"a", "an", "new", "another", "empty", "blank", "audio", "midi", "instrument", "extra", "stereo", "mono", "fresh"}
)
_PART_GAP = frozenset({"drum", "drums", "bass", "vocal", "vocals", "guitar", "piano", "synth", "keys", "lead"})
_PROJECT_GAP = frozenset({"a", "an", "new", "fresh", "blank", "empty", "another", "up"}) | {
    word for phrase in TEMPLATE_PHRASES for word in phrase
}
_PROJECT_VERBS = frozenset({"create", "make", "start", "begin", "open", "new", "set", "setup"})
_RENDER_WORDS = frozenset({"render", "rendering", "bounce", "bouncing", "mixdown", "remaster", "master", "mastering"})
_RENDER_FORMATS = frozenset({"wav", "flac"})
_MASTER_NOUNS_AFTER = frozenset({"volume", "bus", "buss", "channel", "fader", "track", "level"})
_LEVEL_OBJECTS = frozenset({"levels", "level", "volumes", "faders", "gains"})
_BALANCE_OBJECTS = _LEVEL_OBJECTS | {"tracks", "mix", "stems", "everything", "it", "things", "volume"}
_LEVEL_VERBS = frozenset({"set", "fix", "adjust", "even", "sort", "match", "normalize", "normalise", "do", "handle"})
_MIX_WORDS = frozenset({"mix", "mixing", "mixes"})
_MIX_COMPANIONS = (
    frozenset(
        {
            "how",
            "feedback",
            "suggestion",
            "suggestions",
            "suggest",
            "advice",
            "tips",
            "notes",
            "check",
            "review",
            "improve",
            "fix",
            "wrong",
            "critique",
            "thoughts",
            "sound",
            "sounds",
            "sounding",
            "evaluate",
            "assess",
            "help",
            "listen",
            "rate",
            "opinion",
            "problems",
            "issues",
            "ready",
            "loud",
            "quiet",
            "muddy",
            "harsh",
            "balanced",
            "think",
            "good",
        }
    )
    | _ANALYSE
)
_ADVICE_WORDS = frozenset({"feedback", "suggestions", "advice"})
_MIX_OBJECTS = frozenset({"these", "those", "this", "it", "them", "everything", "all"})
_MIX_OWNED = frozenset(
    {"tracks", "stems", "song", "tune", "track", "session", "files", "recordings", "stuff", "project"}
)
_CONTINUE_WORDS = frozenset({"continue", "extend", "finish", "continuing", "extending"})
_CONTINUE_PHRASES: tuple[tuple[str, ...], ...] = (
    ("carry", "on"),
    ("keep", "going"),
    ("keep", "it", "going"),
    ("keep", "this", "going"),
    ("pick", "up", "where"),
    ("take", "it", "further"),
    ("take", "this", "further"),
    ("build", "on"),
    ("add", "on", "to"),
)
_PLAYBACK_WORDS = frozenset({"playing", "playback", "play"})
_TRANSCRIBE_WORDS = frozenset({"transcribe", "transcription", "transcribed"})
_TO_MIDI = (("into", "midi"), ("to", "midi"), ("as", "midi"), ("in", "midi"))
_MIDI_VERBS = frozenset({"turn", "convert", "make", "get", "give", "extract"})
"""Verbs that turn a recording into MIDI; "export ... to midi" is the project's export."""
_ACCOMPANY_WORDS = frozenset({"accompany", "accompaniment", "accompanying", "backing"})
_ALONG = (("play", "along"), ("jam", "along"), ("jam", "with"), ("play", "along", "with"))
_ACCOMPANY_PARTS = {"drums": "drums", "bass": "bass"}
_PAD_WORDS = frozenset({"pad", "pads"})
"""The accompaniment's third part, by name; "chords" too where no chord is named after it ("just chords")."""
_FOR_RECORDING = frozenset({"for", "to", "under", "over", "behind", "with"})
_NEW_TO = frozenset({"new", "used", "newer"})
"""'I'm new to this', 'not used to this': the person's experience, not a recording to add a part to."""
_RECORDING_NOUNS = _REFERENTS | {"track", "vocal", "vocals", "singing", "guitar", "piano", "demo", "idea", "one"}
_LOCATE_PHRASES: tuple[tuple[str, ...], ...] = (
    ("back", "to", "the", "start"),
    ("back", "to", "the", "beginning"),
    ("back", "to", "the", "top"),
    ("back", "to", "zero"),
    ("rewind",),
    ("go", "to", "the", "start"),
    ("go", "to", "the", "beginning"),
    ("go", "to", "bar"),
    ("jump", "to"),
    ("skip", "to"),
)
"""Moving the playhead: DAWG-CORE's API plays and stops only ("go back to the start" pressed Play)."""
_HARMONISE_WORDS = frozenset({"harmonise", "harmonize", "harmonising", "harmonizing", "harmonisation", "harmonization"})
_MELODY_ALONE_WORDS = frozenset({"melody", "humming", "hummed", "singing", "sung", "whistling", "whistled"})
"""What a recording that is a line alone is called: its accompaniment harmonises it (harmony=melody)."""
_LINE_WORDS = frozenset({"vocal", "vocals", "voice", "sing", "sang", "hum", "whistle", "solo", "sax", "saxophone"})
"""With _MELODY_ALONE_WORDS: what a recording transcribed as one line (instrument=melody) is called."""
_CHORD_WORDS = frozenset(
    {"piano", "keys", "keyboard", "chords", "chord", "organ", "guitar", "guitars", "pad", "strings"}
)
"""What a recording transcribed with its chords (instrument=pitched) is called; no instrument word: instrument=auto."""
_STOP_WORDS = frozenset({"stop", "pause", "halt", "stopping"})
_PLAY_WORDS = frozenset({"resume", "unpause", "replay"})
_START_OBJECTS = frozenset({"song", "track", "music", "playback", "playing", "it", "project", "beat", "from"})
_PLAY_GENERATE_OBJECTS = frozenset({"me", "us", "a", "an", "some", "something", "anything"})
_HELP_PHRASES: tuple[tuple[str, ...], ...] = (
    ("help",),
    ("commands",),
    ("command",),
    ("capabilities",),
    ("instructions",),
    ("what", "can", "you", "do"),
    ("what", "you", "can", "do"),
    ("what", "can", "i", "say"),
    ("what", "can", "i", "ask"),
    ("what", "can", "i", "do"),
    ("what", "do", "you", "do"),
    ("how", "does", "this", "work"),
    ("how", "do", "i", "use"),
    ("what", "are", "my", "options"),
)
_TRACK_STOPS = NAME_STOPS | {"now", "again", "real", "quick", "right", "too", "as", "then", "so", "for", "jarvis"}
_ID_STOPS = DETERMINERS | NAME_STOPS | {"called", "named", "id", "file", "folder", "status", "now", "again", "please"}


@dataclass(frozen=True)
class ParsedCommand:
    """The parse of one text (docs/commands.md).

    ``params`` holds only what the text says, in canonical form, and only parameters the action
    takes. ``understood`` holds every parameter recognised (on a refusal: what was recognised
    anyway, e.g. ``{"key": "D", "scale": "minor"}``; on success a superset of ``params`` that also
    shows what the action does not take, e.g. a key said for drums). ``reason`` and
    ``suggestions`` are set on a refusal only.
    """

    action: str | None
    params: dict[str, Any] = field(default_factory=dict)
    understood: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    suggestions: list[str] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    """Typed words read as key words before the parse, as typed -> as read ({"basline": "bassline"})."""


# --- helpers --------------------------------------------------------------------------------------
def _find(words: Sequence[str], phrase: Sequence[str], start: int = 0) -> int:
    """Index of the first occurrence of ``phrase`` in ``words`` at or after ``start``, or -1."""
    size = len(phrase)
    first = phrase[0]
    for i in range(start, len(words) - size + 1):
        if words[i] == first and tuple(words[i : i + size]) == tuple(phrase):
            return i
    return -1


def _has(words: Sequence[str], phrase: Sequence[str]) -> bool:
    return _find(words, phrase) >= 0


def _at_verb_position(words: Sequence[str], i: int) -> bool:
    """Whether words[i] starts the request: only wake words and fillers before it, or 'and then'."""
    if i > 0 and words[i - 1] in ("and", "then", "please", "now", "just", "to"):
        return True
    return all(w in WAKE_AND_FILLER or w in PUNCT for w in words[:i])


def _word_after(words: Sequence[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


# --- track control ----------------------------------------------------------------------------------
def _track_verb(words: Sequence[str]) -> tuple[str, int] | None:
    for i, word in enumerate(words):
        nxt = _word_after(words, i + 1)
        if word == "unmute" or (word == "un" and nxt == "mute"):
            return "unmute_track", i + (1 if word == "unmute" else 2)
        if word == "mute" or (word == "silence" and (nxt in DETERMINERS or nxt in _TRACK_NOUNS)):
            return "mute_track", i + 1
        if word == "solo" and _at_verb_position(words, i):
            return "solo_track", i + 1
    return None


def _track_param(tokens: Sequence[Token], words: Sequence[str], start: int) -> int | str | None:
    """'track three' -> 3, 'the third track' -> 3, 'the backing vocals' -> 'backing vocals'."""
    j = start
    while _word_after(words, j) in DETERMINERS:
        j += 1
    k = j
    if _word_after(words, k) in _TRACK_NOUNS:
        k += 1
    if _word_after(words, k) in ("number", "no"):
        k += 1
    number = read_number(words, k)
    if (
        number is not None
        and isinstance(number[0], int)  # a track is counted in whole numbers; "track 2.5" is a name said
        and (k > j or _word_after(words, number[1]) in _TRACK_NOUNS or number[1] >= len(words))
    ):
        return number[0]
    end = j
    while end < min(len(words), j + 6) and words[end] not in PUNCT and words[end] not in _TRACK_STOPS:
        end += 1
    while end > j and words[end - 1] in _TRACK_NOUNS:
        end -= 1  # "the vocal track" names the vocal
    text = join_as_written(tokens[j:end]).lower()
    if not text or text in PRONOUNS:
        return None
    return text


# --- analysis -----------------------------------------------------------------------------------------
def _has_question_starter(scan: Scan) -> bool:
    """'what key ...', 'how fast ...', 'tell me the tempo', 'is this in 4/4' (with a topic named).

    Asking for advice ("what's a good tempo for house", "the best key for a sad song") is no
    question about a recording."""
    words = scan.words
    if set(words) & _ADVICE_ASKED:
        return False
    for i, word in enumerate(words):
        nxt = _word_after(words, i + 1)
        if (word in ("what", "which") and nxt not in ("about", "if")) or word in _QUESTION_STARTERS - {
            "what",
            "which",
            "check",
        }:
            return True
        if word == "check" and (
            nxt in _TOPIC_WORDS or (nxt in DETERMINERS and _word_after(words, i + 2) in _TOPIC_WORDS)
        ):
            return True  # "check the key of this"; "check my mix" is mixing advice
        if (word == "how" and nxt in _HOW_TOPICS) or (word == "find" and nxt in ("out", "the")):
            return True
        if word in ("give", "get") and nxt == "me":  # "give me the bpm": a topic of the recording, not a part
            topic = _word_after(words, i + 3) if _word_after(words, i + 2) in ("the", "its") else ""
            if topic in _TOPIC_WORDS:
                return True
        if word == "is" and nxt in ("this", "it") and _word_after(words, i + 2) == "in":
            if "key" in scan.slots or "scale" in scan.slots:
                scan.slots.setdefault("question", "key")  # "is this in D minor"
            return True
    return False


def _is_weak_question(scan: Scan) -> bool:
    """No question word, but only a topic ('bpm?', 'key and tempo please') or a topic of audio that
    exists ('the tempo of this song'), and nothing that sets or changes it ('make this 120 bpm')."""
    words = scan.words
    if set(words) & _ADVICE_ASKED:
        return False
    content = [w for w in words if w not in WAKE_AND_FILLER and w not in PUNCT]
    if content and all(w in _TOPIC_WORDS or w in _REFERENTS or w in DETERMINERS or w == "of" for w in content):
        return True
    present = set(words)
    return bool(present & _REFERENTS) and not present & _CHANGE_VERBS and not any(w.isdigit() for w in words)


# --- projects and tracks ---------------------------------------------------------------------------------
def _is_add_track(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        if word not in ("add", "insert", "create", "make", "new"):
            continue
        k = i + 1
        gap = _TRACK_GAP | (_PART_GAP if word in ("add", "insert", "new") else frozenset())
        while k < len(words) and k <= i + 4 and words[k] in gap:
            k += 1
        if _word_after(words, k) in _TRACK_NOUNS:
            return True
    return False


def _is_create_project(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        if word not in _PROJECT_VERBS or (word == "set" and _word_after(words, i + 1) != "up"):
            continue
        for k in range(i + 1, min(len(words), i + 7)):
            if words[k] in ("project", "session"):
                return True
            if words[k] == "song" and (word == "new" or "new" in words[i + 1 : k]):
                return True  # "start a new song" (but "start the song" is playback)
            if words[k] not in _PROJECT_GAP:
                break
    return False


def _name_param(tokens: Sequence[Token], words: Sequence[str]) -> tuple[str | None, tuple[int, int]]:
    """The words after 'called' / 'named' / 'titled', as written -> (name, its token span)."""
    for i, word in enumerate(words):
        if word not in ("called", "named", "titled"):
            continue
        j = i + 1
        if _word_after(words, j) == '"':
            end = j + 1
            while end < len(words) and words[end] != '"' and end <= j + 10:
                end += 1
            name = as_written(tokens[j + 1 : end])
            return (name or None), (i, end + 1)
        end = _name_end(tokens, words, j, 8, NAME_STOPS)
        return (as_written(tokens[j:end]) or None), (i, end)
    return None, (0, 0)


def _name_end(tokens: Sequence[Token], words: Sequence[str], start: int, limit: int, stops: frozenset[str]) -> int:
    """Where a name said from ``start`` ends: at most ``limit`` words, up to a stop word or punctuation. A word
    is all that was written without a space, so that a name with path parts is read whole ("../x" was no name
    at all, and "analyse project ../x" analysed the latest project); the punctuation ending a sentence
    ("Drive," "demo.") is not part of it."""
    end = start
    for _ in range(limit):
        if end >= len(tokens):
            break
        word_end = end + 1
        while word_end < len(tokens) and glued(tokens[word_end]):
            word_end += 1
        kept = word_end
        if not (words[end:word_end] == [".", "."] and not glued(tokens[end])):  # "..": the folder above
            while kept > end and words[kept - 1] in PUNCT:
                kept -= 1
        if kept == end or (kept == end + 1 and words[end] in stops):
            break
        end = kept
        if kept < word_end:  # "Night Drive, please"
            break
    return end


def _template_param(words: Sequence[str], skip: tuple[int, int]) -> str | None:
    for i in range(len(words)):
        if skip[0] <= i < skip[1]:
            continue
        phrase = longest_match(words, i, TEMPLATE_PHRASES, TEMPLATE_MAX)
        if phrase is not None and not (skip[0] <= i + len(phrase) - 1 < skip[1]):
            return TEMPLATE_PHRASES[phrase]
    return None


def _project_id(tokens: Sequence[Token], words: Sequence[str]) -> str | None:
    """'analyse project demo' -> 'demo'; 'the project called demo' -> 'demo'; 'project id a1b2'."""
    name, _ = _name_param(tokens, words)
    if name:
        return name
    for i, word in enumerate(words):
        if word != "project":
            continue
        j = i + 1
        if _word_after(words, j) in ("id", ":", "number"):
            j += 1
        if _word_after(words, j) == '"':
            end = j + 1
            while end < len(words) and end <= j + 10 and words[end] != '"':
                end += 1
            quoted = as_written(tokens[j + 1 : end])
            return quoted or None
        # A name of several words ("project Song Three"): the runner matches it against the manifests.
        end = _name_end(tokens, words, j, _PROJECT_NAME_WORDS, _PROJECT_NAME_STOPS)
        if end > j:
            return as_written(tokens[j:end])
    return None


_PROJECT_NAME_WORDS = 6
_PROJECT_NAME_STOPS = _ID_STOPS | _ANALYSE | {"to", "at", "in", "on", "so", "as", "is", "sound", "sounds", "mix"}


# --- mixing -----------------------------------------------------------------------------------------------
def _mix_project(tokens: Sequence[Token], words: Sequence[str]) -> dict[str, Any]:
    """'balance the levels of project Night Drive' -> {"project_id": "Night Drive"} (a name or an id, as
    said); without one the engine takes the project whose stems were written last."""
    if "project" not in words:
        return {}
    project = _project_id(tokens, words)
    return {"project_id": project} if project else {}


def _is_render(words: Sequence[str]) -> bool:
    for i, word in enumerate(words):
        if word in _RENDER_WORDS and _word_after(words, i + 1) not in _MASTER_NOUNS_AFTER:
            return True
        if word == "mix" and ("down" in words[i + 1 : i + 4] or _word_after(words, i - 2) == "print"):
            return True  # "mix it down", "print the mix"
    return False


def _is_auto_level(words: Sequence[str]) -> bool:
    for phrase in (("auto", "level"), ("auto", "levels"), ("auto", "balance"), ("gain", "staging"), ("gain", "stage")):
        if _has(words, phrase):
            return True
    if "autolevel" in words or "autobalance" in words:
        return True
    for i, word in enumerate(words):
        ahead = words[i + 1 : i + 5]
        if (
            word == "level"
            and _word_after(words, i + 1) in (DETERMINERS | {"all", "everything", "tracks", "out"})
            and _word_after(words, i - 1) not in DETERMINERS
        ):
            return True  # "level the tracks", not "the level of ..."
        if (
            word == "balance"
            and _word_after(words, i - 1) not in DETERMINERS
            and any(w in _BALANCE_OBJECTS for w in ahead)
        ):
            return True
        if word in _LEVEL_VERBS and any(w in _LEVEL_OBJECTS for w in ahead):
            return True
    return False


def _asks_to_mix(words: Sequence[str]) -> bool:
    """'mix these', 'can you mix this', 'mix my stems': the engine does not mix on its own, so a musician
    handing it tracks gets what an engineer would say first, the mixing advice (docs/commands.md)."""
    for i, word in enumerate(words):
        if word not in ("mix", "mixing") or not _at_verb_position(words, i):
            continue
        nxt = _word_after(words, i + 1)
        owned = _word_after(words, i + 2) in _MIX_OWNED | _PART_GAP
        if nxt in _MIX_OBJECTS or nxt == "project" or (nxt in ("my", "the", "our") and owned):
            return True
    return False


def _is_mixing_suggest(words: Sequence[str], has_part: bool) -> bool:
    present = set(words)
    if present & _MIX_WORDS and present & _MIX_COMPANIONS:
        return True
    if _asks_to_mix(words) and not present & ADJUSTMENTS:  # "mix the vocals louder" changes what exists
        return True
    if present & {"fix", "improve"} and present & {"what", "anything"}:
        return True
    if "how" in present and present & {"sound", "sounding", "sounds"} and not has_part:
        return True  # "how does this sound"
    return bool(present & _ADVICE_WORDS) and not has_part


# --- continue and transport ---------------------------------------------------------------------------
def _is_transcribe(words: Sequence[str]) -> bool:
    """ "transcribe this", "turn this into midi", "convert the recording to midi"."""
    if set(words) & _TRANSCRIBE_WORDS:
        return True
    present = set(words)
    if present & {"export", "project"}:
        return False
    return any(_has(words, phrase) for phrase in _TO_MIDI) and bool(present & _MIDI_VERBS)


def _is_accompany(words: Sequence[str]) -> bool:
    """ "accompany this", "a backing band for this recording", "play along with this", "jam along with my
    singing"."""
    if set(words) & (_ACCOMPANY_WORDS | _HARMONISE_WORDS):
        return True
    return any(_has(words, phrase) for phrase in _ALONG) and bool(set(words) & (_REFERENTS | _MELODY_ALONE_WORDS))


def _is_continue(words: Sequence[str]) -> bool:
    present = set(words)
    for i, word in enumerate(words):
        if word in _CONTINUE_WORDS:
            if word == "finish" and present & _MIX_WORDS:
                continue
            return True
        if word == "complete" and _word_after(words, i + 1) in ("this", "it", "the", "my"):
            return True
    if any(_has(words, phrase) for phrase in _CONTINUE_PHRASES):
        return True
    refers = bool(present & {"this", "it"})
    for i, word in enumerate(words):
        if word == "keep" and "going" in words[i + 2 : i + 5]:
            return True  # "keep this melody going"
        if word == "longer" and refers:
            return True  # "make this longer"
        if word in ("more", "another", "extra") and refers and (set(words[i + 1 : i + 4]) & BAR_UNITS):
            return True  # "add four more bars to this"
    return False


def _parts_for_recording(words: Sequence[str], mentions: Sequence[_PartMention]) -> list[str]:
    """The accompaniment parts a text asks for a recording it points at: "give me a bass line for this", "add
    drums to my recording", "put a beat under this song" -> ["bass"] / ["drums"]; [] otherwise. A part for
    "this" is a part that plays with it, which only the accompaniment does (a generation refused the file)."""
    points = any(
        word in _FOR_RECORDING
        and _word_after(words, i + 1) in ("this", "my")
        and (_word_after(words, i + 2) in _RECORDING_NOUNS | {""} | PUNCT)
        and not (word == "to" and i > 0 and words[i - 1] in _NEW_TO)
        for i, word in enumerate(words)
    )
    if not points:
        return []
    return sorted({_ACCOMPANY_PARTS[m.part] for m in mentions if m.part in _ACCOMPANY_PARTS})


def _asks_to_locate(words: Sequence[str]) -> bool:
    return any(_has(words, phrase) for phrase in _LOCATE_PHRASES)


def _transport(words: Sequence[str]) -> str | None:
    for i, word in enumerate(words):
        if word in _STOP_WORDS and _word_after(words, i - 1) not in ("non", "not", "never", "dont"):
            return "stop"
    for i, word in enumerate(words):
        if word == "record" or word == "arm":
            return "record"
        if word == "recording" and {"start", "begin", "resume", "hit", "go", "starts"} & set(words[max(0, i - 2) : i]):
            return "record"  # "start recording", "start a recording"
    for i, word in enumerate(words):
        if word == "play" and _word_after(words, i + 1) not in _PLAY_GENERATE_OBJECTS:
            return "play"
        if word in _PLAY_WORDS:
            return "play"
        if word in ("start", "begin") and (
            _word_after(words, i + 1) in _START_OBJECTS
            or (_word_after(words, i + 1) in DETERMINERS and _word_after(words, i + 2) in _START_OBJECTS)
            or all(w in WAKE_AND_FILLER or w in PUNCT for w in words[i + 1 :])
        ):
            return "play"
        if word == "playback" and _word_after(words, i - 1) not in DETERMINERS:
            return "play"
        if word == "top" and _word_after(words, i - 1) == "the" and _word_after(words, i - 2) == "from":
            return "play"  # "take it from the top"
        if word == "hear" and (_word_after(words, i - 1) in ("us", "me", "to") or _word_after(words, i + 1) == "it"):
            return "play"
    return None


# --- generation -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _PartMention:
    start: int
    end: int
    part: str


def _parts(scan: Scan) -> list[_PartMention]:
    """Every part noun phrase not used by a slot ("drum and bass" is a genre), in order."""
    mentions: list[_PartMention] = []
    i = 0
    while i < len(scan):
        found = scan.part_at(i)
        if found is None or not scan.free(i, i + len(found[0])):
            i += 1
            continue
        mentions.append(_PartMention(i, i + len(found[0]), found[1]))
        i += len(found[0])
    return mentions


_PART_NEGATIONS = frozenset({"no", "not", "without", "dont", "never"})
_BETWEEN_NEGATION_AND_PART = DETERMINERS | {"want", "need", "any", "more"}


def _refused(words: Sequence[str], mention: _PartMention) -> bool:
    """'no drums', 'without the drums', "I don't want any drums": a part named as the one not wanted."""
    k = mention.start - 1
    while k >= max(0, mention.start - 4) and words[k] in _BETWEEN_NEGATION_AND_PART:
        k -= 1
    if k < 0 or words[k] not in _PART_NEGATIONS:
        return False
    return not (words[k] == "no" and _word_after(words, k - 1) in _ABSENCE_VERBS)  # "there is no bass": add one


_ABSENCE_VERBS = frozenset({"is", "s", "has", "have", "got", "theres"})
"""Before 'no', words that say a part is missing ("there is no bass in this, add one"), not refused."""


def _choose_part(words: Sequence[str], mentions: Sequence[_PartMention]) -> tuple[str | None, bool]:
    """The part asked for -> (part, ambiguous). Two parts joined by 'and' / 'plus' / 'with' are ambiguous
    ("drums and a bassline", "a beat at 95 with a bassline"); otherwise, or where the second part is
    the context of the first ("a bassline to go with this beat", "a melody that fits the bass"),
    the first named."""
    if not mentions:
        return None, False
    first = mentions[0]
    for other in mentions[1:]:
        if other.part == first.part:
            continue
        between = set(words[first.end : other.start])
        if between & {"and", "plus", "with"} and not between & _PART_RELATIONS:
            return None, True
    return first.part, False


def _is_existing(words: Sequence[str], mention: _PartMention) -> bool:
    """'quantize the drums', 'copy my bassline', 'tune my guitar': a part that exists, named as an object."""
    before = _word_after(words, mention.start - 1)
    if before in ("the", "my", "this", "that", "your", "our"):
        return True
    # "tune" first and followed by a determiner is the verb ("tune my guitar")
    return _at_verb_position(words, mention.start) and _word_after(words, mention.end) in DETERMINERS


def _is_adjustment(words: Sequence[str], mentions: Sequence[_PartMention]) -> bool:
    """'make the bass louder', 'make it better': a change to what exists, not a new part."""
    present = set(words)
    if not present & ADJUSTMENTS and not (present & NUDGE_VERBS and present & {"up", "down"}):
        return False
    if not mentions:
        return True
    return all(_word_after(words, m.start - 1) in ("the", "my", "this", "that", "it") for m in mentions)


# --- the parse ------------------------------------------------------------------------------------------------
def _refusal(scan: Scan, reason: str, understood: dict[str, Any]) -> ParsedCommand:
    return ParsedCommand(None, {}, understood, reason, closest_commands(scan.words, understood))


def _music_understood(scan: Scan) -> dict[str, Any]:
    return {name: scan.slots[name] for name in _MUSIC_SLOTS if name in scan.slots}


def _decide(scan: Scan) -> tuple[str | None, dict[str, Any], str | None]:
    """The action, the action-specific parameters, or a refusal reason."""
    tokens, words = scan.tokens, scan.words
    # A part refused ("no drums, just a bassline", "without drums, make a melody") is not the part asked for:
    # the first part named was, and those made drums.
    named = _parts(scan)
    mentions = [m for m in named if not _refused(words, m)]
    refused = {_ACCOMPANY_PARTS[m.part] for m in named if m.part in _ACCOMPANY_PARTS and _refused(words, m)}
    part, ambiguous = _choose_part(words, mentions)
    has_generation = part is not None and any(w in GENERATE_VERBS for w in words)
    # "play the bassline" is playback; "play me a bassline" (seen by _transport) or "make a beat and
    # play it" ask for a new part
    makes_part = part is not None and any(w in GENERATE_VERBS and w != "play" for w in words)

    track = _track_verb(words)
    if track is not None:
        value = _track_param(tokens, words, track[1])
        return track[0], ({"track": value} if value is not None else {}), None
    if _is_transcribe(words):
        if any(m.part == "drums" for m in mentions):
            return "transcribe", {"instrument": "drums"}, None
        line = set(words) & (_MELODY_ALONE_WORDS | _LINE_WORDS)  # a voice or a horn: one note at a time
        if line:
            return "transcribe", {"instrument": "melody"}, None
        # A piano or a guitar part keeps its chords; no instrument named: the engine hears which it is.
        return "transcribe", {"instrument": "pitched" if set(words) & _CHORD_WORDS else "auto"}, None
    for_recording = _parts_for_recording(words, mentions)
    if _is_accompany(words) or for_recording:
        # "my drum loop", "this bass line": the recording itself, not a part to add (over drums: the bass)
        asked = [m for m in mentions if not _is_existing(words, m)]
        parts = sorted({_ACCOMPANY_PARTS[m.part] for m in asked if m.part in _ACCOMPANY_PARTS} | set(for_recording))
        if not parts and any(m.part == "drums" for m in mentions if m not in asked):
            parts = ["bass"]
        if not parts and refused:  # "accompany this with no drums": the default parts but the one refused
            parts = [part for part in ("bass", "drums") if part not in refused]
        if set(words) & _PAD_WORDS or ("chords" in words and "chords" not in scan.slots):
            parts.append("pad")  # "accompany this with a pad", "play along with this, just chords"
        found: dict[str, str] = {"parts": ",".join(parts)} if parts else {}
        if set(words) & (_HARMONISE_WORDS | _MELODY_ALONE_WORDS):  # "accompany my humming", "harmonise this"
            found["harmony"] = "melody"
        return "accompany", found, None
    slots.question(scan)
    asks = "question" in scan.slots and not has_generation
    if asks and _has_question_starter(scan):
        return "analyze_audio", {"question": scan.slots["question"]}, None
    if _is_create_project(words):
        name, span = _name_param(tokens, words)
        extra: dict[str, Any] = {"name": name} if name else {}
        template = _template_param(words, span)
        if template:
            extra["template"] = template
        return "create_project", extra, None
    if _is_add_track(words):
        name, _ = _name_param(tokens, words)
        return "add_track", ({"name": name} if name else {}), None
    if _is_render(words):
        slots.master(scan)
        slots.loudness(scan)
        return "render_mix", _mix_project(tokens, words), None
    if "export" in words or "exporting" in words:
        return "export_project", {}, None
    if "project" in words and (set(words) & _PROJECT_CHECK or _has(words, ("look", "at"))):
        project_id = _project_id(tokens, words)
        return "analyze_project", ({"project_id": project_id} if project_id else {}), None
    if _is_auto_level(words):
        return "auto_level", _mix_project(tokens, words), None
    if _is_mixing_suggest(words, part is not None):
        return "mixing_suggest", _mix_project(tokens, words), None
    if set(words) & _ANALYSE:
        return "analyze_audio", {}, None
    if _is_continue(words):
        if set(words) & _PLAYBACK_WORDS and part is None:
            return "play", {}, None  # "keep playing", "continue playback"
        return "continue", ({"part": part} if part else {}), None
    if _asks_to_locate(words) and not makes_part:
        return None, {}, "I can't move the playhead: DAWG-CORE lets me play and stop only."
    transport = _transport(words)
    if transport is not None and not (transport == "play" and makes_part):
        return transport, {}, None
    if asks and not mentions and _is_weak_question(scan):
        return "analyze_audio", {"question": scan.slots["question"]}, None
    if ambiguous:
        return None, {}, "One part at a time, please: drums, bass or melody?"
    if _is_adjustment(words, mentions):
        return None, {}, "I can make new parts but cannot change what is already there."
    existing = part is not None and all(_is_existing(words, m) for m in mentions)
    if existing and not makes_part and not _music_understood(scan):
        return None, {}, "That asks for something done to a track, which I cannot do; I can make new parts."
    if part is not None:
        return GENERATE_ACTIONS[part], {}, None
    if any(_has(words, phrase) for phrase in _HELP_PHRASES):
        return "help", {}, None
    generic = any(w in GENERATE_VERBS for w in words) and any(w in GENERIC_OBJECTS for w in words)
    if set(words) & {"set", "change"} and set(words) & {"tempo", "key", "bpm", "meter"}:
        return None, {}, "I cannot change the project's tempo or key; I can make a part at a tempo or in a key."
    if generic or _music_understood(scan):
        return None, {}, "Which part: drums, bass or melody?"
    return None, {}, "That is not a command I know; say 'help' to hear what I can do."


def _unread_key_reason(word: str) -> str:
    if not word:
        return "I heard 'key of' but no key after it: name its note A to G ('in the key of D minor')."
    return (
        f"I do not know the key '{word}': name its note A to G, with sharp or flat "
        "('F sharp minor', 'Bb major'; German names such as H or Fis, and solfège such as 'ré mineur', work too)."
    )


_CONFLICT_NAMES = {"key": "keys", "tempo": "tempos", "time_signature": "meters", "bars": "lengths", "style": "styles"}


def _conflict_reason(slot: str, first: str, second: str) -> str:
    return f"I heard two {_CONFLICT_NAMES[slot]}, {first} and {second}: say which one you want."


def _unread_style_reason(said: str) -> str:
    return (
        f"I do not know the style '{said}': name a genre, as in 'in the style of bossa nova', 'funk', 'hip hop' "
        "or 'jazz'."
    )


def _unread_tempo_reason(said: str) -> str:
    return f"I heard '{said}' as the tempo, but it is not a number: say it in digits or words, as in '120 bpm'."


def _unread_chord_reason(said: str) -> str:
    return f"I do not know the chord '{said}': name each chord by its root A to G, as in 'over Am F C G'."


def _unread_bars_reason(said: str) -> str:
    return f"I heard '{said}' as the number of bars, but it is not a number: say it in digits or words, as in '8 bars'."


def _unread_seed_reason(said: str) -> str:
    return f"I heard '{said}' as the seed, but a seed is a whole number from 0 to {SEED_MAX}: say it as in 'seed 42'."


def _unread_number_reason(said: str) -> str:
    return (
        f"I heard '{said}' but not what it is: say it with its unit, as in '120 bpm' (40 to 300 without one), "
        "'8 bars' or '3 variations'."
    )


def _unread_percent_reason(said: str) -> str:
    return (
        f"I heard '{said}' but not what it sets: name it, as in '60% swing', 'density 50%', 'humanize 30%' or "
        "'microtiming 40%'."
    )


# --- typos -----------------------------------------------------------------------------------------------------
_HEARD_AS_BASS = frozenset({"base", "baseline", "baselines"})
"""How speech recognisers write "bass": read as bass when written, never what a typo is read as ("basline" is
one edit from "bassline" and from "baseline")."""


def key_words() -> dict[str, str]:
    """The words a typo may be read as (:mod:`ai.commands.spelling`) -> what each means to the parser: the
    action verbs and part nouns, the words of the slots (styles, scales, tempo, bars, sharp, flat ...), the mood
    words of a scale ("dark" is minor, as "minor" is) and the number words ("eight" and "eighth" are 8)."""
    keys: dict[str, str] = {}

    def add(words: Iterable[str], meaning: str) -> None:
        for word in words:
            if word.isalpha():  # typed words of letters only are read ("r128" is no key word)
                keys.setdefault(word, meaning)

    def single(table: dict[Phrase, Any], kind: str) -> None:
        for phrase, value in table.items():
            if len(phrase) == 1:
                add(phrase, f"{kind} {value[0] if isinstance(value, tuple) else value}")

    single({p: v for p, v in PART_PHRASES.items() if p[0] not in _HEARD_AS_BASS}, "part")
    add(GENERATE_VERBS - {"play"}, "generate")
    for meaning, words in (
        ("transcribe", _TRANSCRIBE_WORDS),
        ("analyse", _ANALYSE),
        ("accompany", _ACCOMPANY_WORDS),
        ("harmonise", _HARMONISE_WORDS),
        ("mix", _MIX_WORDS),
        ("stop", _STOP_WORDS),
        ("bars", BAR_UNITS),
        ("variations", VARIATION_UNITS),
        ("level", ("level", "levels")),
        ("chords", ("chord", "chords")),
        ("project", ("project",)),
    ):
        add(words, meaning)
    for word in (*_RENDER_WORDS, *_CONTINUE_WORDS, *_PLAY_WORDS, "play", "record", "mute", "unmute", "solo"):
        add([word], word)
    for word in ("export", "balance", "help", "tempo", "bpm", "sharp", "flat", "seed"):
        add([word], word)
    single(STYLE_PHRASES, "style")
    single({p: v for p, v in SCALE_PHRASES.items() if p[0] not in music_words.FOREIGN_SCALES}, "scale")
    single(FRACTION_PARAMS, "amount")
    single(TEMPO_WORDS, "tempo")
    single({(word,): value for word, value in DENSITY_WORDS.items()}, "density")
    single(TARGET_PHRASES, "target")
    single(QUESTION_PHRASES, "question")
    single({(word,): scale for word, scale in MOOD_SCALES.items()}, "scale")  # "a drak bassline": dark, minor
    for table in (numbers.UNITS, numbers.TENS, numbers.ORDINALS):  # "eigth bars", "one hundered and twenty"
        single({(word,): value for word, value in table.items()}, "number")
    add(["hundred"], "number 100")
    add(["thousand"], "number 1000")
    return keys


@cache
def speller() -> Speller:
    """The command's speller: :func:`key_words`, and every word of the parser's tables as known (built once)."""
    namespaces = (vars(m) for m in (vocabulary, slots, music_words, numbers, tokenizer, suggest, languages))
    return Speller(key_words(), words_in(*namespaces, globals()))


def _parse(text: str) -> ParsedCommand:
    typed = read_foreign(tokenize(text))  # "un bajo en la menor": the part words of four languages, in English
    read, corrections = speller().correct(text[:MAX_PARSE_CHARS], typed)
    parsed = _parse_tokens(read)
    return replace(parsed, corrections=corrections) if corrections else parsed


def _parse_tokens(tokens: list[Token]) -> ParsedCommand:
    scan = Scan(tokens)
    if not any(not t.is_punct and t.low not in WAKE_AND_FILLER for t in tokens):
        empty = "I heard no command." if not tokens else "I heard no command, only a greeting or filler words."
        return _refusal(scan, empty, {})
    slots.music_slots(scan)
    slots.target(scan)
    slots.file_format(scan)
    action, extra, reason = _decide(scan)
    understood = {k: v for k, v in scan.slots.items() if k != "question" or action == "analyze_audio"}
    understood.update(extra)
    if action is None:
        return _refusal(scan, reason or "That is not a command I know.", understood)
    takes = ACTIONS[action].params
    for slot, (first, second) in scan.conflicts.items():  # "in D minor and also in E major": not the first unsaid
        if slot in takes:
            return _refusal(scan, _conflict_reason(slot, first, second), understood)
    if "key" in takes and "key" in scan.unread:  # a key said but not read must not become C major unsaid
        return _refusal(scan, _unread_key_reason(scan.unread["key"]), understood)
    if "style" in takes and "style" in scan.unread:  # "in the style of J Dilla" must not be the default style unsaid
        return _refusal(scan, _unread_style_reason(scan.unread["style"]), understood)
    if "seed" in takes and "seed" in scan.unread:  # "seed minus 3" must not be made with a random seed
        return _refusal(scan, _unread_seed_reason(scan.unread["seed"]), understood)
    if "chords" in takes and "chords" in scan.unread:  # "over Am Q F" must not be played over Am alone
        return _refusal(scan, _unread_chord_reason(scan.unread["chords"]), understood)
    if "bars" in takes and "bars" in scan.unread:  # "1e3 bars" must not be made at the default length
        return _refusal(scan, _unread_bars_reason(scan.unread["bars"]), understood)
    if "tempo" in takes and "tempo" in scan.unread:  # "NaN bpm" must not be made at the default tempo
        return _refusal(scan, _unread_tempo_reason(scan.unread["tempo"]), understood)
    if _FRACTIONS & set(takes) and "percent" in scan.unread:  # "drums at 60%" is no tempo of 60, nor a default swing
        return _refusal(scan, _unread_percent_reason(scan.unread["percent"]), understood)
    if "tempo" in takes and "number" in scan.unread:  # a number said but not read must not leave a default unsaid
        return _refusal(scan, _unread_number_reason(scan.unread["number"]), understood)
    params = {name: understood[name] for name in takes if name in understood}
    if action == "render_mix" and params.get("format") not in _RENDER_FORMATS:
        params.pop("format", None)  # the render writes WAV or FLAC only
    return ParsedCommand(action, params, understood)


def parse_command(text: str) -> ParsedCommand:
    """What ``text`` asks for: an action and its parameters, or a refusal with reasons (never raises)."""
    if not isinstance(text, str):
        return ParsedCommand(None, {}, {}, "The command must be text.", [])
    try:
        return _parse(text)
    except Exception:  # the parser is total by contract; a bug must refuse and be logged, not break the caller
        logger.exception("command parser failed on %r", text[:200])
        return ParsedCommand(None, {}, {}, "I could not read that command.", [])
