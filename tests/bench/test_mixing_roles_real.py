"""bench/mixing_roles_real.py's scoring of the roles the service gives real and rendered stems."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.mixing_roles_real import rendered_stems, report, score


def test_voice_and_instrument_stems_are_counted_apart() -> None:
    figures = score(
        [
            ("vocals", True, "vocals"),
            ("speech", True, "vocals"),  # heard as a voice, not as its own role
            ("speech", True, "keys"),
            ("vocals", True, "other"),
            ("lead", False, "lead"),
            ("lead", False, "speech"),  # false voice
            ("pad", False, "keys"),
            ("bass", False, "other"),
            ("drums", False, "drums"),
        ]
    )
    assert (figures.voice, figures.instrument) == (4, 5)
    assert figures.voice_as_voice == Counter(vocals=2)
    assert figures.voice_as_truth == 1
    assert figures.voice_as_instrument == Counter(keys=1)
    assert figures.voice_other == 1
    assert figures.false_voice == Counter(speech=1)
    assert figures.instrument_right == 2
    assert figures.instrument_as_instrument == Counter(keys=1)
    assert figures.instrument_other == 1
    lines = report(figures)
    assert "answered vocals or speech: 2/4 (50 %) [vocals 2]; their own role: 1/4 (25 %)" in lines[1]
    assert lines[5] == "  answered vocals or speech (false voice): 1/5 (20 %) [speech 1]"
    assert lines[-1] == "other answers, all stems: 2/9 (22 %)"


def test_a_voice_answer_on_an_instrument_whose_truth_is_voice_free_is_never_right() -> None:
    # An instrument stem whose truth is, say, "music" answered "vocals" is false voice, not a right answer.
    figures = score([("music", False, "vocals")])
    assert figures.false_voice == Counter(vocals=1) and figures.instrument_right == 0


def test_rendered_stems_take_their_truth_from_the_name(tmp_path: Path) -> None:
    for song, stem in (("song00", "Sax 1"), ("song00", "Hi-hats"), ("song01", "Strings"), ("song01", "Other")):
        (tmp_path / song).mkdir(exist_ok=True)
        (tmp_path / song / f"{stem}.wav").write_bytes(b"")
    (tmp_path / "songs.json").write_text("[]")
    found = [(path.relative_to(tmp_path).as_posix(), role) for path, role in rendered_stems(tmp_path)]
    assert found == [
        ("song00/Hi-hats.wav", "hihat"),
        ("song00/Sax 1.wav", "lead"),
        ("song01/Other.wav", "other"),
        ("song01/Strings.wav", "pad"),
    ]
