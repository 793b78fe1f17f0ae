"""The last guard before anything is written: no form of an issuer's private key is published.

A key can reach the site only through the content (pasted into a narrative, a field, a theme) or
a bug. Every form credsite reads or a key is commonly written in is looked for in every output
file: the raw 32-byte seed (so also the 64-byte seed + public key), hex in either case, base64
and base64url with or without padding at any alignment (a JWK ``d``, a PKCS#8 PEM, the ``u``
multibase form), and base58btc of the seed, of the ``z3u2...`` secret Multikey and of its legacy
64-byte form. Found, the build stops with a located error at the content that carries the key
(``path:line:col``), or names the output file when no content file does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs

from credsite.errors import ContentError, Location, Problem
from credsite.vc.encoding import ED25519_PRIV_PREFIX, base58btc_encode


@dataclass(frozen=True)
class Form:
    issuer: str
    form: str
    """How the key is written, for the message: 'hex', 'base64url (a JWK "d")', ..."""
    needle: bytes


LINKS_SECRET = "(private-links secret)"
"""The `issuer` of the forms of the private-links secret (`key_forms(LINKS_SECRET, secret, b"")`)."""


def key_forms(issuer: str, seed: bytes, public: bytes) -> list[Form]:
    """Byte strings any of which, found in a file, means the file holds this private key."""
    forms = [
        Form(issuer, "raw bytes", seed),
        Form(issuer, "hex", seed.hex().encode()),
        Form(issuer, "hex", seed.hex().upper().encode()),
    ]
    for offset in range(3):
        # The base64 characters that depend on the seed's bits alone: the same whatever comes
        # before (offset bytes) or after it (padding, the public key), so one needle per offset.
        padded = b"\0" * offset + seed + b"\0\0\0"
        start, end = -(-8 * offset // 6), (8 * (offset + len(seed))) // 6
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            label = f'{name} (a JWK "d")' if (name, offset) == ("base64url", 0) else name
            forms.append(Form(issuer, label, encode(padded)[start:end]))
    for name, data in (
        ("base58btc", seed),
        ("secret Multikey (z3u2...)", ED25519_PRIV_PREFIX + seed),
        ("secret Multikey (z3u2...)", ED25519_PRIV_PREFIX + seed + public),
    ):
        forms.append(Form(issuer, name, base58btc_encode(data).encode()))
    unique = {form.needle: form for form in forms}
    return list(unique.values())


class Scanner:
    """Looks for every form of the keys in each file as it is added to the site
    (`credsite.website.output.Output`), then refuses them all at once (`refuse`)."""

    def __init__(self, forms: list[Form]) -> None:
        self.forms = forms
        self.leaks: dict[str, list[tuple[Form, str]]] = {}
        # Every needle looked for in one pass (Aho-Corasick): a site is tens of thousands of
        # files and an issuer's key a dozen forms, each of which a search of its own.
        self._needles = list(dict.fromkeys(form.needle for form in forms))
        self._forms_of = {n: [f for f in forms if f.needle == n] for n in self._needles}
        self._search = ahocorasick_rs.BytesAhoCorasick(self._needles) if self._needles else None
        # Whether any needle is there at all: leftmost-first matching (whose first match is
        # found whenever any needle occurs) takes the library's vectorised prefilter, five times
        # as fast as the overlapping search that says which ones are there. Nearly every file
        # holds none, so that search runs only on a file where this one found something.
        self._any = (
            ahocorasick_rs.BytesAhoCorasick(
                self._needles, matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
            )
            if self._needles
            else None
        )

    def scan(self, path: str, data: bytes) -> None:
        if self._search is None or self._any is None:
            return
        if not self._any.find_matches_as_indexes(data):
            return
        found = {i for i, _, _ in self._search.find_matches_as_indexes(data, overlapping=True)}
        for index in sorted(found):
            needle = self._needles[index]
            for form in self._forms_of[needle]:
                self.leaks.setdefault(needle.hex(), []).append((form, path))

    def refuse(self, root: Path, sources: Iterable[Path]) -> None:
        """Raise a `ContentError` if any file scanned holds any form of a private key.

        `sources` are the site's own files (content, themes, site.yaml) searched for the key to say
        where it was pasted; `root` is the site folder they are shown relative to.
        """
        if not self.leaks:
            return
        problems: list[Problem] = []
        by_needle = {form.needle.hex(): form for form in self.forms}
        texts = list(_read(sources))
        # in the order of the forms (the files were scanned in an order the pool's timing sets)
        for key, form in by_needle.items():
            found = self.leaks.get(key)
            if not found:
                continue
            outputs = sorted({path for _, path in found})
            where = f"{outputs[0]}" + (f" and {len(outputs) - 1} more" if len(outputs) > 1 else "")
            message = (
                f"this is the private signing key of issuer '{form.issuer}' (as {form.form}), "
                f"which would be published in {where}: remove it. If this file was ever shared "
                f"or committed, make a new key: credsite keys generate --rotate {form.issuer}"
            )
            if form.issuer == LINKS_SECRET:
                message = (
                    f"this is the site's private-links secret (as {form.form}), which would be "
                    f"published in {where}: remove it. Anyone who has it can open every private "
                    "credential of the site."
                )
            places = [
                Location(_shown(path, root), *position)
                for path, data in texts
                for position in _positions(data, form.needle)
            ]
            if not places:
                problems.append(
                    Problem(Location(outputs[0]), message.replace("this is", "it holds", 1))
                )
            problems.extend(Problem(place, message) for place in places)
        raise ContentError(problems)


def _read(sources: Iterable[Path]) -> Iterator[tuple[Path, bytes]]:
    for source in sources:
        paths = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in paths:
            try:
                yield path, path.read_bytes()
            except OSError:
                continue


def _positions(data: bytes, needle: bytes) -> Iterator[tuple[int, int]]:
    """1-based (line, column) of every occurrence, the column in characters."""
    start = data.find(needle)
    while start >= 0:
        line_start = data.rfind(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        yield data.count(b"\n", 0, start) + 1, column
        start = data.find(needle, start + 1)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
