"""Where a transcription's memory goes, stage by stage: what POST /api/v1/transcribe runs (the upload
read block by block into the analysis's one pass, then ``transcribe_summary``), in this process, with
the process's RSS sampled every 10 ms on a thread (psutil) and each sample put in the stage it fell in.

    .venv/bin/python bench/transcription_memory.py [--minutes 30] [--instrument pitched|melody|drums] [--wav FILE]

Prints, per stage, the largest RSS over the RSS before the request. The analysis is warmed up first, as
the server's start-up does (the pitched and drum models load on the first request there too); the
figure that counts is bench/request_memory.py's, from a real server.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from request_memory import long_wav  # noqa: E402

from ai.analysis import pipeline  # noqa: E402
from ai.transcription import drums, pitched  # noqa: E402

transcribe = importlib.import_module("ai.transcription.transcribe")  # the package's name is its function

SAMPLE_EVERY_S = 0.01


class StageSampler:
    """RSS samples of this process, each filed under the stage that was running."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.stage = "start"
        self.order: list[str] = []
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def enter(self, stage: str) -> None:
        self._sample()
        self.stage = stage
        if stage not in self.order:
            self.order.append(stage)
        self._sample()

    def _sample(self) -> None:
        rss = self.process.memory_info().rss
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(SAMPLE_EVERY_S)

    def __enter__(self) -> StageSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def staged(sampler: StageSampler, stage: str, after: str | None, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run as ``stage``; ``after`` names what runs once it returns (None: the stage goes on)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sampler.enter(stage)
        try:
            return fn(*args, **kwargs)
        finally:
            if after is not None:
                sampler.enter(after)

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--instrument", choices=["pitched", "melody", "drums"], default="pitched")
    parser.add_argument("--wav", type=Path, help="a recording instead of bench/request_memory.py's song")
    args = parser.parse_args()
    wav = args.wav
    if wav is None:
        wav = Path(tempfile.mkdtemp(prefix="dawg-transcription-memory-")) / f"song_{args.minutes}min.wav"
        long_wav(wav, args.minutes)
    pipeline.warm_up()  # what the server's start-up does (api/startup.py)
    sampler = StageSampler()
    # The stages, in the order transcribe_summary runs them (pitched or drums, then the analysis).
    stages = (
        (transcribe, "pitched_notes", "notes", "after the notes"),
        (pitched, "load_model", "notes: model load", "notes: model runs + decoding"),
        (drums, "drum_hits", "drum hits (model)", "after the notes"),
        (transcribe, "analyze_summary", "analysis: STFT pass", "grid, quantize, MIDI"),
        (pipeline, "finish_features", "analysis: features", "analysis: rhythm, key, chords"),
    )
    for module, name, stage, after in stages:
        setattr(module, name, staged(sampler, stage, after, getattr(module, name)))
    time.sleep(0.5)
    before = sampler.process.memory_info().rss
    with sampler:
        sampler.enter("read into the one pass")
        summary = pipeline.summarize_file(wav, name=wav.name, max_duration_s=3600.0)
        sampler.enter("before the notes")
        result = transcribe.transcribe_summary(summary, instrument=args.instrument)
        sampler.enter("done")
    print(f"{wav.name}: {len(result.notes)} notes, RSS before {before / 2**20:.0f} MB")
    for stage in sampler.order:
        print(f"  {stage:<32} peak growth {(sampler.peaks[stage] - before) / 2**20:>6.0f} MB")
    print(f"  {'largest':<32} peak growth {(max(sampler.peaks.values()) - before) / 2**20:>6.0f} MB")


if __name__ == "__main__":
    main()
