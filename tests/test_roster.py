"""`credsite list` and `credsite roster --export`: who got which link, read without building.

Both read the content and credsite.lock and nothing else; the roster is a private file (emails)
that is never written where it would be published or read as content.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    NOT_FILES,
    NOW,
    SITE_URL,
    build_site,
    output_of,
    refuses_to_replace,
    run_cli,
    run_to_full_stdout,
    tree,
)

from credsite.commands import roster
from credsite.state.lockfile import Lockfile
from credsite.website.pages import linkedin_url

REVOKED = """\
- achievement: teamwork
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-03-01
  status: revoked
  status_reason: Issued by mistake
  status_date: 2026-05-01
- achievement: teamwork
  name: Alan Turing
  email: alan.turing@example.org
  issued: 2026-03-02
- achievement: mentor
  name: Grace Hopper
  email: grace.hopper@example.org
  issued: 2025-04-01
"""
COHORT_CSV = (
    "name,email,achievement,issued\nKatherine Johnson,katherine@example.org,mentor,2026-06-01\n"
)


@pytest.fixture
def built(make_site: Callable[..., Path]) -> Path:
    """The default site, Ada revoked, Grace's one-year award expired by NOW, built once; then
    Katherine added in a spreadsheet and not built yet."""
    root = make_site({"content/awards/awards.yaml": REVOKED})
    build_site(root)
    (root / "content/awards/cohort.csv").write_text(COHORT_CSV, encoding="utf-8")
    return root


def tokens(root: Path) -> dict[str, str]:
    """Recipient email -> credential token, from the lockfile."""
    found = roster.entries(root, now=NOW).entries
    lock = Lockfile.load(root / "credsite.lock")
    return {
        e.award.email: lock.awards[e.award.lock_key].credential
        for e in found
        if e.award.lock_key in lock.awards
    }


# -- entries ---------------------------------------------------------------------------------------


def test_entries_give_status_dates_and_links(built: Path) -> None:
    found = {e.award.email: e for e in roster.entries(built, now=NOW).entries}
    token = tokens(built)
    alan = found["alan.turing@example.org"]
    assert (alan.status, alan.issued, alan.expires) == (
        "active", dt.datetime(2026, 3, 2, tzinfo=dt.UTC), None
    )  # fmt: skip
    assert alan.page_url == f"{SITE_URL}credentials/{token[alan.award.email]}.html"
    assert alan.json_url == f"{SITE_URL}credentials/{token[alan.award.email]}.json"
    assert alan.linkedin_url == linkedin_url(
        name="Teamwork", organization_id=None, organization_name="Acme Learning",
        issued=alan.issued, expires=None, cert_url=alan.page_url, cert_id=token[alan.award.email],
    )  # fmt: skip
    ada, grace = found["ada.lovelace@example.org"], found["grace.hopper@example.org"]
    assert (ada.status, ada.linkedin_url) == ("revoked", None)  # no "Add to profile" when revoked
    assert ada.page_url is not None
    assert (grace.status, grace.expires) == ("expired", dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert grace.linkedin_url is not None  # expired: still a record of what was earned
    katherine = found["katherine@example.org"]
    assert katherine.status == roster.NOT_ISSUED
    assert katherine.issued == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert katherine.expires == dt.datetime(2027, 6, 1, tzinfo=dt.UTC)  # mentor: valid for a year
    assert (katherine.token, katherine.page_url, katherine.linkedin_url) == (None, None, None)


def test_the_linkedin_link_is_the_one_on_the_credential_page(built: Path) -> None:
    for entry in roster.entries(built, now=NOW, status="active").entries:
        page = built / "_site" / "credentials" / f"{entry.token}.html"
        assert html.escape(entry.linkedin_url or "-", quote=True) in page.read_text("utf-8")


def test_reading_writes_nothing(built: Path) -> None:
    before = tree(built)
    roster.entries(built, now=NOW)
    assert run_cli("list", "-C", str(built)).exit_code == 0
    assert tree(built) == before


# -- credsite list ---------------------------------------------------------------------------------


def test_list_prints_one_line_per_award(built: Path) -> None:
    result = run_cli("list", "-C", str(built))
    assert result.exit_code == 0, output_of(result)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Recipient", "Email", "Achievement", "Status", "Issued",
                                "Expires", "Page"]  # fmt: skip
    token = tokens(built)
    alan = next(line for line in lines if line.startswith("Alan Turing"))
    assert alan.split()[2:] == ["alan.turing@example.org", "teamwork", "active", "2026-03-02",
                                f"{SITE_URL}credentials/{token['alan.turing@example.org']}.html"]  # fmt: skip
    katherine = next(line for line in lines if line.startswith("Katherine Johnson"))
    assert "not yet issued" in katherine and "2026-06-01" in katherine
    assert lines[-1].startswith("4 awards: 1 active, ")  # expiry depends on today's date
    assert "1 not yet issued" in lines[-1] and "1 revoked" in lines[-1]
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize(
    ("options", "names"),
    [
        (["--achievement", "mentor"], ["Grace Hopper", "Katherine Johnson"]),
        (["--status", "revoked"], ["Ada Lovelace"]),
        (["--status", "unissued"], ["Katherine Johnson"]),
        (["--file", "content/awards/cohort.csv"], ["Katherine Johnson"]),
        (["--achievement", "teamwork", "--status", "active"], ["Alan Turing"]),
        (["--achievement", "teamwork", "--status", "suspended"], []),
    ],
)
def test_list_filters(built: Path, options: list[str], names: list[str]) -> None:
    result = run_cli("list", *options, cwd=built)
    assert result.exit_code == 0, output_of(result)
    listed = [line.split("  ")[0] for line in result.stdout.splitlines()[1:-1]]
    assert listed == names
    assert result.stdout.splitlines()[-1].startswith(f"{len(names)} award")


def test_list_file_relative_to_where_you_are(built: Path) -> None:
    awards = built / "content" / "awards"
    for given in ("cohort.csv", "content/awards/cohort.csv", str(awards / "cohort.csv")):
        result = run_cli("list", "--file", given, cwd=awards)
        assert result.exit_code == 0, (given, output_of(result))
        assert "Katherine Johnson" in result.stdout and "Alan Turing" not in result.stdout


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--achievement", "Mentor"],
         "error: --achievement: unknown achievement 'Mentor': did you mean 'mentor' (named 'Mentor')?"),
        (["--achievement", "mentr"],
         "error: --achievement: unknown achievement 'mentr' (did you mean 'mentor'?)"),
        (["--file", "content/awards/nope.csv"], "error: content/awards/nope.csv: --file: no such file"),
        (["--file", "site.yaml"], "error: site.yaml: --file: award files are in content/awards/"),
    ],
)  # fmt: skip
def test_list_refusals(built: Path, options: list[str], message: str) -> None:
    result = run_cli("list", *options, cwd=built)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert result.stdout == ""


def test_list_shows_content_warnings(built: Path) -> None:
    (built / "content" / "awards" / "late.numbers").write_bytes(b"PK")
    result = run_cli("list", cwd=built)
    assert result.exit_code == 0
    assert "warning: content/awards/late.numbers: credsite does not read this file" in result.stderr


# -- credsite roster -------------------------------------------------------------------------------


def read_roster(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data  # for Excel and Word
    return list(csv.DictReader(data.decode("utf-8-sig").splitlines()))


def test_roster_export_for_a_mail_merge(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "mail" / "roster.csv"
    target.parent.mkdir()
    result = run_cli("roster", "--export", str(target), cwd=built / "content")
    assert result.exit_code == 0, output_of(result)
    assert f"Wrote 4 awards to {target}." in result.stdout
    assert "keep it private" in result.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    rows = read_roster(target)
    assert list(rows[0]) == list(roster.COLUMNS)
    assert list(roster.COLUMNS)[:10] == ["recipient", "email", "achievement", "achievement_id",
                                         "page_url", "json_url", "linkedin_url", "status",
                                         "issued", "expires"]  # fmt: skip
    by_email = {row["email"]: row for row in rows}
    alan = by_email["alan.turing@example.org"]
    token = tokens(built)["alan.turing@example.org"]
    assert alan | {"linkedin_url": ""} == {
        "recipient": "Alan Turing", "email": "alan.turing@example.org",
        "achievement": "Teamwork", "achievement_id": "teamwork",
        "page_url": f"{SITE_URL}credentials/{token}.html",
        "json_url": f"{SITE_URL}credentials/{token}.json",
        "linkedin_url": "", "status": "active", "issued": "2026-03-02", "expires": "",
    }  # fmt: skip
    assert alan["linkedin_url"].startswith("https://www.linkedin.com/profile/add?")
    assert by_email["ada.lovelace@example.org"]["linkedin_url"] == ""
    assert by_email["katherine@example.org"] | {"recipient": ""} == {
        "recipient": "", "email": "katherine@example.org", "achievement": "Mentor",
        "achievement_id": "mentor", "page_url": "", "json_url": "", "linkedin_url": "",
        "status": "not yet issued", "issued": "2026-06-01", "expires": "2027-06-01",
    }  # fmt: skip


def test_roster_takes_the_same_filters(built: Path, tmp_path: Path) -> None:
    target = tmp_path / "mentors.csv"
    result = run_cli("roster", "--export", str(target), "--achievement", "mentor", cwd=built)
    assert result.exit_code == 0, output_of(result)
    assert [r["recipient"] for r in read_roster(target)] == ["Grace Hopper", "Katherine Johnson"]


def test_roster_to_standard_output(built: Path) -> None:
    result = run_cli("roster", "--export", "-", "--status", "revoked", cwd=built)
    assert result.exit_code == 0, output_of(result)
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["recipient"], r["status"]) for r in rows] == [("Ada Lovelace", "revoked")]


@pytest.mark.parametrize(
    ("target", "where"),
    [
        ("_site/roster.csv", "the output folder, which is published"),
        ("_site/credentials/roster.csv", "the output folder, which is published"),
        ("content/roster.csv", "content/, which credsite reads (and which is committed)"),
        ("content/awards/roster.csv", "content/, which credsite reads (and which is committed)"),
    ],
)
def test_roster_is_never_written_where_it_is_published_or_read(
    built: Path, target: str, where: str
) -> None:
    before = tree(built)
    result = run_cli("roster", "--export", target, cwd=built)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {target}: refusing to write the roster into {where}: it holds recipients' "
        "email addresses"
    )
    assert "nothing was written" in result.stderr
    assert tree(built) == before


def test_roster_into_a_folder_or_nowhere(built: Path) -> None:
    (built / "exports").mkdir()
    result = run_cli("roster", "--export", "exports", cwd=built)
    assert result.exit_code == 1 and "exports: is a folder" in result.stderr
    result = run_cli("roster", "--export", "missing/roster.csv", cwd=built)
    assert result.exit_code == 1 and "missing/roster.csv: folder" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_roster_warns_when_git_would_commit_it(built: Path) -> None:
    subprocess.run(["git", "init", "-q", str(built)], check=True)
    result = run_cli("roster", "--export", "roster.csv", cwd=built)
    assert result.exit_code == 0, output_of(result)
    assert (built / "roster.csv").is_file()
    assert (
        f"warning: roster.csv: inside the git repository {built.resolve()} and not git-ignored: "
        "committing it would publish recipients' email addresses"
    ) in " ".join(result.stderr.split())
    (built / ".gitignore").write_text("roster.csv\n", encoding="utf-8")
    again = run_cli("roster", "--export", "roster.csv", cwd=built)
    assert again.exit_code == 0 and "git" not in again.stderr


def test_pathway_awards_are_listed_like_the_others(example_site: Path) -> None:
    """The credentials a build gave for completed pathways (content/pathways/) are in the list,
    the roster and so in what `credsite notify` tells, with their published page."""
    lock = (example_site / "credsite.lock").read_bytes()
    found = roster.entries(example_site, now=NOW).entries
    pathway = [e for e in found if e.achievement.slug == "global-educator"]
    assert sorted(e.award.name for e in pathway) == ["Arjun Mehta", "Keiko Nakamura"]
    base = "https://northbridge-alliance.github.io/credentials/"
    for entry in pathway:
        assert entry.status == "active" and entry.page_url is not None
        path = entry.page_url.removeprefix(base)
        assert (example_site / "_site" / path).is_file(), path
    assert (example_site / "credsite.lock").read_bytes() == lock  # nothing recorded in passing
    listed = run_cli("list", "--achievement", "global-educator", "-C", str(example_site))
    assert listed.exit_code == 0, output_of(listed)
    assert "Arjun Mehta" in listed.stdout and "Keiko Nakamura" in listed.stdout


@pytest.mark.parametrize("kind", NOT_FILES)
def test_roster_never_replaces_a_device_or_fifo(built: Path, tmp_path: Path, kind: str) -> None:
    refuses_to_replace(tmp_path, kind, "roster.csv", ["roster", "--export"], built, "the roster")


def test_roster_under_a_file_is_an_error(built: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("mine", encoding="utf-8")
    result = run_cli("roster", "--export", str(plain / "roster.csv"), cwd=built)
    assert result.exit_code == 1
    assert f"error: {plain / 'roster.csv'}: {plain} is a file, not a folder" in result.stderr
    assert plain.read_text(encoding="utf-8") == "mine"


def test_roster_to_a_full_standard_output(built: Path, tmp_path: Path) -> None:
    result = run_to_full_stdout("roster", "--export", "-", cwd=built, tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "error: cannot write to standard output: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
