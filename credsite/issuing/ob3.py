"""Model + lockfile -> unsigned Open Badges 3.0 documents.

Pure functions: the same award, lock entry and settings always give the same dict, so
the same signature (Ed25519 is deterministic, RFC 8032 §5.1.6). Shapes follow the OB 3.0 JSON
Schema's strict plain-JSON form (arrays for 0..* properties, embedded issuer Profile, Image
objects); see https://www.imsglobal.org/spec/ob/v3p0/ §B.
"""

from __future__ import annotations

from typing import Any

from credsite.content.model import Achievement, Award, Issuer, Site
from credsite.issuing.issued import award_dates
from credsite.issuing.status import status_entries
from credsite.issuing.urls import Urls
from credsite.state.lockfile import AwardEntry
from credsite.values import format_datetime
from credsite.vc.identity import identity_object

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = [VC_V2, OB_V3]


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
