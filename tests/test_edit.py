"""Tests for credsite.commands.status: revoke, suspend and reinstate by editing the user's YAML in place.

Each test copies a small site that was built once (so credsite.lock holds real tokens), changes an
award's status with `set_status`, and checks the file byte for byte: only the status lines may
change, and the file must still load through `credsite.content.model` with the new status.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import build_site, copy_example, diff_trees, tree, write_files

from credsite.commands.status import Change, set_status
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.state.lockfile import Lockfile

TODAY = dt.date(2026, 12, 1)
URL = "https://example.github.io/creds/"

SITE = f"""\
title: Edit tests
url: {URL}
demo_key: true
# OB 2.0 output is tested elsewhere (its hosted assertion changes too when an award is revoked).
ob2: false
"""

SINGLE = """\
# One award in its own file.
achievement: a
name: Ada Lovelace
email: Ada@Example.org   # the key normalises this to ada@example.org
issued: 2026-03-01
narrative: |
  Wrote the first program.

  Twice.
fields:
  hours: 12
# end of Ada's award
"""

LIST = """\
# A list of awards, two achievements.

- achievement: a
  name: Alan Turing
  email: alan@example.org
  issued: 2026-03-02   # a Monday
  # Grace is next.

- achievement: b
  name: "Grace Hopper"
  email: grace@example.org
  evidence:
    - https://example.org/cobol
- id: special-award
  achievement: b
  name: 'Katherine Johnson'
  email: katherine@example.org
"""

COHORT = """\
# Spring cohort: shared fields, then one entry per person.
achievement: b
issued: 2026-04-01
fields:
    cohort: Spring 2026      # four-space indent here

awards:
    # Barbara first.
    -   name: Barbara Liskov
        email: barbara@example.org
    -   name: Edsger Dijkstra
        email: edsger@example.org
        role: Reviewer # trailing comment
    # the end
"""

FILES = {
    "site.yaml": SITE,
    "content/issuers/x.yaml": "name: X Academy\nurl: https://x.example.org\n",
    "content/achievements/a.yaml": "name: Alpha\ndescription: First.\ncriteria: Do it.\n",
    "content/achievements/b.yaml": "name: Beta\ndescription: Second.\ncriteria: Do it again.\n",
    "content/awards/single.yaml": SINGLE,
    "content/awards/list.yaml": LIST,
    "content/awards/cohort.yaml": COHORT,
}
# (award key, file, the line the status lines go after, its column)
SHAPES = [
    ("a/ada@example.org", "single.yaml", "  hours: 12\n", ""),
    ("a/alan@example.org", "list.yaml", "  issued: 2026-03-02   # a Monday\n", "  "),
    ("b/grace@example.org", "list.yaml", "    - https://example.org/cobol\n", "  "),
    ("special-award", "list.yaml", "  email: katherine@example.org\n", "  "),
    ("b/barbara@example.org", "cohort.yaml", "        email: barbara@example.org\n", "        "),
    ("b/edsger@example.org", "cohort.yaml", "        role: Reviewer # trailing comment\n",
     "        "),
]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test site, built once so that credsite.lock and _site/ exist."""
    root = tmp_path_factory.mktemp("edit") / "site"
    write_files(root, FILES)
    build_site(root)
    return root


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built site for one test."""
    return Path(shutil.copytree(built, tmp_path / "site", symlinks=True))


@pytest.fixture
def suspendable(built: Path, tmp_path: Path) -> Path:
    """A copy of the site with suspension switched on (and rebuilt: it changes every credential)."""
    root = Path(shutil.copytree(built, tmp_path / "suspendable", symlinks=True))
    write_files(root, {"site.yaml": SITE + "status:\n  suspension: true\n"})
    build_site(root)
    return root


def awards(root: Path) -> dict[str, model.Award]:
    return {a.key: a for a in model.load(site_config.load(root)).awards}


def token(root: Path, key: str) -> str:
    lock = Lockfile.load(root / "credsite.lock")
    return lock.awards[awards(root)[key].lock_key].credential


def awards_file(root: Path, name: str) -> Path:
    return root / "content" / "awards" / name


def status_lines(indent: str, status: str, reason: str | None, date: str) -> str:
    lines = [f"status: {status}", *([f"status_reason: {reason}"] if reason else []),
             f"status_date: {date}"]  # fmt: skip
    return "".join(indent + line + "\n" for line in lines)


# -- revoking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "name", "after", "indent"), SHAPES)
def test_revoke_by_key_inserts_only_the_status_lines(
    site: Path, key: str, name: str, after: str, indent: str
) -> None:
    path = awards_file(site, name)
    before = path.read_text(encoding="utf-8")
    assert before.count(after) == 1

    change = set_status(site, key, "revoke", "Issued in error", TODAY)

    assert change == Change(path, f"content/awards/{name}", key, "active", "revoked",
                            "Issued in error", TODAY)  # fmt: skip
    expected = before.replace(after, after + status_lines(indent, "revoked", "Issued in error",
                                                          "2026-12-01"))  # fmt: skip
    assert path.read_text(encoding="utf-8") == expected  # every other byte, comments included
    award = awards(site)[key]
    assert (award.status, award.status_reason) == ("revoked", "Issued in error")
    assert award.status_date == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    others = {k: a.status for k, a in awards(site).items() if k != key}
    assert set(others.values()) == {"active"}


@pytest.mark.parametrize("suffix", ["json", "html"])
def test_revoke_by_credential_url(site: Path, suffix: str) -> None:
    url = f"{URL}credentials/{token(site, 'b/grace@example.org')}.{suffix}"
    change = set_status(site, url, "revoked", None, TODAY)
    assert (change.key, change.new_status) == ("b/grace@example.org", "revoked")
    assert awards(site)["b/grace@example.org"].status == "revoked"


@pytest.mark.parametrize(
    "form", ["http://localhost:8000/creds/credentials/{}.html", "credentials/{}.json"]
)
def test_revoke_by_url_of_a_preview_server_or_a_path(site: Path, form: str) -> None:
    url = form.format(token(site, "a/alan@example.org"))
    assert set_status(site, url, "revoke", None, TODAY).key == "a/alan@example.org"


def test_revoke_by_token(site: Path) -> None:
    bare = token(site, "b/edsger@example.org")
    change = set_status(site, bare.upper(), "revoke", None, TODAY)
    assert change.key == "b/edsger@example.org"
    assert awards(site)["b/edsger@example.org"].status == "revoked"


def test_key_with_email_as_typed(site: Path) -> None:
    change = set_status(site, "a/Ada@Example.org", "revoke", None, TODAY)
    assert change.key == "a/ada@example.org"


def test_revoke_without_reason_writes_no_reason(site: Path) -> None:
    path = awards_file(site, "single.yaml")
    before = path.read_text(encoding="utf-8")
    set_status(site, "a/ada@example.org", "revoke", "   ", TODAY)
    assert path.read_text(encoding="utf-8") == before.replace(
        "  hours: 12\n", "  hours: 12\nstatus: revoked\nstatus_date: 2026-12-01\n"
    )


@pytest.mark.parametrize(
    ("reason", "written"),
    [
        ("yes", '"yes"'),  # YAML 1.1 (what credsite reads with) would read a boolean
        ("on", '"on"'),
        ("2026-01-01", "'2026-01-01'"),
        ("Wrong person: see #12", "'Wrong person: see #12'"),
        ("Plagiarised «chapter 3» — confirmed", "Plagiarised «chapter 3» — confirmed"),
    ],
)
def test_reasons_are_quoted_when_they_must_be(site: Path, reason: str, written: str) -> None:
    set_status(site, "special-award", "revoke", reason, TODAY)
    text = awards_file(site, "list.yaml").read_text(encoding="utf-8")
    assert f"  status_reason: {written}\n" in text
    assert awards(site)["special-award"].status_reason == reason


def test_revoking_twice_is_an_error(site: Path) -> None:
    set_status(site, "a/alan@example.org", "revoke", "Issued in error", TODAY)
    after_first = awards_file(site, "list.yaml").read_bytes()
    with pytest.raises(CredsiteError, match="already revoked"):
        set_status(site, "a/alan@example.org", "revoke", None, TODAY)
    assert awards_file(site, "list.yaml").read_bytes() == after_first


def test_rebuild_after_revoking_changes_only_the_status_list_and_the_page(site: Path) -> None:
    before = tree(site / "_site")
    revoked = token(site, "b/barbara@example.org")

    set_status(site, "b/barbara@example.org", "revoke", "Issued in error", TODAY)
    build_site(site)

    assert diff_trees(before, tree(site / "_site")) == [
        f"credentials/{revoked}.html",
        "status/1.jcs-proof.jsonld",
        "status/1.json",
    ]  # every credential JSON (and its baked images) is byte-identical


# -- errors that name the problem --------------------------------------------------------------


def test_unknown_credential_suggests_a_close_award(site: Path) -> None:
    with pytest.raises(CredsiteError, match=r"did you mean 'a/alan@example.org'"):
        set_status(site, "a/alan@exmaple.org", "revoke", None, TODAY)


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ("nonsense", r"no award or credential 'nonsense'.*credentials/TOKEN\.json"),
        (f"{URL}credentials/aaaaaaaaaaaaaaaaaaaaaaaaaa.json", "no credential of this site has"),
        (f"{URL}achievements/a.json", "no credential of this site has"),
        ("  ", "no credential given"),
    ],
)
def test_unknown_credential(site: Path, credential: str, message: str) -> None:
    before = tree(site / "content")
    with pytest.raises(CredsiteError, match=message):
        set_status(site, credential, "revoke", None, TODAY)
    assert tree(site / "content") == before


def test_token_of_an_award_deleted_from_the_content(site: Path) -> None:
    gone = token(site, "special-award")
    text = awards_file(site, "list.yaml").read_text(encoding="utf-8")
    awards_file(site, "list.yaml").write_text(text[: text.index("- id: special-award")])
    with pytest.raises(CredsiteError, match=r"recorded in credsite.lock, but its award is no "
                       r"longer in content/.*does not revoke"):  # fmt: skip
        set_status(site, gone, "revoke", None, TODAY)


def test_suspending_needs_suspension_switched_on(site: Path) -> None:
    before = tree(site / "content")
    with pytest.raises(CredsiteError) as raised:
        set_status(site, "a/ada@example.org", "suspend", None, TODAY)
    message = str(raised.value)
    assert "status: {suspension: true}" in message and "site.yaml" in message
    assert "off by default because" in message and "second status entry" in message
    assert tree(site / "content") == before


@pytest.mark.parametrize("action", ["reinstate", "suspend"])
def test_revocation_is_permanent(suspendable: Path, action: str) -> None:
    root = suspendable
    set_status(root, "b/grace@example.org", "revoke", "Fraud", TODAY)
    with pytest.raises(CredsiteError, match="revocation is permanent"):
        set_status(root, "b/grace@example.org", action, None, TODAY)


def test_reinstating_an_active_award_is_an_error(site: Path) -> None:
    with pytest.raises(CredsiteError, match="already active"):
        set_status(site, "a/ada@example.org", "reinstate", None, TODAY)


def test_reinstating_takes_no_reason(suspendable: Path) -> None:
    root = suspendable
    set_status(root, "a/ada@example.org", "suspend", None, TODAY)
    with pytest.raises(CredsiteError, match="only when revoking or suspending"):
        set_status(root, "a/ada@example.org", "reinstate", "All clear", TODAY)


# -- suspension -----------------------------------------------------------------------------------


def test_suspend_then_reinstate_gives_back_the_same_bytes(suspendable: Path) -> None:
    root = suspendable
    originals = {name: awards_file(root, name).read_bytes() for _, name, _, _ in SHAPES}
    for key, name, after, indent in SHAPES:
        suspended = set_status(root, key, "suspend", "Under review", TODAY)
        assert (suspended.old_status, suspended.new_status) == ("active", "suspended")
        text = awards_file(root, name).read_text(encoding="utf-8")
        assert after + status_lines(indent, "suspended", "Under review", "2026-12-01") in text
        assert awards(root)[key].status == "suspended"

        reinstated = set_status(root, key, "reinstate", None, TODAY)
        assert (reinstated.old_status, reinstated.new_status, reinstated.date) == (
            "suspended", "active", None)  # fmt: skip
        assert awards_file(root, name).read_bytes() == originals[name]
        assert awards(root)[key].status == "active"


def test_revoking_a_suspended_award_edits_the_status_in_place(site: Path) -> None:
    path = awards_file(site, "single.yaml")
    edited = SINGLE.replace("issued: 2026-03-01\n", "issued: 2026-03-01\nstatus: suspended  # "
                            "pending review\nstatus_reason: Under review\nstatus_date: 2026-11-01\n")  # fmt: skip
    path.write_text(edited, encoding="utf-8")
    write_files(site, {"site.yaml": SITE + "status:\n  suspension: true\n"})

    set_status(site, "a/ada@example.org", "revoke", None, TODAY)

    assert path.read_text(encoding="utf-8") == SINGLE.replace(
        "issued: 2026-03-01\n",
        "issued: 2026-03-01\nstatus: revoked  # pending review\nstatus_date: 2026-12-01\n",
    )  # the old reason is gone with the old status; the comment stays
    award = awards(site)["a/ada@example.org"]
    assert (award.status, award.status_reason) == ("revoked", None)


def test_reinstate_removes_hand_written_status_lines(site: Path) -> None:
    path = awards_file(site, "list.yaml")
    path.write_text(LIST.replace(
        "  email: alan@example.org\n",
        "  email: alan@example.org\n  status: suspended\n  status_reason: |\n    Under\n    review\n"
        "  # about the date:\n  status_date: 2026-11-01\n",
    ))  # fmt: skip
    write_files(site, {"site.yaml": SITE + "status:\n  suspension: true\n"})

    set_status(site, "a/alan@example.org", "reinstate", None, TODAY)

    assert path.read_text() == LIST.replace(
        "  email: alan@example.org\n", "  email: alan@example.org\n  # about the date:\n"
    )
    assert awards(site)["a/alan@example.org"].status == "active"


# -- layouts the line edit leaves to ruamel's round trip ------------------------------------------


def test_flow_mapping_award(site: Path) -> None:
    path = awards_file(site, "cohort.yaml")
    flow = "    - {name: Edsger Dijkstra, email: edsger@example.org, role: Reviewer}"
    original = COHORT.replace(
        "    -   name: Edsger Dijkstra\n        email: edsger@example.org\n        role: Reviewer",
        flow,
    )
    path.write_text(original)

    set_status(site, "b/edsger@example.org", "revoke", "Issued in error", TODAY)

    old, new = original.splitlines(), path.read_text().splitlines()
    changed = old.index(flow + " # trailing comment")
    assert old[:changed] == new[:changed] and old[changed + 1 :] == new[changed + 1 :]
    assert new[changed].endswith(", role: Reviewer, status: revoked, status_reason: Issued in "
                                 "error, status_date: 2026-12-01} # trailing comment")  # fmt: skip
    award = awards(site)["b/edsger@example.org"]
    assert (award.status, award.status_reason, award.role) == ("revoked", "Issued in error",
                                                               "Reviewer")  # fmt: skip


def test_status_on_the_dash_line(site: Path) -> None:
    path = awards_file(site, "list.yaml")
    path.write_text(LIST.replace(
        "- id: special-award\n",
        "- status: suspended\n  status_date: 2026-11-01\n  id: special-award\n",
    ))  # fmt: skip
    write_files(site, {"site.yaml": SITE + "status:\n  suspension: true\n"})
    set_status(site, "special-award", "reinstate", None, TODAY)
    # The whole file as it was: ruamel's re-indented copy of the other awards is not kept.
    assert path.read_text() == LIST
    assert awards(site)["special-award"].status == "active"


# -- the file itself ------------------------------------------------------------------------------


def test_crlf_line_endings_and_byte_order_mark_are_kept(site: Path) -> None:
    path = awards_file(site, "list.yaml")
    path.write_bytes(b"\xef\xbb\xbf" + LIST.replace("\n", "\r\n").encode())
    set_status(site, "a/alan@example.org", "revoke", "Issued in error", TODAY)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") == LIST.count("\n") + 3
    assert b"  status: revoked\r\n  status_reason: Issued in error\r\n" in data
    assert awards(site)["a/alan@example.org"].status == "revoked"


def test_file_without_final_newline(site: Path) -> None:
    path = awards_file(site, "list.yaml")
    path.write_text(LIST.rstrip("\n"))
    set_status(site, "special-award", "revoke", None, TODAY)
    assert path.read_text() == LIST + "  status: revoked\n  status_date: 2026-12-01\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_write_is_atomic_and_keeps_the_file_mode(site: Path) -> None:
    path = awards_file(site, "cohort.yaml")
    path.chmod(0o640)
    set_status(site, "b/barbara@example.org", "revoke", None, TODAY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["cohort.yaml", "list.yaml",
                                                             "single.yaml"]  # fmt: skip


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlinked_award_file_stays_a_symlink(site: Path) -> None:
    real = site / "shared-awards.yaml"
    awards_file(site, "single.yaml").rename(real)
    awards_file(site, "single.yaml").symlink_to(real)
    set_status(site, "a/ada@example.org", "revoke", None, TODAY)
    assert awards_file(site, "single.yaml").is_symlink()
    assert "status: revoked\n" in real.read_text()


def test_unknown_status_is_a_programming_error(site: Path) -> None:
    with pytest.raises(ValueError, match="unknown status"):
        set_status(site, "a/ada@example.org", "deleted", None, TODAY)


# -- the example site: real files, real comments --------------------------------------------------


def test_every_award_of_the_example_site(tmp_path: Path) -> None:
    """Each edit only adds or removes status lines, in files written by hand with many comments."""
    root = copy_example(tmp_path / "example")
    site_yaml = root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("suspension: false", "suspension: true"))
    for key, award in awards(root).items():
        if award.status != "active" or award.location.path.endswith(".csv"):
            continue
        path = root / award.location.path
        original = path.read_text(encoding="utf-8")

        set_status(root, key, "suspend", "Under review: see ticket #4", TODAY)
        diff = [line for line in difflib.ndiff(original.splitlines(), path.read_text().splitlines())
                if line[:1] in "+-?"]  # fmt: skip
        assert [line[:2] + line[2:].strip() for line in diff] == [
            "+ status: suspended",
            "+ status_reason: 'Under review: see ticket #4'",
            "+ status_date: 2026-12-01",
        ], key
        assert awards(root)[key].status == "suspended"

        set_status(root, key, "reinstate", None, TODAY)
        assert path.read_text(encoding="utf-8") == original, key

        set_status(root, key, "revoke", "Issued in error", TODAY)
        assert awards(root)[key].status == "revoked"


# -- awards from a spreadsheet ---------------------------------------------------------------------

SCAFFOLD_CSV = Path(__file__).resolve().parents[1] / "credsite/commands/scaffold/content/awards"


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site made by `credsite init` (its sample-cohort.csv), built once."""
    from credsite.commands.init import init

    root = tmp_path_factory.mktemp("init") / "site"
    init(root, url=URL)
    site_yaml = (root / "site.yaml").read_text()
    assert "  suspension: false\n" in site_yaml
    write_files(root, {"site.yaml": site_yaml.replace("suspension: false", "suspension: true")})
    build_site(root)
    return root


@pytest.fixture
def sheet_site(scaffolded: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(scaffolded, tmp_path / "site", symlinks=True))


def test_revoke_an_award_of_the_example_csv_adds_the_status_columns(sheet_site: Path) -> None:
    path = awards_file(sheet_site, "sample-cohort.csv")
    before = path.read_bytes()
    assert before == (SCAFFOLD_CSV / "sample-cohort.csv").read_bytes()
    change = set_status(sheet_site, "workshop-completion/alan@example.org", "revoke",
                        "Did not attend, said so himself", TODAY)  # fmt: skip
    assert change.shown == "content/awards/sample-cohort.csv"
    header, grace, alan = before.split(b"\r\n")[:3]
    assert path.read_bytes() == (
        header + b",status,status_reason,status_date\r\n"
        + grace + b"\r\n"
        + alan + b',revoked,"Did not attend, said so himself",2026-12-01\r\n'
    )  # fmt: skip
    award = awards(sheet_site)["workshop-completion/alan@example.org"]
    assert (award.status, award.status_reason) == ("revoked", "Did not attend, said so himself")
    assert award.status_date == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert awards(sheet_site)["workshop-completion/grace@example.org"].status == "active"
    result = build_site(sheet_site)
    assert result.states == {"active": 2, "revoked": 1}


def test_suspend_then_reinstate_in_csv_keeps_every_other_byte(sheet_site: Path) -> None:
    # a BOM, semicolons, every cell quoted, a status column already there, rows of uneven length
    path = awards_file(sheet_site, "sample-cohort.csv")
    original = (
        '\ufeff"Name";"Email";"Achievement";"Status";"Notes"\r\n'
        '"Grace Example";"grace@example.org";"workshop-completion"\r\n'
        '"Alan Example";"alan@example.org";"workshop-completion";"";"line one\r\nline two"\r\n'
    ).encode()
    path.write_bytes(original)
    key = "workshop-completion/grace@example.org"
    set_status(sheet_site, key, "suspend", 'Asked us to "pause" it', TODAY)
    assert (
        path.read_bytes()
        == (
            '\ufeff"Name";"Email";"Achievement";"Status";"Notes";"status_reason";"status_date"\r\n'
            '"Grace Example";"grace@example.org";"workshop-completion";"suspended";;'
            '"Asked us to ""pause"" it";"2026-12-01"\r\n'
            '"Alan Example";"alan@example.org";"workshop-completion";"";"line one\r\nline two"\r\n'
        ).encode()
    )
    assert awards(sheet_site)[key].status == "suspended"
    set_status(sheet_site, key, "reinstate", None, TODAY)
    assert (
        path.read_bytes()
        == (
            '\ufeff"Name";"Email";"Achievement";"Status";"Notes";"status_reason";"status_date"\r\n'
            '"Grace Example";"grace@example.org";"workshop-completion";"";;"";""\r\n'
            '"Alan Example";"alan@example.org";"workshop-completion";"";"line one\r\nline two"\r\n'
        ).encode()
    )
    assert awards(sheet_site)[key].status == "active"


def test_revoke_in_a_csv_without_a_final_newline_and_with_lf(sheet_site: Path) -> None:
    path = awards_file(sheet_site, "sample-cohort.csv")
    path.write_bytes(b"name,email,achievement,status_date,status\n"
                     b"Grace,grace@example.org,workshop-completion\n"
                     b"Alan,alan@example.org,workshop-completion")  # fmt: skip
    set_status(sheet_site, "workshop-completion/alan@example.org", "revoke", None, TODAY)
    assert path.read_bytes() == (b"name,email,achievement,status_date,status\n"
                                 b"Grace,grace@example.org,workshop-completion\n"
                                 b"Alan,alan@example.org,workshop-completion,2026-12-01,revoked")  # fmt: skip


def test_csv_refusal_is_located_and_writes_nothing(sheet_site: Path) -> None:
    path = awards_file(sheet_site, "sample-cohort.csv")
    before = path.read_bytes()
    with pytest.raises(CredsiteError) as caught:
        set_status(sheet_site, "workshop-completion/alan@example.org", "reinstate", None, TODAY)
    assert str(caught.value) == (
        "content/awards/sample-cohort.csv:3:3: award 'workshop-completion/alan@example.org' is "
        "already active"
    )
    assert path.read_bytes() == before


def _workbook(path: Path, rows: list[list[object]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Cohort"
    for row in rows:
        book.active.append(row)
    book.create_sheet("Notes").append(["Kept as it is", 42])
    book.save(path)


def _cells(path: Path) -> dict[str, list[list[object]]]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


XLSX_ROWS = [
    ["name", "email", "achievement", "hours"],
    ["Grace Example", "grace@example.org", "workshop-completion", 12],
    ["Alan Example", "alan@example.org", "workshop-completion", 12],
]


def test_revoke_in_a_workbook(sheet_site: Path) -> None:
    awards_file(sheet_site, "sample-cohort.csv").unlink()
    path = awards_file(sheet_site, "cohort.xlsx")
    _workbook(path, XLSX_ROWS)
    build_site(sheet_site)
    change = set_status(sheet_site, "workshop-completion/alan@example.org", "revoke", "Left", TODAY)
    assert change.shown == "content/awards/cohort.xlsx"
    assert _cells(path) == {
        "Cohort": [
            [*XLSX_ROWS[0], "status", "status_reason", "status_date"],
            [*XLSX_ROWS[1], None, None, None],
            [*XLSX_ROWS[2], "revoked", "Left", dt.datetime(2026, 12, 1)],
        ],
        "Notes": [["Kept as it is", 42]],
    }
    award = awards(sheet_site)["workshop-completion/alan@example.org"]
    assert (award.status, award.status_reason) == ("revoked", "Left")
    assert award.status_date == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("kind", ["formula", "extra part"])
def test_a_workbook_openpyxl_cannot_keep_is_left_to_the_user(sheet_site: Path, kind: str) -> None:
    import zipfile

    import openpyxl

    awards_file(sheet_site, "sample-cohort.csv").unlink()
    path = awards_file(sheet_site, "cohort.xlsx")
    _workbook(path, XLSX_ROWS)
    if kind == "extra part":  # as Office 365 adds for a sensitivity label
        with zipfile.ZipFile(path, "a") as package:
            package.writestr("customXml/item1.xml", "<label/>")
    else:  # on the sheet credsite does not read, so that the awards still load
        book = openpyxl.load_workbook(path)
        book["Notes"]["C1"] = "=1+1"
        book.save(path)
    before = path.read_bytes()
    with pytest.raises(CredsiteError) as caught:
        set_status(sheet_site, "workshop-completion/grace@example.org", "revoke", None, TODAY)
    message = str(caught.value)
    assert message.startswith("content/awards/cohort.xlsx:Cohort!C2: ")
    assert message.endswith(": set the status, status_reason, status_date cells of row 2 by "
                            "hand (nothing was changed)")  # fmt: skip
    assert ("customXml/item1.xml" in message) == (kind == "extra part")
    assert ("formulas" in message) == (kind == "formula")
    assert path.read_bytes() == before


def test_cli_revokes_a_csv_award(sheet_site: Path) -> None:
    from conftest import run_cli

    result = run_cli("revoke", "workshop-completion/grace@example.org", "--reason", "Test",
                     cwd=sheet_site / "content" / "awards")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "content/awards/sample-cohort.csv: workshop-completion/grace@example.org is now "
        "revoked" in result.stdout
    )
