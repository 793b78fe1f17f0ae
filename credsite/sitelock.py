"""One credsite command at a time writes a site: a lock on ``.credsite-running`` in its folder.

Two builds at once (a build in each terminal, a `revoke` during a build, a `serve` reading while a
build writes) would each mint from the same lockfile and swap their own site in, so one build's
credentials would be published but not recorded. Every command that writes the lockfile, the
content or the output (``build``, ``revoke``/``suspend``/``reinstate``, ``keys generate``) holds
an exclusive `fcntl.flock` on the file for its whole run; ``serve``, which writes nothing in the
site, holds a shared one while a rebuild reads it, so it never reads a write half done and never
blocks another preview. A command that finds the site locked says so and waits up to `WAIT`
seconds, then refuses. The kernel releases the lock when its process ends, even on kill -9: a
lock is never stale, and the file may stay (it is git-ignored).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from credsite.errors import CredsiteError

NAME = ".credsite-running"
WAIT = 120.0
"""Seconds a command waits for another to finish before it refuses."""
_POLL = 0.1
_held = threading.local()


def _stderr(message: str) -> None:
    print(f"credsite: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def site_lock(
    root: Path,
    *,
    shared: bool = False,
    wait: float | None = None,
    notify: Callable[[str], None] = _stderr,
) -> Iterator[None]:
    """Hold the site's lock (exclusive, or `shared` for readers) for the body of the `with`.

    Re-entrant within a thread. A site folder that cannot hold the lock file (read-only: nothing
    can be written there, by this command or another) is not locked.
    """
    path = Path(root).resolve() / NAME
    held: set[Path] = getattr(_held, "paths", set())
    if path in held:
        yield
        return
    fd = _open(path)
    if fd is None:
        yield
        return
    try:
        _acquire(fd, shared, WAIT if wait is None else wait, notify, path.parent)
        with contextlib.suppress(OSError):  # for the message of a command that has to wait
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held.paths = held | {path}
        try:
            yield
        finally:
            _held.paths = held
    finally:
        os.close(fd)  # releases the lock


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT):
            raise CredsiteError(f"cannot lock the site: {path}: {exc.strerror}") from None
    try:  # read-only: lock an existing file, or none
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _acquire(fd: int, shared: bool, wait: float, notify: Callable[[str], None], root: Path) -> None:
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    holder = _holder(fd)
    notify(f"another credsite command is running in {root} ({holder}); waiting for it to finish…")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            continue
    raise CredsiteError(
        f"another credsite command is still running in {root} ({_holder(fd)}) after "
        f"{wait:.0f} s: nothing was done. Run this again when it has finished (credsite lets one "
        f"command at a time write a site, through {NAME})."
    )


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode("ascii").strip())
        return f"pid {pid}"
    return "pid unknown"
