"""A rebuild with the build cache publishes what a build from scratch publishes.

A rebuild reuses what it made before (signed credentials, proofs, pages, baked images, learner
records) when what it is made from has not changed. If a cache's fingerprint left out one of
those inputs, a rebuild after an edit of that input would keep a stale file: a credential signed
with the old text, while a build from scratch signs the new one. So each case below builds a small
site, makes one edit to its content or site.yaml, rebuilds it with the cache (as `credsite build`
does), builds the same edited site from scratch (a copy of its content, site.yaml and lockfile, as
a CI checkout has them: no cache, no earlier output, `use_cache=False`), and compares every
published file byte for byte. Each case also checks that its edit changed what it should have
changed since the first build (a credential's JSON, mostly), so that it cannot pass by editing
nothing.

The site is small (two achievements, a pathway, five awards, two issuers, one endorsement) but has
what the edits need: two languages (a credential in French), learner records (`clr: true`),
published results and fields, an alignment, `valid_for`, a revoked award, a second issuer that
endorses. Its drawings are made once for the module (the image cache is content-addressed).

Left out: the site's `url` (the build refuses to change it) and a recipient's email address (it is
the award's identity: a new email is a new award, minted anew).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import conftest
import pytest
from conftest import NOW, SITE_URL, build_site, diff_trees, tree, write_files

from credsite import build as build_module
from credsite import cache

SITE = f"""\
title: Test Credentials
url: {SITE_URL}
demo_key: true
languages: [en, fr]
primary_issuer: acme
clr: true
status:
  suspension: false
  publish_reasons: true
"""

ACME = """\
name: Acme Learning
url: https://acme.example.org
email: badges@acme.example.org
publish_email: true
description: A school of useful skills.
colors:
  primary: "#0b5d5e"
  secondary: "#f2a900"
"""

PARTNER = """\
name: Partner College
url: https://partner.example.edu
"""

TEAMWORK = """\
issuer: acme
name:
  en: Teamwork
  fr: Travail d'équipe
type: Badge
description: Works well with others.
criteria: Be **kind** to your team.
tags: [teamwork]
alignments:
  - name: work in teams
    esco: http://data.europa.eu/esco/skill/c10d5d87-36cf-42f5-8a12-e560fb5f4af8
    description: Team work across sites.
publish_results: true
results:
  - name: Final grade
    type: LetterGrade
    allowed: [E, D, C, B, A]
  - name: Team project
    levels:
      - name: Developing
        points: 1
      - name: Proficient
        points: 2
        description: Meets every criterion.
"""

MENTOR = "issuer: acme\n" + conftest.MENTOR

# Ada and Alan hold Teamwork (Alan's credential in French), Grace holds Mentor, and Tomás's
# Teamwork credential is revoked. Ada also holds Mentor, so the build awards her the Team Mentor
# pathway (issued on the day of her Mentor credential).
AWARDS = """\
- achievement: teamwork
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-03-01
  narrative: Ada led the **team project**.
  fields:
    cohort: Spring 2026
    hours: 40
  results:
    Final grade: B
    Team project: Proficient
- achievement: teamwork
  name: Alan Turing
  email: alan.turing@example.org
  issued: 2026-03-02
  expires: 2028-03-02
  language: fr
  fields:
    cohort: Spring 2026
  results:
    Final grade: A
- achievement: mentor
  name: Grace Hopper
  email: grace.hopper@example.org
  issued: 2026-04-01
  narrative: Grace mentored three new members.
- achievement: mentor
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-05-01
- achievement: teamwork
  name: Tomás Herrera
  email: tomas.herrera@example.org
  issued: 2026-03-03
  status: revoked
  status_reason: Issued in error
  status_date: 2026-03-10
"""

PATHWAY = """\
issuer: acme
name: Team Mentor
description: Teamwork and mentoring.
criteria: Hold both.
requires: [teamwork, mentor]
"""

ENDORSE_MENTOR = """\
endorser: partner
target:
  achievement: mentor
comment: Partner College relies on these mentors.
issued: 2026-05-02
"""

FILES = {
    "site.yaml": SITE,
    "content/issuers/acme.yaml": ACME,
    "content/issuers/partner.yaml": PARTNER,
    "content/achievements/teamwork.yaml": TEAMWORK,
    "content/achievements/mentor.yaml": MENTOR,
    "content/pathways/team-mentor.yaml": PATHWAY,
    "content/awards/awards.yaml": AWARDS,
    "content/endorsements/partner-endorses-mentor.yaml": ENDORSE_MENTOR,
}
AWARDS_FILE = "content/awards/awards.yaml"
TEAMWORK_FILE = "content/achievements/teamwork.yaml"
MENTOR_FILE = "content/achievements/mentor.yaml"
ACME_FILE = "content/issuers/acme.yaml"

CREDENTIAL_JSON = "credentials/*.json"
"""What most edits must change: the JSON of at least one signed credential."""


@dataclass(frozen=True)
class Edit:
    """One edit: in `path`, the text `old` (which must be there, once) replaced by `new`; with
    `old` None, a new file `path` holding `new`."""

    path: str
    old: str | None
    new: str
    changes: str = CREDENTIAL_JSON
    """A glob of published files at least one of which the edit must change."""

    def apply(self, root: Path) -> None:
        path = root / self.path
        if self.old is None:
            assert not path.exists(), path
            path.write_text(self.new, encoding="utf-8")
            return
        text = path.read_text(encoding="utf-8")
        assert text.count(self.old) == 1, (self.path, self.old)
        path.write_text(text.replace(self.old, self.new), encoding="utf-8")


EDITS = {
    # -- an award
    "award-narrative": Edit(AWARDS_FILE, "Ada led the **team project**.", "Ada led it all."),
    "award-recipient-name": Edit(AWARDS_FILE, "name: Alan Turing", "name: Alan M. Turing"),
    "award-issued": Edit(AWARDS_FILE, "issued: 2026-03-01", "issued: 2026-03-05"),
    # Mentor has `valid_for`: Grace's credential expires a year after the new date.
    "award-issued-with-valid-for": Edit(AWARDS_FILE, "issued: 2026-04-01", "issued: 2026-04-09"),
    # Ada's last credential of the pathway: her pathway credential is issued on its day.
    "award-issued-moves-pathway": Edit(AWARDS_FILE, "issued: 2026-05-01", "issued: 2026-05-03"),
    "award-expires": Edit(AWARDS_FILE, "expires: 2028-03-02", "expires: 2029-01-31"),
    # Its bit in the status list, and its page; the credential itself is unchanged.
    "award-revoked": Edit(
        AWARDS_FILE,
        "  narrative: Grace mentored three new members.\n",
        "  narrative: Grace mentored three new members.\n  status: revoked\n"
        "  status_reason: Withdrawn by the board\n  status_date: 2026-06-01\n",
        changes="status/*.json",
    ),
    # Tomás's reason: on his page and in his Open Badges 2.0 assertion.
    "award-status-reason": Edit(
        AWARDS_FILE,
        "status_reason: Issued in error",
        "status_reason: A duplicate",
        changes="ob2/assertions/*.json",
    ),
    "award-role": Edit(
        AWARDS_FILE, "  narrative: Ada led", "  role: Team lead\n  narrative: Ada led"
    ),
    "award-evidence": Edit(
        AWARDS_FILE,
        "  narrative: Grace mentored",
        "  evidence:\n    - https://acme.example.org/mentoring\n  narrative: Grace mentored",
    ),
    "award-field-value": Edit(AWARDS_FILE, "    hours: 40", "    hours: 42"),
    # A field name no other award uses: the achievement's result descriptions change, so every
    # credential of Teamwork is signed again, not only Ada's.
    "award-field-new-name": Edit(AWARDS_FILE, "    hours: 40", "    hours: 40\n    room: B12"),
    "award-result": Edit(AWARDS_FILE, "    Final grade: B", "    Final grade: C"),
    "award-language": Edit(
        AWARDS_FILE, "  narrative: Ada led", "  language: fr\n  narrative: Ada led"
    ),
    # -- an achievement
    "achievement-name": Edit(TEAMWORK_FILE, "en: Teamwork", "en: Team Work"),
    # Only the French name: Alan's credential (in French) is signed again, Ada's is not.
    "achievement-name-in-french": Edit(
        TEAMWORK_FILE, "fr: Travail d'équipe", "fr: Esprit d'équipe"
    ),
    "achievement-description": Edit(
        TEAMWORK_FILE, "description: Works well with others.", "description: Works with others."
    ),
    "achievement-criteria": Edit(TEAMWORK_FILE, "Be **kind** to your team.", "Be kind to all."),
    "achievement-type": Edit(MENTOR_FILE, "type: Achievement", "type: Certificate"),
    "achievement-tags": Edit(TEAMWORK_FILE, "tags: [teamwork]", "tags: [teamwork, cooperation]"),
    "achievement-valid-for": Edit(MENTOR_FILE, "valid_for: 1 year", "valid_for: 18 months"),
    "achievement-alignment-name": Edit(
        TEAMWORK_FILE, "name: work in teams", "name: work in a team"
    ),
    "achievement-alignment-description": Edit(
        TEAMWORK_FILE, "description: Team work across sites.", "description: Across sites."
    ),
    "achievement-result-level-description": Edit(
        TEAMWORK_FILE, "description: Meets every criterion.", "description: Meets them all."
    ),
    "achievement-publish-results-off": Edit(
        TEAMWORK_FILE, "publish_results: true", "publish_results: false"
    ),
    # -- an issuer
    "issuer-name": Edit(ACME_FILE, "name: Acme Learning", "name: Acme Learning Trust"),
    "issuer-url": Edit(
        ACME_FILE, "url: https://acme.example.org", "url: https://learn.acme.example"
    ),
    "issuer-email": Edit(
        ACME_FILE,
        "email: badges@acme.example.org",
        "email: credentials@acme.example.org",
        changes="ob2/issuers/acme.json",  # not in an Open Badges 3.0 credential
    ),
    "issuer-description": Edit(
        ACME_FILE, "description: A school of useful skills.", "description: A school."
    ),
    # The drawn badge art (and the credentials baked into it), not a credential's JSON.
    "issuer-colours": Edit(ACME_FILE, '"#0b5d5e"', '"#5d0b0b"', changes="images/achievements/*"),
    # -- site.yaml
    # Not in a credential: the pages' heading.
    "site-title": Edit(
        "site.yaml", "title: Test Credentials", "title: Acme Credentials", changes="*.html"
    ),
    # A second status entry in every credential.
    "site-suspension": Edit("site.yaml", "suspension: false", "suspension: true"),
    # Tomás's revocation reason, in his Open Badges 2.0 assertion and on his page.
    "site-publish-reasons": Edit(
        "site.yaml",
        "publish_reasons: true",
        "publish_reasons: false",
        changes="ob2/assertions/*.json",
    ),
    # Every achievement gains a `related` link to its Spanish edition.
    "site-languages": Edit("site.yaml", "languages: [en, fr]", "languages: [en, fr, es]"),
    # -- endorsements
    "endorsement-of-achievement": Edit(
        "content/endorsements/partner-endorses-teamwork.yaml",
        None,
        "endorser: partner\ntarget:\n  achievement: teamwork\n"
        "comment: We recognise this badge.\nissued: 2026-05-01\n",
    ),
    "endorsement-of-award": Edit(
        "content/endorsements/partner-endorses-ada.yaml",
        None,
        "endorser: partner\ntarget:\n  award: teamwork/ada.lovelace@example.org\n"
        "comment: Ada was outstanding.\nissued: 2026-05-01\n",
    ),
    # Embedded in the issuer's profile only, not in the issuer inside each credential.
    "endorsement-of-issuer": Edit(
        "content/endorsements/partner-endorses-acme.yaml",
        None,
        "endorser: partner\ntarget:\n  issuer: acme\ncomment: In good standing.\nissued: 2026-05-01\n",
        changes="issuers/acme.json",
    ),
    "endorsement-comment": Edit(
        "content/endorsements/partner-endorses-mentor.yaml",
        "comment: Partner College relies on these mentors.",
        "comment: Partner College relies on them.",
    ),
    # No longer embedded in Mentor: Grace's and Ada's Mentor credentials are signed again.
    "endorsement-withdrawn": Edit(
        "content/endorsements/partner-endorses-mentor.yaml",
        "issued: 2026-05-02\n",
        "issued: 2026-05-02\nstatus: withdrawn\nstatus_reason: Reorganised\n",
    ),
    # -- a pathway
    "pathway-name": Edit("content/pathways/team-mentor.yaml", "name: Team Mentor", "name: Mentor+"),
}


IMAGES = Path(build_module.CACHE_DIR) / build_module.IMAGES


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The badge art and share cards of this module's site (in both languages), drawn once.

    The image cache is content-addressed (its key is every input of a drawing), so sharing it only
    saves time: an edit that changes a drawing's inputs still draws it again."""
    root = tmp_path_factory.mktemp("drawn") / "site"
    write_files(root, FILES)
    build_site(root)
    return root / IMAGES


def copy_images(drawn: Path, root: Path) -> None:
    shutil.copytree(drawn, root / IMAGES, dirs_exist_ok=True)


def clean_copy(root: Path, target: Path, drawn: Path) -> Path:
    """What a fresh checkout of the site holds: its site.yaml, content and lockfile; no earlier
    output and no cache (but the drawn images, which only save time)."""
    target.mkdir(parents=True)
    for name in ("site.yaml", "credsite.lock"):
        shutil.copy2(root / name, target / name)
    shutil.copytree(root / "content", target / "content")
    copy_images(drawn, target)
    return target


def built(make_site: Callable[..., Path], drawn: Path) -> Path:
    """This module's site, built once (in place: its rebuild keeps what did not change)."""
    root = make_site(FILES)
    copy_images(drawn, root)
    build_site(root)
    return root


LATER = NOW + dt.timedelta(days=1)
"""When the rebuild (and the clean build) runs: later than the first build, as it would be."""


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_a_rebuild_after_one_edit_publishes_what_a_clean_build_does(
    edit: Edit, make_site: Callable[..., Path], drawn: Path, tmp_path: Path
) -> None:
    root = built(make_site, drawn)
    before = tree(root / "_site")

    edit.apply(root)
    clean = clean_copy(root, tmp_path / "clean", drawn)  # before the rebuild writes the lockfile
    rebuilt = build_site(root, now=LATER)  # with the cache, as `credsite build` does
    fresh = build_site(clean, now=LATER, use_cache=False)

    cached, scratch = tree(root / "_site"), tree(clean / "_site")
    assert diff_trees(cached, scratch) == []
    assert rebuilt.files == fresh.files
    # Both builds recorded the same state (a revocation's bit, the site's languages).
    assert (root / "credsite.lock").read_bytes() == (clean / "credsite.lock").read_bytes()

    changed = diff_trees(before, cached)
    assert fnmatch.filter(changed, edit.changes), (
        f"the edit changed none of {edit.changes}: {changed}"
    )


def test_a_rebuild_with_no_edit_publishes_what_a_clean_build_does(
    make_site: Callable[..., Path], drawn: Path, tmp_path: Path
) -> None:
    """The comparison itself: with nothing edited, the cached rebuild (which writes nothing), the
    clean build and the first build are the same files, so a difference above is the edit's."""
    root = built(make_site, drawn)
    before = tree(root / "_site")
    clean = clean_copy(root, tmp_path / "clean", drawn)
    assert build_site(root, now=LATER).written == 0
    build_site(clean, now=LATER, use_cache=False)
    assert diff_trees(before, tree(root / "_site")) == []
    assert diff_trees(before, tree(clean / "_site")) == []


def test_rebuilds_each_saving_its_caches_as_deltas_publish_what_a_clean_build_does(
    make_site: Callable[..., Path], drawn: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every edit above, one after the other, each rebuild saving its caches as deltas however
    large (a large site's one-award change does; this small site's would be written whole): what
    the last rebuild publishes, read with every delta, is what a clean build publishes."""
    monkeypatch.setattr(cache, "DELTA_SHARE", 0)
    root = built(make_site, drawn)
    caches = root / build_module.CACHE_DIR
    deltas: set[str] = set()
    applied = 0
    for edit in EDITS.values():
        path = root / edit.path
        if edit.old is None and path.exists():
            continue
        if edit.old is not None and path.read_text(encoding="utf-8").count(edit.old) != 1:
            continue  # an earlier edit changed its text
        edit.apply(root)
        applied += 1
        build_site(root, now=LATER)
        deltas |= {p.name for p in caches.rglob(f"*{cache.DELTA_SUFFIX}")}
    assert applied >= len(EDITS) - 1  # one edit's text is gone by its turn
    assert {f"{name}{cache.DELTA_SUFFIX}" for name in ("proofs.json", "credentials.json")} <= deltas
    assert any(name.endswith(f".json{cache.DELTA_SUFFIX}") and len(name) > 30 for name in deltas)
    clean = clean_copy(root, tmp_path / "clean", drawn)
    assert build_site(root, now=LATER).written == 0
    build_site(clean, now=LATER, use_cache=False)
    assert diff_trees(tree(root / "_site"), tree(clean / "_site")) == []
