"""Open Badges 2.0 hosted assertions, badge classes and issuer profiles, beside the OB 3.0 output.

Built from the same model objects and signed `Issued` records as the OB 3.0 credentials
(one model, two outputs), so it can add files under ``ob2/`` but never change an OB 3.0 byte.
OB 2.0 (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html) verifies a
*hosted* assertion by fetching its ``id``; nothing is signed here.

Published under the site's ``url``::

    ob2/issuers/SLUG.json               issuer Profile, with a VerificationObject scoped to the site
    ob2/issuers/SLUG-revocations.json   RevocationList of the issuer's revoked assertions
    ob2/badges/SLUG.json                BadgeClass per achievement
    ob2/assertions/TOKEN.json           Assertion per award (same token as credentials/TOKEN.json)
    ob2/assertions/TOKEN.png, .svg      the assertion baked in (iTXt ``openbadges``,
                                        ``<openbadges:assertion verify="URL">``; OB 2.0 Baking),
                                        its ``image``; neither with ``ob2_baked: false`` or
                                        ``bake_in_browser: true``

Choices the spec leaves open, and why:

* Recipient: ``sha256$`` hash of the lower-cased email with a salt of its own, derived from the
  lockfile salt, so rebuilds are byte-identical and the OB 2.0 and OB 3.0 hashes differ.
* A static host cannot answer ``410 Gone``, so a revoked assertion's file is the reduced body
  ``{"@context", "id", "type", "revoked": true, "revocationReason"?}`` that the spec allows
  ("Revoking Hosted Assertions"); the reason only with ``status.publish_reasons``.
* Issuer ``type`` is ``"Profile"``, the OB 2.0 class (``"Issuer"`` is its older alias; 1EdTech's
  OB 2.0 validator accepts either). Ids are the files' absolute URLs, on the issuer's origin.
* Baked images hold exactly the hosted bytes, the reduced body too once an award is revoked.
* OB 2.0 has no suspension. A suspended award is published as revoked (reason "Suspended"); it is a
  hosted file, so reinstating the award restores the full assertion on the next build.
* The issuer's ``email`` is required by OB 2.0 but published only with ``publish_email: true``
  (no raw email in the site by default); the build warns otherwise.
* What OB 2.0 has no place for (recipient name, ``role``, ``fields``, achievement type) is left out
  with one build warning.
"""

from __future__ import annotations

import hashlib
from typing import Any

from credsite.cache import digest, fingerprint
from credsite.content.frameworks import Alignment
from credsite.content.model import Achievement, Evidence, Issuer, Site
from credsite.errors import Location, Problem, Problems
from credsite.issuing.issued import Issued
from credsite.issuing.ob3 import alignment_doc
from credsite.issuing.urls import Urls
from credsite.openbadges.ob2 import CONTEXT_URL
from credsite.values import format_datetime, json_bytes
from credsite.vc.identity import identity_hash, normalise_email

SUSPENDED_REASON = "Suspended"

# -- paths -------------------------------------------------------------------------------------------


issuer_path = Urls.ob2_issuer_path
revocation_list_path = Urls.ob2_revocation_list_path
badge_path = Urls.ob2_badge_path
assertion_path = Urls.ob2_assertion_path


# -- documents ---------------------------------------------------------------------------------------


def recipient_salt(lock_salt: str) -> str:
    """The OB 2.0 salt: derived from the award's lockfile salt, so stable yet unlike the OB 3.0 one."""
    return hashlib.sha256(b"ob2:" + lock_salt.encode("utf-8")).hexdigest()[:32]


def recipient(email: str, lock_salt: str) -> dict[str, Any]:
    """OB 2.0 IdentityObject: hashed, salted, never the address itself."""
    salt = recipient_salt(lock_salt)
    return {
        "type": "email",
        "hashed": True,
        "salt": salt,
        "identity": identity_hash(normalise_email(email), salt),
    }


def issuer_profile(issuer: Issuer, urls: Urls) -> dict[str, Any]:
    """The OB 2.0 issuer Profile; hosted assertions must start with the site's URL."""
    doc: dict[str, Any] = {
        "@context": CONTEXT_URL,
        "type": "Profile",
        "id": urls.url(issuer_path(issuer.slug)),
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.publish_email and issuer.email:
        doc["email"] = issuer.email
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image is not None:
        doc["image"] = urls.url(urls.issuer_image_path(issuer.slug))
    # GitHub Pages project sites of one account share an origin: scope hosted verification to
    # this site, not to the whole host (OB 2.0 "HostedBadge Verification").
    doc["verification"] = {"type": "VerificationObject", "startsWith": urls.base}
    doc["revocationList"] = urls.url(revocation_list_path(issuer.slug))
    return doc


def badge_class(achievement: Achievement, urls: Urls) -> dict[str, Any]:
    """OB 2.0 BadgeClass; criteria links the achievement page and carries the Markdown."""
    doc: dict[str, Any] = {
        "@context": CONTEXT_URL,
        "type": "BadgeClass",
        "id": urls.url(badge_path(achievement.slug)),
        "name": achievement.name,
        "description": achievement.description,
        "image": urls.url(urls.achievement_image_path(achievement.slug)),
        "criteria": {
            "id": urls.url(urls.achievement_path(achievement.slug, "html")),
            "narrative": achievement.criteria,
        },
        "issuer": urls.url(issuer_path(achievement.issuer)),
    }
    if achievement.tags:
        doc["tags"] = list(achievement.tags)
    if achievement.alignments:
        doc["alignment"] = [_ob2_alignment(a) for a in achievement.alignments]
    return doc


def _ob2_alignment(alignment: Alignment) -> dict[str, Any]:
    """OB 2.0 AlignmentObject: the OB 3.0 fields, untyped (OB 2.0 has no `targetType`)."""
    return {k: v for k, v in alignment_doc(alignment).items() if k not in ("type", "targetType")}


def revocation(item: Issued, site: Site) -> tuple[bool, str | None]:
    """(revoked in OB 2.0, revocationReason or None): suspension is published as revocation."""
    award = item.award
    reason = award.status_reason if site.config.status.publish_reasons else None
    if award.status == "revoked":
        return True, reason
    if award.status == "suspended":
        return True, f"{SUSPENDED_REASON}: {reason}" if reason else SUSPENDED_REASON
    return False, None


def assertion(item: Issued, site: Site, urls: Urls) -> dict[str, Any]:
    """The hosted Assertion for one award, or the reduced revoked body.

    A rebuild keeps it by `Issued.inputs` and `assertion_inputs`: whatever else of the site it
    comes to read must go into `assertion_inputs`, or a change to it would not be published."""
    token = item.entry.credential
    award = item.award
    doc: dict[str, Any] = {
        "@context": CONTEXT_URL,
        "type": "Assertion",
        "id": urls.url(assertion_path(token)),
    }
    revoked, reason = revocation(item, site)
    if revoked:
        doc["revoked"] = True
        if reason:
            doc["revocationReason"] = reason
        return doc
    doc["recipient"] = recipient(award.email, item.entry.salt)
    doc["badge"] = urls.url(badge_path(award.achievement))
    doc["verification"] = {"type": "hosted"}
    doc["issuedOn"] = format_datetime(item.dates.valid_from)
    if item.dates.valid_until is not None:
        doc["expires"] = format_datetime(item.dates.valid_until)
    if site.config.hosts_ob2_images:  # else no image of it is hosted (OB 2.0: optional)
        doc["image"] = urls.url(assertion_path(token, "png"))
    if award.narrative:
        doc["narrative"] = award.narrative
    if award.evidence:
        doc["evidence"] = [_evidence(e) for e in award.evidence]
    return doc


def _evidence(evidence: Evidence) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if evidence.url:
        doc["id"] = evidence.url
    for key in ("name", "description", "narrative"):
        if getattr(evidence, key):
            doc[key] = getattr(evidence, key)
    return doc


def revocation_list(issuer: Issuer, items: list[Issued], site: Site, urls: Urls) -> dict[str, Any]:
    """The issuer's RevocationList: every revoked (or suspended) assertion id, with its reason."""
    revoked: list[Any] = []
    for item in sorted(items, key=lambda i: i.entry.credential):
        is_revoked, reason = revocation(item, site)
        if is_revoked:
            assertion_id = urls.url(assertion_path(item.entry.credential))
            revoked.append(
                {"id": assertion_id, "revocationReason": reason} if reason else assertion_id
            )
    return {
        "@context": CONTEXT_URL,
        "type": "RevocationList",
        "id": urls.url(revocation_list_path(issuer.slug)),
        "issuer": urls.url(issuer_path(issuer.slug)),
        "revokedAssertions": revoked,
    }


# -- publishing --------------------------------------------------------------------------------------


def assertion_inputs(site: Site, urls: Urls) -> str:
    """What every hosted assertion is made from besides its award as issued (`Issued.inputs`):
    with it, what the build keeps an assertion's files by (`assertion` reads no more)."""
    made_from = fingerprint("OB 2.0 assertion", site.config.status.publish_reasons, urls.base)
    return made_from if site.config.hosts_ob2_images else digest(made_from, "no image")


def assertion_json(item: Issued, site: Site, urls: Urls) -> bytes:
    """The hosted assertion's JSON, as published."""
    return json_bytes(assertion(item, site, urls))


def files(site: Site, issued: list[Issued], urls: Urls) -> tuple[dict[str, bytes], list[Problem]]:
    """Every OB 2.0 JSON file by site path but the hosted assertions (`assertion_json`, made
    only where the site in place has none made from the same inputs), and the build warnings
    (each said once, located)."""
    _check_paths(site)
    out: dict[str, bytes] = {}
    warnings: list[Problem] = []
    by_issuer: dict[str, list[Issued]] = {slug: [] for slug in site.issuers}
    for item in issued:
        by_issuer[site.achievements[item.award.achievement].issuer].append(item)
    awarding = {achievement.issuer for achievement in site.achievements.values()}
    for slug, issuer in sorted(site.issuers.items()):
        if slug not in awarding:
            continue  # an endorser only (OB 2.0 endorsements are not published): no badge cites it
        out[issuer_path(slug)] = json_bytes(issuer_profile(issuer, urls))
        out[revocation_list_path(slug)] = json_bytes(
            revocation_list(issuer, by_issuer[slug], site, urls)
        )
        if not (issuer.publish_email and issuer.email):
            shown = issuer.location.path
            how = (
                f"add 'publish_email: true' to {shown} to publish its 'email'"
                if issuer.email
                else f"add an 'email' and 'publish_email: true' to {shown}"
            )
            warnings.append(
                Problem(
                    Location(shown),
                    f"the OB 2.0 issuer profile {issuer_path(slug)} has no email (OB 2.0 "
                    "requires one; 1EdTech's OB 2.0 validator fails without it). Emails are not "
                    f"published unless asked: {how}",
                )
            )
    for slug, achievement in sorted(site.achievements.items()):
        out[badge_path(slug)] = json_bytes(badge_class(achievement, urls))
    warnings.extend(_left_out(site, issued))
    return out, warnings


def _check_paths(site: Site) -> None:
    """An issuer named 'x-revocations' would take issuer x's revocation list path."""
    problems = Problems()
    for slug, issuer in sorted(site.issuers.items()):
        base = slug.removesuffix("-revocations")
        if base != slug and base in site.issuers:
            problems.add(
                issuer.location,
                f"issuer '{slug}' clashes with the OB 2.0 revocation list of issuer '{base}' "
                f"({revocation_list_path(base)}): rename the file, or set 'ob2: false' in site.yaml",
            )
    problems.raise_if_any()


def _left_out(site: Site, issued: list[Issued]) -> list[Problem]:
    """One warning naming what OB 2.0 has no place for (not one per award).

    Located at site.yaml, whose 'ob2' setting publishes the OB 2.0 files (and turns them off).
    """
    site_yaml = Location("site.yaml")
    awards = [i.award for i in issued if not revocation(i, site)[0]]
    parts = []
    if awards:
        parts.append(f"the recipient's name ({len(awards)} award{'s' * (len(awards) != 1)})")
    for what, count in (
        ("'role'", sum(1 for a in awards if a.role)),
        ("'fields'", sum(1 for a in awards if a.fields)),
        (
            "'results'",
            sum(1 for a in awards if a.results and site.achievements[a.achievement].publish_results),
        ),
    ):
        if count:
            parts.append(f"{what} ({count} award{'s' * (count != 1)})")
    types = sorted({a.achievement_type for a in site.achievements.values()} - {"Badge"})
    if types:
        parts.append(f"the achievement type ({', '.join(types)})")
    warnings = []
    if parts:
        warnings.append(
            Problem(
                site_yaml,
                "OB 2.0 has no place for "
                + ", ".join(parts)
                + ": the ob2/ files leave these out; the OB 3.0 credentials and the pages keep them",
                once=True,
            )
        )
    suspended = sum(1 for i in issued if i.award.status == "suspended")
    if suspended:
        warnings.append(
            Problem(
                site_yaml,
                f"OB 2.0 has no suspension: {suspended} suspended award{'s' * (suspended != 1)} "
                f"{'is' if suspended == 1 else 'are'} published in ob2/ as revoked (reason "
                f"'{SUSPENDED_REASON}'); reinstating restores the OB 2.0 assertion on the next "
                "build",
            )
        )
    return warnings


