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
