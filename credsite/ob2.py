"""Open Badges 2.0 hosted assertions, badge classes and issuer profiles, beside the OB 3.0 output.

Layer 13. Built from the same model objects and signed `Issued` records as the OB 3.0 credentials
(one model, two outputs), so it can add files under ``ob2/`` but never change an OB 3.0 byte.
OB 2.0 (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html) verifies a
*hosted* assertion by fetching its ``id``; nothing is signed here.

Published under the site's ``url``::

    ob2/issuers/SLUG.json               issuer Profile, with a VerificationObject scoped to the site
    ob2/issuers/SLUG-revocations.json   RevocationList of the issuer's revoked assertions
    ob2/badges/SLUG.json                BadgeClass per achievement
    ob2/assertions/TOKEN.json           Assertion per award (same token as credentials/TOKEN.json)
    ob2/assertions/TOKEN.png, .svg      the assertion baked in (iTXt ``openbadges``,
                                        ``<openbadges:assertion verify="URL">``; OB 2.0 Baking)

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
import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from credsite import images
from credsite.credentials import Urls, alignment_doc
from credsite.errors import Problems
from credsite.fields import format_datetime, is_http_url
from credsite.model import Achievement, Issuer, Site
from credsite.output import json_bytes
from credsite.vc.identity import identity_hash, normalise_email
from credsite.vc.jsonld import JsonLdError, check_terms_defined
from credsite.vc.verify import (
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    CheckRun,
    Report,
)

if TYPE_CHECKING:  # layer 8: the build, artwork and output only hand their objects in
    from credsite.artwork import Prepared
    from credsite.build import Issued
    from credsite.output import Output

CONTEXT_URL = "https://w3id.org/openbadges/v2"
CONTEXT_FILE = Path(__file__).with_name("ob2_context.json")
"""Verbatim copy of 1EdTech/openbadges-specification ``ob_v2p0/v2/context.json``."""
PNG_KEYWORD = images.KEYWORD_OB2
SUSPENDED_REASON = "Suspended"
Fetch = Callable[[str], Any]


@cache
def context_document() -> dict[str, Any]:
    """The bundled OB 2.0 JSON-LD context (never fetched)."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


def contexts() -> dict[str, dict[str, Any]]:
    """``extra_contexts`` for `credsite.vc.jsonld`: the OB 2.0 context URL -> bundled document."""
    return {CONTEXT_URL: context_document()}


# -- paths -------------------------------------------------------------------------------------------


def issuer_path(slug: str) -> str:
    return f"ob2/issuers/{slug}.json"


def revocation_list_path(slug: str) -> str:
    return f"ob2/issuers/{slug}-revocations.json"


def badge_path(slug: str) -> str:
    return f"ob2/badges/{slug}.json"


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


def _ob2_alignment(alignment: Any) -> dict[str, Any]:
    """OB 2.0 AlignmentObject: the OB 3.0 fields, untyped."""
    return {k: v for k, v in alignment_doc(alignment).items() if k != "type"}


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
    """The hosted Assertion for one award, or the reduced revoked body."""
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
    doc["image"] = urls.url(assertion_path(token, "png"))
    if award.narrative:
        doc["narrative"] = award.narrative
    if award.evidence:
        doc["evidence"] = [_evidence(e) for e in award.evidence]
    return doc


def _evidence(evidence: Any) -> dict[str, Any]:
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


def publish(
    out: Output, site: Site, issued: list[Issued], urls: Urls, prepared: Prepared
) -> list[str]:
    """Add every OB 2.0 file to the output; return the build warnings (each said once)."""
    _check_paths(site)
    warnings: list[str] = []
    by_issuer: dict[str, list[Issued]] = {slug: [] for slug in site.issuers}
    for item in issued:
        by_issuer[site.achievements[item.award.achievement].issuer].append(item)
    for slug, issuer in sorted(site.issuers.items()):
        out.add(issuer_path(slug), json_bytes(issuer_profile(issuer, urls)))
        out.add(
            revocation_list_path(slug),
            json_bytes(revocation_list(issuer, by_issuer[slug], site, urls)),
        )
        if not (issuer.publish_email and issuer.email):
            shown = issuer.location.path
            how = (
                f"add 'publish_email: true' to {shown} to publish its 'email'"
                if issuer.email
                else f"add an 'email' and 'publish_email: true' to {shown}"
            )
            warnings.append(
                f"{shown}: the OB 2.0 issuer profile {issuer_path(slug)} has no email (OB 2.0 "
                "requires one; 1EdTech's OB 2.0 validator fails without it). Emails are not "
                f"published unless asked: {how}"
            )
    for slug, achievement in sorted(site.achievements.items()):
        out.add(badge_path(slug), json_bytes(badge_class(achievement, urls)))
    for item in issued:
        token = item.entry.credential
        data = json_bytes(assertion(item, site, urls))
        text = data.decode("utf-8")
        png, svg = prepared.badges[item.award.achievement]
        out.add(assertion_path(token), data)
        out.add(assertion_path(token, "png"), images.bake_png(png, PNG_KEYWORD, text))
        out.add(
            assertion_path(token, "svg"),
            images.bake_svg(svg, text, version=2, verify=urls.url(assertion_path(token))),
        )
    warnings.extend(_left_out(site, issued))
    return warnings


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


def _left_out(site: Site, issued: list[Issued]) -> list[str]:
    """One warning naming what OB 2.0 has no place for (not one per award)."""
    awards = [i.award for i in issued if not revocation(i, site)[0]]
    parts = []
    if awards:
        parts.append(f"the recipient's name ({len(awards)} award{'s' * (len(awards) != 1)})")
    for what, count in (
        ("'role'", sum(1 for a in awards if a.role)),
        ("'fields'", sum(1 for a in awards if a.fields)),
    ):
        if count:
            parts.append(f"{what} ({count} award{'s' * (count != 1)})")
    types = sorted({a.achievement_type for a in site.achievements.values()} - {"Badge"})
    if types:
        parts.append(f"the achievement type ({', '.join(types)})")
    warnings = []
    if parts:
        warnings.append(
            "OB 2.0 has no place for "
            + ", ".join(parts)
            + ": the ob2/ files leave these out; the OB 3.0 credentials and the pages keep them"
        )
    suspended = sum(1 for i in issued if i.award.status == "suspended")
    if suspended:
        warnings.append(
            f"OB 2.0 has no suspension: {suspended} suspended award{'s' * (suspended != 1)} "
            f"{'is' if suspended == 1 else 'are'} published in ob2/ as revoked (reason "
            f"'{SUSPENDED_REASON}'); reinstating restores the OB 2.0 assertion on the next build"
        )
    return warnings


# -- verification ------------------------------------------------------------------------------------

_HASH = re.compile(r"^(sha256\$[0-9a-fA-F]{64}|md5\$[0-9a-fA-F]{32})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$")


def is_ob2(document: Any) -> bool:
    """Whether a parsed JSON document declares the OB 2.0 context."""
    if not isinstance(document, dict):
        return False
    context = document.get("@context")
    return context == CONTEXT_URL or (isinstance(context, list) and CONTEXT_URL in context)


def extract(data: bytes) -> str | None:
    """The OB 2.0 assertion baked into PNG or SVG bytes (JSON, or a hosted URL), or None."""
    if data.startswith(images.PNG_SIGNATURE):
        return images.extract_png(data, PNG_KEYWORD)
    return images.extract_svg(data, 2)


def verify_file(path: Path, fetch: Fetch, now: datetime) -> Report | None:
    """Verify an OB 2.0 assertion file or baked image; None if it holds no OB 2.0 assertion.

    A ``.json`` is OB 2.0 when its ``@context`` says so; an image when it carries an OB 2.0 and no
    OB 3.0 payload. Unreadable files are left to the OB 3.0 path, which reports them.
    """
    try:
        data = path.read_bytes()
        if path.suffix == ".json":
            document = json.loads(data.decode("utf-8"))
            return verify_assertion(document, fetch, now) if is_ob2(document) else None
        if data.startswith(images.PNG_SIGNATURE):
            if images.extract_png(data, images.KEYWORD_OB3) is not None:
                return None
        elif images.extract_svg(data, 3) is not None:
            return None
        text = extract(data)
    except (OSError, ValueError, images.ImageError):
        return None
    if text is None:
        return None
    return verify_baked(text, fetch, now)


def verify_baked(text: str, fetch: Fetch, now: datetime) -> Report:
    """A baked OB 2.0 payload: the assertion JSON (must equal the hosted one) or its URL."""
    run = CheckRun()
    stripped = text.strip()
    if is_http_url(stripped):
        try:
            document = fetch(stripped)
        except (KeyError, OSError, ValueError) as exc:
            run.add("baked URL", False, f"hosted assertion {stripped} not found: {exc}")
            return run.report(stripped)
        run.add("baked URL", True, f"image names the hosted assertion {stripped}")
    else:
        try:
            document = json.loads(text)
        except ValueError as exc:
            run.add("read", False, f"baked assertion is not JSON: {exc}")
            return run.report("")
    report = verify_assertion(document, fetch, now)
    report.checks[:0] = run.checks
    return report


def verify_assertion(document: Any, fetch: Fetch, now: datetime) -> Report:
    """Verify a hosted OB 2.0 assertion the way an OB 2.0 verifier would, against ``fetch``.

    Checks the data model and JSON-LD terms, that the ``id`` serves this very assertion, the badge
    class and issuer profile it links, the issuer's hosted-verification scope, its revocation list
    and the dates. Revoked (also the reduced revoked body) -> "revoked"; problems -> "failed".
    """
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise TypeError("now must be a timezone-aware datetime")
    run = CheckRun()
    if not isinstance(document, dict):
        run.add("document", False, "assertion is not a JSON object")
        return run.report("")
    assertion_id = document.get("id") if isinstance(document.get("id"), str) else ""
    try:
        _verify(run, document, assertion_id, fetch, now)
    except Exception as exc:  # bad input must become a failed check, never an exception
        run.add("internal", False, f"verification aborted: {type(exc).__name__}: {exc}")
    return run.report(assertion_id)


def _types(document: dict) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def _load(run: CheckRun, name: str, fetch: Fetch, url: Any) -> dict | None:
    if not isinstance(url, str) or not is_http_url(url):
        run.add(name, False, f"{url!r} is not an http(s) URL")
        return None
    try:
        document = fetch(url)
    except (KeyError, OSError, ValueError) as exc:
        run.add(name, False, f"{url} cannot be fetched: {exc}")
        return None
    if not isinstance(document, dict):
        run.add(name, False, f"{url} is not a JSON object")
        return None
    return document


def _terms(run: CheckRun, name: str, document: dict) -> None:
    problem = _terms_problem(json.dumps(document, sort_keys=True))
    run.add(name, problem is None, problem or "every term is defined by the OB 2.0 context")


@lru_cache(maxsize=256)
def _terms_problem(text: str) -> str | None:
    """JSON-LD expansion is slow: a site's badge classes and issuers are checked once each."""
    try:
        check_terms_defined(json.loads(text), contexts())
    except JsonLdError as exc:
        return str(exc)
    return None


def _verify(run: CheckRun, document: dict, assertion_id: str, fetch: Fetch, now: datetime) -> None:
    run.add(
        "context",
        is_ob2(document),
        "@context is the OB 2.0 context" if is_ob2(document) else f"@context must be {CONTEXT_URL}",
    )
    run.add("type", "Assertion" in _types(document), f"type is {document.get('type')!r}")
    _terms(run, "terms", document)
    if not run.add(
        "id", is_http_url(assertion_id), f"id is {assertion_id!r} (a hosted assertion's URL)"
    ):
        return
    hosted = _load(run, "hosted assertion", fetch, assertion_id)
    if hosted is None:
        return
    if hosted.get("revoked") is True:  # the hosted copy decides, even for an older baked copy
        reason = hosted.get("revocationReason")
        run.add("revocation", False, f"revoked{f': {reason}' if reason else ''}", REVOKED)
        return
    same = hosted == document
    run.add(
        "hosted assertion",
        same,
        f"{assertion_id} serves this assertion" if same else f"{assertion_id} serves another one",
    )
    _check_assertion_fields(run, document, now)
    badge = _load(run, "badge class", fetch, document.get("badge"))
    if badge is None:
        return
    _check_badge_class(run, badge, document.get("badge"))
    issuer = _load(run, "issuer profile", fetch, badge.get("issuer"))
    if issuer is None:
        return
    _check_issuer(run, issuer, badge.get("issuer"))
    _check_scope(run, assertion_id, issuer)
    _check_revocation_list(run, assertion_id, issuer, fetch)


def _check_assertion_fields(run: CheckRun, document: dict, now: datetime) -> None:
    recipient = document.get("recipient")
    if not isinstance(recipient, dict):
        run.add("recipient", False, "recipient must be an IdentityObject")
    else:
        identity, hashed = recipient.get("identity"), recipient.get("hashed")
        ok = (
            recipient.get("type") in ("email", "id", "url", "telephone")
            and isinstance(hashed, bool)
            and isinstance(identity, str)
            and (not hashed or bool(_HASH.match(identity)))
            and isinstance(recipient.get("salt", ""), str)
        )
        what = "a salted hash" if hashed else "NOT hashed: the identity is public"
        run.add("recipient", ok, f"recipient {recipient.get('type')!r} is {what}")
    verification = document.get("verification")
    kind = verification.get("type") if isinstance(verification, dict) else None
    run.add("verification", kind in ("hosted", "HostedBadge"), f"verification type is {kind!r}")
    issued_on = _time(run, "issuedOn", document.get("issuedOn"))
    if issued_on is not None and now < issued_on:
        run.add("issuedOn", False, f"issued in the future ({document['issuedOn']})", NOT_YET_VALID)
    if "expires" in document:
        expires = _time(run, "expires", document["expires"])
        if expires is not None and now >= expires:
            run.add("expires", False, f"expired at {document['expires']}", EXPIRED)
    for key in ("image", "narrative"):
        if key in document and not isinstance(document[key], str):
            run.add(key, False, f"{key} must be a string")
    evidence = document.get("evidence", [])
    if not all(
        isinstance(e, (str, dict)) for e in (evidence if isinstance(evidence, list) else [evidence])
    ):
        run.add("evidence", False, "evidence must be URLs or Evidence objects")


def _time(run: CheckRun, name: str, value: Any) -> datetime | None:
    if not isinstance(value, str) or not _DATETIME.match(value):
        run.add(name, False, f"{value!r} is not an ISO 8601 date-time with a time zone")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        run.add(name, False, f"{value!r} is not a valid date-time")
        return None
    run.add(name, True, f"{name} {value}")
    return parsed


def _check_badge_class(run: CheckRun, badge: dict, url: str) -> None:
    missing = [k for k in ("name", "description", "image", "criteria", "issuer") if k not in badge]
    criteria = badge.get("criteria")
    ok = (
        badge.get("id") == url
        and "BadgeClass" in _types(badge)
        and not missing
        and (isinstance(criteria, str) or (isinstance(criteria, dict) and bool(criteria)))
    )
    _terms(run, "badge class terms", badge)
    run.add(
        "badge class",
        ok,
        f"BadgeClass {url}"
        if ok
        else f"{url}: not a BadgeClass with its own id, missing {missing}",
    )


def _check_issuer(run: CheckRun, issuer: dict, url: str) -> None:
    missing = [k for k in ("name", "url") if k not in issuer]
    ok = (
        issuer.get("id") == url
        and any(t in ("Issuer", "Profile") for t in _types(issuer))
        and not missing
        and is_http_url(str(issuer.get("url", "")))
    )
    _terms(run, "issuer profile terms", issuer)
    run.add(
        "issuer profile",
        ok,
        f"issuer Profile {url}"
        if ok
        else f"{url}: not an issuer Profile with its own id, missing {missing}",
    )
    email = issuer.get("email")
    if email is None:
        run.add(
            "issuer email",
            True,
            "not published (OB 2.0 requires it; 1EdTech's validator reports it)",
        )
    else:
        run.add("issuer email", isinstance(email, str) and bool(_EMAIL.match(email)), "email given")


def _check_scope(run: CheckRun, assertion_id: str, issuer: dict) -> None:
    """OB 2.0 "HostedBadge Verification": startsWith, then allowedOrigins (default: issuer host)."""
    policy = issuer.get("verification")
    policy = policy if isinstance(policy, dict) else {}
    starts = policy.get("startsWith")
    starts = starts if isinstance(starts, list) else [starts] if starts else []
    if starts and not any(isinstance(s, str) and assertion_id.startswith(s) for s in starts):
        run.add("hosted scope", False, f"{assertion_id} does not start with {starts}")
        return
    origins = policy.get("allowedOrigins") or urlsplit(str(issuer.get("id", ""))).netloc
    origins = origins if isinstance(origins, list) else [origins]
    host = urlsplit(assertion_id).netloc
    run.add(
        "hosted scope",
        host in origins,
        f"{assertion_id} is within the issuer's verification scope"
        if host in origins
        else f"{assertion_id} is not hosted in the allowed origins {origins}",
    )


def _check_revocation_list(run: CheckRun, assertion_id: str, issuer: dict, fetch: Fetch) -> None:
    url = issuer.get("revocationList")
    if url is None:
        return
    listing = _load(run, "revocation list", fetch, url)
    if listing is None:
        return
    entries = listing.get("revokedAssertions", [])
    if "RevocationList" not in _types(listing) or not isinstance(entries, list):
        run.add("revocation list", False, f"{url} is not a RevocationList")
        return
    for entry in entries:
        entry_id = entry.get("id") if isinstance(entry, dict) else entry
        if entry_id == assertion_id:
            reason = entry.get("revocationReason") if isinstance(entry, dict) else None
            run.add(
                "revocation list",
                False,
                f"revoked in {url}{f': {reason}' if reason else ''}",
                REVOKED,
            )
            return
    run.add("revocation list", True, f"not in the revocation list {url}")
