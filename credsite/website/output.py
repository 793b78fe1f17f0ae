"""The built site in memory, and its all-or-nothing move onto disk.

Nothing touches the output folder until every file exists in memory; then the whole site is
written to ``<output>.staging`` beside it and swapped in, so a failed or interrupted build leaves
the previous site exactly as it was (Lektor's per-artifact commit, done once for the whole site).

`commit` also writes the files the site goes with (the lockfile) so that a site is never in place
without them: first the site is staged (where a full disk or a read-only folder shows), then each
record is written to a temporary file and renamed over its old version, which stays linked as a
backup, then the site is swapped in. If the swap fails the backups are renamed back, so a failed
build changes nothing; if the process is killed, the lockfile may already record credentials the
old site does not publish yet (the next build publishes them at the URLs recorded), never the other
way round.

The swap is one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere (or on a file system
without it) two renames through ``<output>.previous``. `recover`, run by every build before it
writes, completes an interrupted swap: ``<output>`` missing but ``<output>.previous`` there means
the process died between the two renames, and the previous site is put back.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from credsite.errors import CredsiteError, Location
from credsite.values import json_bytes

OUTPUT_MARKER = ".credsite-output"
"""A file every build writes into its output folder: the folder is credsite's to replace."""
OUTPUT_MARKER_TEXT = (
    b"This folder is written by credsite build, which replaces it whole on every build:\n"
    b"edit the site's content, not these files.\n"
)


class Output:
    """Site-relative POSIX path -> bytes; refuses a second write or a path leaving the site."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes | str) -> None:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"output path escapes the site: {path!r}")
        if path in self.files:
            raise ValueError(f"two outputs would be written to {path}")
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def add_json(self, path: str, document: Any) -> None:
        self.add(path, json_bytes(document))

    def total_bytes(self) -> int:
        return sum(len(d) for d in self.files.values())


def check_target(target: Path, site_root: Path, protected: list[Path]) -> None:
    """Refuse output folders whose replacement would destroy the user's own files."""
    resolved = target.resolve()
    root = site_root.resolve()
    if resolved == root or root.is_relative_to(resolved):
        raise CredsiteError(f"output folder {target} would replace the site itself")
    for path in protected:
        p = path.resolve()
        if resolved == p or p.is_relative_to(resolved) or resolved.is_relative_to(p):
            raise CredsiteError(f"output folder {target} overlaps {path}")
    if (resolved / "site.yaml").exists():
        raise CredsiteError(f"output folder {target} holds a site.yaml: refusing to replace it")


SHOWN_FILES = 5
"""How many of the files a build would delete `check_replaceable` names."""
_COUNTED_FILES = 100_000


def check_replaceable(target: Path, location: Location | None, shown: str) -> None:
    """Refuse to replace a folder credsite did not make: a build replaces its output whole.

    Replaced: nothing, an empty folder, a folder holding `OUTPUT_MARKER` (written by every build),
    or one shaped like the output of a credsite from before the marker (``.nojekyll``,
    ``credentials/`` and ``did.json`` or ``.well-known/did.json``). Anything else holds files of
    the user's, which the swap would delete: a `CredsiteError` at `location` (site.yaml's
    ``output``, or the -o option) naming them.
    """
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise CredsiteError(
            f"the output {shown} is a file, not a folder, and a build would replace it: choose "
            "a new or empty folder",
            location,
        )
    if (target / OUTPUT_MARKER).is_file() or _older_output(target):
        return
    files: list[str] = []
    for folder, dirs, names in os.walk(target):  # symbolic links are listed, never followed
        dirs.sort()
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        for name in sorted([*names, *links]):
            files.append(Path(folder, name).relative_to(target).as_posix())
        if len(files) > _COUNTED_FILES:
            break
    if not files:
        return  # an empty folder (or only empty folders)
    count = f"more than {_COUNTED_FILES:,}" if len(files) > _COUNTED_FILES else f"{len(files)}"
    listed = ", ".join(f"{shown.rstrip('/')}/{name}" for name in files[:SHOWN_FILES])
    if len(files) > SHOWN_FILES:
        listed += f" and {len(files) - SHOWN_FILES if count.isdigit() else 'many'} more"
    where = "pass -o" if location and location.path.startswith("-o") else "set 'output' to"
    raise CredsiteError(
        f"the output folder {shown} holds {count} file{'s' if count != '1' else ''} that "
        f"credsite did not write ({listed}): a build replaces its output folder whole and would "
        f"delete them: {where} a new or empty folder (such as _site), or move those files out "
        "of it",
        location,
    )


def _older_output(folder: Path) -> bool:
    """The output of a credsite from before `OUTPUT_MARKER`, recognised by its shape."""
    return (
        (folder / ".nojekyll").is_file()
        and (folder / "credentials").is_dir()
        and ((folder / "did.json").is_file() or (folder / ".well-known" / "did.json").is_file())
    )


@dataclass
class Committed:
    """What `commit` did: which records it wrote, and what it could not clean up."""

    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def commit(
    output: Output, target: Path, records: dict[Path, bytes] | None = None, shown: str = ""
) -> Committed:
    """Write the site to ``<target>.staging``, write `records` (path -> bytes, only those that
    change), then swap the site in for ``target``. A `CredsiteError` leaves everything as it was.
    """
    target = target.absolute()
    shown = shown or str(target)
    staging, previous = _beside(target, "staging"), _beside(target, "previous")
    recover(target, shown)
    try:
        for rel, data in sorted(output.files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, data)
    except OSError as exc:
        _remove_tree(staging)
        raise _write_error(exc, f"cannot write the site to {shown}") from None
    done = Committed()
    backups: dict[Path, Path | None] = {}
    what = ""
    try:
        for link, data in (records or {}).items():
            what = f"cannot write {link.name}"
            path = link.resolve() if link.is_symlink() else link  # a symlink keeps pointing at it
            backups[path] = _replace_record(path, data)
            done.written.append(link)
        what = f"cannot put the new site in place of {shown}"
        old = _swap(staging, target, previous)
    except BaseException as exc:
        for path, backup in reversed(backups.items()):
            _restore_record(path, backup)
        _remove_tree(staging)
        if isinstance(exc, OSError):
            raise _write_error(exc, what) from None
        raise
    for backup in backups.values():
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()
    if old is not None and not _remove_tree(old):
        done.warnings.append(
            f"the new site is in place, but the previous one could not be removed: "
            f"delete {old} by hand"
        )
    return done


def write_file(path: Path, data: bytes) -> None:
    """One file of the staged site (a seam for tests that fill the disk)."""
    path.write_bytes(data)


def recover(target: Path, shown: str = "") -> None:
    """Finish what an interrupted build left beside ``target`` (call with the site locked)."""
    target = target.absolute()
    staging, previous = _beside(target, "staging"), _beside(target, "previous")
    if not os.path.lexists(target) and previous.is_dir():
        os.rename(previous, target)  # killed between the two renames: the previous site is back
    for leftover in (staging, previous):
        if os.path.lexists(leftover) and not _remove_tree(leftover):
            raise CredsiteError(
                f"cannot remove {leftover}, left by an earlier build: delete it by hand "
                f"(the site {shown or target} is not affected)"
            )


def _beside(target: Path, suffix: str) -> Path:
    return target.with_name(f"{target.name}.{suffix}")


def _write_error(exc: OSError, what: str) -> CredsiteError:
    reason = exc.strerror or str(exc)
    hint = {
        errno.ENOSPC: "free some space and build again",
        errno.EDQUOT: "free some space and build again",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "check the folder's permissions",
        errno.EPERM: "check the folder's permissions",
        errno.ENAMETOOLONG: "a file name is too long",
    }.get(exc.errno or 0)
    return CredsiteError(
        f"{what}: {reason}{f' ({hint})' if hint else ''}. Nothing was changed: the previous "
        f"site and lockfile are as they were"
    )


# -- records: written before the swap, put back if it fails ----------------------------------------


def _replace_record(path: Path, data: bytes) -> Path | None:
    """Write `path` atomically, keeping its old version linked at a backup name; the backup."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        backup: Path | None = None
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
            backup = record_backup(path)
            with contextlib.suppress(FileNotFoundError):
                backup.unlink()
            try:
                os.link(path, backup)  # no copy: the old version under a second name
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                    raise
                shutil.copy2(path, backup)  # a file system without hard links
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return backup


def record_backup(path: Path) -> Path:
    """Where `commit` keeps a record's old version until the new site is in place."""
    return path.with_name(f".{path.name}.previous")


def recover_record(path: Path) -> None:
    """Remove what an interrupted `commit` left beside a record (call with the site locked): the
    record itself is always whole, old or new, and either is safe (see the module docstring)."""
    leftovers = [record_backup(path), *path.parent.glob(f".{path.name}.*.tmp")]
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            leftover.unlink()


def _restore_record(path: Path, backup: Path | None) -> None:
    with contextlib.suppress(OSError):
        if backup is None:
            path.unlink()
        else:
            os.replace(backup, path)
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the swap ------------------------------------------------------------------------------------------


def _swap(staging: Path, target: Path, previous: Path) -> Path | None:
    """Put `staging` in place of `target`; return where the old site now is (None: there was
    none)."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    if exchange(staging, target):
        return staging  # the old site, now under the staging name
    os.replace(target, previous)
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(previous, target)
        raise
    return previous


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (glibc < 2.28, musl < 1.2.?)
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_EXCHANGE = _renameat2()


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system cannot."""
    if _EXCHANGE is None:
        return False
    if _EXCHANGE(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # this kernel or file system has no exchange: two renames instead
    raise OSError(code, os.strerror(code), str(b))


def _remove_tree(path: Path) -> bool:
    """Remove a folder (or file) even where a folder in it is read-only (chmod -w), as its owner
    can; False if it could not."""
    if not os.path.lexists(path):
        return True
    if not path.is_dir() or path.is_symlink():
        with contextlib.suppress(OSError):
            path.unlink()
        return not os.path.lexists(path)
    with contextlib.suppress(OSError):
        shutil.rmtree(path)
    if os.path.lexists(path):
        with contextlib.suppress(OSError):
            _make_writable(path)
            shutil.rmtree(path)
    return not os.path.lexists(path)


def _make_writable(folder: Path) -> None:
    mode = stat.S_IMODE(folder.lstat().st_mode)
    if mode & stat.S_IRWXU != stat.S_IRWXU:
        os.chmod(folder, mode | stat.S_IRWXU)
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            _make_writable(child)
