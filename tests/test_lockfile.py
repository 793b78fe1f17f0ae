"""credsite.lock: round trips, union merges, conflicts, and the never-reuse-an-index property."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from conftest import AWARDS, NOW, build_site, fixed_clock, output_of, run_cli, tree, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite import values
from credsite.errors import ContentError, CredsiteError, Location
from credsite.state import lockfile
from credsite.state.lockfile import (
    AwardEntry,
    CompromisedEntry,
    IssuerEntry,
    KeyEntry,
    ListEntry,
    LockedError,
    Lockfile,
    SiteEntry,
)

AWARDS_FILE = "content/awards/awards.yaml"
KEY = "z6MkwC9FPwfuZrpqDZPzFjgRuJcR2hkuEE14Lehs576tAoUD"


def new_lock(seed: int = 0, **options) -> Lockfile:
    return Lockfile(clock=fixed_clock(), rng=random.Random(seed), **options)


def award_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if '"type":"award"' in ln]


def test_new_award_entry_shape() -> None:
    lock = new_lock()
    entry = lock.award("a" * 24, "teamwork/ada@example.org")
    assert entry.award == "a" * 24
    assert len(entry.credential) == 26 and entry.credential.isalnum()
    assert entry.credential == entry.credential.lower()
    assert entry.minted == "2026-11-22T12:00:00Z"
    assert len(bytes.fromhex(entry.salt)) == 16
    assert entry.list == 1 and 0 <= entry.index < lockfile.LIST_SIZE
    assert lock.award("a" * 24, "again") is entry  # recorded once
    assert lock.minted == ["award teamwork/ada@example.org"]


def test_save_load_round_trip(tmp_path: Path) -> None:
    lock = new_lock()
    for i in range(5):
        lock.award(f"{i:024x}", f"award {i}")
    lock.record_key("acme", KEY)
    lock.list_updated("acme", 1, "revocation", frozenset({5}), "ab" * 32)
    path = tmp_path / "credsite.lock"
    assert lock.save(path) is True
    assert lock.save(path) is False  # unchanged: not rewritten
    text = path.read_text(encoding="utf-8")
    assert text.startswith(lockfile.HEADER)
    body = text[len(lockfile.HEADER) :].splitlines()
    kinds = [json.loads(line)["type"] for line in body]
    assert kinds == ["key", "list"] + ["award"] * 5  # keys, then lists, then awards (sorted)
    loaded = Lockfile.load(path)
    assert loaded.awards == lock.awards
    assert loaded.keys == lock.keys
    assert loaded.lists == lock.lists
    assert loaded.text() == text
    assert loaded.issuer_keys("acme") == [KEY]
    assert loaded.minted == []


def test_missing_lockfile_is_empty(tmp_path: Path) -> None:
    lock = Lockfile.load(tmp_path / "nothing.lock")
    assert lock.awards == {} and lock.keys == [] and lock.lists == {}


def test_list_updated_keeps_date_until_bits_change() -> None:
    times = iter([dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)])
    lock = Lockfile(clock=lambda: next(times), rng=random.Random(0))
    first = lock.list_updated("acme", 1, "revocation", frozenset(), "00" * 32)
    assert first == "2026-01-01T00:00:00Z"
    assert lock.list_updated("acme", 1, "revocation", frozenset(), "00" * 32) == first
    assert lock.list_updated("acme", 1, "revocation", frozenset({7}), "11" * 32) == (
        "2026-02-01T00:00:00Z"
    )


def test_locked_refuses_to_record() -> None:
    lock = new_lock(locked=True)
    with pytest.raises(LockedError, match="--locked: the lockfile has no record of new award x"):
        lock.award("b" * 24, "x")
    with pytest.raises(LockedError, match="signing key of issuer 'acme'"):
        lock.record_key("acme", KEY)
    with pytest.raises(LockedError, match="status list 1"):
        lock.list_updated("acme", 1, "revocation", frozenset(), "00" * 32)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "credsite.lock:3:1: unreadable lockfile line"),
        (  # was "AwardEntry.__init__() missing 5 required positional arguments"
            '{"type":"award","award":"x"}',
            "credsite.lock:3:1: unreadable lockfile line: a line of type 'award' needs "
            "'credential', 'minted', 'salt', 'list', 'index'",
        ),
        ('{"type":"banana"}', "unknown line type 'banana' (written by a newer credsite?"),
        (  # was "'str' object cannot be interpreted as an integer"
            "[1, 2]",
            "credsite.lock:3:1: unreadable lockfile line: each line must be a JSON object ({...})",
        ),
        (  # was "invalid literal for int()"
            '{"type":"list","issuer":"a","list":0,"purpose":"revocation","set":["x"]}',
            "unreadable lockfile line: 'set' must be a list of whole numbers from 0, got [\"x\"]",
        ),
        (  # read as it was before
            '{"type":"list","issuer":"a","list":0,"purpose":"revocation","set":[-1]}',
            "unreadable lockfile line: 'set' must be a list of whole numbers from 0, got [-1]",
        ),
        (
            '{"type":"list","issuer":"a","list":0,"purpose":"zzz","set":[1],'
            '"updated":"2026-01-01T00:00:00Z"}',
            "unreadable lockfile line: 'purpose' must be revocation or suspension, got 'zzz'",
        ),
        (
            '{"type":"pin","did":"did:web:a.example","sha256":"nothex",'
            '"pinned":"2026-01-01T00:00:00Z"}',
            "unreadable lockfile line: 'sha256' must be 64 hexadecimal digits, got 'nothex'",
        ),
        (
            '{"type":"clr-update","recipient":"r","updated":"2026-01-01T00:00:00Z","digest":null}',
            "unreadable lockfile line: 'digest' must be text, got null",
        ),
        (
            '{"type":"award","award":"a","credential":"c","minted":"2026-01-01T00:00:00Z",'
            '"salt":"s","list":true,"index":0}',
            "unreadable lockfile line: 'list' must be a whole number from 0, got true",
        ),
        (
            '{"type":"site","url":"https://a.example/","since":"2026-01-01T00:00:00Z","x":1}',
            "unknown field 'x' in a line of type 'site' (written by a newer credsite?",
        ),
        (
            '{"type":"site","url":"https://a.example/","since":"soon"}',
            "credsite.lock:3:1: unreadable lockfile line: bad time in 'since'",
        ),
        (
            '{"type":"key","issuer":"a","publicKeyMultibase":"z6Mk","added":"yesterday"}',
            "credsite.lock:3:1: unreadable lockfile line: bad time in 'added'",
        ),
        ("<<<<<<< HEAD", "credsite.lock:3:1: merge conflict marker: keep the lines of both sides"),
        (  # the number as written (orjson would have read it as 1.8446744073709552e+19)
            '{"type":"award","award":"a","credential":"c","minted":"2026-01-01T00:00:00Z",'
            '"salt":"s","list":0,"index":18446744073709551616}',
            "unreadable lockfile line: 'index' must be below 131072 (a status list's size), got "
            "18446744073709551616",
        ),
        (  # the standard library reads NaN, which is no whole number either
            '{"type":"award","award":"a","credential":"c","minted":"2026-01-01T00:00:00Z",'
            '"salt":"s","list":0,"index":NaN}',
            "unreadable lockfile line: 'index' must be a whole number from 0, got NaN",
        ),
        ('{"type":"site","url":"\\ud800"', "credsite.lock:3:1: unreadable lockfile line"),
        (  # was read, and made a status list of 2**17 + 1 places
            '{"type":"list","issuer":"a","list":0,"purpose":"revocation","set":[131072]}',
            "unreadable lockfile line: 'set' must be below 131072 (a status list's size), got "
            "[131072]",
        ),
    ],
)
def test_bad_lines_are_located(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "credsite.lock"
    path.write_text(lockfile.HEADER + line + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        Lockfile.load(path)
    assert message in str(info.value)


# -- branches and merges ---------------------------------------------------------------------------

BRANCH_A = "- achievement: mentor\n  name: Branch A\n  email: a@example.org\n  issued: 2026-05-01\n"
BRANCH_B = "- achievement: mentor\n  name: Branch B\n  email: b@example.org\n  issued: 2026-05-02\n"


def branches(make_site: Callable[..., Path]) -> tuple[Path, Path, Path]:
    """A common base built once, then two branches that each issue one more award."""
    base = make_site(name="base")
    build_site(base, seed=1)
    one = base.parent / "one"
    two = base.parent / "two"
    for branch, extra, seed in ((one, BRANCH_A, 2), (two, BRANCH_B, 3)):
        shutil.copytree(base, branch, ignore=shutil.ignore_patterns("_site"))
        write_files(branch, {AWARDS_FILE: AWARDS + extra})
        build_site(branch, seed=seed)
    return base, one, two


def test_union_merge_keeps_both_branches(make_site: Callable[..., Path]) -> None:
    _base, one, two = branches(make_site)
    lock_one = (one / "credsite.lock").read_text(encoding="utf-8")
    lock_two = (two / "credsite.lock").read_text(encoding="utf-8")
    assert award_lines(one / "credsite.lock") != award_lines(two / "credsite.lock")

    # git's merge=union keeps every line of both sides: simulate it by concatenation, which
    # also keeps identical duplicates (keys, base awards) and both sides' status-list lines.
    merged = one.parent / "merged"
    shutil.copytree(one, merged, ignore=shutil.ignore_patterns("_site"))
    (merged / "credsite.lock").write_text(lock_one + lock_two, encoding="utf-8")
    lock = Lockfile.load(merged / "credsite.lock")
    expected = {
        json.loads(ln)["award"]: ln
        for ln in award_lines(one / "credsite.lock") + award_lines(two / "credsite.lock")
    }
    assert set(lock.awards) == set(expected)
    assert len(lock.awards) == 5  # three in the base, one per branch
    for key, line in expected.items():
        data = json.loads(line)
        del data["type"]
        assert lock.awards[key] == AwardEntry(**data)

    # The merged content builds: no award is re-minted, and stale list lines are dropped.
    write_files(merged, {AWARDS_FILE: AWARDS + BRANCH_A + BRANCH_B})
    result = build_site(merged, seed=99)
    assert not any(m.startswith("award") for m in result.minted)
    saved = (merged / "credsite.lock").read_text(encoding="utf-8")
    assert sorted(award_lines(merged / "credsite.lock")) == sorted(expected.values())
    assert sum('"type":"list"' in ln for ln in saved.splitlines()) == 1
    assert sum('"type":"key"' in ln for ln in saved.splitlines()) == 1
    # Each branch's credential is published under the token that branch gave it.
    for branch in (one, two):
        for name, data in tree(branch / "_site").items():
            if name.startswith("credentials/") and name.endswith(".json"):
                assert (merged / "_site" / name).read_bytes() == data


def test_conflicting_award_lines_are_a_located_error(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    path = root / "credsite.lock"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = next(i for i, ln in enumerate(lines) if '"type":"award"' in ln)
    data = json.loads(lines[first])
    data["credential"] = "a" * 26  # the same award minted again elsewhere
    lines.append(json.dumps(data, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree(root / "_site")
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1
    assert (
        f"error: credsite.lock:{len(lines)}:1: award {data['award']} was recorded twice with "
        f"different values (see line {first + 1})"
    ) in text
    assert "Traceback" not in text
    assert tree(root / "_site") == before


def test_one_index_for_two_awards_is_an_error(tmp_path: Path) -> None:
    lock = new_lock()
    a = lock.award("a" * 24, "a")
    b = lock.award("b" * 24, "b")
    path = tmp_path / "credsite.lock"
    lock.save(path)
    text = path.read_text(encoding="utf-8").replace(f'"index":{b.index}', f'"index":{a.index}')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        CredsiteError, match=f"status index {a.index} of list 1 is recorded for two awards"
    ):
        Lockfile.load(path)


def test_deleted_award_keeps_its_line_and_index(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    before = award_lines(root / "credsite.lock")
    write_files(root, {AWARDS_FILE: AWARDS.split("- achievement: mentor")[0]})
    result = build_site(root)
    assert award_lines(root / "credsite.lock") == before
    assert any(
        str(w).startswith("credsite.lock: 1 award(s) in credsite.lock are no longer in the content")
        for w in result.warnings
    )


# -- property: indices and tokens are never reused or moved ----------------------------------------

OPERATIONS = st.lists(
    # issuing is the most common operation, so that lists of 64 fill up and new ones start
    st.tuples(
        st.sampled_from(["issue", "issue", "issue", "revoke", "delete", "reload"]),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=200,
)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS, st.integers(0, 2**32))
def test_indices_never_reused_or_moved(operations: list[tuple[str, int]], seed: int) -> None:
    with mock.patch.object(lockfile, "LIST_SIZE", 64):
        run_operations(operations, seed)


def run_operations(operations: list[tuple[str, int]], seed: int) -> None:
    rng = random.Random(seed)
    lock = Lockfile(clock=fixed_clock(NOW), rng=rng)
    content: set[str] = set()  # awards currently in the content
    revoked: set[str] = set()
    ever: dict[str, AwardEntry] = {}  # every entry ever handed out
    counter = 0
    for op, n in operations:
        if op == "issue":
            key = f"{counter:024x}"
            counter += 1
            content.add(key)
        elif op == "revoke" and content:
            revoked.add(sorted(content)[n % len(content)])
        elif op == "delete" and content:
            content.discard(sorted(content)[n % len(content)])
        elif op == "reload":  # a later build: the lockfile is saved and read back
            lock = reload(lock.text(), rng)
        # every build asks for the entry of every award in the content
        for key in sorted(content):
            entry = lock.award(key, key)
            if key in ever:
                assert entry == ever[key], "an award's token or index moved"
            ever[key] = entry
        # the status list only depends on revocations: recording it never touches awards
        for number in {e.list for e in lock.awards.values()}:
            indices = frozenset(lock.awards[k].index for k in revoked & content)
            lock.list_updated("acme", number, "revocation", indices, "")
        slots = [(e.list, e.index) for e in lock.awards.values()]
        assert len(slots) == len(set(slots)), "an index was given to two awards"
        assert lock.awards == ever, "an entry was dropped or changed"
        assert len({e.credential for e in lock.awards.values()}) == len(lock.awards)
        for entry in lock.awards.values():
            assert 0 <= entry.index < 64
            assert entry.list >= 1
    # lists fill in order: list n+1 is only started once list n holds LIST_SIZE awards
    per_list: dict[int, int] = {}
    for entry in ever.values():
        per_list[entry.list] = per_list.get(entry.list, 0) + 1
    numbers = sorted(per_list)
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(per_list[n] == 64 for n in numbers[:-1])


def reload(text: str, rng: random.Random) -> Lockfile:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credsite.lock"
        path.write_text(text, encoding="utf-8")
        return Lockfile.load(path, clock=fixed_clock(NOW), rng=rng)


def test_full_list_starts_a_new_one() -> None:
    with mock.patch.object(lockfile, "LIST_SIZE", 8):
        lock = new_lock()
        entries = [lock.award(f"{i:024x}", str(i)) for i in range(20)]
    assert [e.list for e in entries] == [1] * 8 + [2] * 8 + [3] * 4
    assert sorted(e.index for e in entries if e.list == 1) == list(range(8))
    assert sorted(e.index for e in entries if e.list == 2) == list(range(8))


def test_entries_are_plain_dataclasses() -> None:
    # What the JSON lines hold; a rename would silently break every committed lockfile.
    assert [f for f in AwardEntry.__dataclass_fields__] == [
        "award",
        "credential",
        "minted",
        "salt",
        "list",
        "index",
    ]
    assert [f for f in KeyEntry.__dataclass_fields__] == ["issuer", "publicKeyMultibase", "added"]
    assert [f for f in SiteEntry.__dataclass_fields__] == ["url", "since", "previous"]
    assert [f for f in IssuerEntry.__dataclass_fields__] == ["issuer", "did", "since", "previous"]
    assert [f for f in CompromisedEntry.__dataclass_fields__] == [
        "issuer",
        "publicKeyMultibase",
        "since",
    ]
    assert [f for f in ListEntry.__dataclass_fields__] == [
        "issuer",
        "list",
        "purpose",
        "set",
        "updated",
        "bits",
    ]


def test_a_lockfile_written_before_set_is_upgraded_without_changing_dates() -> None:
    """Lines that record a list's bits digest only (the first format) still match by digest."""
    lock = Lockfile()
    lock.lists[("acme", 1, "revocation")] = [
        ListEntry("acme", 1, "revocation", None, "2026-01-01T00:00:00Z", "ab")
    ]
    assert (
        lock.list_updated("acme", 1, "revocation", frozenset({3}), "ab") == "2026-01-01T00:00:00Z"
    )
    assert '"set":[3],"updated":"2026-01-01T00:00:00Z"' in lock.text()
    assert lock.recorded_indices("acme", 1, "revocation") == frozenset({3})


# -- identity and compromised keys -----------------------------------------------------------------

URL_A = "https://a.example/"
URL_B = "https://b.example/"


def test_identity_and_compromised_lines_round_trip(tmp_path: Path) -> None:
    times = iter(dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in range(1, 10))
    lock = Lockfile(clock=lambda: next(times), rng=random.Random(0))
    lock.award("a" * 24, "one")
    assert lock.record_identity(URL_A, {"acme": "did:web:a.example"}) == [
        f"the site's url {URL_A}",
        "the DID of issuer 'acme'",
    ]
    assert lock.record_identity(URL_A, {"acme": "did:web:a.example"}) == []  # recorded once
    lock.record_move(URL_B, {"acme": "did:web:b.example"})
    lock.record_key("acme", KEY)
    assert lock.record_compromised("acme", KEY) == "2026-01-05T00:00:00Z"
    assert lock.record_compromised("acme", KEY) == "2026-01-05T00:00:00Z"  # once
    path = tmp_path / "credsite.lock"
    lock.save(path)
    body = path.read_text(encoding="utf-8")[len(lockfile.HEADER) :].splitlines()
    kinds = [json.loads(line)["type"] for line in body]
    assert kinds == ["site", "site", "issuer", "issuer", "key", "compromised", "award"]
    loaded = Lockfile.load(path)
    assert loaded.text() == lock.text()
    assert loaded.site_url() == URL_B and loaded.site_urls() == [URL_A, URL_B]
    assert loaded.issuer_did("acme") == "did:web:b.example"
    assert loaded.recorded_issuers() == {"acme": "did:web:b.example"}
    assert loaded.compromised_keys("acme") == {KEY: "2026-01-05T00:00:00Z"}
    assert loaded.compromised_keys("other") == {}


def test_locked_records_no_identity_but_refuses_a_move_and_a_compromise() -> None:
    lock = new_lock(locked=True)
    assert lock.record_identity(URL_A, {"acme": "did:web:a.example"}) != []
    assert lock.site_url() is None and lock.minted == []
    with pytest.raises(LockedError, match="the move to"):
        lock.record_move(URL_B, {})
    with pytest.raises(LockedError, match="compromised key"):
        lock.record_compromised("acme", KEY)


def test_two_moves_at_the_same_moment_are_a_located_error(tmp_path: Path) -> None:
    """Two branches that moved the site differently, merged with union."""
    path = tmp_path / "credsite.lock"
    lines = [
        '{"type":"site","url":"https://a.example/","since":"2026-01-01T00:00:00Z"}',
        '{"type":"site","url":"https://b.example/","since":"2026-02-01T00:00:00Z",'
        '"previous":"https://a.example/"}',
        '{"type":"site","url":"https://c.example/","since":"2026-02-01T00:00:00Z",'
        '"previous":"https://a.example/"}',
    ]
    path.write_text(lockfile.HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        Lockfile.load(path)
    assert (
        "credsite.lock:4:1: the site's url is recorded as https://b.example/ and "
        "https://c.example/ at the same time (lines 4, 5): probably moved on two branches"
    ) in str(info.value)


def test_a_union_merge_of_a_moved_and_an_unmoved_branch_is_the_moved_site(tmp_path: Path) -> None:
    path = tmp_path / "credsite.lock"
    lines = [
        '{"type":"site","url":"https://a.example/","since":"2026-01-01T00:00:00Z"}',
        '{"type":"site","url":"https://a.example/","since":"2026-01-01T00:00:00Z"}',
        '{"type":"site","url":"https://b.example/","since":"2026-01-01T00:00:00Z",'
        '"previous":"https://a.example/"}',
        '{"type":"compromised","issuer":"acme","publicKeyMultibase":"z6Mk1",'
        '"since":"2026-03-01T00:00:00Z"}',
        '{"type":"compromised","issuer":"acme","publicKeyMultibase":"z6Mk1",'
        '"since":"2026-02-01T00:00:00Z"}',
    ]
    path.write_text(lockfile.HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    lock = Lockfile.load(path)
    assert lock.site_url() == "https://b.example/"  # at the same second, the move line wins
    assert lock.compromised_keys("acme") == {"z6Mk1": "2026-02-01T00:00:00Z"}  # the first one
    assert lock.text().count('"type":"site"') == 2
    assert lock.text().count('"type":"compromised"') == 1


def test_bake_in_browser_lines_are_added_and_the_newest_counts(tmp_path: Path) -> None:
    """`bake-in-browser`: a line each time the switch changes, never removed, so a union merge
    keeps every branch's and the newest says how it is; --locked refuses a change."""
    times = iter(dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in range(1, 10))
    lock = Lockfile(clock=lambda: next(times), rng=random.Random(0))
    lock.award("a" * 24, "one")
    assert not lock.bakes_in_browser() and not lock.record_bake_in_browser(False, "")  # off
    assert lock.record_bake_in_browser(True, "")
    assert not lock.record_bake_in_browser(True, "")  # recorded once
    assert lock.minted == ["award one", "bake_in_browser: true"]
    path = tmp_path / "credsite.lock"
    lock.save(path)
    text = path.read_text(encoding="utf-8")
    assert '{"type":"bake-in-browser","on":true,"since":"2026-01-02T00:00:00Z"}' in text
    # a union merge with a branch that turned it off later, and one that turned it on earlier
    merged = text + (
        '{"type":"bake-in-browser","on":false,"since":"2026-01-03T00:00:00Z"}\n'
        '{"type":"bake-in-browser","on":true,"since":"2026-01-01T12:00:00Z"}\n'
    )
    path.write_text(merged, encoding="utf-8")
    loaded = Lockfile.load(path, locked=True)
    assert not loaded.bakes_in_browser()  # the newest line
    assert loaded.text().count('"type":"bake-in-browser"') == 3
    assert not loaded.record_bake_in_browser(False, "")  # no change: fine under --locked
    with pytest.raises(LockedError, match=r"bake_in_browser is on in site\.yaml") as info:
        loaded.record_bake_in_browser(True, "", Location("site.yaml", 4, 18))
    assert str(info.value).startswith("site.yaml:4:18: --locked")
    clock = iter([dt.datetime(2026, 1, 3, tzinfo=dt.UTC)])  # the same second as the newest
    unlocked = Lockfile.load(path, clock=lambda: next(clock))
    assert unlocked.record_bake_in_browser(True, "") and unlocked.bakes_in_browser()
    assert '"on":true,"since":"2026-01-03T00:00:01Z"' in unlocked.text()  # strictly newest
    tie = merged + '{"type":"bake-in-browser","on":true,"since":"2026-01-03T00:00:00Z"}\n'
    path.write_text(tie, encoding="utf-8")
    assert not Lockfile.load(path).bakes_in_browser()  # two branches at once: off, said again
    path.write_text(text.replace('"on":true', '"on":"yes"'), encoding="utf-8")
    with pytest.raises(ContentError, match="'on' must be true or false"):
        Lockfile.load(path)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"n":18446744073709551616,"m":-9223372036854775809,"f":1.5e-7,"z":-0.0}',
        '"\\ud83d\\ude00 \\u00e9 \\u2028"',
        "[NaN, Infinity, -Infinity]",
        '{"big": 1e400}',
        '[1, 2.0, true, null, "x"]',
    ],
)
def test_lines_are_read_as_the_standard_library_reads_them(text: str) -> None:
    """Lockfile and ledger lines are read by orjson where it reads them the same: the same
    values, number types included, as json.loads."""
    assert repr(values.read_json(text)) == repr(json.loads(text))


def test_written_lines_are_the_standard_librarys_each_read_back_as_one_line(tmp_path: Path) -> None:
    """json.dumps's line, but for the characters `str.splitlines` breaks at and JSON leaves as
    they are (NEL, U+2028, U+2029): escaped, so that the line is read back as one."""
    entry = lockfile.AwardEntry("ä\u2028\x85\u2029\x7f\"", "c", "2026-01-01T00:00:00Z", "s", 0, 3)
    expected = json.dumps({"type": "award", **dataclasses.asdict(entry)}, ensure_ascii=False,
                          separators=(",", ":"))  # fmt: skip
    for character in "\u2028\x85\u2029":
        expected = expected.replace(character, f"\\u{ord(character):04x}")
    assert lockfile._dump(entry) == expected
    lock = new_lock()
    lock.awards[entry.award] = entry
    path = tmp_path / "credsite.lock"
    lock.save(path)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    written = lockfile.text_digest(path.read_bytes())
    for read in (Lockfile.load(path), Lockfile.load(path, written=written)):
        assert read.awards == {entry.award: entry} and read.text() == lock.text()


# -- a lockfile this credsite wrote --------------------------------------------------------------


def written_lock(tmp_path: Path) -> tuple[Path, Lockfile, str]:
    """A lockfile of every kind of line that a build writes, saved, and its digest."""
    lock = new_lock()
    for i in range(5):
        lock.award(f"{i:024x}", f"award {i}")
    lock.record_key("acme", KEY)
    lock.list_updated("acme", 1, "revocation", frozenset({5, 9}), "ab" * 32)
    lock.record_identity("https://a.example/", {"acme": "did:web:a.example"})
    lock.record_bake_in_browser(True, "test")
    path = tmp_path / "credsite.lock"
    lock.save(path)
    return path, lock, lockfile.text_digest(path.read_bytes())


def test_a_lockfile_read_as_written_is_the_lockfile_read_and_checked(tmp_path: Path) -> None:
    path, lock, written = written_lock(tmp_path)
    checked = Lockfile.load(path)
    trusted = Lockfile.load(path, written=written)
    for name in ("awards", "keys", "lists", "sites", "issuers", "baking", "_used"):
        assert getattr(trusted, name) == getattr(checked, name) == getattr(lock, name), name
    assert type(next(iter(trusted.lists.values()))[0].set) is tuple
    assert trusted.text() == checked.text() == path.read_text(encoding="utf-8")
    # each line is kept, not written out again; an entry recorded since is written out
    assert len(trusted._as_written) == len(path.read_text().splitlines()) - 2
    with mock.patch.object(lockfile, "_dump", wraps=lockfile._dump) as dump:
        trusted.text()
        assert dump.call_count == 0
        trusted.award("f" * 24, "a new award")
        trusted.list_updated("acme", 1, "revocation", frozenset({5}), "cd" * 32)
        text = trusted.text()
        assert dump.call_count == 2
    assert trusted.lists[("acme", 1, "revocation")][0].set == (5,)
    trusted._as_written.clear()  # every line written out: the same text
    assert text == trusted.text() != checked.text()


def test_a_lockfile_changed_since_it_was_written_is_checked(tmp_path: Path) -> None:
    path, _lock, written = written_lock(tmp_path)
    text = path.read_text(encoding="utf-8")
    bad = text.replace('"list":1,', '"list":-1,', 1)
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError, match="'list' must be a whole number from 0"):
        Lockfile.load(path, written=written)
    path.write_text(text + "<<<<<<< HEAD\n", encoding="utf-8")
    with pytest.raises(ContentError, match="merge conflict marker"):
        Lockfile.load(path, written=written)


def test_a_build_reads_the_lockfile_it_wrote_as_written_and_any_other_checked(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    build_site(root)
    path = root / "credsite.lock"
    written = path.read_bytes()
    with mock.patch.object(lockfile, "_parse", wraps=lockfile._parse) as parse:
        build_site(root)
        assert parse.call_count == 0  # what the first build wrote
        assert path.read_bytes() == written
        build_site(root, use_cache=False)
        assert parse.call_count == len(written.splitlines()) - 2
    # edited by hand since (the same length, so only the bytes tell): checked again
    path.write_bytes(written.replace(b'"list":1,', b'"list":x,', 1))
    with pytest.raises(ContentError, match=r"credsite.lock:\d+:1: unreadable lockfile line"):
        build_site(root)
    path.write_bytes(written)
    build_site(root)
    assert path.read_bytes() == written


def test_a_list_number_past_63_bits_is_a_located_error(tmp_path: Path) -> None:
    """orjson (the read as written) makes an integer past 64 bits a float: the checked read
    refuses a list number from 2^63, so no file a build writes holds one."""
    path = tmp_path / "credsite.lock"
    line = (
        '{"type":"list","issuer":"a","list":9223372036854775807,"purpose":"revocation",'
        '"set":[],"updated":"2026-01-01T00:00:00Z"}'
    )
    path.write_text(lockfile.HEADER + line + "\n", encoding="utf-8")
    checked = Lockfile.load(path)
    assert checked.text() == path.read_text(encoding="utf-8")  # as a build writes it
    trusted = Lockfile.load(path, written=lockfile.text_digest(path.read_bytes()))
    assert trusted.lists == checked.lists and trusted._as_written
    assert [type(e.list) for es in trusted.lists.values() for e in es] == [int]
    for number in ("9223372036854775808", "18446744073709551616"):
        path.write_text(lockfile.HEADER + line.replace("9223372036854775807", number) + "\n")
        with pytest.raises(ContentError, match=rf"credsite.lock:3:1: .*'list' must be below 2\^63, got {number}"):
            Lockfile.load(path)


def test_a_lone_surrogate_is_a_located_error_not_a_traceback(tmp_path: Path) -> None:
    """JSON can spell half a UTF-16 pair; UTF-8 cannot, so the file could not be written again."""
    path = tmp_path / "credsite.lock"
    line = '{"type":"key","issuer":"a\\ud800","publicKeyMultibase":"z6Mk","added":"2026-01-01T00:00:00Z"}'
    path.write_text(lockfile.HEADER + line + "\n", encoding="utf-8")
    for written in (None, lockfile.text_digest(path.read_bytes())):
        with pytest.raises(ContentError, match=r"credsite.lock:3:1: .*surrogate pair alone"):
            Lockfile.load(path, written=written)
    paired = line.replace("\\ud800", "\\ud83d\\ude00")  # a whole pair: one character
    path.write_text(lockfile.HEADER + paired + "\n", encoding="utf-8")
    assert Lockfile.load(path).keys[0].issuer == "a\U0001f600"


def test_the_lockfile_is_compared_and_written_as_its_lines_with_a_line_break_each(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Lockfile.data` is the header and a line per entry, each ending in a line break; the
    build writes it only if the file holds other bytes (`_changed`, which compares a piece at
    a time: whatever piece the difference is in, and a file longer or shorter by a byte)."""
    from credsite import build

    lock = lockfile.Lockfile.load(tmp_path / "credsite.lock", "credsite.lock", clock=fixed_clock)
    assert lock.data() == lockfile.HEADER.encode()
    site = make_site()
    build_site(site)
    lock = lockfile.Lockfile.load(site / "credsite.lock", "credsite.lock", clock=fixed_clock)
    lines = lock.lines()
    assert len(lines) > 5
    data = lock.data()
    assert data == (lockfile.HEADER + "".join(line + "\n" for line in lines)).encode()
    assert data == (site / "credsite.lock").read_bytes()
    monkeypatch.setattr(build, "_COMPARED", 10)
    path = tmp_path / "file"
    for at in (0, 9, 10, 11, len(data) - 1):
        path.write_bytes(data[:at] + b"~" + data[at + 1 :])
        assert build._changed(path, data)
    for other in (data[:-1], data + b"\n", b""):
        path.write_bytes(other)
        assert build._changed(path, data)
    path.write_bytes(data)
    assert not build._changed(path, data)
    assert build._changed(tmp_path / "none", data)
