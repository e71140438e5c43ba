"""Tracks that share a source, over HTTP: two microphones in opposite polarity (the phase finding, the
balance set flipped, the flip rendered) and a bounce or a duplicate among the stems (left out)."""

from __future__ import annotations

import base64
import io

import numpy as np
import soundfile as sf
from fastapi.testclient import TestClient

from tests.ai.mixing.test_shared_source import SR, drum, keys, second_mic
from tests.api.test_mixing import upload


def session() -> dict[str, np.ndarray]:
    kick, snare = drum(1, 60), drum(2, 190, every=1.0)
    return {
        "Kick In": kick,
        "Kick Out": second_mic(kick, gain=-0.8, delay_ms=0.0),
        "Snare": snare,
        "Piano": keys(),
    }


def test_a_pair_in_opposite_polarity_is_found_balanced_flipped_and_rendered_flipped(client: TestClient) -> None:
    tracks = session()
    suggest = client.post("/api/v1/mixing/suggest", files=upload(tracks))
    assert suggest.status_code == 200, suggest.text
    phase = [s for s in suggest.json()["suggestions"] if s["type"] == "phase"]
    assert len(phase) == 1 and phase[0]["priority"] == "high" and phase[0]["track"] == "Kick Out"
    assert "Kick In" in phase[0]["message"] and phase[0]["action"]["kind"] == "polarity"
    # No masking finding between two microphones on one source.
    assert not [
        s
        for s in suggest.json()["suggestions"]
        if s["type"] == "masking" and set(s["tracks"]) == {"Kick In", "Kick Out"}
    ]

    auto = client.post("/api/v1/mixing/auto_level", files=upload(tracks)).json()
    levels = auto["levels"]
    assert levels["Kick Out"]["invert_polarity"] is True
    # Summed inverted, the two kick mics cancel and the group was raised 14 dB over the snare.
    assert abs(levels["Kick In"]["balance_db"] - levels["Kick Out"]["balance_db"]) < 6.0
    assert levels["Kick In"]["balance_db"] < 12.0
    # suggest() judges the mix bus on the same balance, summed flipped: not a cancelled kick.
    mix = suggest.json()["mix"]
    for name in ("Kick In", "Kick Out"):
        assert abs(mix["balanced_gains_db"][name] - levels[name]["balance_db"]) < 0.1
    assert abs(mix["balanced_lufs"] - auto["mix"]["loudness_lufs"]) < 0.5

    rendered = client.post("/api/v1/mixing/render", files=upload(tracks), data={"format": "json"})
    assert rendered.status_code == 200, rendered.text
    body = rendered.json()
    moves = {entry["track"]: [m["kind"] for m in entry["moves"]] for entry in body["applied"]}
    assert "polarity" in moves["Kick Out"] and "polarity" not in moves["Kick In"]
    mix, sr = sf.read(io.BytesIO(base64.b64decode(body["audio_base64"])), always_2d=True)
    kick = tracks["Kick In"][0]
    n = min(len(mix), len(kick))
    # The kick is in the render, not cancelled: its projection on the mix is far above nothing.
    share = float(mix[:n, 0] @ kick[:n]) / float(kick[:n] @ kick[:n])
    assert sr == SR and share > 0.5
    assert not [s for s in body["report_after"]["suggestions"] if s["type"] == "phase"]


def test_a_bounce_and_a_duplicate_are_left_out_and_said_so(client: TestClient) -> None:
    tracks = session()
    del tracks["Kick Out"]
    tracks["Stereo Out"] = (tracks["Kick In"] + 0.7 * tracks["Snare"] + tracks["Piano"]).astype(np.float32)
    tracks["Piano copy"] = tracks["Piano"].copy()
    suggest = client.post("/api/v1/mixing/suggest", files=upload(tracks)).json()
    found = {s["track"]: s for s in suggest["suggestions"] if s["type"] in ("duplicate", "bounce")}
    assert found["Stereo Out"]["type"] == "bounce" and found["Stereo Out"]["priority"] == "high"
    assert found["Piano copy"]["type"] == "duplicate" and "the same audio as Piano" in found["Piano copy"]["message"]
    # Their finding and no other.
    others = [s for s in suggest["suggestions"] if s["track"] in ("Stereo Out", "Piano copy")]
    assert {s["type"] for s in others} == {"bounce", "duplicate"}
    assert set(suggest["left_out"]) == {"Stereo Out", "Piano copy"}
    # Nor are they in the balanced sum the mix bus is judged on.
    assert set(suggest["mix"]["balanced_gains_db"]) == {"Kick In", "Snare", "Piano"}

    levels = client.post("/api/v1/mixing/auto_level", files=upload(tracks)).json()
    assert set(levels["levels"]) == {"Kick In", "Snare", "Piano"} and set(levels["left_out"]) == {
        "Stereo Out",
        "Piano copy",
    }

    body = client.post("/api/v1/mixing/render", files=upload(tracks), data={"format": "json"}).json()
    assert {entry["track"] for entry in body["left_out"]} == {"Stereo Out", "Piano copy"}
    assert {entry["track"] for entry in body["applied"]} <= {"Kick In", "Snare", "Piano", "Mix bus"}
    wav = client.post("/api/v1/mixing/render", files=upload(tracks))
    assert wav.status_code == 200 and wav.headers["X-Tracks-Left-Out"] == "2"


def test_two_microphones_a_few_ms_apart_are_a_comb_delayed_in_the_render(client: TestClient) -> None:
    kick, snare = drum(1, 60), drum(2, 190, every=1.0)
    tracks = {
        "Kick In": kick,
        "Kick Out": second_mic(kick, gain=0.7, delay_ms=4.0),
        "Snare": snare,
        "Piano": keys(),
    }
    suggest = client.post("/api/v1/mixing/suggest", files=upload(tracks))
    assert suggest.status_code == 200, suggest.text
    (comb,) = [s for s in suggest.json()["suggestions"] if s["type"] == "phase"]
    evidence = comb["evidence"]
    assert comb["track"] == "Kick In" and comb["tracks"] == ["Kick In", "Kick Out"]
    assert evidence["problem"] == "comb_filter" and evidence["levels"] == "balanced"
    assert abs(evidence["lag_ms"] - 4.05) < 0.05 and evidence["lag_samples"] == round(evidence["lag_ms"] * SR / 1000)
    assert abs(evidence["first_notch_hz"] - 123.5) < 2.0
    # Balanced, the two kick microphones sit near one level: the comb's notch near 125 Hz is deep in the kick.
    assert comb["priority"] in ("medium", "high") and evidence["notch_db"] < -10.0
    assert comb["suggestion"].startswith("Delay Kick In by 4.0")
    assert comb["action"]["kind"] == "polarity" and comb["action"]["invert"] is False
    assert not [
        s
        for s in suggest.json()["suggestions"]
        if s["type"] == "masking" and set(s["tracks"]) == {"Kick In", "Kick Out"}
    ]

    rendered = client.post("/api/v1/mixing/render", files=upload(tracks), data={"format": "json"})
    assert rendered.status_code == 200, rendered.text
    body = rendered.json()
    moves = {entry["track"]: entry["moves"] for entry in body["applied"]}
    (delay,) = [m for m in moves["Kick In"] if m["kind"] == "polarity"]
    assert delay["invert"] is False and abs(delay["shift_ms"] - evidence["lag_samples"] * 1000 / SR) < 1e-3
    assert not [m for m in moves["Kick Out"] if m["kind"] == "polarity"]
    assert not [s for s in body["report_after"]["suggestions"] if s["type"] == "phase"]
    gone = body["measured_after"]["gone"]
    assert {"type": "phase", "track": "Kick In"}.items() <= next(g for g in gone if g["type"] == "phase").items()
