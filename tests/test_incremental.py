"""Rebuilds write only what changed (issue 14): the output manifest, kept pages and baked images,
the site left alone when nothing changed; and the switches for large sites (`ob2_baked`,
`headers`), and progress."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AWARDS, SITE_YAML, build_site, copy_example, tree, write_files
from hypothesis import assume, given
from hypothesis import strategies as st

from credsite import cache, values
from credsite.content import yamlsource
from credsite.issuing import ob3
from credsite.website import hosting, output

AWARDS_FILE = "content/awards/awards.yaml"


def stats(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file: (inode, mtime_ns, bytes); the same inode and mtime mean it was not written."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(folder).as_posix()] = (
                info.st_ino,
                info.st_mtime_ns,
                path.read_bytes(),
            )
    return found


def changed(
    before: dict[str, tuple[int, int, bytes]], after: dict[str, tuple[int, int, bytes]]
) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def test_a_rebuild_with_nothing_changed_writes_nothing(make_site: Callable[..., Path]) -> None:
    root = make_site()
    first = build_site(root)
    assert first.written == first.files
    before = stats(root / "_site")
    folder = (root / "_site").stat().st_ino
    caches = stats(root / ".credsite-cache")  # the manifest, the proofs: not written again
    second = build_site(root)
    assert second.written == 0 and second.files == first.files and second.bytes == first.bytes
    assert stats(root / "_site") == before  # every file: same bytes, inode and mtime
    assert stats(root / ".credsite-cache") == caches
    assert (root / "_site").stat().st_ino == folder  # not even swapped
    assert not (root / "_site.staging").exists()


def made_and_parsed(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The names of the recipients whose credentials are made (`ob3.unsigned_credential`) and
    the award files parsed, from now on."""
    made: list[str] = []
    parsed: list[str] = []
    make, parse = ob3.unsigned_credential, yamlsource.parse

    def making(award: Any, *args: Any, **options: Any) -> Any:
        made.append(award.name)
        return make(award, *args, **options)

    def parsing(text: str, shown: str) -> Any:
        parsed.append(shown)
        return parse(text, shown)

    monkeypatch.setattr(ob3, "unsigned_credential", making)
    monkeypatch.setattr(yamlsource, "parse", parsing)
    return made, parsed


def test_a_rebuild_makes_only_what_changed_and_parses_only_the_files_edited(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each credential is kept by what it is made from (its award and lockfile entry, and what
    every credential is made from), and each award file by its bytes: a rebuild that changes
    nothing makes no credential and parses no award file; one award changed makes its own."""
    root = make_site({"content/awards/more.yaml": AWARDS.replace("example.org", "example.net")})
    build_site(root)
    made, parsed = made_and_parsed(monkeypatch)
    before = stats(root / "_site")
    assert build_site(root).written == 0
    assert stats(root / "_site") == before
    assert made == [] and [p for p in parsed if "/awards/" in p] == []
    write_files(root, {AWARDS_FILE: AWARDS.replace("name: Alan Turing", "name: Alan M. Turing")})
    build_site(root)
    assert made == ["Alan M. Turing"]
    assert [p for p in parsed if "/awards/" in p] == [AWARDS_FILE]
    # ... and what it made is what a clean build makes
    clean = root.parent / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", ".credsite-cache"))
    build_site(clean)
    assert tree(clean / "_site") == tree(root / "_site")


def test_a_credential_made_again_for_a_file_is_the_one_kept(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credential kept by its inputs is made again only where a file made from it is: a
    credential file deleted from the output comes back the same bytes (checked against the
    digest the earlier build recorded)."""
    root = make_site()
    build_site(root)
    made, _ = made_and_parsed(monkeypatch)
    before = tree(root / "_site")
    gone = next(p for p in before if p.startswith("credentials/") and p.endswith(".json"))
    (root / "_site" / gone).unlink()
    assert build_site(root).written == 1
    assert tree(root / "_site") == before
    assert len(made) == 1  # that one credential, for its file


def manifest_paths(root: Path) -> set[str]:
    """The files the manifest of `_site` describes."""
    (manifest,) = (root / ".credsite-cache" / "sites").glob("*.json")
    return set(cache.KeptMap(manifest, output.MANIFEST_VERSION, compact=True).loaded)


def test_an_award_taken_out_leaves_no_entry_in_the_manifest(make_site: Callable[..., Path]) -> None:
    """Every other file is kept; the manifest is written again without the files that went."""
    root = make_site()
    build_site(root)
    first = set(tree(root / "_site"))
    assert manifest_paths(root) == first
    awards = AWARDS.split("\n- ")
    write_files(root, {AWARDS_FILE: "\n- ".join(awards[:-1]) + "\n"})
    result = build_site(root)
    assert result.files < len(first) and set(tree(root / "_site")) < first
    assert manifest_paths(root) == set(tree(root / "_site"))


def test_a_manifest_as_an_earlier_credsite_wrote_it_still_keeps_every_file(
    make_site: Callable[..., Path],
) -> None:
    """The manifest is written an entry per line and held as each entry's bytes; one written
    as a single JSON object (an earlier credsite, the same version string) is read whole
    instead: the next build still keeps every file, writing none."""
    root = make_site()
    first = build_site(root)
    (manifest,) = (root / ".credsite-cache" / "sites").glob("*.json")
    entries = json.loads(manifest.read_bytes().partition(b"\n")[2])["entries"]
    assert len(entries) == first.files and manifest.read_bytes().count(b"\n") == first.files + 2
    whole = json.dumps({"version": output.MANIFEST_VERSION, "entries": entries}).encode()
    manifest.write_bytes(cache._sealed(whole))
    before = stats(root / "_site")
    second = build_site(root)
    assert second.written == 0 and second.bytes == first.bytes
    assert stats(root / "_site") == before
    assert json.loads(manifest.read_bytes().partition(b"\n")[2])["entries"] == entries


def test_manifests_of_folders_that_hold_no_site_are_forgotten(
    make_site: Callable[..., Path],
) -> None:
    """Each output folder built has a manifest in the cache (the size of its file list): those
    of folders deleted since, or of a credsite that named no folder, go at the next build."""
    root = make_site()
    manifests = root / ".credsite-cache" / "sites"
    build_site(root)
    build_site(root, output_dir="tried")
    elsewhere = root.parent / "elsewhere"
    build_site(root, output_dir=str(elsewhere))
    names = {p.name: p.read_text(encoding="utf-8") for p in manifests.glob("*.folder")}
    assert sorted(names.values()) == sorted(["_site", "tried", elsewhere.as_posix()])
    assert len(list(manifests.glob("*.json"))) == 3
    older = manifests / ("0" * 24 + ".json")  # an earlier credsite's: it named no folder
    older.write_bytes(b"{}")
    (tried,) = (p for p in manifests.glob("*.folder") if p.read_text(encoding="utf-8") == "tried")
    tried_delta = cache.delta_of(tried.with_suffix(".json"))
    tried_delta.write_bytes(b"a delta a later build of tried/ saved")
    shutil.rmtree(root / "tried")
    build_site(root)
    assert not tried_delta.exists()
    assert sorted(p.read_text(encoding="utf-8") for p in manifests.glob("*.folder")) == sorted(
        ["_site", elsewhere.as_posix()]
    )
    assert len(list(manifests.glob("*.json"))) == 2 and not older.exists()
    # The folder still holding a site keeps its manifest: its next build writes nothing.
    assert build_site(root, output_dir=str(elsewhere)).written == 0
    # A folder that no longer holds a site (its marker gone) is forgotten too.
    (elsewhere / output.OUTPUT_MARKER).unlink()
    build_site(root)
    assert [p.read_text(encoding="utf-8") for p in manifests.glob("*.folder")] == ["_site"]


def test_one_award_changed_rewrites_only_its_files(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    before = stats(root / "_site")
    write_files(root, {AWARDS_FILE: AWARDS.replace("name: Alan Turing", "name: Alan M. Turing")})
    result = build_site(root)
    differ = changed(before, stats(root / "_site"))
    tokens = {Path(p).name.split(".")[0] for p in differ}
    assert len(tokens) == 1, differ  # one credential's files, nothing else
    token = tokens.pop()
    assert differ == {
        f"credentials/{token}.{suffix}"
        for suffix in ("json", "jcs-proof.jsonld", "html", "png", "svg")
    }  # not its OB 2.0 assertion, which has no place for the name
    assert result.written == len(differ)
    # ... the manifest records what was written: the next build writes nothing
    assert manifest_paths(root) == set(tree(root / "_site"))
    assert build_site(root).written == 0
    # ... and the rebuilt site is the one a clean build makes
    clean = root.parent / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", ".credsite-cache"))
    build_site(clean)
    assert tree(clean / "_site") == tree(root / "_site")


def test_a_changed_narrative_makes_the_ob2_assertion_and_its_baked_copies_again(
    make_site: Callable[..., Path],
) -> None:
    """An OB 2.0 assertion is kept by what it is made from, not made and compared: a narrative
    (which it holds) makes it again, with its baked PNG and SVG, as a clean build would."""
    root = make_site()
    build_site(root)
    before = stats(root / "_site")
    edited = AWARDS.replace(
        "  name: Alan Turing\n", "  name: Alan Turing\n  narrative: Broke the Enigma cipher.\n"
    )
    write_files(root, {AWARDS_FILE: edited})
    build_site(root)
    after = stats(root / "_site")
    differ = {p for p in changed(before, after) if p.startswith("ob2/")}
    token = Path(next(iter(differ))).name.split(".")[0]
    assert differ == {f"ob2/assertions/{token}.{suffix}" for suffix in ("json", "png", "svg")}
    assert all(b"Broke the Enigma cipher." in after[p][2] for p in differ)
    clean = root.parent / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", ".credsite-cache"))
    build_site(clean)
    assert tree(clean / "_site") == tree(root / "_site")


def test_a_theme_change_makes_every_page_again(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    from credsite.website import render

    template = render.builtin_theme_dir() / "templates" / "credential.html"
    text = template.read_text(encoding="utf-8")
    write_files(
        root,
        {
            "themes/default/templates/credential.html": text.replace(
                "{% block main %}", "{% block main %}<!-- mine -->", 1
            )
        },
    )
    before = stats(root / "_site")
    build_site(root)
    after = stats(root / "_site")
    pages = {p for p in after if p.startswith("credentials/") and p.endswith(".html")}
    assert len(pages) == 3 and pages <= changed(before, after)
    assert all(b"<!-- mine -->" in after[p][2] for p in pages)
    assert not {p for p in changed(before, after) if p.endswith((".png", ".svg", ".json"))}


def test_a_file_edited_or_added_in_the_output_is_put_right(make_site: Callable[..., Path]) -> None:
    """The output folder is the build's: a file edited there (even keeping its size) is made
    again, a stray file goes, as on a clean build."""
    root = make_site()
    build_site(root)
    expected = tree(root / "_site")
    page = next((root / "_site" / "credentials").glob("*.html"))
    data = bytearray(page.read_bytes())
    data[-10] ^= 1  # same size
    page.write_bytes(bytes(data))
    (root / "_site" / "stray.txt").write_text("mine")
    (root / "_site" / "empty").mkdir()
    build_site(root)
    assert tree(root / "_site") == expected
    assert not (root / "_site" / "empty").exists()


def test_without_hard_links_unchanged_files_are_copied(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    build_site(root)
    before = stats(root / "_site")

    def no_links(source: Path, destination: Path, **options: object) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(output, "_hard_link", no_links)
    write_files(root, {AWARDS_FILE: AWARDS.replace("name: Alan Turing", "name: Alan M. Turing")})
    build_site(root)
    after = stats(root / "_site")
    copied = {p for p in before.keys() & after.keys() if before[p][2] == after[p][2]}
    assert copied and all(before[p][1] == after[p][1] for p in copied)  # same mtime (copy2)
    assert build_site(root).written == 0  # the copies are recorded as the site in place


def test_no_cache_writes_everything(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    before = stats(root / "_site")
    result = build_site(root, use_cache=False)
    assert result.written == result.files
    after = stats(root / "_site")
    assert {p: v[2] for p, v in after.items()} == {p: v[2] for p, v in before.items()}


def test_two_clean_builds_are_byte_identical(make_site: Callable[..., Path]) -> None:
    one, two = make_site(name="one"), make_site(name="two")
    build_site(one)
    build_site(two)
    assert tree(one / "_site") == tree(two / "_site")


# -- switches for large sites ---------------------------------------------------------------------


def test_ob2_baked_false_leaves_out_the_ob2_images(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML + "ob2_baked: false\n"})
    build_site(root)
    assertions = sorted(p.name for p in (root / "_site" / "ob2" / "assertions").iterdir())
    assert assertions and all(name.endswith(".json") for name in assertions)
    for name in assertions:  # naming no image the site does not publish (optional in OB 2.0)
        document = json.loads((root / "_site" / "ob2" / "assertions" / name).read_bytes())
        assert "image" not in document and document["type"] == "Assertion"
    for page in (root / "_site" / "credentials").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "ob2/assertions/" not in html and "Open Badges 2.0 image" not in html


def test_headers_file_for_cloudflare_pages_and_netlify(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    assert not (root / "_site" / "_headers").exists()  # only when asked
    write_files(root, {"site.yaml": SITE_YAML + "headers: true\n"})
    build_site(root)
    text = (root / "_site" / "_headers").read_text(encoding="utf-8")
    rules = _parse_headers(text)
    assert rules == {
        "/creds/*.json": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": "*",
        },
        "/creds/*.jsonld": {
            "Content-Type": "application/ld+json",
            "Access-Control-Allow-Origin": "*",
        },
    }
    # Every JSON file the site publishes matches exactly one rule, with its media type.
    for path in (root / "_site").rglob("*"):
        if path.suffix in (".json", ".jsonld"):
            url = "/creds/" + path.relative_to(root / "_site").as_posix()
            matched = [p for p in rules if _matches(p, url)]
            assert len(matched) == 1, url
            assert rules[matched[0]]["Content-Type"] == hosting.MEDIA_TYPES[path.suffix]
    assert not [p for p in rules if _matches(p, "/creds/credentials/x.html")]


def test_headers_file_for_a_site_at_the_root() -> None:
    assert "\n/*.json\n" in hosting.headers_file("https://creds.example.org/")


def _parse_headers(text: str) -> dict[str, dict[str, str]]:
    """Read ``_headers`` as Cloudflare Pages and Netlify do: a URL pattern, then indented
    ``Name: value`` lines; ``#`` starts a comment."""
    rules: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            assert current is not None
            name, value = line.strip().split(":", 1)
            rules[current][name.strip()] = value.strip()
        else:
            current = line.strip()
            rules[current] = {}
    return rules


def _matches(pattern: str, path: str) -> bool:
    """A splat (``*``) matches any characters, ``/`` included (Cloudflare Pages, Netlify)."""
    import re

    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), path) is not None


# -- progress --------------------------------------------------------------------------------------


def test_build_reports_progress_with_counts(make_site: Callable[..., Path]) -> None:
    root = make_site()
    seen: list[tuple[str, int, int]] = []
    build_site(root, progress=lambda stage, done, total: seen.append((stage, done, total)))
    last = {stage: (done, total) for stage, done, total in seen}
    for stage in ("sign", "images", "ob2", "pages"):
        assert last[stage] == (3, 3), stage
    assert "stage" not in last  # a first build keeps nothing
    seen.clear()
    write_files(root, {AWARDS_FILE: AWARDS.replace("name: Alan Turing", "name: Alan M. Turing")})
    result = build_site(root, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert 0 < result.written < result.files - result.written
    assert "stage" not in {s for s, _, _ in seen}  # a small change: its files moved in place
    assert [s for s, _, _ in seen][-1] == "write"
    seen.clear()
    without_grace = AWARDS.split("- achievement: mentor")[0]  # its files are removed: a swap
    write_files(root, {AWARDS_FILE: without_grace})
    result = build_site(root, progress=lambda stage, done, total: seen.append((stage, done, total)))
    kept = result.files - result.written
    assert kept > 0 and ("stage", kept, kept) in seen
    assert [s for s, _, _ in seen][-1] == "write"


# -- how JSON is written, and fingerprints ------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def _published(document: object) -> bytes:
    """What `json_bytes` must write: json.dumps's compact JSON and a line break."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@given(_json)
def test_json_bytes_is_json_dumps_compact_and_a_line_break(document: object) -> None:
    assert values.json_bytes(document) == _published(document)


@given(_json, st.booleans())
def test_compact_json_bytes_is_json_dumps_compact(document: object, sort_keys: bool) -> None:
    expected = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    assert values.compact_json_bytes(document, sort_keys=sort_keys) == expected.encode("utf-8")


@given(_json)
def test_cache_json_bytes_reads_back_as_written(document: object) -> None:
    """What caches and fingerprints are written as: compact JSON, orjson's where it writes the
    value (json.dumps's where it refuses: integers past 64 bits, lone surrogates)."""
    text = json.dumps(document)
    assume("NaN" not in text and "Infinity" not in text)  # orjson writes those as null
    data = values.cache_json_bytes(document)
    assert b"\n" not in data and json.loads(data) == json.loads(text)


def test_published_json_takes_the_memory_of_its_length() -> None:
    """A large site holds every credential's JSON at once: orjson's spare room (4 KiB at least
    for a small document) is not kept with it."""
    import tracemalloc

    if tracemalloc.is_tracing():  # PYTHONTRACEMALLOC: not this test's to stop
        pytest.skip("tracemalloc is already tracing")
    documents = [{"id": f"urn:uuid:{n}", "name": "Ada"} for n in range(200)]
    for make in (values.json_bytes, values.compact_json_bytes):
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            held = [make(document) for document in documents]
            used = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        length = sum(len(data) for data in held)
        assert used < length + 200 * 100, (make.__name__, used, length)


def test_compact_json_bytes_sorts_keys_by_code_point_as_json_dumps_does() -> None:
    document = {"é": 1, "z": 2, "\U0001f393": 3, "\uffff": 4, "A": 5, "a": [1.5, {"y": 0, "b": 1}]}
    assert values.compact_json_bytes(document, sort_keys=True).startswith(b'{"A":5,"a":[1.5,{"b"')
    for sort_keys in (False, True):
        expected = json.dumps(
            document, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys
        ).encode("utf-8")
        assert values.compact_json_bytes(document, sort_keys=sort_keys) == expected


def test_json_bytes_matches_json_dumps_on_numbers_orjson_spells_otherwise() -> None:
    import random
    import struct

    rng = random.Random(14)
    floats = [10.0**e for e in range(-30, 30)] + [5e-324, 1e-4, 9.99e-5, -0.0, 0.1, 1e16]
    floats += [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(20000)]
    numbers: list[object] = [*floats, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30]
    for number in numbers:
        document = {"value": number, "text": "null 1e-5 0.00001"}
        expected = _published(document)
        assert values.json_bytes(document) == expected, number
        plain = {"value": number}
        expected = _published(plain)
        assert values.json_bytes(plain) == expected, number
        compact = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        assert values.compact_json_bytes(document, sort_keys=True) == compact.encode(), number


def test_json_bytes_writes_what_json_dumps_refuses_only_as_json_dumps_would() -> None:
    import dataclasses
    import datetime as dt
    import enum

    class Colour(enum.StrEnum):
        RED = "red"

    @dataclasses.dataclass
    class Point:
        x: int

    class Word(str):
        pass

    for value in (Colour.RED, Word("w"), dt.date(2026, 1, 1), Point(1), {"a": {1, 2}}):
        document = {"v": value}
        try:
            expected = _published(document)
        except TypeError:
            with pytest.raises(TypeError):
                values.json_bytes(document)
        else:
            assert values.json_bytes(document) == expected, value


def test_json_bytes_leaves_other_values_to_json_dumps() -> None:
    for document in ({1: "a"}, {"a": {True: None}}, [Path("x")], {"nan": float("nan")}):
        try:
            expected = _published(document)
        except TypeError:
            with pytest.raises(TypeError):
                values.json_bytes(document)
        else:
            assert values.json_bytes(document) == expected


def test_fingerprint_ignores_where_content_was_read() -> None:
    from dataclasses import replace

    from credsite.cache import fingerprint
    from credsite.content.model import Award
    from credsite.errors import Location

    award = Award(
        key="a", achievement="x", name="Ada", email="a@example.org", issued=None, expires=None,
        narrative=None, evidence=(), role=None, fields=(), status="active", status_reason=None,
        status_date=None, location=Location("content/awards/a.yaml", 3, 3),
    )  # fmt: skip
    moved = replace(award, location=Location("content/awards/a.yaml", 9, 3))
    assert fingerprint(award) == fingerprint(moved)  # an award above it was added
    assert fingerprint(award) != fingerprint(replace(award, name="Ada L."))
    assert fingerprint("a", "b") != fingerprint("ab") != fingerprint(["a", "b"])


EXAMPLE_PRIVATE = "content/awards/contributors-and-mentors.yaml"


def test_example_rebuilds_nothing_with_private_records_and_pathways(tmp_path: Path) -> None:
    """The example site has private (encrypted) and withdrawn credentials, learner records and
    pathway awards: a rebuild with nothing changed writes none of them."""
    root = copy_example(tmp_path / "example")
    first = build_site(root)
    before = stats(root / "_site")
    assert any(p.endswith(".html.enc") for p in before)  # a private credential, encrypted
    assert any(p.startswith("records/") and p.endswith(".png") for p in before)  # CLR 2.0
    second = build_site(root)
    assert second.written == 0 and second.files == first.files
    assert stats(root / "_site") == before


def test_a_changed_private_credential_is_encrypted_again_and_only_it(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    build_site(root)
    before = stats(root / "_site")
    text = (root / EXAMPLE_PRIVATE).read_text()
    assert "Joost mentored 2 incoming" in text
    write_files(root, {EXAMPLE_PRIVATE: text.replace("Joost mentored 2", "Joost mentored two")})
    build_site(root)
    differ = changed(before, stats(root / "_site"))
    tokens = {Path(p).name.split(".")[0] for p in differ}
    assert len(tokens) == 1, differ
    token = tokens.pop()
    assert differ == {
        f"credentials/{token}.{suffix}.enc"
        for suffix in ("json", "jcs-proof.jsonld", "html", "png", "svg")
    }  # the shell page names nobody: unchanged
    # ... and the rebuilt site is the one a clean build makes
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", ".credsite-cache"))
    build_site(clean)
    assert tree(clean / "_site") == tree(root / "_site")


def test_fingerprints_tell_every_value_apart() -> None:
    """Fingerprints are written by orjson, which writes NaN and the infinities as null: a value
    that changes from None to NaN (a YAML `.nan`) must still change what a page is made from."""
    values_seen = [None, float("nan"), float("inf"), float("-inf"), 0.0, "null", [None], 2**70]
    found = {cache.fingerprint(value) for value in values_seen}
    assert len(found) == len(values_seen)


def test_a_site_moved_or_built_by_another_path_keeps_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the site's folder is, and whether it is named `.` or by its full path, is not what
    it says: a rebuild of the example moved elsewhere (its cache with it), or run from inside it,
    makes no learner record and renders no more pages than a rebuild in place (the few site
    pages, never the credentials'), and writes nothing."""
    from credsite.issuing import clr
    from credsite.website import render

    root = copy_example(tmp_path / "example")
    first = build_site(root)
    before = stats(root / "_site")
    made: list[object] = []
    unsigned_record = clr.unsigned_record
    render_page = render.render

    def counted_record(*args: Any, **options: Any) -> Any:
        made.append(args[0])
        return unsigned_record(*args, **options)

    def counted_page(theme: Any, template: str, path: str, context: Any) -> str:
        made.append(path)
        return render_page(theme, template, path, context)

    monkeypatch.setattr(clr, "unsigned_record", counted_record)
    monkeypatch.setattr(render, "render", counted_page)
    build_site(root)
    in_place = sorted(map(str, made))
    assert in_place and not any(p.startswith(("credentials/", "records/")) for p in in_place)

    moved = tmp_path / "elsewhere" / "example"
    moved.parent.mkdir()
    root.rename(moved)
    for where in (moved, Path(".")):
        made.clear()
        monkeypatch.chdir(moved)
        again = build_site(where)
        assert (again.signed, again.written, sorted(map(str, made))) == (0, 0, in_place)
        assert again.files == first.files and stats(moved / "_site") == before
    # Nor where site.yaml sets its folders, nor on which line: a comment added at its top moves
    # every setting down a line (their locations were in the fingerprints of every page).
    site_yaml = moved / "site.yaml"
    site_yaml.write_text("# the site's settings\n" + site_yaml.read_text(encoding="utf-8"))
    made.clear()
    again = build_site(moved)
    assert (again.signed, again.written, sorted(map(str, made))) == (0, 0, in_place)
