"""What a build holds from one step to a later one, kept out of memory: every signed
credential's and learner record's JSON, and their detached proofs; and the entries a build puts
in its large cache maps until they are saved (`Spill.keep`, `cache.KeptMap.hold_in`).

A build signs every credential and record before it publishes any (the status lists, the learner
records and the pages need them all), and publishing reads each several times (its file, page and
baked images). Held in memory, that JSON was half of what a build held: about 1.6 GB at 100,000
awards. It is written instead, as it is made, to one unnamed temporary file (gone when the build
ends, however it ends), and read back when a file is made of it; what a rebuild keeps is compared
by the digest taken as it was written (`Spilled.digest`), without reading it. A rebuild that finds
a document unchanged by what it is made from knows it by the digest an earlier build recorded
(`later`), and makes it only if a file made from it must be made again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from credsite.errors import CredsiteError


class Spill:
    """One unnamed temporary file that bytes are added to and read back from (`put`)."""

    def __init__(self, folder: Path | None = None) -> None:
        """In `folder` (beside the output folder: on its disk, not in a memory-backed /tmp)
        where it can be made there, else in the system's temporary folder."""
        try:
            # closed by `close`, or with the build that made it
            self._file = tempfile.TemporaryFile(dir=folder, prefix=".credsite-spill-")  # noqa: SIM115
        except OSError:
            self._file = tempfile.TemporaryFile(prefix="credsite-spill-")  # noqa: SIM115
        self._end = 0
        self._lock = threading.Lock()  # a record's JSON may be made on the pages' thread

    def put(self, data: bytes) -> Spilled:
        """`data`, written to the file: read it back with `Spilled.read`."""
        return Spilled(self, self._append(data), len(data), _digest(data))

    def keep(self, data: bytes) -> int:
        """`data`, written to the file, known by the number returned (`kept` reads it back): a
        value held by the thousand (a cache map's entry, see `cache.KeptMap.hold_in`), in a
        Python int of 32 bytes where a `Spilled` takes 200."""
        if len(data) > _LENGTH_MASK:
            raise CredsiteError("a cache entry too large to hold in a temporary file (4 GiB)")
        return handle(self._append(data), len(data))

    def kept(self, handle: int) -> bytes:
        """The bytes `keep` gave `handle` for."""
        return self.read(*place(handle))

    @staticmethod
    def kept_length(handle: int) -> int:
        """The length of the bytes `keep` gave `handle` for, without reading them."""
        return handle & _LENGTH_MASK

    def _append(self, data: bytes) -> int:
        """Write `data` at the end of the file: where it starts."""
        with self._lock:
            offset = self._end
            view = memoryview(data)
            try:
                while view:  # a short write is carried on
                    at = offset + len(data) - len(view)
                    view = view[os.pwrite(self._file.fileno(), view, at) :]
            except OSError as exc:
                raise CredsiteError(
                    f"cannot hold the signed documents in a temporary file: {exc.strerror or exc}"
                ) from None
            self._end += len(data)
        return offset

    def read(self, offset: int, length: int) -> bytes:
        try:
            fd = self._file.fileno()
        except ValueError:  # closed: the build that held it ended (a page job still being sent)
            raise CredsiteError("the build holding this document has ended") from None
        parts = []
        while length:
            part = os.pread(fd, length, offset)
            if not part:
                raise CredsiteError("the build's temporary file of signed documents was cut short")
            parts.append(part)
            offset, length = offset + len(part), length - len(part)
        return b"".join(parts)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def handle(offset: int, length: int) -> int:
    """A `Spill.keep` handle: where `length` bytes are in a file (a cache file's too)."""
    return offset << _LENGTH_BITS | length


def place(handle: int) -> tuple[int, int]:
    """The offset and length a `handle` gives."""
    return handle >> _LENGTH_BITS, handle & _LENGTH_MASK


_LENGTH_BITS = 32
_LENGTH_MASK = (1 << _LENGTH_BITS) - 1
"""A `Spill.keep` handle: the offset, then the length in its lowest 32 bits."""


class Spilled:
    """Bytes held by a `Spill` (or, sent to a worker process, in memory)."""

    __slots__ = ("_data", "_make", "_offset", "_spill", "digest", "length")

    def __init__(self, spill: Spill | None, offset: int, length: int, digest: str,
                 data: bytes | None = None, make: Callable[[], bytes] | None = None) -> None:  # fmt: skip
        self._spill, self._offset, self.length, self._data = spill, offset, length, data
        self._make = make
        """Where the bytes are not made yet (`later`): what makes them."""
        self.digest = digest
        """SHA-256 hex of the bytes: what a rebuild compares (a file made from them is kept)."""

    def read(self) -> bytes:
        if (make := self._make) is not None:  # read once: another thread may make it meanwhile
            return self._made(make)
        if self._data is not None:
            return self._data
        assert self._spill is not None
        return self._spill.read(self._offset, self.length)

    def _made(self, make: Callable[[], bytes]) -> bytes:
        """The bytes `later` promised, made now and held (made twice at most, were two
        threads to ask at once: the same bytes, never lost)."""
        data = make()
        if _digest(data) != self.digest:
            raise RuntimeError(
                "credsite bug: a signed document changed although what it is made from did not "
                "(delete the .credsite-cache folder and build again)"
            )
        if self._spill is None:
            self._data = data
        else:
            held = self._spill.put(data)
            self._offset, self.length = held._offset, held.length
        self._make = None
        return data

    def __reduce__(self) -> tuple[object, tuple[bytes, str]]:
        """Pickled (for a worker process, which cannot read the build's file) as its bytes."""
        return (in_memory, (self.read(), self.digest))


def hold(data: bytes, spill: Spill | None) -> Spilled:
    """`data` held by `spill`, or in memory where there is none."""
    return spill.put(data) if spill is not None else in_memory(data)


def later(digest: str, make: Callable[[], bytes], spill: Spill | None) -> Spilled:
    """Bytes known by their `digest` (what an earlier build made from the same inputs), made by
    `make` and held by `spill` (None: in memory) only if they are read: a rebuild that keeps
    every file made from them never makes them at all."""
    return Spilled(spill, 0, 0, digest, make=make)


def in_memory(data: bytes, digest: str | None = None) -> Spilled:
    """Bytes held in memory as a `Spilled` is (a document that was never spilled, in a test)."""
    return Spilled(None, 0, len(data), digest or _digest(data), data)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
