"""Pathway awards, worked out at every build from the content and the lockfile.

Every recipient (one normalised email, across YAML files and spreadsheets) who meets a pathway's
rules (`credsite.content.pathways`) is given the pathway's credential: an award with the id
``<pathway>/<email>``, minted once in credsite.lock like any award, issued on the date its last
required credential was issued, with the credentials that count as its evidence (links to their
pages, signed into the pathway credential). A ``--locked`` build mints none: a completion
credsite.lock does not record yet is left out, with a warning; recorded ones are built as usual.

When it counts. A credential counts towards a pathway at a moment *t* when it was issued on or
before *t*, had not expired by *t*, and is neither revoked nor suspended; with ``within:``, only
credentials issued in the window that ends at *t* count. A pathway is completed at the first *t*
(an issue date of one of the recipient's credentials) at which the credentials that count meet
its rules: that is the pathway credential's issue date, and those credentials its evidence. A
component that expires later does not undo a completion (use ``within:`` or ``valid_for``).

Withdrawn components (docs: content/README.md "Pathways"). When a recipient whose pathway award
is minted no longer completes the pathway (a credential it counted on was revoked or suspended,
left the content, or the rules changed), credsite neither leaves the pathway credential valid in
silence nor revokes it in silence:

* with suspension on (``status: {suspension: true}``), it is suspended, with a warning naming the
  recipient and the component, and reinstated by itself once they complete the pathway again;
* with suspension off, the build stops (a located error) until the issuer decides, by writing the
  pathway award in ``content/awards/`` with ``status: revoked`` (or ``active`` to keep it valid).

An award of a pathway written in ``content/awards/`` is the issuer's own: it is issued with its
status as written and no automatic award is made for that recipient. When it gives no ``issued``
date, the completion date is used, and the credentials that count are added to its evidence, so
writing one down to revoke an automatic award changes nothing but its status. The credential's
document is worked out from the credentials that count now, or, when the recipient no longer
completes the pathway, from those that counted (revoked or suspended ones included), so a
withdrawn component changes the pathway credential's status, not its signed document.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, replace

from credsite.content.model import Award, Evidence, Site, _digest
from credsite.content.pathways import Pathway, order
from credsite.errors import Location, Problem, Problems
from credsite.issuing.issued import award_dates
from credsite.issuing.urls import Urls
from credsite.state.lockfile import AwardEntry, Lockfile

WITHDRAWN = ("revoked", "suspended")


@dataclass(frozen=True)
class Held:
    """One credential of a recipient, as the rules see it."""

    award: Award
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    token: str

    @property
    def achievement(self) -> str:
        return self.award.achievement

    def counts_at(self, moment: dt.datetime, start: dt.datetime | None, withdrawn: bool) -> bool:
        if not withdrawn and self.award.status in WITHDRAWN:
            return False
        if self.valid_from > moment or (start is not None and self.valid_from < start):
            return False
        return self.valid_until is None or self.valid_until > moment


@dataclass(frozen=True)
class Completion:
    when: dt.datetime
    counted: tuple[Held, ...]
    """The credentials that count, one per achievement (the latest), oldest first."""


@dataclass
class Outcome:
    """What `award_pathways` decided."""

    awards: list[Award] = field(default_factory=list)
    """Every award of the site: the content's (pathway awards written there completed) and the
    automatic pathway awards, sorted by id."""
    new: list[Award] = field(default_factory=list)
    """Automatic pathway awards minted in this build."""
    counted: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Pathway award id -> the ids of the awards whose credentials count towards it."""
    warnings: list[Problem] = field(default_factory=list)


def completion(
    pathway: Pathway, items: list[Held], *, withdrawn: bool = False
) -> Completion | None:
    """When `items` (one recipient's credentials) first complete `pathway`, and with which.

    `withdrawn`: count revoked and suspended credentials too (when was it completed, before).
    """
    components = set(pathway.component_slugs())
    mine = [h for h in items if h.achievement in components]
    for moment in sorted({h.valid_from for h in mine}):
        counting = _counting(pathway, mine, moment, withdrawn)
        held = {h.achievement for h in counting}
        if pathway.rules.met(held.__contains__):
            latest: dict[str, Held] = {}
            for h in sorted(counting, key=lambda h: (h.valid_from, h.award.key)):
                latest[h.achievement] = h
            ordered = sorted(latest.values(), key=lambda h: (h.valid_from, h.award.key))
            return Completion(moment, tuple(ordered))
    return None


def counting_at(
    pathway: Pathway, items: list[Held], moment: dt.datetime, *, withdrawn: bool = False
) -> list[Held]:
    """The credentials of `items` (one recipient's) that count towards `pathway` at `moment`:
    of its components, issued by then, not expired, in its `within:` window ending then, and
    (unless `withdrawn`) neither revoked nor suspended."""
    components = set(pathway.component_slugs())
    return _counting(pathway, [h for h in items if h.achievement in components], moment, withdrawn)


def _counting(
    pathway: Pathway, mine: list[Held], moment: dt.datetime, withdrawn: bool
) -> list[Held]:
    """Those of `mine` (credentials of the pathway's components) that count at `moment`."""
    start = None
    if pathway.within is not None:
        amount, unit = pathway.within
        start = _minus(moment, amount, unit)
    return [h for h in mine if h.counts_at(moment, start, withdrawn)]


def _minus(moment: dt.datetime, amount: int, unit: str) -> dt.datetime | None:
    """`moment` minus a duration, the day clamped to the month's last (31 March - 1 month =
    28 February); None when that is before the year 1 (then everything earlier counts)."""
    if unit in ("day", "week"):
        try:
            return moment - dt.timedelta(days=amount * (7 if unit == "week" else 1))
        except OverflowError:
            return None
    months = amount * 12 if unit == "year" else amount
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    if year < dt.MINYEAR:
        return None
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def evidence_of(counted: tuple[Held, ...], site: Site, urls: Urls) -> tuple[Evidence, ...]:
    """Each credential that counts, as evidence: a link to its page (signed into the pathway
    credential, so the link and its label are checked on the page like any signed value)."""
    return tuple(
        Evidence(
            urls.url(urls.credential_path(h.token, "html")),
            site.achievements[h.achievement].name,
            f"Credential issued {h.valid_from.year:04d}-{h.valid_from.month:02d}-"
            f"{h.valid_from.day:02d}",
        )
        for h in counted
    )


def recorded_awards(site: Site, scratch: Lockfile, urls: Urls) -> tuple[list[Award], set[str]]:
    """The site's awards plus the automatic pathway awards a ``--locked`` build publishes (those
    the lockfile records), and the keys of the latter: for commands that read and never build.

    `scratch` is a lockfile read for this call only: entries for awards not built yet are made in
    it in passing, so it must never be saved."""
    written = {a.key for a in site.awards}
    awards = award_pathways(site, scratch, urls, locked=True).awards
    return awards, {a.key for a in awards} - written


def award_pathways(site: Site, lock: Lockfile, urls: Urls, *, locked: bool = False) -> Outcome:
    """Work out every pathway award; mint the new ones in `lock` (not when `locked`).

    Raises `ContentError` when a minted pathway award is no longer completed and suspension is
    off (the issuer must decide, see the module docstring)."""
    outcome = Outcome()
    if not site.pathways:
        outcome.awards = list(site.awards)
        return outcome
    problems = Problems()
    entries = lock.award_entries(site.awards)
    by_email: dict[str, list[Held]] = {}
    for award in site.awards:
        by_email.setdefault(award.email, []).append(_held(award, entries[award.key], site))
    replaced: dict[str, Award] = {}
    automatic: list[Award] = []
    suspension = site.config.status.suspension
    for slug in order(site.pathways):
        pathway = site.pathways[slug]
        name = site.achievements[slug].name
        skipped = 0
        for email in sorted(by_email):
            items = by_email[email]
            now = completion(pathway, items)
            then = now or completion(pathway, items, withdrawn=True)
            given = [h for h in items if h.achievement == slug]
            if given:
                for held in given:
                    award = _completed(held.award, then, site, urls)
                    if award is not held.award:
                        replaced[award.key] = award
                        items[items.index(held)] = _held(award, entries[award.key], site)
                    if then is not None:
                        outcome.counted[award.key] = tuple(h.award.key for h in then.counted)
                continue
            key = f"{slug}/{email}"
            probe = _automatic(key, slug, email, then, items, pathway, site, urls)
            minted = probe.lock_key in lock.awards
            if now is None and not minted:
                continue
            if now is None:
                withdrawn = [
                    h for h in items if h.achievement in pathway.component_slugs()
                    and h.award.status in WITHDRAWN
                ]  # fmt: skip
                _no_longer_complete(probe, pathway, name, withdrawn, suspension, outcome, problems)
                if not suspension:
                    continue
                probe = replace(
                    probe,
                    status="suspended",
                    status_reason=_reason(withdrawn, site),
                )
            elif not minted and locked:
                skipped += 1
                continue
            if not minted:
                outcome.new.append(probe)
            entry = lock.award(probe.lock_key, probe.key)
            entries[probe.key] = entry
            automatic.append(probe)
            if then is not None:
                outcome.counted[probe.key] = tuple(h.award.key for h in then.counted)
            items.append(_held(probe, entry, site))
        if skipped:
            outcome.warnings.append(
                Problem(
                    pathway.location,
                    f"{skipped} recipient(s) complete pathway '{slug}' but credsite.lock records "
                    "no award of it for them: a --locked build never mints one. Build without "
                    "--locked and commit credsite.lock",
                )
            )
    problems.raise_if_any()
    awards = [replaced.get(a.key, a) for a in site.awards] + automatic
    outcome.awards = sorted(awards, key=lambda a: a.key)
    return outcome


def _held(award: Award, entry: AwardEntry, site: Site) -> Held:
    dates = award_dates(award, site.achievements[award.achievement], entry)
    return Held(award, dates.valid_from, dates.valid_until, entry.credential)


def _automatic(
    key: str,
    slug: str,
    email: str,
    done: Completion | None,
    items: list[Held],
    pathway: Pathway,
    site: Site,
    urls: Urls,
) -> Award:
    """The automatic award of `slug` to `email`, from its completion (None: no longer known).

    The recipient's name is the one on the last credential that counts (else on their latest)."""
    counted = done.counted if done is not None else ()
    latest = sorted(items, key=lambda h: (h.valid_from, h.award.key))
    recipient = (counted or latest)[-1].award.name
    return Award(
        key=key,
        achievement=slug,
        name=recipient,
        email=email,
        issued=done.when if done is not None else None,
        expires=None,
        narrative=None,
        evidence=evidence_of(counted, site, urls),
        role=None,
        fields=(),
        status="active",
        status_reason=None,
        status_date=None,
        location=pathway.location,
    )


def _completed(award: Award, done: Completion | None, site: Site, urls: Urls) -> Award:
    """An award of a pathway written in the content: the completion date when it gives none,
    and the credentials that count added to its evidence."""
    if done is None:
        return award
    issued = award.issued or done.when
    evidence = award.evidence + tuple(
        e for e in evidence_of(done.counted, site, urls) if e not in award.evidence
    )
    if issued == award.issued and evidence == award.evidence:
        return award
    return replace(award, issued=issued, evidence=evidence)


def _reason(withdrawn: list[Held], site: Site) -> str:
    if not withdrawn:
        return "The credentials it requires are no longer all held"
    parts = [f"{site.achievements[h.achievement].name} ({h.award.status})" for h in withdrawn]
    return "A credential it requires was withdrawn: " + ", ".join(parts)


def _no_longer_complete(
    award: Award,
    pathway: Pathway,
    name: str,
    withdrawn: list[Held],
    suspension: bool,
    outcome: Outcome,
    problems: Problems,
) -> None:
    """Report a minted pathway award its recipient no longer completes (see the docstring)."""
    slug = pathway.slug
    if withdrawn:
        places: list[Location] = [h.award.status_location or h.award.location for h in withdrawn]
        why = ", ".join(f"'{h.achievement}' {h.award.status}" for h in withdrawn)
        why = f"their credential {why}" if len(withdrawn) == 1 else f"their credentials {why}"
    else:
        places = [pathway.location]
        why = "the credentials it requires are no longer all in the content, or its rules changed"
    who = f"{award.name or award.email} ({award.email})"
    decide = (
        f"add an award of '{slug}' for {award.email} in content/awards/ with 'status: revoked' "
        "(or 'status: active' to keep it valid)"
    )
    for place in places:
        if suspension:
            outcome.warnings.append(
                Problem(
                    place,
                    f"{who} no longer completes pathway '{name}' ({why}): their pathway "
                    "credential is suspended until they complete it again. To decide for good, "
                    + decide,
                )
            )
        else:
            problems.add(
                place,
                f"{who} no longer completes pathway '{name}' ({why}), and credsite neither "
                f"leaves their pathway credential valid nor revokes it on its own: {decide}, or "
                "set 'status: {suspension: true}' in site.yaml to suspend it automatically",
            )


def automatic_award(site: Site, lock_key: str) -> tuple[str, str] | None:
    """(pathway, email) when `lock_key` names an automatic pathway award of one of the content's
    recipients (``<pathway>/<email>``), which no line of the content holds; else None."""
    for slug in sorted(site.pathways):
        for email in sorted({a.email for a in site.awards}):
            if _digest(f"{slug}/{email}") == lock_key:
                return slug, email
    return None
