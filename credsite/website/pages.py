"""The site's HTML pages: index, 404, one per issuer, achievement and credential.

Decides which page gets which template and context; `render` does the
Jinja2 work. docs/themes.md lists the variables each template receives.

Everything a page needs that is not plain content is computed here, once, so templates stay
simple and a site's own theme gets it for free: absolute URLs for Open Graph, the LinkedIn
"Add to profile" link, the wallet and outside-verifier links, the QR codes, and brand colours
with text colours that meet WCAG 2.2 AA.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from credsite.cache import digest, fingerprint
from credsite.colour import WHITE, mix, readable_on, text_on
from credsite.content.config import SiteConfig
from credsite.content.frameworks import Alignment
from credsite.content.model import (
    Achievement,
    Award,
    Issuer,
    Site,
    art_edition,
    award_language,
    localized,
)
from credsite.content.pathways import Pathway
from credsite.errors import CredsiteError, Location, Problem
from credsite.issuing import clr
from credsite.issuing.clr import Record
from credsite.issuing.endorsements import Endorsed, ReceivedEndorsement
from credsite.issuing.issued import Issued
from credsite.issuing.ob3 import FIELD_FRAGMENT, VC_V2
from credsite.issuing.ob3 import field_label as field_label  # re-exported: themes and tests use it
from credsite.issuing.urls import Urls
from credsite.media import artwork
from credsite.media.art import SHARE_SIZE
from credsite.pool import InOrder, parallel_map_shared
from credsite.values import compact_json_bytes, script_json, slugify
from credsite.website import i18n, render
from credsite.website.output import Output
from credsite.website.qr import QrCodes

BAKE_SCRIPT = "static/bake.js"
"""The theme's script that bakes a page's document into its image (``bake_in_browser``): not
published without that switch."""

SHARE_IMAGE_SIZE = SHARE_SIZE
LINKEDIN_ADD = "https://www.linkedin.com/profile/add"
LCW_REQUEST = "https://lcw.app/request"
"""Learner Credential Wallet's request link: ``?request=<URL-encoded JSON message>``."""
LCW_LINK_LIMIT = 8000
"""Longest "Add to Learner Credential Wallet" link offered (characters); longer credentials fall
back to the credential JSON URL (docs/themes.md "Wallets and outside verifiers" says why)."""
VERIFIERPLUS = "https://verifierplus.org/#verify?vc="
ONEDTECH_VALIDATOR = "https://vc.1ed.tech/api/validateuri"
OG_DESCRIPTION_MAX = 300
INK = "#1d2430"
"""The themes' body text colour (on white and on brand tints)."""


@dataclass(frozen=True)
class Brand:
    """An issuer's colours as CSS custom properties, each text pairing at least 4.5:1."""

    primary: str
    secondary: str
    primary_ink: str
    """Text on the primary colour."""
    secondary_ink: str
    """Text on the secondary colour."""
    strong: str
    """The primary colour made readable on white: links, buttons, headings."""
    strong_ink: str
    """Text on `strong` (button labels)."""
    accent_strong: str
    """The secondary colour made readable on white."""
    tint: str
    """A very light primary, for panels; body text and `strong` stay >= 4.5:1 on it."""
    focus: str
    """Focus outline colour on white (>= 3:1, WCAG 2.4.13)."""

    @property
    def css(self) -> str:
        """``--brand: ...;`` declarations for a ``:root`` rule."""
        names = {
            "brand": self.primary,
            "brand-ink": self.primary_ink,
            "brand-2": self.secondary,
            "brand-2-ink": self.secondary_ink,
            "brand-strong": self.strong,
            "brand-strong-ink": self.strong_ink,
            "brand-2-strong": self.accent_strong,
            "brand-tint": self.tint,
            "focus": self.focus,
        }
        return " ".join(f"--{k}: {v};" for k, v in names.items())


def brand(issuer: Issuer | None) -> Brand:
    """The page's colours from the issuer's brand, with text colours that meet WCAG AA."""
    primary = issuer.primary_colour if issuer else "#1f4e79"
    secondary = issuer.secondary_colour if issuer else "#f2b705"
    return _brand(primary, secondary)


@functools.cache
def _brand(primary: str, secondary: str) -> Brand:
    """Computed once per pair of colours, not once per page (contrast search is a loop)."""
    tint = mix(primary, WHITE, 0.93)
    strong = readable_on(readable_on(primary, WHITE), tint)
    return Brand(
        primary=primary,
        secondary=secondary,
        primary_ink=text_on(primary),
        secondary_ink=text_on(secondary),
        strong=strong,
        strong_ink=text_on(strong),
        accent_strong=readable_on(secondary, WHITE),
        tint=tint,
        focus=strong,
    )


# -- sharing ---------------------------------------------------------------------------------------


def linkedin_url(
    *,
    name: str,
    organization_id: str | None,
    organization_name: str,
    issued: dt.datetime,
    expires: dt.datetime | None,
    cert_url: str,
    cert_id: str,
) -> str:
    """LinkedIn's "Add to profile" certification link (shared/notes standards §7.1).

    The company-page id links the entry to the organisation's page (and logo); without one, the
    name is free text. Empty values are left out: LinkedIn fills an empty field with nothing.
    """
    params: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", name)]
    if organization_id:
        params.append(("organizationId", organization_id))
    else:
        params.append(("organizationName", organization_name))
    params += [("issueYear", str(issued.year)), ("issueMonth", str(issued.month))]
    if expires is not None:
        params += [("expirationYear", str(expires.year)), ("expirationMonth", str(expires.month))]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    kept = [(k, v) for k, v in params if v]
    return LINKEDIN_ADD + "?" + urlencode(kept, quote_via=quote, safe="")


def lcw_request_url(credential: dict[str, Any]) -> str:
    """Learner Credential Wallet's link carrying `credential` in an (unsigned) presentation.

    LCW (openwallet-foundation-labs/learner-credential-wallet, app/lib/walletRequestApi.ts) reads
    ``request`` with query-string, which percent-decodes it, then runs ``decodeURI`` over it again
    and ``JSON.parse``; a message with ``verifiablePresentation`` is an offer whose
    ``verifiableCredential`` items the holder is asked to accept. Because of the second decoding,
    every ``%`` in the JSON is sent as ``%25`` first.
    """
    return LCW_REQUEST + "?request=" + quote(_lcw_message(credential).replace("%", "%25"), safe="")


def _lcw_message(credential: dict[str, Any]) -> str:
    message = {
        "verifiablePresentation": {
            "@context": [VC_V2],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential],
        }
    }
    return compact_json_bytes(message).decode("utf-8")


class WalletLink:
    """A page's ``lcw_url``: `lcw_request_url` of its credential, made only if a template prints
    it. The default theme only asks whether there is one (verify.js makes the link in the
    browser from the hosted JSON), and making it for every page was a sixth of their time."""

    def __init__(self, credential: dict[str, Any]) -> None:
        self.credential = credential

    def __str__(self) -> str:
        return lcw_request_url(self.credential)

    def __html__(self) -> str:
        return html.escape(str(self))


_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def lcw_link_fits(credential: dict[str, Any]) -> bool:
    """Whether `lcw_request_url(credential)` is at most `LCW_LINK_LIMIT` characters, measured
    without building it: the page only needs to know (the browser builds the link, verify.js).
    `quote` writes each byte outside `_UNRESERVED` as three characters, and a ``%`` first becomes
    ``%25`` (five characters in all)."""
    data = _lcw_message(credential).encode("utf-8")
    escaped = len(data.translate(None, _UNRESERVED))
    length = len(LCW_REQUEST) + len("?request=") + len(data) + 2 * escaped + 2 * data.count(b"%")
    return length <= LCW_LINK_LIMIT


def verifierplus_url(credential_url: str) -> str:
    """VerifierPlus (Digital Credentials Consortium) checking the hosted credential."""
    return VERIFIERPLUS + quote(credential_url, safe="")


def onedtech_validator_url(credential_url: str) -> str:
    """1EdTech's public Open Badges 3.0 validator checking the hosted credential."""
    params = [("validatorId", "OB30"), ("uri", credential_url)]
    return ONEDTECH_VALIDATOR + "?" + urlencode(params, quote_via=quote, safe="")


def download_name(achievement_name: str, recipient_name: str, token: str) -> str:
    """``<achievement>-<recipient>.json``, slugified: ``faculty-coordinator-amara-nwosu.json``."""
    parts = [slugify(achievement_name, ascii_only=False), slugify(recipient_name, ascii_only=False)]
    return ("-".join(p for p in parts if p) or token) + ".json"


def result_fields(credential: dict[str, Any]) -> list[tuple[str, str]]:
    """The signed per-recipient fields as (label, value): each `result` of the credential that is
    a field (``#field-`` ResultDescription) with the `name` of its ResultDescription, in the
    credential's order. Fields come first in `result`, so pair i is ``credentialSubject.result.i``."""
    subject = credential.get("credentialSubject", {})
    descriptions = subject.get("achievement", {}).get("resultDescription", [])
    names = {d.get("id"): d.get("name", "") for d in descriptions}
    return [
        (names.get(result.get("resultDescription"), ""), result.get("value", ""))
        for result in subject.get("result", [])
        if FIELD_FRAGMENT in str(result.get("resultDescription", ""))
    ]


@dataclass(frozen=True)
class ShownResult:
    """A declared result of a credential as its page shows it (every value from the signed JSON):
    `index` is its place in ``credentialSubject.result``."""

    index: int
    label: str
    value: str | None
    level: str | None
    points: str | None
    status: str | None
    value_max: str | None
    required_level: str | None
    required_value: str | None


def assessed_results(credential: dict[str, Any]) -> list[ShownResult]:
    """The credential's declared results (not its fields), in its order, with the names of the
    achieved and required rubric levels and the ResultDescription's bounds."""
    subject = credential.get("credentialSubject", {})
    descriptions = {
        d.get("id"): d for d in subject.get("achievement", {}).get("resultDescription", [])
    }
    levels = {
        level.get("id"): level
        for d in descriptions.values()
        for level in d.get("rubricCriterionLevel", [])
    }
    shown = []
    for index, result in enumerate(subject.get("result", [])):
        rid = str(result.get("resultDescription", ""))
        if FIELD_FRAGMENT in rid:
            continue
        described = descriptions.get(rid, {})
        achieved = levels.get(result.get("achievedLevel"), {})
        shown.append(
            ShownResult(
                index=index,
                label=described.get("name", ""),
                value=result.get("value"),
                level=achieved.get("name"),
                points=achieved.get("points"),
                status=result.get("status"),
                value_max=described.get("valueMax"),
                required_level=levels.get(described.get("requiredLevel"), {}).get("name"),
                required_value=described.get("requiredValue"),
            )
        )
    return shown


OTHER_FRAMEWORK = "Other skills"
"""How pages head the alignments that name no framework."""


@dataclass(frozen=True)
class Skill:
    """One alignment as pages show it: `index` is its place in the achievement's `alignment`
    (the credential page marks `credentialSubject.achievement.alignment.<index>` as signed), and
    `anchor` its id on the index page, shared by every achievement aligned to the same target."""

    alignment: Alignment
    index: int
    anchor: str
    others: tuple[Achievement, ...] = ()
    """The site's other achievements aligned to the same target."""


def skill_anchors(achievements: Iterable[Achievement]) -> dict[str, str]:
    """targetUrl -> a page id (``skill-lead-a-team``), the same for every achievement that aligns
    to it, distinct for distinct targets (a number is added to a repeated name)."""
    targets: dict[str, Alignment] = {}
    for achievement in sorted(achievements, key=lambda a: a.slug):
        for alignment in achievement.alignments:
            targets.setdefault(alignment.url, alignment)
    anchors: dict[str, str] = {}
    used: set[str] = set()
    ordered = sorted(targets.values(), key=lambda a: (a.framework or "", a.name, a.url))
    for number, alignment in enumerate(ordered, 1):
        base = "skill-" + (slugify(alignment.name, ascii_only=False) or str(number))
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        anchors[alignment.url] = anchor
    return anchors


def skill_groups(
    achievement: Achievement,
    anchors: dict[str, str],
    achievements: dict[str, Achievement] | None = None,
) -> list[tuple[str, list[Skill]]]:
    """The achievement's alignments grouped by framework, in the order they are written, each
    with the other achievements of `achievements` aligned to the same target."""
    groups: dict[str, list[Skill]] = {}
    others = [a for _, a in sorted((achievements or {}).items()) if a.slug != achievement.slug]
    for index, alignment in enumerate(achievement.alignments):
        shared = tuple(a for a in others if any(o.url == alignment.url for o in a.alignments))
        skill = Skill(alignment, index, anchors.get(alignment.url, ""), shared)
        groups.setdefault(alignment.framework or OTHER_FRAMEWORK, []).append(skill)
    return list(groups.items())


@dataclass(frozen=True)
class IndexedSkill:
    """A skill on the index page: the achievements aligned to it, by slug."""

    alignment: Alignment
    anchor: str
    achievements: tuple[str, ...]


def skills_index(
    achievements: dict[str, Achievement], anchors: dict[str, str]
) -> list[tuple[str, list[IndexedSkill]]]:
    """Every skill of the site, grouped by framework (frameworks and skills by name), each with
    the achievements aligned to it."""
    found: dict[str, tuple[Alignment, list[str]]] = {}
    for slug, achievement in sorted(achievements.items()):
        for alignment in achievement.alignments:
            entry = found.setdefault(alignment.url, (alignment, []))
            if slug not in entry[1]:
                entry[1].append(slug)
    groups: dict[str, list[IndexedSkill]] = {}
    for url, (alignment, slugs) in found.items():
        groups.setdefault(alignment.framework or OTHER_FRAMEWORK, []).append(
            IndexedSkill(alignment, anchors[url], tuple(slugs))
        )
    return [
        (framework, sorted(skills, key=lambda s: (s.alignment.name.casefold(), s.anchor)))
        for framework, skills in sorted(
            groups.items(), key=lambda item: (item[0] == OTHER_FRAMEWORK, item[0].casefold())
        )
    ]


@dataclass(frozen=True)
class ShownEndorsement:
    """An endorsement as a page shows it: `at` is where the page's credential embeds it
    (``credentialSubject.achievement.endorsement.0``), so its shown values are marked as parts of
    that credential; None on other pages, and for a withdrawn one (no longer embedded)."""

    item: Endorsed | ReceivedEndorsement
    at: str | None = None


AnyEndorsement = Endorsed | ReceivedEndorsement


def endorsements_of(endorsed: Iterable[AnyEndorsement], target_id: str) -> list[AnyEndorsement]:
    """The endorsements of one achievement, issuer or credential: current ones first (oldest
    first, as embedded), then the withdrawn ones."""
    found = [e for e in endorsed if e.target_id == target_id]
    return sorted(found, key=lambda e: (e.state == "withdrawn", e.valid_from, _id(e)))


def _id(endorsement: AnyEndorsement) -> str:
    value = endorsement.document.get("id")
    return value if isinstance(value, str) else ""


def credential_endorsements(
    credential: dict[str, Any], endorsed: Iterable[AnyEndorsement]
) -> list[ShownEndorsement]:
    """The endorsements a credential page shows: those embedded in its achievement and in the
    credential itself, each with its path in the credential, then the withdrawn ones."""
    endorsed = list(endorsed)
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    embedded = [
        (f"credentialSubject.achievement.endorsement.{i}", doc.get("id"))
        for i, doc in enumerate(achievement.get("endorsement", []))
    ] + [
        (f"endorsement.{i}", doc.get("id"))
        for i, doc in enumerate(credential.get("endorsement", []))
    ]
    by_id = {_id(e): e for e in endorsed}
    shown = [ShownEndorsement(by_id[doc_id], at) for at, doc_id in embedded if doc_id in by_id]
    targets = (achievement.get("id"), credential.get("id"))
    shown += [
        ShownEndorsement(e) for e in endorsed if e.state == "withdrawn" and e.target_id in targets
    ]
    return shown


def shorten(text: str, limit: int = OG_DESCRIPTION_MAX) -> str:
    """`text` on one line, cut at a word boundary with an ellipsis when longer than `limit`."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


_TYPE_LABELS = {
    "MicroCredential": "Micro-credential",
    "CertificateOfCompletion": "Certificate of completion",
    "CoCurricular": "Co-curricular",
    "GeneralEducationDevelopment": "General Education Development",
}


def type_label(achievement_type: str, words: render.Words | None = None) -> str:
    """``MasterDegree`` -> ``Master degree``; ``ext:Workshop`` -> ``Workshop``; in the page's
    language when given its `words` (an `ext:` type as written)."""
    if achievement_type in _TYPE_LABELS:
        label = _TYPE_LABELS[achievement_type]
    else:
        name = achievement_type.removeprefix("ext:")
        found = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name) or [name]
        label = " ".join([found[0], *(w.lower() for w in found[1:])])
    if words is None or achievement_type.startswith("ext:"):
        return label
    return words.gettext(label)


def duration_text(amount: tuple[int, str] | None, words: render.Words | None = None) -> str:
    """``2 years``, in the page's language when given its `words`."""
    if amount is None:
        return ""
    n, unit = amount
    if words is None:
        return f"{n} {unit}{'' if n == 1 else 's'}"
    forms = {
        "day": words.ngettext("%(num)d day", "%(num)d days", n),
        "week": words.ngettext("%(num)d week", "%(num)d weeks", n),
        "month": words.ngettext("%(num)d month", "%(num)d months", n),
        "year": words.ngettext("%(num)d year", "%(num)d years", n),
    }
    return forms[unit]


def N_(message: str) -> str:
    """Marks `message` for the catalogs (Babel extracts it) where it is translated later."""
    return message


CAPTION = N_("%(achievement)s badge, issued by %(issuer)s")
"""An Achievement's image caption (issuing.ob3.CAPTION), as the theme's catalogs translate it."""


def captions(config: SiteConfig, theme: render.Theme) -> dict[str, str]:
    """Language -> the image caption of Achievements in it, with ``{achievement}`` and
    ``{issuer}`` (issuing.ob3 fills them in), from the theme's message catalogs."""
    found = {}
    for language in config.languages:
        text = theme.words(language).gettext(CAPTION)
        found[language] = text.replace("{", "{{").replace("}", "}}") % {
            "achievement": "{achievement}",
            "issuer": "{issuer}",
        }
    return found


RECORD_NAME = N_("Learner record of %(recipient)s")
"""A learner record's signed name (issuing.clr.RECORD_NAME), as the catalogs translate it."""


RECORD_BADGE = N_("Learner Record")
"""What the drawn image learner records are baked into says (media.artwork.RECORD_BADGE)."""


def record_names(config: SiteConfig, theme: render.Theme) -> dict[str, str]:
    """Language -> a learner record's name, with ``%(recipient)s`` (issuing.clr fills it in),
    from the theme's message catalogs."""
    return _in_each_language(config, theme, RECORD_NAME)


def record_badge_words(config: SiteConfig, theme: render.Theme) -> dict[str, str]:
    """Language -> what the image a learner record is baked into says, from the catalogs."""
    return _in_each_language(config, theme, RECORD_BADGE)


def _in_each_language(config: SiteConfig, theme: render.Theme, message: str) -> dict[str, str]:
    return {language: theme.words(language).gettext(message) for language in config.languages}


def missing_catalogs(config: SiteConfig, theme: render.Theme) -> list[Problem]:
    """A warning for each of the site's languages its theme has no message catalog for (its
    pages show the theme's words in English)."""
    return [
        Problem(
            config.locations.get("languages")
            or config.locations.get("language")
            or Location("site.yaml"),
            f"the theme has no message catalog in '{language}': its pages show the theme's own "
            f"words in English. Add themes/{config.theme}/locale/"
            f"{i18n.gettext_name(language)}/LC_MESSAGES/messages.po (docs/themes.md \"Languages\")",
        )
        for language in config.languages
        if not theme.has_catalog(language)
    ]


class PageUrls:
    """`Urls` as the pages of one language use them: links to the site's pages and to
    achievement documents lead to that language's editions, badge images and share cards to
    the drawing in that language (`art`: slug -> `model.art_edition`, where it is not the first
    language's); everything else is `Urls`'."""

    def __init__(
        self,
        urls: Urls,
        language: str,
        art: dict[str, str] | None = None,
        share: dict[str, str] | None = None,
    ) -> None:
        self._urls = urls
        self.language = language
        self.art = art or {}
        self.share = share or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_urls":
            raise AttributeError(name)  # not while unpickling: `_urls` is not set yet
        return getattr(self._urls, name)

    def achievement_path(self, slug: str, suffix: str = "json") -> str:
        if suffix == "json":
            return self._urls.achievement_edition_path(slug, self.language)
        if suffix == "html":
            return self._urls.achievement_page_path(slug, self.language)
        return self._urls.achievement_path(slug, suffix)

    def achievement_image_path(
        self, slug: str, suffix: str = "png", edition: str | None = None
    ) -> str:
        edition = self.art.get(slug, "") if edition is None else edition
        return self._urls.achievement_image_path(slug, suffix, edition)

    def share_image_path(self, slug: str, edition: str | None = None) -> str:
        edition = self.share.get(slug, "") if edition is None else edition
        return self._urls.share_image_path(slug, edition)

    def issuer_path(self, slug: str, suffix: str = "json") -> str:
        if suffix == "html":
            return self._urls.issuer_page_path(slug, self.language)
        return self._urls.issuer_path(slug, suffix)

    def endorsement_path(self, token: str, suffix: str = "json") -> str:
        path = self._urls.endorsement_path(token, suffix)
        return self._urls.page_path(path, self.language) if suffix == "html" else path

    def page_path(self, path: str, language: str | None = None) -> str:
        return self._urls.page_path(path, language or self.language)


@dataclass(frozen=True)
class Alternate:
    """One language edition of a page, for ``<link rel="alternate" hreflang>`` and the switch."""

    language: str
    name: str
    """The language's name for itself: Français."""
    url: str
    """Absolute."""
    href: str
    """Relative to the page showing the link."""
    current: bool


TYPE_WORDS = (
    # OB 3.0 AchievementType (§B.3.1), ResultStatusType and ResultType, as `type_label` writes
    # them: translated in the theme's catalogs, and given to verify.js (which checks a shown
    # label against the signed value) with the other `SCRIPT_WORDS`. An `ext:` type is shown as
    # written.
    N_("Achievement"), N_("Apprenticeship certificate"), N_("Assessment"), N_("Assignment"),
    N_("Associate degree"), N_("Award"), N_("Badge"), N_("Bachelor degree"), N_("Certificate"),
    N_("Certificate of completion"), N_("Certification"), N_("Community service"),
    N_("Competency"), N_("Course"), N_("Co-curricular"), N_("Degree"), N_("Diploma"),
    N_("Doctoral degree"), N_("Fieldwork"), N_("General Education Development"),
    N_("Journeyman certificate"), N_("Learning program"), N_("License"), N_("Membership"),
    N_("Professional doctorate"), N_("Quality assurance credential"), N_("Master certificate"),
    N_("Master degree"), N_("Micro-credential"), N_("Research doctorate"),
    N_("Secondary school diploma"),
    N_("Completed"), N_("Enrolled"), N_("Failed"), N_("In progress"), N_("On hold"),
    N_("Provisional"), N_("Withdrew"),
    N_("Grade point average"), N_("Letter grade"), N_("Percent"), N_("Performance level"),
    N_("Predicted score"), N_("Raw score"), N_("Result"), N_("Rubric criterion"),
    N_("Rubric criterion level"), N_("Rubric score"), N_("Scaled score"), N_("Status"),
)  # fmt: skip


SCRIPT_WORDS = (
    N_("Verified"),
    N_("Revoked"),
    N_("Suspended"),
    N_("Expired"),
    N_("Not yet valid"),
    N_("Not verified"),
    N_("Could not check here"),
    N_("Withdrawn"),
    N_("Signed by %(issuer)s and unchanged since it was issued on %(date)s. Not revoked."),
    N_(
        "Signed by %(issuer)s and unchanged since it was issued on %(date)s. Not revoked; "
        "valid until %(until)s."
    ),
    N_("The signature is genuine, but %(issuer)s has revoked this credential. It is no longer valid."),
    N_(
        "The signature is genuine, but %(issuer)s has suspended this credential. It is not "
        "valid while suspended."
    ),
    N_("The signature is genuine, but the credential expired on %(date)s."),
    N_("The signature is genuine, but the credential is only valid from %(date)s."),
    N_("Do not rely on this credential: %(reason)s."),
    N_("a check failed"),
    N_(
        "Checked with the files of the copy this page was opened from (%(copy)s), not at the "
        "issuer’s own address (%(site)s)."
    ),
    N_("Not verified: %(reason)s."),
    N_("Checked in your browser: %(endorser)s signed it with its own key, and has withdrawn it."),
    N_("Checked in your browser: signed by %(endorser)s with its own key, unchanged, not withdrawn."),
    N_("Checked in your browser: signed by %(endorser)s, but it has expired."),
    N_("Checked in your browser: signed by %(endorser)s, but it is not valid yet."),
    N_("Passed: "),
    N_("Not passed: "),
)
"""What verify.js shows that it can say in the page's language: the page gives it these
messages, translated, in a JSON object (``<script id="credsite-words">``); English is the
script's own."""


def script_words(words: render.Words) -> str | None:
    """The JSON object of `SCRIPT_WORDS` in `words`' language; None for English (the script's)."""
    if words.language.split("-")[0] == i18n.SOURCE_LANGUAGE:
        return None
    table: dict[str, Any] = {
        message: words.gettext(message) for message in (*SCRIPT_WORDS, *TYPE_WORDS)
    }
    table["__date__"] = i18n.date_form(words.language)
    return script_json(dict(sorted(table.items())))


@dataclass(frozen=True)
class OpenGraph:
    """Open Graph / Twitter card values for one page; every URL is absolute."""

    title: str
    description: str
    url: str
    image: str | None = None
    image_alt: str = ""
    image_width: int | None = None
    image_height: int | None = None
    type: str = "website"


# -- pages -----------------------------------------------------------------------------------------

PARALLEL_THRESHOLD = 400
"""Below this many credential and learner-record pages to make, the build renders them itself
sooner than worker processes start (each imports credsite and loads the theme)."""


@dataclass(frozen=True)
class CredentialPage:
    """A credential page to render: `path` is its address, `target` the file it is added as
    (``PATH.enc`` for a private credential, which the site output encrypts)."""

    item: Issued
    path: str
    target: str


PageJob = CredentialPage | Record
"""A page a worker process renders: a credential's, or a learner record's."""


class PageMaker:
    """Renders the pages of one build: its theme and what every page is given.

    Credential and learner-record pages, thousands on a large site, are rendered in worker
    processes (`render_page`), each unpickling this once: it pickles without the theme (a Jinja2
    environment does not pickle), which each worker loads again from the site's settings and
    uses only if its `render.theme_digest` is the build's."""

    def __init__(
        self,
        theme: render.Theme,
        theme_digest: str,
        site: Site,
        urls: Urls,
        common: dict[str, Any],
        localized_common: dict[str, dict[str, Any]],
        primary: Issuer | None,
        *,
        endorsements: list[AnyEndorsement],
        keys_withdrawn: dict[str, dt.datetime],
    ) -> None:
        self._theme: render.Theme | None = theme
        self.compiled = theme.compiled
        self.theme_digest = theme_digest
        self.site = site
        """The site's settings, issuers, achievements and pathways; its awards are not needed."""
        self.urls = urls
        self.common = common
        """Every page's variables."""
        self.localized_common = localized_common
        """Every page's variables in each language of the site."""
        self.primary = primary
        self.endorsements = endorsements
        self.keys_withdrawn = keys_withdrawn
        self.qr = QrCodes(svg=theme.mentions("qr_svg"))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_theme": None}

    @property
    def theme(self) -> render.Theme:
        if self._theme is None:
            theme = render.load_theme(self.site.config, self.compiled)
            if render.theme_digest(theme) != self.theme_digest:
                raise CredsiteError(
                    f"the theme ('{self.site.config.theme}') changed while the site was being "
                    "built: build again"
                )
            self._theme = theme
        return self._theme

    def render(
        self,
        template: str,
        path: str,
        owner: Issuer | None,
        /,
        language: str | None = None,
        editions: bool = False,
        **context: Any,
    ) -> tuple[str, bytes]:
        """The page `template` makes for `path`, branded with the colours of `owner`, in
        `language` (the site's first by default), and the path it is published at.

        `editions`: the page has one edition per language of the site (the default's at `path`,
        another's at ``LANG/path``), each linking the others (hreflang and the language switch)."""
        urls = self.urls
        language = language or self.site.config.language
        languages = self.site.config.languages or (self.site.config.language,)
        out = urls.page_path(path, language) if editions else path
        back = "../" * out.count("/")
        words = self.theme.words(language)
        alternates = []
        if editions and len(languages) > 1:
            alternates = [
                Alternate(
                    language=other,
                    name=i18n.language_name(other),
                    url=urls.url(urls.page_path(path, other)),
                    href=back + urls.page_path(path, other),
                    current=other == language,
                )
                for other in languages
            ]
        full = {
            **self.common,
            **self.localized_common[language],
            "language": language,
            "words": words,
            "type_label": functools.partial(type_label, words=words),
            "alternates": alternates,
            "page_url": urls.url(context.pop("page_path", out)),
            "brand": brand(owner or self.primary),
            "home_url": context.pop("home_url", None),
            "og": None,
            "inline_css": None,
            **context,
        }
        if full["home_url"] is None:
            full["home_url"] = back + urls.page_path("index.html", language)
        return out, render.render(self.theme, template, out, full).encode("utf-8")

    def credential_page(self, job: CredentialPage) -> bytes:
        """A credential's page, in its recipient's language."""
        site, item = self.site, job.item
        config = site.config
        language = award_language(item.award, config)
        achievement, issuer = self.localized(item.award.achievement, language)
        private = item.award.visibility == "private"
        return self.render(
            "credential.html",
            job.target,
            issuer,
            language=language,
            page_path=job.path,
            **credential_context(
                item,
                achievement,
                issuer,
                self.urls,
                config.status.publish_reasons,
                self.qr,
                ob2=config.ob2 and config.ob2_baked and not private,  # none for private
                key_withdrawn=self.keys_withdrawn.get(issuer.slug),
                anchors=self.common["skill_anchors"],
                endorsed=self.endorsements,
                words=self.theme.words(language),
                share=art_edition(site, achievement.slug, language, share=True),
                bake_into=artwork.badge_key(site, item.award) if config.bake_in_browser else None,
            ),
            noindex=config.noindex and item.award.visibility != "public",
        )[1]

    def localized(self, achievement_slug: str, language: str) -> tuple[Achievement, Issuer]:
        """An achievement and its issuer in `language`: made once a build for each of the
        site's languages (`localized_common`), else now."""
        if language in self.localized_common:  # an award's language is one of the site's
            achievement = self.localized_common[language]["achievements"][achievement_slug]
            return achievement, self.localized_common[language]["issuers"][achievement.issuer]
        achievement = localized(self.site.achievements[achievement_slug], language)
        return achievement, localized(self.site.issuers[achievement.issuer], language)

    def record_page(self, record: Record) -> bytes:
        """A learner record's page, in its recipient's language."""
        site = self.site
        language = record_language(record, site.config)
        return self.render(
            "record.html",
            self.urls.record_path(record.token, "html"),
            site.issuers[site.primary_issuer],
            language=language,
            **record_context(
                record, site, self.urls, self.qr, self.theme.words(language), localize=self.localized
            ),
        )[1]


def render_page(maker: PageMaker, job: PageJob) -> bytes:
    """One credential or learner-record page; a module-level function so that worker processes
    can run it (`pool.parallel_map_shared`)."""
    if isinstance(job, CredentialPage):
        return maker.credential_page(job)
    return maker.record_page(job)


def start_pages(
    site: Site,
    theme: render.Theme,
    issued: list[Issued],
    urls: Urls,
    site_output: Output,
    *,
    demo_key: bool,
    extra_head: str = "",
    keys_withdrawn: dict[str, dt.datetime] | None = None,
    inputs: str = "",
    progress: Callable[[int], None] | None = None,
    records: list[Record] | None = None,
    endorsed: list[Endorsed] | None = None,
    received: list[ReceivedEndorsement] | None = None,
) -> PagesInProgress:
    """Every HTML page and the theme's static files: the site's own pages (index, issuers,
    achievements, endorsements, 404) added now; the credential and learner-record pages, then the
    static files, through the `PagesInProgress` returned.

    `keys_withdrawn`: issuer -> when it last withdrew a compromised key (`credsite keys
    compromised`); copies of its credentials downloaded before then no longer verify.
    `progress(credential pages done)`.
    `records`: the learner records (``clr: true``), each with a transcript page.
    `endorsed`: the site's signed endorsements (each gets a page; the pages of what they endorse
    show them).

    A credential (or learner record) page is made only when what it is made from changed since
    the site in place was built (`Output.keep`): the credential and its award, the site's
    settings, issuers, achievements and pathways, the endorsements, the theme, and `inputs`
    (what else the caller knows a page depends on). Those pages are rendered by worker
    processes when there are `PARALLEL_THRESHOLD` or more of them.
    """
    endorsed = endorsed or []
    shown: list[AnyEndorsement] = [*endorsed, *(received or [])]
    config = site.config
    static = render.static_files(theme)
    if not config.bake_in_browser:  # the one script only that switch's pages load
        static.pop(BAKE_SCRIPT, None)
    primary = site.issuers.get(site.primary_issuer) or next(iter(site.issuers.values()), None)
    anchors = skill_anchors(site.achievements.values())
    theme_digest = render.theme_digest(theme)
    site_inputs = fingerprint(
        inputs,
        theme_digest,
        config,
        site.issuers,
        site.achievements,
        site.pathways,
        primary.slug if primary else None,
        demo_key,
        extra_head,
        keys_withdrawn or {},
        endorsed,  # a credential page shows the endorsements of it and of its achievement
        received or [],
    )
    common = {
        "site": config,
        "issuers": site.issuers,
        "achievements": site.achievements,
        "urls": urls,
        "demo_key": demo_key,
        "extra_head": extra_head,
        "primary_issuer": primary,
        "type_label": type_label,
        "noindex": config.noindex,
        "pathways": site.pathways,
        "skill_anchors": anchors,
    }
    by_achievement: dict[str, list[Issued]] = {}
    for item in issued:
        if item.award.withdrawn or item.award.visibility == "private":
            continue  # never listed
        if item.award.visibility != "public" and not config.list_recipients:
            continue  # unlisted: listed only on a site that still says `list_recipients: true`
        by_achievement.setdefault(item.award.achievement, []).append(item)

    languages = config.languages or (config.language,)

    localized_common: dict[str, dict[str, Any]] = {
        language: {
            "site": localized(config, language),
            "urls": PageUrls(urls, language, *art_editions(site, language))
            if len(languages) > 1
            else urls,
            "pathways": {k: localized(v, language) for k, v in site.pathways.items()},
            "issuers": {k: localized(v, language) for k, v in site.issuers.items()},
            "achievements": {k: localized(v, language) for k, v in site.achievements.items()},
            "primary_issuer": localized(primary, language) if primary else None,
            "script_words": script_words(theme.words(language)),
        }
        for language in languages
    }
    maker = PageMaker(
        theme,
        theme_digest,
        Site(
            config,
            issuers=site.issuers,
            achievements=site.achievements,
            primary_issuer=site.primary_issuer,
            pathways=site.pathways,
        ),  # not its awards: each worker process is sent this once
        urls,
        common,
        localized_common,
        primary,
        endorsements=shown,
        keys_withdrawn=keys_withdrawn or {},
    )

    def page(
        template: str, path: str, owner: Issuer | None, /, inputs: str = "", **options: Any
    ) -> None:
        site_output.add(*maker.render(template, path, owner, **options), inputs=inputs)

    for language in languages:
        words = theme.words(language)
        achievements: dict[str, Achievement] = localized_common[language]["achievements"]
        issuers: dict[str, Issuer] = localized_common[language]["issuers"]
        pathways: dict[str, Pathway] = localized_common[language]["pathways"]
        shown_site: SiteConfig = localized_common[language]["site"]
        page(
            "index.html",
            "index.html",
            primary,
            language=language,
            editions=True,
            credential_count=len(issued),
            skills_index=skills_index(achievements, anchors),
            og=OpenGraph(
                title=shown_site.title,
                description=shorten(shown_site.description or shown_site.title),
                url=urls.url(urls.page_path("index.html", language)),
            ),
        )
        for issuer in issuers.values():
            path = urls.issuer_path(issuer.slug, "html")
            page(
                "issuer.html",
                path,
                issuer,
                language=language,
                editions=True,
                issuer=issuer,
                did=urls.did(issuer.slug),
                endorsements=[
                    ShownEndorsement(e) for e in endorsements_of(shown, urls.did(issuer.slug))
                ],
                endorsements_given=[
                    e
                    for e in endorsed
                    if e.endorser.slug == issuer.slug
                    and not e.endorsement.withdrawn
                    and e.endorsement.target_kind not in ("award", "url")
                ],
                issuer_achievements=[
                    a for _, a in sorted(achievements.items()) if a.issuer == issuer.slug
                ],
                og=OpenGraph(
                    title=issuer.name,
                    description=shorten(
                        issuer.description
                        or words.gettext("Credentials issued by %(issuer)s", issuer=issuer.name)
                    ),
                    url=urls.url(urls.page_path(path, language)),
                    image=urls.url(urls.issuer_image_path(issuer.slug)) if issuer.image else None,
                    image_alt=words.gettext("%(issuer)s logo", issuer=issuer.name),
                ),
            )
        for achievement in achievements.values():
            issuer = issuers[achievement.issuer]
            path = urls.achievement_path(achievement.slug, "html")
            page(
                "achievement.html",
                path,
                issuer,
                language=language,
                editions=True,
                achievement=achievement,
                issuer=issuer,
                valid_for=duration_text(achievement.valid_for, words),
                pathway=pathways.get(achievement.slug),
                within=(
                    duration_text(p.within, words) if (p := pathways.get(achievement.slug)) else ""
                ),
                counts_towards=counts_towards(site, achievement.slug, achievements),
                skills=skill_groups(achievement, anchors, achievements),
                endorsements=[
                    ShownEndorsement(e)
                    for e in endorsements_of(
                        shown, urls.url(urls.achievement_path(achievement.slug))
                    )
                ],
                holders=by_achievement.get(achievement.slug, []),
                og=OpenGraph(
                    title=f"{achievement.name} · {issuer.name}",
                    description=shorten(achievement.description),
                    url=urls.url(urls.page_path(path, language)),
                    **_share_image(achievement, issuer, urls, words,
                                   art_edition(site, achievement.slug, language, share=True)),
                ),
            )  # fmt: skip
    # GitHub Pages serves 404.html at any missing path, so relative links would break there:
    # the page carries its stylesheet inline and links home with the absolute site URL.
    page(
        "404.html",
        "404.html",
        primary,
        home_url=config.url,
        inline_css=static.get("static/credsite.css", b"").decode("utf-8"),
    )
    # Which credential and learner-record pages must be made is decided first; they are rendered
    # after (by worker processes when there are many), and added in the order of `jobs`.
    jobs: list[PageJob] = []
    credential_targets: list[tuple[str, str] | None] = []  # per credential: (path, inputs) of a job
    for item in issued:
        language = award_language(item.award, config)
        path = urls.credential_path(item.entry.credential, "html")
        made_from = digest(site_inputs, item.json_digest, item.inputs, item.detached.digest)
        if item.award.withdrawn:  # a notice naming neither the recipient nor the achievement
            if not site_output.keep(path, made_from):
                page("withdrawn.html", path, primary, language=language, inputs=made_from)
            credential_targets.append(None)
            continue
        private = item.award.visibility == "private"
        # A private credential's page is a shell that names nobody; the page itself goes to
        # PATH.enc, which the site output encrypts as it is added (build._seal) and the shell
        # decrypts with the link's #key.
        if private and not site_output.keep(path, made_from):
            page("private.html", path, primary, language=language, inputs=made_from,
                 sealed_path=path.removesuffix(".html"))  # fmt: skip
        target = path + (".enc" if private else "")
        if site_output.keep(target, made_from):
            credential_targets.append(None)
            continue
        jobs.append(CredentialPage(item, path, target))
        credential_targets.append((target, made_from))
    for one in endorsed:
        # The signed endorsement is in one language (its endorser's texts as given, the site's
        # first language's); the page around it has an edition per language of the site.
        path = urls.endorsement_path(one.token, "html")
        for language in languages:
            words = theme.words(language)
            # an achievement's or issuer's page and name in `language` (its edition there)
            kind, target = one.endorsement.target_kind, one.endorsement.target
            target_page, target_name = one.target_page, one.target_name
            if kind in ("achievement", "issuer"):
                target_page = urls.page_path(target_page, language)
                target_name = localized_common[language][f"{kind}s"][target].name
            elif kind == "award":  # as issuing.endorsements names it, in `language`
                award = next(a for a in site.awards if a.key == target)
                target_name = words.gettext(
                    "a %(achievement)s credential",
                    achievement=localized_common[language]["achievements"][award.achievement].name,
                )
            page(
                "endorsement.html",
                path,
                one.endorser,
                language=language,
                editions=True,
                endorsed=one,
                target_page=target_page,
                target_name=target_name,
                endorsement=one.endorsement,
                endorser=one.endorser,
                document=one.document,
                state=one.state,
                status_reason=(
                    one.endorsement.status_reason if config.status.publish_reasons else None
                ),
                files={"json": urls.endorsement_path(one.token)},
                og=OpenGraph(
                    title=words.gettext(
                        "%(endorser)s endorses %(endorsed)s",
                        endorser=one.endorser.name,
                        endorsed=target_name,
                    ),
                    description=shorten(one.endorsement.comment),
                    url=urls.url(urls.page_path(path, language)),
                ),
            )
    record_targets: list[tuple[str, str]] = []
    for record in records or []:
        path = urls.record_path(record.token, "html")
        made_from = digest(site_inputs, record.inputs)  # the record's credentials included
        if not site_output.keep(path, made_from):
            jobs.append(record.with_json())
            record_targets.append((path, made_from))
    planned = [*credential_targets, *record_targets]
    rendered = parallel_map_shared(render_page, maker, jobs, threshold=PARALLEL_THRESHOLD)
    return PagesInProgress(site_output, rendered, planned, len(credential_targets), static,
                           progress)  # fmt: skip


class PagesInProgress:
    """The credential and learner-record pages being rendered (by worker processes on a large
    site, a few chunks ahead), each added to the site in order once made.

    The build adds its other files through it (`add`, `add_json`, `keep`, as to the site): after
    each, the pages rendered meanwhile are added too, so the workers render pages while the
    build writes and bakes the rest. Then `finish`."""

    def __init__(
        self,
        site_output: Output,
        rendered: InOrder[bytes],
        planned: list[tuple[str, str] | None],
        credentials: int,
        static: dict[str, bytes],
        progress: Callable[[int], None] | None,
    ) -> None:
        self._output = site_output
        self._rendered = rendered
        self._planned = deque(planned)
        """Per credential, then per learner record to make: (path, inputs), or None (kept)."""
        self._credentials = credentials
        self._static = static
        self._progress = progress
        self._done = 0

    def add(self, path: str, data: bytes | str, *, inputs: str = "", scan: bool = True) -> None:
        self._output.add(path, data, inputs=inputs, scan=scan)
        self.add_ready()

    def add_json(self, path: str, document: Any) -> None:
        self._output.add_json(path, document)
        self.add_ready()

    def keep(self, path: str, inputs: str) -> bool:
        kept = self._output.keep(path, inputs)
        self.add_ready()
        return kept

    def add_ready(self) -> None:
        """Add the pages already rendered, in order, without waiting for any."""
        while self._planned and (self._planned[0] is None or self._rendered.ready()):
            self._add_next()

    def close(self) -> None:
        """Render no more pages: the build failed (after `finish`, nothing is left to stop)."""
        self._rendered.close()

    def finish(self) -> None:
        """Add every page left (waiting for them), then the theme's static files."""
        with contextlib.closing(self._rendered):  # the pool stops here, also if adding fails
            while self._planned:
                self._add_next()
        for path, data in self._static.items():
            self._output.add(path, data)

    def _add_next(self) -> None:
        planned = self._planned.popleft()
        if planned is not None:
            target, made_from = planned
            self._output.add(target, next(self._rendered), inputs=made_from)
        self._done += 1
        if self._progress is not None and self._done <= self._credentials:
            self._progress(self._done)


def counts_towards(
    site: Site, slug: str, achievements: dict[str, Achievement] | None = None
) -> list[Achievement]:
    """The pathways that name achievement `slug` among their requirements, by name (of
    `achievements`: the site's, in the page's language)."""
    achievements = achievements or site.achievements
    found = [
        achievements[p]
        for p, pathway in site.pathways.items()
        if slug in pathway.component_slugs()
    ]
    return sorted(found, key=lambda a: (a.name, a.slug))


def record_language(record: Record, config: SiteConfig) -> str:
    """The language of a learner record's page: its recipient's, the language of their awards
    when they all agree, else the site's first language."""
    return clr.record_language(record.credentials, config)


def record_context(
    record: Record,
    site: Site,
    urls: Urls,
    qr: QrCodes,
    words: render.Words | None = None,
    *,
    localize: Callable[[str, str], tuple[Achievement, Issuer]] | None = None,
) -> dict[str, Any]:
    """The learner record page's variables (docs/themes.md "record.html"), in the language of
    `words`. Each row names its achievement and issuer in its own credential's language (what
    that credential signed); the record itself is signed by the site's primary issuer as given
    in the site's first language. `localize`: an achievement and its issuer in a language, as
    `PageMaker.localized` keeps them (by default, localized now)."""
    words = words or render.Words(i18n.SOURCE_LANGUAGE, i18n.translations([], i18n.SOURCE_LANGUAGE))
    document = record.document  # parsed from its JSON bytes once
    rows = []
    for index, item in enumerate(record.credentials):
        language = award_language(item.award, site.config)
        if localize is not None:
            achievement, issuer = localize(item.award.achievement, language)
        else:
            achievement = localized(site.achievements[item.award.achievement], language)
            issuer = localized(site.issuers[achievement.issuer], language)
        rows.append(
            {
                "index": index,
                "item": item,
                "achievement": achievement,
                "issuer": issuer,
                "dates": item.dates,
                "state": item.state,
                "page": urls.credential_path(item.entry.credential, "html"),
                "pathway": achievement.slug in site.pathways,
            }
        )
    # the signed associations, grouped by pathway: [(index of the first, [indices of each])]
    links = document["credentialSubject"].get("association", [])
    groups: dict[str, list[int]] = {}
    for index, link in enumerate(links):
        groups.setdefault(link["targetId"], []).append(index)
    token = record.token
    page_url = urls.url(urls.record_path(token, "html"))
    updated = clr.updated(record)
    issuer = site.issuers[site.primary_issuer]
    return {
        "record": record,
        "credential": document,
        "token": token,
        "recipient": record.name,
        "issuer": issuer,
        "rows": rows,
        "pathway_groups": [(indices[0], indices) for indices in groups.values()],
        "names": {a["id"]: a["name"] for a in document["credentialSubject"]["achievement"]},
        "updated": updated,
        **_record_images(urls, record, site.config),
        "download_name": (slugify(record.name, ascii_only=False) or token) + "-learner-record.json",
        **qr.codes(
            "qr",
            page_url,
            words.gettext("QR code: the address of this learner record, %(url)s", url=page_url),
        ),
        "og": OpenGraph(
            title=words.gettext(RECORD_NAME, recipient=record.name),
            description=shorten(
                words.ngettext(
                    "%(num)d credential of %(recipient)s, signed by %(issuer)s.",
                    "%(num)d credentials of %(recipient)s, signed by %(issuer)s.",
                    len(rows),
                    recipient=record.name,
                    issuer=issuer.name,
                )
            ),
            url=page_url,
        ),
    }


def art_editions(site: Site, language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The achievements whose badge, and whose share card, `language`'s pages show in a drawing
    of their own (slug -> `model.art_edition`): those whose art says other words there."""
    badges, cards = {}, {}
    for slug in site.achievements:
        if edition := art_edition(site, slug, language):
            badges[slug] = edition
        if edition := art_edition(site, slug, language, share=True):
            cards[slug] = edition
    return badges, cards


def _share_image(
    achievement: Achievement,
    issuer: Issuer,
    urls: Urls,
    words: render.Words | None = None,
    edition: str = "",
) -> dict[str, Any]:
    """The Open Graph image: the achievement's share card (`edition`: `model.art_edition`)."""
    alt = (
        words.gettext(
            "%(achievement)s: a credential from %(issuer)s",
            achievement=achievement.name,
            issuer=issuer.name,
        )
        if words
        else f"{achievement.name}: a credential from {issuer.name}"
    )
    return {
        "image": urls.url(urls.share_image_path(achievement.slug, edition)),
        "image_alt": alt,
        "image_width": SHARE_IMAGE_SIZE[0],
        "image_height": SHARE_IMAGE_SIZE[1],
    }


def _record_images(urls: Urls, record: Record, config: SiteConfig) -> dict[str, Any]:
    """`files` (the record's JSON, and its baked images where the build publishes them) and
    `bake` (with ``bake_in_browser``: the image of its language its page bakes it into)."""
    files = {"json": urls.record_path(record.token, "json")}
    if not config.bake_in_browser:
        files.update((suffix, urls.record_path(record.token, suffix)) for suffix in ("png", "svg"))
        return {"files": files, "bake": None}
    language = record_language(record, config)
    bake = {suffix: urls.record_image_path(language, suffix) for suffix in ("png", "svg")}
    return {"files": files, "bake": bake}


def _credential_images(
    urls: Urls, token: str, ob2: bool, bake_into: tuple[str, str] | None
) -> dict[str, Any]:
    """`files` (the credential's JSON, and its baked images where the build publishes them),
    `bake` (with ``bake_in_browser``: the badges its page bakes it into, and the OB 2.0
    assertion's JSON), `badge_image` (the image shown) and `ob2_images` (OB 2.0 images
    offered)."""
    files = {"json": urls.credential_path(token, "json")}
    bake: dict[str, str] | None = None
    if bake_into is None:
        for suffix in ("png", "svg"):
            files[suffix] = urls.credential_path(token, suffix)
            if ob2:
                files["ob2_" + suffix] = urls.ob2_assertion_path(token, suffix)
    else:
        slug, edition = bake_into
        bake = {suffix: urls.achievement_image_path(slug, suffix, edition) for suffix in ("png", "svg")}
        if ob2:
            for suffix in ("png", "svg"):
                bake["ob2_" + suffix] = urls.achievement_image_path(slug, suffix)
            bake["ob2_json"] = urls.ob2_assertion_path(token, "json")
    badge_image = files["png"] if bake is None else bake["png"]
    return {"files": files, "bake": bake, "badge_image": badge_image, "ob2_images": ob2}


def credential_context(
    item: Issued,
    achievement: Achievement,
    issuer: Issuer,
    urls: Urls,
    publish_reasons: bool,
    qr: QrCodes | None = None,
    *,
    ob2: bool = False,
    key_withdrawn: dt.datetime | None = None,
    anchors: dict[str, str] | None = None,
    endorsed: list[AnyEndorsement] | None = None,
    words: render.Words | None = None,
    share: str = "",
    bake_into: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The credential page's variables (docs/themes.md "credential.html"), in the language of
    `words` (its recipient's: `achievement` and `issuer` are localized to it by the caller);
    `ob2`: the OB 2.0 baked images are offered; `share`: the edition of the share card its
    Open Graph image is (`model.art_edition`); `bake_into`: with ``bake_in_browser``, the badge
    the page's links bake the credential into (`artwork.badge_key`): then `files` names no
    image, `bake` the badges (OB 2.0's in the site's first language, as `publish_ob2` bakes)."""
    words = words or render.Words(i18n.SOURCE_LANGUAGE, i18n.translations([], i18n.SOURCE_LANGUAGE))
    qr = qr or QrCodes()
    award: Award = item.award
    token = item.entry.credential
    path = urls.credential_path(token, "html")
    page_url = urls.url(path)
    dates = item.dates
    state = item.state
    description = words.gettext(
        "%(recipient)s earned %(achievement)s from %(issuer)s on %(date)s.",
        recipient=award.name,
        achievement=achievement.name,
        issuer=issuer.name,
        date=render.human_date(dates.valid_from, words.language),
    )
    description = f"{description} {achievement.description}"
    if state == "revoked":
        description = words.gettext("Revoked.") + " " + description
    elif state == "suspended":
        description = words.gettext("Suspended.") + " " + description
    credential_url = urls.url(urls.credential_path(token, "json"))
    document = item.document
    linkedin = None
    lcw = None
    if state in ("active", "expired"):
        lcw = WalletLink(document) if lcw_link_fits(document) else None
        linkedin = linkedin_url(
            name=achievement.name,
            organization_id=issuer.linkedin_id,
            organization_name=issuer.name,
            issued=dates.valid_from,
            expires=dates.valid_until,
            cert_url=page_url,
            cert_id=token,
        )
    return {
        "item": item,
        "award": award,
        "achievement": achievement,
        "issuer": issuer,
        "credential": document,
        "credential_json": item.json_bytes.decode("utf-8"),
        "token": token,
        "state": state,
        "dates": dates,
        "status_reason": award.status_reason if publish_reasons else None,
        "fields": result_fields(document),
        "results": assessed_results(document),
        "endorsements": credential_endorsements(document, endorsed or []),
        "skills": skill_groups(achievement, anchors or skill_anchors([achievement])),
        **_credential_images(urls, token, ob2, bake_into),
        "linkedin_url": linkedin,
        # signed before the issuer withdrew a compromised key: earlier downloads no longer verify
        "download_again_before": (
            key_withdrawn if key_withdrawn is not None and dates.created <= key_withdrawn else None
        ),
        "credential_url": credential_url,
        "download_name": download_name(achievement.name, award.name, token),
        "lcw_url": lcw,
        **qr.codes(
            "wallet_qr",
            credential_url if state in ("active", "expired") else None,
            words.gettext(
                "QR code for a wallet app: the address of this credential, %(url)s",
                url=credential_url,
            ),
        ),
        "verifiers": [
            {
                "name": "VerifierPlus",
                "by": "Digital Credentials Consortium",
                "url": verifierplus_url(credential_url),
            },
            {
                "name": words.gettext("Open Badges 3.0 validator"),
                "by": "1EdTech",
                "url": onedtech_validator_url(credential_url),
            },
        ],
        **qr.codes(
            "qr",
            page_url,
            words.gettext("QR code: the address of this page, %(url)s", url=page_url),
        ),
        "og": OpenGraph(
            title=f"{award.name}: {achievement.name}",
            description=shorten(description),
            url=page_url,
            type="article",
            **_share_image(achievement, issuer, urls, words, share),
        ),
    }
