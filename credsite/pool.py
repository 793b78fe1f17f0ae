"""The one process pool: map a pure function over many jobs, on every core when it pays.

forkserver, not fork: safe when the build runs on a thread (``credsite serve``). Results come back
in job order, so output never depends on scheduling.

`parallel_map_shared` also gives every job one read-only value (a build's settings, a theme):
each worker process unpickles it once, not once per job.

Inside `session()` (a build) every map shares one pool, started when it is first needed: its
workers start, import credsite and warm their caches (the JSON-LD contexts, each credential
shape's canonical form, the theme) once per build rather than once per map. Outside a session
each map starts its own workers and stops them when it is done.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures._base import CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import Any, TypeVar

from credsite.errors import CredsiteError

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

BROKEN_POOL_CHECK = 0.1
"""Seconds between checks, while waiting for a chunk, that the pool is not broken, and that
Ctrl-C was not pressed (held back meanwhile: `interrupts_deferred`)."""

_session = threading.local()
"""This thread's session: `active`, and its `pool` once started (a build runs on one thread)."""
_worker_tasks: dict[bytes, Callable[[Any], Any]] = {}
"""In a worker process: the function its current map runs, with the shared value bound, by the
digest of what it was unpickled from (`_run_chunk_in_worker`)."""


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Let every map in the block, on this thread, share one pool of workers (nested: the outer
    session's); the workers are stopped when the block ends."""
    if getattr(_session, "active", False):
        yield
        return
    _session.active, _session.pool = True, None
    try:
        yield
    finally:
        pool: ProcessPoolExecutor | None = _session.pool
        _session.active, _session.pool = False, None
        if pool is not None:
            with interrupts_deferred():  # a press now is raised once the pool has stopped
                pool.shutdown(wait=True, cancel_futures=True)


def parallel_map(
    function: Callable[[Job], Result], jobs: Iterable[Job], *, threshold: int
) -> InOrder[Result]:
    """`map(function, jobs)`, spread over worker processes when there are at least `threshold`
    jobs and more than one core (starting workers costs more than a few small jobs).

    `jobs` that is not a list or tuple is taken as it is asked for (see `parallel_map_shared`)."""
    return parallel_map_shared(_call, function, jobs, threshold=threshold)


def parallel_map_shared(
    function: Callable[[Shared, Job], Result],
    shared: Shared,
    jobs: Iterable[Job],
    *,
    threshold: int,
) -> InOrder[Result]:
    """`function(shared, job)` for each of `jobs`, in order, as `parallel_map`: `shared` must be
    picklable (it may hold what is not by pickling only how to make it again: see
    ``__getstate__``); each worker unpickles it once.

    `jobs` that is not a list or tuple (a generator) is taken on the caller's thread as the
    workers need more: a caller that makes each job (a document to sign) makes the next ones
    while the workers do the first, and never holds them all. What is taken first tells
    whether there are enough jobs for workers and how to share them out: `threshold` jobs, or
    enough for four chunks of `MAX_CHUNK` per worker (on 2 cores, 512); then each chunk as
    the workers take one, `CHUNKS_AHEAD` per worker ahead of the results taken. Run in this
    process (too few jobs, one core), each job is made as its result is taken."""
    rest: Iterator[Job] = iter(jobs)
    cores = os.cpu_count() or 1
    workers = min(cores, MAX_WORKERS)
    # A list whole; a generator, as much as sizes its chunks (all of it, if that is all)
    first = list(rest if isinstance(jobs, (list, tuple)) else
                 itertools.islice(rest, max(threshold, workers * 4 * MAX_CHUNK)))  # fmt: skip
    if len(first) < threshold or cores < 2:
        return InOrder(map(functools.partial(function, shared), itertools.chain(first, rest)))
    chunk = max(1, min(MAX_CHUNK, len(first) // (workers * 4)))
    # Sent with every chunk (a pool of a session may run other maps' chunks in between), but
    # pickled here once, and unpickled once per worker: it is known by its digest.
    task = pickle.dumps((function, shared), protocol=pickle.HIGHEST_PROTOCOL)
    key = hashlib.sha256(task).digest()
    pool, own = _pool(workers)
    every = itertools.chain(first, rest)
    chunks = iter(lambda: list(itertools.islice(every, chunk)), [])
    submitted = _submit_each(pool, key, task, chunks)
    return InOrder(None, submitted, workers * CHUNKS_AHEAD + 1, pool, own)


def _submit_each(
    pool: ProcessPoolExecutor, key: bytes, task: bytes, chunks: Iterator[list[Any]]
) -> Iterator[Future[list[Any]]]:
    """Each chunk given to the pool, as it is asked for, its jobs pickled here and now.

    Pickled here, not by the pool's sending thread later: a job may pickle what only this build
    can read while it runs (a signed document held in its `credsite.spill.Spill`). Pickled
    there after the build had stopped (Ctrl-C, an error), such a job failed in that thread, and
    the pool, told to cancel what was left, then waited for good for a result that never came.

    A pool whose worker has just died may fail a submit otherwise than with `BrokenProcessPool`,
    before it has shut itself down: ``RuntimeError`` (it no longer takes work) or ``OSError``
    (it was starting a new worker with the queues it was closing). Each of those, once the pool
    says it is broken, is that."""
    for part in chunks:
        jobs = pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with interrupts_deferred():
                future = pool.submit(_run_chunk_in_worker, key, task, jobs)
        except (RuntimeError, OSError) as error:
            if not _broken(pool):
                raise
            raise BrokenProcessPool(str(error)) from None
        yield future


class InOrder(Iterator[Result]):
    """The results of a map, in job order: computed as they are taken (in this process), or
    by the pool's workers a few chunks ahead of the caller (`CHUNKS_AHEAD`).

    `ready` says whether the next result can be taken without waiting, so that a caller with
    other work to do takes results as the workers make them (the build bakes images while the
    workers render pages). `close` stops it early: no more chunks start, and no more results
    are given. Used by the thread that made it."""

    def __init__(
        self,
        results: Iterator[Result] | None,
        chunks: Iterator[Future[list[Result]]] | None = None,
        ahead: int = 0,
        pool: ProcessPoolExecutor | None = None,
        own_pool: bool = False,
    ) -> None:
        self._results = results
        self._chunks = chunks
        self._ahead = ahead
        self._pool = pool
        self._own_pool = own_pool
        self._pending: deque[Future[list[Result]]] = deque()
        self._taken: deque[Result] = deque()
        self._top_up()

    def _top_up(self) -> None:
        while self._chunks is not None and len(self._pending) < self._ahead:
            try:
                future = next(self._chunks, None)
            except BrokenProcessPool:  # a worker ended before: the pool takes no more work
                self.close()
                raise WorkerLost() from None
            except BaseException:  # making a job failed (see `parallel_map_shared`): stop
                self.close()
                raise
            if future is None:
                self._chunks = None
                break
            self._pending.append(future)

    def ready(self) -> bool:
        """The next result is made: taking it does not wait (always False in this process,
        where results are made as they are taken)."""
        # The future's state read as `Future.done` reads it, but without taking its lock: asked
        # after every file the build adds, and Ctrl-C pressed while the lock was taken could
        # leave it held (`interrupts_deferred`, which costs more than the rest of the build's
        # work per file).
        return bool(self._taken) or bool(self._pending and self._pending[0]._state in _MADE)

    def __next__(self) -> Result:
        if self._results is not None:
            return next(self._results)
        try:
            while not self._taken:
                if not self._pending:
                    raise StopIteration
                self._taken.extend(self._result(self._pending.popleft()))
                self._top_up()
        except BrokenProcessPool:
            self.close()
            raise WorkerLost() from None
        except BaseException:  # done, or a job failed: start no more of them
            self.close()
            raise
        return self._taken.popleft()

    def close(self) -> None:
        """Stop: cancel the chunks not started (the caller stopped early, or a job failed)."""
        self._results = iter(())
        self._taken.clear()
        self._chunks = None
        with interrupts_deferred():
            for future in self._pending:
                future.cancel()
            self._pending.clear()
            if self._own_pool and self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _result(self, future: Future[list[Result]]) -> list[Result]:
        """The chunk's results, once made. A chunk given to the pool just as a worker died can be
        left by the pool neither done nor failed (its submit raced the pool marking its work
        failed): once the pool is broken, nothing will make it, so that is the pool broken too
        rather than a wait for good.

        Waited for in short turns, Ctrl-C held back in each (`interrupts_deferred`) and raised
        between them."""
        while True:
            with interrupts_deferred():
                if wait((future,), timeout=BROKEN_POOL_CHECK).done:
                    return future.result()
                if _broken(self._pool):
                    raise BrokenProcessPool("the pool broke before this chunk was made")

    __del__ = close  # dropped unfinished (its caller failed): as a generator's ``finally`` did


_MADE = frozenset({CANCELLED, CANCELLED_AND_NOTIFIED, FINISHED})
"""A future's states once done (`Future.done`)."""


class WorkerLost(CredsiteError):
    """A worker process ended without giving back its results: killed (by a user, or by the
    system for lack of memory) or crashed. The build stops like any other failed build."""

    def __init__(self) -> None:
        super().__init__(
            "a worker process of this command ended before its work was done: it was killed or "
            "it crashed. Run the command again. If the system ran out of memory, see "
            "'Hosting a large site' in credsite's README for the memory a large site needs"
        )


def _pool(workers: int) -> tuple[ProcessPoolExecutor, bool]:
    """The session's pool (started now if need be), or a pool of this map's own (True)."""
    if not getattr(_session, "active", False):
        return _new_pool(workers), True
    if _session.pool is None:
        with _interrupts_held():  # a Ctrl-C now is raised once the session holds the pool
            _session.pool = _new_pool(workers)
    return _session.pool, False


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C held back while the block runs, and raised as it ends (not lost).

    Around the start of a pool: Ctrl-C reaches every process of the command's process group, and
    in the moment a pool starts, the forkserver and the workers are still starting Python, before
    they can ignore it; each printed a ``KeyboardInterrupt`` traceback after the command's
    "Aborted!". A Ctrl-C inside the pool's own start also left it half made (a thread created
    and not started, which its shutdown could not join: a traceback), the command then ended
    before its workers had read what they were started with (another traceback, from the
    forkserver), and about one build in 20 so pressed hung.

    Two parts. SIGINT is blocked on this thread: every process started within the block has it
    blocked from its first instruction (a signal mask is inherited across fork and exec). And on
    the main thread, a press is held back (`interrupts_deferred`): the command has other threads
    (its progress display's), to which the system then delivers the signal, and whose press
    Python would raise here, inside the block.

    multiprocessing's resource tracker (for the pool's queues) is started first, outside the
    block: it holds SIGINT itself while it starts, then lets it through, which within the block
    would undo the block.

    The forkserver is one per process and keeps SIGINT blocked for life, and so does every
    process it starts: another "forkserver" pool in the same process would have workers that
    Ctrl-C never reaches either (what credsite's want: the command stops them)."""
    blockable = hasattr(signal, "pthread_sigmask")
    if blockable:
        resource_tracker.ensure_running()  # once per process; at once if it runs
    with interrupts_deferred():
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if blockable else None
        try:
            yield
        finally:
            if held is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a press held: noted, then raised


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C held back while the block runs, and raised as it ends (not lost): around every call
    into `concurrent.futures` (a pool's submit, a future's done, wait, result and cancel, a
    pool's shutdown) on the main thread.

    Python raises KeyboardInterrupt on the main thread between any two of its instructions, also
    inside `concurrent.futures` and `threading`, whose ``with`` blocks hold their locks through
    a Python ``__enter__`` and ``__exit__``: a press just after ``Condition.__enter__`` took a
    future's lock, or just before ``__exit__`` let it go, left the lock held by the main thread
    for good. The pool's thread then waited for good to give that future its result (or to
    cancel it), and the pool's shutdown waited for good for that thread (in a stress test that
    polls the pool as a build does, 8 presses in 30 hung).

    Only Python's handler is replaced, by one that notes the press, on the main thread (where
    Python runs signal handlers); elsewhere the block runs as it is. Nested, the inner block
    passes its press to the outer one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):  # ignored, or the system's default: nothing is raised
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda number, _frame: pressed.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        if pressed:
            handler(signal.SIGINT, None)  # the press, now: KeyboardInterrupt, as a rule


def _broken(pool: ProcessPoolExecutor | None) -> bool:
    """Whether `pool` knows it is broken (a worker ended): it then makes nothing more. Read
    from its own flag, set before it fails its work or closes its queues."""
    return bool(getattr(pool, "_broken", False))


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that end with this process, however it ends (`_end_with_parent`), and
    quietly when the pool breaks (`_Worker`)."""
    global _alive
    with _interrupts_held():
        if _alive is None:
            _alive = _CONTEXT.Pipe(duplex=False)
        pool = _Pool(
            max_workers=workers,
            mp_context=_CONTEXT,
            initializer=_end_with_parent,
            initargs=(_alive[0],),
        )
        try:
            pool.submit(os.getpid)  # its workers, the forkserver and the pool's threads start now
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return pool


class _Pool(ProcessPoolExecutor):
    """A process pool that starts all its workers at its first submit, as it does with "fork",
    rather than one more at each submit until it has them all (what it does with "forkserver"
    since Python 3.9). A worker started by a submit while the pool was breaking (another worker
    killed) could be one the pool never stopped, and the build then waited for it for good."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._safe_to_dynamically_spawn_children = False


class _Worker(ForkServerProcess):
    """A worker that ends without a traceback when the pool's queue does: when one worker is
    killed, the pool shuts down, and another may be reading its queue as it is closed (its
    traceback would reach the command's output, after the command's own message).

    It ignores SIGINT: Ctrl-C in a terminal reaches every process of the command, and it is the
    command's to handle (it stops the pool). A worker that ended on it left the chunks it was
    sent unread, and the command then waited for good, as it exited, to finish sending them."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        # A daemon: ended when the command ends, not waited for. Were a pool's start interrupted
        # after its workers started (`_interrupts_held` prevents that), no pool would stop them,
        # and the command waited, as it exited, for workers that wait for work.
        self.daemon = True

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            super().run()
        except (EOFError, OSError):
            os._exit(1)


class _Context(ForkServerContext):
    Process = _Worker


_CONTEXT = _Context()


_alive: tuple[Any, Any] | None = None
"""A pipe whose writing end only this process holds, for as long as it lives: its workers read
the other end, which ends when this process does (`_end_with_parent`)."""


def _end_with_parent(alive: Any) -> None:
    """In each worker process: end it when the process that started the pool has ended. A build
    killed with SIGKILL cannot stop its pool, whose workers would otherwise wait for work for
    good (with the forkserver and the resource tracker beside them)."""

    def wait() -> None:
        with contextlib.suppress(EOFError, OSError):
            alive.recv()  # nothing is ever sent: returns or fails only at the end of the pipe
        os._exit(1)

    threading.Thread(target=wait, name="credsite-parent-watch", daemon=True).start()


def _call(function: Callable[[Job], Result], job: Job) -> Result:
    return function(job)


def _run_chunk_in_worker(key: bytes, task: bytes, jobs: bytes) -> list[Any]:
    run = _worker_tasks.get(key)
    if run is None:
        function, shared = pickle.loads(task)  # pickled by this build a moment ago
        _worker_tasks.clear()  # a worker runs one map at a time: keep that one's task only
        run = _worker_tasks[key] = functools.partial(function, shared)
    return [run(job) for job in pickle.loads(jobs)]  # pickled by this build (`_submit_each`)
