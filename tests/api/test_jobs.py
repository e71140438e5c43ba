"""Jobs through HTTP: async=true / Prefer: respond-async, polling, server-sent events, results byte for
byte as the synchronous call answers them, cancellation, the bounded queue, expiry, and 422 at once.

Where a test needs work that lasts (to watch it, cancel it or fill the queue), the analysis route's
``analyze_summary`` is replaced by one that reports progress and sleeps between steps: everything else
(the job queue, the context that carries the reporter into the worker thread, the cancellation
raised in that thread) is the engine's own."""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import logging
import pkgutil
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.responses import Response

import api.routes
import api.routes.analysis as analysis_route
from ai import progress
from ai.analysis.pipeline import AnalysisResult, analyze_summary
from ai.analysis.signal_pass import SignalSummary
from api.jobs import manager
from api.jobs.trigger import job_mode
from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.api.test_mixing import stems, upload

MAX_QUEUED = 2
FINISHED = ("succeeded", "failed", "cancelled")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One job at a time, two may wait: small enough to fill in a test."""
    tmp = tmp_path_factory.mktemp("jobs")
    settings = make_settings(tmp, jobs_max_queued=MAX_QUEUED, jobs_concurrency=1, jobs_keep_s=600)
    with engine_client(settings) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _no_job_left(client: TestClient) -> Iterator[None]:
    """Each test starts and ends with no job queued or running."""
    yield
    for job in client.get("/api/v1/jobs").json()["jobs"]:
        if job["state"] in ("queued", "running"):
            client.post(f"/api/v1/jobs/{job['job_id']}/cancel")


class SlowAnalysis:
    """Stands in for ``analyze_summary``: ``steps`` progress reports ``delay`` seconds apart, then
    the real analysis. ``stopped`` is set when the cancellation reaches its (worker) thread."""

    def __init__(self, steps: int, delay: float) -> None:
        self.steps, self.delay = steps, delay
        self.done_steps = 0
        self.stopped = threading.Event()

    def __call__(self, summary: SignalSummary, *, progress_from: float, release_signal: bool = False) -> AnalysisResult:
        try:
            for step in range(self.steps):
                progress.report(step / self.steps, "slow step")
                self.done_steps += 1
                time.sleep(self.delay)
        except progress.Cancelled:
            self.stopped.set()
            raise
        return analyze_summary(summary, progress_from=progress_from, release_signal=release_signal)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> SlowAnalysis:
    fake = SlowAnalysis(steps=200, delay=0.02)  # 4 s unless cancelled
    monkeypatch.setattr(analysis_route, "analyze_summary", fake)
    return fake


def song_file(bars: int = 4) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("song.wav", wav_bytes(song_in_g_major(bars=bars)), "audio/wav")}


def submit(client: TestClient, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.post(path, **kwargs)
    assert response.status_code == 202, response.text
    return dict(response.json())


def wait_for(
    client: TestClient, job_id: str, states: tuple[str, ...] = FINISHED, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if body["state"] in states:
            return body
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not reach {states} in {timeout} s: {body}")


def sse(client: TestClient, url: str) -> list[tuple[str, dict[str, Any], float]]:
    """(event, data, arrival time) of every event of the stream, read until it ends."""
    events: list[tuple[str, dict[str, Any], float]] = []
    name = ""
    with client.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: ")), time.monotonic()))
    return events


# ------------------------------------------------------------------ the same answers as the sync call


def test_async_analysis_answers_202_then_the_sync_result(client: TestClient) -> None:
    sync = client.post("/api/v1/analyze/audio", files=song_file())
    assert sync.status_code == 200, sync.text
    accepted = client.post("/api/v1/analyze/audio?async=true", files=song_file())
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == {"job_id", "state", "status_url", "events_url", "result_url"}
    assert body["state"] == "queued" and accepted.headers["location"] == body["status_url"]
    assert body["status_url"] == f"/api/v1/jobs/{body['job_id']}"

    status = wait_for(client, body["job_id"])
    assert status["state"] == "succeeded" and status["kind"] == "analyze.audio"
    assert status["progress"] == 1.0 and status["status_code"] == 200
    assert status["media_type"] == "application/json"
    assert status["result"] == sync.json()  # inline: the JSON the route answers
    assert status["finished_at"] >= status["started_at"] >= status["created_at"]
    result = client.get(body["result_url"])
    assert result.status_code == 200 and result.content == sync.content
    assert result.headers["content-type"] == sync.headers["content-type"]


def test_async_render_gives_the_same_file_and_headers(client: TestClient) -> None:
    form = {"master": "true", "target": "streaming", "bit_depth": "16"}
    sync = client.post("/api/v1/mixing/render", data=form, files=upload(stems(3)))
    assert sync.status_code == 200, sync.text
    job = submit(client, "/api/v1/mixing/render", data={**form, "async": "true"}, files=upload(stems(3)))
    status = wait_for(client, job["job_id"])
    assert status["state"] == "succeeded" and status["kind"] == "mixing.render"
    assert status["media_type"] == "audio/wav" and status["result"] is None  # a file: fetch result_url
    result = client.get(job["result_url"])
    assert result.status_code == 200 and result.content == sync.content
    for header in ("content-type", "content-disposition", "x-loudness-lufs", "x-true-peak-dbtp", "x-findings-gone"):
        assert result.headers[header] == sync.headers[header], header


@pytest.mark.parametrize(
    "how", [{"json": {"async": True}}, {"data": {"async": "true"}}, {"headers": {"Prefer": "respond-async"}}]
)
def test_async_generation_by_json_form_or_prefer_header(client: TestClient, how: dict[str, Any]) -> None:
    params = {"key": "D", "scale": "dorian", "bars": "2", "variations": "3", "seed": "42"}
    sync = client.post("/api/v1/generate/melody", params=params)
    assert sync.status_code == 200, sync.text
    accepted = client.post("/api/v1/generate/melody", params=params, **how)
    assert accepted.status_code == 202, accepted.text
    applied = accepted.headers.get("preference-applied")
    assert applied == ("respond-async" if "headers" in how else None)
    status = wait_for(client, accepted.json()["job_id"])
    assert status["state"] == "succeeded" and status["kind"] == "generate.melody"
    assert client.get(accepted.json()["result_url"]).content == sync.content


def test_async_midi_file(client: TestClient) -> None:
    params = {"style": "funk", "bars": "2", "seed": "7", "format": "midi"}
    sync = client.post("/api/v1/generate/midi", params=params)
    job = submit(client, "/api/v1/generate/midi", params={**params, "async": "true"})
    wait_for(client, job["job_id"])
    result = client.get(job["result_url"])
    assert result.content == sync.content and result.content.startswith(b"MThd")
    assert result.headers["content-type"] == "audio/midi"
    assert (
        result.headers["x-seed"] == "7" and result.headers["content-disposition"] == sync.headers["content-disposition"]
    )


def test_a_failed_job_keeps_the_routes_error(client: TestClient) -> None:
    not_audio = {"file": ("notes.wav", b"these are my notes, not audio\n" * 40, "audio/wav")}
    sync = client.post("/api/v1/analyze/audio", files=not_audio)
    assert sync.status_code == 415
    job = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=not_audio)
    status = wait_for(client, job["job_id"])
    assert status["state"] == "failed" and status["status_code"] == 415
    assert status["error"] == sync.json() and status["result"] is None
    result = client.get(job["result_url"])
    assert result.status_code == 415 and result.json() == sync.json()


# ------------------------------------------------------------------ the synchronous default


def test_sync_stays_the_default(client: TestClient) -> None:
    before = len(client.get("/api/v1/jobs").json()["jobs"])
    for extra in ({}, {"async": "false"}):
        response = client.post("/api/v1/generate/bassline", params={"bars": "1", "seed": "1", **extra})
        assert response.status_code == 200 and "midi_base64" in response.json(), response.text
    # async=false wins over the header.
    response = client.post(
        "/api/v1/generate/bassline", params={"bars": "1", "async": "0"}, headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 200 and "preference-applied" not in response.headers
    assert len(client.get("/api/v1/jobs").json()["jobs"]) == before


@pytest.mark.parametrize(
    "path,kwargs,name",
    [
        ("/api/v1/generate/melody", {"json": {"async": True, "bars": 99}}, "bars"),
        ("/api/v1/generate/melody", {"json": {"async": True, "colour": "blue"}}, "colour"),
        ("/api/v1/generate/midi", {"data": {"async": "true", "format": "midi", "variations": "3"}}, "format"),
        ("/api/v1/generate/bassline", {"params": {"async": "true", "style": "melody"}}, "style"),
        ("/api/v1/mixing/render", {"data": {"async": "true", "apply": "reverb"}}, "apply"),
        ("/api/v1/mixing/suggest", {"params": {"async": "maybe"}}, "async"),
        ("/api/v1/analyze/project", {"params": {"async": "true", "colour": "blue"}}, "colour"),
    ],
)
def test_a_bad_parameter_is_a_422_at_once_not_a_job(
    client: TestClient, path: str, kwargs: dict[str, Any], name: str
) -> None:
    before = len(client.get("/api/v1/jobs").json()["jobs"])
    response = client.post(path, **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_parameter" and response.json()["detail"].startswith(name)
    assert len(client.get("/api/v1/jobs").json()["jobs"]) == before


# ------------------------------------------------------------------ progress, events, cancellation


def test_events_stream_progress_then_the_final_state(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = SlowAnalysis(steps=8, delay=0.15)  # about 1.2 s of reported work
    monkeypatch.setattr(analysis_route, "analyze_summary", fake)
    job = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    events = sse(client, job["events_url"])
    names = [name for name, _, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"progress"} and len(names) >= 4, names
    final = events[-1][1]
    assert final["state"] == "succeeded" and final["progress"] == 1.0 and final["result"]["key"] == "G major"
    reported = [data for name, data, _ in events if name == "progress" and data["stage"] == "slow step"]
    assert len(reported) >= 2
    fractions = [data["progress"] for data in reported]
    assert fractions == sorted(fractions) and fractions[-1] > fractions[0]
    # The slow step fills the analysis share of the job (0.4 .. 1.0): the work's own numbers.
    assert all(0.4 <= f < 1.0 for f in fractions)
    gaps = np.diff([arrived for _, _, arrived in events])
    assert gaps.max() < 1.0, gaps  # a progress event at least every second


def test_cancel_a_running_job_stops_its_thread(client: TestClient, slow: SlowAnalysis) -> None:
    job = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    deadline = time.monotonic() + 5
    while client.get(job["status_url"]).json()["stage"] != "slow step":  # the work itself has reported
        assert time.monotonic() < deadline, "no progress report reached the job"
        time.sleep(0.01)
    response = client.post(f"{job['status_url']}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert slow.stopped.wait(2.0), "the cancellation did not reach the worker thread"
    assert slow.done_steps < slow.steps
    result = client.get(job["result_url"])
    assert result.status_code == 409 and result.json()["error"] == "job_cancelled"
    # The worker is free again: the next job runs.
    after = submit(client, "/api/v1/generate/midi", json={"async": True, "bars": 1, "seed": 3})
    assert wait_for(client, after["job_id"])["state"] == "succeeded"


def test_a_cancelled_job_whose_work_ends_with_an_error_logs_none(caplog: pytest.LogCaptureFixture) -> None:
    """A running job cancelled while its work was on its way out with an exception of its own (the worker thread's
    Cancelled, as a cancel reaches it at its next progress report) left that exception unretrieved: asyncio logged an
    ERROR with a traceback, "Task exception was never retrieved" (6 of 60 quick cancels on the service)."""

    async def scenario() -> None:
        jobs = manager.JobManager(max_queued=4, concurrency=1, keep_s=60)
        jobs.start()
        started = asyncio.Event()

        async def work() -> None:
            started.set()
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                raise progress.Cancelled("the worker thread saw the cancel") from None

        job = jobs.submit("test", work, to_response=lambda result: Response())
        await started.wait()
        jobs.cancel(job.id)
        await job.done.wait()
        for _ in range(5):
            await asyncio.sleep(0.01)  # the worker loop resumes and reads the outcome
        await jobs.shutdown()

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(scenario())
        gc.collect()  # an unretrieved exception is logged when its task is collected
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


def test_queue_positions_delete_and_409_while_running(client: TestClient, slow: SlowAnalysis) -> None:
    first = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    wait_for(client, first["job_id"], states=("running",))
    second = submit(client, "/api/v1/generate/melody", json={"async": True, "bars": 1})
    third = submit(client, "/api/v1/generate/melody", json={"async": True, "bars": 1})
    assert client.get(second["status_url"]).json()["position"] == 1
    assert client.get(third["status_url"]).json()["position"] == 2
    pending = client.get(first["result_url"])
    assert pending.status_code == 409 and pending.json()["error"] == "job_not_finished"

    deleted = client.delete(second["status_url"])
    assert deleted.status_code == 200 and deleted.json()["state"] == "cancelled"
    assert client.get(third["status_url"]).json()["position"] == 1
    listed = client.get("/api/v1/jobs").json()
    ids = [j["job_id"] for j in listed["jobs"]]
    assert ids.index(third["job_id"]) < ids.index(second["job_id"]) < ids.index(first["job_id"])  # newest first
    assert listed["max_queued"] == MAX_QUEUED and listed["concurrency"] == 1

    client.delete(first["status_url"])  # cancels the running one: the queued one runs next
    assert wait_for(client, third["job_id"])["state"] == "succeeded"
    assert client.delete(third["status_url"]).status_code == 200  # a finished job is forgotten
    gone = client.get(third["status_url"])
    assert gone.status_code == 404 and gone.json()["error"] == "job_not_found"
    # Its 404 said "unknown, submitted before the engine restarted, or finished more than 600 s ago": none was true.
    assert re.match(rf"job '{third['job_id']}' was deleted at \S+Z ", gone.json()["detail"]), gone.json()["detail"]


def test_a_job_cancelled_while_queued_says_it_never_started(client: TestClient, slow: SlowAnalysis) -> None:
    running = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    wait_for(client, running["job_id"], states=("running",))  # the only worker is busy: the next one waits
    queued = submit(client, "/api/v1/generate/melody", json={"async": True, "bars": 1})
    assert client.get(queued["status_url"]).json()["stage"] == "queued"

    cancelled = client.post(f"{queued['status_url']}/cancel").json()
    status = client.get(queued["status_url"]).json()
    for view in (cancelled, status):
        assert view["state"] == "cancelled"
        assert view["stage"] == "cancelled before it started"
        assert view["started_at"] is None and view["position"] is None


def test_a_full_queue_answers_503_with_retry_after(client: TestClient, slow: SlowAnalysis) -> None:
    running = submit(client, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    wait_for(client, running["job_id"], states=("running",))
    for _ in range(MAX_QUEUED):
        submit(client, "/api/v1/generate/melody", json={"async": True, "bars": 1})
    refused = client.post("/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "queue_full" and "DAWG_AI_JOBS_MAX_QUEUED" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    # The synchronous route is not queued: it still answers.
    assert client.post("/api/v1/generate/melody", json={"bars": 1}).status_code == 200


def test_unknown_job_is_a_404_everywhere(client: TestClient) -> None:
    for method, suffix in (("GET", ""), ("GET", "/result"), ("GET", "/events"), ("DELETE", ""), ("POST", "/cancel")):
        response = client.request(method, f"/api/v1/jobs/nosuchjob{suffix}")
        assert response.status_code == 404, (method, suffix)
        assert response.json()["error"] == "job_not_found"
    long_id = "x" * 5000  # was echoed whole in the message
    detail = client.get(f"/api/v1/jobs/{long_id}").json()["detail"]
    assert detail.startswith(f"no job '{'x' * 80}... (5000 characters)'") and len(detail) < 500


def test_a_job_from_before_a_restart_is_a_404_that_says_so(tmp_path: Path) -> None:
    """Jobs live in the engine's memory: after a restart a client polling its job was told "unknown, or
    finished more than 3600 s ago", neither of which was true."""
    settings = make_settings(tmp_path)
    with engine_client(settings) as before:
        job = submit(before, "/api/v1/generate/midi", json={"async": True, "bars": 1, "seed": 5})
        assert wait_for(before, job["job_id"])["state"] == "succeeded"
    with engine_client(settings) as after:
        gone = after.get(job["status_url"])
        started = after.get("/api/v1/status").json()["started_at"]
    assert gone.status_code == 404 and gone.json()["error"] == "job_not_found"
    detail = gone.json()["detail"]
    said = re.search(r"\(re\)started at (\S+Z)", detail)
    assert said is not None and "a restart forgets them" in detail, detail
    assert abs(datetime.fromisoformat(said.group(1)) - datetime.fromisoformat(started)) < timedelta(seconds=2)


def test_finished_jobs_expire_after_keep_s(tmp_path: Path) -> None:
    # Kept 1.5 s: long enough that a poll on a loaded machine (a request can take a few tenths of a second there)
    # still sees the finished job before it expires; 0.3 s let it expire between two polls under the full suite.
    with engine_client(make_settings(tmp_path, jobs_keep_s=1.5)) as short:
        job = submit(short, "/api/v1/generate/midi", json={"async": True, "bars": 1, "seed": 5})
        status = wait_for(short, job["job_id"])
        assert status["state"] == "succeeded" and status["expires_at"] > status["finished_at"]
        assert short.get(job["result_url"]).status_code == 200
        time.sleep(max(0.0, datetime.fromisoformat(status["expires_at"]).timestamp() - time.time()) + 0.2)
        for url in (job["status_url"], job["result_url"]):
            gone = short.get(url)
            assert gone.status_code == 404 and gone.json()["error"] == "job_not_found"
        assert short.get("/api/v1/jobs").json()["jobs"] == []


def test_a_full_store_drops_cancelled_jobs_before_results_and_a_dropped_id_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_FINISHED_KEPT the oldest finished job went first, whatever it held: 1,200 cancelled jobs dropped a
    result finished 15 s before (keep_s 60), and its id answered 'finished more than 60 s ago'."""
    monkeypatch.setattr(manager, "MAX_FINISHED_KEPT", 3)
    with engine_client(make_settings(tmp_path, jobs_keep_s=600, jobs_concurrency=1)) as short:
        kept = submit(short, "/api/v1/generate/midi", json={"async": True, "bars": 1, "seed": 5})
        assert wait_for(short, kept["job_id"])["state"] == "succeeded"
        cancelled = []
        for _ in range(4):
            job = submit(short, "/api/v1/generate/melody", json={"async": True, "bars": 32, "variations": 8})
            short.post(f"/api/v1/jobs/{job['job_id']}/cancel")
            cancelled.append(job)
        assert short.get(kept["result_url"]).status_code == 200  # 5 finished, 3 held: two cancelled went
        gone = short.get(cancelled[0]["status_url"])
        assert gone.status_code == 404 and "dropped before its 600 s were up" in gone.json()["detail"]
        for seed in (6, 7, 8):
            job = submit(short, "/api/v1/generate/midi", json={"async": True, "bars": 1, "seed": seed})
            wait_for(short, job["job_id"])
        dropped = short.get(kept["status_url"])  # the cancelled ones first, then the oldest result
        assert dropped.status_code == 404, dropped.text
        assert "the engine holds at most 3 finished jobs" in dropped.json()["detail"]


def test_temporary_files_go_when_the_job_ends_expires_or_the_engine_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings = make_settings(tmp_path, upload_dir=uploads, jobs_keep_s=0.5, jobs_concurrency=1)
    with engine_client(settings) as engine:
        # A rendered mix over 1 MB is kept in a file until the job expires; the uploads' copies go at once.
        form = {"async": "true", "bit_depth": "24"}
        job = submit(engine, "/api/v1/mixing/render", data=form, files=upload(stems(6)))
        assert wait_for(engine, job["job_id"])["state"] == "succeeded"
        assert [f.name.startswith("dawg-job-result-") for f in uploads.iterdir()] == [True]
        assert len(engine.get(job["result_url"]).content) > 1 << 20
        time.sleep(0.6)
        assert engine.get(job["status_url"]).status_code == 404
        assert list(uploads.iterdir()) == []

        # Stopping the engine cancels the running job in its thread and deletes every job's files.
        fake = SlowAnalysis(steps=500, delay=0.02)
        monkeypatch.setattr(analysis_route, "analyze_summary", fake)
        running = submit(engine, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
        wait_for(engine, running["job_id"], states=("running",))
        submit(engine, "/api/v1/analyze/audio", data={"async": "true"}, files=song_file())
        assert len(list(uploads.iterdir())) == 2  # each job's own copy of its upload
    assert fake.stopped.wait(2.0)
    assert list(uploads.iterdir()) == []


def test_job_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/jobs",
        "/api/v1/jobs/{job_id}",
        "/api/v1/jobs/{job_id}/result",
        "/api/v1/jobs/{job_id}/events",
    ):
        assert path in paths, path
    render = paths["/api/v1/mixing/render"]["post"]
    assert {"202", "503"} <= set(render["responses"])
    assert "Retry-After" in render["responses"]["503"]["headers"]
    names = {(p["name"], p["in"]) for p in render["parameters"]}
    assert {("async", "query"), ("prefer", "header")} <= names


@pytest.mark.parametrize(
    ("query", "name"), [("state=bogus", "state"), ("limit=-1", "limit"), ("state=running&limit=5", "state")]
)
def test_the_jobs_routes_refuse_parameters_they_do_not_take(client: TestClient, query: str, name: str) -> None:
    """GET /api/v1/jobs?state=bogus listed every job (200), as if a filter had been applied; the routes with
    parameters refuse names they do not know."""
    for path in ("/api/v1/jobs", "/api/v1/jobs/0123"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, response.text
        assert response.json() == {
            "error": "invalid_parameter",
            "detail": f"{name}: unknown parameter; this route takes no parameters",
        }
    assert client.get("/api/v1/jobs").status_code == 200


def test_the_readme_names_every_route_that_runs_as_a_job() -> None:
    """README's Jobs list left out /transcribe and /generate/accompaniment, which answer 202 as jobs."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = readme.split("## Jobs", 1)[1].strip().split("\n\n", 1)[0]
    modules = [importlib.import_module(f"api.routes.{m.name}") for m in pkgutil.iter_modules(api.routes.__path__)]
    app_routes = [route for module in modules for route in module.router.routes if isinstance(route, APIRoute)]
    as_jobs = [r.path for r in app_routes if any(d.call is job_mode for d in r.dependant.dependencies)]
    assert "/api/v1/transcribe" in as_jobs  # the search finds the routes at all
    for path in as_jobs:
        assert f"`{path.removeprefix('/api/v1')}`" in listed or f"`{path}`" in listed, path
    assert "`/api/v1/command` never runs as a job" in listed


def test_a_command_answers_at_once_even_when_asked_to_respond_async(client: TestClient) -> None:
    """As the README says: /command takes no job preference (a text command's answer is its action's)."""
    asked = {"text": "drums, hip hop, two bars", "dry_run": True}
    response = client.post("/api/v1/command", json=asked, headers={"Prefer": "respond-async"})
    assert response.status_code == 200 and response.json()["action"] == "generate_drums"
    refused = client.post("/api/v1/command", json={**asked, "async": True})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("async: unknown parameter")
