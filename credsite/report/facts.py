"""What the report counts: every award of the content with its dates and status, read only.

Layer 20 (after issuing.pathways and issuing.endorsements). Reads site.yaml, the content (`credsite.content.model.load`) and
credsite.lock (`credsite.state.lockfile.Lockfile.load`); never writes the lockfile, never builds or
signs. An award's dates and status are computed as the build computes them
(`credsite.issuing.issued.award_dates`; active becomes expired once `validUntil` has passed).
An award credsite.lock does not record yet has not been issued: it is counted apart, with the
dates the next build would give it. Pathway awards are worked out as a ``--locked`` build works
them out (`credsite.issuing.pathways.award_pathways`): the automatic ones credsite.lock records
are counted, flagged `Credential.automatic`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError, Problems
from credsite.issuing.endorsements import received_target
from credsite.issuing.issued import award_dates
from credsite.issuing.pathways import Held, recorded_awards
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
    automatic: bool = False
    """An automatic pathway award: credsite made it from content/pathways/ (no award file, no
    narrative); a pathway award written in content/awards/ is not automatic."""


@dataclass(frozen=True)
class EndorsementFact:
    """One endorsement the site publishes or received (content/endorsements/)."""

    endorser: str
    """The endorser's name."""
    kind: str
    """What it endorses: ``achievement``, ``issuer``, ``credential`` (one recipient's), or
    ``elsewhere`` (something on another site, signed here with `credsite endorse`)."""
    target: str
    """The name of the achievement (also for a credential: its achievement) or issuer."""
    achievement: str | None
    """The achievement's slug, for an endorsement of it or of one of its credentials."""
    withdrawn: bool
    received: bool
    """Signed elsewhere and added with `credsite endorsement add`."""


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
    endorsements: list[EndorsementFact] = field(default_factory=list)
    """Endorsements of what the report covers (every one without --achievement)."""
    holdings: dict[str, list[Held]] = field(default_factory=dict)
    """Email -> every issued credential of that recipient, as the pathway rules see them, whatever
    the filters (what counts towards a pathway does not depend on them)."""
    issued_days: tuple[dt.date, dt.date] | None = None
    """The first and last issue dates of the site's issued credentials, whatever the filters."""

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
    automatic: set[str] = set()
    urls = Urls(config.url, site.primary_issuer, config.languages)
    endorsements = endorsement_facts(site, lock, urls)
    if site.pathways:
        # the pathway awards the build would publish (only those already minted: locked), worked
        # out on a second reading of the lockfile, so that nothing the report counts is minted
        # in passing (the lockfile is never written)
        scratch = Lockfile.load(config.lockfile_path, config.lockfile)
        site.awards, automatic = recorded_awards(site, scratch, urls)
    facts = collect(site, lock, options, now, automatic)
    facts.endorsements = [
        e
        for e in endorsements
        if options.achievement is None
        or e.achievement == options.achievement
        or (
            e.kind == "issuer"
            and e.target == site.issuers[site.achievements[options.achievement].issuer].name
        )
    ]
    ledger_path = root / LEDGER_FILE
    if ledger_path.exists():
        facts.ledger = Ledger.load(ledger_path)
    return facts


def collect(
    site: model.Site,
    lock: Lockfile,
    options: Options,
    now: dt.datetime,
    automatic: set[str] | frozenset[str] = frozenset(),
) -> Facts:
    """The credentials of `site` as `lock` records them, filtered by `options`; `automatic`: the
    keys of the automatic pathway awards among `site.awards`."""
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
    start, end = period(options)
    provisional = format_datetime(now)
    awards_folder = f"{site.config.content}/awards/"
    for award in site.awards:
        achievement = site.achievements[award.achievement]
        entry = lock.awards.get(award.lock_key)
        issued = entry is not None
        if entry is None:
            # what the next build would record: minted now
            entry = AwardEntry(award.lock_key, "", provisional, "", 0, 0)
        dates = award_dates(award, achievement, entry)
        if issued and site.pathways:
            held = Held(award, dates.valid_from, dates.valid_until, entry.credential)
            facts.holdings.setdefault(award.email, []).append(held)
        if issued:
            day = dates.valid_from.date()
            span = facts.issued_days or (day, day)
            facts.issued_days = (min(span[0], day), max(span[1], day))
        if options.achievement not in (None, award.achievement):
            continue
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
            award.key in automatic,
        )
        (facts.credentials if issued else facts.pending).append(credential)
    return facts


def period(options: Options) -> tuple[dt.datetime | None, dt.datetime | None]:
    """--since and --until as moments: from (inclusive), to (exclusive); None: unbounded
    (--until 9999-12-31, the last day there is, has no next day: it bounds nothing)."""
    until = options.until
    end = _day(until + dt.timedelta(days=1)) if until and until < dt.date.max else None
    return _day(options.since), end


def _day(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if day else None


def endorsement_facts(site: model.Site, lock: Lockfile, urls: Urls) -> list[EndorsementFact]:
    """Every endorsement written on the site or received, with what it endorses by name."""
    found: list[EndorsementFact] = []
    awards = {a.key: a for a in site.awards}
    for e in site.endorsements:
        endorser = site.issuers[e.endorser].name if e.endorser in site.issuers else e.endorser
        if e.target_kind == "achievement" and e.target in site.achievements:
            kind, slug = "achievement", e.target
        elif e.target_kind == "award" and e.target in awards:
            kind, slug = "credential", awards[e.target].achievement
        elif e.target_kind == "issuer" and e.target in site.issuers:
            kind, slug = "issuer", None
        else:
            kind, slug = "elsewhere", None
        name = (
            site.issuers[e.target].name
            if kind == "issuer"
            else site.achievements[slug].name
            if slug
            else e.target
        )
        found.append(EndorsementFact(endorser, kind, name, slug, e.withdrawn, False))
    entries = lock.award_entries(site.awards, mint=False)
    for r in site.received:
        document = r.document if isinstance(r.document, dict) else {}
        issuer = document.get("issuer")
        endorser = str(issuer.get("name") or issuer.get("id")) if isinstance(issuer, dict) else "?"
        subject = document.get("credentialSubject")
        target_id = str(subject.get("id", "")) if isinstance(subject, dict) else ""
        target = received_target(target_id, site, urls, entries)
        if target is None:
            found.append(EndorsementFact(endorser, "elsewhere", target_id, None, False, True))
            continue
        slug = target.achievement
        name = site.achievements[slug].name if slug else target.name
        found.append(EndorsementFact(endorser, target.kind, name, slug, False, True))
    return found
