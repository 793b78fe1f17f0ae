"""The scanner that keeps key material out of the site finds exactly what a search for each form
would (`credsite.website.secrets.Scanner`: every form in one Aho-Corasick pass)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.website import secrets

SEEDS = [hashlib.sha256(bytes([n])).digest() for n in range(3)]
FORMS = [form for n, seed in enumerate(SEEDS) for form in secrets.key_forms(f"i{n}", seed, seed[::-1])]


def one_by_one(forms: list[secrets.Form], files: list[bytes]) -> dict[str, list[tuple[str, str]]]:
    """What the scanner must find: each form searched for on its own."""
    leaks: dict[str, list[tuple[str, str]]] = {}
    for number, data in enumerate(files):
        for form in forms:
            if form.needle in data:
                leaks.setdefault(form.needle.hex(), []).append((form.issuer, f"f{number}"))
    return leaks


def scanned(forms: list[secrets.Form], files: list[bytes]) -> dict[str, list[tuple[str, str]]]:
    scanner = secrets.Scanner(forms)
    for number, data in enumerate(files):
        scanner.scan(f"f{number}", data)
    return {key: [(f.issuer, p) for f, p in found] for key, found in scanner.leaks.items()}


# A file: filler around pieces of needles (whole, cut short, overlapping one another).
piece = st.tuples(st.sampled_from(FORMS), st.integers(0, 2), st.booleans()).map(
    lambda t: t[0].needle[: len(t[0].needle) - t[1]] if t[2] else t[0].needle[t[1] :]
)
chunk = st.one_of(st.binary(max_size=40), piece, st.sampled_from(FORMS).map(lambda f: f.needle))
files = st.lists(st.lists(chunk, max_size=8).map(b"".join), max_size=5)


@settings(max_examples=300, deadline=None)
@given(files)
def test_finds_what_a_search_for_each_form_finds(contents: list[bytes]) -> None:
    assert scanned(FORMS, contents) == one_by_one(FORMS, contents)


def test_every_form_found_wherever_it_is() -> None:
    for form in FORMS:
        for data in (form.needle, b"x" * 5000 + form.needle + b"y", b"\n" + form.needle * 2):
            assert scanned(FORMS, [data]) == one_by_one(FORMS, [data]) != {}


def test_a_needle_two_forms_share_is_reported_for_both() -> None:
    shared = [
        secrets.Form("one", "hex", SEEDS[0].hex().encode()),
        secrets.Form("two", "hex", SEEDS[0].hex().encode()),
    ]
    files = [b"<p>" + SEEDS[0].hex().encode() + b"</p>", b"nothing"]
    assert scanned(shared, files) == {
        SEEDS[0].hex().encode().hex(): [("one", "f0"), ("two", "f0")]
    }


def test_no_forms_finds_nothing() -> None:
    assert scanned([], [SEEDS[0], b""]) == {}
