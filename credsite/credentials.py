"""Model + lockfile -> unsigned Open Badges 3.0 documents, and the site's URL scheme.

Layer 10. Pure functions: the same award, lock entry and settings always give the same dict, so
the same signature (Ed25519 is deterministic, RFC 8032 §5.1.6). Shapes follow the OB 3.0 JSON
Schema's strict plain-JSON form (arrays for 0..* properties, embedded issuer Profile, Image
objects); see https://www.imsglobal.org/spec/ob/v3p0/ §B.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from credsite.config import SiteConfig
from credsite.fields import add_duration, format_datetime, parse_datetime
from credsite.lockfile import AwardEntry
from credsite.model import Achievement, Award, Issuer, Site
from credsite.vc import did as vc_did
from credsite.vc import status as vc_status
from credsite.vc.identity import identity_object

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = [VC_V2, OB_V3]


class Urls:
    """Every published path and URL, in one place (docs/architecture.md "The built site")."""

    def __init__(self, config: SiteConfig, primary_issuer: str) -> None:
        self.base = config.url
        self.primary_issuer = primary_issuer

    def url(self, path: str) -> str:
        return self.base + path

    def did(self, issuer: str) -> str:
        if issuer == self.primary_issuer:
            return vc_did.did_web_from_url(self.base)
        return vc_did.did_web_from_url(self.url(f"issuers/{issuer}/"))

    def did_path(self, issuer: str) -> str:
        """Where the DID document lives, relative to the site root (did:web §3.2 Read)."""
        url = vc_did.did_document_url(self.did(issuer))
        assert url.startswith(self.base), url
        return url[len(self.base) :]

    def credential_path(self, token: str, suffix: str = "json") -> str:
        return f"credentials/{token}.{suffix}"

    @staticmethod
    def ob2_assertion_path(token: str, suffix: str = "json") -> str:
        """OB 2.0 hosted assertion (``json``) and its baked copies (``png``, ``svg``)."""
        return f"ob2/assertions/{token}.{suffix}"

    def achievement_path(self, slug: str, suffix: str = "json") -> str:
        return f"achievements/{slug}.{suffix}"

    def issuer_path(self, slug: str, suffix: str = "json") -> str:
        return f"issuers/{slug}.{suffix}"

    def achievement_image_path(self, slug: str, suffix: str = "png") -> str:
        return f"images/achievements/{slug}.{suffix}"

    def issuer_image_path(self, slug: str) -> str:
        return f"images/issuers/{slug}.png"

    def status_list_path(self, issuer: str, number: int, purpose: str) -> str:
        """Each issuer signs its own lists: verifiers require list issuer == credential issuer."""
        folder = "status/" if issuer == self.primary_issuer else f"issuers/{issuer}/status/"
        suffix = "" if purpose == "revocation" else f"-{purpose}"
        return f"{folder}{number}{suffix}.json"


@dataclass(frozen=True)
class Dates:
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    created: dt.datetime


def award_dates(award: Award, achievement: Achievement, entry: AwardEntry) -> Dates:
    minted = parse_datetime(entry.minted)
    assert minted is not None  # checked when the lockfile was read
    valid_from = award.issued or minted
    valid_until = award.expires
    if valid_until is None and achievement.valid_for is not None:
        valid_until = add_duration(valid_from, achievement.valid_for)
    return Dates(valid_from, valid_until, minted)


def profile(issuer: Issuer, urls: Urls) -> dict[str, Any]:
    """The issuer as an embedded OB 3.0 Profile whose id is its did:web DID (OB 3.0 §B.2.7)."""
    doc: dict[str, Any] = {
        "id": urls.did(issuer.slug),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image is not None:
        doc["image"] = {"id": urls.url(urls.issuer_image_path(issuer.slug)), "type": "Image"}
    return doc


def achievement_doc(
    achievement: Achievement, issuer: Issuer, urls: Urls, language: str
) -> dict[str, Any]:
    """OB 3.0 Achievement (§B.1.1); criteria narrative is Markdown, description plain text."""
    doc: dict[str, Any] = {
        "id": urls.url(urls.achievement_path(achievement.slug)),
        "type": ["Achievement"],
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {
            "id": urls.url(urls.achievement_path(achievement.slug, "html")),
            "narrative": achievement.criteria,
        },
        "image": {
            "id": urls.url(urls.achievement_image_path(achievement.slug)),
            "type": "Image",
            "caption": f"{achievement.name} badge, issued by {issuer.name}",
        },
        "achievementType": achievement.achievement_type,
        "inLanguage": language,
    }
    if achievement.tags:
        doc["tag"] = list(achievement.tags)
    if achievement.alignments:
        doc["alignment"] = [alignment_doc(a) for a in achievement.alignments]
    return doc


def alignment_doc(alignment: Any) -> dict[str, Any]:
    """OB 3.0 Alignment (§B.1.5); OB 2.0 uses the same fields without `type`."""
    doc = {"type": ["Alignment"], "targetName": alignment.name, "targetUrl": alignment.url}
    for key, value in (
        ("targetFramework", alignment.framework),
        ("targetCode", alignment.code),
        ("targetDescription", alignment.description),
    ):
        if value:
            doc[key] = value
    return doc


def status_entries(issuer: str, entry: AwardEntry, urls: Urls, config: SiteConfig) -> Any:
    """One BitstringStatusListEntry (revocation), or two when suspension is switched on."""
    entries = [
        vc_status.status_entry(
            urls.url(urls.status_list_path(issuer, entry.list, purpose)), entry.index, purpose
        )
        for purpose in purposes(config)
    ]
    return entries[0] if len(entries) == 1 else entries


def purposes(config: SiteConfig) -> tuple[str, ...]:
    return ("revocation", "suspension") if config.status.suspension else ("revocation",)


def unsigned_credential(award: Award, entry: AwardEntry, site: Site, urls: Urls) -> dict[str, Any]:
    """The OpenBadgeCredential for one award, before proofs (OB 3.0 §B.1.3)."""
    achievement = site.achievements[award.achievement]
    issuer = site.issuers[achievement.issuer]
    dates = award_dates(award, achievement, entry)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "name": award.name,
        "identifier": [identity_object(award.email, entry.salt)],
        "achievement": achievement_doc(achievement, issuer, urls, site.config.language),
    }
    if award.narrative:
        subject["narrative"] = award.narrative
    if award.role:
        subject["role"] = award.role
    doc: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": urls.url(urls.credential_path(entry.credential)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": profile(issuer, urls),
        "validFrom": format_datetime(dates.valid_from),
    }
    if dates.valid_until is not None:
        doc["validUntil"] = format_datetime(dates.valid_until)
    doc["credentialSubject"] = subject
    if award.evidence:
        doc["evidence"] = [_evidence(e) for e in award.evidence]
    doc["credentialStatus"] = status_entries(issuer.slug, entry, urls, site.config)
    return doc


def _evidence(evidence: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": ["Evidence"]}
    if evidence.url:
        doc["id"] = evidence.url
    for key in ("name", "description", "narrative"):
        if getattr(evidence, key):
            doc[key] = getattr(evidence, key)
    return doc


def published_achievement(
    achievement: Achievement, issuer: Issuer, urls: Urls, language: str
) -> dict[str, Any]:
    """The achievements/<slug>.json file: the Achievement, its creator and its contexts."""
    doc = achievement_doc(achievement, issuer, urls, language)
    return {"@context": list(CONTEXTS), **doc, "creator": profile(issuer, urls)}


def published_profile(issuer: Issuer, urls: Urls) -> dict[str, Any]:
    """The issuers/<slug>.json file: the issuer Profile with its contexts."""
    return {"@context": list(CONTEXTS), **profile(issuer, urls)}


def verification_method(issuer: str, public_key_multibase: str, urls: Urls) -> str:
    """did:web DID URL whose fragment is the key itself (what the 1EdTech validator expects)."""
    return vc_did.verification_method_id(urls.did(issuer), public_key_multibase)


def status_list(
    issuer: str, number: int, purpose: str, bits: vc_status.Bitstring, updated: str, urls: Urls
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential (BSL §2.2) for one issuer's list."""
    return vc_status.status_list_credential(
        urls.url(urls.status_list_path(issuer, number, purpose)),
        urls.did(issuer),
        purpose,
        bits,
        updated,
    )
