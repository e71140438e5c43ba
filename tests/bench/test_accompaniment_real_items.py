"""bench/accompaniment.py's reading of a real dataset's annotation: each bar's chord root from the annotated chords."""

from __future__ import annotations

from bench.accompaniment import real_item

CHORDS = [
    {"start": 0.0, "end": 1.0, "label": "N"},
    {"start": 1.0, "end": 2.98, "label": "C#:min/5"},
    {"start": 2.98, "end": 5.0, "label": "A:7"},
]


def test_each_bar_takes_the_chord_sounding_just_after_its_downbeat() -> None:
    truth = {"file": "x.flac", "beats_s": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0], "downbeats_s": [0.5, 1.0, 3.0, 6.0]}
    item = real_item({**truth, "chords": CHORDS})
    assert item is not None
    # N is not scored and counted; C#:min/5's root is C# (not its bass G#); a change 20 ms before the downbeat
    # belongs to that bar; a downbeat past the last chord has no chord (not an N bar)
    assert item.roots == [None, 1, 9, None]
    assert item.no_chord == 1
    assert len(item.beats) == 6


def test_an_item_with_neither_beats_nor_downbeats_is_skipped() -> None:
    assert real_item({"file": "x.flac", "chords": CHORDS}) is None


def test_downbeats_alone_score_roots() -> None:
    item = real_item({"file": "x.flac", "downbeats_s": [1.0], "chords": CHORDS})
    assert item is not None and item.roots == [1] and len(item.beats) == 0
