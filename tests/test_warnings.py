"""Warnings are located problems, printed once each in a stable order; ``credsite build --strict``
fails on any of them and writes nothing; ``credsite serve`` shows them and never fails on them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    AWARDS,
    SITE_YAML,
    build_site,
    copy_example,
    output_of,
    run_cli,
    tree,
    write_files,
)

from credsite.commands import serve
from credsite.errors import Location, Problem, StrictError, report_order

EXAMPLE_WARNINGS = [
    "warning: content/issuers/northbridge.yaml: the OB 2.0 issuer profile "
    "ob2/issuers/northbridge.json has no email (OB 2.0 requires one; 1EdTech's OB 2.0 validator "
    "fails without it). Emails are not published unless asked: add 'publish_email: true' to "
    "content/issuers/northbridge.yaml to publish its 'email'",
    "warning: site.yaml: OB 2.0 has no place for the recipient's name (23 awards), 'role' "
    "(14 awards), 'fields' (21 awards), 'results' (3 awards), the achievement type (Achievement, "
    "Certificate, "
    "MicroCredential): the ob2/ files leave these out; the OB 3.0 credentials and the pages "
    "keep them",
]
NEW_AWARD = "- achievement: peer-mentor\n  name: New Person\n  email: new.person@example.org\n"


def warning_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("warning:")]


def test_warnings_are_located_problems(make_site: Callable[..., Path]) -> None:
    result = build_site(make_site(), now=dt.datetime(2026, 3, 15, tzinfo=dt.UTC))
    assert all(isinstance(w, Problem) and w.location for w in result.warnings)
    assert [str(w) for w in result.warnings] == [
        "content/awards/awards.yaml:9:3: issued date is in the future; verifiers will report "
        "the credential as not yet valid",
        "content/issuers/acme.yaml: the OB 2.0 issuer profile ob2/issuers/acme.json has no email "
        "(OB 2.0 requires one; 1EdTech's OB 2.0 validator fails without it). Emails are not "
        "published unless asked: add an 'email' and 'publish_email: true' to "
        "content/issuers/acme.yaml",
        "site.yaml: OB 2.0 has no place for the recipient's name (3 awards), the achievement "
        "type (Achievement): the ob2/ files leave these out; the OB 3.0 credentials and the "
        "pages keep them",
    ]


def test_report_order_says_each_problem_once_by_place() -> None:
    late = Problem(Location("b.yaml", 2, 1), "late")
    early = Problem(Location("b.yaml", 1, 5), "early")
    nowhere = Problem(None, "no place")
    file_only = Problem(Location("a.yaml"), "file")
    problems = [late, early, late, nowhere, file_only, early]
    assert report_order(problems) == [nowhere, file_only, early, late]
    assert StrictError(problems).problems == [nowhere, file_only, early, late]


def test_example_site_prints_each_warning_once(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    run = run_cli("build", "-q", "-C", str(root))
    assert run.exit_code == 0, output_of(run)
    assert warning_lines(run.stderr) == EXAMPLE_WARNINGS
    assert (root / "_site" / "index.html").is_file()


def test_strict_example_site_fails_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    assert run_cli("build", "-q", "-C", str(root)).exit_code == 0
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    # A new award: a build would record it in credsite.lock and publish its credential.
    write_files(root, {"content/awards/new.yaml": NEW_AWARD})
    for output in ([], ["-o", str(tmp_path / "elsewhere")]):
        run = subprocess.run(
            [sys.executable, "-m", "credsite", "build", "--strict", "-q", "-C", str(root), *output],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 1, run.stdout + run.stderr
        assert "Traceback" not in run.stderr
        assert run.stderr.splitlines() == [
            EXAMPLE_WARNINGS[0],
            EXAMPLE_WARNINGS[1].replace("name (23 awards)", "name (24 awards)"),
            "2 warnings and --strict; nothing was written.",
        ]
        assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before
    assert not (tmp_path / "elsewhere").exists()
    # without --strict the same build writes both
    assert run_cli("build", "-q", "-C", str(root)).exit_code == 0
    assert (root / "credsite.lock").read_bytes() != before[1]


def test_strict_build_without_warnings_succeeds(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML + "ob2: false\n"})
    run = run_cli("build", "--strict", "-q", "-C", str(root))
    assert run.exit_code == 0, output_of(run)
    assert warning_lines(run.stderr) == []
    assert (root / "credsite.lock").is_file() and (root / "_site" / "index.html").is_file()


def test_strict_fails_on_a_lockfile_warning(make_site: Callable[..., Path]) -> None:
    """The last warning is known before anything is written: strict still writes nothing."""
    root = make_site({"site.yaml": SITE_YAML + "ob2: false\n"})
    build_site(root)
    before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    write_files(root, {"content/awards/awards.yaml": AWARDS.split("- achievement: mentor")[0]})
    with pytest.raises(StrictError) as caught:
        build_site(root, strict=True)
    assert [str(p) for p in caught.value.problems] == [
        "credsite.lock: 1 award(s) in credsite.lock are no longer in the content: "
        "credentials/jjmlpeo7nly5qmb6mhg4jo4gym.json (Grace Hopper, achievement mentor). Copies "
        "their recipients hold still verify. To withdraw a credential, revoke it instead of "
        "deleting it. If you changed an award's email or id, set its 'id' to the old one "
        "(ACHIEVEMENT/OLD-EMAIL if it had none) and it keeps its credential."
    ]
    assert (tree(root / "_site"), (root / "credsite.lock").read_bytes()) == before


def test_build_help_lists_strict() -> None:
    run = run_cli("build", "--help")
    assert "--strict" in run.stdout and "Fail on any warning" in run.stdout


def test_serve_shows_warnings_and_ignores_strict(make_site: Callable[..., Path]) -> None:
    root = make_site()
    logged: list[tuple[str, str]] = []
    options = {"strict": True}
    with serve.Server(root, port=0, log=lambda *m: logged.append(m), build_options=options) as s:
        assert s.current is not None and s.error is None
    warnings = [message for level, message in logged if level == "warning"]
    assert any(
        w.startswith("content/issuers/acme.yaml: the OB 2.0 issuer profile") for w in warnings
    )
