"""The ``dawg-ai`` command line through Typer's CliRunner: in process (the engine built from DAWG_AI_* test
settings), its answers compared with the REST endpoints' of a real server (uvicorn on a free port), and
``--url`` against that server."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner, Result

from cli.app import app, clip_paths
from tests.api.conftest import make_settings
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.support.live_server import live_engine
from tests.support.ports import free_port

SR = 44100


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two short songs, three stems, a corrupt WAV and a MIDI-less text file."""
    tmp = tmp_path_factory.mktemp("files")
    songs = tmp / "songs"
    songs.mkdir()
    (songs / "g_major.wav").write_bytes(wav_bytes(song_in_g_major(bars=4)))
    (songs / "faster.wav").write_bytes(wav_bytes(song_in_g_major(bpm=128.0, bars=2)))
    (songs / "readme.txt").write_text("not audio: a folder scan skips it")
    t = np.arange(2 * SR) / SR
    stems = {
        "Kick": 0.6 * np.sin(2 * np.pi * 55 * t) * (t % 0.5 < 0.1),
        "Bass": 0.3 * np.sin(2 * np.pi * 110 * t),
        "Pad": 0.1 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.sin(2 * np.pi * 660 * t),
    }
    for name, y in stems.items():
        sf.write(tmp / f"{name}.wav", y.astype(np.float32), SR)
    (tmp / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    return {
        "songs": songs,
        "g_major": songs / "g_major.wav",
        "faster": songs / "faster.wav",
        "kick": tmp / "Kick.wav",
        "bass": tmp / "Bass.wav",
        "pad": tmp / "Pad.wav",
        "broken": tmp / "broken.wav",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The engine (theory backend, DAWG-CORE down) served by uvicorn on a free port: its base URL."""
    settings = make_settings(tmp_path_factory.mktemp("server"))
    with live_engine(settings) as base:
        yield base


def dawg_ai(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def rest(server: str, path: str, **request: Any) -> httpx.Response:
    with httpx.Client(base_url=server, timeout=60) as client:
        return client.request(request.pop("method", "POST"), path, **request)


def rest_analysis(server: str, path: Path) -> dict[str, Any]:
    response = rest(server, "/api/v1/analyze/audio", files={"file": (path.name, path.read_bytes(), "audio/wav")})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def no_engine(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make starting an engine in process fail, and record each try (its settings)."""
    import main

    started: list[object] = []

    def create_app(settings: object = None) -> None:
        started.append(settings)
        raise RuntimeError("an engine was started")

    monkeypatch.setattr(main, "create_app", create_app)
    return started


# ---------------------------------------------------------------- analyze


def test_analyze_json_answers_what_the_endpoint_answers(server: str, files: dict[str, Path]) -> None:
    result = dawg_ai("analyze", files["songs"], "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["file"] for row in rows] == [str(files["faster"]), str(files["g_major"])]  # sorted, .txt skipped
    for row in rows:
        assert {k: v for k, v in row.items() if k != "file"} == rest_analysis(server, Path(row["file"]))
    assert "analysed" in result.stderr and "2/2" in result.stderr  # the progress bar, on stderr


def test_analyze_csv_has_the_endpoint_s_values(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "analysis.csv"
    result = dawg_ai("analyze", files["g_major"], files["faster"], "--format", "csv", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["file"] for row in rows] == [str(files["g_major"]), str(files["faster"])]
    for row in rows:
        body = rest_analysis(server, Path(row["file"]))
        assert float(row["duration"]) == body["duration"]
        assert float(row["tempo"]) == body["tempo"]
        assert row["time_signature"] == body["time_signature"]
        assert row["key"] == body["key"]
        assert float(row["loudness_lufs"]) == body["loudness_lufs"]
        assert float(row["true_peak_dbtp"]) == body["true_peak_dbtp"]
        assert row["error"] == ""


def test_a_bad_file_is_a_row_with_its_error_and_the_others_go_on(files: dict[str, Path]) -> None:
    result = dawg_ai("--json", "analyze", files["broken"], files["g_major"], "--no-progress")
    assert result.exit_code == 1
    broken, good = json.loads(result.stdout)
    assert broken["file"] == str(files["broken"]) and broken["error"] == "undecodable_audio"
    assert broken["status"] == 422 and "broken.wav" in broken["detail"]
    assert good["file"] == str(files["g_major"]) and good["key"] == "G major"
    assert "1 of 2 files could not be analysed" in result.stderr


def test_in_process_the_service_s_per_file_limit_is_its_413(
    server: str, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAWG_AI_MAX_UPLOAD_MB", "0.0625")  # 64 KB: the songs are larger
    result = dawg_ai("--json", "analyze", files["g_major"], "--no-progress")
    assert result.exit_code == 1
    (row,) = json.loads(result.stdout)
    assert row["status"] == 413 and row["error"] == "payload_too_large"
    assert "g_major.wav: larger than the limit of 0.0625 MB per file" in row["detail"]


def test_in_process_the_service_s_duration_limit_is_its_413(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAWG_AI_MAX_AUDIO_DURATION_S", "2")
    result = dawg_ai("--json", "analyze", files["g_major"], "--no-progress")
    (row,) = json.loads(result.stdout)
    assert result.exit_code == 1 and row["status"] == 413, row


def test_files_analysed_side_by_side_keep_their_order(files: dict[str, Path]) -> None:
    one_at_a_time = dawg_ai("--json", "analyze", files["g_major"], files["broken"], files["faster"], "--no-progress")
    side_by_side = dawg_ai(
        "--json", "analyze", files["g_major"], files["broken"], files["faster"], "--no-progress", "--jobs", "3"
    )
    assert side_by_side.exit_code == one_at_a_time.exit_code == 1
    assert json.loads(side_by_side.stdout) == json.loads(one_at_a_time.stdout)


def test_the_table_names_every_file(files: dict[str, Path]) -> None:
    result = dawg_ai("analyze", files["g_major"], files["broken"], "--no-progress")
    assert result.exit_code == 1
    assert "g_major.wav" in result.stdout and "G major" in result.stdout and "undecodable_audio" in result.stdout


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_an_output_that_is_a_folder_is_refused_before_the_analysis(
    files: dict[str, Path], fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o naming a folder: every file was analysed (3.7 s for a few songs) before 'cannot write'; as a table the
    write was not even caught (a traceback)."""
    from cli import local_analysis

    analysed: list[Path] = []
    monkeypatch.setattr(local_analysis, "analyze_one", lambda path, settings: analysed.append(path))
    result = dawg_ai("analyze", files["songs"], "--format", fmt, "-o", tmp_path, "--no-progress")
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: cannot write '{tmp_path}' (Is a directory)\n"
    assert analysed == []


def test_an_output_under_a_file_is_refused_before_the_analysis(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli import local_analysis

    analysed: list[Path] = []
    monkeypatch.setattr(local_analysis, "analyze_one", lambda path, settings: analysed.append(path))
    (tmp_path / "a_file").write_text("")
    out = tmp_path / "a_file" / "sub" / "analysis.csv"
    result = dawg_ai("analyze", files["g_major"], "--format", "csv", "-o", out, "--no-progress")
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: cannot write '{out}' (Not a directory)\n"
    assert analysed == []


def test_an_output_in_a_folder_still_to_make_is_made(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "analysis.json"
    result = dawg_ai("analyze", files["g_major"], "--format", "json", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())[0]["key"] == "G major"


@pytest.mark.parametrize(
    ("args", "folder"),
    [
        (["generate", "drums", "-o", "OUT/drums.mid"], "drums.mid"),
        (["generate", "drums", "--variations", "2", "-o", "OUT/take{n}.mid"], "take2.mid"),
        (["transcribe", "SONG", "-o", "OUT/notes.mid"], "notes.mid"),
        (["command", "a funky bassline", "-o", "OUT/bass.mid"], "bass.mid"),
        (["mix", "SONG", "--render", "OUT/mix.wav"], "mix.wav"),
    ],
)
def test_every_output_is_checked_before_the_engine_starts(
    files: dict[str, Path], args: list[str], folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = no_engine(monkeypatch)
    (tmp_path / folder).mkdir()
    result = dawg_ai(*(arg.replace("OUT", str(tmp_path)).replace("SONG", str(files["g_major"])) for arg in args))
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: cannot write '{tmp_path / folder}' (Is a directory)\n"
    assert started == []


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = dawg_ai("analyze", tmp_path / "nothing.wav")
    assert result.exit_code == 2 and "no file or folder" in result.stderr


# ---------------------------------------------------------------- generate


def test_generate_with_a_seed_writes_the_endpoint_s_midi(server: str, tmp_path: Path) -> None:
    out = tmp_path / "bass.mid"
    result = dawg_ai(
        "generate", "bass", "--key", "A", "--scale", "minor", "--chords", "Am F C G", "--seed", "42", "-o", out
    )
    assert result.exit_code == 0, result.stderr
    params = {"key": "A", "scale": "minor", "chords": "Am F C G", "seed": 42}
    body = rest(server, "/api/v1/generate/bassline", json=params).json()
    assert out.read_bytes() == base64.b64decode(body["midi_base64"])
    assert "seed 42" in result.stdout and "model theory" in result.stdout


def test_a_drum_clip_is_summed_up_without_a_key(server: str, tmp_path: Path) -> None:
    # "drums: 8 bars of 4/4 at 120.0 BPM in D minor": drums play no key, whatever --key says.
    asked = ("--key", "D", "--scale", "minor", "--seed", "5", "-o")
    result = dawg_ai("--url", server, "generate", "drums", *asked, tmp_path / "d.mid")
    assert result.exit_code == 0, result.stderr
    assert "\ndrums: 4 bars of 4/4 at 120.0 BPM, 58 notes;" in result.stdout and " minor" not in result.stdout
    bass = dawg_ai("--url", server, "generate", "bass", *asked, tmp_path / "b.mid")
    assert " in D minor, " in bass.stdout


def test_variations_are_written_one_file_each(server: str, tmp_path: Path) -> None:
    result = dawg_ai("--json", "generate", "drums", "--style", "funk", "--seed", "7", "--variations", "2", "-o",
                     tmp_path / "groove.mid")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    body = rest(server, "/api/v1/generate/midi", json={"style": "funk", "seed": 7, "variations": 2}).json()
    assert json.loads(result.stdout) == body and len(body["variations"]) == 2
    for k, clip in enumerate(body["variations"], start=1):
        assert (tmp_path / f"groove-{k}.mid").read_bytes() == base64.b64decode(clip["midi_base64"])


def test_clip_paths() -> None:
    assert clip_paths(Path("a.mid"), 1) == [Path("a.mid")]
    assert clip_paths(Path("out/a.mid"), 2) == [Path("out/a-1.mid"), Path("out/a-2.mid")]
    assert clip_paths(Path("take{n}.mid"), 2) == [Path("take1.mid"), Path("take2.mid")]


def test_a_refused_parameter_is_the_service_s_422_and_exit_2(tmp_path: Path) -> None:
    result = dawg_ai("generate", "melody", "--key", "H", "-o", tmp_path / "m.mid")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid_parameter (HTTP 422): key: 'H' is not a key")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m.mid").exists()


@pytest.mark.parametrize("part", ["drums", "bass"])
def test_a_refused_parameter_is_refused_before_the_engine_starts(
    server: str, part: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--bars 99 took 8.7 s: the engine started and began loading Magenta, answered the 422, then the
    interpreter's exit failed the load under it (four tracebacks). The service's own checks now refuse it
    first, in its words."""
    monkeypatch.setenv("DAWG_AI_LOAD_MAGENTA", "true")
    started = no_engine(monkeypatch)
    result = dawg_ai("generate", part, "--bars", "99", "-o", tmp_path / "x.mid")
    path, values = (
        ("/api/v1/generate/midi", {"style": "drums"}) if part == "drums" else ("/api/v1/generate/bassline", {})
    )
    service = rest(server, path, json={**values, "bars": 99}).json()
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {service['error']} (HTTP 422): {service['detail']}\n"
    assert "bars: Input should be less than or equal to 32 (got 99)" in result.stderr
    assert started == []


def test_a_refused_parameter_beside_a_primer_is_read_as_the_form_sends_it(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = no_engine(monkeypatch)
    primer = tmp_path / "primer.mid"
    primer.write_bytes(b"MThd")  # not read: the parameters are refused first
    result = dawg_ai("generate", "melody", "--primer", primer, "--tempo", "400", "-o", tmp_path / "m.mid")
    files = {"primer": ("primer.mid", b"MThd", "audio/midi")}
    service = rest(server, "/api/v1/generate/melody", data={"tempo": "400.0"}, files=files).json()
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {service['error']} (HTTP 422): {service['detail']}\n"
    assert "tempo: Input should be less than or equal to 300 (got '400.0')" in result.stderr
    assert started == []


# ---------------------------------------------------------------- mix, models, command, transcribe


def test_mix_of_three_stems(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    stems = [files["kick"], files["bass"], files["pad"]]
    out = tmp_path / "mix.wav"
    result = dawg_ai("--json", "mix", *stems, "--render", out, "--master")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    uploads = [("files", (p.name, p.read_bytes(), "audio/wav")) for p in stems]
    assert answer["auto_level"] == rest(server, "/api/v1/mixing/auto_level", files=uploads).json()
    assert set(answer["auto_level"]["levels"]) == {"Kick", "Bass", "Pad"}
    suggested = rest(server, "/api/v1/mixing/suggest", files=uploads).json()
    assert answer["suggest"] == suggested
    mixed, sr = sf.read(out)
    assert sr == SR and mixed.shape[0] == 2 * SR
    assert answer["render"]["loudness_lufs"] == pytest.approx(-14.0, abs=0.5)

    table = dawg_ai("mix", *stems)
    assert table.exit_code == 0, table.stderr
    assert "priority" in table.stdout and "Kick" in table.stdout and " dB" in table.stdout
    # The gain's balance part is what the level findings speak of; the common makeup is said once.
    makeup = answer["auto_level"]["makeup_db"]
    assert "balance" in table.stdout and f"gain = balance {makeup:+.1f} dB" in " ".join(table.stdout.split())


def test_models(server: str) -> None:
    result = dawg_ai("--json", "models")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == rest(server, "/api/v1/models", method="GET").json()
    table = dawg_ai("models")
    assert table.exit_code == 0 and "theory" in table.stdout and "metrical_level" in table.stdout


def test_command_play_with_dawg_core_down_is_the_service_s_503() -> None:
    result = dawg_ai("command", "play")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: core_unreachable (HTTP 503): DAWG-CORE is unreachable")


def test_command_writes_a_midi_result(server: str, tmp_path: Path) -> None:
    text = "give me a funky bassline in D minor, eight bars at 96"
    result = dawg_ai("command", text, "--seed", "3", "-o", tmp_path / "c.mid")
    assert result.exit_code == 0, result.stderr
    body = rest(server, "/api/v1/command", json={"text": text, "seed": 3}).json()
    assert result.stdout.strip() == body["speech"]
    assert (tmp_path / "c.mid").read_bytes() == base64.b64decode(body["result"]["midi_base64"])


def test_transcribe_writes_the_endpoint_s_midi(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "notes.mid"
    result = dawg_ai("transcribe", files["g_major"], "-o", out)
    response = rest(server, "/api/v1/transcribe", files={"file": ("g_major.wav", files["g_major"].read_bytes())})
    if response.status_code == 404:  # the route is not served: the command says the service's 404
        assert result.exit_code == 2 and "HTTP 404" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == base64.b64decode(response.json()["midi_base64"])


# ---------------------------------------------------------------- --url


def test_url_calls_a_running_engine(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "drums.mid"
    result = dawg_ai("--url", server, "generate", "drums", "--seed", "5", "-o", out)
    assert result.exit_code == 0, result.stderr
    body = rest(server, "/api/v1/generate/midi", json={"style": "drums", "seed": 5}).json()
    assert out.read_bytes() == base64.b64decode(body["midi_base64"])
    analysed = dawg_ai("--url", server, "analyze", files["g_major"], "--format", "json", "--no-progress")
    assert analysed.exit_code == 0, analysed.stderr
    assert json.loads(analysed.stdout)[0]["key"] == "G major"
    refused = dawg_ai("--url", server, "generate", "bass", "--bars", "99", "-o", tmp_path / "b.mid")
    assert refused.exit_code == 2 and "invalid_parameter (HTTP 422): bars" in refused.stderr


def test_url_after_the_command_calls_the_running_engine(
    server: str, files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dawg-ai analyze song.wav --url URL` was "No such option: --url" (exit 2): it only went before the command."""
    started = no_engine(monkeypatch)
    analysed = dawg_ai("analyze", files["g_major"], "--format", "json", "--no-progress", "--url", server)
    assert analysed.exit_code == 0, analysed.output
    assert json.loads(analysed.stdout)[0]["key"] == "G major"
    out = tmp_path / "drums.mid"
    generated = dawg_ai("generate", "drums", "--seed", "5", "-o", out, "--url", server)
    assert generated.exit_code == 0, generated.output
    assert out.read_bytes() == base64.b64decode(
        rest(server, "/api/v1/generate/midi", json={"style": "drums", "seed": 5}).json()["midi_base64"]
    )
    for args in (["models"], ["command", "what key is this", "--dry-run"], ["library", "search", "--key", "Am"]):
        result = dawg_ai(*args, "--url", server)
        assert result.exit_code in (0, 2) and "No such option" not in result.output, (args, result.output)
    assert started == []  # every one called the server, none started an engine here
    down = dawg_ai("models", "--url", f"http://127.0.0.1:{free_port()}")
    assert down.exit_code == 1 and "did not answer GET /health" in down.stderr


def test_url_without_an_engine_says_so_and_exits_1() -> None:
    result = dawg_ai("--url", f"http://127.0.0.1:{free_port()}", "models")
    assert result.exit_code == 1 and "did not answer GET /health" in result.stderr


def test_command_names_its_own_option_for_a_missing_upload() -> None:
    """'What key is this' without audio: the command line takes --file, not a multipart field."""
    result = dawg_ai("command", "what key is this")
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: invalid_parameter (HTTP 422): --file: to answer about a recording")
    assert "pass it with --file PATH" in result.stderr and "multipart" not in result.stderr


def test_command_names_its_own_options_for_a_file_its_action_does_not_read(tmp_path: Path) -> None:
    """A stem beside "drums": the refusal named the multipart fields ('files: ... it reads: primer')."""
    stem = tmp_path / "Kick.wav"
    stem.write_bytes(wav_bytes(song_in_g_major(bars=1)))
    result = dawg_ai("command", "drums, hip hop, two bars", "--stem", stem)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(
        "error: invalid_parameter (HTTP 422): --stem: the command was understood as 'generate_drums', which does not "
        "read this file (it reads: --primer)"
    ), result.stderr


def test_command_masters_the_mix_given_with_master(server: str, files: dict[str, Path]) -> None:
    """'Master it louder' from the command line: --master sends the finished mix."""
    result = dawg_ai("--url", server, "--json", "command", "master it louder", "--master", files["g_major"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["action"] == "render_mix" and body["params"]["loudness"] == "louder" and "-11 LUFS" in body["speech"]


def test_command_compares_the_mix_with_the_track_given_with_reference(server: str, files: dict[str, Path]) -> None:
    """The command route reads a 'reference' upload; `dawg-ai command` had no option to send it."""
    stems = ["--stem", files["kick"], "--stem", files["pad"]]
    result = dawg_ai("--url", server, "--json", "command", "mixing advice", *stems, "--reference", files["g_major"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["result"].get("reference"), result.stdout


@pytest.mark.skipif(not list(Path("models").glob("*.mag")), reason="no Magenta bundles in models/")
def test_the_console_script_prints_no_library_noise(tmp_path: Path) -> None:
    """`dawg-ai generate bass` printed pydub's "Couldn't find ffmpeg or avconv" RuntimeWarning and TensorFlow's
    "failed call to cuInit" E-line before its answer. A real process: the warnings come with the imports."""
    env = {**os.environ, "DAWG_AI_LOAD_MAGENTA": "true", "PATH": "/usr/bin:/bin"}  # no ffmpeg on this PATH
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    out = tmp_path / "bass.mid"
    ran = subprocess.run(
        [sys.executable, "-m", "cli", "generate", "bass", "--seed", "1", "-o", str(out)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "model dawg_bass_improv" in ran.stdout  # Magenta ran: TensorFlow and pydub were imported
    assert "ffmpeg" not in ran.stderr and "cuInit" not in ran.stderr, ran.stderr
