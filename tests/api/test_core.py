"""POST /api/v1/core/transport/{play,stop}: forwarded to a real DAWG-CORE stand-in, honest when it is not there."""

from __future__ import annotations

import time
from pathlib import Path

from tests.api.conftest import engine_client, make_settings
from tests.support.core_standin import run_core_standin


def test_play_then_stop_reach_the_core_and_change_its_state(tmp_path: Path) -> None:
    with run_core_standin(mode="normal") as core, engine_client(make_settings(tmp_path, core_url=core.url)) as client:
        played = client.post("/api/v1/core/transport/play")
        playing = client.get("/api/v1/core/status").json()["project"]["isPlaying"]
        stopped = client.post("/api/v1/core/transport/stop")
        after = client.get("/api/v1/core/status").json()["project"]["isPlaying"]
    assert played.status_code == 200 and played.json()["status"] == "playing"
    assert played.json()["core"] == {"status": "playing"} and played.json()["action"] == "play"
    assert playing is True
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert after is False
    assert [r.path for r in core.received if r.method == "POST"] == ["/api/v1/transport/play", "/api/v1/transport/stop"]


def test_play_is_503_within_3_s_when_the_core_is_down(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        started = time.monotonic()
        response = client.post("/api/v1/core/transport/play")
        elapsed = time.monotonic() - started
    assert response.status_code == 503 and elapsed < 3.0
    assert response.json()["error"] == "core_unreachable"
    assert "is DAWG-CORE running?" in response.json()["detail"]


def test_a_core_error_body_is_a_502_not_a_play(tmp_path: Path) -> None:
    with (
        run_core_standin(mode="error", error_message="Audio device busy") as core,
        engine_client(make_settings(tmp_path, core_url=core.url)) as client,
    ):
        response = client.post("/api/v1/core/transport/stop")
    assert response.status_code == 502
    assert "Audio device busy" in response.json()["detail"]


def test_unknown_transport_action_is_422(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        response = client.post("/api/v1/core/transport/record")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_parameter"
