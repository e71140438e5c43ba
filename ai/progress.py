"""Progress of long work (analysis, mixing, generation), reported from inside the work itself.

The service runs long requests as jobs (api/jobs): a job attaches a :class:`Reporter` to the
context its work runs in, and the work calls :func:`report` at real stage boundaries and inside
its long loops. Outside a job every call here is a no-op costing one ContextVar lookup, so the
library functions behave exactly as before (same results, same exceptions).

* ``report(fraction, stage)``: the share of the current section done, 0..1.
* ``section(start, end, stage)``: nested work fills ``start..end`` of the enclosing section, so a
  function reports its own 0..1 whatever its caller is (``decode`` inside "the first 40 % of an
  analysis job").
* ``check()``: a cancellation point with no progress.
* ``map_in_pool(pool, fn, items)``: ``list(pool.map(fn, items))`` that reports items as they finish.

Cancellation: when the job is cancelled the reporter raises :class:`Cancelled` at the next
``report``/``check`` in whichever thread calls it, so CPU work stops at its next checkpoint.

Threads: a ContextVar does not follow work into another thread by itself. ``asyncio.to_thread``
copies the context; ``loop.run_in_executor`` does not (the engine's ``EngineState.run`` copies it);
:func:`map_in_pool` gives each pool task its own copy, in which reports are cancellation checks
only (tasks running side by side cannot share one fraction).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

POOL_CHECK_S = 0.25
"""While waiting on pool tasks, how often the waiting thread checks for cancellation (seconds)."""


class Cancelled(Exception):
    """The job this work belongs to was cancelled; raised at the work's next progress call."""


class Reporter(Protocol):
    """What a job attaches: takes overall progress (0..1) and the stage, raises Cancelled once the
    job is cancelled. Called from worker threads: implementations must be thread-safe."""

    def update(self, fraction: float, stage: str | None) -> None: ...

    def check(self) -> None: ...


@dataclass(frozen=True)
class _Scope:
    reporter: Reporter
    start: float  # the overall fraction this section starts at
    end: float
    stage: str | None
    quiet: bool = False  # a pool task beside others: cancellation checks only


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("dawg_progress", default=None)


def attach(reporter: Reporter, stage: str | None = None) -> None:
    """Make ``reporter`` receive the progress of work run in the current context from now on
    (a job calls this in the fresh context its work task runs in)."""
    _scope.set(_Scope(reporter, 0.0, 1.0, stage))


def active() -> bool:
    """Whether a job is listening (work may skip measuring what it would only report)."""
    return _scope.get() is not None


def report(fraction: float, stage: str | None = None) -> None:
    """``fraction`` (0..1) of the current section is done; ``stage`` names what runs now (default:
    the section's stage). Raises Cancelled when the job was cancelled; no-op outside a job."""
    scope = _scope.get()
    if scope is None:
        return
    if scope.quiet:
        scope.reporter.check()
        return
    done = min(max(fraction, 0.0), 1.0)
    scope.reporter.update(scope.start + done * (scope.end - scope.start), stage or scope.stage)


def check() -> None:
    """A cancellation point that reports no progress (raises Cancelled once the job is cancelled)."""
    scope = _scope.get()
    if scope is not None:
        scope.reporter.check()


def cancellation_probe() -> Callable[[], bool]:
    """A function any thread may call to learn whether the current job has been cancelled (always
    False outside a job): work that holds something for its job can let go of it once it is."""
    scope = _scope.get()
    if scope is None:
        return lambda: False
    reporter = scope.reporter

    def cancelled() -> bool:
        try:
            reporter.check()
        except Cancelled:
            return True
        return False

    return cancelled


@contextmanager
def section(start: float, end: float, stage: str | None = None) -> Iterator[None]:
    """Work inside the block fills ``start..end`` of the enclosing section: its ``report(0..1)``
    lands there. Announces ``stage`` on entry and reports the section done on a normal exit."""
    outer = _scope.get()
    if outer is None:
        yield
        return
    span = outer.end - outer.start
    inner = replace(outer, start=outer.start + start * span, end=outer.start + end * span, stage=stage or outer.stage)
    token = _scope.set(inner)
    try:
        report(0.0)
        yield
        report(1.0)
    finally:
        _scope.reset(token)


def _quiet_context() -> contextvars.Context:
    """A copy of the current context in which reports are cancellation checks only."""
    context = contextvars.copy_context()
    scope = context.get(_scope)
    if scope is not None:
        context.run(_scope.set, replace(scope, quiet=True))
    return context


def bind(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` to run in another thread with the caller's job: reports there are cancellation checks
    only. Each call of the result must be a separate bind (one context runs in one thread at a time)."""
    context = _quiet_context()

    def bound(*args: object) -> T:
        return context.run(fn, *args)

    return bound


def map_in_pool(pool: Executor, fn: Callable[[T], R], items: Sequence[T], stage: str | None = None) -> list[R]:
    """``list(pool.map(fn, items))`` that reports the share of items finished as they finish (in any
    order) and stops waiting once the job is cancelled (tasks not started are cancelled; running ones
    stop at their own next check). Results in the order of ``items``; an item's exception is raised
    as ``pool.map`` raises it (the first in order). Outside a job it is ``pool.map`` itself."""
    if _scope.get() is None:
        return list(pool.map(fn, items))
    futures: list[Future[R]] = [pool.submit(bind(fn), item) for item in items]
    try:
        pending: set[Future[R]] = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POOL_CHECK_S, return_when=FIRST_COMPLETED)
            if done:
                report((len(futures) - len(pending)) / len(futures), stage)
            else:
                check()
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
