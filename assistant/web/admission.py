"""Admission to the model's worker threads: a bounded queue per kind of work, shed when full.

Answers (retrieval, sentence scoring, perhaps a language model) and lookups (a search,
a document) each have a :class:`Lane`: their own worker threads and their own queue, so
a search never waits behind answers. A request that finds its lane full is refused at
once with :class:`Busy`, saying how long the work already admitted should take (from
recent service times), instead of waiting tens of seconds in an unbounded queue.

A lane is driven from the event loop only: admission and its counters never need a lock.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

# Weight of the newest service time in the moving average behind Retry-After.
SMOOTHING = 0.2
# What a job is assumed to take before one has finished.
FIRST_ESTIMATE_SECONDS = 1.0
# The longest a job may expect to wait for a worker; past it the job is refused even with
# room in the queue, since a queue of slow answers is a long wait (16 answers of 3.6 s on
# 2 workers measured 31 s, bench/results/load_api_before_sentence_vectors.json).
MAX_WAIT_SECONDS = 5.0


class Busy(Exception):
    """The lane's workers and queue are full; ``retry_after`` is the estimated wait in s."""

    def __init__(self, lane: Lane, retry_after: int):
        super().__init__(
            f"the server is busy with other {lane.work} (running or waiting: {lane.pending}); "
            f"try again in {retry_after} s"
        )
        self.retry_after = retry_after


class Lane:
    """``workers`` threads and up to ``queue`` jobs waiting for one of them, first come first
    served, as long as the wait they can expect is at most ``max_wait`` seconds. ``work``
    names the jobs in messages ("answers")."""

    def __init__(self, work: str, *, workers: int, queue: int, max_wait: float = MAX_WAIT_SECONDS):
        if workers < 1 or queue < 0:
            raise ValueError(f"a lane needs 1 or more workers and a queue of 0 or more: {work}")
        self.work = work
        self.workers = workers
        self.capacity = workers + queue
        self.max_wait = max_wait
        self.pending = 0  # admitted and not yet finished: running plus waiting
        self.service_seconds: float | None = None  # a moving average, once a job has run
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=f"cables-{work}")

    def expected_wait(self) -> float:
        """Seconds a job admitted now would wait for a worker."""
        ahead = self.pending - self.workers + 1
        seconds = self.service_seconds or FIRST_ESTIMATE_SECONDS
        return max(0, ahead) * seconds / self.workers

    def retry_after(self) -> int:
        """Seconds until the work admitted so far should be done: its backlog over the workers."""
        seconds = self.service_seconds or FIRST_ESTIMATE_SECONDS
        return max(1, math.ceil(self.pending * seconds / self.workers))

    def run(self, job: Callable[[], T]) -> asyncio.Future[T]:
        """``job()`` in a worker thread, admitted now; :class:`Busy` at once if the lane is full."""
        return asyncio.wrap_future(self._submit(job))

    def stream(self, job: Callable[[], Generator[T, None, None]]) -> AsyncIterator[T]:
        """The items of ``job()``, iterated whole in one worker thread, as they come.

        Admitted now (:class:`Busy` at once if the lane is full), before the caller starts
        reading, so a refusal can still be an HTTP status. The worker stops at the next
        item once the reader goes away.
        """
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[T | _End] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            if stop.is_set():
                return
            with closing(job()) as iterator:
                for item in iterator:
                    loop.call_soon_threadsafe(items.put_nowait, item)
                    if stop.is_set():
                        return

        def end(done: Future[None]) -> None:
            error = None if done.cancelled() else done.exception()
            loop.call_soon_threadsafe(items.put_nowait, _End(error))

        # Called once the job has left the lane: a reader who sees the end sees it gone.
        self._submit(produce).add_done_callback(end)
        return _read(items, stop)

    def close(self) -> None:
        """Drop the jobs still waiting; the running ones finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _submit(self, job: Callable[[], T]) -> Future[T]:
        if self.pending >= self.capacity or self.expected_wait() > self.max_wait:
            raise Busy(self, self.retry_after())
        loop = asyncio.get_running_loop()

        def timed() -> T:
            started = time.perf_counter()
            try:
                return job()
            finally:
                loop.call_soon_threadsafe(self._finished, time.perf_counter() - started)

        future = self._executor.submit(timed)
        self.pending += 1
        # A job cancelled while it waited never runs ``timed``: it leaves the lane here.
        future.add_done_callback(
            lambda done: done.cancelled() and loop.call_soon_threadsafe(self._finished, None)
        )
        return future

    def _finished(self, seconds: float | None) -> None:
        self.pending -= 1
        if seconds is None:
            return
        previous = self.service_seconds
        self.service_seconds = (
            seconds if previous is None else previous + SMOOTHING * (seconds - previous)
        )


@dataclass(frozen=True)
class _End:
    """The last item of a stream: how it ended."""

    error: BaseException | None = None


async def _read(items: asyncio.Queue[T | _End], stop: threading.Event) -> AsyncIterator[T]:
    try:
        while not isinstance(item := await items.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
