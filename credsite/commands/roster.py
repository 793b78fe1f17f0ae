"""Who got which link: every award with its credential's addresses, read without building.

`entries` reads the content and `credsite.lock` (never writing either, minting nothing) and gives
one `Entry` per award: the recipient, the achievement, the status a verifier would see today and,
once the award has been built, its page, JSON and LinkedIn "Add to profile" links. An award the
lockfile does not know yet is "not yet issued": its links exist only after the next build.

With ``clr: true``, each entry also has the address of its recipient's learner record (CLR 2.0),
which nothing on the site links to: the roster is how the issuer gives it to them.

`export` writes them as a CSV file for a mail merge. The roster holds recipients' email addresses,
so it is private: it is never written into the output folder (published) nor into content/ (read
as awards, and committed); outside them, a file git would commit gets a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from credsite.atomic import unwritable, write_atomic
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError, Location, Problem
from credsite.issuing import clr, pathways, private
from credsite.issuing.issued import award_dates
from credsite.issuing.urls import Urls
from credsite.state import keyfiles
from credsite.state.lockfile import Lockfile
from credsite.values import add_duration, format_datetime
from credsite.website.pages import linkedin_url

NOT_ISSUED = "not yet issued"
STATUSES = ("active", "revoked", "suspended", "expired", "unissued")
"""What `--status` filters by; 'unissued' selects the awards that are "not yet issued"."""
COLUMNS = (
    "recipient", "email", "achievement", "achievement_id", "page_url", "json_url",
    "linkedin_url", "status", "issued", "expires",
)  # fmt: skip
"""The roster's columns, in order (mail-merge field names); with ``clr: true`` also
`RECORD_COLUMN`."""
RECORD_COLUMN = "record_url"
"""The recipient's learner record page (``clr: true``), empty until it is built."""


@dataclass(frozen=True)
class Entry:
    award: model.Award
    achievement: model.Achievement
    status: str
    """active, revoked, suspended, expired (as of now), or "not yet issued"."""
    issued: dt.datetime | None
    """validFrom: the award's date, or when it was first built; None if neither is known yet."""
    expires: dt.datetime | None
    token: str | None
    page_url: str | None
    json_url: str | None
    linkedin_url: str | None
    """Only for a credential a verifier accepts (active; expired still shows its history)."""
    record_url: str | None = None
    """The recipient's learner record page (``clr: true``), once built."""

    @property
    def source(self) -> str:
        """The award's file (and row or line), as messages show it."""
        return str(self.award.location)


@dataclass
class Roster:
    config: site_config.SiteConfig
    entries: list[Entry]
    warnings: list[Problem]


def entries(
    root: Path,
    *,
    achievement: str | None = None,
    status: str | None = None,
    file: Path | None = None,
    now: dt.datetime | None = None,
) -> Roster:
    """The site's awards, filtered by achievement id, status and award file (relative to the
    current folder or to the site folder). Reads only; never builds, mints or writes."""
    now = now or dt.datetime.now(dt.UTC)
    config = site_config.load(root)
    site = model.load(config)
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    urls = Urls(config.url, site.primary_issuer, config.languages)
    # with the pathway awards the build gave (content/pathways/): listed, exported and notified
    # like the others, from a second reading of the lockfile (nothing is recorded in passing)
    scratch = Lockfile.load(config.lockfile_path, config.lockfile)
    site.awards, _ = pathways.recorded_awards(site, scratch, urls)
    if achievement is not None and achievement not in site.achievements:
        raise CredsiteError(
            f"--achievement: {model.unknown_achievement(achievement, site.achievements)}"
        )
    if status is not None and status not in STATUSES:
        raise CredsiteError(f"--status must be one of {', '.join(STATUSES)}, got {status!r}")
    shown = _award_file(config, site, file) if file is not None else None
    result = []
    for award in site.awards:
        if achievement is not None and award.achievement != achievement:
            continue
        if shown is not None and award.location.path != shown:
            continue
        entry = _entry(award, site, lock, urls, now)
        if config.clr and (record := lock.clrs.get(clr.recipient_key(award.email))):
            entry = replace(entry, record_url=urls.url(urls.record_path(record.credential, "html")))
        wanted = NOT_ISSUED if status == "unissued" else status
        if wanted is None or entry.status == wanted:
            result.append(entry)
    result.sort(key=lambda e: (e.award.location, e.award.key))
    return Roster(config, result, site.warnings)


def _entry(
    award: model.Award, site: model.Site, lock: Lockfile, urls: Urls, now: dt.datetime
) -> Entry:
    language = model.award_language(award, site.config)
    achievement = model.localized(site.achievements[award.achievement], language)
    recorded = lock.awards.get(award.lock_key)
    if recorded is None:
        issued = award.issued
        expires = award.expires
        if expires is None and issued is not None and achievement.valid_for is not None:
            expires = add_duration(issued, achievement.valid_for)
        return Entry(award, achievement, NOT_ISSUED, issued, expires, None, None, None, None)
    dates = award_dates(award, achievement, recorded)
    state = award.status
    if state == "active" and dates.valid_until is not None and dates.valid_until <= now:
        state = "expired"
    token = recorded.credential
    page = urls.url(urls.credential_path(token, "html"))
    json_url: str | None = urls.url(urls.credential_path(token, "json"))
    linkedin = None
    if award.withdrawn:  # its page is a notice; nothing else is published
        return Entry(award, achievement, state, dates.valid_from, dates.valid_until, token, page,
                     None, None)  # fmt: skip
    if award.visibility == "private":
        # The full link: the key after '#' opens it (browsers never send it to the host). No
        # LinkedIn link, which would publish the key on a public profile; no JSON in clear.
        key = private.credential_key(_links_secret(site.config), token)
        return Entry(award, achievement, state, dates.valid_from, dates.valid_until, token,
                     f"{page}#{private.fragment(key)}", json_url, None)  # fmt: skip
    if state in ("active", "expired"):  # as the credential page offers it
        issuer = model.localized(site.issuers[achievement.issuer], language)
        linkedin = linkedin_url(
            name=achievement.name,
            organization_id=issuer.linkedin_id,
            organization_name=issuer.name,
            issued=dates.valid_from,
            expires=dates.valid_until,
            cert_url=page,
            cert_id=token,
        )
    return Entry(award, achievement, state, dates.valid_from, dates.valid_until, token, page,
                 json_url, linkedin)  # fmt: skip


def _links_secret(config: site_config.SiteConfig) -> bytes:
    found = keyfiles.links_secret(config, create=False)
    if found is None:
        raise CredsiteError(
            f"private awards' links need the site's private-links secret ({config.keys}/"
            f"{keyfiles.LINKS_SECRET_FILE} or ${keyfiles.LINKS_SECRET_ENV}), which the build "
            "that first published them wrote: restore it from your backup"
        )
    return found.secret


def _award_file(config: site_config.SiteConfig, site: model.Site, file: Path) -> str:
    """`file` as award locations name it; relative to the current folder, or to the site's."""
    candidates = [file] if file.is_absolute() else [Path.cwd() / file, config.root / file]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise CredsiteError("--file: no such file", Location(str(file)))
    try:
        shown = found.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        raise CredsiteError(
            f"--file: not in this site's folder ({config.root})", Location(str(file))
        ) from None
    if not any(a.location.path == shown for a in site.awards):
        awards = f"{config.content}/awards/"
        if not shown.startswith(awards):
            raise CredsiteError(f"--file: award files are in {awards}", Location(shown))
        raise CredsiteError("--file: this file holds no awards", Location(shown))
    return shown


# -- the roster file -------------------------------------------------------------------------------


def date_text(value: dt.datetime | None) -> str:
    """A date as ISO text, with the time only when it is not midnight UTC."""
    if value is None:
        return ""
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return format_datetime(value)


def csv_bytes(found: list[Entry]) -> bytes:
    """The roster as CSV: UTF-8 with a byte order mark and CRLF, as Excel and Word read it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    records = any(e.record_url for e in found)
    writer.writerow([*COLUMNS, RECORD_COLUMN] if records else COLUMNS)
    for e in found:
        writer.writerow([
            e.award.name, e.award.email, e.achievement.name, e.achievement.slug,
            e.page_url or "", e.json_url or "", e.linkedin_url or "", e.status,
            date_text(e.issued), date_text(e.expires),
            *([e.record_url or ""] if records else []),
        ])  # fmt: skip
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def export(roster: Roster, target: Path) -> list[str]:
    """Write the roster to `target`, refusing places that publish or read it; returns warnings."""
    config = roster.config
    where = target.absolute()
    private = (
        (config.output_dir, "the output folder, which is published"),
        (config.content_dir, "content/, which credsite reads (and which is committed)"),
    )
    for folder, what in private:
        if where.resolve().is_relative_to(folder.resolve()):
            raise CredsiteError(
                f"refusing to write the roster into {what}: it holds recipients' email "
                "addresses. Write it outside the site, e.g. --export ~/roster.csv",
                Location(str(target)),
            )
    shown = Location(str(target))
    if where.is_dir():
        raise CredsiteError("is a folder: give a file name, e.g. roster.csv", shown)
    if problem := unwritable(where, "the roster"):
        raise CredsiteError(problem, shown)
    if not where.parent.is_dir():
        raise CredsiteError(f"folder {where.parent} does not exist", shown)
    warnings = []
    repo = _git_would_commit(where)
    if repo is not None:
        warnings.append(
            f"{target}: inside the git repository {repo} and not git-ignored: committing it would "
            "publish recipients' email addresses to everyone who can read the repository. Add it "
            "to .gitignore, or write it outside the repository"
        )
    try:
        write_atomic(where, csv_bytes(roster.entries), mode=0o600)
    except OSError as exc:
        raise CredsiteError(f"cannot write the roster: {exc.strerror or exc}", shown) from None
    return warnings


def _git_would_commit(path: Path) -> Path | None:
    """The git work tree `path` is in, if git would add it (not ignored); None otherwise."""
    git = shutil.which("git")
    if git is None:
        return None
    folder = path.parent
    try:
        top = subprocess.run([git, "-C", str(folder), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=10)  # fmt: skip
        if top.returncode != 0:
            return None  # not in a repository
        ignored = subprocess.run([git, "-C", str(folder), "check-ignore", "-q", str(path)],
                                 capture_output=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(top.stdout.strip()) if ignored.returncode == 1 else None
