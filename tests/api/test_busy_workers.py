"""A short request is not queued behind long ones: MIDI generation has threads of its own (settings.quick_workers).

QA pass 9: with five mix renders running, every worker thread was busy and a 4-bar bass line (0.3 s alone) waited
14 s for one, past Jarvis's 10 s and DAWG-CORE's short timeouts, whose retries would pile up more."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.api.conftest import engine_client, make_settings

HELD_S = 20.0


def test_a_clip_is_generated_while_every_worker_thread_is_busy(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path, workers=1)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        release = threading.Event()
        busy = engine.pool.submit(release.wait, HELD_S)  # the one worker thread, as a long analysis holds it
        try:
            started = time.monotonic()
            answer = client.post(
                "/api/v1/generate/bassline",
                json={"key": "C", "scale": "minor", "bars": 4, "seed": 1, "model": "theory"},
            )
            waited = time.monotonic() - started
        finally:
            release.set()
            busy.result()
    assert answer.status_code == 200, answer.text
    assert answer.json()["seed"] == 1
    assert waited < HELD_S / 2, f"the clip waited {waited:.1f} s for a worker thread"


def test_the_quick_threads_are_a_setting(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path, quick_workers=3)) as client:
        pool = client.app.state.engine.quick_pool  # type: ignore[attr-defined]
        assert pool is not None and pool._max_workers == 3
