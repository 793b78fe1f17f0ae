"""Open Badges 2.0 as a verifier sees it: the bundled context, baked assertions, hosted checks.

OB 2.0 (https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/index.html) verifies a
*hosted* assertion by fetching its ``id``, its BadgeClass and issuer Profile, checking that the
assertion lies in the issuer's verification scope and is not on the issuer's RevocationList.
Nothing here knows about a site's content: `credsite.issuing.ob2` writes what this checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from credsite.openbadges import png, svg
from credsite.openbadges.image import KEYWORD_OB2, KEYWORD_OB3, MAX_BYTES, ImageError
from credsite.openbadges.png import PNG_SIGNATURE
from credsite.values import is_http_url
from credsite.vc.jsonld import JsonLdError, check_terms_defined
from credsite.vc.verify import (
    EXPIRED,
    NOT_YET_VALID,
    REVOKED,
    CheckRun,
    Report,
)

CONTEXT_URL = "https://w3id.org/openbadges/v2"
CONTEXT_FILE = Path(__file__).with_name("ob2_context.json")
"""Verbatim copy of 1EdTech/openbadges-specification ``ob_v2p0/v2/context.json``."""
PNG_KEYWORD = KEYWORD_OB2
Fetch = Callable[[str], Any]


@cache
def context_document() -> dict[str, Any]:
    """The bundled OB 2.0 JSON-LD context (never fetched)."""
    document: dict[str, Any] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return document


def contexts() -> dict[str, dict[str, Any]]:
    """``extra_contexts`` for `credsite.vc.jsonld`: the OB 2.0 context URL -> bundled document."""
    return {CONTEXT_URL: context_document()}


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
    if data.startswith(PNG_SIGNATURE):
        return png.extract_png(data, PNG_KEYWORD)
    return svg.extract_svg(data, 2)


def verify_file(path: Path, fetch: Fetch, now: datetime) -> Report | None:
    """Verify an OB 2.0 assertion file or baked image; None if it holds no OB 2.0 assertion.

    A ``.json`` is OB 2.0 when its ``@context`` says so; an image when it carries an OB 2.0 and no
    OB 3.0 payload. Unreadable files are left to the OB 3.0 path, which reports them.
    """
    try:
        if path.stat().st_size > MAX_BYTES:
            return None  # never read: the OB 3.0 path reports it
        with path.open("rb") as stream:
            if path.suffix != ".json" and stream.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE:
                stream.seek(0)  # a PNG, read as a stream of chunks
                texts = png.read_texts(stream, (KEYWORD_OB3, PNG_KEYWORD), path=str(path))
                if texts[KEYWORD_OB3] is not None:
                    return None
                text = texts[PNG_KEYWORD]
            else:
                stream.seek(0)
                data = stream.read()
                if path.suffix == ".json":
                    document = json.loads(data.decode("utf-8"))
                    return verify_assertion(document, fetch, now) if is_ob2(document) else None
                if svg.extract_svg(data, 3) is not None:
                    return None
                text = extract(data)
    except (OSError, ValueError, ImageError):
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
    raw_id = document.get("id")
    assertion_id = raw_id if isinstance(raw_id, str) else ""
    try:
        _verify(run, document, assertion_id, fetch, now)
    except Exception as exc:  # bad input must become a failed check, never an exception
        run.add("internal", False, f"verification aborted: {type(exc).__name__}: {exc}")
    return run.report(assertion_id)


def _types(document: dict[str, Any]) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def _load(run: CheckRun, name: str, fetch: Fetch, url: Any) -> dict[str, Any] | None:
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


def _terms(run: CheckRun, name: str, document: dict[str, Any]) -> None:
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


def _verify(
    run: CheckRun, document: dict[str, Any], assertion_id: str, fetch: Fetch, now: datetime
) -> None:
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


def _check_assertion_fields(run: CheckRun, document: dict[str, Any], now: datetime) -> None:
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


def _check_badge_class(run: CheckRun, badge: dict[str, Any], url: object) -> None:
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


def _check_issuer(run: CheckRun, issuer: dict[str, Any], url: object) -> None:
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


def _check_scope(run: CheckRun, assertion_id: str, issuer: dict[str, Any]) -> None:
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


def _check_revocation_list(
    run: CheckRun, assertion_id: str, issuer: dict[str, Any], fetch: Fetch
) -> None:
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
