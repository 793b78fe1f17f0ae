"""What the report shows: its sections, each a few figures (a table, with a chart where a picture
says it faster).

Layer 21 (after report.facts). A section is a function of the `Facts` returning a `Section` (or
None when it has nothing to show, as the private-only ones in a public report). `SECTIONS` lists
them in order: a later section is one more function there. `sections()` applies the public report's suppression to every table, once,
in one place.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from credsite.content.model import Achievement
from credsite.report import emails, funnel
from credsite.report.charts import Chart
from credsite.report.facts import STATES, Credential, EndorsementFact, Facts, period
from credsite.report.tables import Cell, Column, Hidden, Table, suppress
from credsite.state.notified import REFUSED

LIST_ROWS = 200
"""A list of awards shows at most this many rows in the HTML; its CSV has them all."""
SOON = (30, 90)
"""Expiry windows, in days."""


@dataclass
class Figure:
    table: Table
    chart: Chart | None = None


@dataclass
class Section:
    id: str
    title: str
    intro: list[str] = field(default_factory=list)
    """Paragraphs of plain text."""
    figures: list[Figure] = field(default_factory=list)


Maker = Callable[[Facts], Section | None]


def sections(facts: Facts) -> list[Section]:
    """Every section the report shows, its tables suppressed if the report is public."""
    made = [s for maker in SECTIONS if (s := maker(facts)) is not None]
    if facts.options.public:
        for section in made:
            section.figures = [
                replace(f, table=suppress(f.table, facts.options.min_count))
                for f in section.figures
            ]
    return made


def _count(label: str, key: str = "credentials") -> Column:
    return Column(key, label, "count")


INCLUDES_HIDDEN = Hidden("hidden")
"""A public report's total over achievements when one of them has its count hidden: the total
would give that count away (total minus the shown ones)."""
HIDDEN_NOTE = (
    " In this public report, “hidden”: the total includes an achievement whose count is hidden,"
    " which it would give away."
)


def _hidden_note(rows: list[list[Cell]]) -> str:
    return HIDDEN_NOTE if any(INCLUDES_HIDDEN in row for row in rows) else ""


def _achievement_counts(facts: Facts) -> list[tuple[Achievement, int]]:
    """Every achievement the report covers with its credentials, most first (then by name)."""
    counts = Counter(c.achievement.slug for c in facts.credentials)
    ordered = sorted(facts.achievements, key=lambda a: (-counts[a.slug], a.name))
    return [(a, counts[a.slug]) for a in ordered]


def _hidden_achievements(facts: Facts) -> set[str]:
    """The achievements whose count the public report hides (none in a private report)."""
    if not facts.options.public:
        return set()
    counted = _achievement_counts(facts)
    table = suppress(
        Table("", "", [Column("slug", ""), _count("")], [[a.slug, n] for a, n in counted], True),
        facts.options.min_count,
    )
    return {str(row[0]) for row in table.rows if isinstance(row[1], Hidden)}


def _total(slugs: Iterable[str], counts: Counter[str], hidden: set[str]) -> Cell:
    """Credentials of several achievements; hidden if it includes some hidden counts but not all.

    With none, it is a sum of shown counts; with all, it is the shown ones plus the sum of the
    hidden ones, which the total of all credentials (shown in the overview) tells anyway."""
    chosen = set(slugs)
    if chosen & hidden and not hidden <= chosen:
        return INCLUDES_HIDDEN
    return sum(counts[s] for s in chosen)


# -- overview ------------------------------------------------------------------------------------


def overview(facts: Facts) -> Section:
    issued = facts.credentials
    files = {c.source for c in issued if not c.automatic}
    achievements = {c.achievement.slug for c in issued}
    issuers = {c.issuer.slug for c in issued}
    rows: list[list[Cell]] = [
        ["Credentials issued", len(issued)],
        ["Recipients (different email addresses)", len({c.award.email for c in issued})],
        # not numbers of people: written as text, so no threshold applies to them
        ["Achievements awarded", str(len(achievements))],
        ["Issuers", str(len(issuers))],
        ["Award files", str(len(files))],
    ]
    if facts.pending:
        rows.append(["Awards not issued yet (not in credsite.lock)", len(facts.pending)])
    table = Table(
        "overview",
        "Key figures",
        [Column("figure", "Figure"), _count("Number", "number")],
        rows,
    )
    intro = []
    if issued:
        first = min(c.valid_from for c in issued)
        last = max(c.valid_from for c in issued)
        intro.append(
            f"Credentials valid from {first:%B %Y} to {last:%B %Y} "
            "(the month of a credential is its issue date, validFrom)."
        )
    else:
        intro.append("No credential matches: nothing has been issued for this selection yet.")
    if facts.pending:
        intro.append(
            "Awards in the content that credsite.lock does not record yet are counted apart: "
            "they are issued by the next 'credsite build'."
        )
    return Section("overview", "Overview", intro, [Figure(table)])


# -- issued over time, per achievement, issuer and file ---------------------------------------------


def issued(facts: Facts) -> Section:
    credentials = facts.credentials
    figures = [
        _by_month(facts),
        Figure(
            Table(
                "per-achievement",
                "Credentials per achievement",
                [
                    Column("achievement", "Achievement"),
                    Column("issuer", "Issuer"),
                    _count("Credentials"),
                ],
                _per_achievement(facts),
                partition=True,
                order_by="credentials",
            ),
            Chart(
                "achievement", "credentials", "Bar chart of the credentials of each achievement."
            ),
        ),
    ]
    counts = Counter(c.achievement.slug for c in credentials)
    hidden = _hidden_achievements(facts)
    issuers = sorted(
        {a.issuer for a in facts.achievements}, key=lambda s: facts.site.issuers[s].name
    )
    rows: list[list[Cell]] = []
    for slug in issuers:
        of_issuer = [a.slug for a in facts.achievements if a.issuer == slug]
        rows.append(
            [facts.site.issuers[slug].name, str(len(of_issuer)), _total(of_issuer, counts, hidden)]
        )
    figures.append(
        Figure(
            Table(
                "per-issuer",
                "Credentials per issuer",
                [
                    Column("issuer", "Issuer"),
                    Column("achievements", "Achievements", "number"),
                    _count("Credentials"),
                ],
                rows,
                # not `partition`: a total of the achievements above, hidden if it includes a
                # hidden count, so it tells nothing the achievements' table does not
                note="The credentials of the issuer's achievements." + _hidden_note(rows),
            ),
            Chart("issuer", "credentials", "Bar chart of the credentials of each issuer.")
            if len(rows) > 1
            else None,
        )
    )
    figures.append(_per_file(facts))
    return Section(
        "issued",
        "Credentials issued",
        ["Every issued credential is counted once in each table of this section."],
        figures,
    )


def _months(start: dt.date, end: dt.date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_month(facts: Facts) -> Figure:
    counts = Counter(f"{c.valid_from:%Y-%m}" for c in facts.credentials)
    days = [c.valid_from.date() for c in facts.credentials]
    months: list[str] = []
    if days and facts.issued_days:
        # The months asked for (--since, --until), but none before the site's first credential
        # or after the later of its last one and today: `--until 9999-12-31` drew 95,000 empty
        # months. Without --since or --until: the credentials' own first and last months.
        earliest, latest = facts.issued_days[0], max(facts.issued_days[1], facts.now.date())
        since, until = facts.options.since, facts.options.until
        start = max(since, earliest) if since else min(days)
        end = min(until, latest) if until else max(days)
        months = _months(start, end)
    table = Table(
        "issued-by-month",
        "Credentials issued per month",
        [Column("month", "Month"), _count("Credentials")],
        [[m, counts[m]] for m in months],
        partition=True,
        note="The month of a credential is its issue date (validFrom), in UTC.",
    )
    chart = Chart(
        "month",
        "credentials",
        "Column chart of the credentials issued in each month.",
        horizontal=False,
    )
    return Figure(table, chart)


def _per_achievement(facts: Facts) -> list[list[Cell]]:
    return [[a.name, facts.site.issuers[a.issuer].name, n] for a, n in _achievement_counts(facts)]


AUTOMATIC = "Automatic pathway awards (content/pathways/)"
"""The per-award-file row of the pathway awards credsite makes: they have no award file."""


def _per_file(facts: Facts) -> Figure:
    written = [c for c in facts.credentials if not c.automatic]
    counts = Counter(c.source for c in written)
    people: dict[str, set[str]] = defaultdict(set)
    for c in written:
        people[c.source].add(c.award.email)
    ordered = sorted(counts, key=lambda f: (-counts[f], f))
    folder = f"{facts.site.config.content}/awards/"
    note = f"An award file is one YAML or CSV file in {folder} (a cohort, a list, a spreadsheet)."
    if facts.options.public:
        # File names are the coordinator's own labels and may name a person
        # (awards/amara-nwosu.yaml): only files awarding at least min_count people are named.
        least = facts.options.min_count
        named = [f for f in ordered if len(people[f]) >= least]
        others = [f for f in ordered if len(people[f]) < least]
        rows: list[list[Cell]] = [[f, counts[f]] for f in named]
        if others:
            rows.append([f"Other award files ({len(others)})", sum(counts[f] for f in others)])
        note += (
            f" A file that awards fewer than {least} people is not named: its credentials are "
            "counted under 'Other award files'."
        )
    else:
        rows = [[f, counts[f]] for f in ordered]
    if facts.site.pathways:
        rows.append([AUTOMATIC, sum(c.automatic for c in facts.credentials)])
        note += (
            " The pathway awards credsite makes by itself have no award file: they are counted "
            f"in the row '{AUTOMATIC}'."
        )
    table = Table(
        "per-award-file",
        "Credentials per award file",
        [Column("file", f"Award file (in {folder})", token=True), _count("Credentials")],
        rows,
        partition=True,
        order_by="credentials",
        note=note,
    )
    return Figure(
        table, Chart("file", "credentials", "Bar chart of the credentials of each award file.")
    )


# -- status and expiry ------------------------------------------------------------------------------


def status(facts: Facts) -> Section:
    counts = Counter(c.state for c in facts.credentials)
    shown = [
        s for s in STATES if s != "suspended" or facts.site.config.status.suspension or counts[s]
    ]
    labels = {
        "active": "Active",
        "expired": "Expired",
        "suspended": "Suspended",
        "revoked": "Revoked",
    }
    figures = [
        Figure(
            Table(
                "status",
                "Credentials by status",
                [Column("status", "Status"), _count("Credentials")],
                [[labels[s], counts[s]] for s in shown],
                partition=True,
                note="Expired: active, but its validUntil date has passed. Status as of the "
                "report's date, computed as credsite build computes it.",
            ),
            Chart("status", "credentials", "Bar chart of the credentials in each status."),
        )
    ]
    # windows that do not overlap: "within 90 days" minus "within 30 days" could be a small count
    soon: list[list[Cell]] = []
    first, last = (facts.now + dt.timedelta(days=days) for days in SOON)
    within_first = len(_expiring(facts.credentials, first))
    soon.append([f"Within {SOON[0]} days (by {first:%Y-%m-%d})", within_first])
    soon.append(
        [
            f"In {SOON[0] + 1} to {SOON[1]} days (by {last:%Y-%m-%d})",
            len(_expiring(facts.credentials, last)) - within_first,
        ]
    )
    figures.append(
        Figure(
            Table(
                "expiring",
                "Active credentials that expire soon",
                [Column("window", "Expires"), _count("Credentials")],
                soon,
                note=f"Those that expire within {SOON[1]} days are both rows together.",
            )
        )
    )
    if not facts.options.public:
        limit = facts.now + dt.timedelta(days=SOON[-1])
        expiring = sorted(
            _expiring(facts.credentials, limit),
            key=lambda c: (c.valid_until or limit, c.award.name),
        )
        figures.append(
            Figure(
                _award_list(
                    "expiring-awards",
                    f"Credentials that expire within {SOON[-1]} days",
                    expiring,
                    first=Column("expires", "Expires"),
                    first_value=lambda c: f"{c.valid_until:%Y-%m-%d}",
                )
            )
        )
    return Section(
        "status",
        "Status and expiry",
        [f"As of {facts.now:%Y-%m-%d %H:%M} UTC."],
        figures,
    )


def _expiring(credentials: Iterable[Credential], limit: dt.datetime) -> list[Credential]:
    """Active credentials whose validUntil is at the latest `limit` (and so after now)."""
    return [
        c
        for c in credentials
        if c.state == "active" and c.valid_until is not None and c.valid_until <= limit
    ]


# -- pathways ----------------------------------------------------------------------------------------

STAGES = (
    ("further", "Three or more components away"),
    ("two", "Two components away"),
    ("one", "One component away"),
    ("completed", "Completed"),
)
"""The funnel's rows, from the widest start to completion."""


def pathways(facts: Facts) -> Section | None:
    """Per pathway: who completed it, who is one, two, or more components away (a funnel), and the
    median time from the first credential that completes it to completion (`report.funnel`)."""
    site = facts.site
    if not site.pathways:
        return None
    chosen = facts.options.achievement
    slugs = sorted(
        (
            slug
            for slug, pathway in site.pathways.items()
            if chosen in (None, slug) or chosen in pathway.component_slugs()
        ),
        key=lambda slug: (site.achievements[slug].name, slug),
    )
    intro = [
        f"For each pathway (content/pathways/), as of {facts.now:%Y-%m-%d}: how many recipients "
        "completed it, and of those who hold at least one credential that counts towards it, "
        "how many are one, two, or three or more components away from completing it (the "
        "fewest more credentials that would complete it). One recipient is one email address. "
        "Completed is what credsite build decides when it awards the pathway credential: its "
        "rules met by credentials that count (issued, neither expired, revoked nor suspended, "
        "and within its time window).",
    ]
    options = facts.options
    if options.since or options.until:
        intro.append(
            "Only completions in the report's dates are counted (the others not at all); how "
            "close the other recipients are is as of the report's date, whatever the dates."
        )
    if chosen is not None:
        intro.append(
            f"Pathways shown: '{chosen}' or those it is a component of. Their numbers cover "
            "every component, not only this achievement."
        )
    if not slugs:
        intro.append(f"No pathway is '{chosen}' or has it among its components.")
        return Section("pathways", "Pathways", intro, [])
    start, end = period(options)
    found = [funnel.progress(site.pathways[s], facts.holdings, facts.now, start, end) for s in slugs]
    names = {slug: a.name for slug, a in site.achievements.items()}
    least = options.min_count if options.public else 1
    summary: list[list[Cell]] = []
    for progress in found:
        pathway = progress.pathway
        rules = funnel.describe(pathway.rules, names)
        if pathway.within is not None:
            amount, unit = pathway.within
            rules += f"; within {amount} {unit}{'' if amount == 1 else 's'}"
        median: Cell = None
        if progress.completed and progress.completed < least:
            median = INCLUDES_HIDDEN
        elif (days := progress.median_days) is not None:
            median = round(days) if abs(days - round(days)) < 0.05 else f"{days:.1f}"
        summary.append([names[pathway.slug], rules, median])
    note = (
        "Median time to completion: over the recipients who completed the pathway, the days "
        "from the first of the credentials that complete it (those the pathway credential links "
        "to as its evidence) to the last one's issue date, which is the pathway credential's."
    )
    if options.public:
        note += (
            f" In this public report, “hidden”: fewer than {options.min_count} recipients "
            "completed the pathway."
        )
    figures = [
        Figure(
            Table(
                "pathways",
                "Pathways and their median time to completion",
                [
                    Column("pathway", "Pathway"),
                    Column("rules", "Completed by"),
                    Column("median-days", "Median days to completion", "number"),
                ],
                summary,
                note=note,
            )
        )
    ]
    for progress in found:
        name = names[progress.pathway.slug]
        figures.append(
            Figure(
                Table(
                    f"pathway-{progress.pathway.slug}",
                    f"{name}: recipients by how close they are to completing it",
                    [Column("stage", "Stage"), _count("Recipients", "recipients")],
                    [[label, getattr(progress, key)] for key, label in STAGES],
                    partition=True,
                    note="Components away: of the recipients who hold at least one credential "
                    "that counts towards it and have not completed it.",
                ),
                Chart(
                    "stage",
                    "recipients",
                    f"Funnel chart of the recipients of the pathway {name}: how many are three "
                    "or more, two or one components away, and how many completed it.",
                    funnel=True,
                ),
            )
        )
    return Section("pathways", "Pathways", intro, figures)


# -- alignments -----------------------------------------------------------------------------------------


def framework_of(url: str, framework: str | None) -> str:
    """An alignment's framework: as given, or else the host name of its URL."""
    return framework or urlsplit(url).hostname or url


def alignments(facts: Facts) -> Section:
    counts = Counter(c.achievement.slug for c in facts.credentials)
    hidden = _hidden_achievements(facts)
    achievements = facts.achievements
    frameworks: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    skills: dict[tuple[str, str], set[str]] = defaultdict(set)  # (framework, url) -> slugs
    skill_names: dict[tuple[str, str], str] = {}
    for a in achievements:
        for al in a.alignments:
            name = framework_of(al.url, al.framework)
            frameworks[name][a.slug].add(al.url)
            skills[(name, al.url)].add(a.slug)
            skill_names.setdefault((name, al.url), al.name)
    names = sorted(frameworks)
    intro = [
        "Alignments link an achievement to skills or competencies in a framework (its "
        "'alignments' in content/achievements/). An alignment's framework is its 'framework', or "
        "the host name of its URL when it names none.",
    ]
    if not names:
        intro.append(
            "No achievement has alignments yet: add 'alignments' (a name and the URL of a skill) "
            "to an achievement, see content/README.md."
        )
    framework_rows: list[list[Cell]] = []
    for name in names:
        aligned = frameworks[name]
        framework_rows.append(
            [
                name,
                f"{len(aligned)} of {len(achievements)}",
                str(len({u for urls in aligned.values() for u in urls})),
                _total(aligned, counts, hidden),
            ]
        )
    figures = [
        Figure(
            Table(
                "frameworks",
                "Frameworks the achievements align with",
                [
                    Column("framework", "Framework"),
                    Column("achievements", "Achievements aligned", "number"),
                    Column("skills", "Skills", "number"),
                    _count("Credentials"),
                ],
                framework_rows,
                note="Credentials: of the aligned achievements; a credential counts once for each "
                "framework its achievement aligns with." + _hidden_note(framework_rows),
            )
        )
    ]
    coverage_rows: list[list[Cell]] = []
    for a in sorted(achievements, key=lambda a: a.name):
        row: list[Cell] = [a.name]
        for name in names:
            found = [al.name for al in a.alignments if framework_of(al.url, al.framework) == name]
            row.append("; ".join(found) if found else "none")
        coverage_rows.append(row)
    figures.append(
        Figure(
            Table(
                "alignment-coverage",
                "Skills each achievement aligns with, per framework",
                [Column("achievement", "Achievement")]
                + [Column(f"framework-{i}", name) for i, name in enumerate(names)],
                coverage_rows,
            )
        )
    )
    skill_rows: list[list[Cell]] = []
    for key in sorted(skills, key=lambda k: (-sum(counts[s] for s in skills[k]), skill_names[k])):
        slugs = skills[key]
        skill_rows.append(
            [
                skill_names[key],
                key[0],
                "; ".join(sorted(facts.site.achievements[s].name for s in slugs)),
                _total(slugs, counts, hidden),
            ]
        )
    if skill_rows:
        figures.append(
            Figure(
                Table(
                    "skills",
                    "Credentials per skill",
                    [
                        Column("skill", "Skill"),
                        Column("framework", "Framework"),
                        Column("achievements", "Achievements"),
                        _count("Credentials"),
                    ],
                    skill_rows,
                    order_by="credentials",
                    note="A credential counts once for each skill its achievement aligns with."
                    + _hidden_note(skill_rows),
                ),
                Chart(
                    "skill",
                    "credentials",
                    "Bar chart of the credentials whose achievement aligns with each skill.",
                    colour="framework" if len(names) > 1 else None,
                ),
            )
        )
    return Section("alignments", "Alignments", intro, figures)


# -- endorsements -----------------------------------------------------------------------------------


def endorsements(facts: Facts) -> Section:
    """Which achievements (and issuers, and single credentials) others vouch for, and who."""
    found = facts.endorsements
    intro = [
        "Endorsements are statements other organisations sign about an achievement, an issuer or "
        "one recipient's credential (content/endorsements/, and those received with 'credsite "
        "endorsement add'). A withdrawn endorsement is no longer embedded in what it endorsed.",
    ]
    if not found:
        intro.append(
            "Nothing is endorsed yet: an endorser (an issuer of the site with its own key, or "
            "another site) can endorse an achievement, see content/README.md."
        )
    rows: list[list[Cell]] = []
    for a in sorted(facts.achievements, key=lambda a: a.name):
        of = [e for e in found if e.achievement == a.slug and not e.withdrawn]
        whole = [e for e in of if e.kind == "achievement"]
        rows.append(
            [
                a.name,
                "; ".join(sorted({e.endorser for e in whole})) or "none",
                len(whole),
                sum(1 for e in of if e.kind == "credential"),
            ]
        )
    figures = [
        Figure(
            Table(
                "endorsed-achievements",
                "Endorsements of each achievement",
                [
                    Column("achievement", "Achievement"),
                    Column("endorsers", "Endorsed by"),
                    Column("endorsements", "Endorsements of it", "number"),
                    _count("Credentials endorsed one by one"),
                ],
                rows,
                note="Withdrawn endorsements are not counted."
                + _hidden_note(rows),
            )
        )
    ]
    by_endorser: dict[tuple[str, bool], list[EndorsementFact]] = defaultdict(list)
    for e in found:
        by_endorser[(e.endorser, e.received)].append(e)
    endorser_rows: list[list[Cell]] = []
    for (name, received), items in sorted(by_endorser.items()):
        live = [e for e in items if not e.withdrawn]
        endorser_rows.append(
            [
                name,
                "received" if received else "this site",
                sum(1 for e in live if e.kind == "achievement"),
                sum(1 for e in live if e.kind == "issuer"),
                sum(1 for e in live if e.kind == "credential"),
                sum(1 for e in live if e.kind == "elsewhere"),
                sum(1 for e in items if e.withdrawn),
            ]
        )
    if endorser_rows:
        figures.append(
            Figure(
                Table(
                    "endorsers",
                    "Endorsers",
                    [
                        Column("endorser", "Endorser"),
                        Column("signed", "Signed on"),
                        Column("achievements", "Achievements", "number"),
                        Column("issuers", "Issuers", "number"),
                        _count("Credentials"),
                        Column("elsewhere", "On other sites", "number"),
                        Column("withdrawn", "Withdrawn", "number"),
                    ],
                    endorser_rows,
                    note="'this site': signed with the endorser's own key here; 'received': "
                    "signed elsewhere and checked against the endorser's pinned DID document."
                    + _hidden_note(endorser_rows),
                )
            )
        )
    return Section("endorsements", "Endorsements", intro, figures)


# -- data quality (private report only) ---------------------------------------------------------------


def quality(facts: Facts) -> Section | None:
    if facts.options.public:
        return None
    awards = facts.everything
    # an automatic pathway award has no narrative by construction (its evidence is the
    # credentials that complete it): not something to fix in the content
    no_narrative = [
        c for c in awards if not c.automatic and not (c.award.narrative or "").strip()
    ]
    no_evidence = [c for c in awards if not c.award.evidence]
    achievement_rows: list[list[Cell]] = []
    for a in facts.achievements:
        missing = []
        if a.image is None:
            missing.append("image (credsite draws badge art)")
        if not a.criteria.strip():
            missing.append("criteria")
        if missing:
            achievement_rows.append([a.name, ", ".join(missing), a.location.path])
    names: dict[str, set[str]] = defaultdict(set)
    for c in awards:
        names[c.award.email].add(c.award.name)
    pairs = emails.near_duplicates(names, names)
    pair_rows: list[list[Cell]] = [
        [
            p.first,
            "; ".join(sorted(names[p.first])),
            p.second,
            "; ".join(sorted(names[p.second])),
            p.rule,
            "yes" if names[p.first] & names[p.second] else "no",
        ]
        for p in pairs
    ]
    pending = sorted(facts.pending, key=lambda c: (c.source, c.award.location))
    figures = [
        Figure(
            Table(
                "quality",
                "Data quality checks",
                [Column("check", "Check"), Column("found", "Found", "number")],
                [
                    ["Awards without a narrative", len(no_narrative)],
                    ["Awards without evidence", len(no_evidence)],
                    ["Achievements without an image or criteria", len(achievement_rows)],
                    ["Pairs of near-duplicate email addresses", len(pair_rows)],
                    ["Awards not issued yet", len(pending)],
                ],
                note=(
                    f"Not counted as without a narrative: the {automatic} automatic pathway "
                    "award(s), which credsite makes without one (their evidence is the "
                    "credentials that complete the pathway)."
                    if (automatic := sum(c.automatic for c in awards))
                    else ""
                ),
            )
        ),
        Figure(
            Table(
                "near-duplicate-emails",
                "Near-duplicate email addresses (likely typos)",
                [
                    Column("email", "Email", token=True),
                    Column("names", "Name(s)"),
                    Column("other-email", "Similar email", token=True),
                    Column("other-names", "Name(s)"),
                    Column("rule", "Rule"),
                    Column("same-name", "Same name"),
                ],
                pair_rows,
                shown_rows=LIST_ROWS,
                note="Rules: 'same name, near domain': the same local part once lower-cased "
                "without dots and '+tag', and domains at most 2 edits apart; 'one edit': the "
                "whole addresses 1 edit apart (an edit inserts, deletes or replaces a character, "
                "or swaps two adjacent ones), unless it changes only digits and the names differ "
                "(numbered addresses). Correct a typo by setting the award's 'id' first "
                "(the email is part of the award's id), see content/README.md.",
            )
        ),
        Figure(
            Table(
                "achievements-incomplete",
                "Achievements without an image or criteria",
                [
                    Column("achievement", "Achievement"),
                    Column("missing", "Missing"),
                    Column("where", "Where", token=True),
                ],
                achievement_rows,
            )
        ),
        Figure(
            _award_list("no-narrative", "Awards without a narrative", no_narrative),
        ),
        Figure(_award_list("no-evidence", "Awards without evidence", no_evidence)),
    ]
    if pending:
        figures.append(
            Figure(
                _award_list(
                    "not-issued",
                    "Awards not issued yet (run credsite build)",
                    pending,
                )
            )
        )
    return Section(
        "quality",
        "Data quality",
        [
            "What to check in the content. Only in the private report: it names recipients. "
            "Awards not issued yet are checked too."
        ],
        figures,
    )


def _award_list(
    id: str,
    caption: str,
    credentials: Iterable[Credential],
    *,
    first: Column | None = None,
    first_value: Callable[[Credential], Cell] | None = None,
) -> Table:
    """Recipients, achievements and where each award is written (private report only)."""
    columns = [
        Column("name", "Name"),
        Column("email", "Email", token=True),
        Column("achievement", "Achievement"),
        Column("where", "Where", token=True),
    ]
    rows: list[list[Cell]] = []
    for c in credentials:
        row: list[Cell] = [c.award.name, c.award.email, c.achievement.name, str(c.award.location)]
        if first_value is not None:
            row.insert(0, first_value(c))
        rows.append(row)
    if first is not None:
        columns.insert(0, first)
    return Table(id, caption, columns, rows, shown_rows=LIST_ROWS)


def delivery(facts: Facts) -> Section:
    """Who `credsite notify` told (credsite.notified), among the credentials a recipient holds."""
    held = [c for c in facts.credentials if c.state in ("active", "expired")]
    told: list[Credential] = []
    marked: list[Credential] = []
    refused: list[Credential] = []
    waiting: list[Credential] = []
    ledger = facts.ledger
    for c in held:
        found = ledger.told("awarded", c.token, c.award.email) if ledger else None
        if found is not None:
            (marked if found.marked else told).append(c)
        elif ledger and ledger.told(REFUSED + "awarded", c.token, c.award.email):
            refused.append(c)
        else:
            waiting.append(c)
    figures = [
        Figure(
            Table(
                "delivery",
                "Recipients told about their credential",
                [Column("delivery", "Told"), _count("Credentials")],
                [
                    ["By email (credsite notify --send)", len(told)],
                    ["Marked as told another way (--mark-sent)", len(marked)],
                    ["Refused by the recipient's mail server (bounced)", len(refused)],
                    ["Not told yet", len(waiting)],
                ],
                partition=True,
                note="Active and expired credentials; read from credsite.notified. Bounced: the "
                "recipient's mail server refused the message for good when credsite notify sent "
                "it (a bounce that arrives later, by email, is not seen); the next run tries "
                "again.",
            ),
            Chart(
                "delivery",
                "credentials",
                "Bar chart of the credentials by whether their recipient was told.",
            ),
        )
    ]
    if not facts.options.public:
        figures.append(
            Figure(_award_list("not-told", "Credentials whose recipient was not told yet", waiting))
        )
        figures.append(
            Figure(_award_list("bounced", "Credentials whose notice bounced", refused))
        )
    intro = (
        ["No credsite.notified yet: nobody was told by credsite notify."]
        if facts.ledger is None
        else []
    )
    return Section("delivery", "Delivery", intro, figures)


SECTIONS: list[Maker] = [
    overview,
    issued,
    status,
    pathways,
    delivery,
    endorsements,
    alignments,
    quality,
]
"""The report's sections in order. Not yet: endorsements, which need a feature credsite does not
have yet; it will be one function here."""
