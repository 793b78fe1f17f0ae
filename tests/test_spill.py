"""The build holds signed JSON in a temporary file (credsite.spill), not in memory."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AWARDS, build_site, write_files

from credsite.errors import CredsiteError, StrictError
from credsite.spill import Spill, hold, in_memory, later


def test_bytes_come_back_as_they_were_put(tmp_path: Path) -> None:
    pieces = [os.urandom(size) for size in (0, 1, 4095, 4096, 70_000)] + ["é🙂".encode()]
    with Spill(tmp_path) as spill:
        held = [spill.put(piece) for piece in pieces]
        assert [h.read() for h in reversed(held)] == list(reversed(pieces))
        assert [h.digest for h in held] == [hashlib.sha256(p).hexdigest() for p in pieces]
    assert list(tmp_path.iterdir()) == []  # an unnamed file: nothing to clean up, even after kill -9


def test_threads_putting_at_once_never_overlap(tmp_path: Path) -> None:
    """A learner record's JSON may be made on the pages' thread while the build adds others."""
    with Spill(tmp_path) as spill:
        results: dict[bytes, object] = {}

        def put_many(mark: int) -> None:
            for number in range(300):
                data = bytes([mark]) * (number + 1)
                results[data] = spill.put(data)

        threads = [threading.Thread(target=put_many, args=(m,)) for m in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(held.read() == data for data, held in results.items())  # type: ignore[attr-defined]


def test_what_goes_to_a_worker_process_holds_its_bytes(tmp_path: Path) -> None:
    with Spill(tmp_path) as spill:
        held = spill.put(b'{"a": 1}')
        copy = pickle.loads(pickle.dumps(held))
    assert copy.read() == b'{"a": 1}' and copy.digest == held.digest  # the file is closed now
    assert in_memory(b"x").read() == b"x"


def test_a_folder_it_cannot_use_falls_back_to_the_system_temporary_folder(tmp_path: Path) -> None:
    with Spill(tmp_path / "missing") as spill:
        assert spill.put(b"kept").read() == b"kept"


def test_a_full_disk_is_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> int:
        raise OSError(28, "No space left on device")

    with Spill(tmp_path) as spill:
        monkeypatch.setattr(os, "pwrite", full)
        with pytest.raises(CredsiteError, match="cannot hold the signed documents in a temporary "
                           "file: No space left on device"):  # fmt: skip
            spill.put(b"data")


def test_reading_after_the_build_ended_is_a_message_not_another_files_bytes(tmp_path: Path) -> None:
    """A page job still being sent when a failed build closes its spill reads nothing else."""
    spill = Spill(tmp_path)
    held = spill.put(b"signed")
    spill.close()
    with pytest.raises(CredsiteError, match="the build holding this document has ended"):
        held.read()
    assert hold(b"x", None).read() == b"x"


def _spill_files() -> list[str]:
    folder = Path("/proc/self/fd")
    found = []
    for fd in folder.iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if "credsite-spill" in target or ("(deleted)" in target and "/#" in target):
                found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_build_that_fails_after_signing_lets_go_of_its_spill(
    make_site: Callable[..., Path],
) -> None:
    """A failed build closes its temporary file (`credsite serve` builds again and again in one
    process): none is left open, as after one that succeeds."""
    root = make_site()
    build_site(root)
    before = _spill_files()
    write_files(root, {"content/awards/awards.yaml": AWARDS.split("- achievement: mentor")[0]})
    with pytest.raises(StrictError):  # after every credential is signed and published
        build_site(root, strict=True)
    assert _spill_files() == before


def test_bytes_promised_by_their_digest_are_made_only_when_read(tmp_path: Path) -> None:
    """`later`: what an earlier build made from the same inputs, made again only if a file
    made from it is made again (then held like any other)."""
    made: list[int] = []

    def make() -> bytes:
        made.append(1)
        return b'{"made": "again"}'

    with Spill(tmp_path) as spill:
        promised = later(hashlib.sha256(b'{"made": "again"}').hexdigest(), make, spill)
        assert made == []  # its digest is known without making it
        assert promised.read() == b'{"made": "again"}' and made == [1]
        assert promised.read() == b'{"made": "again"}' and made == [1]  # held once made
        copy = pickle.loads(pickle.dumps(later(promised.digest, make, spill)))
    assert copy.read() == b'{"made": "again"}' and copy.digest == promised.digest
    assert made == [1, 1]  # made once more, to go to a worker process as its bytes


def test_bytes_made_again_otherwise_than_promised_are_refused(tmp_path: Path) -> None:
    """A credential made again must be the one the earlier build made from the same inputs: if
    it is not, credsite judged by too few inputs, and nothing is published from it."""
    with Spill(tmp_path) as spill:
        promised = later(hashlib.sha256(b"what was made").hexdigest(), lambda: b"another", spill)
        with pytest.raises(RuntimeError, match="credsite bug"):
            promised.read()
