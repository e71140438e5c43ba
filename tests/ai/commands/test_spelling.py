"""Typed commands with typos (ai.commands.spelling): a key word one keystroke off is read as the key word, and
said; a word that is English, known, a note, a number, quoted, a name or near two meanings is left as typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ai.commands import parse_command
from ai.commands.parse import key_words, speller
from ai.commands.spelling import LONG_WORD, MIN_LETTERS, NEAR_KEY_ENGLISH_FILE, edit_distance

DICTIONARY = Path("/usr/share/dict/words")


@pytest.mark.parametrize(
    ("text", "action", "params", "corrections"),
    [
        # QA pass 6: each of these was "That is not a command I know".
        ("genrate a basline", "generate_bass", {}, {"genrate": "generate", "basline": "bassline"}),
        ("gimme drumz", "generate_drums", {}, {"drumz": "drums"}),
        ("make a meldoy", "generate_melody", {}, {"meldoy": "melody"}),  # "melodie" is German for melody: read, not corrected
        ("transcibe this", "transcribe", {"instrument": "auto"}, {"transcibe": "transcribe"}),
        ("anaylze my song", "analyze_audio", {}, {"anaylze": "analyze"}),
        ("a funky bas line", "generate_bass", {"style": "funk"}, {"bas line": "bassline"}),
        # More: an insertion, a deletion, a substitution, neighbours swapped; two edits for 8+ letters.
        ("creat a beat", "generate_drums", {}, {"creat": "create"}),
        ("make some durms", "generate_drums", {}, {"durms": "drums"}),
        ("genertae drums at 90", "generate_drums", {"tempo": 90}, {"genertae": "generate"}),
        ("compoes a melody in A minor", "generate_melody", {"key": "A", "scale": "minor"}, {"compoes": "compose"}),
        ("a jazzy bassilne", "generate_bass", {"style": "jazz"}, {"bassilne": "bassline"}),
        ("check my mixx", "mixing_suggest", {}, {"mixx": "mix"}),
        ("rendr the mix", "render_mix", {}, {"rendr": "render"}),
        ("mastr it for spotify", "render_mix", {"master": True, "target": "streaming"}, {"mastr": "master"}),
        ("accompnay this", "accompany", {}, {"accompnay": "accompany"}),
        ("drums, temop 90", "generate_drums", {"tempo": 90}, {"temop": "tempo"}),
        ("hip hop drums with 60% swign", "generate_drums", {"style": "hip-hop", "swing": 0.6}, {"swign": "swing"}),
        ("a bassline in D mnior", "generate_bass", {"key": "D", "scale": "minor"}, {"mnior": "minor"}),
        ("a melody in F shapr major", "generate_melody", {"key": "F#", "scale": "major"}, {"shapr": "sharp"}),
        ("transcirbe the drums", "transcribe", {"instrument": "drums"}, {"transcirbe": "transcribe"}),
        ("a reggea beat", "generate_drums", {"style": "reggae"}, {"reggea": "reggae"}),
        ("a funkk bassline", "generate_bass", {"style": "funk"}, {"funkk": "funky"}),
        ("Genrate a Basline in Dm", "generate_bass", {"key": "D", "scale": "minor"}, {"Genrate": "generate", "Basline": "bassline"}),
        # QA pass 6: mood words and number words were left as typed (a bassline with no scale, drums at 20 BPM).
        ("a drak bassline", "generate_bass", {"scale": "minor"}, {"drak": "dark"}),
        ("a hapy melody in C", "generate_melody", {"key": "C", "scale": "major"}, {"hapy": "happy"}),
        ("drums at one hundered and twenty", "generate_drums", {"tempo": 120}, {"hundered": "hundred"}),
        ("eigth bars of drums", "generate_drums", {"bars": 8}, {"eigth": "eight"}),  # "eighth" is 8 too
        ("a bassline, tweny bars", "generate_bass", {"bars": 20}, {"tweny": "twenty"}),
        # Three letters: only two neighbours swapped.
        ("a sda melody", "generate_melody", {"scale": "minor"}, {"sda": "sad"}),
        ("drums at oen twenty", "generate_drums", {"tempo": 120}, {"oen": "one"}),
        ("a beat at 120 bmp", "generate_drums", {"tempo": 120}, {"bmp": "bpm"}),
    ],
)  # fmt: skip
def test_a_typed_key_word_one_keystroke_off_is_read_and_said(
    text: str, action: str, params: dict[str, Any], corrections: dict[str, str]
) -> None:
    parsed = parse_command(text)
    assert (parsed.action, parsed.params, parsed.corrections) == (action, params, corrections)


@pytest.mark.parametrize(
    "text",
    [
        # English words within reach of a key word: as typed.
        "bash",
        "bask in the glow",
        "a meal",
        "what a drama",
        "where is the mixer",
        "beats me",
        "base camp",
        "make a beet",
        "the bras",
        "a drummer",
        "a melodic hook",
        "some toast",
        "mike",
        "clump",
        "a dank bassline",
        "drums with sixteenth note hats",
        "the bra",  # three letters: English, as typed
        "drums, tow bars",
        "a sad melody, dad",
        # Near two meanings: "baes" is one edit from "bass" and "bars", "barss" from "bars" and "bass", "falt"
        # from "flat" and "fast".
        "baes",
        "eight barss of drums",
        "bass in B falt minor",
        "a bassline at ninty",  # "ninety" and "ninth"
        "a bassline, sixy bars",  # "six" and "sixty"
        "a sd melody",  # three letters, one missing: too short
        # Too short, numbers, notes and chords, quotes, names.
        "a bas drum",
        "drums at 12O bpm",
        "bass over Ebm Cmaj7 Fis-moll",
        'make drums called "genrate"',
        "I don't want a 'basline'",
        "add a track called Basline Jam",
        "analyse project Drumz",
    ],
)
def test_english_known_ambiguous_and_protected_words_are_left_as_typed(text: str) -> None:
    assert parse_command(text).corrections == {}


@pytest.mark.parametrize(
    ("text", "as_written"),
    [
        ("bask in the glow", None),
        ("a meal", None),
        ("base camp", "generate_bass"),  # "base" is how a speech recogniser writes "bass", read as it was
        ("beats me", "generate_drums"),
        ("add a track called Basline Jam", "add_track"),
    ],
)
def test_a_near_miss_parses_as_it_did(text: str, as_written: str | None) -> None:
    parsed = parse_command(text)
    assert parsed.action == as_written and parsed.corrections == {}


def test_a_name_keeps_its_typed_words() -> None:
    assert parse_command("add a track called Basline Jam").params == {"name": "Basline Jam"}
    assert parse_command("analyse project Drumz").params == {"project_id": "Drumz"}
    typed_lead = parse_command("analyse projcet Drumz")
    assert typed_lead.corrections == {"projcet": "project"} and typed_lead.params == {"project_id": "Drumz"}


def test_a_quoted_word_is_as_typed_where_the_same_word_unquoted_is_read() -> None:
    assert parse_command("make a basline").corrections == {"basline": "bassline"}
    assert parse_command('make a "basline"').corrections == {}


def test_the_short_word_joined_is_only_a_fragment() -> None:
    """'u make' is no typo of 'make' (the second word is a key word itself); 'bas line' is 'bassline'."""
    assert parse_command("can u make a simple hook").corrections == {}
    assert parse_command("a bas line in E").corrections == {"bas line": "bassline"}


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [
        ("basline", "bassline", 1),
        ("durms", "drums", 1),
        ("drumz", "drums", 1),
        ("genertae", "generate", 1),
        ("transcirbe", "transcribe", 1),
        ("mniro", "minor", 2),
        ("melodie", "melody", 2),
        ("abc", "abc", 0),
    ],
)
def test_edit_distance_counts_neighbours_swapped_as_one(a: str, b: str, edits: int) -> None:
    assert edit_distance(a, b, 3) == edits


def test_edit_distance_stops_past_its_limit() -> None:
    assert edit_distance("generate", "transcribe", 2) == 3


def test_the_key_words_come_from_the_vocabulary() -> None:
    keys = key_words()
    assert {"generate", "create", "make", "bassline", "bass", "melody", "drums", "drum", "beat", "chords"} <= set(keys)
    assert {"transcribe", "analyse", "analyze", "accompany", "accompaniment", "master", "mix", "render"} <= set(keys)
    assert {"tempo", "swing", "bars", "minor", "major", "sharp", "flat", "reggae", "dorian"} <= set(keys)
    assert keys["drum"] == keys["drums"] and keys["bass"] == keys["bassline"]
    # Speech recognisers' homophones and foreign scale words are read when written, never what a typo is read as.
    assert not {"base", "baseline", "dur", "moll", "mayor"} & set(keys)


def test_every_key_word_is_a_word_the_parser_knows() -> None:
    spell = speller()
    assert set(spell.keys) <= spell.known


def test_the_limits_are_the_briefs() -> None:
    assert (MIN_LETTERS, LONG_WORD) == (4, 8)
    assert speller().read_as("dru") is None  # too short
    assert speller().read_as("sda") == "sad" and speller().read_as("sadd") is None  # three letters: a swap only
    assert speller().read_as("sa") is None and speller().read_as("sd") is None
    assert speller().read_as("transcibd") == "transcribe"  # 9 letters: two edits


@pytest.mark.skipif(not DICTIONARY.exists(), reason="Debian's wamerican dictionary is not installed")
def test_the_english_list_is_the_dictionarys_words_near_the_key_words() -> None:
    """near_key_english.txt is stale when a key word was added without rerunning scripts/near_key_english.py."""
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "scripts" / "near_key_english.py"
    spec = importlib.util.spec_from_file_location("near_key_english", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert NEAR_KEY_ENGLISH_FILE.read_text(encoding="utf-8") == module.render(DICTIONARY), (
        "rerun scripts/near_key_english.py"
    )
