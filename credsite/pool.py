"""The one process pool: map a pure function over many jobs, on every core when it pays.

forkserver, not fork: safe when the build runs on a thread (``credsite serve``). Results come back
in job order, so output never depends on scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")

MAX_WORKERS = 8


def parallel_map(
    function: Callable[[Job], Result], jobs: Iterable[Job], *, threshold: int
) -> Iterator[Result]:
    """`map(function, jobs)`, spread over worker processes when there are at least `threshold`
    jobs and more than one core (starting workers costs more than a few small jobs)."""
    jobs = list(jobs)
    cores = os.cpu_count() or 1
    if len(jobs) < threshold or cores < 2:
        yield from map(function, jobs)
        return
    workers = min(cores, MAX_WORKERS)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(function, jobs, chunksize=max(1, len(jobs) // (workers * 4)))
