"""Work whose result owns a file, cancelled while its worker thread still runs (the client went
away): the file is thrown away when the thread finishes; a request that is not cancelled keeps it."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from starlette.datastructures import UploadFile

from api.jobs.trigger import _save_uploads
from api.mix_input import _spooled, run_on_upload
from api.owned_results import run_owning
from api.params import RequestInput, remove_quietly


class _Engine:
    pool = ThreadPoolExecutor(1)

    async def run(self, fn: object, *args: object) -> object:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)  # type: ignore[arg-type]


def _writer(folder: Path, started: threading.Event, release: threading.Event) -> object:
    def write(name: str) -> Path:
        started.set()
        release.wait(10)
        path = folder / name
        path.write_bytes(b"an encoded answer")
        return path

    return write


def test_a_cancelled_request_leaves_no_file(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    async def scenario() -> None:
        request = asyncio.ensure_future(
            run_owning(_Engine(), remove_quietly, _writer(tmp_path, started, release), "answer.json")  # type: ignore[arg-type]
        )
        await asyncio.to_thread(started.wait, 10)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        release.set()
        await asyncio.to_thread(_Engine.pool.submit(lambda: None).result)  # the one worker wrote its file
        for _ in range(5):  # the done callback runs on the loop
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert not any(tmp_path.iterdir())


def test_a_finished_request_keeps_its_file(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()
    release.set()
    path = asyncio.run(
        run_owning(_Engine(), remove_quietly, _writer(tmp_path, started, release), "answer.json")  # type: ignore[arg-type]
    )
    assert path == tmp_path / "answer.json" and path.read_bytes() == b"an encoded answer"


class _SlowUpload(io.BytesIO):
    """An upload's spooled file whose first read waits: the request is cancelled while its copy runs."""

    def __init__(self, started: threading.Event, release: threading.Event) -> None:
        super().__init__(b"RIFF" + bytes(100_000))
        self.started, self.release = started, release

    def read(self, size: int | None = -1) -> bytes:
        self.started.set()
        self.release.wait(10)
        return super().read(size)


def _copying(folder: Path) -> Callable[[_Engine, UploadFile], Awaitable[object]]:
    async def through_mixing(engine: _Engine, upload: UploadFile) -> object:
        return await run_on_upload(engine, upload, lambda path: path)  # type: ignore[arg-type]

    async def through_stems(engine: _Engine, upload: UploadFile) -> object:
        async with _spooled(engine, [("Kick", upload)]) as spooled:  # type: ignore[arg-type]
            return spooled

    async def through_a_job(engine: _Engine, upload: UploadFile) -> object:
        return await _save_uploads(engine, RequestInput(files={"file": [upload]}))  # type: ignore[arg-type]

    return {"mixing": through_mixing, "stems": through_stems, "job": through_a_job}[folder.name]


@pytest.mark.parametrize("site", ["mixing", "stems", "job"])
def test_an_upload_copy_cancelled_while_it_runs_leaves_no_file(tmp_path: Path, site: str) -> None:
    """A job cancelled (or a client gone) while its upload was being copied to the upload folder: the thread
    finished the copy after the request had gone, and nobody deleted it (a 30 s WAV left 5 MB there)."""
    folder = tmp_path / site
    folder.mkdir()
    started, release = threading.Event(), threading.Event()
    engine = _Engine()
    engine.settings = SimpleNamespace(max_upload_bytes=1 << 30, upload_dir=folder)  # type: ignore[attr-defined]
    upload = UploadFile(_SlowUpload(started, release), filename="Kick.wav")

    async def scenario() -> None:
        request = asyncio.ensure_future(_copying(folder)(engine, upload))
        await asyncio.to_thread(started.wait, 10)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        release.set()
        await asyncio.to_thread(_Engine.pool.submit(lambda: None).result)  # the one worker finished its copy
        for _ in range(5):  # the done callback runs on the loop
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert not any(folder.iterdir())
