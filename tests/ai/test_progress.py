"""ai/progress.py: no-op outside a job, sections, pools, cancellation; and the real analysis, mixing and
render loops reporting through it without changing what they compute."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pytest

from ai import progress
from ai.analysis.pipeline import analyze
from ai.audio.decode import DecodedAudio
from ai.mixing.measure import TrackInput
from ai.mixing.render import render_mix_report
from ai.mixing.suggest import suggest
from tests.api.test_analysis import song_in_g_major
from tests.api.test_mixing import stems

T = TypeVar("T")
SR = 44100


class Recorder:
    """A reporter that keeps every report (and the thread it came from); cancellable."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, str | None]] = []
        self.checks = 0
        self.threads: set[str] = set()
        self.cancelled = threading.Event()
        self._lock = threading.Lock()

    def update(self, fraction: float, stage: str | None) -> None:
        self.check()
        with self._lock:
            self.reports.append((fraction, stage))
            self.threads.add(threading.current_thread().name)

    def check(self) -> None:
        with self._lock:
            self.checks += 1
        if self.cancelled.is_set():
            raise progress.Cancelled("cancelled")

    @property
    def fractions(self) -> list[float]:
        return [f for f, _ in self.reports]


def in_job(recorder: Recorder, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn`` run as a job's work runs: in a fresh context with the reporter attached."""
    context = contextvars.copy_context()
    context.run(progress.attach, recorder)
    return context.run(fn, *args, **kwargs)


def test_outside_a_job_everything_is_a_no_op() -> None:
    assert not progress.active()
    progress.report(0.5, "nothing listens")
    progress.check()
    with progress.section(0.2, 0.4, "nothing"):
        progress.report(1.0)
    with ThreadPoolExecutor(2) as pool:
        assert progress.map_in_pool(pool, lambda x: x * 2, [1, 2, 3]) == [2, 4, 6]


def test_sections_nest_into_the_enclosing_range() -> None:
    recorder = Recorder()

    def work() -> None:
        progress.report(0.0, "start")
        with progress.section(0.5, 1.0, "second half"):
            progress.report(0.5)
            with progress.section(0.5, 1.0, "inner"):
                progress.report(0.5)
            progress.report(2.0)  # clamped to the section's end

    in_job(recorder, work)
    assert recorder.reports == [
        (0.0, "start"),
        (0.5, "second half"),  # entering announces the stage
        (0.75, "second half"),
        (0.75, "inner"),
        (0.875, "inner"),
        (1.0, "inner"),  # the inner section's end
        (1.0, "second half"),
        (1.0, "second half"),
    ]


def test_map_in_pool_reports_items_as_they_finish_and_keeps_their_order() -> None:
    recorder = Recorder()

    def item(x: int) -> int:
        progress.report(0.99, "inside a pool task")  # quiet: a cancellation check only
        time.sleep(0.01 * (4 - x))
        return x * x

    with ThreadPoolExecutor(4) as pool:
        assert in_job(recorder, progress.map_in_pool, pool, item, [0, 1, 2, 3], "items") == [0, 1, 4, 9]
    # Items finishing together are one report: shares of 4 items, rising to all of them.
    assert recorder.fractions == sorted(recorder.fractions) and recorder.fractions[-1] == 1.0
    assert all(f in (0.25, 0.5, 0.75, 1.0) for f in recorder.fractions)
    assert all(stage == "items" for _, stage in recorder.reports)
    # Every update checks, and so does every report in the 4 pool tasks (on a loaded machine items may
    # finish together: fewer updates, so the count is of the updates made).
    assert recorder.checks >= len(recorder.reports) + 4


def test_cancellation_is_raised_in_the_working_threads() -> None:
    recorder = Recorder()
    started = threading.Event()
    stopped_in_pool = threading.Event()

    def item(x: int) -> int:
        try:
            for _ in range(500):
                started.set()
                progress.report(0.5)
                time.sleep(0.005)
        except progress.Cancelled:
            stopped_in_pool.set()
            raise
        return x

    def cancel_soon() -> None:
        started.wait(2)
        recorder.cancelled.set()

    threading.Thread(target=cancel_soon).start()
    with ThreadPoolExecutor(2) as pool, pytest.raises(progress.Cancelled):
        in_job(recorder, progress.map_in_pool, pool, item, [1, 2, 3, 4])
    assert stopped_in_pool.wait(1.0)


def test_analysis_reports_progress_and_computes_the_same() -> None:
    y = song_in_g_major(bars=8)
    audio = DecodedAudio(np.stack([y, 0.9 * y]), SR)
    recorder = Recorder()
    reported = in_job(recorder, analyze, audio)
    assert reported.to_dict() == analyze(audio).to_dict()
    assert recorder.fractions == sorted(recorder.fractions), recorder.reports
    stages = {stage for _, stage in recorder.reports}
    assert {"mono mix", "spectrogram", "rhythm", "key and chords"} <= stages
    assert recorder.fractions[0] == 0.0 and recorder.fractions[-1] >= 0.9  # key and chords come last


def test_suggest_and_render_report_progress_and_compute_the_same() -> None:
    def tracks() -> list[TrackInput]:
        return [TrackInput(name, DecodedAudio(np.stack([y, y]), SR)) for name, y in stems(4.0).items()]

    recorder = Recorder()
    assert in_job(recorder, suggest, tracks()).to_dict() == suggest(tracks()).to_dict()
    assert recorder.fractions == sorted(recorder.fractions) and recorder.fractions[-1] >= 0.85
    assert {"measuring stems", "tempo", "advice per stem"} <= {stage for _, stage in recorder.reports}

    recorder = Recorder()
    rendered = in_job(recorder, render_mix_report, tracks=tracks(), master_target="streaming")
    plain = render_mix_report(tracks=tracks(), master_target="streaming")
    assert np.array_equal(rendered.samples, plain.samples) and rendered.measured_after == plain.measured_after
    assert recorder.fractions == sorted(recorder.fractions), recorder.reports
    stages = {stage for _, stage in recorder.reports}
    assert {"advice", "processing stems", "mixing and mastering", "measuring again"} <= stages
    assert recorder.fractions[-1] == 1.0
