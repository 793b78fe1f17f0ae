"""The build's caches (credsite.cache) and its process pool (credsite.pool)."""

from __future__ import annotations

import hashlib
import json
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import descendants, finished_or_stacks
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite import cache
from credsite.atomic import write_atomic
from credsite.cache import FileCache, KeptMap
from credsite.media import art
from credsite.pool import parallel_map, parallel_map_shared
from credsite.spill import Spill


def test_file_cache(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache", art.cache_version())
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        return b"rendered"

    assert cache.get_or_make(("badge", b"\x00\x01"), make) == b"rendered"
    assert cache.get_or_make(("badge", b"\x00\x01"), make) == b"rendered"
    assert len(calls) == 1
    cache.get_or_make(("badge", "\x00\x01"), make)  # str and bytes parts differ
    cache.get_or_make(("bad", "ge\x00\x01"), make)  # part boundaries matter
    assert len(calls) == 3
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(files) == 3 and all(len(name) == 64 for name in files)  # no temp files left
    assert "Pillow" in cache.version


def test_file_cache_version_separates_entries(tmp_path: Path) -> None:
    made: list[str] = []
    for version in ("a", "b", "a"):
        FileCache(tmp_path, version).get_or_make(("k",), lambda v=version: made.append(v) or b"x")
    assert made == ["a", "b"]


def test_file_cache_failure_leaves_nothing(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, "v")

    def boom() -> bytes:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get_or_make(("x",), boom)
    assert list(tmp_path.iterdir()) == []


def test_file_cache_in_a_read_only_folder_still_makes(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert FileCache(folder / "sub", "v").get_or_make(("k",), lambda: b"made") == b"made"
    finally:
        folder.chmod(0o700)


def test_kept_map_keeps_only_what_a_build_used(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    first = KeptMap(path, "1")
    first.put("a", "A")
    first.put("b", "B")
    first.save()
    second = KeptMap(path, "1")
    assert second.get("a") == "A" and "b" in second
    second.save()  # only "a" was used
    assert KeptMap(path, "1").loaded == {"a": "A"}


def test_kept_map_gives_back_each_value_with_its_keys_in_their_order(tmp_path: Path) -> None:
    """A cached proof is published as read back: its keys must keep the order they were put in
    (only the entries are sorted, by key), and a bad UTF-8 file is no cache, not an error."""
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1")
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "x"}
    kept.put("z", [proof, {"b": 1, "a": 2}])
    kept.put("a", None)
    kept.put("m", {"big": 2**70, "n": -0.5})
    kept.save()
    again = KeptMap(path, "1")
    assert list(again.loaded) == ["a", "m", "z"]
    assert [list(v) for v in again.get("z")] == [list(proof), ["b", "a"]]
    assert again.get("m") == {"big": 2**70, "n": -0.5}
    path.write_bytes(b"{\"version\":\"1\",\"entries\":{\"\xff\":1}}")
    assert KeptMap(path, "1").loaded == {}


def test_kept_map_ignores_another_version_and_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1")
    kept.put("a", "A")
    kept.save()
    assert KeptMap(path, "2").get("a") is None
    path.write_text("{not json")
    assert KeptMap(path, "1").get("a") is None
    assert KeptMap(None, "1").get("a") is None
    KeptMap(None, "1").save()  # keeps nothing, writes nothing


def _square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("threshold", [1, 1000])
def test_parallel_map_keeps_job_order(threshold: int) -> None:
    jobs = list(range(60))
    assert list(parallel_map(_square, jobs, threshold=threshold)) == [n * n for n in jobs]


@pytest.mark.parametrize("threshold", [1, 1000])
def test_parallel_map_takes_a_generators_jobs_as_the_workers_need_them(threshold: int) -> None:
    """Jobs given as a generator (the documents a build signs) are made a few chunks ahead of
    the results taken, never all at once, and come back in order, on workers or here."""
    from credsite import pool

    made: list[int] = []

    def jobs() -> Iterator[int]:
        for n in range(2_000):
            made.append(n)
            yield n

    results = parallel_map(_square, jobs(), threshold=threshold)
    workers = min(os.cpu_count() or 1, pool.MAX_WORKERS)
    ahead = max(threshold, workers * 4 * pool.MAX_CHUNK) + (workers * 2 + 1) * pool.MAX_CHUNK
    taken = []
    for result in results:
        taken.append(result)
        assert len(made) <= len(taken) + ahead
    assert taken == [n * n for n in range(2_000)] and len(made) == 2_000


@pytest.mark.parametrize("count", [60, 100, 700, 3_000])
def test_parallel_map_shares_a_generators_jobs_out_as_it_does_a_lists(
    count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few jobs given by a generator (the awards a rebuild signs again, among thousands) are
    cut into as many chunks as the same jobs in a list, so that every worker gets some."""
    from credsite import pool

    sizes: list[list[int]] = []
    submit = pool._submit_each

    def recorded(*args: Any) -> Iterator[Any]:
        *head, chunks = args
        sizes.append([])
        return submit(*head, (sizes[-1].append(len(c)) or c for c in chunks))

    monkeypatch.setattr(pool, "_submit_each", recorded)
    as_list = list(parallel_map(_square, list(range(count)), threshold=48))
    as_generator = list(parallel_map(_square, (n for n in range(count)), threshold=48))
    assert as_list == as_generator == [n * n for n in range(count)]
    if (os.cpu_count() or 1) > 1:
        assert sizes[0] == sizes[1] or count > 4 * pool.MAX_CHUNK * min(
            os.cpu_count() or 1, pool.MAX_WORKERS
        )
        assert len(sizes[1]) >= min(count // pool.MAX_CHUNK, 8)


def test_parallel_map_of_a_generator_too_short_for_workers_runs_here() -> None:
    """Fewer jobs than the threshold: made and run in this process, as taken."""
    assert list(parallel_map(_square, iter(range(5)), threshold=48)) == [0, 1, 4, 9, 16]
    assert list(parallel_map(_square, iter(()), threshold=1)) == []


@pytest.mark.parametrize("fails_at", [30, 300, 3_000])
def test_parallel_map_stops_where_making_a_job_fails(fails_at: int) -> None:
    """A generator that fails (a document that cannot be made) raises to the caller, as the
    jobs are first taken or where the results are taken; the workers are given no more, and
    the map gives nothing after it."""

    def jobs() -> Iterator[int]:
        yield from range(fails_at)
        raise ValueError("this job cannot be made")

    taken = []
    results = None
    with pytest.raises(ValueError, match="cannot be made"):
        results = parallel_map(_square, jobs(), threshold=1)
        for result in results:
            taken.append(result)
    assert taken == [n * n for n in range(len(taken))] and len(taken) <= fails_at
    assert results is None or list(results) == []


def _shifted_square(shift: int, n: int) -> int:
    return (n + shift) ** 2


@pytest.mark.parametrize("threshold", [1, 1000])
def test_parallel_map_shared_gives_every_job_the_shared_value(threshold: int) -> None:
    jobs = list(range(200))
    found = parallel_map_shared(_shifted_square, 7, jobs, threshold=threshold)
    assert list(found) == [(n + 7) ** 2 for n in jobs]


def _worker_pid(shift: int, n: int) -> tuple[int, int]:
    time.sleep(0.002)  # long enough that every worker gets chunks
    return os.getpid(), n + shift


def _slow_or_failing(_shared: None, n: int) -> int:
    if n == 30:
        raise ValueError("job 30 fails")
    time.sleep(0.001)
    return n


def _first_slow(_shared: None, n: int) -> int:
    if n == 0:
        time.sleep(1.5)
    return n


def test_results_made_by_workers_are_ready_before_they_are_taken() -> None:
    """`ready` lets the build take rendered pages between its other work without waiting:
    False in this process (a result is made as it is taken), True once the workers have made
    the next one; a job that fails raises where its result is taken, and no more start."""
    from credsite import pool

    in_process = parallel_map_shared(_shifted_square, 1, range(5), threshold=1000)
    assert not in_process.ready()
    assert list(in_process) == [1, 4, 9, 16, 25]
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: every map runs in this process")
    with pool.session():
        slow = parallel_map_shared(_first_slow, None, range(50), threshold=1)
        assert not slow.ready()  # the first chunk takes a second and a half
        assert list(slow) == list(range(50))
        made = parallel_map_shared(_shifted_square, 1, range(50), threshold=1)
        deadline = time.monotonic() + 60
        while not made.ready():
            assert time.monotonic() < deadline, "the workers made nothing in a minute"
            time.sleep(0.01)
        assert next(made) == 1  # taken without waiting, in order
        assert list(made) == [(n + 1) ** 2 for n in range(1, 50)]
        assert not made.ready()  # all taken
        failing = parallel_map_shared(_slow_or_failing, None, range(400), threshold=1)
        taken = []
        with pytest.raises(ValueError, match="job 30 fails"):
            for n in failing:
                taken.append(n)
        assert taken == list(range(len(taken))) and len(taken) < 30  # its chunk's are lost
        assert not failing.ready() and list(failing) == []  # stopped: nothing more to take
        assert not failing._pending  # every chunk not started was cancelled


def test_a_session_keeps_one_pool_of_workers_for_every_map() -> None:
    """A build's maps (signing, records, pages) share the workers a session starts, each map
    with its own shared value, and the session stops them when it ends."""
    from credsite import pool

    workers = min(os.cpu_count() or 1, pool.MAX_WORKERS)
    with pool.session():
        first = list(parallel_map_shared(_worker_pid, 1, range(80), threshold=1))
        second = list(parallel_map_shared(_worker_pid, 2, range(80), threshold=1))
        with pool.session():  # nested: the same pool
            third = list(parallel_map_shared(_worker_pid, 3, range(80), threshold=1))
        assert [n for _, n in second] == [n + 2 for n in range(80)]
        assert [n for _, n in third] == [n + 3 for n in range(80)]
    pids = {pid for pid, _ in first + second + third}
    assert len(pids) <= workers  # not a new pool per map
    assert os.getpid() not in pids or workers == 1
    assert pool._session.pool is None  # stopped with the session


def test_a_cache_file_changed_since_it_was_written_is_not_used(make_site) -> None:
    """One character of a cached proof changed (a disk error, a hand edit) was published: a
    credential whose signature failed, its learner record signing it in. Each cache file
    carries its digest: such a file is no cache, and the site is built as from none (same
    bytes, every document signed again, the art drawn again, no traceback)."""
    from conftest import build_site, tree

    from credsite.build import CACHE_DIR

    root = make_site()
    first = build_site(root)
    site = tree(root / "_site")
    proofs = root / CACHE_DIR / "proofs.json"
    data = proofs.read_bytes()
    at = data.index(b'"proofValue":"z') + len(b'"proofValue":"z')
    flipped = b"A" if data[at : at + 1] != b"A" else b"B"
    proofs.write_bytes(data[:at] + flipped + data[at + 1 :])
    for image in (root / CACHE_DIR / "images").iterdir():
        image.write_bytes(image.read_bytes()[:40])  # a PNG cut short: struct.error before
    again = build_site(root)
    assert again.signed == first.signed and again.written == 0
    assert tree(root / "_site") == site


def test_a_sealed_file_is_read_back_only_whole(tmp_path: Path) -> None:
    cache = FileCache(tmp_path, "1")
    assert cache.get_or_make(("k",), lambda: b"drawn") == b"drawn"
    (stored,) = tmp_path.iterdir()
    assert stored.read_bytes().endswith(b"\ndrawn")
    stored.write_bytes(stored.read_bytes().replace(b"drawn", b"drawm"))
    assert cache.get_or_make(("k",), lambda: b"drawn again") == b"drawn again"
    assert cache.get_or_make(("k",), lambda: b"never") == b"drawn again"


def test_kept_entries_counts_a_cache_file_of_any_credsite(tmp_path: Path) -> None:
    """A sign of earlier builds (identity.history_signs): a proof cache from before the digest
    line counts too; a damaged one counts nothing."""
    from credsite.cache import kept_entries

    old = tmp_path / "old.json"
    old.write_text('{"version": "0.1", "entries": {"a": 1, "b": 2}}', encoding="utf-8")
    new = KeptMap(tmp_path / "new.json", "2")
    for key in "abc":
        new.put(key, key)
    new.save()
    assert (kept_entries(old), kept_entries(tmp_path / "new.json")) == (2, 3)
    assert kept_entries(tmp_path / "missing.json") == 0
    (tmp_path / "bad.json").write_bytes(b"\x00garbage")
    assert kept_entries(tmp_path / "bad.json") == 0


@pytest.mark.parametrize("key", ["plain", 'a "quoted" key', "back\\slash", "é:ü", "a\":b"])
def test_a_compact_kept_map_gives_back_what_was_put(tmp_path: Path, key: str) -> None:
    """A compact map holds each value as JSON bytes and writes an entry per line: read back
    line by line, or (a key the lines cannot carry, a file of a map that was not compact) as
    the JSON it still is, it gives the same values, keys in their order, as a plain map."""
    path = tmp_path / "map.json"
    proof = {"type": "DataIntegrityProof", "proofValue": "z" * 80, "n": [1, None, True]}
    values = {key: [proof, {"b": 1, "a": 2}], "m": "text", "a": 0, "z": {"": []}}
    kept = KeptMap(path, "1", compact=True)
    for name, value in values.items():
        kept.put(name, value)
    kept.save()
    raw = path.read_bytes()
    assert json.loads(raw.partition(b"\n")[2])["entries"] == values  # still one JSON document
    read_by_lines = cache._entry_lines(raw.partition(b"\n")[2], "1")
    assert (read_by_lines is not None) == (key in ("plain", "é:ü"))
    again = KeptMap(path, "1", compact=True)
    assert sorted(again.loaded) == sorted(values)
    # Read line by line, each value stays in the file, the map holds where (a negative number)
    on_disk = [type(v) is int and v < 0 for v in again.loaded.values()]
    assert all(on_disk) if read_by_lines is not None else not any(on_disk)
    assert all(isinstance(v, bytes) for v in again.loaded_entries().values())
    for name, value in values.items():
        got = again.get(name)
        assert got == value and json.dumps(got) == json.dumps(value)
    assert KeptMap(path, "1").loaded == values  # a plain map reads the same file
    assert KeptMap(path, "2", compact=True).loaded_entries() == {}
    plain = KeptMap(tmp_path / "plain.json", "1")
    for name, value in values.items():
        plain.put(name, value)
    plain.save()
    assert {k: KeptMap(tmp_path / "plain.json", "1", compact=True).get(k) for k in values} == values
    second = KeptMap(path, "1", compact=True)
    second.get("m")
    second.save()  # only "m" was used: the file holds one line of entries
    assert KeptMap(path, "1", compact=True).loaded_entries() == {"m": b'"text"'}
    empty = KeptMap(path, "1", compact=True)
    empty.save()
    assert KeptMap(path, "1", compact=True).loaded_entries() == {}


def test_a_compact_kept_map_of_many_entries_is_saved_piece_by_piece_as_one_sealed_file(
    tmp_path: Path,
) -> None:
    """A map larger than `SAVE_CHUNK` entries is written a piece at a time (never joined whole in
    memory): the file is the one JSON document, an entry per line in key order, under the
    SHA-256 of the rest, and reads back line by line, every entry as put."""
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1", compact=True)
    count = 8194
    values = {f"key-{n:05d}": [n, "v" * (n % 7), None] for n in reversed(range(count))}
    for key, value in values.items():
        kept.put(key, value)
    kept.save()
    raw = path.read_bytes()
    seal, _, rest = raw.partition(b"\n")
    assert seal == hashlib.sha256(rest).hexdigest().encode("ascii")
    lines = rest.split(b"\n")
    assert len(lines) == count + 2 and lines[-1] == b"}}"
    assert lines[1] == b'"key-00000":[0,"",null],' and lines[-2] == b'"key-08193":[8193,"vvv",null]'
    assert json.loads(rest)["entries"] == values
    again = KeptMap(path, "1", compact=True)
    assert len(again.loaded) == count and cache._entry_lines(rest, "1") is not None
    assert all(again.get(key) == value for key, value in values.items())


def test_a_compact_kept_map_is_made_and_written_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key is written out once: the seal line is written last, at the file's start, once
    the rest is written and hashed (`write_atomic`'s `head`)."""
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1", compact=True)
    for n in range(3 * cache.SAVE_CHUNK):
        kept.put(f"key-{n:05d}", n)
    written: list[object] = []
    dump = cache.cache_json_bytes

    def counted(value: object, **options: object) -> bytes:
        written.append(value)
        return dump(value, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(cache, "cache_json_bytes", counted)
    kept.save()
    assert len(written) == 3 * cache.SAVE_CHUNK + 1  # each key, and the head line's version
    seal, _, rest = path.read_bytes().partition(b"\n")
    assert seal == hashlib.sha256(rest).hexdigest().encode("ascii")
    assert KeptMap(path, "1", compact=True).get("key-00007") == 7


def test_a_file_whose_head_is_not_the_size_kept_for_it_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"before")
    with pytest.raises(ValueError, match="head"):
        write_atomic(path, [b"rest"], head=(3, lambda: b"four"))
    assert path.read_bytes() == b"before" and [p.name for p in tmp_path.iterdir()] == ["file"]
    write_atomic(path, iter([b"re", b"st"]), head=(3, lambda: b"abc"))
    assert path.read_bytes() == b"abcrest"


def test_saving_a_large_compact_kept_map_holds_a_piece_of_its_file_at_a_time(
    tmp_path: Path,
) -> None:
    """What saving adds to memory is about one `SAVE_CHUNK` of entries, not the file's size
    (the whole file joined was the peak of a large build, as large again as the map)."""
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1", compact=True)
    for n in range(12 * cache.SAVE_CHUNK):
        kept.put(f"key-{n:05d}", "v" * 200)
    if tracemalloc.is_tracing():  # PYTHONTRACEMALLOC: not this test's to stop
        pytest.skip("tracemalloc is already tracing")
    tracemalloc.start()
    try:
        kept.save()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert size > 12 * cache.SAVE_CHUNK * 200
    assert peak < size / 2, (peak, size)


def test_a_map_whose_entries_are_taken_is_saved_unless_each_was_put_back_once(
    tmp_path: Path,
) -> None:
    """`take` and `put_back` (the output manifest): saved only if something differs from the
    file: an entry not taken (gone), a value put, a key put back twice."""
    path = tmp_path / "map.json"
    first = KeptMap(path, "1", compact=True)
    for key in "abc":
        first.put(key, [key])
    first.save()
    written = path.stat().st_mtime_ns, path.read_bytes()

    def again(*steps: tuple[str, str]) -> dict[str, Any]:
        kept = KeptMap(path, "1", compact=True)
        for step, key in steps:
            if step == "take":
                taken[key] = kept.take(key)
            elif step == "back":
                kept.put_back(key, taken[key])
            else:
                kept.put(key, [key, "new"])
        os.utime(path, ns=(0, 0))
        kept.save()
        saved = path.stat().st_mtime_ns != 0 or cache.delta_of(path).exists()  # whole or a delta
        state = {k: KeptMap(path, "1", compact=True).get(k) for k in "abcd"}
        path.write_bytes(written[1])
        cache.delta_of(path).unlink(missing_ok=True)
        return {"saved": saved, **state}

    taken: dict[str, Any] = {}
    every = [("take", k) for k in "abc"] + [("back", k) for k in "abc"]
    assert again(*every) == {"saved": False, "a": ["a"], "b": ["b"], "c": ["c"], "d": None}
    two = [("take", "a"), ("take", "b"), ("back", "a"), ("back", "b")]
    assert again(*two) == {"saved": True, "a": ["a"], "b": ["b"], "c": None, "d": None}
    assert again(*every[:-1]) == {"saved": True, "a": ["a"], "b": ["b"], "c": None, "d": None}
    assert again(*every, ("put", "d"))["d"] == ["d", "new"]
    assert again(*every[:3], ("back", "a"), ("back", "a"), ("back", "b"))["saved"]
    # Taken and never put again: gone, whether the map is saved whole or as a delta.
    assert again(*every[:3], ("back", "a"), ("back", "b")) == {
        "saved": True, "a": ["a"], "b": ["b"], "c": None, "d": None
    }  # fmt: skip


class _BreakingPool:
    """Stands in for a pool whose worker dies while chunks are given to it: its third submit
    fails as a real one can, before it reports itself broken (OSError from starting a worker
    with the queues it was closing, or RuntimeError), and no chunk it took is ever made."""

    def __init__(self, error: Exception, marks_itself_broken: bool = True) -> None:
        self._broken: str | bool = False
        self.error, self.marks_itself_broken = error, marks_itself_broken
        self.submitted: list[Any] = []

    def submit(self, *_args: Any) -> Any:
        from concurrent.futures import Future

        if len(self.submitted) == 2:
            self._broken = self.marks_itself_broken and "a child process terminated abruptly"
            raise self.error
        self.submitted.append(Future())
        return self.submitted[-1]

    def shutdown(self, **_options: Any) -> None:
        pass


@pytest.mark.parametrize("error", [OSError("handle is closed"), RuntimeError("after shutdown")])
def test_a_pool_breaking_while_given_work_is_a_lost_worker(error: Exception) -> None:
    """CI saw ``OSError: handle is closed`` raised from a submit after a worker was killed: the
    build printed a traceback. Any failure of a submit once the pool is broken is `WorkerLost`;
    the same failure while the pool is not broken is a real one, raised as it is."""
    from credsite import pool

    breaking = _BreakingPool(error)
    chunks = pool._submit_each(breaking, b"key", b"task", iter([[1], [2], [3], [4]]))  # type: ignore[arg-type]
    with pytest.raises(pool.WorkerLost, match="ended before its work was done"):
        pool.InOrder(None, chunks, 4, breaking, own_pool=True)  # type: ignore[arg-type]
    not_broken = _BreakingPool(error, marks_itself_broken=False)
    chunks = pool._submit_each(not_broken, b"key", b"task", iter([[1], [2], [3], [4]]))  # type: ignore[arg-type]
    with pytest.raises(type(error), match=str(error)):
        pool.InOrder(None, chunks, 4, not_broken, own_pool=True)  # type: ignore[arg-type]


def test_a_chunk_the_broken_pool_will_never_make_is_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chunk submitted just as the pool marked its work failed can be left neither done nor
    failed: waiting for it would hang the build. Once the pool is broken it is `WorkerLost`;
    while the pool is whole, a slow chunk is waited for however long it takes."""
    import threading

    from credsite import pool

    monkeypatch.setattr(pool, "BROKEN_POOL_CHECK", 0.05)
    whole = _BreakingPool(OSError("unused"))
    results = pool.InOrder(None, pool._submit_each(whole, b"k", b"t", iter([[1], [2]])), 2, whole)  # type: ignore[arg-type]
    first, second = whole.submitted
    threading.Timer(0.3, first.set_result, [["slow"]]).start()  # six checks: still whole
    assert next(results) == "slow"
    whole._broken = "a child process terminated abruptly"
    started = time.monotonic()
    with pytest.raises(pool.WorkerLost):
        next(results)  # `second` is never made
    assert time.monotonic() - started < 5
    assert not second.done() or second.cancelled()


def test_a_pool_starts_all_its_workers_at_its_first_submit() -> None:
    """A pool that started a worker at each submit (forkserver's way since Python 3.9) could
    start one while it was breaking (another worker killed): a worker it never stopped, which
    the build then waited for for good (1 build in about 26 hung so, killing a worker of each).
    All are started at the first submit, so no submit starts one later."""
    from credsite import pool

    workers = pool._new_pool(2)
    try:
        assert workers.submit(_shifted_square, 1, 2).result(timeout=60) == 9
        assert len(workers._processes) == 2  # type: ignore[attr-defined]
        for _ in range(5):
            workers.submit(_shifted_square, 1, 2).result(timeout=60)
        assert len(workers._processes) == 2  # type: ignore[attr-defined]
    finally:
        workers.shutdown(wait=True)


class _NotesWhereItIsPickled:
    """A job (the number `n` once unpickled) that notes the thread that pickles it."""

    threads: ClassVar[list[str]] = []

    def __init__(self, n: int) -> None:
        self.n = n

    def __reduce__(self) -> tuple[Any, ...]:
        import threading

        _NotesWhereItIsPickled.threads.append(threading.current_thread().name)
        return (int, (self.n,))


def test_jobs_are_pickled_by_the_caller_not_later_by_the_pool() -> None:
    """A job may pickle what only the build can read while it runs (a signed document in its
    spill file). The pool's own thread pickled jobs after the build had stopped (Ctrl-C): the
    job failed there, and the pool waited for it for good. They are pickled as they are given to
    the pool, on the thread that gives them (see test_hardening's Ctrl-C test)."""
    import threading

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: every map runs in this process")
    _NotesWhereItIsPickled.threads.clear()
    jobs = [_NotesWhereItIsPickled(n) for n in range(40)]
    assert list(parallel_map_shared(_shifted_square, 0, jobs, threshold=1)) == [
        n * n for n in range(40)
    ]
    assert len(_NotesWhereItIsPickled.threads) == 40
    assert set(_NotesWhereItIsPickled.threads) == {threading.current_thread().name}


def test_workers_never_keep_the_command_from_ending(tmp_path: Path) -> None:
    """Ctrl-C during the pool's first submit, as it starts its workers, leaves no pool to stop
    them: the command waited for good, as it exited, for workers waiting for work (they ignore
    SIGINT). Workers are daemons: the command ends without them. Stood in for by a command that
    starts the workers as that submit does, then ends. (`_new_pool` now holds SIGINT back while
    it starts them: this is the second line of defence.)"""
    import signal
    import subprocess
    import sys

    script = tmp_path / "starts_workers_and_ends.py"
    script.write_text(
        "import time\n"
        "from credsite import pool\n"
        "if __name__ == '__main__':\n"
        "    workers = pool._Pool(max_workers=2, mp_context=pool._CONTEXT)\n"
        "    workers._launch_processes()  # what the first submit does first\n"
        "    time.sleep(2)  # the workers wait for work\n",
        encoding="utf-8",
    )
    command = subprocess.Popen([sys.executable, str(script)], start_new_session=True)
    try:
        command.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(command.pid, signal.SIGKILL)
        command.wait()
        pytest.fail("the command still ran 30 s after its work: it waited for its workers")
    assert command.returncode == 0


def test_a_pool_starts_its_processes_with_ctrl_c_held_back(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of a terminal's process group. The pool's forkserver and
    workers are started with SIGINT blocked (a signal mask is inherited across fork and exec),
    so a press in the moment they start Python cannot print their traceback; the thread that
    started them has it back as it was (a press meanwhile is raised there, not lost). Read from
    /proc, in a fresh interpreter whose forkserver this pool starts."""
    import signal
    import subprocess
    import sys


    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc")
    script = tmp_path / "starts_a_pool.py"
    script.write_text(
        "import os, signal, sys\n"
        "from credsite import pool\n"
        "if __name__ == '__main__':  # (each worker runs this file's top: see spawn)\n"
        "    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # as in a terminal\n"
        "    workers = pool._new_pool(2)\n"
        "    workers.submit(os.getpid).result()  # its workers have started\n"
        "    print(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set()), flush=True)\n"
        "    sys.stdin.readline()  # while the test reads its processes\n"
        "    workers.shutdown(wait=True)\n",
        encoding="utf-8",
    )
    command = subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert command.stdout is not None and command.stdin is not None
        caller_held = command.stdout.readline().strip()
        found = {}
        for pid, _depth in descendants(command.pid):
            if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue  # started first, and ignores SIGINT as it starts: multiprocessing's own
            status = Path(f"/proc/{pid}/status").read_text()
            found[pid] = bool(int(status.split("SigBlk:")[1].split()[0], 16) & 1 << signal.SIGINT - 1)
        command.stdin.write("\n")
        command.stdin.flush()
    finally:
        command.wait(timeout=60)
    assert command.returncode == 0
    assert caller_held == "False"
    assert len(found) == 3, found  # the forkserver and the two workers
    assert all(found.values()), found


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_while_a_pool_starts_is_raised_once_it_has_started(threads: int) -> None:
    """A press while the pool starts (`credsite.pool._interrupts_held`) is raised as the block
    ends, not inside it (a pool half made) and not lost; also where the command has another
    thread (its progress display's), to which the system then delivers SIGINT. In a fresh
    interpreter, with SIGINT handled as in a terminal."""
    import subprocess
    import sys

    script = (
        "import json, os, signal, threading, time\n"
        "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from credsite import pool\n"
        f"for _ in range({threads} - 1):\n"
        "    threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
        "seen = []\n"
        "try:\n"
        "    with pool._interrupts_held():\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(0.3)\n"
        "        seen.append('block ended')\n"
        "except KeyboardInterrupt:\n"
        "    seen.append('KeyboardInterrupt')\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == ["block ended", "KeyboardInterrupt"], done.stderr


PRESSED_HOLDING_A_LOCK = """\
import signal, sys, threading, time
from concurrent.futures import _base
from credsite import pool

WHERE = {
    "Condition.__enter__": threading.Condition.__enter__.__code__,
    "_AcquireFutures.__enter__": _base._AcquireFutures.__enter__.__code__,
}[sys.argv[1]]
pressed = []

def held(frame):
    it = frame.f_locals.get("self")
    locks = [f._condition for f in it.futures] if isinstance(it, _base._AcquireFutures) else [it]
    return any(lock._is_owned() for lock in locks)

def on_return(frame, event, _arg):
    if event == "return" and not pressed and held(frame):  # the lock taken, not yet in force
        pressed.append(frame.f_back.f_code.co_name)
        signal.getsignal(signal.SIGINT)(signal.SIGINT, frame)  # what Python does on a press here
    return on_return

def tracer(frame, _event, _arg):
    if frame.f_code is WHERE and not pressed:
        return on_return
    return None

def slow(_shared, n):
    time.sleep(0.05)
    return n

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pool.session():
            results = pool.parallel_map_shared(slow, None, range(64), threshold=2)
            sys.settrace(tracer)
            try:
                for _ in results if sys.argv[2] == "next" else ():
                    pass
                results.close()
            finally:
                sys.settrace(None)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", *pressed)
"""


@pytest.mark.parametrize(
    ("where", "during"),
    [
        ("_AcquireFutures.__enter__", "next"),  # concurrent.futures.wait, for the next chunk
        ("Condition.__enter__", "next"),  # the wait's Event
        ("Condition.__enter__", "close"),  # a chunk cancelled as it is made
    ],
)
def test_ctrl_c_just_as_a_lock_of_the_pool_is_taken_stops_the_session(
    tmp_path: Path, where: str, during: str
) -> None:
    """Python raises KeyboardInterrupt on the main thread between any two of its instructions:
    pressed just after a ``with`` of `concurrent.futures` or `threading` had taken a lock in its
    Python ``__enter__``, it left the lock held for good. The pool's thread then waited for good
    to give a chunk its result, or to cancel it, and the session's shutdown waited for that
    thread: the command still ran a minute after Ctrl-C. The press is made here exactly there, by
    a trace function that calls the SIGINT handler, as Python does on a press, as the
    ``__enter__`` returns with its lock taken (a "return" event: every Python since 3.11 gives
    it, where the opcode events of 3.11 did not reach 3.12's trace); held back
    (`credsite.pool.interrupts_deferred`), it is raised once out of the pool's code, and the
    session ends."""
    import subprocess
    import sys

    script = tmp_path / "pressed_holding_a_lock.py"
    script.write_text(PRESSED_HOLDING_A_LOCK, encoding="utf-8")
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    command = subprocess.Popen(
        [sys.executable, str(script), where, during],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    stdout, stderr = finished_or_stacks(command, 30, "the session, after Ctrl-C,")
    assert command.returncode == 0, stderr
    assert stdout.split()[0] == "KeyboardInterrupt", stdout + stderr
    assert len(stdout.split()) == 2, stdout  # pressed once, at the lock


def _fails_at_seven(_shared: None, n: int) -> int:
    from credsite.errors import ContentError, Location, Problem

    if n == 7:
        raise ContentError([Problem(Location("themes/t/credential.html", 3, 9), "no such field")])
    return n


def test_an_error_raised_in_a_worker_reaches_the_caller_as_raised() -> None:
    """A theme's template error raised while a worker renders a page was reported as the pool
    broken ("a worker process ... was killed or it crashed"): the error could not be unpickled.
    It reaches the command as raised, with its place in the file."""
    from credsite.errors import ContentError

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: every map runs in this process")
    with pytest.raises(ContentError) as raised:
        list(parallel_map_shared(_fails_at_seven, None, range(40), threshold=1))
    assert str(raised.value) == "themes/t/credential.html:3:9: no such field"


# -- a compact map saved as a delta beside its file --------------------------------------------


def _map_file(path: Path) -> dict[str, bytes] | None:
    """The entries of a compact map's own file, without its delta."""
    raw = cache._unsealed(path.read_bytes())
    return cache._entry_lines(raw, "1") if raw is not None else None


def _first_build(path: Path, count: int = 100) -> dict[str, bytes]:
    kept = KeptMap(path, "1", compact=True)
    for n in range(count):
        kept.put(f"k{n:03}", {"proof": "z" * 40, "n": n})
    kept.save()
    return KeptMap(path, "1", compact=True).loaded_entries()


def test_a_compact_map_a_build_changed_little_is_saved_as_a_delta(tmp_path: Path) -> None:
    """The map's file stays as it was; beside it, the entries set and removed, and each later
    build's delta holds what differs from the file (an earlier delta's entries too)."""
    path = tmp_path / "map.json"
    first = _first_build(path)
    file_bytes = path.read_bytes()

    second = KeptMap(path, "1", compact=True)
    for key in list(first)[2:]:
        second.get(key)
    second.put("k010", "changed")
    second.put("new", [1, 2])
    second.save()
    expected = {k: v for k, v in first.items() if k not in ("k000", "k001")}
    expected |= {"k010": b'"changed"', "new": b"[1,2]"}
    assert path.read_bytes() == file_bytes and cache.delta_of(path).is_file()
    assert KeptMap(path, "1", compact=True).loaded_entries() == expected

    third = KeptMap(path, "1", compact=True)  # every entry used, none changed: nothing written
    for key in expected:
        third.get(key)
    delta = cache.delta_of(path).read_bytes()
    third.save()
    assert cache.delta_of(path).read_bytes() == delta and path.read_bytes() == file_bytes

    fourth = KeptMap(path, "1", compact=True)
    for key in expected:
        if key != "k050":
            fourth.get(key)
    fourth.put("k020", "also")
    fourth.save()
    expected = {k: v for k, v in expected.items() if k != "k050"} | {"k020": b'"also"'}
    assert path.read_bytes() == file_bytes
    assert KeptMap(path, "1", compact=True).loaded_entries() == expected
    delta_raw = cache._unsealed(cache.delta_of(path).read_bytes())
    assert delta_raw is not None
    written = json.loads(delta_raw)["entries"]
    assert written == {"k000": None, "k001": None, "k050": None, "k010": "changed",
                       "new": [1, 2], "k020": "also"}  # fmt: skip

    fifth = KeptMap(path, "1", compact=True)  # most entries changed: the file written whole
    for key in expected:
        fifth.put(key, "again")
    fifth.save()
    assert not cache.delta_of(path).exists() and path.read_bytes() != file_bytes
    assert _map_file(path) == dict.fromkeys(expected, b'"again"')


def test_a_delta_is_read_only_whole_and_beside_the_very_file_it_was_saved_with(
    tmp_path: Path,
) -> None:
    """A delta changed since (a byte, cut short), of another version, or left from before its
    file was written again (put back, a second copy of the cache), is not read: the file's
    entries are, older facts that are still true."""
    path = tmp_path / "map.json"
    first = _first_build(path)
    second = KeptMap(path, "1", compact=True)
    for key in first:
        second.get(key)
    second.put("k005", "changed")
    second.save()
    delta = cache.delta_of(path).read_bytes()
    with_delta = first | {"k005": b'"changed"'}
    assert KeptMap(path, "1", compact=True).loaded_entries() == with_delta

    for broken in (delta.replace(b"changed", b"chanGed"), delta[:-3], delta[:70], b""):
        cache.delta_of(path).write_bytes(broken)
        assert KeptMap(path, "1", compact=True).loaded_entries() == first
    cache.delta_of(path).write_bytes(delta)
    assert KeptMap(path, "2", compact=True).loaded_entries() == {}
    assert KeptMap(path, "1", compact=True).loaded_entries() == with_delta

    # The file written whole (its delta removed first), then the old delta put back beside it.
    third = KeptMap(path, "1", compact=True)
    for key in first:
        third.put(key, "whole")
    third.save()
    assert not cache.delta_of(path).exists()
    cache.delta_of(path).write_bytes(delta)
    assert KeptMap(path, "1", compact=True).loaded_entries() == dict.fromkeys(first, b'"whole"')


@pytest.mark.parametrize("key", ['a"quote', "back\\slash", "tab\there"])
def test_what_a_delta_cannot_carry_is_saved_whole(tmp_path: Path, key: str) -> None:
    """A key the delta's lines cannot carry, or a value of null (a delta's removed), and the
    map is written whole: read back, it is what was used."""
    path = tmp_path / "map.json"
    first = _first_build(path)
    for put in ((key, 1), ("k001", None)):
        kept = KeptMap(path, "1", compact=True)
        for name in first:
            kept.get(name)
        kept.put(*put)
        kept.save()
        assert not cache.delta_of(path).exists()
        again = KeptMap(path, "1", compact=True)
        assert {k: again.get(k) for k in again.loaded} == {
            **{k: json.loads(v) for k, v in first.items()}, put[0]: put[1]
        }


def test_a_taken_map_saves_a_delta_of_what_was_put_again_or_left(tmp_path: Path) -> None:
    """The output manifest's way (`take`, then `put_back` as it was or `put_json` anew): the
    delta holds the entries put anew and those never taken, removed."""
    path = tmp_path / "map.json"
    first = _first_build(path)
    kept = KeptMap(path, "1", compact=True)
    for key in list(first)[:-3]:
        value = kept.take(key)
        if key == "k007":
            kept.put_json(key, b'"rewritten"')
        else:
            kept.put_back(key, value)
    kept.put_json("added", b"[]")
    kept.save()
    assert cache.delta_of(path).is_file()
    expected = dict(list(first.items())[:-3]) | {"k007": b'"rewritten"', "added": b"[]"}
    assert KeptMap(path, "1", compact=True).loaded_entries() == expected
    # The next build takes every entry and puts each back: nothing to write.
    again = KeptMap(path, "1", compact=True)
    for key in expected:
        again.put_back(key, again.take(key))
    delta = cache.delta_of(path).read_bytes()
    again.save()
    assert cache.delta_of(path).read_bytes() == delta
    assert KeptMap(path, "1", compact=True).loaded_entries() == expected


def test_a_delta_saved_by_a_build_is_seeded_with_its_map(tmp_path: Path) -> None:
    """`seed` (a preview's cache from the site's) links a map's delta with the map."""
    source, target = tmp_path / "site", tmp_path / "preview"
    first = _first_build(source / "map.json")
    kept = KeptMap(source / "map.json", "1", compact=True)
    for key in first:
        kept.get(key)
    kept.put("k003", "x")
    kept.save()
    cache.seed(source, target, ("map.json",))
    assert cache.delta_of(target / "map.json").is_file()
    assert KeptMap(target / "map.json", "1", compact=True).loaded_entries() == first | {"k003": b'"x"'}


_KEYS = [f"k{n}" for n in range(12)]
_build_step = st.tuples(
    st.sampled_from(["get", "put", "skip", "take-back", "take-put", "take-leave"]),
    st.sampled_from(_KEYS),
    st.integers(0, 3),
)


@settings(max_examples=150, deadline=None)
@given(
    builds=st.lists(st.tuples(st.lists(_build_step, max_size=14), st.sampled_from([0, 1, 8]),
                              st.sampled_from(["keep", "lose delta", "break delta"]),
                              st.booleans()),
                    min_size=1, max_size=8),
)  # fmt: skip
def test_a_compact_map_reads_back_what_each_build_used_whole_or_by_delta(
    builds: list[tuple[list[tuple[str, str, int]], int, str, bool]],
) -> None:
    """Build after build, each using, putting, taking and leaving entries, the map read is what
    the last build used; with its delta lost or broken, it is the file's entries (an earlier
    build's, whose facts are still true): never anything else. Whether a build held what it
    put in memory or in a spill (`hold_in`) changes nothing of it."""
    import tempfile

    share = cache.DELTA_SHARE
    with tempfile.TemporaryDirectory() as folder, Spill(Path(folder)) as spill:
        path = Path(folder) / "map.json"
        saved: dict[str, bytes] = {}
        try:
            for steps, cache.DELTA_SHARE, then, held in builds:
                kept = KeptMap(path, "1", compact=True)
                if held:
                    kept.hold_in(spill)
                assert kept.loaded_entries() == saved
                used: dict[str, bytes] = {}
                taken: set[str] = set()
                for step, key, n in steps:
                    if step == "get" and key not in taken and kept.get(key) is not None:
                        used.setdefault(key, saved.get(key, b""))
                    elif step == "put":
                        kept.put(key, [key, n])
                        used[key] = cache.cache_json_bytes([key, n])
                    elif step.startswith("take") and key not in taken and key not in used:
                        value = kept.take(key)
                        taken.add(key)
                        assert value == saved.get(key)
                        if value is None or step == "take-leave":
                            continue
                        if step == "take-back":
                            kept.put_back(key, value)
                            used[key] = value
                        else:
                            kept.put_json(key, b"%d" % n)
                            used[key] = b"%d" % n
                assert {k: kept.held(k) for k in used} == used
                kept.save()
                saved = used  # whole, as a delta, or not written at all: it was that already
                assert KeptMap(path, "1", compact=True).loaded_entries() == saved
                on_file = (_map_file(path) or {}) if path.exists() else {}
                delta = cache.delta_of(path)
                if then == "lose delta":
                    delta.unlink(missing_ok=True)
                elif then == "break delta" and delta.exists():
                    delta.write_bytes(delta.read_bytes().replace(b'"k', b'"K'))
                if then != "keep":
                    saved = on_file
        finally:
            cache.DELTA_SHARE = share


def test_what_a_map_holds_is_counted_with_its_delta(tmp_path: Path) -> None:
    """`kept_entries` (is there a sign the site issued before?) counts a map as read, delta and
    all, and a map whose build dropped most entries is written whole, not kept as a large file
    and a delta of removals."""
    path = tmp_path / "proofs.json"
    first = _first_build(path)
    kept = KeptMap(path, "1", compact=True)
    for key in list(first)[:-2]:
        kept.get(key)
    kept.put("new", "x")
    kept.save()
    assert cache.delta_of(path).is_file()
    assert cache.kept_entries(path) == len(first) - 1 == len(KeptMap(path, "1", compact=True).loaded)
    few = KeptMap(path, "1", compact=True)
    few.get("k000")
    few.save()
    assert not cache.delta_of(path).exists() and _map_file(path) == {"k000": first["k000"]}
    assert cache.kept_entries(path) == 1


def test_a_map_held_in_a_spill_keeps_what_a_build_puts_out_of_memory(tmp_path: Path) -> None:
    """`hold_in`: each value a build puts is written to the spill and read back where it is
    asked for, at `save` too: the same values and the same files, whole or as a delta, as a
    map that held them in memory, while memory holds a number per entry."""
    proof = {"type": "DataIntegrityProof", "proofValue": "z" * 86, "created": "2026-01-01"}
    saved = {}
    for held in (False, True):
        path = tmp_path / f"{held}" / "proofs.json"
        path.parent.mkdir()
        with Spill(tmp_path) as spill:
            kept = KeptMap(path, "1", compact=True)
            if held:
                kept.hold_in(spill)
            for n in range(200):
                kept.put(f"k{n:03}", [proof, n])
            kept.put_json("texts", b'["a","b"]')
            if held:
                assert {type(v) for v in kept.used.values()} == {int}
                size = sum(v.__sizeof__() for v in kept.used.values())
                assert size < 201 * 40  # not the 201 values' 25 KB
            assert kept.get("k007") == [proof, 7] and kept.texts("texts", 2) == ["a", "b"]
            assert kept.held("k199") == cache.cache_json_bytes([proof, 199])
            kept.save()
            again = KeptMap(path, "1", compact=True)
            if held:
                again.hold_in(spill)
            for n in range(200):
                again.get(f"k{n:03}")
            again.put("k000", "changed")  # a little changed: saved as a delta
            again.put("new", [proof])
            again.save()
        saved[held] = (path.read_bytes(), cache.delta_of(path).read_bytes())
    assert saved[True] == saved[False]
    assert KeptMap(path, "1", compact=True).get("k000") == "changed"


def test_a_loaded_compact_map_holds_where_its_values_are_not_the_values(tmp_path: Path) -> None:
    """A compact map's file is read a piece at a time as it is loaded (its seal checked), and
    each value stays in it until it is asked for: loading a 6 MB map adds to memory its keys
    and a number per entry, and about a piece of the file (`_MapFile.CHUNK`) on the way."""
    path = tmp_path / "proofs.json"
    kept = KeptMap(path, "1", compact=True)
    values = {f"key-{n:04d}": ["z" * 6000, n] for n in range(1000)}
    for key, value in values.items():
        kept.put(key, value)
    kept.save()
    size = path.stat().st_size
    if tracemalloc.is_tracing():  # PYTHONTRACEMALLOC: not this test's to stop
        pytest.skip("tracemalloc is already tracing")
    tracemalloc.start()
    try:
        again = KeptMap(path, "1", compact=True)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 6_000_000
    assert held < 250_000, held  # 1,000 keys and numbers, not 6 MB of values
    assert peak < 3 * cache._MapFile.CHUNK + 250_000, peak  # not the file's size
    assert all(type(v) is int and v < 0 for v in again.loaded.values())
    assert again.get("key-0999") == values["key-0999"]
    assert again.held("key-0000") == cache.cache_json_bytes(values["key-0000"])
    for key in values:
        again.get(key)
    again.put("key-0001", "changed")
    again.save()  # as a delta: the file itself is left as it was
    assert cache.delta_of(path).is_file()
    final = KeptMap(path, "1", compact=True)
    assert {k: final.get(k) for k in values} == {**values, "key-0001": "changed"}


def test_a_loaded_map_reads_the_bytes_it_checked_though_its_file_is_replaced(
    tmp_path: Path,
) -> None:
    """The values are read from the file as it was loaded and checked: a cache file is replaced
    (`write_atomic`), never written into, so a map saved meanwhile at the same path (another
    map of it, a build's save) changes nothing for a map already loaded."""
    path = tmp_path / "map.json"
    first = KeptMap(path, "1", compact=True)
    first.put("a", "old a")
    first.put("b", ["old", "b"])
    first.save()
    loaded = KeptMap(path, "1", compact=True)
    other = KeptMap(path, "1", compact=True)
    other.get("a")
    other.put("a", "new a, much longer than the old one")
    other.save()  # the whole file written again (a delta would be larger than the file's eighth)
    assert KeptMap(path, "1", compact=True).get("a") == "new a, much longer than the old one"
    assert loaded.get("a") == "old a" and loaded.get("b") == ["old", "b"]
    loaded.save()  # nothing new was put: a map that gives back what it read leaves the file
    assert KeptMap(path, "1", compact=True).get("a") == "new a, much longer than the old one"


@pytest.mark.parametrize(
    "damage",
    ["a value changed", "cut short", "a line joined", "a key with a backslash", "seal only"],
)
def test_a_compact_file_not_as_written_loads_nothing_or_as_json(tmp_path: Path, damage: str) -> None:
    """A file changed after it was written loads no entry (its seal no longer holds), and one
    laid out otherwise (a key the lines cannot carry) is read as the JSON it is; a line that
    holds two entries (sealed again, by hand) gives none: never a value from the wrong place
    in the file, never an error."""
    path = tmp_path / "map.json"
    kept = KeptMap(path, "1", compact=True)
    key = "back\\slash" if damage == "a key with a backslash" else "c"
    for name in ("a", "b", key):
        kept.put(name, [name, 1])
    kept.save()
    raw = path.read_bytes()
    seal, _, rest = raw.partition(b"\n")
    if damage == "a value changed":
        raw = raw.replace(b'["a",1]', b'["A",1]')
    elif damage == "cut short":
        raw = raw[:-3]
    elif damage == "a line joined":  # sealed again: only the layout is wrong
        rest = rest.replace(b',\n"b"', b',"b"')
        raw = hashlib.sha256(rest).hexdigest().encode("ascii") + b"\n" + rest
    elif damage == "seal only":
        raw = seal + b"\n"
    path.write_bytes(raw)
    again = KeptMap(path, "1", compact=True)
    if damage == "a key with a backslash":
        assert {k: again.get(k) for k in ("a", "b", key)} == {k: [k, 1] for k in ("a", "b", key)}
        assert not any(type(v) is int for v in again.loaded.values())  # read whole, as JSON
    elif damage == "a line joined":
        assert [again.get(k) for k in ("a", "b", "c")] == [None, None, ["c", 1]]
    else:
        assert again.loaded == {}


def test_a_taken_entry_put_back_stays_on_disk(tmp_path: Path) -> None:
    """The manifest takes each entry and puts it back unchanged: the entry put back is the
    number of where it is in the file, not the bytes read, and a map that got every entry
    back writes nothing."""
    path = tmp_path / "manifest.json"
    kept = KeptMap(path, "1", compact=True)
    for n in range(10):
        kept.put(f"file-{n}", [f"inputs-{n}", n])
    kept.save()
    written = path.stat().st_mtime_ns, path.read_bytes()
    again = KeptMap(path, "1", compact=True)
    for n in range(10):
        value = again.take(f"file-{n}", read=n % 2 == 0)
        if n % 2 == 0:
            assert value == cache.cache_json_bytes([f"inputs-{n}", n])
        else:
            assert type(value) is int  # not read
        again.put_back(f"file-{n}", value)
    assert all(type(v) is int and v < 0 for v in again.used.values())
    again.save()
    assert (path.stat().st_mtime_ns, path.read_bytes()) == written
