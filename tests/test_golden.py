"""The example site, built with a fixed clock, byte for byte against tests/golden/example/.

Text files (.json, .html, .css, .nojekyll, .credsite-output) are compared byte for byte; images only by name (their
bytes belong to the image tests). After an intended change, regenerate and review the diff:

    python -m pytest tests/test_golden.py --update-golden
    git diff tests/golden/
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from conftest import NOW, REPO, tree

GOLDEN = REPO / "tests" / "golden" / "example"
FILE_LIST = REPO / "tests" / "golden" / "example-files.txt"
TEXT_SUFFIXES = (".json", ".jsonld", ".html", ".css")
MAX_DIFF_LINES = 60


def is_text(name: str) -> bool:
    return name.endswith(TEXT_SUFFIXES) or name.rsplit("/", 1)[-1] in (
        ".nojekyll",
        ".credsite-output",
    )


def write_golden(files: dict[str, bytes]) -> None:
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for name, data in files.items():
        if is_text(name):
            path = GOLDEN / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    FILE_LIST.write_text("".join(f"{name}\n" for name in sorted(files)), encoding="utf-8")


def unified(name: str, expected: bytes | None, actual: bytes | None) -> list[str]:
    def lines(data: bytes | None) -> list[str]:
        return [] if data is None else data.decode("utf-8", "replace").splitlines(keepends=True)

    diff = list(
        difflib.unified_diff(lines(expected), lines(actual), f"golden/{name}", f"built/{name}")
    )
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"... {len(diff) - MAX_DIFF_LINES} more diff lines\n"]
    return diff


def test_example_matches_golden(example_output: Path, request: pytest.FixtureRequest) -> None:
    assert NOW.isoformat() == "2026-11-22T12:00:00+00:00"  # the example is built at this `now`
    built = tree(example_output)
    if request.config.getoption("--update-golden"):
        write_golden(built)
    if not FILE_LIST.is_file():
        pytest.fail("no golden files yet: run pytest tests/test_golden.py --update-golden")

    expected_names = FILE_LIST.read_text(encoding="utf-8").splitlines()
    golden = {name: data for name, data in tree(GOLDEN).items()}
    report: list[str] = []
    missing = sorted(set(expected_names) - set(built))
    extra = sorted(set(built) - set(expected_names))
    if missing:
        report.append("files no longer built:\n" + "".join(f"  {n}\n" for n in missing))
    if extra:
        report.append(
            "files built that the golden copy lacks:\n" + "".join(f"  {n}\n" for n in extra)
        )
    stray = sorted(set(golden) - {n for n in expected_names if is_text(n)})
    if stray:
        report.append("stray files in tests/golden/example/: " + ", ".join(stray) + "\n")
    for name in sorted(n for n in built if is_text(n)):
        if name in golden and golden[name] != built[name]:
            report.append("".join(unified(name, golden[name], built[name])))
    if report:
        print("\n".join(report))
        pytest.fail(
            f"the example site differs from tests/golden/ ({len(report)} difference(s), "
            "diff above); if intended: pytest tests/test_golden.py --update-golden"
        )


def test_golden_holds_no_machine_specific_paths() -> None:
    if not GOLDEN.is_dir():
        pytest.skip("no golden files yet")
    for name, data in tree(GOLDEN).items():
        assert b"/tmp/" not in data and b"pytest-of-" not in data, name
        assert str(REPO).encode() not in data, name
