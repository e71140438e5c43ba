"""The status file: atomic rewrites under a concurrent reader, failures that do not stop it, content."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from integration.status_file import StatusFileWriter, build_status, build_stopped_status, write_atomically

pytestmark = pytest.mark.anyio

REFERENCE_KEYS = {
    "instance",
    "last_update",
    "phase",
    "current_task",
    "completed_tasks",
    "api_endpoints_ready",
    "ai_models",
    "dawg_core_connected",
    "next_steps",
}


def constant(document: dict[str, Any]):  # type: ignore[no-untyped-def]
    async def snapshot() -> dict[str, Any]:
        return document

    return snapshot


async def test_write_once_creates_folders_and_writes_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "Development" / "status" / "DAWG-AI_status.json"
    writer = StatusFileWriter(path, 300, constant({"instance": "DAWG-AI", "n": 1}))
    assert await writer.write_once() is True
    assert json.loads(path.read_text()) == {"instance": "DAWG-AI", "n": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    assert writer.writes == 1 and writer.failures == 0


async def test_a_concurrent_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    versions = 150
    counter = {"n": 0}

    async def snapshot() -> dict[str, Any]:
        counter["n"] += 1
        n = counter["n"]
        # Sizes swing between ~100 bytes and ~200 kB so that a non-atomic rewrite is caught mid-way.
        return {"version": n, "payload": ["x" * 40] * (5000 if n % 2 else 2)}

    writer = StatusFileWriter(path, 300, snapshot)
    assert await writer.write_once()
    stop = threading.Event()
    seen: set[int] = set()
    errors: list[str] = []
    reads = {"n": 0}

    def reader() -> None:
        while not stop.is_set():
            try:
                text = path.read_text()
            except FileNotFoundError:
                errors.append("file missing during a rewrite")
                continue
            reads["n"] += 1
            try:
                document = json.loads(text)
            except json.JSONDecodeError:
                errors.append(f"partial JSON of {len(text)} characters")
                continue
            expected = 5000 if document["version"] % 2 else 2
            if len(document["payload"]) != expected:
                errors.append("mixed content")
            seen.add(document["version"])

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(versions - 1):
            assert await writer.write_once()
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert reads["n"] > 0 and len(seen) > 1  # the reader really ran while the file changed
    assert json.loads(path.read_text())["version"] == versions


@pytest.mark.parametrize("obstacle", ["parent_is_a_file", "path_is_a_directory"])
async def test_a_failed_write_is_logged_and_returns_false(
    tmp_path: Path, obstacle: str, caplog: pytest.LogCaptureFixture
) -> None:
    if obstacle == "parent_is_a_file":
        (tmp_path / "blocker").write_text("a file where a folder should be")
        path = tmp_path / "blocker" / "status.json"
    else:
        path = tmp_path / "status.json"
        path.mkdir()
    writer = StatusFileWriter(path, 300, constant({"ok": True}))
    with caplog.at_level(logging.ERROR, logger="integration.status_file"):
        assert await writer.write_once() is False
    assert "write failed" in caplog.text and str(path) in caplog.text
    assert writer.failures == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
async def test_a_read_only_folder_is_a_logged_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        writer = StatusFileWriter(folder / "status.json", 300, constant({"ok": True}))
        with caplog.at_level(logging.ERROR, logger="integration.status_file"):
            assert await writer.write_once() is False
        assert "write failed" in caplog.text
    finally:
        folder.chmod(0o700)


async def test_a_failing_or_unserialisable_snapshot_keeps_the_previous_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "status.json"
    assert await StatusFileWriter(path, 300, constant({"version": 1})).write_once()

    async def broken() -> dict[str, Any]:
        raise RuntimeError("registry exploded")

    with caplog.at_level(logging.ERROR, logger="integration.status_file"):
        assert await StatusFileWriter(path, 300, broken).write_once() is False
        assert await StatusFileWriter(path, 300, constant({"value": float("nan")})).write_once() is False
        assert await StatusFileWriter(path, 300, constant({"value": object()})).write_once() is False
    assert "registry exploded" in caplog.text
    assert json.loads(path.read_text()) == {"version": 1}


async def test_a_hanging_snapshot_is_a_failed_write(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def hangs() -> dict[str, Any]:
        await asyncio.sleep(60)
        return {}

    writer = StatusFileWriter(tmp_path / "status.json", 300, hangs, snapshot_timeout_s=0.05)
    with caplog.at_level(logging.ERROR, logger="integration.status_file"):
        assert await writer.write_once() is False
    assert "could not build the status" in caplog.text
    assert not (tmp_path / "status.json").exists()


async def test_run_writes_at_start_then_on_schedule_and_survives_failures(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    calls = {"n": 0}

    async def flaky() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] % 2 == 0:
            raise OSError("transient")
        return {"call": calls["n"]}

    writer = StatusFileWriter(path, 0.02, flaky)
    task = writer.start()
    assert writer.start() is task  # starting twice keeps one task
    assert writer.running
    for _ in range(200):
        await asyncio.sleep(0.01)
        if calls["n"] >= 6:
            break
    await writer.stop()
    assert task.cancelled()
    assert not writer.running
    assert calls["n"] >= 6
    assert writer.failures >= 3 and writer.writes >= 3
    assert json.loads(path.read_text())["call"] % 2 == 1
    n_after_stop = calls["n"]
    await asyncio.sleep(0.1)
    assert calls["n"] == n_after_stop  # really stopped
    await writer.stop()  # stopping twice is harmless


async def test_first_write_happens_at_start_not_after_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    writer = StatusFileWriter(path, 3600, constant({"started": True}))
    writer.start()
    try:
        for _ in range(100):
            if path.exists():
                break
            await asyncio.sleep(0.01)
        assert json.loads(path.read_text()) == {"started": True}
    finally:
        await writer.stop()


def test_write_atomically_replaces_content_and_removes_its_temporary_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    write_atomically(path, b"one")
    write_atomically(path, b"two")
    assert path.read_bytes() == b"two"
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OSError):
        write_atomically(tmp_path / "dir.json", b"three")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json", "f.json"]


def test_interval_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        StatusFileWriter(tmp_path / "s.json", 0, constant({}))


# -- content --------------------------------------------------------------------------------------

STARTED = datetime(2026, 11, 25, 3, 0, 0, tzinfo=UTC)
THEORY = {"name": "theory", "parts": ["bass", "drums", "melody"], "loaded": True}
MAGENTA = {"name": "drums_rnn", "family": "magenta", "parts": ["drums"], "loaded": True}
FAILED = {"name": "melody_rnn", "loaded": False, "error": "bundle is corrupt"}
ENDPOINTS = ["GET /health", "POST /api/v1/generate/midi", "POST /api/v1/mixing/suggest"]


def status(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "endpoints": ENDPOINTS,
        "models": [THEORY],
        "core_connected": False,
        "uptime_s": 42.04,
        "requests": {"total": 17, "by_route": {"GET /health": 17}},
        "started_at": STARTED,
        "models_dir": "/srv/models",
        "core_url": "http://localhost:8080",
        "now": STARTED + timedelta(seconds=42),
    }
    values.update(overrides)
    return build_status(**values)


def test_status_has_the_reference_keys_and_true_values() -> None:
    document = status()
    assert set(document) >= REFERENCE_KEYS
    assert document["instance"] == "DAWG-AI"
    assert document["last_update"] == "2026-11-25T03:00:42Z"
    assert datetime.fromisoformat(document["last_update"]) == STARTED + timedelta(seconds=42)
    assert document["started_at"] == "2026-11-25T03:00:00Z"
    assert document["api_endpoints_ready"] == ENDPOINTS
    assert document["ai_models"] == [THEORY]
    assert document["dawg_core_connected"] is False
    assert document["uptime_seconds"] == 42.0
    assert document["request_counts"] == {"total": 17, "by_route": {"GET /health": 17}}
    assert document["phase"] == "serving"
    assert "3 endpoints" in document["current_task"] and "17 requests" in document["current_task"]
    json.dumps(document, allow_nan=False)  # what the writer will do


def test_next_steps_follow_what_is_missing() -> None:
    document = status()
    assert any("start DAWG-CORE" in s and "http://localhost:8080" in s for s in document["next_steps"])
    assert any("Magenta" in s and "/srv/models" in s for s in document["next_steps"])
    assert "loaded model theory (bass, drums, melody)" in document["completed_tasks"]
    assert not any("DAWG-CORE" in t for t in document["completed_tasks"])

    ready = status(core_connected=True, models=[THEORY, MAGENTA])
    assert ready["next_steps"] == []
    assert "connected to DAWG-CORE at http://localhost:8080" in ready["completed_tasks"]
    assert "loaded model drums_rnn (drums)" in ready["completed_tasks"]


def test_failed_models_are_listed_as_steps_not_as_completed() -> None:
    document = status(models=[THEORY, FAILED], core_connected=True)
    assert document["ai_models"] == [THEORY, FAILED]
    assert not any("melody_rnn" in t for t in document["completed_tasks"])
    assert "fix model melody_rnn: bundle is corrupt" in document["next_steps"]


def test_phase_reflects_start_up() -> None:
    warming = status(warming_up=["magenta"])
    assert warming["phase"] == "warming up"
    assert "magenta" in warming["current_task"]
    assert "finish start-up: magenta" in warming["next_steps"]
    assert not any("Magenta bundles" in s for s in warming["next_steps"])  # still loading: not yet a gap
    assert status(endpoints=[])["phase"] == "starting"


def test_status_changes_with_the_inputs() -> None:
    """No fixed lists: every list in the document comes from the arguments."""
    one = status(endpoints=["GET /a"], models=[])
    two = status(endpoints=["GET /a", "POST /b"], models=[MAGENTA])
    assert one["api_endpoints_ready"] == ["GET /a"] and two["api_endpoints_ready"] == ["GET /a", "POST /b"]
    assert one["ai_models"] == [] and two["ai_models"] == [MAGENTA]
    assert one["completed_tasks"] != two["completed_tasks"]


def test_a_model_that_loads_on_first_use_is_no_step_to_fix() -> None:
    """The transcription models are there but load in a start-up step or on the first /transcribe: until
    then the status says nothing about them, not "fix model" (the file is there, nothing is broken)."""
    waiting = {"name": "drum_transcription", "available": True, "loaded": False}
    missing = {"name": "basic-pitch", "available": False, "loaded": False, "error": "onnxruntime is not installed"}
    document = status(models=[THEORY, MAGENTA, waiting, missing], core_connected=True)
    assert not any("drum_transcription" in s for s in document["next_steps"])
    assert not any("drum_transcription" in t for t in document["completed_tasks"])
    assert "fix model basic-pitch: onnxruntime is not installed" in document["next_steps"]


async def test_the_file_is_rewritten_as_soon_as_start_up_ends(tmp_path: Path) -> None:
    """Written at start (warming up), then again when the start-up steps end, not an interval later."""
    path = tmp_path / "status.json"
    warming = {"steps": 1}

    async def snapshot() -> dict[str, Any]:
        return {"phase": "warming up" if warming["steps"] else "serving"}

    step_may_end = asyncio.Event()

    async def start_up_step() -> None:
        await step_may_end.wait()
        warming["steps"] = 0

    writer = StatusFileWriter(path, 3600, snapshot)
    writer.start()
    step = asyncio.create_task(start_up_step())
    writer.write_when_done([step])
    try:
        for _ in range(100):
            if path.exists():
                break
            await asyncio.sleep(0.01)
        assert json.loads(path.read_text()) == {"phase": "warming up"}
        step_may_end.set()
        for _ in range(200):
            await asyncio.sleep(0.01)
            if json.loads(path.read_text())["phase"] == "serving":
                break
        assert json.loads(path.read_text()) == {"phase": "serving"}
        for _ in range(200):  # the count follows the write's thread back onto the loop
            if writer.writes == 2:
                break
            await asyncio.sleep(0.01)
        assert writer.writes == 2
    finally:
        await writer.stop()


def test_the_stopped_status_says_nothing_answers_with_every_key() -> None:
    """The last document, written at shutdown: the file had said "serving" with every endpoint ready after
    the engine had stopped."""
    stopped = build_stopped_status(
        models=[THEORY, FAILED],
        uptime_s=42.04,
        requests={"total": 17, "by_route": {"GET /health": 17}},
        started_at=STARTED,
        stopped_at=STARTED + timedelta(seconds=42),
    )
    assert set(stopped) == set(status())  # the keys the serving document has, no more, no fewer
    assert stopped["phase"] == "stopped"
    assert stopped["api_endpoints_ready"] == []
    assert stopped["current_task"].startswith("stopped at 2026-11-25T03:00:42Z")
    assert stopped["last_update"] == "2026-11-25T03:00:42Z" and stopped["started_at"] == "2026-11-25T03:00:00Z"
    assert [model["loaded"] for model in stopped["ai_models"]] == [False, False]
    assert stopped["ai_models"][0]["name"] == "theory" and stopped["ai_models"][1]["error"] == "bundle is corrupt"
    assert stopped["dawg_core_connected"] is False
    assert "17 requests" in stopped["completed_tasks"][0]
    assert stopped["next_steps"] and stopped["uptime_seconds"] == 42.0
    json.dumps(stopped, allow_nan=False)


async def test_the_last_write_goes_only_over_a_file_the_writer_wrote(tmp_path: Path) -> None:
    """An engine that never wrote the file (its start failed: another instance holds the port and the file)
    leaves it as it is when it stops."""
    path = tmp_path / "status.json"
    path.write_text('{"phase": "serving"}\n')  # the running instance's
    refused = StatusFileWriter(path, 300, constant({"phase": "starting"}))
    await refused.stop()
    assert await refused.write_last(constant({"phase": "stopped"})) is False
    assert json.loads(path.read_text()) == {"phase": "serving"}

    writer = StatusFileWriter(path, 300, constant({"phase": "serving", "n": 2}))
    assert await writer.write_once() is True
    await writer.stop()
    assert await writer.write_last(constant({"phase": "stopped"})) is True
    assert json.loads(path.read_text()) == {"phase": "stopped"}
    assert os.listdir(tmp_path) == [path.name]  # written atomically, no temporary file left
