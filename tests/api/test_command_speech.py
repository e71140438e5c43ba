"""The command's sentence for a voice assistant, from the result's own figures (api/command_speech.py)."""

from __future__ import annotations

import pytest

from api.command_speech import speak


@pytest.mark.parametrize("instrument", ["piano", "drums"])
def test_a_transcription_without_a_tempo_is_a_sentence(instrument: str) -> None:
    # "I wrote down 3 notes, on its beat grid at about no steady tempo." for a recording with no pulse.
    said = speak("transcribe", {}, {"instrument": instrument, "notes": [{}, {}, {}], "tempo": None})
    what = "drum hits" if instrument == "drums" else "notes"
    assert said == f"I wrote down 3 {what}; I can't hear a steady pulse in it, so they're not on a beat grid."


def test_a_transcription_with_a_tempo_says_it() -> None:
    said = speak("transcribe", {}, {"instrument": "piano", "notes": [{}], "tempo": 96.4})
    assert said == "I wrote down 1 note, on its beat grid at about 96 BPM."


def test_no_template_says_no_steady_tempo_after_at() -> None:
    """Every sentence that names a tempo reads as one without it."""
    results = {
        "generate_drums": {"style": "drums", "bars": 2, "time_signature": "4/4", "tempo": None},
        "accompany": {"parts": ["drums"], "bars": 4, "time_signature": "4/4", "key": "C major", "tempo": None},
        "analyze_audio": {"key": "A minor", "tempo": None, "time_signature": "4/4"},
        "transcribe": {"notes": [], "tempo": None},
    }
    for action, body in results.items():
        said = speak(action, {}, body)
        assert "at no" not in said and "about no" not in said and "None" not in said, (action, said)
    assert speak("analyze_audio", {}, results["analyze_audio"]) == "It's in A minor, with no steady tempo, in 4/4."
    assert speak("generate_drums", {}, results["generate_drums"]) == "Here is a drum groove, 2 bars of 4/4."
    assert speak("analyze_audio", {"question": "tempo"}, {"tempo": None}) == "I can't hear a steady pulse in it."


def test_the_article_is_the_one_said() -> None:
    # "Here is a electronic drum groove" for house, "a electronic bass line".
    drums = {"style": "drums", "genre": "electronic", "bars": 4, "time_signature": "4/4", "tempo": 124}
    assert speak("generate_drums", {}, drums) == "Here is an electronic drum groove, 4 bars of 4/4 at 124 BPM."
    bass = {"style": "bass", "genre": "funk", "key": "E", "scale": "minor", "bars": 2, "time_signature": "4/4"}
    assert speak("generate_bass", {}, {**bass, "tempo": 96}).startswith("Here is a funk bass line in E minor")


def test_a_styles_hyphens_are_not_said() -> None:
    # "Here is a drum-and-bass drum groove": a voice reads the hyphens out.
    drums = {"style": "drums", "genre": "drum-and-bass", "bars": 4, "time_signature": "4/4", "tempo": 174}
    assert speak("generate_drums", {}, drums) == "Here is a drum and bass drum groove, 4 bars of 4/4 at 174 BPM."


@pytest.mark.parametrize(
    ("parts", "style", "said"),
    [
        (["bass"], None, "Here is a bass line for your recording"),  # was "Here are bass for your recording"
        (["drums"], "funk", "Here are drums in a funk style for your recording"),
        (["drums", "bass", "pad"], None, "Here are drums, a bass line and a pad for your recording"),
        (["pad"], None, "Here is a pad for your recording"),
    ],
)
def test_the_accompaniment_names_its_parts_and_the_style_asked_for(
    parts: list[str], style: str | None, said: str
) -> None:
    body = {"parts": parts, "bars": 8, "time_signature": "4/4", "key": "D minor", "tempo": 99.1}
    params = {"style": style} if style else {}
    assert speak("accompany", params, body).startswith(said + ": 8 bars of 4/4 in D minor")


def test_a_question_of_two_topics_answers_both() -> None:
    # "what's the key and tempo" answered "It's in D minor." alone.
    body = {"key": "D minor", "tempo": 153.4, "time_signature": "4/4"}
    assert speak("analyze_audio", {"question": "key+tempo"}, body) == "It's in D minor. About 153 BPM."
    assert speak("analyze_audio", {"question": "tempo+meter"}, body) == "About 153 BPM. It's in 4/4."


def test_a_continuation_says_the_bars_come_after_the_primer() -> None:
    # "4 bars of 3/4" for a 6-bar clip: the 2 bars of the primer came first.
    body = {"style": "drums", "bars": 4, "primer_bars": 2, "time_signature": "3/4", "tempo": 97}
    assert speak("continue", {}, body) == "Here is a drum groove, 4 bars of 3/4 after your 2 at 97 BPM."


@pytest.mark.parametrize(
    ("delivered", "tail"),
    [(True, " I sent it to DAWG-CORE."), (False, " I couldn't send it to DAWG-CORE."), (None, "")],
)
def test_the_speech_says_whether_the_clip_reached_dawg_core(delivered: bool | None, tail: str) -> None:
    body = {"style": "bass", "key": "C", "scale": "major", "bars": 4, "time_signature": "4/4", "tempo": 120}
    said = speak("generate_bass", {}, {**body, "delivered": delivered})
    assert said == "Here is a bass line in C major, 4 bars of 4/4 at 120 BPM." + tail


def _chords(*labels: str) -> dict[str, object]:
    return {"chords": [{"label": label} for label in labels]}


@pytest.mark.parametrize(
    ("labels", "said"),
    [
        ("C G Am F " * 6, "The chords go C, G, Am, F, round and round."),
        ("C G Am F " * 5 + "Dm G", "The chords go C, G, Am, F, round and round."),  # a bridge's two changes
        ("Am F C G Am F C E", "The chords go Am, F, C, G, Am, F, C, E."),  # heard once: no loop, every change
        ("C D E F G A B C D E", "The chords go C, D, E, F, G, A, B, C, then 2 more."),
        ("N N", "I can't hear chords in it."),
    ],
)
def test_what_chords_says_the_songs_loop_or_how_many_more(labels: str, said: str) -> None:
    """A 3-minute song has about 90 changes: the first eight were read out and the rest dropped unsaid."""
    assert speak("analyze_audio", {"question": "chords"}, _chords(*labels.split())) == said


def test_a_transcription_with_no_notes_says_so_and_what_to_try() -> None:
    """ "turn this into midi" on a drum loop said "I wrote down 0 notes" without a word of the drums."""
    nothing = speak("transcribe", {}, {"instrument": "piano", "notes": [], "tempo": 120.0})
    assert nothing == (
        "I didn't hear any notes in it, so there's nothing to write down. "
        'If it\'s a drum loop, say "transcribe the drums" for its hits.'
    )
    no_hits = speak("transcribe", {}, {"instrument": "drums", "notes": [], "tempo": None})
    assert no_hits == "I didn't hear any drum hits in it, so there's nothing to write down."


@pytest.mark.parametrize("instrument", ["pitched", "drums"])
def test_a_transcription_of_noise_says_it_is_noise(instrument: str) -> None:
    """ "turn this into midi" on a hiss suggested transcribing the drums in it (QA pass 7)."""
    note = "the recording has no periodic pulse and no pitched notes (noise, random clicks or speech): ..."
    said = speak("transcribe", {}, {"instrument": instrument, "notes": [], "tempo": None, "notes_note": note})
    assert said == "There's no pulse or pitched note in it, like noise or speech, so there's nothing to write down."


def test_a_pitched_transcription_of_drums_alone_suggests_the_drums() -> None:
    from ai.analysis import drums_only

    key_note = f"the recording has no key ({drums_only.NOTE}): the file has no key signature"
    said = speak("transcribe", {}, {"instrument": "piano", "notes": [{}], "tempo": 96.0, "key_note": key_note})
    assert said == (
        'I wrote down 1 note, on its beat grid at about 96 BPM. It sounds like only drums, though: say "transcribe '
        'the drums" for its hits.'
    )
    none = speak("transcribe", {}, {"instrument": "piano", "notes": [], "tempo": 96.0, "key_note": key_note})
    assert (
        none
        == 'It sounds like only drums, so there are no notes to write down: say "transcribe the drums" for its hits.'
    )
    plain = speak("transcribe", {}, {"instrument": "piano", "notes": [{}], "tempo": 96.0, "key_note": None})
    assert plain == "I wrote down 1 note, on its beat grid at about 96 BPM."


@pytest.mark.parametrize(
    ("cause", "starts"),
    [("silent", "Your recording is silent"), ("short", "Your recording is too short"), ("no_pulse", "I can't hear")],
)
def test_no_beat_is_said_in_plain_words(cause: str, starts: str) -> None:
    from ai.generation.accompaniment import NoBeatFound
    from api.command_speech import spoken_error

    said = spoken_error(
        NoBeatFound("the recording has no beat to follow (integrated loudness is undefined)", cause=cause)
    )  # type: ignore[arg-type]
    assert said.startswith(starts) and "loudness" not in said


@pytest.mark.parametrize(
    ("instrument", "heard"),
    [("drums", "drums alone"), ("melody", "one note at a time"), ("pitched", "notes together")],
)
def test_an_automatic_transcription_says_what_it_heard(instrument: str, heard: str) -> None:
    body = {"instrument": instrument, "instrument_note": "auto: ...", "notes": [{}, {}], "tempo": 96.0}
    said = speak("transcribe", {}, body)
    assert said.startswith(f"It sounded like {heard}, so I wrote down 2 ")
    assert ("as one line" in said) == (instrument == "melody")
    assert "sounded" not in speak("transcribe", {}, {**body, "instrument_note": None})


def test_drum_hits_chosen_for_no_pitched_note_are_not_called_drums_alone() -> None:
    note = "auto: no pitched note was heard, and 12 drum hits were: drum hits"
    said = speak("transcribe", {}, {"instrument": "drums", "instrument_note": note, "notes": [{}, {}], "tempo": 96.0})
    assert said.startswith("It sounded like drum hits and no pitched notes, so I wrote down 2 drum hits")


def test_what_typos_were_read_as_is_said_first() -> None:
    from api.command_speech import read_as_said, spoken_error
    from utils.errors import InvalidParameter

    assert read_as_said({}) == ""
    assert read_as_said({"drumz": "drums"}) == "I read 'drumz' as 'drums'. "
    assert read_as_said({"a": "b", "c": "d", "e": "f"}) == "I read 'a' as 'b', 'c' as 'd' and 'e' as 'f'. "
    error = InvalidParameter("tempo", "must be at most 400")
    plain = spoken_error(error)
    error.extra = {**error.extra, "corrections": {"temop": "tempo"}}  # an action's error after a typo was read
    assert spoken_error(error) == "I read 'temop' as 'tempo'. " + plain


@pytest.mark.parametrize("question", [None, "key", "tempo", "meter", "chords", "key+tempo"])
def test_silence_is_said_to_be_silent(question: str | None) -> None:
    """ "analyze this" on 30 s of digital silence said "It's without a clear key, with no steady tempo." (QA pass 7)."""
    silence = {"key": None, "tempo": None, "time_signature": None, "chords": [], "peak_dbfs": None, "notes": []}
    said = "It's silent: there's no key, tempo or chords to hear."
    assert speak("analyze_audio", {"question": question}, silence) == said
    dc = {**silence, "peak_dbfs": -6.02, "notes": ["no loudness: the audio is DC only (a constant offset ...)"]}
    assert speak("analyze_audio", {"question": question}, dc) == said
    noise = {
        **silence,
        "peak_dbfs": -12.0,
        "notes": ["no periodic pulse and no pitched notes (noise, random clicks or speech)"],
    }
    assert speak("analyze_audio", {"question": question}, noise) != said
