"""tests/vectors/README.md and the files in tests/vectors cannot drift apart.

Every file the README lists must exist with the sha256 it gives, each row must name its source
(repo @ commit : path), and every file in the folder must be listed.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from conftest import VECTORS

README = VECTORS / "README.md"
# | `path` | `owner/repo` @ `commit` : `path` ... | version | `sha256` |
ROW = re.compile(
    r"^\| `(?P<path>[^`]+)` \| (?P<source>.+) \| (?P<version>.+) \| `(?P<sha256>[^`]*)` \|$"
)
SOURCE = re.compile(r"^`[\w.-]+/[\w.-]+` @ `[0-9a-f]{40}` : `[^`]+`")
UNLISTED = {"README.md"}


def listed() -> dict[str, re.Match[str]]:
    rows: dict[str, re.Match[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        if (match := ROW.match(line)) is not None:
            assert match["path"] not in rows, f"{match['path']} is listed twice"
            rows[match["path"]] = match
    return rows


def test_the_readme_lists_the_vectors() -> None:
    rows = listed()
    assert len(rows) >= 50
    for name in (
        "credentials-v2.jsonld",
        "test-vectors/keyPair.json",
        "clr/clr20-vector-signed.json",
    ):
        assert name in rows


@pytest.mark.parametrize("path", sorted(listed()))
def test_listed_file_exists_with_its_sha256(path: str) -> None:
    row = listed()[path]
    assert re.fullmatch(r"[0-9a-f]{64}", row["sha256"]), f"{path}: sha256 {row['sha256']!r}"
    assert SOURCE.match(row["source"]), f"{path}: source must read `repo` @ `commit` : `path`"
    file = VECTORS / path
    assert file.is_file(), f"{file} is missing"
    assert hashlib.sha256(file.read_bytes()).hexdigest() == row["sha256"], f"{path} changed"


def test_every_file_in_the_folder_is_listed() -> None:
    present = {
        p.relative_to(VECTORS).as_posix() for p in VECTORS.rglob("*") if p.is_file()
    } - UNLISTED
    assert sorted(present - listed().keys()) == []
