"""Mixing requests whose stems are decoded into stem files (api/mix_input.py, ai/audio/stem_file.py)
answer exactly what the in-memory path answers, and leave no file behind, on success or on error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api import mix_input
from tests.api.conftest import engine_client, make_settings
from tests.api.test_mixing import stems, wav

SECONDS = 30.0


def _session() -> list[tuple[str, tuple[str, bytes, str]]]:
    """Three 30-second stereo stems (kick, bass, vocals: a left-right difference each) and a mono pad."""
    tracks = stems(SECONDS)
    files = [
        ("files", (f"{name}.wav", wav(np.stack([y, np.roll(y, k + 1) * np.float32(0.9)])), "audio/wav"))
        for k, (name, y) in enumerate(tracks.items())
    ]
    return files + [("files", ("Pad.wav", wav(tracks["Bass"][::-1] * np.float32(0.5)), "audio/wav"))]


def _answers(client: TestClient, files: list[tuple[str, tuple[str, bytes, str]]]) -> dict[str, bytes]:
    out = {}
    asks = [
        ("suggest", {}),
        ("auto_level", {}),
        ("render", {"master": "true"}),  # mastered: the limiter's passes and the chosen one
        ("render", {"format": "flac", "bit_depth": "16", "apply": "auto_level,eq,compressor"}),
        ("render", {"format": "json", "apply": "gain,pan,stereo,automation"}),
    ]
    for k, (route, data) in enumerate(asks):
        response = client.post(f"/api/v1/mixing/{route}", data=data, files=files)
        assert response.status_code == 200, response.text
        out[f"{k} {route}"] = response.content
        out[f"{k} headers"] = repr(sorted((h, v) for h, v in response.headers.items() if h.startswith("x-"))).encode()
    return out


def test_stem_files_answer_byte_for_byte_what_memory_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    files = _session()
    with engine_client(make_settings(tmp_path, upload_dir=uploads)) as client:
        in_memory = _answers(client, files)  # 32 MB of stems: within mix_input.IN_MEMORY_BYTES
        monkeypatch.setattr(mix_input, "IN_MEMORY_BYTES", 0)  # every stem into a stem file
        written: list[Path] = []
        real = mix_input.decode_stem

        def spy(*args: object, **kwargs: object) -> object:
            audio = real(*args, **kwargs)  # type: ignore[arg-type]
            written.append(getattr(audio, "path", None))  # type: ignore[arg-type]
            return audio

        monkeypatch.setattr(mix_input, "decode_stem", spy)
        on_disk = _answers(client, files)
    assert len(written) == 20 and all(path is not None and path.parent == uploads for path in written)
    assert on_disk == in_memory
    assert b'"status":"success"' in on_disk["0 suggest"] and on_disk["2 render"][:4] == b"RIFF"
    assert on_disk["3 render"][:4] == b"fLaC" and b'"applied"' in on_disk["4 render"]
    assert list(uploads.iterdir()) == []  # each request's stem files went with it


def test_no_stem_file_is_left_after_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr(mix_input, "IN_MEMORY_BYTES", 0)
    files = _session()[:2]
    with engine_client(make_settings(tmp_path, upload_dir=uploads)) as client:
        # A broken third stem: the two decoded before it are deleted.
        broken = client.post(
            "/api/v1/mixing/suggest",
            files=files + [("files", ("Bad.wav", wav(stems(1.0)["Bass"])[:3000], "audio/wav"))],
        )
        # A target refused after decoding, while measuring.
        refused = client.post("/api/v1/mixing/auto_level", data={"target": "loud"}, files=files)
        # A master and a reference next to the stems.
        both = client.post(
            "/api/v1/mixing/suggest", files=files + [("master", files[0][1]), ("reference", files[1][1])]
        )
    assert broken.status_code == 422 and "Bad" in broken.json()["detail"]
    assert refused.status_code == 422, refused.text
    assert both.status_code == 200 and "master" in both.json()["mix"]
    assert list(uploads.iterdir()) == []


def test_a_request_cancelled_while_decoding_leaves_no_stem_file(tmp_path: Path) -> None:
    """The client goes away while a worker thread still writes stem files: what the thread made is
    deleted when it finishes, not left in the upload folder."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ai.audio.stem_file import write_stem_file

    started, release = threading.Event(), threading.Event()

    def decode() -> list[object]:
        started.set()
        release.wait(10)
        return [
            write_stem_file([np.zeros((2, 1000), dtype=np.float32)], channels=2, sample_rate=44100, directory=tmp_path)
        ]

    class Engine:
        pool = ThreadPoolExecutor(1)

        async def run(self, fn: object, *args: object) -> object:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)  # type: ignore[arg-type]

    async def scenario() -> None:
        request = asyncio.ensure_future(mix_input._owned(Engine(), decode))  # type: ignore[arg-type]
        await asyncio.to_thread(started.wait, 10)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        release.set()
        for _ in range(200):  # the thread finishes and its stem file is closed after
            await asyncio.sleep(0.01)
            if not any(tmp_path.iterdir()):
                break

    asyncio.run(scenario())
    assert not any(tmp_path.iterdir())
