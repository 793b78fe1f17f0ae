"""A long award list with a few items changed is read again in part (`yamlsource._Pieces`): what
it gives is what parsing the whole file gives, down to each location, and any error is the one
the whole file's parse reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credsite.content import yamlsource
from credsite.errors import CredsiteError
from tests.test_hardening import _Kept, _shape

SHOWN = "content/awards/cohort.yaml"


def _item(n: int) -> str:
    return (
        f"  - name: Person {n}\n    email: person{n}@example.org\n    achievement: teamwork\n"
        f"    narrative: Led workshop {n} and mentored {n % 7} participants.\n"
    )


HEAD = "# A cohort\nissuer: acme\nissued: 2026-03-01\nawards:\n"
BASE = HEAD + "".join(_item(n) for n in range(6))


def _outcome(load: Callable[[], object]) -> object:
    """What a load gives: the value's shape, or the error and where it is."""
    try:
        return _shape(load())
    except CredsiteError as exc:
        return ("error", str(exc), exc.problems)


def _read(path: Path, kept: _Kept | None) -> object:
    return _outcome(lambda: yamlsource.load(path, SHOWN, kept))


def _check(tmp_path: Path, before: str, after: str) -> _Kept:
    """Load `before` with a cache, then `after` with it: `after` must read as without one."""
    path = tmp_path / "cohort.yaml"
    path.write_text(before, encoding="utf-8")
    kept = _Kept()
    _read(path, kept)
    path.write_text(after, encoding="utf-8")
    assert _read(path, kept) == _read(path, None)
    assert _read(path, kept) == _read(path, None)  # and again, from what that load kept
    return kept


EDITS: list[tuple[str, Callable[[str], str]]] = [
    ("one narrative", lambda t: t.replace("Led workshop 3", "Led workshop 3 (edited)")),
    ("an item added", lambda t: t.replace(_item(2), _item(2) + _item(99))),
    ("an item removed", lambda t: t.replace(_item(4), "")),
    ("items swapped", lambda t: t.replace(_item(1) + _item(2), _item(2) + _item(1))),
    ("the first item", lambda t: t.replace("Person 0\n", "Person Zero\n")),
    ("the last item", lambda t: t + "    evidence: https://example.org/e\n"),
    ("a line added", lambda t: t.replace(_item(3), "\n" + _item(3))),
    ("a comment", lambda t: t.replace(_item(3), "  # note\n" + _item(3))),
    ("the head", lambda t: t.replace("issuer: acme", "issuer: other")),
    ("a key after the list", lambda t: t + "issuer: late\n"),
    ("a document after", lambda t: t + "---\nmore: 1\n"),
    ("a document end", lambda t: t + "...\n"),
    ("a duplicate key", lambda t: t.replace("achievement: teamwork\n", "name: again\n", 1)),
    ("a quote left open", lambda t: t.replace("Person 2\n", '"Person 2\n')),
    ("a quote over an item", lambda t: t.replace("Person 2\n", '"Person 2\n', 1).replace(
        "Led workshop 3", 'Led" workshop 3')),
    ("a bracket over an item", lambda t: t.replace("Person 2\n", "[Person 2,\n").replace(
        "achievement: teamwork\n  - name: Person 3", "achievement: teamwork]\n  - name: Person 3")),
    ("an alias to the head", lambda t: t.replace("issuer: acme", "issuer: &who acme").replace(
        "Person 4\n", "*who\n")),
    ("an anchor in an item", lambda t: t.replace("Person 4\n", "&p Person 4\n    other: *p\n")),
    ("an anchor twice", lambda t: t.replace("Person 4\n", "&p Person 4\n").replace(
        "Person 5\n", "&p Person 5\n")),
    ("an explicit key", lambda t: t.replace(_item(3), "  - ? k\n" + _item(3))),
    ("an anchor in a flow item", lambda t: t.replace(_item(2), '  - {"k":&x 1}\n').replace(
        _item(4), '  - {"k":&x 2}\n')),
    ("a byte order mark", lambda t: t.replace(_item(3), "\ufeff - x\n" + _item(3))),
    ("an ampersand in a text", lambda t: t.replace("Led workshop 3", "Led R&D workshop 3")),
    ("a block text", lambda t: t.replace("narrative: Led workshop 3 and mentored 3 participants.",
                                         "narrative: |\n      line\n       - not an item\n")),
    ("an indented item", lambda t: t.replace("  - name: Person 3", "    - name: Person 3")),
    ("an item on two lines", lambda t: t.replace("  - name: Person 3", "  -\n    name: Person 3")),
    ("a tab", lambda t: t.replace("    email: person3", "\temail: person3")),
    ("a line separator", lambda t: t.replace("Person 1\n", '"Person\u2028 1"\n')),
    ("a next line", lambda t: t.replace("Person 1\n", '"Person\x85 1"\n')),
    ("a carriage return", lambda t: t.replace("Person 1\n", '"Person\r 1"\n')),
    ("windows line ends", lambda t: t.replace("\n", "\r\n")),
    ("a flow item", lambda t: t.replace(_item(3), "  - {name: Flow, email: f@example.org}\n")),
    ("a scalar item", lambda t: t.replace(_item(3), "  - 0012\n  - yes\n")),
    ("a control character", lambda t: t.replace("Person 3", 'Person "\\x07" 3')),
    ("everything changed", lambda t: t.replace("Person", "Someone")),
    ("all but the head", lambda t: HEAD),
    ("one item left", lambda t: HEAD + _item(7)),
    ("not a list", lambda t: "awards: none\n"),
]


@pytest.mark.parametrize("edit", [e[1] for e in EDITS], ids=[e[0] for e in EDITS])
def test_an_edited_list_reads_as_parsed_whole(tmp_path: Path, edit: Callable[[str], str]) -> None:
    _check(tmp_path, BASE, edit(BASE))


# Found by a review: each a file as built one after the other (each build keeps what it read).
REVIEWED = [
    ["%TAG !! tag:example.com,2000:\n---\nawards:\n  - a\n  - b\n  - c\n",
     "%TAG !! tag:example.com,2000:\n---\nawards:\n  - a\n  - !!str b\n  - c\n"],
    ['awards:\n  - {"k":&a 1}\n  - j: *a\n  - c\n', 'awards:\n  - {"k":&a 2}\n  - j: *a\n  - c\n'],
    ["awards:\n  - &a x\n  - j: *a\n  - c\n", "awards:\n  - x2\n  - j: *a\n  - c\n"],
    ["awards: &L\n  - a\n  - b\nother: *L\n", "awards: &L\n  - a2\n  - b\nother: *L\n"],
    ["awards:\r\n  - a\r\n  - b\r\n  - c\r\n",
     'awards:\r\n  - a\r\n  -\r\n    x\r\n  - "y\r\n  - z"\r\n  - c\r\n',
     'awards:\r\n  - a\r\n  -\r\n    x\r\n  - "y\r\n  - w\r\n  - c\r\n'],
    ["awards:\n  - a\n  - b\n  - c\n", 'awards:\n  - a\n\ufeff - x\n  - "y\n  - z"\n  - c\n',
     'awards:\n  - a\n\ufeff - x\n  - "y\n  - w\n  - c\n'],
]  # fmt: skip


@pytest.mark.parametrize("versions", REVIEWED)
def test_each_build_of_a_file_reads_as_parsed_whole(tmp_path: Path, versions: list[str]) -> None:
    path, kept = tmp_path / "cohort.yaml", _Kept()
    for text in versions:
        path.write_text(text, encoding="utf-8", newline="")
        assert _read(path, kept) == _read(path, None)


def test_a_top_level_list_and_its_edits(tmp_path: Path) -> None:
    items = "".join(f"- name: P{n}\n  email: p{n}@example.org\n" for n in range(5))
    _check(tmp_path, items, items.replace("P3", "P3 (edited)"))
    _check(tmp_path, items, items + "- name: P9\n")
    _check(tmp_path, items, "x: 1\n" + items)


def test_only_the_changed_item_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = HEAD + "".join(_item(n) for n in range(500))
    path = tmp_path / "cohort.yaml"
    path.write_text(big, encoding="utf-8")
    kept = _Kept()
    yamlsource.load(path, SHOWN, kept)
    assert [k.startswith("list ") for k in kept] == [True]  # kept as a list
    texts: list[str] = []
    parse = yamlsource.parse

    def counted(text: str, shown: str, depth: int = 0) -> object:
        texts.append(text)
        return parse(text, shown, depth)

    monkeypatch.setattr(yamlsource, "parse", counted)
    path.write_text(big.replace("Led workshop 250 ", "Led workshop 250 (edited) "), "utf-8")
    edited = yamlsource.load(path, SHOWN, kept)
    assert [t.strip() for t in texts] == [_item(250).replace("250 ", "250 (edited) ", 1).strip()]
    assert edited["awards"][250]["narrative"].startswith("Led workshop 250 (edited)")
    assert edited["awards"][250].location.line == 5 + 250 * 4
    texts.clear()
    assert _shape(yamlsource.load(path, SHOWN, kept)) == _shape(edited)  # kept again: no parse
    assert texts == []


def test_an_email_not_written_as_it_is_is_not_kept(tmp_path: Path) -> None:
    kept = _check(tmp_path, BASE, BASE.replace("email: person3@example.org", 'email: "p\\x40x.org"'))
    assert "@" not in str(list(kept.values())) and "\\x40" not in str(list(kept.values()))


def _edit(items: list[str], edits: list[tuple[int, str | None]]) -> None:
    """Each edit in turn: at an odd place replace the item, at an even one insert before it,
    or with None remove it."""
    for at, new in edits:
        at %= len(items) + 1
        if new is None:
            del items[at : at + 1]
        elif at % 2:
            items[at : at + 1] = [new]
        else:
            items.insert(at, new)


# Items a list is kept with, and items of every kind a piece could be cut wrongly in.
GOOD = [
    "  - name: A\n    email: a@example.org\n",
    "  - name: B\n\n    narrative: two\n      lines\n",
    "  - name: D\n    narrative: |\n      text\n      - a dash\n",
    "  - G\n",
    "  # a comment\n  - name: H\n",
    "  - name: I # - not an item\n",
    "  - {name: N, email: n@example.org}\n",
    "  - name: &o O\n    also: *o\n",
]
TRICKY = [
    '  - name: "C\n  - not: an item"\n',
    "  - name: E\n    tags: [x,\n  - y]\n",
    "  - name: &e E\n",
    "  - name: *e\n",
    "  -\n    name: F\n",
    "---\n",
    "...\n",
    "  - name: 'J\n\n  - K'\n",
    "  - {name: L,\n  - m}\n",
    "  - name: M\n    - nested\n",
    "x: 1\n",
    "    - P\n",
    "  - name: Q\n  name: again\n",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(GOOD), min_size=2, max_size=8),
    st.lists(
        st.tuples(st.integers(0, 9), st.one_of(st.sampled_from([None, *GOOD]), st.sampled_from(TRICKY))),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_any_edit_of_any_list_reads_as_parsed_whole(
    tmp_path: Path, items: list[str], edits: list[tuple[int, str | None]], head: bool
) -> None:
    before = ("awards:\n" if head else "") + "".join(items)
    _edit(items, edits)
    after = ("awards:\n" if head else "") + "".join(items)
    if not head:
        before, after = (t.replace("\n  ", "\n").removeprefix("  ") for t in (before, after))
    _check(tmp_path, before, after)


# Lines of every kind, at any indentation: items no one would write, cut anywhere.
FRAGMENTS = ["name: A", "email: a@example.org", "'q", "q'", '"d', 'd"', "[a,", "b]", "{k: v,", "}",
             "- ", "-", "k: |", "k: >-", "k: |2", "text", "  more", "# c", "x: 'a''b'", "z: a: b",
             "? k", ": v", "*a", "&a v", "!!str 1", "0012", "yes", "2026-01-01", "...", "---",
             "%YAML 1.1", "\t", "", "a #b", "k:", "- - x", "-x", "R&D", "Why? Now"]  # fmt: skip
odd_item = st.tuples(
    st.sampled_from([2, 2, 0, 4]),
    st.sampled_from(FRAGMENTS),
    st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4, 6]), st.sampled_from(FRAGMENTS)), max_size=3),
).map(lambda t: " " * t[0] + "- " + t[1] + "\n" + "".join(" " * n + f + "\n" for n, f in t[2]))
plain_item = st.integers(0, 9).map(lambda n: f"  - name: N{n}\n    email: e{n}@example.org\n")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(plain_item, min_size=2, max_size=6),
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 9), st.one_of(st.none(), plain_item, odd_item)),
            min_size=1,
            max_size=3,
        ),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
)
def test_odd_items_read_as_parsed_whole(
    tmp_path: Path, items: list[str], builds: list[list[tuple[int, str | None]]], crlf: bool
) -> None:
    """Builds one after the other, each of the list edited again (each keeps what it read)."""
    path, kept = tmp_path / "cohort.yaml", _Kept()
    for edits in [[], *builds]:
        _edit(items, edits)
        text = "awards:\n" + "".join(items)
        path.write_text(text.replace("\n", "\r\n") if crlf else text, "utf-8", newline="")
        assert _read(path, kept) == _read(path, None)


def test_the_limit_on_values_holds_for_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items parsed alone each fit `MAX_VALUES`; the file they make up must too."""
    monkeypatch.setattr(yamlsource, "MAX_VALUES", 75)
    small = HEAD + "".join(_item(n) for n in range(7))  # 70 values; 79 with one more
    kept = _check(tmp_path, small, small.replace(_item(3), _item(3) + _item(8)))
    assert kept and all(key.startswith("list ") for key in kept)
    path = tmp_path / "cohort.yaml"
    assert "more than 75 values" in str(_read(path, None))


# Found by the same reviews, in `parse` itself (with or without a cache).
@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("ééééé: b\x07\nc: d\n", "x:1:9:"),  # LibYAML counts bytes, the message characters
        ("k: 🙂🙂 \x07\n" + "\n" * 16, "x:1:7:"),
        ("a: 1\rb: x\x07\r", "x:2:5:"),  # lines as YAML counts them
        ('a: 1\rb: "x"y\r', "x:2:4:"),  # was an IndexError: lines split at \n only
        ('name: Ann\remail: "a"b\r', "x:2:8:"),
    ],
)
def test_an_error_is_located_where_it_is(text: str, where: str) -> None:
    with pytest.raises(CredsiteError) as raised:
        yamlsource.parse(text, "x")
    assert str(raised.value).startswith(where)


@pytest.mark.parametrize("text", [BASE, "".join(_item(n) for n in range(3)).replace("\n  ", "\n")[2:]])
def test_the_values_kept_add_up_to_the_whole_file(text: str) -> None:
    value = yamlsource.parse(text, SHOWN)
    entry = yamlsource._Pieces.kept(text, value, yamlsource._Freeze(text))
    assert entry is not None
    assert entry[6] + sum(piece[yamlsource._VALUES] for piece in entry[7:]) == yamlsource._values(value)
