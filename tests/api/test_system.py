"""System routes, error bodies, CORS, upload limits and DAWG-CORE status through HTTP."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.api.conftest import engine_client, make_settings
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.api.test_mixing import stems, upload
from tests.support.core_standin import run_core_standin


def test_health_answers_at_once(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy"
    assert body["ready"] is True and body["warming_up"] == []


def test_health_answers_head_as_monitors_probe(client: TestClient) -> None:
    """HEAD /health was a 405; load balancers and uptime monitors probe with HEAD."""
    head = client.head("/health")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "application/json"


def served_routes(client: TestClient) -> set[str]:
    spec = client.get("/openapi.json").json()
    return {f"{method.upper()} {path}" for path, operations in spec["paths"].items() for method in operations}


def test_root_lists_the_routes_that_exist(client: TestClient) -> None:
    body = client.get("/").json()
    assert "POST /api/v1/generate/bassline" in body["endpoints"]
    assert set(body["endpoints"]) == served_routes(client)


def test_docs_document_parameters_of_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    generate = spec["paths"]["/api/v1/generate/midi"]["post"]
    names = {p["name"] for p in generate["parameters"]}
    assert {"style", "key", "scale", "chords", "bars", "tempo", "seed", "temperature"} <= names
    assert "application/x-www-form-urlencoded" in generate["requestBody"]["content"]
    for path in (
        "/api/v1/analyze/audio",
        "/api/v1/analyze/project",
        "/api/v1/mixing/suggest",
        "/api/v1/mixing/auto_level",
        "/api/v1/status",
        "/api/v1/models",
    ):
        assert path in spec["paths"]


NOT_API = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/ui/static"})
"""What the app serves that is no API route: FastAPI's documentation pages and the page's static files."""


def unlisted_routes(app: FastAPI, listed: list[str]) -> set[str]:
    """'METHOD /path' of every route the app's routing table serves that ``listed`` leaves out."""
    served: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if route.path in NOT_API or isinstance(route.route, Mount):
            continue
        methods = set(route.methods or ())
        if "GET" in methods and not isinstance(route.route, APIRoute):
            methods.discard("HEAD")  # Starlette's automatic twin of a GET (/mcp), not a route of its own
        served |= {f"{method} {route.path}" for method in methods}
    return served - set(listed)


def test_the_status_and_root_list_every_route_the_app_serves(client: TestClient) -> None:
    """The status file's endpoint list is read from the OpenAPI schema, so comparing the two could not fail; this
    reads the routing table itself, so a route served outside /docs (include_in_schema=False, a bare Starlette
    route) is caught here until it is documented or named in NOT_API."""
    assert isinstance(client.app, FastAPI)
    status = client.get("/api/v1/status").json()["api_endpoints_ready"]
    assert unlisted_routes(client.app, status) == set()
    assert unlisted_routes(client.app, client.get("/").json()["endpoints"]) == set()
    assert {"POST /api/v1/library/search", "POST /mcp", "HEAD /health"} <= set(status)


def test_a_route_hidden_from_the_docs_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a route added with include_in_schema=False is one the status file leaves out."""
    with engine_client(make_settings(tmp_path)) as engine:
        assert isinstance(engine.app, FastAPI)
        status = engine.get("/api/v1/status").json()["api_endpoints_ready"]
        engine.app.add_api_route("/api/v1/hidden", lambda: {}, methods=["POST"], include_in_schema=False)
        assert unlisted_routes(engine.app, status) == {"POST /api/v1/hidden"}


def readme_endpoints() -> set[str]:
    """'METHOD /path' of every row of README's Endpoints table, its shorthands spelt out: `POST/GET/DELETE /mcp`,
    `(and `HEAD`)`, a sibling `/stop`, `.../events` and `POST .../cancel` under the cell's last full path."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Endpoints", 1)[1].strip().split("\n\n", 1)[0]
    found: set[str] = set()
    for row in table.splitlines()[2:]:
        methods: list[str] = []
        path = ""
        for token in re.findall(r"`([^`]+)`", row.split(" | ")[0]):
            words = token.split()
            if words[0].isupper():
                methods = words[0].split("/")
            where = words[-1] if words[-1].startswith(("/", ".")) else ""
            if where.startswith(".../"):
                where = path + where[3:]
            elif where.startswith("/") and where.count("/") == 1 and path:  # `/stop` beside `.../play`
                where = path.rsplit("/", 1)[0] + where
            if where and not where.endswith(("/events", "/result", "/cancel")):
                path = where
            found |= {f"{method} {where or path}" for method in methods}
    return found


def as_the_readme_writes(spec: dict[str, Any], routes: set[str]) -> set[str]:
    """``routes`` ('METHOD /path' of the OpenAPI schema) as README's table names them: {job_id} and {file_id} are
    {id}, and transport/{action} is its two routes, play and stop."""
    written: set[str] = set()
    for route in routes:
        method, path = route.split(" ", 1)
        shown = re.sub(r"\{(job|file)_id\}", "{id}", path)
        operation = spec["paths"][path][method.lower()]
        for parameter in operation.get("parameters", []):
            for value in parameter["schema"].get("enum", []) if parameter["in"] == "path" else []:
                written.add(f"{method} {shown.replace('{' + parameter['name'] + '}', value)}")
        if "{action}" not in shown:
            written.add(f"{method} {shown}")
    return written


def test_the_readme_endpoints_table_names_every_route(client: TestClient) -> None:
    """A new user reads the table: POST /api/v1/library/search (what fits a clip) was served but not in it."""
    spec = client.get("/openapi.json").json()
    routes = as_the_readme_writes(spec, served_routes(client))
    listed = readme_endpoints()
    assert {"POST /api/v1/core/transport/stop", "GET /api/v1/jobs/{id}/events", "HEAD /health"} <= listed
    assert routes - listed == set()
    assert listed - routes == set()


def test_the_status_file_docs_and_readme_list_the_same_routes(tmp_path: Path) -> None:
    """Three lists of the routes: the status file on disk (`api_endpoints_ready`, where README's Endpoints table says
    it is), /openapi.json and README's table. The checks above compare the status route with the routing table and
    the table with /docs; this one reads the file DAWG-CORE's tooling reads, and all three against each other."""
    settings = make_settings(tmp_path)
    with engine_client(settings) as engine:
        spec = engine.get("/openapi.json").json()
        deadline = time.monotonic() + 30
        written: list[str] = []
        while not written and time.monotonic() < deadline:  # the first write is at start-up, in a thread
            if settings.status_file.exists():
                written = json.loads(settings.status_file.read_text(encoding="utf-8"))["api_endpoints_ready"]
            time.sleep(0.05)
    in_docs = {f"{method.upper()} {path}" for path, operations in spec["paths"].items() for method in operations}
    assert len(written) == len(set(written))
    assert set(written) == in_docs
    assert as_the_readme_writes(spec, set(written)) == readme_endpoints()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`api_endpoints_ready`" in readme.split("## Endpoints", 1)[1].split("\n\n", 2)[1]


def test_docs_describe_every_parameter_and_body_field(client: TestClient) -> None:
    """A DAW developer reads /docs: job_id and the transport's action had no description."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bare: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            if not operation.get("summary"):
                bare.append(f"{where}: no summary")
            for parameter in operation.get("parameters", []):
                if not (parameter.get("description") or parameter.get("schema", {}).get("description")):
                    bare.append(f"{where}: {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                schema = content["schema"]
                if "$ref" in schema:
                    schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
                bare += [
                    f"{where}: {name}"
                    for name, field in schema.get("properties", {}).items()
                    if not field.get("description")
                ]
    assert bare == []


def documented(spec: dict[str, Any], name: str) -> set[str]:
    return set(spec["components"]["schemas"][name]["properties"])


def test_docs_list_every_field_the_analysis_and_mixing_routes_answer(client: TestClient) -> None:
    """README: "/docs lists every parameter and response field". beat_division, the mixing report's mode, target,
    tracks, mix, masking, tempo ..., a suggestion's evidence and action, and a level's role were answered but not
    listed (the response models let undeclared fields through)."""
    spec = client.get("/openapi.json").json()
    song = {"file": ("song.wav", wav_bytes(song_in_g_major(bars=4)), "audio/wav")}
    analysis = client.post("/api/v1/analyze/audio", files=song).json()
    assert set(analysis) - documented(spec, "AnalysisResponse") == set()
    suggest = client.post("/api/v1/mixing/suggest", files=upload(stems())).json()
    assert suggest["suggestions"] and set(suggest) - documented(spec, "MixingResponse") == set()
    for item in suggest["suggestions"]:
        assert set(item) - documented(spec, "SuggestionOut") == set()
    levels = client.post("/api/v1/mixing/auto_level", files=upload(stems())).json()
    assert levels["levels"] and set(levels) - documented(spec, "AutoLevelResponse") == set()
    for level in levels["levels"].values():
        assert set(level) - documented(spec, "LevelOut") == set()
    render = client.post("/api/v1/mixing/render", data={"format": "json"}, files=upload(stems(seconds=3.0))).json()
    assert set(render) - documented(spec, "RenderResponse") == set()
    # Declared for /docs, the fields that come with audio only stay out of an answer without any (not null).
    for path in ("/api/v1/mixing/suggest", "/api/v1/mixing/auto_level"):
        empty = client.post(path).json()
        assert empty["status"] == "no_audio"
        assert not {"source", "mode", "target", "mix", "masking", "notes", "balance_lu", "tempo_bpm"} & set(empty)


def test_docs_describe_the_service_the_status_and_the_cores_answers(tmp_path: Path) -> None:
    """GET /, /api/v1/status and /api/v1/core/status had no response model: /docs showed "string" for what a web
    front end and a DAW developer read most (the status document, the core's health)."""
    with (
        run_core_standin(mode="normal", num_tracks=3) as core,
        engine_client(make_settings(tmp_path, core_url=core.url)) as client,
    ):
        spec = client.get("/openapi.json").json()
        for path, model in (("/", "ServiceResponse"), ("/api/v1/status", "StatusResponse")):
            answer = client.get(path).json()
            assert set(answer) == documented(spec, model), path
        core_answer = client.get("/api/v1/core/status").json()
    assert set(core_answer) == documented(spec, "CoreStatusResponse")
    for path, model in (
        ("/", "ServiceResponse"),
        ("/api/v1/status", "StatusResponse"),
        ("/api/v1/core/status", "CoreStatusResponse"),
    ):
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith(f"/{model}"), path


def test_the_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    assert client.get("/").json()["ui"] == "/ui"
    page = client.get("/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # Every script and style the page names is served from here, none from elsewhere.
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/ui/static/js/main.js" in refs  # the pattern still reads the page: an empty match checks nothing
    for ref in refs:
        if ref == "data:,":  # the empty icon: nothing fetched (without it the browser asks for /favicon.ico)
            continue
        assert ref.startswith("/"), ref
        if ref.startswith("/ui/static/"):
            assert client.get(ref).status_code == 200, ref
    script = client.get("/ui/static/js/main.js")
    assert script.headers["content-type"].startswith("text/javascript")
    modules = re.findall(r'from "(\./[^"]+)"', script.text)
    assert modules  # main.js imports its parts: an empty match would check none of them
    for module in modules:
        assert client.get(f"/ui/static/js/{module[2:]}").status_code == 200, module
    assert client.get("/ui/static/js/missing.js").status_code == 404
    assert client.get("/ui/static/%2e%2e/main.py").status_code == 404


def test_unknown_route_has_the_error_body(client: TestClient) -> None:
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_wrong_method_says_which_one_the_route_takes(client: TestClient) -> None:
    """`curl "http://localhost:9000/api/v1/generate/midi?style=drums"` (no -X POST) was a 405 "Method Not Allowed"
    without the Allow header RFC 9110 requires, so neither the body nor the head said to POST."""
    response = client.get("/api/v1/generate/midi?style=drums")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "error": "method_not_allowed",
        "detail": "GET is not served at /api/v1/generate/midi; it takes POST",
    }
    assert client.delete("/health").headers["allow"] == "GET, HEAD"


def test_models_lists_the_theory_backend(client: TestClient) -> None:
    body = client.get("/api/v1/models").json()
    names = [m["name"] for m in body["models"]]
    assert "theory" in names
    assert body["default_for"]["drums"] == "theory"


def test_models_lists_the_analysis_models(client: TestClient) -> None:
    body = client.get("/api/v1/models").json()
    level, beats, drums_only = body["analysis"]
    assert level["name"] == "metrical_level" and level["loaded"] is True and level["trees"] > 0
    assert drums_only["name"] == "drums_only" and drums_only["loaded"] is True
    assert beats["name"] == "beat_activation" and beats["loaded"] is True and beats["networks"] == 2
    # The status file lists them with the generation backends.
    status = client.get("/api/v1/status").json()
    for name in ("metrical_level", "beat_activation", "drums_only"):
        assert any(m["name"] == name and m["loaded"] for m in status["ai_models"])
        assert f"loaded model {name}" in status["completed_tasks"]


def test_models_lists_the_mixing_role_classifier(client: TestClient) -> None:
    roles, voice = client.get("/api/v1/models").json()["mixing"]
    assert roles["name"] == "role_classifier" and roles["loaded"] is True and "kick" in roles["classes"]
    assert voice["name"] == "silero_vad" and voice["available"] is True and voice["path"].endswith(".onnx")
    status = client.get("/api/v1/status").json()
    assert any(m["name"] == "role_classifier" and m["loaded"] for m in status["ai_models"])
    assert any(m["name"] == "silero_vad" and m["available"] for m in status["ai_models"])


def test_status_route_is_true_to_what_runs(client: TestClient) -> None:
    client.get("/health")
    body = client.get("/api/v1/status").json()
    assert body["instance"] == "DAWG-AI"
    assert "POST /api/v1/mixing/suggest" in body["api_endpoints_ready"]
    assert set(body["api_endpoints_ready"]) == served_routes(client)
    assert body["dawg_core_connected"] is True
    assert any(m["name"] == "theory" for m in body["ai_models"])
    # This engine runs without Magenta bundles: it must not claim one, and says how to get them.
    assert [m["name"] for m in body["ai_models"] if m.get("family") == "magenta"] == []
    assert any("Magenta bundles" in step for step in body["next_steps"])
    assert body["request_counts"]["total"] >= 1


def test_the_status_is_built_off_the_event_loop(client: TestClient, monkeypatch) -> None:
    """Its endpoint list is the OpenAPI schema, ~1 s of CPU to build the first time: built on the event
    loop at start-up it held back the listening socket and every request."""
    import threading

    from api import startup

    threads: list[str] = []
    built = startup.live_endpoints

    def recording(app):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return built(app)

    monkeypatch.setattr(startup, "live_endpoints", recording)
    body = client.get("/api/v1/status").json()
    assert "POST /api/v1/mixing/suggest" in body["api_endpoints_ready"]
    loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
    assert threads and loop_thread not in threads


def test_status_file_written_at_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with engine_client(settings):
        deadline = time.monotonic() + 5
        while not settings.status_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        content = json.loads(settings.status_file.read_text())
    assert content["instance"] == "DAWG-AI"
    assert content["dawg_core_connected"] is False


def test_the_status_file_says_stopped_once_the_engine_has_stopped(tmp_path: Path) -> None:
    """It said "serving", every endpoint ready, after the engine had stopped and nothing answered."""
    settings = make_settings(tmp_path)
    with engine_client(settings) as client:
        deadline = time.monotonic() + 30
        while not settings.status_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert json.loads(settings.status_file.read_text())["phase"] == "serving"
        client.get("/health")
    content = json.loads(settings.status_file.read_text())
    assert content["phase"] == "stopped"
    assert content["api_endpoints_ready"] == []
    assert content["current_task"].startswith("stopped at ")
    assert content["ai_models"] and not any(model["loaded"] for model in content["ai_models"])
    assert content["dawg_core_connected"] is False
    assert content["request_counts"]["total"] >= 1


def test_a_one_shot_engine_writes_no_status_file_and_serves_no_mcp(tmp_path: Path) -> None:
    """What the command line's in-process engine turns off (settings write_status_file and mcp)."""
    settings = make_settings(tmp_path, write_status_file=False, mcp=False)
    with engine_client(settings) as client:
        assert client.get("/api/v1/status").status_code == 200  # computed on request all the same
        assert client.post("/mcp", json={}).status_code == 404
        assert "/mcp" not in client.get("/openapi.json").json()["paths"]
        assert "GET /ui" in client.get("/").json()["endpoints"]
        time.sleep(0.3)
    assert not settings.status_file.exists()
    with engine_client(make_settings(tmp_path / "served")) as client:
        assert "/mcp" in client.get("/openapi.json").json()["paths"]


def test_core_status_is_503_quickly_when_the_core_is_down(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path)) as client:
        started = time.monotonic()
        response = client.get("/api/v1/core/status")
        assert time.monotonic() - started < 3.0
    assert response.status_code == 503
    assert response.json()["error"] == "core_unreachable"


def test_core_status_is_502_when_the_core_answers_with_an_error(tmp_path: Path) -> None:
    with run_core_standin(mode="error") as core, engine_client(make_settings(tmp_path, core_url=core.url)) as client:
        response = client.get("/api/v1/core/status")
    assert response.status_code == 502


def test_core_status_when_slow_answers_within_3_s(tmp_path: Path) -> None:
    with (
        run_core_standin(mode="slow", delay_s=10) as core,
        engine_client(make_settings(tmp_path, core_url=core.url)) as client,
    ):
        started = time.monotonic()
        response = client.get("/api/v1/core/status")
        elapsed = time.monotonic() - started
    # Cut by the client's 2.5 s deadline, not the core's 10 s: the margin is for a loaded machine (3.3 s seen).
    assert response.status_code == 503 and elapsed < 6.0


def test_core_status_live(tmp_path: Path) -> None:
    with (
        run_core_standin(mode="normal", num_tracks=7) as core,
        engine_client(make_settings(tmp_path, core_url=core.url)) as client,
    ):
        body = client.get("/api/v1/core/status").json()
    assert body["health"]["status"] == "healthy"
    assert body["project"] == {"numTracks": 7, "isPlaying": False, "currentPosition": 0.0}


def test_send_to_core_reports_the_real_core_refusal(tmp_path: Path) -> None:
    with run_core_standin(mode="normal") as core, engine_client(make_settings(tmp_path, core_url=core.url)) as client:
        body = client.post("/api/v1/generate/bassline?bars=1&send_to_core=true").json()
    assert body["delivered"] is False
    assert body["delivery_reason"].startswith("not delivered")
    assert "Not found" in body["delivery_reason"] and "/api/v1/midi/import" in body["delivery_reason"]


def test_cors_allows_localhost_only(client: TestClient) -> None:
    ok = client.options("/health", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:3000"
    bad = client.options("/health", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in bad.headers


def test_a_browser_may_read_every_header_a_midi_answer_carries(client: TestClient) -> None:
    """A web page fetching format=midi reads the seed, model and notes from headers; a browser hides those it is
    not told it may read."""
    response = client.post(
        "/api/v1/generate/midi",
        data={"bars": "1", "format": "midi", "style": "waltz", "time_signature": "4/4"},  # with X-Meter-Note
        headers={"Origin": "http://localhost:3000"},
    )
    assert response.status_code == 200
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    sent = {h.lower() for h in response.headers if h.lower().startswith("x-") and h.lower() != "x-content-type-options"}
    assert {"x-seed", "x-model", "x-meter-note"} <= sent
    assert sent <= exposed


def test_upload_over_the_limit_is_413(tmp_path: Path) -> None:
    with engine_client(make_settings(tmp_path, max_upload_mb=0.01)) as client:
        response = client.post("/api/v1/analyze/audio", files={"file": ("big.wav", b"\0" * 200_000, "audio/wav")})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_unsupported_body_type_is_415(client: TestClient) -> None:
    response = client.post("/api/v1/generate/melody", content=b"<xml/>", headers={"content-type": "application/xml"})
    assert response.status_code == 415


def test_models_lists_the_learned_velocities(client: TestClient, tmp_path: Path) -> None:
    tables = {m["name"]: m for m in client.get("/api/v1/models").json()["generation"]}
    assert set(tables) == {"groove_dynamics", "groove_timing", "melody_harmony"}
    assert tables["melody_harmony"]["loaded"] is True and tables["melody_harmony"]["chords"] == 36
    dynamics = tables["groove_dynamics"]
    assert dynamics["loaded"] is True and "funk" in dynamics["styles"]
    assert tables["groove_timing"]["loaded"] is True
    status = client.get("/api/v1/status").json()
    assert any(m["name"] == "groove_dynamics" and m["loaded"] for m in status["ai_models"])
    # Without the file the engine still serves, and says why the velocities are the backends' own.
    with engine_client(make_settings(tmp_path, models_dir=tmp_path / "empty")) as bare:
        bare_tables = {m["name"]: m for m in bare.get("/api/v1/models").json()["generation"]}
        missing = bare_tables["groove_dynamics"]
        assert missing["loaded"] is False and "No such file" in missing["error"]
        assert bare.post("/api/v1/generate/midi", json={"style": "funk", "bars": 2}).status_code == 200


def test_only_this_machines_host_names_are_served(client: TestClient, tmp_path: Path) -> None:
    for host in ("localhost", "localhost:9000", "127.0.0.1:9000", "[::1]:9000"):
        assert client.get("/health", headers={"host": host}).status_code == 200, host
    rebinding = client.post("/api/v1/generate/midi", headers={"host": "evil.example:9000"}, data={"bars": "1"})
    assert rebinding.status_code == 421 and rebinding.json()["error"] == "host_not_allowed"
    with engine_client(make_settings(tmp_path, allowed_hosts=["studio.local"])) as named:
        assert named.get("/health", headers={"host": "studio.local:9000"}).status_code == 200


def test_web_pages_elsewhere_cannot_call_the_engine(client: TestClient, tmp_path: Path) -> None:
    # A form POST is a "simple" request: a browser sends it cross-site without asking first.
    evil = client.post("/api/v1/generate/midi", data={"bars": "1"}, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403 and evil.json()["error"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in evil.headers
    front_end = client.post("/api/v1/generate/midi", data={"bars": "1"}, headers={"origin": "http://localhost:3000"})
    assert front_end.status_code == 200
    assert front_end.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert client.post("/api/v1/generate/midi", data={"bars": "1"}).status_code == 200  # curl, JUCE: no Origin
    with engine_client(make_settings(tmp_path, cors_origins=["https://studio.example"])) as configured:
        ok = configured.post("/api/v1/generate/midi", json={"bars": 1}, headers={"origin": "https://studio.example"})
        assert ok.status_code == 200


def test_a_json_body_without_a_length_is_read_only_up_to_its_limit(client: TestClient) -> None:
    from api.params import MAX_JSON_BYTES

    def chunks():  # noqa: ANN202 - a generator body: sent chunked, without a Content-Length
        yield b'{"chords": "'
        for _ in range(MAX_JSON_BYTES // (1 << 20) + 2):
            yield b"C " * (1 << 19)
        yield b'"}'

    # Read whole before (and then refused for its chords); now refused once past the limit.
    response = client.post("/api/v1/generate/midi", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "JSON body" in response.json()["detail"]


def test_the_lifespan_owns_the_analysis_thread_pools(tmp_path: Path) -> None:
    from ai import pools

    pools.shutdown()
    with engine_client(make_settings(tmp_path)) as started:
        assert pools._side is not None and pools._tracks is not None  # created at start-up
        side = pools.side()
        assert started.get("/health").status_code == 200
    assert pools._side is None and pools._tracks is None  # shut down with the service
    assert side._shutdown  # noqa: SLF001 - the executor itself was stopped


NO_PARAMETER_ROUTES = [
    ("GET", "/health"),
    ("HEAD", "/health"),
    ("GET", "/"),
    ("GET", "/api/v1/models"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/status"),
    ("GET", "/ui"),
    ("GET", "/api/v1/core/status"),
    ("GET", "/api/v1/library/files/1"),
]


def test_routes_without_parameters_refuse_an_unknown_one(client: TestClient) -> None:
    """These answered 200 and ignored the name, though the README says an unknown name is 422 naming it."""
    for method, path in NO_PARAMETER_ROUTES:
        response = client.request(method, f"{path}?foo=1")
        assert response.status_code == 422, (method, path, response.status_code)
        if method == "GET":
            assert response.json() == {
                "error": "invalid_parameter",
                "detail": "foo: unknown parameter; this route takes no parameters",
            }
        assert client.request(method, path).status_code != 422, (method, path)


def test_a_transport_command_with_an_unknown_parameter_is_not_forwarded(tmp_path: Path) -> None:
    with run_core_standin(mode="normal") as core, engine_client(make_settings(tmp_path, core_url=core.url)) as client:
        refused = client.post("/api/v1/core/transport/play?x=1")
        played = client.post("/api/v1/core/transport/play")
    assert refused.status_code == 422 and refused.json()["detail"].startswith("x: unknown parameter")
    assert played.status_code == 200
    assert [r.path for r in core.received if r.method == "POST"] == ["/api/v1/transport/play"]  # the second only


def test_docs_list_the_422_of_routes_without_parameters(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/health", "get"), ("/api/v1/jobs", "get"), ("/api/v1/core/transport/{action}", "post")):
        assert "422" in paths[path][method]["responses"], path


UPLOAD_ROUTES = [
    "/api/v1/generate/midi",
    "/api/v1/generate/bassline",
    "/api/v1/generate/melody",
    "/api/v1/analyze/audio",
    "/api/v1/transcribe",
    "/api/v1/generate/accompaniment",
]


def test_docs_list_the_statuses_the_routes_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in UPLOAD_ROUTES:  # a cut-off multipart body
        assert "bad_request" in paths[path]["post"]["responses"]["400"]["description"], path
    for path, method in (
        ("/api/v1/library/scan", "post"),
        ("/api/v1/library/search", "get"),
        ("/api/v1/analyze/project", "post"),
    ):  # a form field over 1 MB; a gzipped or text/plain body
        assert {"413", "415"} <= set(paths[path][method]["responses"]), path
    assert "422" in paths["/api/v1/jobs"]["get"]["responses"]


def test_docs_list_the_body_types_the_routes_read(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/command", "/api/v1/mixing/suggest", "/api/v1/mixing/auto_level", "/api/v1/mixing/render"):
        content = paths[path]["post"]["requestBody"]["content"]
        assert {"multipart/form-data", "application/json", "application/x-www-form-urlencoded"} <= set(content), path
    render = paths["/api/v1/mixing/render"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert "master" in render["schema"]["properties"]
    for path in ("/api/v1/transcribe", "/api/v1/generate/accompaniment"):  # the recording needs a multipart body
        body = paths[path]["post"]["requestBody"]
        assert body["required"] and set(body["content"]) == {"multipart/form-data"}, path
        assert body["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    search = paths["/api/v1/library/search"]["get"]
    assert "requestBody" not in search and "key" in {p["name"] for p in search["parameters"]}
    # What the document now lists is read: Jarvis's JSON command, DAWG-CORE's form on mixing.
    parsed = client.post("/api/v1/command", json={"command": "drums, hip hop, two bars", "dry_run": True})
    assert parsed.status_code == 200 and parsed.json()["action"] == "generate_drums", parsed.text
    advice = client.post("/api/v1/mixing/suggest", data={"target": "club"})
    assert advice.status_code == 200 and advice.json()["status"] == "no_audio", advice.text
