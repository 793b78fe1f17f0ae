"""The built site, streamed file by file to a staging folder, and its all-or-nothing move onto disk.

Nothing touches the output folder until the whole site is staged: each file is written to
``<output>.staging`` beside it as it is made (the site is never held in memory), then the staging
folder is swapped in, so a failed or interrupted build leaves the previous site exactly as it was
(Lektor's per-artifact commit, done once for the whole site). A small change is moved in file by
file instead, with a journal that the next build rolls back by if this one is killed (below).

A build rewrites only what changed. The build cache keeps a manifest of the site in place: each
file's SHA-256, size, inode and modification time, and for a file made from known inputs (a page, a
baked image) the `credsite.cache.fingerprint` of those inputs. A file whose bytes (or inputs) are
those the manifest records, and whose copy in the output folder is still the one the manifest
describes, is hard-linked from there into the staging folder instead of being written (or even
made): its bytes and modification time stay as they were. When every file is such a file and the
output folder holds nothing else, there is nothing to swap and the site is left alone.

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

A small change is not swapped in: staging every unchanged file of a large site (a hard link each)
and removing the old site cost more than the rest of such a rebuild. When fewer files were
written than kept, and nothing in place must go, `_patch` moves the written files into the site
in place instead: their old versions are first linked into ``<output>.replaced`` and named in
``<output>.journal``, which `recover` reads to put them back if the process died half-way, so
the next build again starts from the previous site whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import stat
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from os import link as _hard_link  # bound here: a test that stops os.link aims at records
from pathlib import Path
from typing import Any

from credsite.atomic import write_atomic
from credsite.cache import KeptMap, digest
from credsite.errors import CredsiteError, Location
from credsite.pool import interrupts_deferred
from credsite.values import cache_json_bytes, json_bytes, read_cache_json

OUTPUT_MARKER = ".credsite-output"
"""A file every build writes into its output folder: the folder is credsite's to replace."""
OUTPUT_MARKER_TEXT = (
    b"This folder is written by credsite build, which replaces it whole on every build:\n"
    b"edit the site's content, not these files.\n"
)
MANIFEST_VERSION = "site manifest 1: inputs, sha256, size, inode, mtime_ns"
DIGEST_LENGTH = 32
"""Hex digits of each digest kept in the manifest (128 bits: to tell versions of a file apart)."""

WRITERS = 4
"""Threads writing staged files: the system calls release the GIL, so files are written while the
build makes the next ones (creating a file costs about as much as rendering a small page)."""
PENDING = 512
"""Files at most handed to the writers and not yet written (bounds the memory they hold)."""
WRITE_BATCH = 32
"""Files handed to a writer thread at once: handing one over (a future, a lock, waking the
thread) costs the build about as much as making a small file, and a site is many of them."""
REMOVERS = 16
"""Threads removing a replaced site's files. Where the file system gives freed blocks back to the
disk as it goes (ext4 mounted `discard`, as on many cloud disks) each removal waits on the disk;
many at once overlap. 130,000 files of a 10,000-award site: 12.9 s on one thread, 3.6-4.7 s on
16 (a 2-core VM). Fewer files than `REMOVE_IN_PARALLEL`: one thread."""
REMOVE_IN_PARALLEL = 2000

Scan = Callable[[str, bytes], None]
"""Looks at every file's bytes before it is published (`credsite.website.secrets.Scanner`)."""
Progress = Callable[[str, int, int], None]
"""(stage, done, total), as `credsite.build.build` reports it."""

Written = tuple[os.stat_result | None, str | None]
"""A file a writer thread wrote: its status (None: look it up), and its `_sha` if asked for."""


@dataclass(frozen=True)
class Seal:
    """The files published encrypted (private credentials, `credsite.issuing.private`): each is
    given to `Output.add` in clear under its own path and published as NAME + `suffix`."""

    paths: dict[str, tuple[str, str]]
    """Path as added -> (credential token, NAME it is encrypted under)."""
    encrypt: Callable[[str, str, bytes], bytes]
    """(token, name, plaintext) -> the published bytes (deterministic)."""
    inputs: str
    """What the encrypted bytes depend on besides the plaintext (a digest of the secret): part of
    a sealed file's fingerprint, so a new secret makes every sealed file again."""
    suffix: str = ".enc"


class Output:
    """The site being built: site-relative POSIX path -> bytes, streamed to ``<target>.staging``.

    Refuses a second write to a path or a path leaving the site. `manifest` is the cache file
    describing the site in place (None: write every file); `scan` sees every added file's bytes.
    Call `commit` to put the site in place, or `abort` to drop what was staged.
    """

    def __init__(
        self,
        target: Path,
        *,
        shown: str = "",
        manifest: Path | None = None,
        scan: Scan | None = None,
        seal: Seal | None = None,
    ) -> None:
        self.target = target.absolute()
        self._target = str(self.target)
        self.shown = shown or str(self.target)
        self.staging = _beside(self.target, "staging")
        self._staging = str(self.staging)
        self.manifest = KeptMap(manifest, MANIFEST_VERSION, compact=True)
        self.scan = scan
        self.seal = seal
        self.records: dict[str, list[Any] | None] = {}
        """This build's files: path -> [inputs, sha256, size, inode, mtime_ns] while the file is
        being written, then None: its record is the manifest's (`_complete`; held on disk, see
        `KeptMap.hold_in`, it is not in memory: 13 files per award)."""
        self._bytes = 0
        """The size of every file added: `total_bytes`."""
        self.linked: list[str] = []
        """Files unchanged since the site in place: hard-linked from it when the site is staged."""
        self.new: list[str] = []
        """Files written in this build (to the staging folder)."""
        self._writers: ThreadPoolExecutor | None = None
        self._batch: list[tuple[str, str, bytes, bool]] = []
        """Files not yet handed to the writers: (path, where it is staged, bytes, hash it)."""
        self._pending: deque[tuple[list[tuple[str, str]], Future[list[Written]]]] = deque()
        """Batches handed to the writers: ((path, where it is staged) each, the future)."""
        self._pending_files = 0
        self._folders: set[str] = set()
        self._checked: set[str] = set()
        """Folders `_check` found in the site (a path's file name is checked every time)."""
        self._staged = False
        recover(self.target, self.shown)

    # -- adding files ------------------------------------------------------------------------------

    def add(self, path: str, data: bytes | str, *, inputs: str = "", scan: bool = True) -> None:
        """Add one file. `inputs`: the fingerprint of what it was made from (see `keep`);
        `scan=False` only for a file made of others that were scanned (a baked image). A path
        `seal` names is scanned as given, then published encrypted (see `Seal`)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if scan and self.scan is not None:
            self.scan(path, raw)
        sealed = self.seal.paths.get(path) if self.seal is not None else None
        if sealed is not None and self.seal is not None:
            token, name = sealed
            path, inputs = name + self.seal.suffix, self._sealed_inputs(inputs)
            raw = self.seal.encrypt(token, name, raw)
        self._check(path)
        inputs = inputs[:DIGEST_LENGTH]
        in_place = self._in_place(path, take=True)
        if in_place is None:  # nothing to compare with: the writer thread hashes it (`_write`)
            self._write(path, raw, inputs, None)
            return
        sha = _sha(raw)
        previous, packed = in_place
        if previous[1] == sha and previous[0] == inputs:
            self._link(path, packed, previous[2], as_taken=True)
        elif previous[1] == sha:
            self._link(path, _packed([inputs, *previous[1:]]), previous[2])
        else:
            self._write(path, raw, inputs, sha)

    def add_json(self, path: str, document: Any) -> None:
        self.add(path, json_bytes(document))

    def keep(self, path: str, inputs: str) -> bool:
        """Keep the file the site in place has at `path` if it was made from the same `inputs` (a
        `credsite.cache.fingerprint`): True, and the file need not be made again."""
        sealed = self.seal.paths.get(path) if self.seal is not None else None
        if sealed is not None and self.seal is not None:
            path, inputs = sealed[1] + self.seal.suffix, self._sealed_inputs(inputs)
        self._check(path)
        inputs = inputs[:DIGEST_LENGTH]
        in_place = self._in_place(path, take=False)
        if in_place is None or not inputs or in_place[0][0] != inputs:
            return False  # left in the manifest for `add` to compare the bytes made with
        self.manifest.take(path, read=False)  # read just now
        self._link(path, in_place[1], in_place[0][2], as_taken=True)
        return True

    def _sealed_inputs(self, inputs: str) -> str:
        assert self.seal is not None
        return digest(inputs, self.seal.inputs) if inputs else ""

    @property
    def written(self) -> int:
        """Files written in this build (the others are kept from the site in place)."""
        return len(self.new)

    @property
    def files(self) -> int:
        return len(self.records)

    def total_bytes(self) -> int:
        return self._bytes

    def _check(self, path: str) -> None:
        if path in self.records:
            raise ValueError(f"two outputs would be written to {path}")
        # A site's files share a few folders: each folder is checked once (`_checked`).
        folder, slash, name = path.rpartition("/")
        if name in _NOT_A_NAME or (
            slash and folder not in self._checked and not _NOT_A_NAME.isdisjoint(folder.split("/"))
        ):
            raise ValueError(f"output path escapes the site: {path!r}")
        if slash:
            self._checked.add(folder)

    def _in_place(self, path: str, *, take: bool) -> tuple[list[Any], bytes] | None:
        """The manifest's record of `path`, read and as kept, if the site in place still has
        that very file; `take`: the manifest gives it up (`KeptMap.take`)."""
        packed = self.manifest.take(path) if take else self.manifest.peek(path)
        if not isinstance(packed, bytes):
            return None
        try:
            record = read_cache_json(packed)
        except ValueError:
            return None
        if type(record) is not list or len(record) != 5:
            return None
        try:
            info = os.lstat(f"{self._target}/{path}")
        except OSError:
            return None
        if (
            info.st_size != record[2]
            or info.st_ino != record[3]
            or info.st_mtime_ns != record[4]
            or not stat.S_ISREG(info.st_mode)
        ):
            return None
        return record, packed

    def _link(self, path: str, packed: bytes, size: int, *, as_taken: bool = False) -> None:
        """Keep the file in place; `as_taken`: with the manifest's entry as it was."""
        self.records[path] = None
        if as_taken:
            self.manifest.put_back(path, packed)
        else:
            self.manifest.put_json(path, packed)
        self.linked.append(path)
        self._bytes += size

    def _write(self, path: str, data: bytes, inputs: str, sha: str | None) -> None:
        """Hand the file to the writer threads; its record is completed once it is written
        (`_complete`), which every step that reads the staging folder waits for. `sha`: None
        to have the writer hash the bytes too (SHA-256 lets go of the GIL on large data, so a
        clean build hashes its site while it makes the next files)."""
        try:
            self._folder(path.rpartition("/")[0])
        except OSError as exc:
            self.abort()
            raise _write_error(exc, f"cannot write the site to {self.shown}") from None
        self.records[path] = [inputs, sha, len(data), 0, 0]
        self._bytes += len(data)
        self.new.append(path)
        self._batch.append((path, f"{self._staging}/{path}", data, sha is None))
        if len(self._batch) >= WRITE_BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        """Give the files batched so far to a writer thread (`WRITE_BATCH`)."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self._writers is None:
            self._writers = ThreadPoolExecutor(WRITERS, thread_name_prefix="credsite-write")
        jobs = [(destination, data, hash_it) for _, destination, data, hash_it in batch]
        with interrupts_deferred():  # a press inside the pool's locks would leave one held
            future = self._writers.submit(_write_and_hash, jobs)
        self._pending.append(([(path, destination) for path, destination, _, _ in batch], future))
        self._pending_files += len(batch)
        if self._pending_files > PENDING:
            self._complete(PENDING // 2)

    def _complete(self, keep: int = 0) -> None:
        """Wait for the writers until at most `keep` files are pending (handing over the files
        batched first), recording each file's inode and modification time; a failed write
        aborts the build with its message."""
        self._hand_over()
        while self._pending and self._pending_files > keep:
            files, future = self._pending.popleft()
            self._pending_files -= len(files)
            try:
                with interrupts_deferred():
                    written = future.result()
                for (path, destination), (info, sha) in zip(files, written, strict=True):
                    info = info or os.lstat(destination)
                    record = self.records[path]
                    assert record is not None
                    record[1] = sha or record[1]
                    record[2:] = [info.st_size, info.st_ino, info.st_mtime_ns]
                    self.records[path] = None
                    self.manifest.put_json(path, _packed(record))
            except OSError as exc:
                self.abort()
                raise _write_error(exc, f"cannot write the site to {self.shown}") from None

    def _folder(self, folder: str) -> None:
        if not self._staged:
            self.staging.mkdir()
            self._staged = True
        if folder and folder not in self._folders:
            os.makedirs(f"{self._staging}/{folder}", exist_ok=True)
            self._folders.add(folder)

    # -- putting it in place -------------------------------------------------------------------------

    def unchanged(self) -> bool:
        """Every file is the one in place, and the output folder holds no other."""
        self._complete()
        if self._staged or self.written or not self.target.is_dir():
            return False
        try:
            return _files_under(self.target) == set(self.records)
        except OSError:
            return False  # a folder it cannot read: staging the whole site will say what is wrong

    def patch_plan(self) -> list[str] | None:
        """The files to move into the site in place, when that is all a change needs (`_patch`):
        fewer files were written than kept, the site in place holds no file this build does not
        make (nothing to delete), and every written file's folder is there already. None: stage
        the whole site and swap it in."""
        self._complete()
        if not self._staged or len(self.new) > len(self.linked):
            return None
        if not self.target.is_dir() or self.target.is_symlink():
            return None
        try:
            if not _files_under(self.target) <= self.records.keys():
                return None
        except OSError:
            return None
        for path in self.new:
            folder = path.rpartition("/")[0]
            if folder and not stat.S_ISDIR(_lstat_mode(f"{self._target}/{folder}")):
                return None
        return list(self.new)

    def stage(self, progress: Progress | None = None) -> None:
        """Complete the staging folder: hard-link every unchanged file from the site in place."""
        self._complete()
        total = len(self.linked)
        every = max(1, total // 200)
        try:
            self._folder("")
            for done, path in enumerate(self.linked, 1):
                self._folder(path.rpartition("/")[0])
                self._stage_link(path)
                if progress is not None and (done % every == 0 or done == total):
                    progress("stage", done, total)
        except OSError as exc:
            self.abort()
            raise _write_error(exc, f"cannot write the site to {self.shown}") from None
        self.linked = []

    def _stage_link(self, path: str) -> None:
        source, destination = f"{self._target}/{path}", f"{self._staging}/{path}"
        try:
            _hard_link(source, destination, follow_symlinks=False)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                raise
            shutil.copy2(source, destination)  # no hard links here: a copy, same bytes and mtime
            info = os.lstat(destination)
            record = [*read_cache_json(self.manifest.held(path))[:3], info.st_ino, info.st_mtime_ns]
            self.manifest.put_json(path, _packed(record))

    def abort(self) -> None:
        """Drop everything staged (the site in place is untouched)."""
        pending, self._pending, self._batch = self._pending, deque(), []
        self._pending_files = 0
        with interrupts_deferred():  # (a second press: raised once the writers have stopped)
            for _files, future in pending:
                with contextlib.suppress(Exception):
                    future.result()  # a writer must not write into the folder removed next
            if self._writers is not None:
                self._writers.shutdown()
                self._writers = None
        if self._staged:
            _remove_tree(self.staging)
            self._staged = False
            self._folders.clear()

    def save_manifest(self) -> None:
        self._complete()
        if self._writers is not None:
            with interrupts_deferred():
                self._writers.shutdown()
            self._writers = None
        self.manifest.save()


def link_site(source: Path, target: Path, paths: list[str]) -> bool:
    """Make the new folder `target` hold the files `paths` of the site in `source`, each a hard
    link to it (what a preview starts from: `credsite.build.seed_preview`); a file missing there
    is left out. False, and nothing left, where a link cannot be made (another file system).
    Safe because a build never writes into a file of the site in place, only replaces it."""
    try:
        target.mkdir(parents=True)
    except OSError:
        return False
    folders: set[str] = set()
    try:
        for path in paths:
            folder, _, name = path.rpartition("/")
            if name in _NOT_A_NAME or path.startswith("/") or "\0" in path or (
                folder and not _NOT_A_NAME.isdisjoint(folder.split("/"))
            ):
                continue  # not a site path: the manifest was not written by a build
            if folder and folder not in folders:
                os.makedirs(target / folder, exist_ok=True)
                folders.add(folder)
            try:
                _hard_link(source / path, target / path, follow_symlinks=False)
            except FileNotFoundError:
                continue  # deleted from the site since: the preview makes it
    except OSError:
        _remove_tree(target)
        return False
    return True


_NOT_A_NAME = frozenset(("", ".", ".."))
"""Path segments no site path has (an empty one: ``a//b``, ``/a``, ``a/``)."""


def _files_under(folder: Path) -> set[str]:
    """Every file and symlink under `folder`, as site paths (a stray empty folder counts too)."""
    found: set[str] = set()
    pending = [(folder, "")]
    while pending:
        current, prefix = pending.pop()
        with os.scandir(current) as entries:
            empty = True
            for entry in entries:
                empty = False
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), f"{prefix}{entry.name}/"))
                else:
                    found.add(prefix + entry.name)
            if empty and prefix:
                found.add(prefix)
    return found


def check_target(target: Path, site_root: Path, protected: list[Path]) -> None:
    """Refuse output folders whose replacement would destroy the user's own files."""
    resolved = _resolved(target)
    root = _resolved(site_root)
    if resolved == root or root.is_relative_to(resolved):
        raise CredsiteError(f"output folder {target} would replace the site itself")
    for path in protected:
        p = _resolved(path)
        if resolved == p or p.is_relative_to(resolved) or resolved.is_relative_to(p):
            raise CredsiteError(f"output folder {target} overlaps {path}")
    try:
        holds_site = (resolved / "site.yaml").exists()
    except OSError as exc:
        raise CredsiteError(f"cannot use the output folder {target}: {exc.strerror}") from None
    if holds_site:
        raise CredsiteError(f"output folder {target} holds a site.yaml: refusing to replace it")


def _resolved(path: Path) -> Path:
    """`path` with its symbolic links followed; a loop of them, or a name the system refuses
    (longer than 255 bytes), is a `CredsiteError` naming it."""
    try:
        return path.resolve()
    except RuntimeError:  # Python 3.11's Path.resolve on a loop (3.13 raises OSError ELOOP)
        raise CredsiteError(f"{path} is a loop of symbolic links") from None
    except OSError as exc:
        raise CredsiteError(f"cannot use {path}: {exc.strerror or exc}") from None


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
    changed: bool = True
    """False when every file was the one in place: the site was left alone."""


def commit(
    output: Output, records: dict[Path, bytes] | None = None, progress: Progress | None = None
) -> Committed:
    """Stage the rest of the site, write `records` (path -> bytes, only those that change), then
    swap the site in for the output folder, or move a small change's files into it (`_patch`);
    when no file changed, only write the records. A `CredsiteError` leaves everything as it was,
    unless it says otherwise (a move that failed and could not be undone at once: the next build
    undoes it)."""
    target, shown = output.target, output.shown
    unchanged = output.unchanged()
    plan = None if unchanged else output.patch_plan()
    old_versions = _backed_up(target, plan) if plan is not None else None
    if old_versions is None:
        plan = None  # no hard links here: stage the whole site (copies) and swap it in
    if not unchanged and plan is None:
        output.stage(progress)
    done = Committed()
    backups: dict[Path, Path | None] = {}
    what = ""
    old = None
    try:
        for link, data in (records or {}).items():
            what = f"cannot write {link.name}"
            path = link.resolve() if link.is_symlink() else link  # a symlink keeps pointing at it
            backups[path] = _replace_record(path, data)
            done.written.append(link)
        if plan is not None:
            what = f"cannot put the new files in place in {shown}"
            _patch(output.staging, target, plan, old_versions or [])
        elif not unchanged:
            what = f"cannot put the new site in place of {shown}"
            old = _swap(output.staging, target, _beside(target, "previous"))
    except BaseException as exc:
        rolled_back = True
        if plan is not None:
            try:
                _roll_back(target)
                _remove_tree(_beside(target, "replaced"))
            except (OSError, ValueError):
                rolled_back = False  # the journal stays: the next build's `recover` puts it back
        for path, backup in reversed(backups.items()):
            _restore_record(path, backup)
        output.abort()
        if isinstance(exc, OSError) and not rolled_back:
            raise CredsiteError(
                f"{what}: {exc.strerror or exc}. Some files of {shown} are new and some old "
                f"until the next build, which puts the previous ones back "
                f"({_beside(target, 'journal')} names them); the lockfile is as it was"
            ) from None
        if isinstance(exc, OSError):
            raise _write_error(exc, what) from None
        raise
    for backup in backups.values():
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()
    if plan is not None and not _remove_tree(output.staging):  # its folders, emptied by the moves
        done.warnings.append(f"the new files are in place, but delete {output.staging} by hand")
    if plan is not None:
        old = _beside(target, "replaced")  # the replaced files' old versions
    if old is not None and not _remove_tree(old):
        done.warnings.append(
            f"the new site is in place, but the previous one could not be removed: "
            f"delete {old} by hand"
        )
    output.save_manifest()
    done.changed = not unchanged
    return done


def _packed(record: list[Any]) -> bytes:
    """A manifest record as the manifest holds it: its JSON bytes."""
    return cache_json_bytes(record)


def _sha(data: bytes) -> str:
    """A file's digest as the manifest keeps it."""
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


def _write_and_hash(jobs: list[tuple[str, bytes, bool]]) -> list[Written]:
    """On a writer thread: `write_file` for each (path, bytes, hash it), and the bytes' `_sha`
    if asked for (SHA-256 lets go of the GIL)."""
    return [(write_file(path, data), _sha(data) if hash_it else None) for path, data, hash_it in jobs]


def write_file(path: str | Path, data: bytes) -> os.stat_result | None:
    """One new file of the staged site, and its status (a seam for tests that fill the disk).

    Written with the system calls themselves: a site is thousands of small files, and Python's
    buffered file objects would cost almost as much again."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


def recover(target: Path, shown: str = "") -> None:
    """Finish what an interrupted build left beside ``target`` (call with the site locked)."""
    target = target.absolute()
    staging, previous = _beside(target, "staging"), _beside(target, "previous")
    replaced = _beside(target, "replaced")
    for leftover_tmp in target.parent.glob(f".{target.name}.journal.*.tmp"):
        with contextlib.suppress(OSError):  # killed while writing the journal (write_atomic)
            leftover_tmp.unlink()
    try:
        _roll_back(target)  # killed while moving a few new files in (`_patch`): the old ones back
    except (OSError, ValueError) as exc:
        raise CredsiteError(
            f"cannot undo the unfinished change of {shown or target} that "
            f"{_beside(target, 'journal')} describes ({exc}): delete {target}, "
            f"{_beside(target, 'journal')} and {replaced}, and build again"
        ) from None
    if not os.path.lexists(target) and previous.is_dir():
        os.rename(previous, target)  # killed between the two renames: the previous site is back
    for leftover in (staging, previous, replaced):
        if os.path.lexists(leftover) and not _remove_tree(leftover):
            raise CredsiteError(
                f"cannot remove {leftover}, left by an earlier build: delete it by hand "
                f"(the site {shown or target} is not affected)"
            )


def unfinished_change(target: Path) -> Path | None:
    """The journal of a small change a killed build left half moved into `target` (some files
    new, some old, until the next build rolls it back), or None."""
    journal = _beside(target.absolute(), "journal")
    return journal if journal.is_file() else None


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


# -- a small change: its files moved in, with a journal to undo it -----------------------------------


def _lstat_mode(path: str) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def _backed_up(target: Path, paths: list[str]) -> list[str] | None:
    """Hard-link the site's current version of each of `paths` (those it has) into
    ``<target>.replaced``, for `_patch`: those paths; None (and nothing kept) where the file
    system cannot."""
    replaced = _beside(target, "replaced")
    old = [path for path in paths if os.path.lexists(f"{target}/{path}")]
    try:
        for path in old:
            os.makedirs(f"{replaced}/{path.rpartition('/')[0]}", exist_ok=True)
            _hard_link(f"{target}/{path}", f"{replaced}/{path}", follow_symlinks=False)
    except OSError:
        _remove_tree(replaced)
        return None
    return old


def _patch(staging: Path, target: Path, paths: list[str], old: list[str]) -> None:
    """Move each of `paths` from `staging` into `target`, replacing the version there.

    A rebuild that changed a few files of a large site does this rather than staging every file
    to swap the whole site in. First ``<target>.journal`` names the files (`_backed_up` has
    linked their old versions into ``<target>.replaced``); until it is removed, `_roll_back`
    (which `recover` runs at the start of every build) puts the old versions back and removes
    the new files, so a build killed half-way leaves the previous site, as a swap does. Pages
    are moved last, so that while the files move, a page links only to files already there.
    `old`: those of `paths` the site had, whose old versions `_backed_up` linked."""
    _sync_folders(_beside(target, "replaced"), old)  # the old versions are on disk before the journal names them
    journal = _beside(target, "journal")
    plan = {"replaced": old, "added": sorted(set(paths) - set(old))}
    write_atomic(journal, json_bytes(plan))
    _sync_folder(journal.parent)
    for path in sorted(paths, key=lambda path: (path.endswith(".html"), path)):
        os.replace(f"{staging}/{path}", f"{target}/{path}")
    _sync_folders(target, paths)  # the moves are on disk before the journal goes
    journal.unlink()
    _sync_folder(journal.parent)


def _sync_folders(root: Path, paths: list[str]) -> None:
    """fsync each folder under `root` that holds one of `paths` (a few: the site's folders)."""
    for folder in sorted({path.rpartition("/")[0] for path in paths}):
        _sync_folder(root / folder)


def _journal_paths(plan: Any, name: str) -> list[str]:
    """The site paths a journal lists under `name`; ValueError if it is not one `_patch` wrote
    (or names a path outside the site)."""
    paths = plan.get(name) if isinstance(plan, dict) else None
    if not isinstance(paths, list):
        raise ValueError(f"no list of {name} files")
    for path in paths:
        if not isinstance(path, str) or path.startswith("/") or not _NOT_A_NAME.isdisjoint(
            path.split("/")
        ):
            raise ValueError(f"not a path of the site: {path!r}")
    return paths


def _roll_back(target: Path) -> None:
    """Undo a `_patch` that did not finish (nothing if ``<target>.journal`` is not there).

    If the site itself is gone (deleted by hand after the build was killed), there is nothing to
    put back: the journal and the old versions are dropped, and the next build writes the whole
    site. Raises ValueError on a journal that is not one `_patch` wrote."""
    journal = _beside(target, "journal")
    try:
        data = journal.read_bytes()
    except FileNotFoundError:
        return
    replaced = _beside(target, "replaced")
    if os.path.isdir(target) and not os.path.islink(target):
        plan = json.loads(data)
        old, added = _journal_paths(plan, "replaced"), _journal_paths(plan, "added")
        for path in old:
            if os.path.lexists(f"{replaced}/{path}"):
                os.replace(f"{replaced}/{path}", f"{target}/{path}")
        for path in added:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{target}/{path}")
        _sync_folders(target, [*old, *added])
    journal.unlink()
    _sync_folder(journal.parent)
    _remove_tree(replaced)


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
        _remove_files(path)
        shutil.rmtree(path)  # the folders, and any file left
    if os.path.lexists(path):
        with contextlib.suppress(OSError):
            _make_writable(path)
            shutil.rmtree(path)
    return not os.path.lexists(path)


def _remove_files(folder: Path) -> None:
    """Remove the files under `folder` (not following symlinks), on `REMOVERS` threads if there
    are many; a file that cannot be removed is left for `shutil.rmtree`, which then removes the
    folders."""
    files = [os.path.join(top, name) for top, _, names in os.walk(folder) for name in names]
    if len(files) < REMOVE_IN_PARALLEL:
        _unlink_all(files)
        return
    with interrupts_deferred(), ThreadPoolExecutor(
        REMOVERS, thread_name_prefix="credsite-remove"
    ) as removers:
        list(removers.map(_unlink_all, [files[i::REMOVERS] for i in range(REMOVERS)]))


def _unlink_all(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _make_writable(folder: Path) -> None:
    mode = stat.S_IMODE(folder.lstat().st_mode)
    if mode & stat.S_IRWXU != stat.S_IRWXU:
        os.chmod(folder, mode | stat.S_IRWXU)
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            _make_writable(child)
