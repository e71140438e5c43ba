"""Work whose result owns a file, cancelled while its worker thread still runs (the client went
away): the file is thrown away when the thread finishes; a request that is not cancelled keeps it."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.owned_results import run_owning
from api.params import remove_quietly


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
