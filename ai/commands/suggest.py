"""The example commands closest to a text the parser refused, with what it understood filled in.

Each action has a small vocabulary (its words in docs/commands.md). Actions are ranked by how
many of the text's words are in their vocabulary, plus a quarter point for each understood
parameter the action takes (so "generate something in D minor" ranks the bass and melody
generators above the drums, and all three above the rest); ties keep the order of
:data:`ai.commands.actions.ACTIONS`. The example for an action is written from the understood
parameters ("make a bassline in D minor") so that it is itself a command the parser reads as
that action with those parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ai.commands.actions import ACTIONS

MAX_SUGGESTIONS = 3
_GENERATE_WORDS = frozenset(
    {"generate", "make", "create", "give", "write", "compose", "lay", "throw", "need", "something"}
)
_VOCABULARY: dict[str, frozenset[str]] = {
    "generate_drums": _GENERATE_WORDS
    | {"drum", "drums", "beat", "beats", "groove", "percussion", "pattern", "loop", "rhythm", "jazzy", "funky"},
    "generate_bass": _GENERATE_WORDS | {"bass", "bassline", "line", "riff", "walking"},
    "generate_melody": _GENERATE_WORDS | {"melody", "lead", "tune", "hook", "topline", "riff", "line"},
    "continue": frozenset({"continue", "extend", "carry", "on", "keep", "going", "finish", "longer", "more"}),
    "analyze_audio": frozenset(
        {"what", "which", "key", "tempo", "bpm", "chords", "time", "signature", "meter", "loud", "loudness"}
        | {"analyse", "analyze", "analysis", "detect", "song", "audio", "file"}
    ),
    "mixing_suggest": frozenset(
        {"mix", "mixing", "how", "suggestions", "feedback", "check", "fix", "advice", "better"}
    ),
    "auto_level": frozenset({"balance", "levels", "level", "auto", "gain", "staging", "volume", "volumes", "louder"}),
    "render_mix": frozenset({"render", "bounce", "mix", "down", "master", "mixdown", "wav", "flac"}),
    "analyze_project": frozenset({"analyse", "analyze", "project", "analysis"}),
    "play": frozenset({"play", "start", "playback", "resume", "hit", "hear"}),
    "stop": frozenset({"stop", "pause", "halt", "playback"}),
    "record": frozenset({"record", "recording", "arm"}),
    "add_track": frozenset({"add", "track", "new", "called", "named", "channel"}),
    "mute_track": frozenset({"mute", "track", "silence", "quiet"}),
    "unmute_track": frozenset({"unmute", "track"}),
    "solo_track": frozenset({"solo", "track", "isolate"}),
    "export_project": frozenset({"export", "project", "save", "mp3", "wav", "midi", "file"}),
    "create_project": frozenset({"create", "new", "project", "session", "template", "start"}),
    "help": frozenset({"help", "what", "can", "you", "do", "say", "commands"}),
}
_NOUNS = {"generate_drums": "drum beat", "generate_bass": "bassline", "generate_melody": "melody"}
_CONTINUE_NOUNS = {"drums": "beat", "bass": "bassline", "melody": "melody"}
_QUESTIONS = {
    "key": "what key is this?",
    "tempo": "what's the tempo of this?",
    "chords": "what chords are in this?",
    "meter": "what time signature is this in?",
    "loudness": "how loud is this?",
}
_DENSITY_WORDS = {0.25: "sparse", 0.8: "busy"}
_FRACTIONS = ("density", "swing", "humanize", "microtiming")
"""Parameters said as a percentage of their word ("60% swing")."""
_FALLBACK = (ACTIONS["help"].example, ACTIONS["generate_drums"].example, ACTIONS["analyze_audio"].example)


def _style_word(style: Any) -> str:
    return "pop" if style == "default" else str(style)  # "default" names no style when said


def _music_words(params: Mapping[str, Any], takes: Sequence[str]) -> tuple[list[str], str]:
    """(adjectives, tail): (['busy', 'funk'], ' in D minor over Am F C G, 8 bars at 96 bpm in 3/4, 3 variations')."""
    adjectives: list[str] = []
    if "density" in takes and params.get("density") in _DENSITY_WORDS:
        adjectives.append(_DENSITY_WORDS[params["density"]])
    if "style" in takes and "style" in params:
        adjectives.append(_style_word(params["style"]))
    tail = ""
    scale = str(params["scale"]).replace("_", " ") if "scale" in takes and "scale" in params else ""
    if "key" in takes and "key" in params:
        tail += f" in {params['key']}" + (f" {scale}" if scale else "")
    elif scale:
        tail += f" in {scale}"
    if "chords" in takes and "chords" in params:
        tail += f" over {params['chords']}"
    if "bars" in takes and "bars" in params:
        tail += f", {params['bars']} bars"
    if "tempo" in takes and "tempo" in params:
        tail += f" at {params['tempo']} bpm"
    if "time_signature" in takes and "time_signature" in params:
        tail += f" in {params['time_signature']}"
    if "variations" in takes and "variations" in params:
        tail += f", {params['variations']} variations"
    for name in _FRACTIONS:  # as a percentage, as said ("60% swing"); a density word is an adjective
        value = params.get(name)
        if name in takes and isinstance(value, int | float) and not (name == "density" and value in _DENSITY_WORDS):
            tail += f", {value * 100:g}% {name}"
    return adjectives, tail


def example_for(action: str, params: Mapping[str, Any]) -> str:
    """A command the parser reads as ``action`` with as many of ``params`` as the action takes."""
    info = ACTIONS[action]
    if action in _NOUNS:
        adjectives, tail = _music_words(params, info.params)
        words = " ".join([*adjectives, _NOUNS[action]])
        return ("make an " if words[0] in "aeiou" else "make a ") + words + tail
    if action == "continue":
        adjectives, tail = _music_words(params, info.params)  # a density word and the style: "a sparse funk style"
        noun = _CONTINUE_NOUNS.get(str(params.get("part")), "")
        style = f" in a {' '.join(adjectives)} style" if adjectives else ""
        return ("continue this " + noun).strip() + style + tail
    if action == "analyze_audio" and params.get("question") in _QUESTIONS:
        return _QUESTIONS[str(params["question"])]
    if action in ("mixing_suggest", "render_mix") and "target" in params:
        base = "check my mix" if action == "mixing_suggest" else "render a master"
        return f"{base} for {params['target']}"
    if action == "analyze_project" and "project_id" in params:
        return f"analyse project {params['project_id']}"
    return info.example


def closest_commands(words: Sequence[str], understood: Mapping[str, Any]) -> list[str]:
    """Up to MAX_SUGGESTIONS example commands closest to a text of lower-case ``words``."""
    present = set(words)
    scored: list[tuple[float, int, str]] = []
    for order, (action, info) in enumerate(ACTIONS.items()):
        overlap = len(present & _VOCABULARY.get(action, frozenset()))
        params = sum(1 for name in understood if name in info.params)
        scored.append((-(overlap + 0.25 * params), order, action))
    scored.sort()
    if scored[0][0] == 0:
        return list(_FALLBACK)  # nothing in common with any command: the most useful starting points
    return [example_for(action, understood) for _, _, action in scored[:MAX_SUGGESTIONS]]
