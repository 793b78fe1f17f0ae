"""What the report counts: every award of the content with its dates and status, read only.

Layer 17 (after issuing.pathways). Reads site.yaml, the content (`credsite.content.model.load`) and
credsite.lock (`credsite.state.lockfile.Lockfile.load`); never writes the lockfile, never builds or
signs. An award's dates and status are computed as the build computes them
(`credsite.issuing.issued.award_dates`; active becomes expired once `validUntil` has passed).
An award credsite.lock does not record yet has not been issued: it is counted apart, with the
dates the next build would give it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError, Problems
from credsite.issuing.issued import award_dates
from credsite.issuing.pathways import award_pathways
from credsite.issuing.urls import Urls
from credsite.state.lockfile import AwardEntry, Lockfile
from credsite.state.notified import FILE_NAME as LEDGER_FILE
from credsite.state.notified import Ledger
from credsite.values import format_datetime

STATES = ("active", "expired", "suspended", "revoked")


@dataclass(frozen=True)
class Options:
    since: dt.date | None = None
    """Only credentials valid from this day on (inclusive, UTC)."""
    until: dt.date | None = None
    """Only credentials valid from this day or earlier (inclusive, UTC)."""
    achievement: str | None = None
    """Only this achievement's awards."""
    public: bool = False
    """Aggregates only: no names or emails, small counts hidden."""
    min_count: int = 5
    """In a public report, counts from 1 to min_count - 1 are shown as "<min_count"."""


@dataclass(frozen=True)
class Credential:
    """One award of the content, as issued (or as the next build would issue it)."""

    award: model.Award
    achievement: model.Achievement
    issuer: model.Issuer
    source: str
    """The award's file, inside content/awards/ (cohort.yaml, spring/cohort.csv)."""
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    state: str
    """active | expired | suspended | revoked."""
    issued: bool
    """credsite.lock records it: it has been built, signed and (if published) handed out."""
    token: str = ""
    """Its credential token (credsite.lock), empty until it is issued."""


@dataclass
class Facts:
    site: model.Site
    now: dt.datetime
    options: Options
    credentials: list[Credential] = field(default_factory=list)
    """The issued credentials the report covers (after the filters)."""
    pending: list[Credential] = field(default_factory=list)
    """Awards of the content credsite.lock does not record yet (after the filters)."""
    achievements: list[model.Achievement] = field(default_factory=list)
    """The achievements the report covers: all, or the one of --achievement."""
    ledger: Ledger | None = None
    """credsite.notified, who `credsite notify` told what; None when the site has none yet."""

    @property
    def everything(self) -> list[Credential]:
        """Issued and not yet issued: what the data-quality checks look at."""
        return self.credentials + self.pending


def load(root: Path, options: Options, now: dt.datetime) -> Facts:
    """Read the site in `root` and credsite.lock; raise `CredsiteError` on any problem."""
    problems = Problems()
    config = site_config.load(root, problems=problems)
    site = None
    try:
        site = model.load(config)
    except CredsiteError as exc:
        problems.extend(exc.problems)
    problems.raise_if_any()
    assert site is not None
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    if site.pathways:
        # the pathway awards the build would publish (only those already minted: locked), worked
        # out on a second reading of the lockfile, so that nothing the report counts is minted
        # in passing (the lockfile is never written)
        scratch = Lockfile.load(config.lockfile_path, config.lockfile)
        urls = Urls(config.url, site.primary_issuer, config.languages)
        site.awards = award_pathways(site, scratch, urls, locked=True).awards
    facts = collect(site, lock, options, now)
    ledger_path = root / LEDGER_FILE
    if ledger_path.exists():
        facts.ledger = Ledger.load(ledger_path)
    return facts


def collect(site: model.Site, lock: Lockfile, options: Options, now: dt.datetime) -> Facts:
    """The credentials of `site` as `lock` records them, filtered by `options`."""
    if options.achievement is not None and options.achievement not in site.achievements:
        close = difflib.get_close_matches(options.achievement, list(site.achievements), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        known = ", ".join(sorted(site.achievements)) or "none"
        raise CredsiteError(
            f"--achievement: no achievement '{options.achievement}'{hint}; "
            f"the site's achievements: {known}"
        )
    facts = Facts(site, now, options)
    facts.achievements = [
        a for slug, a in sorted(site.achievements.items()) if options.achievement in (None, slug)
    ]
    start = _day(options.since)
    end = _day(options.until + dt.timedelta(days=1)) if options.until else None
    provisional = format_datetime(now)
    awards_folder = f"{site.config.content}/awards/"
    for award in site.awards:
        if options.achievement not in (None, award.achievement):
            continue
        achievement = site.achievements[award.achievement]
        entry = lock.awards.get(award.lock_key)
        issued = entry is not None
        if entry is None:
            # what the next build would record: minted now
            entry = AwardEntry(award.lock_key, "", provisional, "", 0, 0)
        dates = award_dates(award, achievement, entry)
        if (start and dates.valid_from < start) or (end and dates.valid_from >= end):
            continue
        state = award.status
        if state == "active" and dates.valid_until is not None and dates.valid_until <= now:
            state = "expired"
        credential = Credential(
            award,
            achievement,
            site.issuers[achievement.issuer],
            award.location.path.removeprefix(awards_folder),
            dates.valid_from,
            dates.valid_until,
            state,
            issued,
            entry.credential,
        )
        (facts.credentials if issued else facts.pending).append(credential)
    return facts


def _day(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if day else None
