"""Writing a file so that readers see the old or the new content, never half of one.

The lockfile, key files, edited YAML and the build caches all
write through here.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str | None:
    """What a file of this `st_mode` is when it is not a regular file (None for one), as
    messages about a path a user gave name it."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in FILE_KINDS if test(mode)), "not a regular file")


def unwritable(path: Path, what: str) -> str | None:
    """Why `write_atomic` must not write `what` at `path` (a user's -o, --export), or None.

    It replaces the file there, so `path` must be new or a regular file (a symlink to one is
    followed): over a device it replaced the device, as root /dev/null itself. The nearest
    folder above it that exists must be a folder (the others are made)."""
    try:
        kind = file_kind(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        kind = None
    except OSError as exc:
        return f"cannot write {what} there: {exc.strerror}"
    if kind == "a folder":
        return f"is a folder: give {what}'s file name"
    if kind is not None:
        return (
            f"is {kind}, not a file: writing {what} would replace it; give the name of a new or "
            "regular file"
        )
    for parent in path.absolute().parents:
        try:
            mode = os.stat(parent).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            return f"cannot reach {parent}: {exc.strerror}"
        return None if stat.S_ISDIR(mode) else f"{parent} is a file, not a folder"
    return None


def write_atomic(
    path: Path,
    data: bytes | Iterable[bytes],
    mode: int | None = None,
    *,
    head: tuple[int, Callable[[], bytes]] | None = None,
) -> None:
    """Write a file so that readers see the old or the new content, never half of one. `data`:
    its bytes, or its parts in order (a large file written without joining them first; made as
    they are written if an iterator).

    `head`: (size, what): the file starts with `what()`, `size` bytes, asked for once `data` is
    written (a digest of it: a large file is made and written in one pass).

    The file gets `mode` if given, else keeps an existing file's permissions (a new one is 0600
    until chmod: mkstemp), and a symlink keeps pointing at the replaced file.
    """
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None and path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if head is not None:
                handle.seek(head[0])
            handle.writelines([data] if isinstance(data, bytes) else data)
            if head is not None:
                first = head[1]()
                if len(first) != head[0]:
                    raise ValueError(f"a head of {len(first)} bytes where {head[0]} were kept")
                handle.seek(0)
                handle.write(first)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
