"""The one process pool: map a pure function over many jobs, on every core when it pays.

forkserver, not fork: safe when the build runs on a thread (``credsite serve``). Results come back
in job order, so output never depends on scheduling.

`parallel_map_shared` also gives every job one read-only value (a build's settings, a theme):
it is pickled once per worker process rather than once per job.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")
Shared = TypeVar("Shared")

MAX_WORKERS = 8
MAX_CHUNK = 64
"""Jobs sent to a worker at once, at most: few enough that results stream back as they are made,
many enough that the cost of each round trip is small."""
CHUNKS_AHEAD = 2
"""Chunks given to the pool per worker beyond the one whose results are awaited: enough to keep
every worker busy, few enough that results the caller has not taken yet (rendered pages, say)
are never more than a few chunks in memory."""

_worker_task: list[Callable[[Any], Any]] = []
"""In a worker process: the function its jobs run, with the shared value bound (`_start_worker`)."""


def parallel_map(
    function: Callable[[Job], Result], jobs: Iterable[Job], *, threshold: int
) -> Generator[Result, None, None]:
    """`map(function, jobs)`, spread over worker processes when there are at least `threshold`
    jobs and more than one core (starting workers costs more than a few small jobs)."""
    return parallel_map_shared(_call, function, jobs, threshold=threshold)


def parallel_map_shared(
    function: Callable[[Shared, Job], Result],
    shared: Shared,
    jobs: Iterable[Job],
    *,
    threshold: int,
) -> Generator[Result, None, None]:
    """`function(shared, job)` for each of `jobs`, in order, as `parallel_map`: `shared` is sent
    to each worker process once, when it starts, and must be picklable (it may hold what is not
    by pickling only how to make it again: see ``__getstate__``)."""
    jobs = list(jobs)
    cores = os.cpu_count() or 1
    if len(jobs) < threshold or cores < 2:
        yield from map(functools.partial(function, shared), jobs)
        return
    workers = min(cores, MAX_WORKERS)
    chunk = max(1, min(MAX_CHUNK, len(jobs) // (workers * 4)))
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(function, shared),
    ) as pool:
        pending: deque[Future[list[Result]]] = deque()
        try:
            for start in range(0, len(jobs), chunk):
                pending.append(pool.submit(_run_chunk_in_worker, jobs[start : start + chunk]))
                if len(pending) > workers * CHUNKS_AHEAD:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:  # the caller stopped early, or a job failed: start no more of them
            for future in pending:
                future.cancel()


def _call(function: Callable[[Job], Result], job: Job) -> Result:
    return function(job)


def _start_worker(function: Callable[[Any, Any], Any], shared: Any) -> None:
    _worker_task.append(functools.partial(function, shared))


def _run_chunk_in_worker(jobs: list[Any]) -> list[Any]:
    return [_worker_task[-1](job) for job in jobs]
