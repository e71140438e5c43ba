"""A chord chart with bar lines on the generation endpoints: 'Dm7 G7 | Cmaj7' plays two chords in the first bar,
the second from its middle; a list is one bar per item; a bar of three chords is a 422 naming the bar."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_accompaniment_given_harmony import _accompany, _loop

CHART = "Dm7 G7 | Cmaj7 | Am7 D7 | G"
ROOTS = [(2, 7), (0, None), (9, 2), (7, None)]  # per bar: the first chord's root, the second's (or None)


def _lowest_at(notes: list[dict[str, Any]], time: float) -> int | None:
    struck = [n["pitch"] for n in notes if abs(n["start"] - time) < 1e-3]
    return min(struck) if struck else None


@pytest.mark.parametrize(("meter", "change_beats"), [("4/4", 2), ("3/4", 2), ("6/8", 3)])
def test_the_bassline_plays_both_chords_of_a_bar(client: TestClient, meter: str, change_beats: int) -> None:
    response = client.post(
        "/api/v1/generate/bassline",
        data={"chords": CHART, "time_signature": meter, "bars": "8", "seed": "4", "key": "C"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["chords"] == ["Dm7 G7", "Cmaj7", "Am7 D7", "G"]
    beat = 60.0 / body["tempo"] * 4 / int(meter.split("/")[1])
    bar_seconds = int(meter.split("/")[0]) * beat
    for bar in range(8):
        first, second = ROOTS[bar % 4]
        start = bar * bar_seconds
        assert _lowest_at(body["notes"], start) is not None
        assert _lowest_at(body["notes"], start) % 12 == first  # type: ignore[operator]
        if second is not None:
            change = _lowest_at(body["notes"], start + change_beats * beat)
            assert change is not None and change % 12 == second, (bar, change)


def test_a_list_is_one_bar_per_item_and_json_takes_it(client: TestClient) -> None:
    response = client.post("/api/v1/generate/melody", json={"chords": ["Dm7 G7", "C"], "seed": 1, "bars": 4})
    assert response.status_code == 200, response.text
    assert response.json()["chords"] == ["Dm7 G7", "C"]
    plain = client.post("/api/v1/generate/melody", data={"chords": ["Am", "F", "C", "G"], "seed": "1"})
    assert plain.status_code == 200 and plain.json()["chords"] == ["Am", "F", "C", "G"]
    # a list of one bar is one bar too: ['Dm7 G7'] was two bars, and ['C / / /'] a 422 ('/' is not a chord)
    for one, bars in ((["Dm7 G7"], ["Dm7 G7"]), (["C / / /"], ["C"])):
        single = client.post("/api/v1/generate/bassline", json={"chords": one, "bars": 2, "seed": 1})
        assert single.status_code == 200 and single.json()["chords"] == bars, single.text
    late = client.post("/api/v1/generate/bassline", json={"chords": ["C / / G"]})
    assert late.status_code == 422 and "bar 1 ('C / / G') changes chord on beat 4 of 4" in late.json()["detail"]


def test_a_bar_of_three_chords_is_refused_with_its_number(client: TestClient) -> None:
    response = client.post("/api/v1/generate/bassline", data={"chords": "C | Dm7 G7 C | F"})
    assert response.status_code == 422
    assert "bar 2 ('Dm7 G7 C') holds 3 chords" in response.json()["detail"]


def test_the_accompaniment_plays_a_charts_bar_of_two_chords(client: TestClient) -> None:
    body = _accompany(client, _loop(), chords="Dm7 G7 | Cmaj7")
    assert body["harmony_source"] == "given"
    bars = body["analysis"]["bar_chords"]
    assert [b["chord"] for b in bars[:2]] == ["Dm7", "Cmaj7"]
    assert [c["chord"] for c in bars[0]["changes"]] == ["G7"] and bars[0]["changes"][0]["beat"] == 3
    assert "changes" not in bars[1]
    change = bars[0]["changes"][0]["start"]
    pad_after = {n["pitch"] % 12 for n in body["notes"]["pad"] if abs(n["start"] - change) < 0.02}
    assert pad_after == {7, 11, 2, 5}  # G7 held from the middle of the bar


def test_a_lead_sheets_beat_slashes_and_repeat_sign_are_read(client: TestClient) -> None:
    response = client.post("/api/v1/generate/bassline", data={"chords": "Dm7 / G7 / | C / / / | %", "seed": "2"})
    assert response.status_code == 200, response.text
    assert response.json()["chords"] == ["Dm7 G7", "C", "C"]
    late = client.post("/api/v1/generate/bassline", data={"chords": "C / / G | F"})
    assert late.status_code == 422 and "changes chord on beat 4 of 4" in late.json()["detail"]


@pytest.mark.parametrize(
    ("values", "bar"),
    [
        (
            {"chords": "Dm7 / / / / / | C"},
            "bar 1 ('Dm7 / / / / /') counts 6 beats with its slashes: a bar of 4/4 holds 4",
        ),
        ({"chords": "C / / / | G / /", "time_signature": "3/4"}, "bar 1 ('C / / /') counts 4 beats"),
        ({"chords": "C / / / | G", "style": "waltz"}, "a bar of 3/4 holds 3 beats"),  # the style's own meter
        ({"chords": ["Dm7 / G7 /", "C / / / / /"]}, "bar 2 ('C / / / / /') counts 6 beats"),
        ({"chords": "C / / / | G", "time_signature": "6/8"}, "a bar of 6/8 holds 6 eighths, or 2 dotted-quarter beats"),
        # a 9/8 bar changes after two dotted beats, 6 + 3 eighths, where the generator plays the change
        (
            {"chords": "C / / / / F / / / | G", "time_signature": "9/8"},
            "bar 1 ('C / / / / F / / /') changes chord on beat 6 of 9: a bar of 9/8 changes on beat 7 (6 + 3)",
        ),
        # a bar of one beat: its change fell on the next bar line (a 0 s bass note; Magenta's chords, a 500)
        ({"chords": "Dm7 G7 | C", "time_signature": "1/4"}, "bar 1 ('Dm7 G7') holds two chords: a bar of 1/4 is one"),
        ({"chords": ["C", "Dm7 G7"], "time_signature": "1/8"}, "bar 2 ('Dm7 G7') holds two chords"),
    ],
)
def test_a_bar_whose_slashes_count_other_beats_than_the_meter_is_refused(
    client: TestClient, values: dict[str, Any], bar: str
) -> None:
    """The slashes were not checked against the meter: the bar's chord was played for a bar, its count ignored.
    A job refuses it before it is queued, as the run does."""
    for run_async in (False, True):
        response = client.post("/api/v1/generate/bassline", json={**values, "async": run_async})
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith("chords: ") and bar in response.json()["detail"]


@pytest.mark.parametrize(
    ("chords", "meter"),
    [
        ("C / / | G / F", "3/4"),
        ("C / / F / / | G", "6/8"),
        ("C / | G /", "6/8"),
        ("C / / / / / / | G", "7/8"),
        ("C / / / F / / | G", "7/8"),
        ("C / / F / | G", "5/4"),
        ("C / / / / / F / / | G", "9/8"),  # was 422: 'changes chord on beat 7 of 9 ... (beat 6)'
        ("C / F | G", "9/8"),
        ("C / / / / / F / / / / / | G", "12/8"),
    ],
)
def test_a_bar_that_counts_the_meters_beats_plays(client: TestClient, chords: str, meter: str) -> None:
    response = client.post("/api/v1/generate/bassline", data={"chords": chords, "time_signature": meter, "bars": "2"})
    assert response.status_code == 200, response.text
